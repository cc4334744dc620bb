"""The staff console (desktop): today's work, the case queue, a case, review batches.

Every list is cut to the user's region subtree (the querysets' ``visible_to``); actions
go through ``cases.services``, which check role and region again.
"""

import hashlib
import io
from functools import cached_property

import xlsxwriter
from django.contrib import messages
from django.core.cache import cache
from django.core.paginator import Paginator
from django.db.models import Count, QuerySet, Sum
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.urls import reverse
from django.utils import timezone
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wengang.accounts.models import User
from wengang.cases import services
from wengang.cases.errors import CaseError
from wengang.cases.models import Case, ReviewBatch, ServiceOfficerTask, State
from wengang.core.clock import clock
from wengang.core.money import fen_to_yuan

from .access import (
    BATCH_ROLES,
    CONSOLE_ROLES,
    DECIDER_ROLES,
    XLSX,
    client_ip,
    get_case_for,
    is_htmx,
    staff_only,
)
from .display import explanation_reasons, program_name
from .forms import BulkActionForm, ProgramForm, QueueFilterForm, RevealForm
from .models import Appeal, Disclosure

PAGE_SIZE = 50


class LargeListPaginator(Paginator):
    """Counts a large list at most once a minute per query (per worker process).

    Counting a city's million cases costs about a second, a page of them milliseconds: the
    rows shown are always current, only the number of pages may be a minute old. Lists under
    ``EXACT_BELOW`` rows are counted every time.
    """

    EXACT_BELOW = 10_000
    CACHE_SECONDS = 60

    @cached_property
    def count(self) -> int:
        key = "list-count:" + hashlib.sha256(str(self.object_list.query).encode()).hexdigest()
        if (cached := cache.get(key)) is not None:
            return cached
        count = super().count
        if count >= self.EXACT_BELOW:
            cache.set(key, count, self.CACHE_SECONDS)
        return count


@staff_only(*CONSOLE_ROLES)
def home(request: HttpRequest) -> HttpResponse:
    cases = Case.objects.visible_to(request.user)
    today = clock.today()
    by_state = dict(cases.order_by().values_list("state").annotate(n=Count("pk")))
    payable = cases.payable().aggregate(total=Sum("amount_fen"))["total"] or 0
    overdue = services.overdue_tasks(today=today, region_code=request.user.region_code or None)
    by_state_rows = [(State(state).label, by_state[state]) for state in State.values
                     if state in by_state]
    return render(request, "web/console/home.html", {
        "today": today,
        "ready_for_review": cases.ready_for_review().count(),
        "awaiting_application": by_state.get(State.AWAITING_APPLICATION, 0),
        "in_review": by_state.get(State.IN_REVIEW, 0),
        "on_hold": by_state.get(State.ON_HOLD, 0),
        "payable": by_state.get(State.PAYABLE, 0),
        "payable_fen": payable,
        "open_appeals": Appeal.objects.visible_to(request.user).open().count(),
        "open_service_tasks": ServiceOfficerTask.objects.visible_to(request.user)
        .filter(status=ServiceOfficerTask.Status.OPEN).count(),
        "overdue_tasks": list(overdue[:20]),
        "by_state": by_state_rows,
        "chart": {"labels": [str(label) for label, _n in by_state_rows],
                  "values": [n for _label, n in by_state_rows]},
    })


def filtered_cases(user: User, form: QueueFilterForm) -> QuerySet:
    """The user's cases narrowed by the queue's filters, priority cases first."""
    cases = Case.objects.visible_to(user).select_related("unit", "person")
    if form.is_valid():
        data = form.cleaned_data
        if data["region"]:
            if not user.covers_region(data["region"]):
                raise Http404("region")
            cases = cases.in_region(data["region"])
        if data["program"]:
            cases = cases.for_program(data["program"])
        if data["state"]:
            cases = cases.in_state(data["state"])
        if data["size"]:
            cases = cases.filter(size=data["size"])
        if data["priority"]:
            cases = cases.priority()
        if data["risk"]:
            cases = cases.exclude(risk="")
    return cases.priority_first()


@staff_only(*CONSOLE_ROLES)
def queue(request: HttpRequest) -> HttpResponse:
    form = QueueFilterForm(request.GET or None)
    page = LargeListPaginator(filtered_cases(request.user, form),
                              PAGE_SIZE).get_page(request.GET.get("page"))
    query = request.GET.copy()
    query.pop("page", None)
    template = "web/console/queue_table.html" if is_htmx(request) else "web/console/queue.html"
    return render(request, template, {"form": form, "page": page, "query": query.urlencode(),
                                      "bulk_form": BulkActionForm(request.user)
                                      if request.user.role in DECIDER_ROLES else None})


@staff_only(*DECIDER_ROLES)
@require_POST
def bulk(request: HttpRequest) -> HttpResponse:
    """Act on the cases ticked in the queue, one service call per case (or per program for a
    review batch); each case succeeds or is refused on its own, and the page says which."""
    form = BulkActionForm(request.user, request.POST)
    back = f"{reverse('web:console-queue')}?{request.POST.get('query', '')}"
    if not form.is_valid():
        for errors in form.errors.values():
            for error in errors:
                messages.error(request, error)
        return redirect(back)
    data = form.cleaned_data
    cases = list(data["cases"])
    outcome = services.act_on_many(cases, data["action"], actor=request.user,
                                   reason=data["reason"])
    messages.success(request, _("已办理 %(done)d 件（共选 %(n)d 件）。") % {"done": outcome.done,
                                                                     "n": len(cases)})
    for refusal in outcome.refused:
        messages.error(request, f"{program_name(refusal.program)}：{refusal.error}"
                       if refusal.program else _("案件 %(pk)d：%(error)s") % {
                           "pk": refusal.case_ids[0], "error": refusal.error})
    return redirect(back)


@staff_only(*CONSOLE_ROLES)
def queue_xlsx(request: HttpRequest) -> HttpResponse:
    """The filtered queue as Excel; phones masked, no account numbers (lists never show them)."""
    cases = filtered_cases(request.user, QueueFilterForm(request.GET or None)).select_related("person")
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True, "constant_memory": True}) as workbook:
        sheet = workbook.add_worksheet("案件")
        money = workbook.add_format({"num_format": "#,##0.00"})
        sheet.write_row(0, 0, ["案件", "单位名称", "统一社会信用代码", "行政区划", "政策项目", "规模",
                               "状态", "绿色通道", "返还金额（元）", "联系电话", "风险提示"])
        for row, case in enumerate(cases.iterator(chunk_size=2000), start=1):
            # A trainee's case (no unit): the person's masked name and ID number, as lists show them.
            sheet.write_row(row, 0, [case.pk, case.beneficiary_name_masked,
                                     case.unit.uscc if case.unit_id else case.person.resident_id_masked,
                                     case.beneficiary_region_code, program_name(case.program),
                                     str(case.get_size_display()), str(case.get_state_display()),
                                     "是" if case.priority else ""])
            sheet.write_number(row, 8, float(fen_to_yuan(case.amount_fen)), money)
            sheet.write_row(row, 9, [case.beneficiary.masked_phone, case.risk])
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="cases-{clock.today()}.xlsx"'
    return response


@staff_only(*CONSOLE_ROLES)
def case_detail(request: HttpRequest, pk: int) -> HttpResponse:
    case = get_case_for(request.user, pk)
    return render(request, "web/console/case.html", {
        "case": case, "program_name": program_name(case.program),
        "reasons": explanation_reasons(case), "events": services.timeline(case),
        "commitments": case.commitments.select_related("text").order_by("accepted_at"),
        "review_items": case.review_items.select_related("batch").order_by("batch_id"),
        "appeals": Appeal.objects.filter(case=case).order_by("-filed_at"),
        "claim_items": case.items.select_related("person").order_by("dated", "id")[:500],
        "reveal_form": RevealForm(),
    })


@staff_only(*CONSOLE_ROLES)
@require_POST
@never_cache
def reveal(request: HttpRequest, pk: int) -> HttpResponse:
    """Show the unit's phone and account number in full, once a reason is given and recorded."""
    case = get_case_for(request.user, pk)
    form = RevealForm(request.POST)
    context = {"case": case, "reveal_form": form,
               "base": "web/fragment.html" if is_htmx(request) else "web/base.html"}
    if not form.is_valid():
        return render(request, "web/console/reveal.html", context, status=400)
    try:
        account = case.account_number() if case.has_account else ""
    except CaseError as error:
        form.add_error(None, str(error))
        return render(request, "web/console/reveal.html", context, status=400)
    Disclosure.objects.create(user=request.user, case=case, reason=form.cleaned_data["reason"],
                              ip=client_ip(request), at=timezone.now())
    context.update(phone=case.contact_phone(), account=account, revealed=True)
    return render(request, "web/console/reveal.html", context)


@staff_only(*BATCH_ROLES)
def batches(request: HttpRequest) -> HttpResponse:
    listed = (ReviewBatch.objects.visible_to(request.user).prefetch_related("tasks")
              .annotate(n=Count("items")))
    page = Paginator(listed.order_by("status", "-priority", "due_on", "id"),
                     PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/console/batches.html", {
        "page": page, "form": ProgramForm(), "today": clock.today(),
        "can_open": request.user.role in DECIDER_ROLES})


@staff_only(*DECIDER_ROLES)
@require_POST
def open_batches(request: HttpRequest) -> HttpResponse:
    form = ProgramForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择政策项目。"))
        return redirect("web:console-batches")
    try:
        opened = services.open_review_batches(actor=request.user,
                                              region_code=request.user.region_code,
                                              program=form.cleaned_data["program"])
    except CaseError as error:
        messages.error(request, str(error))
        return redirect("web:console-batches")
    messages.success(request, _("已提交 %(n)d 个联审批次。") % {"n": len(opened)})
    return redirect("web:console-batch", pk=opened[0].pk)


@staff_only(*BATCH_ROLES)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = ReviewBatch.objects.visible_to(request.user).filter(pk=pk).first()
    if batch is None:
        raise Http404("batch")
    return render(request, "web/console/batch.html", {
        "batch": batch, "program_name": program_name(batch.program),
        "tasks": batch.tasks.order_by("department"),
        "items": batch.items.select_related("case__unit", "case__person").order_by("case_id"),
        "today": clock.today()})
