"""What the console does to cases: hold for a risk check, release, withdraw, and the queue's
bulk actions — each the console's ``cases.services`` call, which checks role, region and
state again.

The agency's deciders (agency, supervisor) act, on cases of their region; a reason is required
and recorded. A bulk action names its cases: one the caller may not see refuses the whole
request (404, nothing done); otherwise each case succeeds or is refused on its own, and the
answer says which, as the console's page does.
"""

from typing import Literal

from django.http import HttpRequest
from ninja import Field, Router, Schema

from wengang.cases import services
from wengang.cases.errors import CaseError, ReasonRequired
from wengang.cases.models import Case, Channel
from wengang.web.access import DECIDER_ROLES

from .auth import allow, user_of
from .errors import NotFound
from .models import Scope
from .schemas import ACTION_ERRORS, CaseDetailOut, ObjectId, Text

router = Router(tags=["cases 案件"])
BULK_MAX = 500
"""Cases in one bulk request: the queue's largest page."""


class ReasonIn(Schema):
    reason: Text(500, min_length=1)


class BulkIn(Schema):
    action: Literal["open_review", "hold", "release"]
    case_ids: list[ObjectId] = Field(min_length=1, max_length=BULK_MAX)
    reason: Text(500, description="required to hold or release") = ""


class RefusedOut(Schema):
    case_ids: list[int]
    code: str
    message_zh: str
    message_en: str


class BulkOut(Schema):
    selected: int
    done: int = Field(description="cases acted on (sent to review, held or released)")
    refused: list[RefusedOut] = Field(description="what was refused, and why")


def _case_for(request: HttpRequest, case_id: int) -> Case:
    case = Case.objects.visible_to(user_of(request)).select_related("unit", "person").filter(
        pk=case_id).first()
    if case is None:
        raise NotFound("案件", "case")
    return case


def _shown(case: Case) -> dict:
    case.refresh_from_db()
    return CaseDetailOut.of(case, services.timeline(case), staff=True)


def _refusal(case_ids: list[int], error: CaseError) -> dict:
    return {"case_ids": case_ids, "code": str(error.code), "message_zh": error.zh,
            "message_en": error.en}


@router.post("/cases/{case_id}/hold", response={200: CaseDetailOut, **ACTION_ERRORS},
             operation_id="hold_case", summary="Hold a case for a risk check (reason required)")
@allow(*DECIDER_ROLES, scope=Scope.CASES_DECIDE)
def hold_case(request: HttpRequest, case_id: ObjectId, body: ReasonIn):
    case = _case_for(request, case_id)
    services.hold(case, actor=user_of(request), reason=body.reason, channel=Channel.API)
    return _shown(case)


@router.post("/cases/{case_id}/release", response={200: CaseDetailOut, **ACTION_ERRORS},
             operation_id="release_case",
             summary="Release a held case: it goes back where it was (reason required)")
@allow(*DECIDER_ROLES, scope=Scope.CASES_DECIDE)
def release_case(request: HttpRequest, case_id: ObjectId, body: ReasonIn):
    case = _case_for(request, case_id)
    services.release(case, actor=user_of(request), reason=body.reason, channel=Channel.API)
    return _shown(case)


@router.post("/cases/{case_id}/withdrawal", response={200: CaseDetailOut, **ACTION_ERRORS},
             operation_id="withdraw_case",
             summary="Close a case before payment, for the agency (reason required)")
@allow(*DECIDER_ROLES, scope=Scope.CASES_DECIDE)
def withdraw_case(request: HttpRequest, case_id: ObjectId, body: ReasonIn):
    case = _case_for(request, case_id)
    services.withdraw(case, actor=user_of(request), reason=body.reason, channel=Channel.API)
    return _shown(case)


@router.post("/bulk/cases", response={200: BulkOut, **ACTION_ERRORS}, operation_id="bulk_cases",
             summary="The queue's bulk actions: send to review, hold, release named cases")
@allow(*DECIDER_ROLES, scope=Scope.CASES_DECIDE)
def bulk_cases(request: HttpRequest, body: BulkIn):
    user = user_of(request)
    wanted = set(body.case_ids)
    cases = list(Case.objects.visible_to(user).select_related("unit", "person").filter(pk__in=wanted)
                 .order_by("pk"))
    if len(cases) != len(wanted):
        raise NotFound("案件", "case")  # any case outside one's region: nothing is done
    if body.action in ("hold", "release") and not body.reason.strip():
        raise ReasonRequired("暂缓 / hold" if body.action == "hold" else "解除暂缓 / release")
    outcome = services.act_on_many(cases, body.action, actor=user, reason=body.reason,
                                   channel=Channel.API)
    return {"selected": len(cases), "done": outcome.done,
            "refused": [_refusal(r.case_ids, r.error) for r in outcome.refused]}
