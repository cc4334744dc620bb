"""A trainee is told of their own subsidy: eligible, then paid — one notice per person × case ×
event × channel, in their inbox and to the phone on their record; units' notices unchanged."""

import json

import pytest
from django.db import IntegrityError, transaction
from django.test import Client
from django.urls import reverse

from tests.web.person_builder import make_person, make_person_case
from wengang.cases.models import Action, CaseEvent, State
from wengang.core.clock import clock
from wengang.outreach.models import Channel, Notice, Recipient, Status, Topic
from wengang.outreach.planning import derive, plan
from wengang.outreach.sending import send_pending, short_link

from .conftest import OTHER_COUNTY, options

pytestmark = pytest.mark.django_db


def _event(case, action: str, state: str) -> None:
    CaseEvent.objects.create(case=case, at=clock.now(), action=action, state_before="",
                             state_after=state, channel="system")


def test_a_screened_trainee_is_notified_once_in_the_inbox_and_by_text(run, make_case):
    person, _number = make_person(phone="13900390012")
    case = make_person_case(person, run, state=State.SCREENED)
    unit_case = make_case(route="automatic")
    summary = plan(channels=[Channel.INBOX, Channel.OUTBOX])
    case.refresh_from_db()
    assert case.state == State.NOTIFIED and summary.notified == 2
    told = Notice.objects.filter(case=case)
    assert sorted(told.values_list("channel", "topic", "recipient", "address")) == [
        (Channel.INBOX, Topic.PERSON_ELIGIBLE, Recipient.PERSON, ""),
        (Channel.OUTBOX, Topic.PERSON_ELIGIBLE, Recipient.PERSON, "13900390012")]
    assert all(n.person_id == person.pk and n.unit_id is None for n in told)
    # The unit's case is told as before, with the unit's topic, and never the person's.
    assert set(Notice.objects.filter(case=unit_case).values_list("topic", flat=True)) == {
        Topic.ELIGIBLE_AUTOMATIC}
    assert plan(channels=[Channel.INBOX, Channel.OUTBOX]).notices == 0  # once


def test_the_database_refuses_a_second_text_to_a_person_for_the_same_event(run):
    person, _ = make_person()
    case = make_person_case(person, run)
    _event(case, Action.NOTIFIED, State.NOTIFIED)
    assert derive(channels=[Channel.SMS]) == 1
    notice = Notice.objects.get()
    with pytest.raises(IntegrityError), transaction.atomic():
        Notice.objects.create(person=person, case=case, topic=notice.topic, channel=Channel.SMS,
                              recipient=Recipient.PERSON, address=notice.address, amount_fen=1,
                              next_attempt_at=clock.now(), created_at=clock.now())
    with pytest.raises(IntegrityError), transaction.atomic():  # nobody's notice
        Notice.objects.create(case=case, topic=Topic.PERSON_PAID, channel=Channel.SMS,
                              recipient=Recipient.PERSON, amount_fen=1,
                              next_attempt_at=clock.now(), created_at=clock.now())


def test_a_person_without_a_phone_gets_the_inbox_message_only(run):
    person, _ = make_person(phone="")
    case = make_person_case(person, run)
    _event(case, Action.NOTIFIED, State.NOTIFIED)
    derive(channels=[Channel.INBOX, Channel.SMS, Channel.WECHAT, Channel.EMAIL])
    assert list(Notice.objects.values_list("channel", flat=True)) == [Channel.INBOX]


def test_the_paid_notice_is_told_when_the_bank_return_says_paid(run):
    person, _ = make_person()
    case = make_person_case(person, run, state=State.PAID, approved_on=None)
    _event(case, Action.NOTIFIED, State.NOTIFIED)  # overtaken: no longer news
    _event(case, Action.PAID, State.PAID)
    derive(channels=[Channel.INBOX])
    assert list(Notice.objects.values_list("topic", "amount_fen")) == [
        (Topic.PERSON_PAID, case.amount_fen)]


def test_the_region_limits_person_notices_too(run):
    here, _ = make_person(region="360102")
    there, _ = make_person(region=OTHER_COUNTY)
    for person in (here, there):
        _event(make_person_case(person, run), Action.NOTIFIED, State.NOTIFIED)
    derive(channels=[Channel.INBOX], region_code="360102")
    assert list(Notice.objects.values_list("person_id", flat=True)) == [here.pk]


def test_the_text_names_the_person_masked_and_links_to_the_persons_portal(run, own_outbox):
    person, number = make_person(name="李小龙", phone="13700370012")
    case = make_person_case(person, run, amount_fen=57_600)
    _event(case, Action.NOTIFIED, State.NOTIFIED)
    derive(channels=[Channel.OUTBOX])
    dispatch = send_pending(Channel.OUTBOX, options=options())
    assert dispatch.sent == 1
    line = json.loads(own_outbox.read_text(encoding="utf-8"))
    assert line["to"] == "13700370012"
    text = line["text"]
    assert text.startswith("【稳岗通】李*龙：经比对，您符合2020年职业技能培训补贴条件，可获补贴576.00元")
    link = short_link("https://wg.example.cn", case.pk, person=True)
    assert text.endswith(f"发放至您的账户****5678。详情：{link}")
    assert number not in text and "李小龙" not in text
    assert Notice.objects.get().status == Status.SENT
    # The link opens the person's own case page (after logging in), not the enterprise portal.
    path = link.removeprefix("https://wg.example.cn")
    assert Client().get(path)["Location"] == reverse("web:person-case", args=[case.pk])


def test_the_person_texts_have_their_english():
    from django.utils import translation

    from wengang.outreach.templates import builtin, program_name

    with translation.override("en"):
        subject, body = builtin(Topic.PERSON_PAID, "short")
    assert subject == "Training subsidy: paid"
    assert body.startswith("[Wengang] {name}: your {year} {program} of {amount} yuan")
    assert program_name("training", "en") == "skills-training subsidy"
    assert program_name("training", "zh-hans") == "职业技能培训补贴"


def test_the_refund_statistics_leave_a_trainees_notices_out(run, make_case):
    from wengang.stats.refresh import notice_counts

    person, _ = make_person()
    _event(make_person_case(person, run), Action.NOTIFIED, State.NOTIFIED)
    make_case(State.NOTIFIED, action=Action.NOTIFIED)
    derive(channels=[Channel.INBOX])
    assert Notice.objects.count() == 2
    counts = notice_counts()
    assert [(c.region_code, c.notices) for c in counts] == [("360102", 1)]
