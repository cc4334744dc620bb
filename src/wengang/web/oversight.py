"""Oversight (监督) in the staff console: risk holds, spot-check samples, findings, and the
improper-payment rate.

The steps are ``oversight`` services (``holds``, ``sampling``, ``findings``), which check role,
region and assignment again. A third-party auditor sees only the samples assigned to it
(``SampleItem.objects.visible_to``), with phone and account masked unless it records a reason.
"""

import io

import xlsxwriter
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, F, QuerySet
from django.http import Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.cache import never_cache
from django.views.decorators.http import require_POST

from wengang.accounts.models import Role, User
from wengang.cases.errors import CaseError
from wengang.cases.models import Case
from wengang.core.clock import clock
from wengang.core.errors import CoreError
from wengang.core.money import fen_to_yuan
from wengang.oversight import findings, holds, sampling
from wengang.oversight.models import Finding, Method, RiskHold, SampleItem, SamplePlan

from .access import DECIDER_ROLES, XLSX, client_ip, in_region_of, is_htmx, staff_only
from .display import program_name
from .forms import DueDateForm, FindingForm, ReasonForm, RevealForm, SamplePlanForm

PAGE_SIZE = 50
OVERSIGHT_ROLES = (Role.AGENCY, Role.SUPERVISOR, Role.AUDITOR, Role.ADMIN)
REFUSALS = (CaseError, CoreError)
"""Oversight errors are core errors; the case workflow's (a hold, a receivable) case errors."""


def holds_for(user: User) -> QuerySet:
    return RiskHold.objects.filter(case__in=Case.objects.visible_to(user))


def plans_for(user: User) -> QuerySet:
    """An auditor: the samples assigned to it. Staff: the samples of their region subtree."""
    if user.role == Role.AUDITOR:
        return SamplePlan.objects.assigned_to(user)
    return in_region_of(user, SamplePlan.objects.all())


def _plan_for(user: User, pk: int) -> SamplePlan:
    plan = plans_for(user).select_related("auditor").filter(pk=pk).first()
    if plan is None:
        raise Http404("sample plan")
    return plan


@staff_only(*OVERSIGHT_ROLES)
def risk_holds(request: HttpRequest) -> HttpResponse:
    listed = (holds_for(request.user).select_related("case__unit", "held_by", "ended_by")
              .order_by(F("ended_at").desc(nulls_first=True), "-held_at", "-id"))
    if request.GET.get("open"):
        listed = listed.filter(outcome="")
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/console/oversight/holds.html", {
        "page": page, "form": ReasonForm(), "can_act": request.user.role in DECIDER_ROLES,
        "open_count": holds_for(request.user).filter(outcome="").count(),
        "only_open": bool(request.GET.get("open"))})


@staff_only(*DECIDER_ROLES)
@require_POST
def sweep_holds(request: HttpRequest) -> HttpResponse:
    """Hold the region's newly flagged cases; release those whose unit corrected its data."""
    try:
        done = holds.sweep(actor=request.user, region_code=request.user.region_code)
    except REFUSALS as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("新暂缓 %(held)d 件，单位更正后解除 %(corrected)d 件，其他环节已处理 %(ended)d 件。") % {
            "held": len(done.held), "corrected": len(done.corrected), "ended": len(done.ended)})
        for pk, why in done.skipped.items():
            messages.error(request, _("案件 %(pk)d 未处理：%(why)s") % {"pk": pk, "why": why})
    return redirect("web:console-risk-holds")


@staff_only(*DECIDER_ROLES)
@require_POST
def clear_hold(request: HttpRequest, pk: int) -> HttpResponse:
    hold = holds_for(request.user).select_related("case").filter(pk=pk).first()
    if hold is None:
        raise Http404("risk hold")
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("解除风险暂缓须写明核查结论。"))
        return redirect("web:console-risk-holds")
    try:
        holds.clear(hold.case, actor=request.user, reason=form.cleaned_data["reason"])
    except REFUSALS as error:
        messages.error(request, str(error))
    else:
        messages.success(request, _("案件 %(pk)d 已解除风险暂缓。") % {"pk": hold.case_id})
    return redirect("web:console-risk-holds")


@staff_only(*OVERSIGHT_ROLES)
def samples(request: HttpRequest) -> HttpResponse:
    user = request.user
    can_plan = user.role in sampling.PLANNER_ROLES
    form = SamplePlanForm(request.POST or None,
                          initial={"refund_year": clock.today().year, "risk_weight": 1})
    status = 200
    if request.method == "POST":
        if not can_plan:
            raise PermissionDenied("planners only")
        if form.is_valid():
            data = form.cleaned_data
            try:
                plan = sampling.plan_spot_check(
                    actor=user, auditor=data["auditor"], program=data["program"],
                    refund_year=data["refund_year"], region_code=user.region_code,
                    method=data["method"], size=data["size"], seed=data["seed"],
                    risk_weight=data["risk_weight"])
            except REFUSALS as error:
                form.add_error(None, str(error))
            else:
                messages.success(request, _("已抽取 %(n)d 件，随机种子 %(seed)d。") % {
                    "n": plan.size, "seed": plan.seed})
                return redirect("web:console-sample", pk=plan.pk)
        status = 400
    listed = (plans_for(user).select_related("auditor")
              .annotate(checked=Count("items__finding")).order_by("-created_at", "-id"))
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/console/oversight/samples.html", {
        "page": page, "form": form, "can_plan": can_plan}, status=status)


@staff_only(*OVERSIGHT_ROLES)
def sample_detail(request: HttpRequest, pk: int) -> HttpResponse:
    user = request.user
    plan = _plan_for(user, pk)
    cases = findings.sampled_cases(user, plan)
    found = {f.item_id: f for f in Finding.objects.filter(item__plan=plan)
             .select_related("receivable")}
    estimate, estimate_problem = None, ""
    if plan.method == Method.SIMPLE:
        estimate = findings.improper_rate(plan)
    else:
        estimate_problem = _("分层或加权样本不能直接估计不当支付率（需加权），仅列出发现。")
    reproduction = sampling.reproduce(plan) if request.GET.get("reproduce") else None
    return render(request, "web/console/oversight/sample.html", {
        "plan": plan, "program_name": program_name(plan.program),
        "rows": [(case, found.get(case.item_id)) for case in cases],
        "report": findings.report(plan), "estimate": estimate,
        "estimate_problem": estimate_problem, "reproduction": reproduction,
        "rate": {"rate": f"{estimate.rate:.1%}", "low": f"{estimate.low:.1%}",
                 "high": f"{estimate.high:.1%}"} if estimate else None,
        "finding_form": FindingForm(), "reveal_form": RevealForm(), "due_form": DueDateForm(),
        "is_assigned": user.role == Role.AUDITOR and plan.auditor_id == user.pk,
        "can_claim": user.role == Role.AGENCY})


@staff_only(*OVERSIGHT_ROLES)
def sample_xlsx(request: HttpRequest, pk: int) -> HttpResponse:
    """The sample as Excel, for the auditor's working papers: PII masked, findings beside."""
    plan = _plan_for(request.user, pk)
    found = {f.item_id: f for f in Finding.objects.filter(item__plan=plan)}
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        sheet = workbook.add_worksheet(f"抽查{plan.pk}")
        money = workbook.add_format({"num_format": "#,##0.00"})
        sheet.write_row(0, 0, ["抽取顺序", "案件", "单位名称", "统一社会信用代码", "状态", "返还金额（元）",
                               "风险提示", "联系电话", "收款账户", "结论", "不当支付金额（元）", "说明"])
        for row, case in enumerate(findings.sampled_cases(request.user, plan), start=1):
            finding = found.get(case.item_id)
            sheet.write_row(row, 0, [row, case.case_id, case.unit_name, case.uscc, case.state])
            sheet.write_number(row, 5, float(fen_to_yuan(case.amount_fen)), money)
            sheet.write_row(row, 6, [case.risk, case.phone, case.account,
                                     str(finding.get_outcome_display()) if finding else ""])
            if finding and finding.improper_fen:
                sheet.write_number(row, 10, float(fen_to_yuan(finding.improper_fen)), money)
            sheet.write(row, 11, finding.note if finding else "")
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="sample-{plan.pk}.xlsx"'
    return response


def _item_for(user: User, pk: int) -> SampleItem:
    item = SampleItem.objects.visible_to(user).select_related("plan").filter(pk=pk).first()
    if item is None or not plans_for(user).filter(pk=item.plan_id).exists():
        raise Http404("sample item")
    return item


@staff_only(*OVERSIGHT_ROLES)
@require_POST
@never_cache
def reveal_item(request: HttpRequest, pk: int) -> HttpResponse:
    """A sampled case's phone and account in full, once a reason is given (and recorded)."""
    item = _item_for(request.user, pk)
    form = RevealForm(request.POST)
    context = {"form": form, "item": item,
               "base": "web/fragment.html" if is_htmx(request) else "web/base.html"}
    if not form.is_valid():
        return render(request, "web/console/oversight/reveal.html", context, status=400)
    try:
        context["case"] = findings.view_case(request.user, item.pk,
                                             reason=form.cleaned_data["reason"],
                                             ip=client_ip(request))
    except REFUSALS as error:
        form.add_error(None, str(error))
        return render(request, "web/console/oversight/reveal.html", context, status=400)
    return render(request, "web/console/oversight/reveal.html", context)


@staff_only(Role.AUDITOR)
@require_POST
def record_finding(request: HttpRequest, pk: int) -> HttpResponse:
    item = _item_for(request.user, pk)
    form = FindingForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else error)
    else:
        data = form.cleaned_data
        try:
            findings.record_finding(request.user, item.pk, outcome=data["outcome"],
                                    note=data["note"], improper_fen=data["improper_fen"] or 0)
        except REFUSALS as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("案件 %(pk)d 的抽查发现已记录。") % {"pk": item.case_id})
    return redirect("web:console-sample", pk=item.plan_id)


@staff_only(Role.AGENCY)
@require_POST
def claim_back(request: HttpRequest, pk: int) -> HttpResponse:
    """Turn an improper finding into a receivable (追回), due on the date given."""
    finding = (Finding.objects.select_related("item__case__unit", "item__plan")
               .filter(pk=pk, item__in=SampleItem.objects.visible_to(request.user)).first())
    if finding is None:
        raise Http404("finding")
    form = DueDateForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请填写缴回期限。"))
    else:
        try:
            receivable = findings.raise_receivable_for(finding, actor=request.user,
                                                       due_on=form.cleaned_data["due_on"])
        except REFUSALS as error:
            messages.error(request, str(error))
        else:
            messages.success(request, _("已生成应追回款 #%(pk)d。") % {"pk": receivable.pk})
    return redirect("web:console-sample", pk=finding.item.plan_id)
