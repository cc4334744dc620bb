"""What the API says, as typed schemas (they make the OpenAPI document).

Money is integer fen (``amount_fen``) with the yuan text beside it (``amount_yuan``) for people;
personal data is masked (``contact_phone_masked``, ``account_masked``): the full values are
shown only on the console's case page, against a reason that is recorded.
"""

from datetime import date, datetime
from typing import Annotated, Any

from ninja import Field, Schema

from wengang.cases.models import Case, CaseEvent, Size, State
from wengang.core.money import fen_to_yuan
from wengang.web.display import explanation_reasons, program_name


class ErrorOut(Schema):
    """Every refusal: a stable code, the message in Chinese and in English."""

    code: str
    message_zh: str
    message_en: str
    detail: list[Any] | None = Field(None, description="the invalid request fields, if any")


ObjectId = Annotated[int, Field(ge=1, le=2**63 - 1)]
"""A row id: a positive 64-bit integer (larger numbers are refused, not sent to the database)."""

NO_NUL = r"^[^\x00]*$"
"""Text that a database can store: PostgreSQL refuses the NUL character in text."""


def Text(max_length: int, *, min_length: int = 0, description: str | None = None):
    """A free-text field of at most ``max_length`` characters (a reason, a note, a reference)."""
    # Required text must say something: blanks alone are no reason.
    pattern = NO_NUL if not min_length else r"^[^\x00]*[^\x00\s][^\x00]*$"
    return Annotated[str, Field(min_length=min_length, max_length=max_length, pattern=pattern,
                                description=description)]


AmountFen = Annotated[int, Field(ge=1, le=10**14, description="money in fen (分), above zero")]
"""An amount entered by a person, in integer fen: more than a trillion yuan is a typing slip."""

ERRORS = {401: ErrorOut, 403: ErrorOut, 404: ErrorOut, 422: ErrorOut}
"""The refusals every authenticated operation may answer with."""
ACTION_ERRORS = {**ERRORS, 400: ErrorOut, 409: ErrorOut}
"""… and an action: a request the domain refuses (400) or a state that does not allow it (409)."""


class CaseFilters(Schema):
    region: str | None = Field(None, pattern=r"^[0-9]{6}$", description="GB/T 2260 code")
    program: str | None = Field(None, max_length=32, description="e.g. inclusive-2020")
    state: State | None = None
    size: Size | None = None
    industry: str | None = Field(None, pattern=r"^[0-9]{2}([0-9]{2})?$",
                                 description="GB/T 4754 division (2 digits) or class (4 digits)")
    priority: bool = Field(False, description="only priority (绿色通道) cases")
    risk: bool = Field(False, description="only cases with a risk flag")
    due_by: date | None = Field(None, description="application deadline on or before this day")


class CaseOut(Schema):
    id: int
    uscc: str
    unit_name: str
    region_code: str
    program: str
    program_name: str
    refund_year: int
    state: str
    state_label: str
    route: str
    size: str
    priority: bool
    amount_fen: int
    amount_yuan: str
    apply_by: date | None
    risk_flags: list[str]
    contact_phone_masked: str
    account_masked: str
    updated_at: datetime

    @staticmethod
    def of(case: Case) -> dict:
        return {
            # A person's case (training subsidy): no USCC, the name masked as in lists.
            "id": case.pk, "uscc": case.unit.uscc if case.unit_id else "",
            "unit_name": case.beneficiary_name_masked,
            "region_code": case.beneficiary_region_code, "program": case.program,
            "program_name": program_name(case.program), "refund_year": case.refund_year,
            "state": case.state, "state_label": str(case.get_state_display()),
            "route": case.route, "size": case.size, "priority": case.priority,
            "amount_fen": case.amount_fen, "amount_yuan": fen_to_yuan(case.amount_fen),
            "apply_by": case.apply_by, "risk_flags": case.risk_flags,
            "contact_phone_masked": case.beneficiary.masked_phone,
            "account_masked": case.account_masked,
            "updated_at": case.updated_at,
        }


class Page(Schema):
    count: int = Field(description="rows in all, on every page")
    page: int
    page_size: int


class CasePage(Page):
    items: list[CaseOut]


class ReasonOut(Schema):
    text: str
    passed: bool


class EventOut(Schema):
    at: datetime
    action: str
    action_label: str
    reason: str
    state_before: str | None = Field(None, description="staff only")
    state_after: str | None = Field(None, description="staff only")
    actor: str | None = Field(None, description="staff only: who acted")
    channel: str | None = Field(None, description="staff only")

    @staticmethod
    def of(event: CaseEvent, *, staff: bool) -> dict:
        # An enterprise sees what its portal shows: when, what and why, not who inside.
        shown = {"at": event.at, "action": event.action,
                 "action_label": str(event.get_action_display()),
                 "reason": "" if event.action == "opened" and not staff else event.reason}
        if staff:
            shown.update(state_before=event.state_before or None, state_after=event.state_after,
                         actor=event.actor.username if event.actor else event.actor_label,
                         channel=event.channel)
        return shown


class CaseDetailOut(CaseOut):
    explanation: str
    reasons: list[ReasonOut]
    failed_rules: list[str]
    insured: int | None
    layoff_rate: str | None
    approved_on: date | None
    payable_on: date | None
    closed_reason: str
    events: list[EventOut]

    @staticmethod
    def of(case: Case, events: list[CaseEvent], *, staff: bool) -> dict:
        return {
            **CaseOut.of(case), "explanation": case.explanation,
            "reasons": [{"text": r.text, "passed": r.passed} for r in explanation_reasons(case)],
            "failed_rules": case.failed_rules, "insured": case.insured,
            "layoff_rate": None if case.layoff_rate is None else str(case.layoff_rate),
            "approved_on": case.approved_on, "payable_on": case.payable_on,
            "closed_reason": case.closed_reason,
            "events": [EventOut.of(event, staff=staff) for event in events],
        }


class TaskOut(Schema):
    id: int
    batch_id: int
    department: str
    status: str
    due_on: date
    overdue: bool
    decided_at: datetime | None
    note: str


class ReviewBatchOut(Schema):
    id: int
    region_code: str
    program: str
    priority: bool
    departments: list[str]
    opened_on: date
    due_on: date
    status: str
    cases: int
    tasks: list[TaskOut]


class ReviewBatchPage(Page):
    items: list[ReviewBatchOut]


class ReviewCaseOut(Schema):
    """A case as a reviewing department needs it: the unit and the decision, nothing personal."""

    id: int
    uscc: str
    unit_name: str
    region_code: str
    size: str
    amount_fen: int
    amount_yuan: str
    objection: str | None = Field(None, description="this department's objection, if any")


class ReviewTaskDetailOut(TaskOut):
    program: str
    region_code: str
    cases: list[ReviewCaseOut]


class DecisionIn(Schema):
    """Agree to the whole batch (``objections`` empty), or object to named cases with reasons."""

    objections: dict[ObjectId, Annotated[str, Field(max_length=2000)]] = Field(
        default_factory=dict,
                                       description="case id → reason (each reason required)")
    note: str = Field("", max_length=2000)


class PublicityBatchOut(Schema):
    id: int
    region_code: str
    program: str
    start_on: date
    end_on: date
    workdays: int
    status: str
    cases: int
    open_objections: int


class PublicityBatchPage(Page):
    items: list[PublicityBatchOut]


class PublicItemOut(Schema):
    """A line of the published list: what the public page shows, no more."""

    case_id: int
    unit_name: str
    uscc: str
    program: str
    program_name: str
    amount_fen: int
    amount_yuan: str
    start_on: date
    end_on: date


class PublicItemPage(Page):
    items: list[PublicItemOut]


class ScreeningRunOut(Schema):
    id: int
    as_of: date
    region_code: str
    programs: list[str]
    snapshot_id: str
    code_version: str
    screened_at: datetime
    rows: int
    single_unit: bool
    loaded_at: datetime | None


class ScreeningRunPage(Page):
    items: list[ScreeningRunOut]


class SummaryRow(Schema):
    program: str
    size: str
    route: str
    state: str
    cases: int
    amount_fen: int


class ScreeningSummaryOut(ScreeningRunOut):
    load: dict[str, Any] = Field(description="what loading the run did (counts)")
    cases: list[SummaryRow] = Field(description="cases now decided by this run, in your region")


class ProblemOut(Schema):
    file: str | None
    row: int | None
    column: str | None
    value: str | None
    code: str
    reason_zh: str
    reason_en: str


class FeedPushOut(Schema):
    id: int
    feed: str
    file_name: str
    outcome: str
    problems: int
    snapshot_id: str = Field(description="the snapshot imported, when the set is complete")
    waiting_for: list[str] = Field(description="required feeds the region's set still lacks")
    at: datetime


class FeedReportOut(ErrorOut):
    """A refused push: ``feed_set_invalid`` lists the file's problems in both languages (nothing
    was kept); ``invalid_request`` names the missing or malformed form fields in ``detail``."""

    push_id: int | None = Field(None, description="the record of the refused push")
    problems: int = Field(0, description="problems in all (the first 1,000 are listed)")
    listed: list[ProblemOut] = Field(default_factory=list)
