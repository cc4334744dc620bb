"""Cases: the console's queue (filters, pages) and a case with its events; an enterprise's own."""

from django.http import HttpRequest
from ninja import Query, Router

from wengang.accounts.models import Role, User
from wengang.cases import services
from wengang.cases.models import Case, CaseQuerySet
from wengang.core import regions
from wengang.web.access import CONSOLE_ROLES

from .auth import allow, user_of
from .errors import NotFound
from .models import Scope
from .pages import PageIn, page_of
from .schemas import ERRORS, CaseDetailOut, CaseFilters, CaseOut, CasePage, ObjectId

router = Router(tags=["cases 案件"])
CASE_READERS = (*CONSOLE_ROLES, Role.ENTERPRISE)


def filtered(cases: CaseQuerySet, filters: CaseFilters, user: User) -> CaseQuerySet:
    """``cases`` narrowed as the console's queue narrows them, priority cases first."""
    if filters.region:
        # A code outside the region table is as unknown to the caller as one outside its view.
        if not user.covers_region(filters.region) or not regions.is_known_region(filters.region):
            raise NotFound("行政区划", "region")
        cases = cases.in_region(filters.region)
    if filters.program:
        cases = cases.for_program(filters.program)
    if filters.state:
        cases = cases.in_state(filters.state)
    if filters.size:
        cases = cases.filter(size=filters.size)
    if filters.industry:
        cases = cases.filter(unit__industry_code__startswith=filters.industry)
    if filters.priority:
        cases = cases.priority()
    if filters.risk:
        cases = cases.exclude(risk="")
    if filters.due_by:
        cases = cases.filter(apply_by__lte=filters.due_by)
    return cases.priority_first()


@router.get("/cases", response={200: CasePage, **ERRORS}, operation_id="list_cases",
            summary="Cases you may see, filtered as in the console queue; an enterprise: its own")
@allow(*CASE_READERS, scope=Scope.CASES_READ)
def list_cases(request: HttpRequest, filters: Query[CaseFilters], paging: Query[PageIn]):
    user = user_of(request)
    cases = filtered(Case.objects.visible_to(user).select_related("unit", "person"), filters, user)
    return page_of(cases, paging, CaseOut.of)


@router.get("/cases/{case_id}", response={200: CaseDetailOut, **ERRORS}, operation_id="get_case",
            summary="One case with its explanation and events")
@allow(*CASE_READERS, scope=Scope.CASES_READ)
def get_case(request: HttpRequest, case_id: ObjectId):
    user = user_of(request)
    case = Case.objects.visible_to(user).select_related("unit", "person").filter(pk=case_id).first()
    if case is None:
        raise NotFound("案件", "case")
    return CaseDetailOut.of(case, services.timeline(case), staff=not user.is_enterprise)
