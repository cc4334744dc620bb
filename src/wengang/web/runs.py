"""Screening runs in the staff console: the runs loaded into cases, one run's summary and what
changed since the previous run (both read from the result files), and starting a run from a
snapshot as background work whose progress the page polls (htmx).
"""

from pathlib import Path

from django.contrib import messages
from django.core.paginator import Paginator
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wengang.api.screening import runs_for  # the API's list and this one are the same runs
from wengang.cases.models import ScreeningRun
from wengang.core.clock import clock
from wengang.screening.errors import InputError

from .access import CONSOLE_ROLES, DECIDER_ROLES, in_region_of, is_htmx, staff_only
from .forms import StartScreeningForm
from .models import ScreeningJob
from .run_reports import CHANGES_LISTED, run_difference, run_summary
from .tasks import start_screening

PAGE_SIZE = 50
JOBS_LISTED = 10


def previous_run(run: ScreeningRun) -> ScreeningRun | None:
    """The last whole-region run of the same region before ``run`` sharing one of its programs
    (a late claim's run of one unit is no baseline)."""
    earlier = (ScreeningRun.objects.filter(region_code=run.region_code, uscc="",
                                           screened_at__lt=run.screened_at)
               .order_by("-screened_at", "-id"))
    return next((other for other in earlier if set(other.programs) & set(run.programs)), None)


def _runs_page(request: HttpRequest, form: StartScreeningForm | None, *,
               status: int = 200) -> HttpResponse:
    user = request.user
    page = Paginator(runs_for(user).order_by("-screened_at", "-id"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    jobs = in_region_of(user, ScreeningJob.objects.select_related("run"))[:JOBS_LISTED]
    return render(request, "web/console/runs.html", {"page": page, "form": form, "jobs": jobs},
                  status=status)


@staff_only(*CONSOLE_ROLES)
def runs(request: HttpRequest) -> HttpResponse:
    user = request.user
    can_start = user.role in DECIDER_ROLES and bool(user.region_code)
    return _runs_page(request, StartScreeningForm(initial={"as_of": clock.today()})
                      if can_start else None)


@staff_only(*CONSOLE_ROLES)
def run_detail(request: HttpRequest, pk: int) -> HttpResponse:
    run = runs_for(request.user).filter(pk=pk).first()
    if run is None:
        raise Http404("screening run")
    previous = previous_run(run)
    context = {"run": run, "previous": previous, "changes_listed": CHANGES_LISTED}
    # Each part says for itself why it cannot be shown (a result file moved away, say).
    try:
        context["summary"] = run_summary(Path(run.result_path))
    except InputError as error:
        context["summary_problem"] = str(error)
    if previous is not None:
        try:
            context["difference"] = run_difference(Path(run.result_path),
                                                   Path(previous.result_path))
        except InputError as error:
            context["difference_problem"] = str(error)
    return render(request, "web/console/run.html", context)


@staff_only(*DECIDER_ROLES)
@require_POST
def start_run(request: HttpRequest) -> HttpResponse:
    if not request.user.region_code:
        messages.error(request, _("您的账户没有设置行政区划，不能发起筛查。"))
        return redirect("web:console-runs")
    form = StartScreeningForm(request.POST)
    if not form.is_valid():
        return _runs_page(request, form, status=400)
    data = form.cleaned_data
    job = start_screening(actor=request.user, snapshot_id=data["snapshot"],
                          programs=data["programs"], as_of=data["as_of"])
    return redirect("web:console-screening-job", pk=job.pk)


@staff_only(*CONSOLE_ROLES)
def job_detail(request: HttpRequest, pk: int) -> HttpResponse:
    """The job's progress; an htmx poll gets the fragment alone, until the job has finished."""
    job = in_region_of(request.user, ScreeningJob.objects.select_related("run")).filter(pk=pk).first()
    if job is None:
        raise Http404("screening job")
    template = "web/console/job_progress.html" if is_htmx(request) else "web/console/job.html"
    return render(request, template, {"job": job})
