"""Appeals (申请复核): an enterprise questions the decision on its case; the agency answers.

The console roles read their region's appeals, open first; a deciding officer answers one, once
(``Appeal.objects.answer`` locks it). An appeal changes no case state: where the enterprise is
right, the officer acts through the case operations first, then answers.
"""

from datetime import datetime

from django.http import HttpRequest
from ninja import Query, Router, Schema

from wengang.web.access import CONSOLE_ROLES, DECIDER_ROLES
from wengang.web.models import Appeal

from .auth import allow, user_of
from .errors import NotFound
from .models import Scope
from .pages import PageIn, page_of
from .schemas import ACTION_ERRORS, ERRORS, ObjectId, Page, Text

router = Router(tags=["appeals 申请复核"])


class AppealOut(Schema):
    id: int
    case_id: int
    program: str
    beneficiary_name: str
    filed_at: datetime
    reason: str
    status: str
    status_label: str
    answer: str
    answered_at: datetime | None


class AppealPage(Page):
    items: list[AppealOut]


class AppealFilters(Schema):
    status: Appeal.Status | None = None


class AnswerIn(Schema):
    answer: Text(2000, min_length=1, description="the agency's answer, e.g. 已核实，按规定重新测算")


def _appeal(appeal: Appeal) -> dict:
    return {"id": appeal.pk, "case_id": appeal.case_id, "program": appeal.case.program,
            "beneficiary_name": appeal.case.beneficiary_name_masked,
            "filed_at": appeal.filed_at, "reason": appeal.reason, "status": appeal.status,
            "status_label": str(appeal.get_status_display()), "answer": appeal.answer,
            "answered_at": appeal.answered_at}


def _appeals(request: HttpRequest):
    return Appeal.objects.visible_to(user_of(request)).select_related(
        "case__unit", "case__person")


@router.get("/appeals", response={200: AppealPage, **ERRORS}, operation_id="list_appeals",
            summary="Appeals on the cases of your region, open first")
@allow(*CONSOLE_ROLES, scope=Scope.CASES_READ)
def list_appeals(request: HttpRequest, filters: Query[AppealFilters], paging: Query[PageIn]):
    appeals = _appeals(request)
    if filters.status:
        appeals = appeals.filter(status=filters.status)
    return page_of(appeals.order_by("status", "filed_at", "id"), paging, _appeal)


@router.post("/appeals/{appeal_id}/answer", response={200: AppealOut, **ACTION_ERRORS},
             operation_id="answer_appeal", summary="Answer an open appeal (once)")
@allow(*DECIDER_ROLES, scope=Scope.CASES_DECIDE)
def answer_appeal(request: HttpRequest, appeal_id: ObjectId, body: AnswerIn):
    try:
        Appeal.objects.visible_to(user_of(request)).answer(appeal_id, actor=user_of(request),
                                                            answer=body.answer)
    except Appeal.DoesNotExist:
        raise NotFound("复核申请", "appeal") from None
    return _appeal(_appeals(request).get(pk=appeal_id))
