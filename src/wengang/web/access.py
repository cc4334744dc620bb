"""Who may open which page: one decorator per kind of page, checked on the server for every view.

    @public                      anyone, logged in or not
    @enterprise_only             a logged-in enterprise (it then sees only its own unit)
    @person_only                 a logged-in person, a trainee (they see only their own cases)
    @staff_only(*roles)          a logged-in staff user (password + TOTP) of one of ``roles``

Anonymous users are sent to the matching login page; a logged-in user of another role gets 403.
Objects outside the user's unit or region are answered 404 by the views (``get_case_for``), so
their existence is not revealed. Each decorator records its rule on the view (``view.access``)
so the authorization-matrix test can list the URLconf.
"""

from collections.abc import Callable
from dataclasses import dataclass
from functools import wraps

from django.core.exceptions import PermissionDenied
from django.db.models import QuerySet
from django.http import Http404, HttpRequest
from django.shortcuts import redirect

from wengang.accounts.models import Role, User
from wengang.cases.compiled import CompiledQuery
from wengang.cases.models import Case, region_q
from wengang.cases.workflow import AGENCY_DECIDERS

CONSOLE_ROLES = (Role.AGENCY, Role.SUPERVISOR, Role.FINANCE, Role.AUDITOR, Role.SERVICE_OFFICER,
                 Role.ADMIN)
"""The staff console: everyone who works on cases except department reviewers, who see their
review tasks only (a finance officer does both)."""
BATCH_ROLES = (Role.AGENCY, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN)
DECIDER_ROLES = AGENCY_DECIDERS
"""Who acts for the agency in the console (open batches, publish, hold, start a run …): the
roles the case workflow accepts for the agency's decisions."""
REVIEWER_ROLES = (Role.DEPARTMENT, Role.FINANCE)
XLSX = "application/vnd.openxmlformats-officedocument.spreadsheetml.sheet"


@dataclass(frozen=True)
class Access:
    kind: str                     # "public", "enterprise", "person" or "staff"
    roles: tuple[str, ...] = ()


def _mark(view: Callable, access: Access) -> Callable:
    view.access = access
    return view


def public(view: Callable) -> Callable:
    return _mark(view, Access("public"))


def enterprise_only(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect("web:enterprise-login")
        if user.role != Role.ENTERPRISE or not user.uscc:
            raise PermissionDenied("enterprise only")
        return view(request, *args, **kwargs)

    return _mark(wrapped, Access("enterprise", (Role.ENTERPRISE,)))


def person_only(view: Callable) -> Callable:
    @wraps(view)
    def wrapped(request: HttpRequest, *args, **kwargs):
        user = request.user
        if not user.is_authenticated:
            return redirect("web:person-login")
        if user.role != Role.PERSON or not user.resident_id_digest:
            raise PermissionDenied("person only")
        return view(request, *args, **kwargs)

    return _mark(wrapped, Access("person", (Role.PERSON,)))


def staff_only(*roles: str) -> Callable[[Callable], Callable]:
    def decorate(view: Callable) -> Callable:
        @wraps(view)
        def wrapped(request: HttpRequest, *args, **kwargs):
            user = request.user
            if not user.is_authenticated:
                return redirect("web:staff-login")
            if user.role not in roles:
                raise PermissionDenied(f"roles: {', '.join(roles)}")
            return view(request, *args, **kwargs)

        return _mark(wrapped, Access("staff", tuple(roles)))

    return decorate


def _visible_case(user: User, pk: int):
    return Case.objects.visible_to(user).select_related("unit").filter(pk=pk).order_by("pk")[:1]


# An enterprise's case: the portal's every request reads it (``cases.compiled``). The rule is
# ``visible_to``'s, compiled for an enterprise of a placeholder code.
_enterprise_case = CompiledQuery(
    lambda uscc, pk: _visible_case(User(role=Role.ENTERPRISE, uscc=uscc), pk),
    "\x00uscc-placeholder", -(2**62) + 7)


def get_case_for(user: User, pk: int) -> Case:
    """The case, if ``user`` may see it (own unit, or region subtree); 404 otherwise."""
    if user.role == Role.ENTERPRISE and user.uscc:
        case = _enterprise_case.first(user.uscc, pk)
    else:
        case = next(iter(_visible_case(user, pk)), None)
    if case is None:
        raise Http404("case")
    return case


def in_region_of(user: User, records: QuerySet, field: str = "region_code") -> QuerySet:
    """``records`` whose ``field`` lies in the user's region subtree; an admin without a region
    sees all, anyone else without one nothing."""
    if user.region_code:
        return records.filter(region_q(field, user.region_code))
    return records if user.role == Role.ADMIN else records.none()


def is_htmx(request: HttpRequest) -> bool:
    """An htmx request: answer with the fragment it swaps in, not the whole page."""
    return request.headers.get("HX-Request") == "true"


def client_ip(request: HttpRequest) -> str | None:
    """The peer address. Behind a reverse proxy, set it from the proxy's header in the proxy."""
    return request.META.get("REMOTE_ADDR") or None
