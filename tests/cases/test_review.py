"""Joint review: batches, department tasks with working-day deadlines, decisions, overdue tasks."""

from datetime import date

import pytest

from wengang.cases.errors import (
    NothingToDo,
    NotInBatch,
    OutsideRegion,
    ReasonRequired,
    TaskAlreadyDecided,
    WrongRole,
)
from wengang.cases.models import (
    Case,
    CaseEvent,
    ClosedReason,
    ReviewBatch,
    ReviewItem,
    ReviewTask,
    State,
    WorkflowParameters,
)
from wengang.cases.review import (
    approve_batch,
    escalate_overdue,
    open_review_batches,
    overdue_tasks,
    record_decision,
)

from .conftest import CITY, TODAY

pytestmark = pytest.mark.django_db

PROGRAM = "inclusive-2020"
ALL_SIX = ["environment", "finance", "market", "miit", "ndrc", "tax"]


def state(case: Case) -> str:
    return Case.objects.get(pk=case.pk).state


def open_batches(people, **options):
    return open_review_batches(actor=people.agency, region_code=CITY, program=PROGRAM, **options)


def agree_all(people, batch, *, but: str | None = None, objections=None):
    for task in batch.tasks.all():
        if task.department == but:
            record_decision(task, actor=people.reviewers[task.department], objections=objections)
        else:
            record_decision(task, actor=people.reviewers[task.department])


def test_ready_cases_go_to_review_with_one_task_per_department(make_case, people):
    auto, applied = make_case(), make_case(State.APPLIED, route="application")
    waiting = make_case(route="application")  # must apply first
    [batch] = open_batches(people)
    assert sorted(batch.cases.values_list("pk", flat=True)) == sorted([auto.pk, applied.pk])
    assert sorted(batch.tasks.values_list("department", flat=True)) == ALL_SIX
    # 3 working days after Wednesday 29 April 2020: 30 April, then 6 and 7 May (1–5 May off).
    assert batch.due_on == date(2020, 5, 7)
    assert {state(auto), state(applied), state(waiting)} == {State.IN_REVIEW, State.SCREENED}


def test_priority_cases_get_their_own_batch_due_in_one_working_day(make_case, people):
    make_case(), make_case(priority=True)
    first, second = open_batches(people)
    assert (first.priority, second.priority) == (True, False)
    assert first.due_on == date(2020, 4, 30)  # the next working day
    assert second.due_on == date(2020, 5, 7)


def test_reviewers_may_depend_on_size(make_case, people):
    """Xi'an dropped joint review for small and micro firms: an empty list for those sizes."""
    WorkflowParameters.objects.create(region_code=CITY, reviewers=["finance", "tax"],
                                      reviewers_by_size={"small": [], "micro": []})
    small, large = make_case(size="small"), make_case(size="large")
    batches = {tuple(b.departments): b for b in open_batches(people)}
    assert set(batches) == {(), ("finance", "tax")}
    assert list(batches[()].cases.all()) == [small]
    assert list(batches[("finance", "tax")].cases.all()) == [large]
    assert approve_batch(batches[()], actor=people.agency) == 1
    assert state(small) == State.APPROVED


def test_region_parameters_set_the_review_period(make_case, people):
    WorkflowParameters.objects.create(region_code="", review_days=2)  # Haikou: 2
    make_case()
    assert open_batches(people)[0].due_on == date(2020, 5, 6)


def test_all_departments_agreeing_approves_every_case(make_case, people):
    cases = [make_case(), make_case()]
    [batch] = open_batches(people)
    agree_all(people, batch)
    batch.refresh_from_db()
    assert batch.status == ReviewBatch.Status.SETTLED
    assert [state(c) for c in cases] == [State.APPROVED, State.APPROVED]
    assert set(ReviewItem.objects.values_list("outcome", flat=True)) == {"approved"}
    assert Case.objects.get(pk=cases[0].pk).approved_on == TODAY


def test_nothing_is_approved_until_the_last_department_decides(make_case, people):
    case = make_case()
    [batch] = open_batches(people)
    for task in batch.tasks.exclude(department="tax"):
        record_decision(task, actor=people.reviewers[task.department])
    assert state(case) == State.IN_REVIEW
    record_decision(batch.tasks.get(department="tax"), actor=people.reviewers["tax"])
    assert state(case) == State.APPROVED


def test_an_objection_sends_the_named_case_back_with_the_reason(make_case, people):
    fine, doubtful = make_case(), make_case()
    [batch] = open_batches(people)
    agree_all(people, batch, but="tax", objections={doubtful.pk: "2019年有欠税"})
    assert state(fine) == State.APPROVED
    assert state(doubtful) == State.RETURNED
    event = CaseEvent.objects.filter(case=doubtful).latest("id")
    assert event.reason == "税务：2019年有欠税"
    assert batch.tasks.get(department="tax").status == ReviewTask.Status.OBJECTED
    # The agency can send it to the next batch.
    assert list(open_batches(people)[0].cases.all()) == [Case.objects.get(pk=doubtful.pk)]


def test_a_region_may_reject_objected_cases_outright(make_case, people):
    WorkflowParameters.objects.create(region_code=CITY, program=PROGRAM, reject_on_objection=True)
    doubtful = make_case()
    [batch] = open_batches(people)
    agree_all(people, batch, but="market", objections={doubtful.pk: "已被吊销"})
    case = Case.objects.get(pk=doubtful.pk)
    assert (case.state, case.closed_reason) == (State.REJECTED, ClosedReason.REVIEW_OBJECTION)


def test_an_objection_needs_a_reason_and_a_case_of_the_batch(make_case, people):
    inside, outside = make_case(), make_case(route="application")
    [batch] = open_batches(people)
    task = batch.tasks.get(department="tax")
    with pytest.raises(ReasonRequired):
        record_decision(task, actor=people.reviewers["tax"], objections={inside.pk: " "})
    with pytest.raises(NotInBatch) as raised:
        record_decision(task, actor=people.reviewers["tax"], objections={outside.pk: "欠税"})
    assert raised.value.case_ids == [outside.pk]
    assert ReviewTask.objects.get(pk=task.pk).status == ReviewTask.Status.PENDING


def test_a_department_decides_only_its_own_task_once(make_case, people):
    make_case()
    [batch] = open_batches(people)
    task = batch.tasks.get(department="tax")
    with pytest.raises(WrongRole):
        record_decision(task, actor=people.reviewers["market"])
    with pytest.raises(WrongRole):
        record_decision(task, actor=people.agency)
    record_decision(task, actor=people.reviewers["tax"])
    with pytest.raises(TaskAlreadyDecided):
        record_decision(task, actor=people.reviewers["tax"])


def test_a_reviewer_of_another_city_is_refused(make_case, people):
    from wengang.accounts.models import Role, User

    make_case()
    [batch] = open_batches(people)
    stranger = User.objects.create_user("tax-jdz", password=None, role=Role.DEPARTMENT,
                                        region_code="360200", department="tax")
    with pytest.raises(OutsideRegion):
        record_decision(batch.tasks.get(department="tax"), actor=stranger)


def test_opening_a_batch_outside_ones_region_or_with_nothing_ready_is_refused(make_case, people):
    with pytest.raises(OutsideRegion):
        open_review_batches(actor=people.other_agency, region_code=CITY, program=PROGRAM)
    with pytest.raises(NothingToDo):
        open_batches(people)


def test_a_batch_with_departments_is_not_approved_by_the_agency(make_case, people):
    make_case()
    [batch] = open_batches(people)
    with pytest.raises(NothingToDo):
        approve_batch(batch, actor=people.agency)


def test_overdue_tasks_are_listed_and_escalated_once_a_day(make_case, people):
    from wengang.core.clock import clock

    make_case(priority=True)
    [batch] = open_batches(people)  # due 30 April
    record_decision(batch.tasks.get(department="tax"), actor=people.reviewers["tax"])
    assert not overdue_tasks().exists()
    with clock.frozen(date(2020, 4, 30)):
        assert not overdue_tasks().exists()  # the due day is still in time
    with clock.frozen(date(2020, 5, 6)):
        late = overdue_tasks(region_code=CITY)
        assert sorted(late.values_list("department", flat=True)) == [d for d in ALL_SIX if d != "tax"]
        assert len(escalate_overdue()) == 5
        assert escalate_overdue() == []  # once a day
    assert set(ReviewTask.objects.filter(status="pending").values_list("escalations", flat=True)) == {1}


def test_limit_takes_priority_cases_first(make_case, people):
    make_case(), make_case()
    urgent = make_case(priority=True)
    [batch] = open_batches(people, limit=1)
    assert list(batch.cases.all()) == [urgent]
