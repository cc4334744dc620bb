"""Publicity: periods on the official calendar, objections, resolutions, and the close."""

from datetime import date

import pytest

from wengang.cases.errors import (
    NothingToDo,
    ObjectionAlreadyResolved,
    PreconditionFailed,
    PublicityNotRunning,
    PublicityRunning,
    ReasonRequired,
)
from wengang.cases.models import (
    Case,
    ClosedReason,
    Objection,
    PublicityBatch,
    State,
    WorkflowParameters,
)
from wengang.cases.publicity import (
    close_publicity,
    file_objection,
    open_publicity,
    resolve_objection,
)
from wengang.core.clock import clock

from .conftest import CITY, TODAY

pytestmark = pytest.mark.django_db


def state(case: Case) -> str:
    return Case.objects.get(pk=case.pk).state


def publish(people, **options) -> PublicityBatch:
    return open_publicity(actor=people.agency, region_code=CITY, **options)


def test_a_five_working_day_publicity_from_29_april_2020_ends_on_8_may(make_case, people):
    case = make_case(State.APPROVED)
    batch = publish(people)
    # 29, 30 April; 1–5 May off (May Day); 6, 7, 8 May.
    assert (batch.start_on, batch.end_on, batch.workdays) == (TODAY, date(2020, 5, 8), 5)
    assert state(case) == State.IN_PUBLICITY


def test_a_publicity_starting_on_a_holiday_starts_on_the_next_working_day(make_case, people):
    make_case(State.APPROVED)
    batch = publish(people, start_on=date(2020, 5, 1))
    # 6, 7, 8, 9 (the make-up Saturday), 11 May.
    assert (batch.start_on, batch.end_on) == (date(2020, 5, 6), date(2020, 5, 11))


def test_the_region_sets_the_publicity_period(make_case, people):
    WorkflowParameters.objects.create(region_code=CITY, publicity_days=7)
    make_case(State.APPROVED)
    # 29, 30 April, 6, 7, 8, 9 (the make-up Saturday), 11 May.
    assert publish(people).end_on == date(2020, 5, 11)


def test_only_approved_cases_of_the_region_are_published(make_case, people):
    approved, other = make_case(State.APPROVED), make_case(State.IN_REVIEW)
    elsewhere = make_case(State.APPROVED, region_code="360202")
    batch = publish(people)
    assert list(batch.cases.all()) == [approved]
    assert (state(other), state(elsewhere)) == (State.IN_REVIEW, State.APPROVED)


def test_publishing_with_nothing_approved_or_in_the_past_is_refused(make_case, people):
    with pytest.raises(NothingToDo):
        publish(people)
    make_case(State.APPROVED)
    with pytest.raises(PreconditionFailed):
        publish(people, start_on=date(2020, 4, 20))


def test_an_objection_holds_the_case_and_a_dismissal_puts_it_back(make_case, people):
    case = make_case(State.APPROVED)
    publish(people)
    objection = file_objection(case, objector_name="王某", objector_contact="13912345678",
                               reason="该企业已停业")
    assert state(case) == State.ON_HOLD
    resolve_objection(objection, actor=people.agency, uphold=False, note="经核实仍正常经营")
    assert state(case) == State.IN_PUBLICITY
    assert Objection.objects.get(pk=objection.pk).status == Objection.Status.DISMISSED


def test_a_case_stays_held_until_its_last_objection_is_resolved(make_case, people):
    case = make_case(State.APPROVED)
    publish(people)
    first = file_objection(case, objector_name="甲", objector_contact="1", reason="理由一")
    second = file_objection(case, objector_name="乙", objector_contact="2", reason="理由二",
                            actor=people.agency, channel="assisted")
    resolve_objection(first, actor=people.agency, uphold=False, note="不成立")
    assert state(case) == State.ON_HOLD
    resolve_objection(second, actor=people.agency, uphold=False, note="不成立")
    assert state(case) == State.IN_PUBLICITY


def test_an_upheld_objection_rejects_the_case(make_case, people):
    case = make_case(State.APPROVED)
    publish(people)
    first = file_objection(case, objector_name="甲", objector_contact="1", reason="虚报人数")
    other = file_objection(case, objector_name="乙", objector_contact="2", reason="同上")
    resolve_objection(first, actor=people.agency, uphold=True, note="核实虚报")
    case = Case.objects.get(pk=case.pk)
    assert (case.state, case.closed_reason) == (State.REJECTED, ClosedReason.PUBLIC_OBJECTION)
    assert Objection.objects.get(pk=other.pk).status == Objection.Status.MOOT
    with pytest.raises(ObjectionAlreadyResolved):
        resolve_objection(other, actor=people.agency, uphold=False, note="再议")


def test_objections_are_taken_only_during_the_period(make_case, people):
    published = make_case(State.APPROVED)
    publish(people)
    approved = make_case(State.APPROVED)
    with pytest.raises(PublicityNotRunning):
        file_objection(approved, objector_name="甲", objector_contact="1", reason="理由")
    with clock.frozen(date(2020, 5, 11)), pytest.raises(PublicityNotRunning):
        file_objection(published, objector_name="甲", objector_contact="1", reason="理由")
    with pytest.raises(ReasonRequired):
        file_objection(published, objector_name="甲", objector_contact="1", reason=" ")


def test_the_close_makes_cases_without_open_objections_payable(make_case, people):
    clean, held = make_case(State.APPROVED), make_case(State.APPROVED)
    batch = publish(people)
    objection = file_objection(held, objector_name="甲", objector_contact="1", reason="理由")
    with clock.frozen(date(2020, 5, 8)), pytest.raises(PublicityRunning):
        close_publicity(batch, actor=people.agency)  # the last day still runs
    with clock.frozen(date(2020, 5, 9)):
        assert close_publicity(batch, actor=people.agency) == 1
        assert (state(clean), state(held)) == (State.PAYABLE, State.ON_HOLD)
        resolve_objection(objection, actor=people.agency, uphold=False, note="不成立")
    held = Case.objects.get(pk=held.pk)
    assert (held.state, held.payable_on) == (State.PAYABLE, date(2020, 5, 9))
    with pytest.raises(NothingToDo):
        close_publicity(batch, actor=people.agency)


def test_publicity_steps_are_refused_outside_ones_region_or_role(make_case, people):
    from wengang.cases.errors import OutsideRegion, WrongRole

    make_case(State.APPROVED)
    with pytest.raises(OutsideRegion):
        open_publicity(actor=people.other_agency, region_code=CITY)
    with pytest.raises(WrongRole):
        open_publicity(actor=people.reviewers["tax"], region_code=CITY)
    batch = publish(people)
    with clock.frozen(date(2020, 5, 11)), pytest.raises(OutsideRegion):
        close_publicity(batch, actor=people.other_agency)
