"""Payments: budgets, the region's payment batches and their steps, bank and return files.

As in the console: agency, supervisor, finance, auditor and admin read budgets and batches
(accounts masked); finance allots budgets and approves a batch; those who pay (agency,
finance) build, cancel and export batches, download a batch's bank files — the service's
re-export, so the recorded bytes — and apply return files, which are checked whole: a bad file
is refused with every problem listed, and nothing changes. Every step is the console's
``payments.services`` call, which checks role, region, status and money again.
"""

from datetime import date, datetime
from typing import Literal

from django.conf import settings
from django.db.models import Count, Q
from django.http import FileResponse, HttpRequest
from ninja import Field, File, Query, Router, Schema, Status
from ninja.files import UploadedFile

from wengang.accounts.models import Role
from wengang.cases.models import Channel
from wengang.core.money import fen_to_yuan
from wengang.payments import services
from wengang.payments.errors import ReturnFileRejected
from wengang.payments.models import Budget, Payment, PaymentBatch
from wengang.web.access import in_region_of
from wengang.web.payments import (
    BANK_FILES,
    PAYERS,
    PAYMENT_VIEWERS,
    RETURN_FILE_MAX_BYTES,
)

from .auth import allow, user_of
from .errors import FileTooLarge, NotFound
from .models import Scope
from .pages import PageIn, page_of
from .schemas import ACTION_ERRORS, ERRORS, AmountFen, ErrorOut, ObjectId, Page, Text

router = Router(tags=["payments 拨付"])


class PaymentBatchOut(Schema):
    id: int
    program: str
    status: str
    status_label: str
    message_id: str
    paying_account_masked: str
    execution_date: date
    payment_count: int
    gross_fen: int
    total_fen: int
    total_yuan: str
    failed: int
    created_at: datetime
    approved_at: datetime | None
    exported_at: datetime | None
    csv_sha256: str
    xml_sha256: str


class PaymentBatchPage(Page):
    items: list[PaymentBatchOut]


class PaymentOut(Schema):
    sequence: int
    end_to_end_id: str
    case_id: int
    uscc: str
    unit_name: str
    account_masked: str
    gross_fen: int
    offset_fen: int
    amount_fen: int
    amount_yuan: str
    status: str
    failure_code: str
    failure_reason: str
    settled_at: datetime | None


class PaymentBatchDetailOut(PaymentBatchOut):
    payments: list[PaymentOut]


class ReturnReportOut(Schema):
    name: str
    sha256: str
    format: str
    already_applied: bool
    paid_count: int
    paid_fen: int
    failed_count: int
    failed_fen: int


class ReturnRejectedOut(ErrorOut):
    problems: list[str] = Field([], description="why the return file was refused, one a line")


def _batch(batch: PaymentBatch) -> dict:
    return {"id": batch.pk, "program": batch.program, "status": batch.status,
            "status_label": str(batch.get_status_display()), "message_id": batch.message_id,
            "paying_account_masked": str(batch.paying_account),
            "execution_date": batch.execution_date, "payment_count": batch.payment_count,
            "gross_fen": batch.gross_fen, "total_fen": batch.total_fen,
            "total_yuan": fen_to_yuan(batch.total_fen), "failed": batch.failed,
            "created_at": batch.created_at, "approved_at": batch.approved_at,
            "exported_at": batch.exported_at, "csv_sha256": batch.csv_sha256,
            "xml_sha256": batch.xml_sha256}


def _payment(payment: Payment) -> dict:
    return {"sequence": payment.sequence, "end_to_end_id": payment.end_to_end_id,
            "case_id": payment.case_id, "uscc": payment.unit.uscc if payment.unit_id else "",
            "unit_name": payment.payee_name_masked, "account_masked": payment.account_masked,
            "gross_fen": payment.gross_fen, "offset_fen": payment.offset_fen,
            "amount_fen": payment.amount_fen, "amount_yuan": fen_to_yuan(payment.amount_fen),
            "status": payment.status, "failure_code": payment.failure_code,
            "failure_reason": payment.failure_reason, "settled_at": payment.settled_at}


def _batches(request: HttpRequest):
    return PaymentBatch.objects.visible_to(user_of(request)).select_related(
        "paying_account", "budget").annotate(
        failed=Count("payments", filter=Q(payments__status=Payment.Status.FAILED)))


def _batch_for(request: HttpRequest, batch_id: int) -> PaymentBatch:
    batch = _batches(request).filter(pk=batch_id).first()
    if batch is None:
        raise NotFound("拨付批次", "payment batch")
    return batch


@router.get("/payments/batches", response={200: PaymentBatchPage, **ERRORS},
            operation_id="list_payment_batches", summary="Payment batches of your region")
@allow(*PAYMENT_VIEWERS, scope=Scope.PAYMENTS_READ)
def list_payment_batches(request: HttpRequest, paging: Query[PageIn]):
    return page_of(_batches(request).order_by("-id"), paging, _batch)


@router.get("/payments/batches/{batch_id}", response={200: PaymentBatchDetailOut, **ERRORS},
            operation_id="get_payment_batch",
            summary="A payment batch with its payments (accounts masked)")
@allow(*PAYMENT_VIEWERS, scope=Scope.PAYMENTS_READ)
def get_payment_batch(request: HttpRequest, batch_id: ObjectId):
    batch = _batch_for(request, batch_id)
    payments = batch.payments.select_related("unit", "person").order_by("sequence")
    return {**_batch(batch), "payments": [_payment(p) for p in payments]}


BANK_FILE_CONTENT = {"200": {"description": "the bank file, byte for byte as first exported",
                             "content": {media: {"schema": {"type": "string", "format": "binary"}}
                                         for media in ("text/csv", "application/xml")}}}


@router.get("/payments/batches/{batch_id}/files/{kind}", response={**ACTION_ERRORS},
            operation_id="download_bank_file", openapi_extra={"responses": BANK_FILE_CONTENT},
            summary="An exported batch's bank file (csv or pain001); full account numbers")
@allow(*PAYERS, scope=Scope.PAYMENTS_RECONCILE)
def download_bank_file(request: HttpRequest, batch_id: ObjectId,
                       kind: Literal["csv", "pain001"]):
    batch = _batch_for(request, batch_id)
    if batch.status not in (PaymentBatch.Status.EXPORTED, PaymentBatch.Status.RECONCILED):
        raise NotFound("已导出的银行文件", "exported bank file")
    done = services.export_batch(batch, actor=user_of(request),
                                 out_dir=settings.WENGANG_BANK_FILE_DIR)
    path = done.csv_path if kind == "csv" else done.xml_path
    return FileResponse(path.open("rb"), as_attachment=True, filename=path.name,
                        content_type=BANK_FILES[kind])


@router.post("/payments/returns", response={**ACTION_ERRORS, 200: ReturnReportOut,
                                            422: ReturnRejectedOut},
             operation_id="apply_return_file",
             summary="Apply a bank return file (CSV, pain.002, camt.054): all or nothing")
@allow(*PAYERS, scope=Scope.PAYMENTS_RECONCILE)
def apply_return_file(request: HttpRequest, file: File[UploadedFile]):
    if file.size > RETURN_FILE_MAX_BYTES:
        raise FileTooLarge("银行回单", "return file", file.size, RETURN_FILE_MAX_BYTES)
    try:
        report = services.apply_return(file.read(), name=file.name or "return",
                                       actor=user_of(request), channel=Channel.API)
    except ReturnFileRejected as refused:
        return Status(422, {"code": str(refused.code), "message_zh": refused.zh,
                            "message_en": refused.en, "problems": refused.problems})
    return {"name": report.name, "sha256": report.sha256, "format": report.format,
            "already_applied": report.already_applied, "paid_count": report.paid_count,
            "paid_fen": report.paid_fen, "failed_count": report.failed_count,
            "failed_fen": report.failed_fen}


# --- budgets and the steps of a batch (the console's payments desk) ------------------------

class BudgetOut(Schema):
    id: int
    region_code: str
    program: str
    year: int
    allocated_fen: int
    available_fen: int
    reserved_fen: int
    paid_fen: int
    receivable_fen: int
    written_off_fen: int
    available_yuan: str


class BudgetPage(Page):
    items: list[BudgetOut]


class AllocateIn(Schema):
    """Money allotted from the UI fund to your region's budget of a program and refund year
    (a new budget, or more for an existing one)."""

    program: Text(32, min_length=1, description="e.g. inclusive-2020")
    year: int = Field(ge=2000, le=2100, description="refund year")
    amount_fen: AmountFen
    note: Text(200, description="document number or note (文号)") = ""


class BuildIn(Schema):
    program: Text(32, min_length=1, description="e.g. inclusive-2020")


class BuildOut(Schema):
    batches: list[PaymentBatchOut]
    without_account: list[int] = Field(description="payable cases left out: no receiving "
                                                   "account on record (ask for an account change)")


class CancelIn(Schema):
    reason: Text(200, min_length=1)


class ExportOut(PaymentBatchOut):
    count: int
    exported_total_fen: int


def _budget(budget: Budget) -> dict:
    return {"id": budget.pk, "region_code": budget.region_code, "program": budget.program,
            "year": budget.year, "allocated_fen": budget.allocated_fen,
            "available_fen": budget.available_fen, "reserved_fen": budget.reserved_fen,
            "paid_fen": budget.paid_fen, "receivable_fen": budget.receivable_fen,
            "written_off_fen": budget.written_off_fen,
            "available_yuan": fen_to_yuan(budget.available_fen)}


def _reloaded(request: HttpRequest, batch: PaymentBatch) -> dict:
    return _batch(_batch_for(request, batch.pk))


@router.get("/payments/budgets", response={200: BudgetPage, **ERRORS},
            operation_id="list_budgets", summary="Fund budgets of your region, with the ledger's "
                                                 "totals")
@allow(*PAYMENT_VIEWERS, scope=Scope.PAYMENTS_READ)
def list_budgets(request: HttpRequest, paging: Query[PageIn]):
    budgets = in_region_of(user_of(request), Budget.objects.all())
    return page_of(budgets.order_by("-year", "program", "region_code", "id"), paging, _budget)


@router.post("/payments/budgets", response={200: BudgetOut, **ACTION_ERRORS},
             operation_id="allocate_budget",
             summary="Finance allots money to your region's budget (new, or an increase)")
@allow(Role.FINANCE, scope=Scope.PAYMENTS_MANAGE)
def allocate_budget(request: HttpRequest, body: AllocateIn):
    user = user_of(request)
    budget = services.allocate(region_code=user.region_code, program=body.program,
                               year=body.year, amount_fen=body.amount_fen, actor=user,
                               note=body.note)
    return _budget(budget)


@router.post("/payments/batches", response={200: BuildOut, **ACTION_ERRORS},
             operation_id="build_payment_batches",
             summary="Put your region's payable cases of a program into draft batches")
@allow(*PAYERS, scope=Scope.PAYMENTS_MANAGE)
def build_payment_batches(request: HttpRequest, body: BuildIn):
    user = user_of(request)
    result = services.build_batches(actor=user, region_code=user.region_code,
                                    program=body.program, channel=Channel.API)
    built = _batches(request).filter(pk__in=[b.pk for b in result.batches]).order_by("id")
    return {"batches": [_batch(batch) for batch in built],
            "without_account": result.without_account}


@router.post("/payments/batches/{batch_id}/approval", response={200: PaymentBatchOut,
                                                                **ACTION_ERRORS},
             operation_id="approve_payment_batch",
             summary="Finance approves a draft batch: its refunds are reserved from the budget")
@allow(Role.FINANCE, scope=Scope.PAYMENTS_MANAGE)
def approve_payment_batch(request: HttpRequest, batch_id: ObjectId):
    batch = _batch_for(request, batch_id)
    services.approve_batch(batch, actor=user_of(request))
    return _reloaded(request, batch)


@router.post("/payments/batches/{batch_id}/cancellation", response={200: PaymentBatchOut,
                                                                    **ACTION_ERRORS},
             operation_id="cancel_payment_batch",
             summary="Cancel a batch before export (reason required): its cases go back")
@allow(*PAYERS, scope=Scope.PAYMENTS_MANAGE)
def cancel_payment_batch(request: HttpRequest, batch_id: ObjectId, body: CancelIn):
    batch = _batch_for(request, batch_id)
    services.cancel_batch(batch, actor=user_of(request), reason=body.reason,
                          channel=Channel.API)
    return _reloaded(request, batch)


@router.post("/payments/batches/{batch_id}/export", response={200: ExportOut, **ACTION_ERRORS},
             operation_id="export_payment_batch",
             summary="Write an approved batch's bank files (again: the same bytes)")
@allow(*PAYERS, scope=Scope.PAYMENTS_MANAGE)
def export_payment_batch(request: HttpRequest, batch_id: ObjectId):
    batch = _batch_for(request, batch_id)
    done = services.export_batch(batch, actor=user_of(request),
                                 out_dir=settings.WENGANG_BANK_FILE_DIR, channel=Channel.API)
    return {**_reloaded(request, batch), "count": done.count, "exported_total_fen": done.total_fen}
