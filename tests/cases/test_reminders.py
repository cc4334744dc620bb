"""Reminders before the application deadline, expiry, and the late claim that follows."""

from datetime import date, timedelta

import pytest

from wengang.cases import workflow
from wengang.cases.calendar import work_calendar
from wengang.cases.errors import WrongRole
from wengang.cases.late_claims import file_late_claim
from wengang.cases.models import (
    Action,
    Case,
    CaseEvent,
    ClosedReason,
    LateClaim,
    State,
    WorkflowParameters,
)
from wengang.core.clock import clock

from .conftest import TODAY

pytestmark = pytest.mark.django_db


def noticed(make_case, people) -> Case:
    """An application case noticed on TODAY (Wednesday 29 April 2020) with the defaults."""
    return workflow.notify(make_case(route="application"), actor=people.agency)


def test_the_notice_sets_a_reminder_five_working_days_before_the_deadline(make_case, people):
    case = noticed(make_case, people)
    # 20 working days after 29 April 2020: 30 Apr, (1–5 May off), 6–9 May (9th a make-up
    # Saturday), 11–15, 18–22, 25–29 May → Friday 29 May. Five working days earlier: 22 May.
    assert (case.apply_by, case.remind_on, case.reminded_on) == (date(2020, 5, 29),
                                                                date(2020, 5, 22), None)


@pytest.mark.parametrize(("day", "due"), [
    (date(2020, 5, 21), False),  # the day before the reminder day
    (date(2020, 5, 22), True),   # the reminder day
    (date(2020, 5, 29), True),   # the deadline itself: still time to apply
    (date(2020, 5, 30), False),  # past the deadline: the case expires instead
])
def test_a_reminder_is_due_from_its_day_until_the_deadline(make_case, people, day, due):
    case = noticed(make_case, people)
    assert (case in Case.objects.reminder_due(day)) is due
    assert (case in workflow.reminders_due(on=day, region_code="360100")) is due


def test_recording_a_sent_reminder_writes_one_event_once(make_case, people, commitment_text):
    case, applied = noticed(make_case, people), noticed(make_case, people)
    workflow.apply(applied, actor=people.enterprise_for(applied), origin="10.0.0.1",
                   commitment_text=commitment_text,
                   confirmation=workflow.Confirmation(size=applied.size, insured=applied.insured,
                                                      amount_fen=applied.amount_fen,
                                                      signatory_name="李会计"))
    day = date(2020, 5, 22)
    assert workflow.record_reminders([case.pk, applied.pk], today=day) == [case.pk]
    assert workflow.record_reminders([case.pk], today=day) == []  # never twice
    case.refresh_from_db()
    assert (case.state, case.reminded_on, case.version) == (State.AWAITING_APPLICATION, day, 3)
    event = CaseEvent.objects.get(case=case, action=Action.REMINDED)
    assert (event.state_before, event.state_after, event.actor_label) == (
        State.AWAITING_APPLICATION, State.AWAITING_APPLICATION, "申请提醒")
    assert case not in Case.objects.reminder_due(day + timedelta(days=1))


def test_only_agency_officers_or_the_system_record_reminders(make_case, people):
    case = noticed(make_case, people)
    with pytest.raises(WrongRole):
        workflow.record_reminders([case.pk], actor=people.enterprise_for(case),
                                  today=date(2020, 5, 22))
    assert workflow.record_reminders([case.pk], actor=people.other_agency,
                                     today=date(2020, 5, 22)) == []  # another city's case
    assert workflow.record_reminders([case.pk], actor=people.agency,
                                     today=date(2020, 5, 22)) == [case.pk]


@pytest.mark.parametrize(("application_days", "reminder_days", "remind_on"), [
    (20, 0, None),                # the region sends no reminder
    (5, 5, None),                 # the reminder would fall on the notice day: the notice suffices
    (5, 4, date(2020, 4, 30)),    # the first working day after the notice
    (5, 6, None),                 # before the notice
])
def test_the_reminder_day_follows_the_regions_parameters(make_case, people, application_days,
                                                         reminder_days, remind_on):
    WorkflowParameters.objects.create(region_code="360100", application_days=application_days,
                                      reminder_days=reminder_days)
    case = noticed(make_case, people)
    assert case.remind_on == remind_on
    assert case.apply_by == work_calendar().add_workdays(TODAY, application_days)


def test_an_expired_application_is_declined_and_a_late_claim_reopens_it(make_case, people):
    case = noticed(make_case, people)
    workflow.record_reminders([case.pk], today=date(2020, 5, 22))
    assert workflow.expire_applications(today=date(2020, 5, 29)) == 0  # the deadline day
    assert workflow.expire_applications(today=date(2020, 5, 30)) == 1
    case.refresh_from_db()
    assert (case.state, case.closed_reason) == (State.DECLINED, ClosedReason.APPLICATION_EXPIRED)
    assert "补报" in CaseEvent.objects.get(case=case, action=Action.EXPIRED).reason

    with clock.frozen(date(2020, 6, 1)):
        claim = file_late_claim(uscc=case.unit.uscc, program=case.program, claimant_name="李四",
                                contact_phone="13800000001", actor=people.agency)
    case.refresh_from_db()
    assert (claim.status, claim.case_id) == (LateClaim.Status.REOPENED, case.pk)
    # A new window from the claim (Monday 1 June 2020): 20 working days → 30 June (Dragon
    # Boat Festival 25–26 June off, 28 June a make-up Sunday), a new reminder, none sent yet.
    assert (case.state, case.apply_by, case.reminded_on) == (State.AWAITING_APPLICATION,
                                                             date(2020, 6, 30), None)
    assert case.remind_on == work_calendar().add_workdays(case.apply_by, -5)

