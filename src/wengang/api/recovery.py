"""Account changes, receivables (追回) and write-offs (核销): the console's second pages of
payments, with the same rules.

Everyone who reads payments sees them (accounts masked); the agency verifies account changes
(not one's own request, not before the cooling-off ends), records repayments and proposes
write-offs; finance approves or rejects a write-off (not one's own proposal). The services
(``payments.services``) check role, region, status and money again; the querysets are the
console's, so both show the same rows.
"""

from datetime import date, datetime
from typing import Literal

from django.db.models import Count, Q
from django.http import HttpRequest
from ninja import Query, Router, Schema

from wengang.accounts.models import Role
from wengang.cases.models import Channel
from wengang.core.money import fen_to_yuan
from wengang.payments import services
from wengang.payments.models import AccountChange, Receivable, WriteOffProposal
from wengang.web.payments import PAYMENT_VIEWERS

from .auth import allow, user_of
from .errors import NotFound
from .models import Scope
from .pages import PageIn, page_of
from .schemas import ACTION_ERRORS, ERRORS, AmountFen, ObjectId, Page, Text

router = Router(tags=["recovery 账户变更与追回"])


class AccountChangeOut(Schema):
    id: int
    uscc: str
    unit_name: str
    account_masked: str
    bank_name: str
    holder_name: str
    status: str
    status_label: str
    requested_at: datetime
    requested_by: str
    channel: str
    verifiable_from: date
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str


class AccountChangePage(Page):
    items: list[AccountChangeOut]


class AccountChangeFilters(Schema):
    status: AccountChange.Status | None = None


class AccountChangeDecisionIn(Schema):
    outcome: Literal["approve", "reject"]
    note: Text(200, min_length=1, description="how it was verified, e.g. 已电话联系法定代表人确认")


class ReceivableOut(Schema):
    id: int
    uscc: str
    unit_name: str
    case_id: int
    source: str
    source_label: str
    reason: str
    amount_fen: int
    settled_fen: int
    earmarked_fen: int
    outstanding_fen: int
    outstanding_yuan: str
    due_on: date
    raised_at: datetime
    open_proposal: bool


class ReceivablePage(Page):
    items: list[ReceivableOut]


class RepaymentIn(Schema):
    amount_fen: AmountFen
    reference: Text(200, min_length=1, description="the bank slip's number (缴款凭证号)")


class RepaymentOut(Schema):
    receivable: ReceivableOut
    entry_id: int
    amount_fen: int


class WriteOffProposalIn(Schema):
    amount_fen: AmountFen
    reason: Text(2000, min_length=1)


class WriteOffOut(Schema):
    id: int
    receivable_id: int
    uscc: str
    unit_name: str
    amount_fen: int
    amount_yuan: str
    reason: str
    status: str
    status_label: str
    proposed_at: datetime
    proposed_by: str
    decided_at: datetime | None
    decided_by: str | None
    decision_note: str


class WriteOffPage(Page):
    items: list[WriteOffOut]


class WriteOffFilters(Schema):
    status: WriteOffProposal.Status | None = None


class WriteOffDecisionIn(Schema):
    outcome: Literal["approve", "reject"]
    note: Text(200, description="approval note; the reason, required to reject") = ""


def _name(user) -> str | None:
    return user.username if user else None


def _change(change: AccountChange) -> dict:
    # A person's change (training subsidy): no USCC, the name masked as in every list.
    return {"id": change.pk, "uscc": change.unit.uscc if change.unit_id else "",
            "unit_name": change.payee_name_masked,
            "account_masked": change.account_masked, "bank_name": change.bank_name,
            "holder_name": change.holder_name_masked, "status": change.status,
            "status_label": str(change.get_status_display()),
            "requested_at": change.requested_at, "requested_by": change.requested_by.username,
            "channel": change.channel, "verifiable_from": change.verifiable_from,
            "decided_at": change.decided_at, "decided_by": _name(change.decided_by),
            "decision_note": change.decision_note}


def _receivable(receivable: Receivable) -> dict:
    # A person's receivable (training subsidy): no USCC, the name masked as in every list.
    return {"id": receivable.pk, "uscc": receivable.unit.uscc if receivable.unit_id else "",
            "unit_name": receivable.debtor_name_masked,
            "case_id": receivable.case_id, "source": receivable.source,
            "source_label": str(receivable.get_source_display()), "reason": receivable.reason,
            "amount_fen": receivable.amount_fen, "settled_fen": receivable.settled_fen,
            "earmarked_fen": receivable.earmarked_fen,
            "outstanding_fen": receivable.outstanding_fen,
            "outstanding_yuan": fen_to_yuan(receivable.outstanding_fen),
            "due_on": receivable.due_on, "raised_at": receivable.raised_at,
            "open_proposal": bool(receivable.open_proposal)}


def _proposal(proposal: WriteOffProposal) -> dict:
    receivable = proposal.receivable
    return {"id": proposal.pk, "receivable_id": proposal.receivable_id,
            "uscc": receivable.unit.uscc if receivable.unit_id else "",
            "unit_name": receivable.debtor_name_masked, "amount_fen": proposal.amount_fen,
            "amount_yuan": fen_to_yuan(proposal.amount_fen), "reason": proposal.reason,
            "status": proposal.status, "status_label": str(proposal.get_status_display()),
            "proposed_at": proposal.proposed_at, "proposed_by": proposal.proposed_by.username,
            "decided_at": proposal.decided_at, "decided_by": _name(proposal.decided_by),
            "decision_note": proposal.decision_note}


def _account_changes(user):
    return AccountChange.objects.visible_to(user).select_related("unit", "person", "requested_by",
                                                                 "decided_by")


def _proposals(user):
    return WriteOffProposal.objects.visible_to(user).select_related(
        "receivable__unit", "receivable__person", "proposed_by", "decided_by")


def _listed_receivables(request: HttpRequest):
    pending = Q(write_off_proposals__status=WriteOffProposal.Status.PENDING)
    return Receivable.objects.visible_to(user_of(request)).select_related(
        "unit", "person", "case").annotate(
        open_proposal=Count("write_off_proposals", filter=pending))


def _receivable_for(request: HttpRequest, receivable_id: int) -> Receivable:
    receivable = _listed_receivables(request).filter(pk=receivable_id).first()
    if receivable is None:
        raise NotFound("应追回款", "receivable")
    return receivable


@router.get("/payments/account-changes", response={200: AccountChangePage, **ERRORS},
            operation_id="list_account_changes",
            summary="Requested changes of receiving accounts in your region (accounts masked)")
@allow(*PAYMENT_VIEWERS, scope=Scope.PAYMENTS_READ)
def list_account_changes(request: HttpRequest, filters: Query[AccountChangeFilters],
                         paging: Query[PageIn]):
    changes = _account_changes(user_of(request))
    if filters.status:
        changes = changes.filter(status=filters.status)
    return page_of(changes.order_by("status", "-requested_at", "-id"), paging, _change)


@router.post("/payments/account-changes/{change_id}/decision",
             response={200: AccountChangeOut, **ACTION_ERRORS},
             operation_id="decide_account_change",
             summary="Verify or refuse an account change (agency; not your own request, not "
                     "before the cooling-off ends)")
@allow(Role.AGENCY, scope=Scope.PAYMENTS_MANAGE)
def decide_account_change(request: HttpRequest, change_id: ObjectId,
                          body: AccountChangeDecisionIn):
    change = _account_changes(user_of(request)).filter(pk=change_id).first()
    if change is None:
        raise NotFound("账户变更", "account change")
    services.decide_account_change(change, actor=user_of(request),
                                   approve=body.outcome == "approve", note=body.note,
                                   channel=Channel.API)
    return _change(_account_changes(user_of(request)).get(pk=change.pk))


@router.get("/payments/receivables", response={200: ReceivablePage, **ERRORS},
            operation_id="list_receivables",
            summary="Money units of your region must pay back (追回), earliest due first")
@allow(*PAYMENT_VIEWERS, scope=Scope.PAYMENTS_READ)
def list_receivables(request: HttpRequest, paging: Query[PageIn]):
    return page_of(_listed_receivables(request).order_by("due_on", "id"), paging, _receivable)


@router.post("/payments/receivables/{receivable_id}/repayments",
             response={200: RepaymentOut, **ACTION_ERRORS}, operation_id="record_repayment",
             summary="Record money a unit paid back (agency): it returns to the budget")
@allow(Role.AGENCY, scope=Scope.PAYMENTS_MANAGE)
def record_repayment(request: HttpRequest, receivable_id: ObjectId, body: RepaymentIn):
    receivable = _receivable_for(request, receivable_id)
    entry = services.record_repayment(receivable, actor=user_of(request),
                                      amount_fen=body.amount_fen, reference=body.reference)
    return {"receivable": _receivable(_receivable_for(request, receivable.pk)),
            "entry_id": entry.pk, "amount_fen": entry.amount_fen}


@router.post("/payments/receivables/{receivable_id}/write-off-proposals",
             response={200: WriteOffOut, **ACTION_ERRORS}, operation_id="propose_write_off",
             summary="Propose writing off what is still owed (agency); finance decides")
@allow(Role.AGENCY, scope=Scope.PAYMENTS_MANAGE)
def propose_write_off(request: HttpRequest, receivable_id: ObjectId, body: WriteOffProposalIn):
    receivable = _receivable_for(request, receivable_id)
    proposal = services.propose_write_off(receivable, actor=user_of(request),
                                          amount_fen=body.amount_fen, reason=body.reason)
    return _proposal(_proposals(user_of(request)).get(pk=proposal.pk))


@router.get("/payments/write-offs", response={200: WriteOffPage, **ERRORS},
            operation_id="list_write_offs",
            summary="Write-off proposals of your region, pending first")
@allow(*PAYMENT_VIEWERS, scope=Scope.PAYMENTS_READ)
def list_write_offs(request: HttpRequest, filters: Query[WriteOffFilters],
                    paging: Query[PageIn]):
    proposals = _proposals(user_of(request))
    if filters.status:
        proposals = proposals.filter(status=filters.status)
    return page_of(proposals.order_by("status", "proposed_at", "id"), paging, _proposal)


@router.post("/payments/write-offs/{proposal_id}/decision",
             response={200: WriteOffOut, **ACTION_ERRORS}, operation_id="decide_write_off",
             summary="Approve or reject a write-off (finance, not the proposer; a rejection "
                     "needs its reason)")
@allow(Role.FINANCE, scope=Scope.PAYMENTS_MANAGE)
def decide_write_off(request: HttpRequest, proposal_id: ObjectId, body: WriteOffDecisionIn):
    user = user_of(request)
    proposal = _proposals(user).filter(pk=proposal_id).first()
    if proposal is None:
        raise NotFound("核销申请", "write-off proposal")
    if body.outcome == "approve":
        services.approve_write_off(proposal, actor=user, note=body.note)
    else:
        services.reject_write_off(proposal, actor=user, reason=body.note)
    return _proposal(_proposals(user).get(pk=proposal.pk))
