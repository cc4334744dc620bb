"""A sending run that dies is taken over once its lease ends, without a second text."""

from datetime import timedelta

import pytest

from wengang.outreach.channels import JsonSmsGateway
from wengang.outreach.fakes import FakeSmsGateway
from wengang.outreach.models import Channel, Notice, Status
from wengang.outreach.planning import plan
from wengang.outreach.sending import LEASE, Renderer, _claim, send_pending, short_link

from .conftest import NOON, at, options

pytestmark = pytest.mark.django_db


def test_two_workers_never_claim_the_same_notice(make_case):
    for _ in range(5):
        make_case()
    plan(channels=[Channel.SMS], now=NOON)
    first = _claim(Channel.SMS, NOON, 3)
    second = _claim(Channel.SMS, NOON, 10)
    assert len(first) == 3 and len(second) == 2
    assert not {n.pk for n in first} & {n.pk for n in second}
    assert _claim(Channel.SMS, NOON, 10) == []


def test_a_dead_workers_notices_are_sent_once_its_lease_ends(make_case):
    cases = [make_case() for _ in range(4)]
    plan(channels=[Channel.SMS], now=NOON)
    with FakeSmsGateway(secret="s") as fake:
        gateway = JsonSmsGateway(fake.url, key="k", secret="s")
        # A worker claims everything, sends two messages, and dies before recording anything.
        claimed = _claim(Channel.SMS, NOON, 10)
        renderer = Renderer(Channel.SMS, "https://wg.example.cn")
        for notice in claimed[:2]:
            gateway.send(renderer.message(notice))

        before = send_pending(Channel.SMS, gateway=gateway, options=options(),
                              now=at(NOON + LEASE - timedelta(seconds=1)))
        assert (before.due, before.sent) == (0, 0)  # still leased: nobody else touches them

        after = send_pending(Channel.SMS, gateway=gateway, options=options(),
                             now=at(NOON + LEASE))
    assert after.sent == 4
    assert set(Notice.objects.on(Channel.SMS).values_list("status", flat=True)) == {Status.SENT}
    assert len(fake.accepted) == 4 and set(fake.sent_to_phone.values()) == {1}
    assert sorted(fake.sent_to_phone) == sorted(c.unit.contact_phone for c in cases)


def test_the_short_link_leads_to_the_cases_confirmation_page(make_case, client, settings):
    settings.ROOT_URLCONF = "tests.outreach.urls"
    case = make_case(route="application")
    link = short_link("https://wg.example.cn", case.pk)
    response = client.get(link.removeprefix("https://wg.example.cn"))
    assert response.status_code == 302
    assert response.headers["Location"] == f"/portal/cases/{case.pk}/confirm/"
    unknown = client.get("/outreach/c/zzzzzz")  # no lookup: the portal hides unknown cases
    assert unknown.headers["Location"] == f"/portal/cases/{int('zzzzzz', 36)}/confirm/"
    assert client.get("/outreach/c/NOT-A-CODE").status_code == 404


def test_the_messages_page_lists_every_notice_of_the_unit_newest_first(make_case):
    from wengang.cases.models import Action, State
    from wengang.outreach.planning import derive

    case = make_case(State.PAID, action=Action.PAID)
    other = make_case(State.PAID, action=Action.PAID)
    derive(channels=[Channel.INBOX, Channel.OUTBOX], now=NOON)
    send_pending(Channel.INBOX, options=options(), now=at(NOON))
    mine = list(Notice.objects.inbox_for(case.unit))
    assert {n.channel for n in mine} == {Channel.INBOX, Channel.OUTBOX}
    assert all(n.unit_id == case.unit_id for n in mine) and other.unit_id != case.unit_id
    assert [n.pk for n in mine] == sorted((n.pk for n in mine), reverse=True)
