"""Screening runs loaded into cases: the list, and one run's summary in the caller's region."""

from django.db.models import Count, Sum
from django.http import HttpRequest
from ninja import Query, Router

from wengang.accounts.models import Role, User
from wengang.cases.models import Case, ScreeningRun, region_q
from wengang.web.access import CONSOLE_ROLES

from .auth import allow, user_of
from .errors import NotFound
from .models import Scope
from .pages import PageIn, page_of
from .schemas import ERRORS, ObjectId, ScreeningRunPage, ScreeningSummaryOut

router = Router(tags=["screening 比对筛查"])


def runs_for(user: User):
    """Runs of the user's region subtree (an admin without a region: all)."""
    if user.region_code:
        return ScreeningRun.objects.filter(region_q("region_code", user.region_code))
    return ScreeningRun.objects.all() if user.role == Role.ADMIN else ScreeningRun.objects.none()


def _run(run: ScreeningRun) -> dict:
    return {"id": run.pk, "as_of": run.as_of, "region_code": run.region_code,
            "programs": run.programs, "snapshot_id": run.snapshot_id,
            "code_version": run.code_version, "screened_at": run.screened_at, "rows": run.rows,
            "single_unit": bool(run.uscc), "loaded_at": run.loaded_at}


@router.get("/screening/runs", response={200: ScreeningRunPage, **ERRORS},
            operation_id="list_screening_runs", summary="Screening runs of your region, newest first")
@allow(*CONSOLE_ROLES, scope=Scope.SCREENING_READ)
def list_screening_runs(request: HttpRequest, paging: Query[PageIn]):
    return page_of(runs_for(user_of(request)).order_by("-screened_at", "-id"), paging, _run)


@router.get("/screening/runs/{run_id}", response={200: ScreeningSummaryOut, **ERRORS},
            operation_id="get_screening_run",
            summary="A run: what loading it did, and its cases by program, size, route and state")
@allow(*CONSOLE_ROLES, scope=Scope.SCREENING_READ)
def get_screening_run(request: HttpRequest, run_id: ObjectId):
    user = user_of(request)
    run = runs_for(user).filter(pk=run_id).first()
    if run is None:
        raise NotFound("筛查批次", "screening run")
    rows = (Case.objects.visible_to(user).filter(screening_run=run)
            .values("program", "size", "route", "state")
            .annotate(cases=Count("pk"), amount_fen=Sum("amount_fen"))
            .order_by("program", "size", "route", "state"))
    return {**_run(run), "load": run.summary, "cases": list(rows)}
