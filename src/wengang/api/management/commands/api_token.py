"""Create, list and revoke API tokens (接口令牌).

    wengang manage api_token create tax-system --name "税务联审系统" --scope review:read \
        --scope review:decide --days 90
    wengang manage api_token list [--user tax-system]
    wengang manage api_token revoke 3f2a9c0d1e4b5a6f
"""

from datetime import timedelta

from django.core.management.base import BaseCommand, CommandError

from wengang.accounts.models import User
from wengang.api.models import ApiToken, Scope
from wengang.api.tokens import DEFAULT_LIFETIME, create_token, revoke_token
from wengang.core.errors import CoreError


class Command(BaseCommand):
    help = "Create, list or revoke API tokens. 创建、列出或吊销接口令牌。"

    def add_arguments(self, parser):
        commands = parser.add_subparsers(dest="command", required=True)
        create = commands.add_parser("create", help="make a token; its secret is printed once")
        create.add_argument("username", help="the user the token acts for")
        create.add_argument("--name", required=True, help="what it is for (用途)")
        create.add_argument("--scope", action="append", dest="scopes", required=True,
                            choices=Scope.values, help="repeat for each scope")
        create.add_argument("--days", type=int, default=DEFAULT_LIFETIME.days,
                            help=f"lifetime in days (default {DEFAULT_LIFETIME.days})")
        listing = commands.add_parser("list", help="tokens, newest first (never their secrets)")
        listing.add_argument("--user", help="only this user's tokens")
        revoke = commands.add_parser("revoke", help="revoke a token at once")
        revoke.add_argument("key_id", help="the token's id (the part after wg_)")

    def handle(self, *args, command: str, **options):
        try:
            getattr(self, f"_{command}")(**options)
        except CoreError as error:
            raise CommandError(str(error)) from error

    def _create(self, *, username: str, name: str, scopes: list[str], days: int, **_options):
        user = User.objects.filter(username=username).first()
        if user is None:
            raise CommandError(f"没有用户 {username} / no user {username}")
        token, secret = create_token(user, name=name, scopes=scopes, lifetime=timedelta(days=days))
        self.stdout.write(f"令牌 token {token.key_id} · {user.username} · {', '.join(token.scopes)} · "
                          f"失效 expires {token.expires_at:%Y-%m-%d %H:%M %Z}")
        self.stdout.write("只显示这一次，请妥善保存 / shown only now, keep it safe:")
        self.stdout.write(secret)

    def _list(self, *, user: str | None, **_options):
        tokens = ApiToken.objects.select_related("user")
        if user:
            tokens = tokens.filter(user__username=user)
        for token in tokens:
            state = ("已吊销 revoked" if token.revoked_at else
                     f"失效 expires {token.expires_at:%Y-%m-%d}")
            used = f"{token.last_used_at:%Y-%m-%d %H:%M}" if token.last_used_at else "—"
            self.stdout.write(f"{token.key_id}  {token.user.username}  {','.join(token.scopes)}  "
                              f"{state}  最近使用 last used {used}  {token.name}")

    def _revoke(self, *, key_id: str, **_options):
        token = ApiToken.objects.filter(key_id=key_id).first()
        if token is None:
            raise CommandError(f"没有令牌 {key_id} / no token {key_id}")
        token = revoke_token(token)
        self.stdout.write(f"已吊销 revoked {token.key_id} ({token.revoked_at:%Y-%m-%d %H:%M})")
