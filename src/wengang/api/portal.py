"""The enterprise's side: its inbox, late claims, and confirming a case with the commitment
letter — by the enterprise itself (its session), or recorded by an officer or service officer
for an enterprise met in person (``channel=assisted``, the letter read out)."""

from datetime import date, datetime
from typing import Literal

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from wengang.accounts.models import Role
from wengang.cases import services
from wengang.cases.models import Case, Channel, LateClaim
from wengang.cases.workflow import IN_PERSON
from wengang.core.clock import clock
from wengang.web.access import CONSOLE_ROLES
from wengang.web.display import commitment_text_for
from wengang.web.inbox import inbox_for, own_unit

from .auth import allow, user_of
from .errors import NotFound
from .models import Scope
from .pages import PageIn, page_of
from .schemas import ACTION_ERRORS, ERRORS, CaseDetailOut, ObjectId, Page

router = Router(tags=["portal 企业"])


class NoticeOut(Schema):
    id: int
    topic: str
    topic_label: str
    channel: str
    case_id: int
    text: str
    amount_fen: int
    due_on: date | None
    created_at: datetime
    read: bool


class NoticePage(Page):
    items: list[NoticeOut]


class LateClaimOut(Schema):
    id: int
    uscc: str
    program: str
    refund_year: int
    region_code: str
    status: str
    status_label: str
    filed_at: datetime
    case_id: int | None


class LateClaimPage(Page):
    items: list[LateClaimOut]


class CommitmentLetterOut(Schema):
    version: str
    title: str
    text: str
    sha256: str = Field(description="send it back as letter_sha256 when confirming")
    valid_from: date


class ConfirmationIn(Schema):
    insured: int = Field(ge=0, le=10_000_000, description="insured headcount confirmed")
    signatory_name: str = Field(min_length=1, max_length=64)
    amount_fen: int = Field(ge=0, le=10**14, description="the amount shown, in fen")
    version: int = Field(ge=1, le=2**31, description="the case version shown")
    agree: Literal[True] = Field(description="the commitment letter is accepted")
    read_out: bool = Field(False, description="assisted: the letter was read out to the unit")
    letter_sha256: str | None = Field(
        None, pattern=r"^[0-9a-f]{64}$",
        description="the SHA-256 of the letter shown (get_commitment_letter): a letter changed "
                    "since is refused (409 facts_changed); without it, the letter in force is "
                    "signed")


def _notice(notice) -> dict:
    return {"id": notice.pk, "topic": notice.topic, "topic_label": str(notice.get_topic_display()),
            "channel": notice.channel, "case_id": notice.case_id, "text": notice.text,
            "amount_fen": notice.amount_fen, "due_on": notice.due_on, "created_at": notice.created_at,
            "read": notice.read}


def _claim(claim: LateClaim) -> dict:
    return {"id": claim.pk, "uscc": claim.uscc, "program": claim.program,
            "refund_year": claim.refund_year, "region_code": claim.region_code,
            "status": claim.status, "status_label": str(claim.get_status_display()),
            "filed_at": claim.filed_at, "case_id": claim.case_id}


@router.get("/inbox", response={200: NoticePage, **ERRORS}, operation_id="list_inbox",
            summary="Your unit's messages, newest first, with read or unread")
@allow(Role.ENTERPRISE, scope=Scope.CASES_READ)
def list_inbox(request: HttpRequest, paging: Query[PageIn]):
    return page_of(inbox_for(own_unit(user_of(request))), paging, _notice)


@router.get("/late-claims", response={200: LateClaimPage, **ERRORS},
            operation_id="list_late_claims",
            summary="Late claims (补报): an enterprise's own; staff: their region's")
@allow(*CONSOLE_ROLES, Role.ENTERPRISE, scope=Scope.CASES_READ)
def list_late_claims(request: HttpRequest, paging: Query[PageIn]):
    claims = LateClaim.objects.visible_to(user_of(request)).order_by("-filed_at", "-id")
    return page_of(claims, paging, _claim)


def _case_and_letter(user, case_id: int):
    case = Case.objects.visible_to(user).select_related("unit").filter(pk=case_id).first()
    if case is None:
        raise NotFound("案件", "case")
    letter = commitment_text_for(case, clock.today())
    if letter is None:
        raise NotFound("适用的承诺书", "commitment letter in force")
    return case, letter


@router.get("/cases/{case_id}/commitment-letter", response={200: CommitmentLetterOut, **ERRORS},
            operation_id="get_commitment_letter",
            summary="The commitment letter in force for the case, to show before confirming")
@allow(Role.ENTERPRISE, *IN_PERSON, scope=Scope.CASES_READ)
def get_commitment_letter(request: HttpRequest, case_id: ObjectId):
    _case, letter = _case_and_letter(user_of(request), case_id)
    return letter


@router.post("/cases/{case_id}/confirmation", response={200: CaseDetailOut, **ACTION_ERRORS},
             operation_id="confirm_case",
             summary="Confirm the facts and accept the commitment letter (enterprise, or "
                     "assisted in person)")
@allow(Role.ENTERPRISE, *IN_PERSON, scope=Scope.CASES_CONFIRM)
def confirm_case(request: HttpRequest, case_id: ObjectId, confirmation: ConfirmationIn):
    user = user_of(request)
    case, letter = _case_and_letter(user, case_id)
    case.version = confirmation.version  # the version shown: a change since is a conflict
    assisted = user.role != Role.ENTERPRISE
    services.apply(case, actor=user, commitment_text=letter, origin=request.META.get(
        "REMOTE_ADDR") or "", channel=Channel.ASSISTED if assisted else Channel.ONLINE,
        read_out=confirmation.read_out,
        confirmation=services.Confirmation(size=case.size, insured=confirmation.insured,
                                           amount_fen=confirmation.amount_fen,
                                           signatory_name=confirmation.signatory_name,
                                           letter_sha256=confirmation.letter_sha256 or ""))
    case.refresh_from_db()
    return CaseDetailOut.of(case, services.timeline(case), staff=assisted)
