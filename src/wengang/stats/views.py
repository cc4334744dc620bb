"""Dashboards, downloads and reports: thin views over ``kpis``, ``charts`` and ``reports``.

Each page reads the summary tables inside the viewer's region (``?region=`` narrows it to a
region below; a region outside theirs is answered 404). Leaders' overview, the agency's
operational view and the training subsidies' page are for the console roles; the department view also for department reviewers,
who see their own department only.
"""

from datetime import date
from functools import partial

from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.db import transaction
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.http import url_has_allowed_host_and_scheme
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wengang.accounts.models import Role, User
from wengang.cases.models import PublicityBatch, ReviewTask
from wengang.core.clock import clock
from wengang.core.regions import contains, is_known_region
from wengang.web.access import (
    BATCH_ROLES,
    CONSOLE_ROLES,
    DECIDER_ROLES,
    XLSX,
    in_region_of,
    public,
    staff_only,
)

from . import charts, kpis, reports, rollup, training_figures
from .errors import StatsError
from .excel import workbook
from .forms import RollupImportForm
from .models import Rollup

DASHBOARD_ROLES = (*CONSOLE_ROLES, Role.DEPARTMENT)
REFRESH_ROLES = (*DECIDER_ROLES, Role.ADMIN)
ROLLUP_ROLES = (Role.SUPERVISOR, Role.ADMIN)
PDF = "application/pdf"


def scope_for(request: HttpRequest) -> str | None:
    """The region the page counts (``region_scope`` of the user and ``?region=``)."""
    return region_scope(request.user, request.GET.get("region", ""))


def region_scope(user: User, asked: str | None) -> str | None:
    """The region counted: ``asked`` if the user covers it, else the user's own.

    ``None`` (everything) only for an admin without a region; anyone else without one sees
    nothing (404) — a missing setting must never widen a view. The API asks the same.
    """
    asked = (asked or "").strip()
    if asked:
        if not (is_known_region(asked) and user.covers_region(asked)):
            raise Http404("region")
        return asked
    if user.region_code:
        return user.region_code
    if user.role == Role.ADMIN:
        return None
    raise Http404("region")


def _department_of(user: User) -> str | None:
    """A department reviewer sees its own department's figures only."""
    return user.review_department if user.role == Role.DEPARTMENT else None


def _chart(fingerprint: str, slug: str, scope: str | None, department: str | None):
    options = {"department": department} if slug == "compliance" else {}
    return kpis.cached(fingerprint, f"chart-{slug}", scope,
                       lambda: charts.build(slug, scope, **options), **options)


def _context(request: HttpRequest, scope: str | None, slugs: tuple[str, ...],
             figures: tuple[str, ...] = (), **extra) -> dict:
    """What every dashboard shows: its charts, the ``figures`` its tiles need (names of
    ``kpis`` functions of a scope), where the numbers came from and what the user may do."""
    fingerprint = kpis.version()
    department = _department_of(request.user)
    tables = [_chart(fingerprint, slug, scope, department) for slug in slugs]
    tiles = {name: kpis.cached(fingerprint, name, scope, partial(getattr(kpis, name), scope))
             for name in figures}
    return {"scope": scope, "scope_name": kpis.region_name(scope) if scope else _("全国"),
            "tables": tables, "sources": kpis.cached(fingerprint, "provenance", scope,
                                                     lambda: kpis.provenance(scope)),
            "local": Rollup.objects.filter(source="").first(),
            "can_refresh": request.user.role in REFRESH_ROLES,
            "can_rollup": request.user.role in ROLLUP_ROLES,
            "query": f"?region={scope}" if request.GET.get("region") else "", **tiles, **extra}


@staff_only(*CONSOLE_ROLES)
def overview(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    today = clock.today()
    this_month = today.replace(day=1)
    last_month = (this_month.replace(year=this_month.year - 1, month=12) if this_month.month == 1
                  else this_month.replace(month=this_month.month - 1))
    context = _context(request, scope, charts.OVERVIEW, ("headline", "time_to_money"),
                       page="overview", months=[m.strftime("%Y-%m") for m in (this_month, last_month)])
    by_region = context["tables"][charts.OVERVIEW.index("region")]
    context["regions"] = [(key, row[0]) for key, row in zip(by_region.keys, by_region.rows)
                          if key != scope]  # drill-down links; a county has none below it
    return render(request, "stats/overview.html", context)


@staff_only(*CONSOLE_ROLES)
def training(request: HttpRequest) -> HttpResponse:
    """The skills-training subsidies: another fund's money, on a page of its own (totals only,
    never a person)."""
    scope = scope_for(request)
    headline = kpis.cached(kpis.version(), "training_headline", scope,
                           partial(training_figures.headline, scope))
    context = _context(request, scope, charts.TRAINING, page="training",
                       training_headline=headline)
    by_region = context["tables"][charts.TRAINING.index("training_region")]
    context["regions"] = [(key, row[0]) for key, row in zip(by_region.keys, by_region.rows)
                          if key != scope]
    return render(request, "stats/training.html", context)


@public
def public_figures(request: HttpRequest) -> HttpResponse:
    """The headline figures for everyone (no login): counts and sums only, as the 2020 reports
    published them; a region of the deployment's data may be picked with ``?region=``."""
    asked = request.GET.get("region", "").strip()
    if asked and not is_known_region(asked):
        raise Http404("region")
    scope = asked or None
    fingerprint = kpis.version()
    return render(request, "stats/public.html", {
        "scope": scope, "scope_name": kpis.region_name(scope) if scope else _("全部地区"),
        "headline": kpis.cached(fingerprint, "headline", scope, partial(kpis.headline, scope)),
        "table": _chart(fingerprint, "region", scope, None),
        "local": Rollup.objects.order_by("-as_of").first()})


@staff_only(*CONSOLE_ROLES)
def operations(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    return render(request, "stats/operations.html", _context(
        request, scope, charts.OPERATIONS, ("headline", "time_to_money", "receivables"),
        page="operations"))


@staff_only(*DASHBOARD_ROLES)
def departments(request: HttpRequest) -> HttpResponse:
    scope = scope_for(request)
    department = _department_of(request.user)
    tasks = None
    if department:  # their own open tasks, live: a handful of rows
        tasks = (in_region_of(request.user, ReviewTask.objects.pending(), "batch__region_code")
                 .for_department(department).select_related("batch").order_by("due_on", "id")[:50])
    return render(request, "stats/departments.html", _context(
        request, scope, charts.DEPARTMENTS, page="departments", tasks=tasks, today=clock.today()))


@staff_only(*DASHBOARD_ROLES)
def chart_xlsx(request: HttpRequest, chart: str) -> HttpResponse:
    if chart not in charts.CHARTS:
        raise Http404("chart")
    department = _department_of(request.user)
    if request.user.role == Role.DEPARTMENT and chart not in charts.DEPARTMENTS:
        raise PermissionDenied("department reviewers: compliance only")
    scope = scope_for(request)
    table = _chart(kpis.version(), chart, scope, department)
    body = workbook([table], heading=[_heading(scope)])
    response = HttpResponse(body, content_type=XLSX)
    response["Content-Disposition"] = (f'attachment; filename="stats-{chart}-{scope or "all"}-'
                                       f'{clock.today()}.xlsx"')
    return response


def _heading(scope: str | None) -> str:
    local = Rollup.objects.filter(source="").first()
    name = kpis.region_name(scope) if scope else _("全国")
    as_of = local.as_of.isoformat() if local else "—"
    return _("统计范围：%(scope)s；统计截至：%(as_of)s") % {"scope": name, "as_of": as_of}


@staff_only(*REFRESH_ROLES)
@require_POST
def refresh(request: HttpRequest) -> HttpResponse:
    from .tasks import refresh_stats

    refresh_stats.enqueue()
    messages.success(request, _("已提交统计刷新，完成后页面数字随之更新。"))
    back = request.POST.get("next", "")
    # Only back to a page of this site: a crafted form must not bounce staff elsewhere.
    if not url_has_allowed_host_and_scheme(back, allowed_hosts={request.get_host()},
                                           require_https=request.is_secure()):
        back = "stats:overview"
    return redirect(back)


def _month(text: str) -> date:
    try:
        return date.fromisoformat(f"{text}-01")
    except ValueError:
        raise Http404("month") from None


@staff_only(*CONSOLE_ROLES)
def monthly_pdf(request: HttpRequest, month: str) -> HttpResponse:
    scope = scope_for(request)
    body = reports.monthly_pdf(scope, _month(month), language=request.LANGUAGE_CODE)
    return _download(body, PDF, f"monthly-{month}-{scope or 'all'}.pdf")


@staff_only(*CONSOLE_ROLES)
def monthly_xlsx(request: HttpRequest, month: str) -> HttpResponse:
    scope = scope_for(request)
    return _download(reports.monthly_xlsx(scope, _month(month), language=request.LANGUAGE_CODE),
                     XLSX,
                     f"monthly-{month}-{scope or 'all'}.xlsx")


def _publicity_batch(request: HttpRequest, pk: int) -> PublicityBatch:
    batch = in_region_of(request.user, PublicityBatch.objects.all()).filter(pk=pk).first()
    if batch is None:
        raise Http404("publicity batch")
    return batch


@staff_only(*BATCH_ROLES)
def publicity_pdf(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _publicity_batch(request, pk)
    return _download(reports.publicity_pdf(batch), PDF, f"publicity-{batch.pk}.pdf")


@staff_only(*BATCH_ROLES)
def publicity_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _publicity_batch(request, pk)
    return _download(reports.publicity_xlsx(batch), XLSX, f"publicity-{batch.pk}.xlsx")


def _download(body: bytes, content_type: str, name: str) -> HttpResponse:
    response = HttpResponse(body, content_type=content_type)
    response["Content-Disposition"] = f'attachment; filename="{name}"'
    return response


@staff_only(*ROLLUP_ROLES)
def rollups(request: HttpRequest) -> HttpResponse:
    """The national roll-up: export this deployment's aggregates; import cities' files."""
    form = RollupImportForm(request.POST or None, request.FILES or None)
    if request.method == "POST" and form.is_valid():
        try:
            with transaction.atomic():  # several files: all of them, or none
                imported = [rollup.import_file(upload.read(), name=upload.name)
                            for upload in form.cleaned_data["files"]]
        except StatsError as error:
            form.add_error(None, str(error))
        else:
            messages.success(request, _("已导入 %(n)d 个城市的汇总：%(names)s") % {
                "n": len(imported), "names": "、".join(kpis.region_name(r.source)
                                                      for r in imported)})
            return redirect("stats:rollups")
    scope = request.user.region_code or None
    imported = Rollup.objects.exclude(source="").order_by("source")
    if scope:
        imported = [r for r in imported if contains(scope, r.source)]
    return render(request, "stats/rollups.html", {
        "form": form, "imported": imported, "local": Rollup.objects.filter(source="").first(),
        "scope": scope, "scope_name": kpis.region_name(scope) if scope else _("全国"),
        "can_rollup": True, "page": "rollups"}, status=400 if form.errors else 200)


@staff_only(*ROLLUP_ROLES)
def rollup_export(request: HttpRequest) -> HttpResponse:
    region = request.user.region_code
    if not region:
        raise Http404(_("导出汇总需要本系统所在的区划（用户未设置行政区划）"))
    try:
        body = rollup.export(region)
    except StatsError as error:
        messages.error(request, str(error))
        return redirect("stats:rollups")
    return _download(body, "application/json", f"wengang-rollup-{region}-{clock.today()}.json")
