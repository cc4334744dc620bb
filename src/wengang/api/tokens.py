"""Create, check and revoke API tokens.

    token, secret = create_token(user, name="税务联审系统", scopes=["review:read"], actor=admin)
    principal = authenticate(secret)          # raises TokenInvalid / TokenExpired / TokenRevoked
    revoke_token(token, actor=admin)

A token reads ``wg_<key id>_<secret>``. Only the SHA-256 of the whole string is stored, so the
secret exists only in the answer to ``create_token``. The key id is public: it finds the row, so
checking a token costs one indexed lookup and a constant-time comparison. The secret has 256
random bits, which is why a fast hash suffices (a password needs a slow one; this does not).
"""

import hashlib
import hmac
import secrets
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import datetime, timedelta

from django.db import transaction
from django.utils import timezone

from wengang.accounts.models import STAFF_ROLES, User

from .errors import TokenExpired, TokenInvalid, TokenRefused, TokenRevoked
from .models import ApiToken, Scope

PREFIX = "wg"
DEFAULT_LIFETIME = timedelta(days=90)
MAX_LIFETIME = timedelta(days=366)
LAST_USED_PRECISION = timedelta(minutes=1)
"""``last_used_at`` is written at most this often: one write per call would serialise a busy
machine client on the token row."""


@dataclass(frozen=True)
class Principal:
    """Who is calling: a user, through a token (limited to its scopes) or a browser session."""

    user: User
    token: ApiToken | None = None

    def has_scope(self, scope: str) -> bool:
        return self.token is None or scope in self.token.scopes


def _digest(secret: str) -> str:
    return hashlib.sha256(secret.encode()).hexdigest()


def create_token(user: User, *, name: str, scopes: Iterable[str], actor: User | None = None,
                 lifetime: timedelta = DEFAULT_LIFETIME,
                 now: datetime | None = None) -> tuple[ApiToken, str]:
    """Make a token for ``user``; return it and its secret, which is never shown again."""
    scopes = sorted(set(scopes))
    unknown = [scope for scope in scopes if scope not in Scope.values]
    if unknown:
        raise TokenRefused(f"未知的权限范围：{'、'.join(unknown)}（可选：{'、'.join(Scope.values)}）",
                           f"unknown scopes: {', '.join(unknown)} (known: {', '.join(Scope.values)})")
    if not scopes:
        raise TokenRefused("请至少指定一个权限范围", "give at least one scope")
    # Enterprises act in person (SMS code); a token would be a password that never expires soon.
    if user.role not in STAFF_ROLES or not user.is_active:
        raise TokenRefused(f"不能为用户 {user.username}（{user.get_role_display()}）创建接口令牌",
                           f"no API token for user {user.username} (role {user.role}, "
                           "or inactive): tokens are for active staff accounts")
    if not timedelta(0) < lifetime <= MAX_LIFETIME:
        raise TokenRefused(f"有效期须在 1 天到 {MAX_LIFETIME.days} 天之间",
                           f"the lifetime must be between 1 and {MAX_LIFETIME.days} days")
    now = now or timezone.now()
    key_id = secrets.token_hex(8)
    secret = f"{PREFIX}_{key_id}_{secrets.token_urlsafe(32)}"
    token = ApiToken.objects.create(user=user, name=name, key_id=key_id, key_hash=_digest(secret),
                                    scopes=scopes, created_at=now, created_by=actor,
                                    expires_at=now + lifetime)
    return token, secret


def authenticate(secret: str, *, ip: str | None = None, now: datetime | None = None) -> Principal:
    """The principal a token stands for; raises ``TokenInvalid`` (or a subclass) otherwise."""
    parts = secret.split("_", 2)
    if len(parts) != 3 or parts[0] != PREFIX:
        raise TokenInvalid()
    token = ApiToken.objects.select_related("user").filter(key_id=parts[1]).first()
    if token is None or not hmac.compare_digest(token.key_hash, _digest(secret)):
        raise TokenInvalid()
    now = now or timezone.now()
    if token.revoked_at is not None:
        raise TokenRevoked(token.key_id)
    if token.expires_at <= now:
        raise TokenExpired(token.key_id, token.expires_at)
    if not token.user.is_active:
        raise TokenInvalid("接口令牌所属账户已停用", "the API token's user account is inactive")
    if token.last_used_at is None or now - token.last_used_at >= LAST_USED_PRECISION:
        ApiToken.objects.filter(pk=token.pk).update(last_used_at=now, last_used_ip=ip)
        token.last_used_at, token.last_used_ip = now, ip
    return Principal(token.user, token)


def revoke_token(token: ApiToken, *, actor: User | None = None,
                 now: datetime | None = None) -> ApiToken:
    """Revoke ``token`` at once (revoking it again changes nothing)."""
    with transaction.atomic():
        locked = ApiToken.objects.select_for_update().get(pk=token.pk)
        if locked.revoked_at is None:
            locked.revoked_at = now or timezone.now()
            locked.revoked_by = actor
            locked.save(update_fields=["revoked_at", "revoked_by"])
    return locked
