"""Review and publicity overlapping (随审随公示), where the region says so, and where it does not.

A case in joint review is published at once; objections from the public hold it, objections
from a department return or reject it; it becomes payable only when every department agreed
AND the publicity period ended without an open objection — in whichever order they finish.
"""

from datetime import date

import pytest

from wengang.cases.errors import NothingToDo, PublicityRunning
from wengang.cases.models import (
    Action,
    Case,
    CaseEvent,
    HoldKind,
    PublicityItem,
    ReviewTask,
    State,
    WorkflowParameters,
)
from wengang.cases.publicity import (
    close_publicity,
    file_objection,
    open_publicity,
    resolve_objection,
)
from wengang.cases.review import approve_batch, open_review_batches, record_decision
from wengang.core.clock import clock

from .conftest import CITY, TODAY

pytestmark = pytest.mark.django_db

PROGRAM = "inclusive-2020"
END = date(2020, 5, 8)  # five working days from Wednesday 29 April 2020


def overlapping(*, reviewers=("finance", "tax"), reject_on_objection=None) -> None:
    WorkflowParameters.objects.create(region_code=CITY, reviewers=list(reviewers),
                                      review_publicity_overlap=True,
                                      reject_on_objection=reject_on_objection)


def in_review(make_case, people, count: int = 1) -> list[Case]:
    cases = [make_case(State.NOTIFIED) for _ in range(count)]
    open_review_batches(actor=people.agency, region_code=CITY, program=PROGRAM)
    return [Case.objects.get(pk=c.pk) for c in cases]


def decide(people, objections: dict[str, dict[int, str]] | None = None) -> None:
    for task in ReviewTask.objects.pending().order_by("department"):
        record_decision(task, actor=people.reviewers[task.department],
                        objections=(objections or {}).get(task.department))


def reloaded(case: Case) -> Case:
    return Case.objects.get(pk=case.pk)


def test_without_overlap_a_case_in_review_is_not_published(make_case, people):
    WorkflowParameters.objects.create(region_code=CITY, reviewers=["finance", "tax"])
    (case,) = in_review(make_case, people)
    with pytest.raises(NothingToDo):
        open_publicity(actor=people.agency, region_code=CITY, program=PROGRAM)
    assert reloaded(case).state == State.IN_REVIEW and not PublicityItem.objects.exists()


def test_with_overlap_a_case_in_review_is_published_once_and_stays_in_review(make_case, people):
    overlapping()
    (case,) = in_review(make_case, people)
    batch = open_publicity(actor=people.agency, region_code=CITY, program=PROGRAM)
    assert (batch.start_on, batch.end_on) == (TODAY, END)
    case = reloaded(case)
    assert (case.state, case.approved_on) == (State.IN_REVIEW, None)
    event = CaseEvent.objects.get(case=case, action=Action.PUBLICITY_STARTED)
    assert (event.state_before, event.state_after) == (State.IN_REVIEW, State.IN_REVIEW)
    assert "联审中" in event.reason
    with pytest.raises(NothingToDo):  # already on a list
        open_publicity(actor=people.agency, region_code=CITY, program=PROGRAM)


def test_review_agreeing_during_publicity_leaves_the_case_on_the_list_until_it_closes(
        make_case, people):
    overlapping()
    (case,) = in_review(make_case, people)
    batch = open_publicity(actor=people.agency, region_code=CITY, program=PROGRAM)
    with clock.frozen(date(2020, 5, 6)):
        decide(people)
    case = reloaded(case)
    assert (case.state, case.approved_on) == (State.IN_PUBLICITY, date(2020, 5, 6))
    with clock.frozen(END), pytest.raises(PublicityRunning):
        close_publicity(batch, actor=people.agency)
    with clock.frozen(date(2020, 5, 9)):
        assert close_publicity(batch, actor=people.agency) == 1
    assert reloaded(case).state == State.PAYABLE


def test_publicity_ending_first_makes_the_case_payable_when_review_agrees(make_case, people):
    overlapping()
    (case,) = in_review(make_case, people)
    batch = open_publicity(actor=people.agency, region_code=CITY, program=PROGRAM)
    with clock.frozen(date(2020, 5, 9)):
        assert close_publicity(batch, actor=people.agency) == 0  # review still running
    assert reloaded(case).state == State.IN_REVIEW
    with clock.frozen(date(2020, 5, 11)):
        decide(people)
    case = reloaded(case)
    assert (case.state, case.approved_on, case.payable_on) == (
        State.PAYABLE, date(2020, 5, 11), date(2020, 5, 11))
    actions = list(CaseEvent.objects.filter(case=case).order_by("id")
                   .values_list("action", flat=True))
    assert actions[-2:] == [Action.APPROVED, Action.MADE_PAYABLE]


def test_a_review_without_departments_is_approved_by_the_agency_after_publicity(make_case, people):
    overlapping(reviewers=())
    (case,) = in_review(make_case, people)
    batch = open_publicity(actor=people.agency, region_code=CITY, program=PROGRAM)
    with clock.frozen(date(2020, 5, 9)):
        close_publicity(batch, actor=people.agency)
        assert approve_batch(case.review_items.get().batch, actor=people.agency) == 1
    assert reloaded(case).state == State.PAYABLE


@pytest.mark.parametrize(("reject", "after"), [(None, State.RETURNED), (True, State.REJECTED)])
def test_a_department_objection_during_publicity_stops_the_case(make_case, people, reject, after):
    overlapping(reject_on_objection=reject)
    objected, agreed = in_review(make_case, people, count=2)
    batch = open_publicity(actor=people.agency, region_code=CITY, program=PROGRAM)
    decide(people, {"tax": {objected.pk: "2019年有欠税"}})
    assert (reloaded(objected).state, reloaded(agreed).state) == (after, State.IN_PUBLICITY)
    with clock.frozen(date(2020, 5, 9)):
        assert close_publicity(batch, actor=people.agency) == 1
    assert (reloaded(objected).state, reloaded(agreed).state) == (after, State.PAYABLE)


def test_a_public_objection_holds_a_case_in_review_until_dismissed(make_case, people):
    overlapping()
    (case,) = in_review(make_case, people)
    open_publicity(actor=people.agency, region_code=CITY, program=PROGRAM)
    objection = file_objection(case, objector_name="王某", objector_contact="13900000000",
                               reason="已停业")
    case = reloaded(case)
    assert (case.state, case.held_from, case.hold_kind) == (State.ON_HOLD, State.IN_REVIEW,
                                                            HoldKind.OBJECTION)
    resolve_objection(objection, actor=people.agency, uphold=False, note="核实仍经营")
    assert reloaded(case).state == State.IN_REVIEW  # its review batch is still open
    decide(people)
    assert reloaded(case).state == State.IN_PUBLICITY


def test_an_open_public_objection_keeps_an_agreed_case_from_payment(make_case, people):
    overlapping()
    (case,) = in_review(make_case, people)
    batch = open_publicity(actor=people.agency, region_code=CITY, program=PROGRAM)
    file_objection(case, objector_name="王某", objector_contact="13900000000", reason="已停业")
    decide(people)  # the held case is not among the agreed ones
    with clock.frozen(date(2020, 5, 9)):
        assert close_publicity(batch, actor=people.agency) == 0
    case = reloaded(case)
    assert (case.state, case.approved_on) == (State.ON_HOLD, None)


def test_an_upheld_public_objection_rejects_a_case_in_review(make_case, people):
    overlapping()
    (case,) = in_review(make_case, people)
    open_publicity(actor=people.agency, region_code=CITY, program=PROGRAM)
    objection = file_objection(case, objector_name="王某", objector_contact="13900000000",
                               reason="虚报参保人数")
    resolve_objection(objection, actor=people.agency, uphold=True, note="核实属实")
    decide(people)
    assert reloaded(case).state == State.REJECTED
