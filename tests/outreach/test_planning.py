"""Notices are derived from case events: one per unit × event × channel × recipient."""

from datetime import date

import pytest
from django.db import IntegrityError, transaction

from wengang.cases.models import Action, CaseEvent, State
from wengang.core.clock import clock
from wengang.outreach.models import Channel, Notice, OptOut, Recipient, Status, Topic
from wengang.outreach.planning import derive, plan

from .conftest import CITY, OTHER_COUNTY

pytestmark = pytest.mark.django_db


def test_plan_notifies_screened_cases_and_derives_one_notice_per_channel(make_case):
    automatic = make_case(route="automatic")
    application = make_case(route="application")

    summary = plan(channels=[Channel.INBOX, Channel.OUTBOX])

    assert (summary.notified, summary.notices) == (2, 4)
    automatic.refresh_from_db(), application.refresh_from_db()
    assert automatic.state == State.NOTIFIED
    assert application.state == State.AWAITING_APPLICATION and application.apply_by is not None
    topics = dict(Notice.objects.filter(channel=Channel.INBOX).values_list("case_id", "topic"))
    assert topics == {automatic.pk: Topic.ELIGIBLE_AUTOMATIC,
                      application.pk: Topic.ELIGIBLE_APPLICATION}
    notice = Notice.objects.get(case=application, channel=Channel.OUTBOX)
    assert notice.due_on == application.apply_by
    assert notice.address == application.unit.contact_phone
    assert notice.status == Status.PENDING and notice.amount_fen == 100_000


def test_planning_again_adds_nothing(make_case):
    make_case()
    plan()
    assert plan().notices == 0
    assert derive(channels=[Channel.INBOX, Channel.OUTBOX]) == 0
    assert Notice.objects.count() == 2


def test_the_database_refuses_a_second_notice_for_the_same_event(make_case):
    make_case()
    plan(channels=[Channel.INBOX])
    first = Notice.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(unit=first.unit, case=first.case, topic=first.topic,
                              channel=first.channel, recipient=first.recipient,
                              amount_fen=1, next_attempt_at=first.next_attempt_at,
                              created_at=first.created_at)


def test_the_clerk_gets_an_sms_too_unless_the_number_is_the_contacts(make_case):
    with_clerk = make_case(clerk_phone="13900000001")
    same_number = make_case(clerk_phone="13800000999", contact_phone="13800000999")

    plan(channels=[Channel.SMS])

    assert sorted(Notice.objects.on(Channel.SMS).filter(case=with_clerk).values_list("recipient", "address")) == [
        (Recipient.CLERK, "13900000001"), (Recipient.CONTACT, with_clerk.unit.contact_phone)]
    assert Notice.objects.on(Channel.SMS).filter(case=same_number).count() == 1


def test_a_unit_without_a_phone_gets_no_sms_but_its_inbox_message(make_case):
    case = make_case(contact_phone="")
    plan(channels=[Channel.SMS])  # the inbox is always planned: the unit's record
    assert list(Notice.objects.filter(case=case).values_list("channel", flat=True)) == [Channel.INBOX]


def test_an_opted_out_channel_is_not_planned(make_case):
    case = make_case()
    OptOut.objects.create(unit=case.unit, channel=Channel.SMS, at=clock.now())
    plan(channels=[Channel.INBOX, Channel.SMS])
    assert list(Notice.objects.filter(case=case).values_list("channel", flat=True)) == [Channel.INBOX]


@pytest.mark.parametrize(("state", "action", "topic"), [
    (State.APPROVED, Action.APPROVED, Topic.APPROVED),
    (State.IN_PUBLICITY, Action.PUBLICITY_STARTED, Topic.IN_PUBLICITY),
    (State.PAID, Action.PAID, Topic.PAID),
    (State.PAYMENT_FAILED, Action.PAYMENT_FAILED, Topic.PAYMENT_FAILED),
    (State.REJECTED, Action.REJECTED, Topic.REJECTED),
])
def test_each_later_event_has_its_notice(make_case, state, action, topic):
    case = make_case(state, action=action, reason="理由甲")
    assert derive(channels=[Channel.INBOX]) == 1
    notice = Notice.objects.get()
    assert (notice.case_id, notice.topic) == (case.pk, topic)
    carries_reason = topic in (Topic.PAYMENT_FAILED, Topic.REJECTED)
    assert notice.reason == ("理由甲" if carries_reason else "")


def test_news_overtaken_by_a_later_step_is_not_told(make_case):
    case = make_case(State.IN_PUBLICITY, action=Action.PUBLICITY_STARTED)
    CaseEvent.objects.create(case=case, at=clock.now(), action=Action.APPROVED,
                             state_before=State.IN_REVIEW, state_after=State.APPROVED,
                             channel="system")
    derive(channels=[Channel.INBOX])
    assert list(Notice.objects.values_list("topic", flat=True)) == [Topic.IN_PUBLICITY]


def test_a_due_reminder_is_recorded_through_the_workflow_and_noticed(make_case):
    due = make_case(State.AWAITING_APPLICATION, route="application", apply_by=date(2020, 5, 8),
                    remind_on=date(2020, 4, 29))
    tomorrow = make_case(State.AWAITING_APPLICATION, route="application",
                         apply_by=date(2020, 5, 8), remind_on=date(2020, 4, 30))

    summary = plan(channels=[Channel.INBOX])

    assert summary.reminded == 1
    due.refresh_from_db()
    assert due.reminded_on == date(2020, 4, 29)
    assert list(Notice.objects.values_list("case_id", "topic", "due_on")) == [
        (due.pk, Topic.REMINDER, date(2020, 5, 8))]
    assert not Notice.objects.filter(case=tomorrow).exists()
    assert plan(channels=[Channel.INBOX]).reminded == 0


def test_region_limits_the_plan(make_case):
    inside = make_case()
    make_case(region_code="360200")
    other_county = make_case(region_code=OTHER_COUNTY)
    plan(channels=[Channel.INBOX], region_code=CITY)
    assert set(Notice.objects.values_list("case_id", flat=True)) == {inside.pk, other_county.pk}
