"""Who may call an operation: authentication (token or session) and one rule per operation.

    @router.get("/cases", ...)
    @allow(*CONSOLE_ROLES, Role.ENTERPRISE, scope=Scope.CASES_READ)
    def list_cases(request): ...

Machines send ``Authorization: Bearer wg_…`` (a token, limited to its scopes); people in the
browser use their staff or enterprise session, with the CSRF token on unsafe methods (a
session cookie is sent by the browser on its own, so a forged cross-site request would carry it;
a bearer token is not). A token is tried first: a bad one is refused, never replaced by a
session. Role, region, department and unit then apply as in the web pages, and the services
check them again. ``allow`` records its rule on the view (``view.rule``).
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.http import HttpRequest
from ninja.security import HttpBearer, SessionAuth

from wengang.web.access import client_ip

from .errors import RoleRefused, ScopeMissing
from .tokens import Principal, authenticate


class TokenAuth(HttpBearer):
    """``Authorization: Bearer wg_…``: an API token."""

    def authenticate(self, request: HttpRequest, token: str) -> Principal:
        return authenticate(token, ip=client_ip(request))


class StaffOrEnterpriseSession(SessionAuth):
    """The browser session of a logged-in user; CSRF is checked on unsafe methods."""

    def authenticate(self, request: HttpRequest, key: str | None) -> Principal | None:
        if request.user.is_authenticated and request.user.is_active:
            return Principal(request.user)
        return None


AUTH = [TokenAuth(), StaffOrEnterpriseSession(csrf=True)]


@dataclass(frozen=True)
class Rule:
    roles: tuple[str, ...]
    scope: str


def allow(*roles: str, scope: str) -> Callable[[Callable], Callable]:
    """Let users of ``roles`` call the operation; through a token, only with ``scope``."""
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            principal: Principal = request.auth
            if not principal.has_scope(scope):
                raise ScopeMissing(principal.token.key_id, scope)
            if principal.user.role not in roles:
                raise RoleRefused(principal.user.role, roles)
            return view(request, *args, **kwargs)

        wrapped.rule = Rule(tuple(roles), scope)
        return wrapped

    return decorate


def user_of(request: HttpRequest):
    """The user an authenticated request acts for."""
    return request.auth.user
