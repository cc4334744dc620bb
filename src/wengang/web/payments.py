"""Payments (拨付) in the staff console: budgets, payment batches and their bank files,
reconciliation of the bank's return files, failed payments, account changes, receivables and
their two-person write-offs (an officer proposes, finance decides).

Every step is a ``payments.services`` call, which checks role, region, status and money again;
the views only load what the user's region holds (404 otherwise), call one service and say what
happened. Bank files hold full account numbers: only those who pay (agency, finance) download
them, and a download is the service's re-export, which must give the recorded bytes.
"""

import io

import xlsxwriter
from django.conf import settings
from django.contrib import messages
from django.core.exceptions import PermissionDenied
from django.core.paginator import Paginator
from django.db.models import Count, Q, QuerySet, Sum
from django.http import FileResponse, Http404, HttpRequest, HttpResponse
from django.shortcuts import redirect, render
from django.utils.translation import gettext as _
from django.views.decorators.http import require_POST

from wengang.accounts.models import Role, User
from wengang.cases.errors import CaseError
from wengang.cases.models import Case, State
from wengang.core.clock import clock
from wengang.core.money import fen_to_yuan
from wengang.payments import services
from wengang.payments.errors import ReturnFileRejected
from wengang.payments.models import (
    AccountChange,
    Budget,
    Payment,
    PaymentBatch,
    Receivable,
    ReturnFile,
    WriteOffProposal,
)

from .access import XLSX, in_region_of, staff_only
from .display import program_name
from .forms import (
    AllocateForm,
    DecideAccountChangeForm,
    ProgramForm,
    ReasonForm,
    RepaymentForm,
    ReturnUploadForm,
    WriteOffDecisionForm,
    WriteOffProposalForm,
)

PAGE_SIZE = 50
RETURN_FILE_MAX_BYTES = 50 * 1024 * 1024
"""A return file for 100,000 payments is about 10 MB; anything far larger is not one."""
PROBLEMS_LISTED = 500

PAYMENT_VIEWERS = (Role.AGENCY, Role.SUPERVISOR, Role.FINANCE, Role.AUDITOR, Role.ADMIN)
PAYERS = (Role.AGENCY, Role.FINANCE)
"""Who builds, cancels and exports batches and applies return files (the workflow's roles for
payment steps); finance alone approves a batch and allots budgets, the agency alone verifies
account changes and records repayments."""
BANK_FILES = {"csv": "text/csv; charset=utf-8", "pain001": "application/xml"}


def _batch_for(user: User, pk: int) -> PaymentBatch:
    batch = (PaymentBatch.objects.visible_to(user).select_related("paying_account", "budget")
             .filter(pk=pk).first())
    if batch is None:
        raise Http404("payment batch")
    return batch


def _refused(request: HttpRequest, error: CaseError) -> None:
    messages.error(request, str(error))


def _form_refused(request: HttpRequest, form) -> None:
    """Each problem of a form that did not validate, as a message on the page it returns to."""
    for errors in form.errors.values():
        for error in errors:
            messages.error(request, error)


def budget_chart(budgets: list[Budget]) -> dict:
    """Paid, reserved and available per budget, in yuan (a chart is an edge: yuan there)."""
    def yuan(fen: int) -> float:
        return float(fen_to_yuan(fen))
    return {"labels": [f"{b.region_code} {program_name(b.program)} {b.year}" for b in budgets],
            "series": [{"name": str(name), "values": [yuan(getattr(b, field)) for b in budgets]}
                       for name, field in ((_("已拨付"), "paid_fen"), (_("已预留"), "reserved_fen"),
                                           (_("可用余额"), "available_fen"))]}


@staff_only(*PAYMENT_VIEWERS)
def home(request: HttpRequest) -> HttpResponse:
    """Budgets, what is payable, the batches: the finance officer's desk."""
    user = request.user
    cases = Case.objects.visible_to(user)
    payable = list(cases.payable().filter(amount_fen__gt=0).order_by().values("program")
                   .annotate(n=Count("pk"), total=Sum("amount_fen")).order_by("program"))
    listed = PaymentBatch.objects.visible_to(user).select_related(
        "paying_account", "budget").annotate(failed=Count("payments", filter=Q(
        payments__status=Payment.Status.FAILED))).order_by("-id")
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    budgets = list(in_region_of(user, Budget.objects.all()).order_by("-year", "program",
                                                                      "region_code"))
    return render(request, "web/console/payments/home.html", {
        "budgets": budgets, "chart": budget_chart(budgets),
        "payable": [{**row, "name": program_name(row["program"])} for row in payable],
        "failed": cases.in_state(State.PAYMENT_FAILED).count(),
        "page": page,
        "allocate_form": AllocateForm(initial={"year": clock.today().year}),
        "build_form": ProgramForm(),
        "can_pay": user.role in PAYERS, "can_allocate": user.role == Role.FINANCE,
        "pending_changes": AccountChange.objects.visible_to(user).filter(
            status=AccountChange.Status.PENDING).count(),
    })


@staff_only(Role.FINANCE)
@require_POST
def allocate(request: HttpRequest) -> HttpResponse:
    form = AllocateForm(request.POST)
    if not form.is_valid():
        for field, errors in form.errors.items():
            label = form.fields[field].label if field in form.fields else ""
            for error in errors:
                messages.error(request, f"{label}：{error}" if label else error)
        return redirect("web:console-payments")
    data = form.cleaned_data
    try:
        budget = services.allocate(region_code=request.user.region_code, program=data["program"],
                                   year=data["year"], amount_fen=data["amount_fen"],
                                   actor=request.user, note=data["note"])
    except CaseError as error:
        _refused(request, error)
    else:
        messages.success(request, _("已下达预算 %(amount)s 元，可用 %(available)s 元。") % {
            "amount": fen_to_yuan(data["amount_fen"], grouping=True),
            "available": fen_to_yuan(budget.available_fen, grouping=True)})
    return redirect("web:console-payments")


@staff_only(*PAYERS)
@require_POST
def build(request: HttpRequest) -> HttpResponse:
    form = ProgramForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择政策项目。"))
        return redirect("web:console-payments")
    try:
        result = services.build_batches(actor=request.user, region_code=request.user.region_code,
                                        program=form.cleaned_data["program"])
    except CaseError as error:
        _refused(request, error)
        return redirect("web:console-payments")
    messages.success(request, _("已生成 %(n)d 个拨付批次，共 %(count)d 笔。") % {
        "n": len(result.batches), "count": sum(b.payments.count() for b in result.batches)})
    if result.without_account:
        messages.error(request, _("%(n)d 件没有收款账户，未入批次（请企业申请账户变更）：案件 %(ids)s") % {
            "n": len(result.without_account),
            "ids": "、".join(str(pk) for pk in result.without_account[:50])})
    return redirect("web:console-payment-batch", pk=result.batches[0].pk) if result.batches \
        else redirect("web:console-payments")


@staff_only(*PAYMENT_VIEWERS)
def batch_detail(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request.user, pk)
    payments = batch.payments.select_related("unit", "person").order_by("sequence")
    page = Paginator(payments, 200).get_page(request.GET.get("page"))
    by_status = dict(batch.payments.order_by().values_list("status").annotate(n=Count("pk")))
    return render(request, "web/console/payments/batch.html", {
        "batch": batch, "program_name": program_name(batch.program), "page": page,
        "by_status": [(Payment.Status(s).label, by_status[s]) for s in Payment.Status.values
                      if s in by_status],
        "budget": batch.budget, "cancel_form": ReasonForm(),
        "role": request.user.role, "can_pay": request.user.role in PAYERS,
        "exported": batch.status in (PaymentBatch.Status.EXPORTED,
                                     PaymentBatch.Status.RECONCILED),
    })


@staff_only(Role.FINANCE)
@require_POST
def approve(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request.user, pk)
    try:
        services.approve_batch(batch, actor=request.user)
    except CaseError as error:
        _refused(request, error)  # BudgetExceeded names the shortfall
    else:
        messages.success(request, _("批次已审批，已从预算预留 %(amount)s 元。") % {
            "amount": fen_to_yuan(batch.gross_fen, grouping=True)})
    return redirect("web:console-payment-batch", pk=batch.pk)


@staff_only(*PAYERS)
@require_POST
def cancel(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request.user, pk)
    form = ReasonForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("撤销批次须填写理由。"))
        return redirect("web:console-payment-batch", pk=batch.pk)
    try:
        services.cancel_batch(batch, actor=request.user, reason=form.cleaned_data["reason"])
    except CaseError as error:
        _refused(request, error)
    else:
        messages.success(request, _("批次已撤销，案件已退回待拨付。"))
    return redirect("web:console-payment-batch", pk=batch.pk)


def _export(request: HttpRequest, batch: PaymentBatch):
    return services.export_batch(batch, actor=request.user, out_dir=settings.WENGANG_BANK_FILE_DIR)


@staff_only(*PAYERS)
@require_POST
def export(request: HttpRequest, pk: int) -> HttpResponse:
    batch = _batch_for(request.user, pk)
    try:
        done = _export(request, batch)
    except CaseError as error:
        _refused(request, error)
    else:
        messages.success(request, _("银行文件已生成：%(count)d 笔，合计 %(total)s 元。") % {
            "count": done.count, "total": fen_to_yuan(done.total_fen, grouping=True)})
    return redirect("web:console-payment-batch", pk=batch.pk)


@staff_only(*PAYERS)
def bank_file(request: HttpRequest, pk: int, kind: str) -> HttpResponse:
    """Download an exported batch's bank file: re-exported, so the bytes are the recorded ones."""
    batch = _batch_for(request.user, pk)
    if kind not in BANK_FILES or batch.status not in (PaymentBatch.Status.EXPORTED,
                                                      PaymentBatch.Status.RECONCILED):
        raise Http404("bank file")
    try:
        done = _export(request, batch)
    except CaseError as error:
        _refused(request, error)
        return redirect("web:console-payment-batch", pk=batch.pk)
    path = done.csv_path if kind == "csv" else done.xml_path
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name,
                        content_type=BANK_FILES[kind])


@staff_only(*PAYMENT_VIEWERS)
def returns(request: HttpRequest) -> HttpResponse:
    """Apply a bank return file and show what it did; a bad file is refused whole, listed."""
    user = request.user
    form = ReturnUploadForm(request.POST or None, request.FILES or None)
    report, rejected, status = None, None, 200
    if request.method == "POST":
        if user.role not in PAYERS:
            raise PermissionDenied("payers only")
        if form.is_valid():
            upload = form.cleaned_data["file"]
            if upload.size > RETURN_FILE_MAX_BYTES:
                form.add_error("file", _("文件过大（%(mb)d MB），不是银行回单。") % {
                    "mb": upload.size // (1024 * 1024)})
                status = 400
            else:
                try:
                    report = services.apply_return(upload.read(), name=upload.name, actor=user)
                except ReturnFileRejected as error:
                    rejected, status = error, 422
                except CaseError as error:
                    form.add_error("file", str(error))
                    status = 400
        else:
            status = 400
    applied = None
    if report and not report.already_applied:
        applied = ReturnFile.objects.filter(sha256=report.sha256).first()
    return render(request, "web/console/payments/returns.html", {
        "form": form, "report": report, "rejected": rejected, "can_pay": user.role in PAYERS,
        "problems": rejected.problems[:PROBLEMS_LISTED] if rejected else [],
        "failed": applied.payments.filter(status=Payment.Status.FAILED)
        .select_related("unit", "person").order_by("batch_id", "sequence") if applied else [],
        "files": ReturnFile.objects.filter(
            payments__batch__in=PaymentBatch.objects.visible_to(user)).distinct()
        .order_by("-applied_at", "-id")[:50],
    }, status=status)


def _failed_payments(user: User) -> QuerySet:
    return (Payment.objects.filter(batch__in=PaymentBatch.objects.visible_to(user),
                                   status=Payment.Status.FAILED)
            .select_related("unit", "person", "batch", "return_file").order_by("-settled_at", "-id"))


@staff_only(*PAYMENT_VIEWERS)
def failed(request: HttpRequest) -> HttpResponse:
    page = Paginator(_failed_payments(request.user), PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/console/payments/failed.html", {"page": page})


@staff_only(*PAYMENT_VIEWERS)
def failed_xlsx(request: HttpRequest) -> HttpResponse:
    """Failed payments for the call list: whom to ask for a new account. Accounts masked."""
    buffer = io.BytesIO()
    with xlsxwriter.Workbook(buffer, {"in_memory": True}) as workbook:
        sheet = workbook.add_worksheet("拨付失败")
        money = workbook.add_format({"num_format": "#,##0.00"})
        sheet.write_row(0, 0, ["案件", "单位名称", "统一社会信用代码", "联系电话", "收款账户", "付款金额（元）",
                               "失败代码", "失败原因", "退回日期", "拨付批次"])
        for row, payment in enumerate(_failed_payments(request.user).iterator(), start=1):
            # A trainee paid a training subsidy: masked name and ID number, as lists show them.
            sheet.write_row(row, 0, [payment.case_id, payment.payee_name_masked,
                                     payment.unit.uscc if payment.unit_id
                                     else payment.person.resident_id_masked,
                                     payment.payee.masked_phone, payment.account_masked])
            sheet.write_number(row, 5, float(fen_to_yuan(payment.amount_fen)), money)
            sheet.write_row(row, 6, [payment.failure_code, payment.failure_reason,
                                     f"{payment.settled_at:%Y-%m-%d}" if payment.settled_at else "",
                                     payment.batch_id])
    response = HttpResponse(buffer.getvalue(), content_type=XLSX)
    response["Content-Disposition"] = f'attachment; filename="failed-payments-{clock.today()}.xlsx"'
    return response


def _account_changes(user: User) -> QuerySet:
    return AccountChange.objects.visible_to(user).select_related("unit", "person", "requested_by",
                                                                 "decided_by")


@staff_only(*PAYMENT_VIEWERS)
def account_changes(request: HttpRequest) -> HttpResponse:
    listed = _account_changes(request.user).order_by("status", "-requested_at", "-id")
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/console/payments/account_changes.html", {
        "page": page, "form": DecideAccountChangeForm(), "today": clock.today(),
        "can_decide": request.user.role == Role.AGENCY})


@staff_only(Role.AGENCY)
@require_POST
def decide_account_change(request: HttpRequest, pk: int) -> HttpResponse:
    change = _account_changes(request.user).filter(pk=pk).first()
    if change is None:
        raise Http404("account change")
    form = DecideAccountChangeForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择核实结果并填写核实意见。"))
        return redirect("web:console-account-changes")
    try:
        services.decide_account_change(change, actor=request.user,
                                       approve=form.cleaned_data["outcome"] == "approve",
                                       note=form.cleaned_data["note"])
    except CaseError as error:
        _refused(request, error)
    else:
        messages.success(request, _("账户变更 #%(pk)d 已处理。") % {"pk": change.pk})
    return redirect("web:console-account-changes")


def _receivables(user: User) -> QuerySet:
    return Receivable.objects.visible_to(user).select_related("unit", "person", "case")


def _proposals(user: User) -> QuerySet:
    return WriteOffProposal.objects.visible_to(user).select_related(
        "receivable__unit", "receivable__person", "proposed_by", "decided_by")


@staff_only(*PAYMENT_VIEWERS)
def receivables(request: HttpRequest) -> HttpResponse:
    user = request.user
    pending = Q(write_off_proposals__status=WriteOffProposal.Status.PENDING)
    listed = _receivables(user).annotate(
        open_proposal=Count("write_off_proposals", filter=pending)).order_by("due_on", "id")
    page = Paginator(listed, PAGE_SIZE).get_page(request.GET.get("page"))
    return render(request, "web/console/payments/receivables.html", {
        "page": page, "form": RepaymentForm(), "today": clock.today(),
        "can_record": user.role == Role.AGENCY, "can_decide": user.role == Role.FINANCE,
        "pending": _proposals(user).filter(status=WriteOffProposal.Status.PENDING)
        .order_by("proposed_at", "id"),
        "decided": _proposals(user).exclude(status=WriteOffProposal.Status.PENDING)
        .order_by("-decided_at", "-id")[:20],
    })


@staff_only(Role.AGENCY)
@require_POST
def repay(request: HttpRequest, pk: int) -> HttpResponse:
    receivable = _receivables(request.user).filter(pk=pk).first()
    if receivable is None:
        raise Http404("receivable")
    form = RepaymentForm(request.POST)
    if not form.is_valid():
        _form_refused(request, form)
        return redirect("web:console-receivables")
    try:
        services.record_repayment(receivable, actor=request.user,
                                  amount_fen=form.cleaned_data["amount_fen"],
                                  reference=form.cleaned_data["reference"])
    except CaseError as error:
        _refused(request, error)
    else:
        messages.success(request, _("已登记缴回 %(amount)s 元。") % {
            "amount": fen_to_yuan(form.cleaned_data["amount_fen"], grouping=True)})
    return redirect("web:console-receivables")


@staff_only(Role.AGENCY)
@require_POST
def propose_write_off(request: HttpRequest, pk: int) -> HttpResponse:
    receivable = _receivables(request.user).filter(pk=pk).first()
    if receivable is None:
        raise Http404("receivable")
    form = WriteOffProposalForm(request.POST)
    if not form.is_valid():
        _form_refused(request, form)
        return redirect("web:console-receivables")
    try:
        proposal = services.propose_write_off(receivable, actor=request.user,
                                              amount_fen=form.cleaned_data["amount_fen"],
                                              reason=form.cleaned_data["reason"])
    except CaseError as error:
        _refused(request, error)
    else:
        messages.success(request, _("已申请核销 %(amount)s 元（申请 #%(pk)d），待财政批准。") % {
            "amount": fen_to_yuan(proposal.amount_fen, grouping=True), "pk": proposal.pk})
    return redirect("web:console-receivables")


@staff_only(Role.FINANCE)
@require_POST
def decide_write_off(request: HttpRequest, pk: int) -> HttpResponse:
    proposal = _proposals(request.user).filter(pk=pk).first()
    if proposal is None:
        raise Http404("write-off proposal")
    form = WriteOffDecisionForm(request.POST)
    if not form.is_valid():
        messages.error(request, _("请选择批准或驳回；驳回须填写理由。"))
        return redirect("web:console-receivables")
    note = form.cleaned_data["note"]
    try:
        if form.cleaned_data["outcome"] == "approve":
            services.approve_write_off(proposal, actor=request.user, note=note)
        else:
            services.reject_write_off(proposal, actor=request.user, reason=note)
    except CaseError as error:
        _refused(request, error)
    else:
        messages.success(request, _("核销申请 #%(pk)d 已处理。") % {"pk": proposal.pk})
    return redirect("web:console-receivables")
