"""A sending run that dies is taken over once its lease ends, without a second text."""

from datetime import timedelta

import pytest

from wengang.outreach.channels import JsonSmsGateway
from wengang.outreach.fakes import FakeSmsGateway
from wengang.outreach.models import Channel, Notice, Status
from wengang.outreach.planning import plan
from wengang.outreach.sending import Options, Renderer, _claim, send_pending, short_link

from .conftest import NOON, at, options

pytestmark = pytest.mark.django_db


def test_two_workers_never_claim_the_same_notice(make_case):
    for _ in range(5):
        make_case()
    plan(channels=[Channel.SMS], now=NOON)
    lease = options().lease()
    first = _claim(Channel.SMS, NOON, 3, lease)
    second = _claim(Channel.SMS, NOON, 10, lease)
    assert len(first) == 3 and len(second) == 2
    assert not {n.pk for n in first} & {n.pk for n in second}
    assert _claim(Channel.SMS, NOON, 10, lease) == []


def test_a_dead_workers_notices_are_sent_once_its_lease_ends(make_case):
    cases = [make_case() for _ in range(4)]
    plan(channels=[Channel.SMS], now=NOON)
    with FakeSmsGateway(secret="s") as fake:
        gateway = JsonSmsGateway(fake.url, key="k", secret="s")
        # A worker claims everything, sends two messages, and dies before recording anything.
        lease = options().lease()
        claimed = _claim(Channel.SMS, NOON, 10, lease)
        renderer = Renderer(Channel.SMS, "https://wg.example.cn")
        for notice in claimed[:2]:
            gateway.send(renderer.message(notice))

        before = send_pending(Channel.SMS, gateway=gateway, options=options(),
                              now=at(NOON + lease - timedelta(seconds=1)))
        assert (before.due, before.sent) == (0, 0)  # still leased: nobody else touches them

        after = send_pending(Channel.SMS, gateway=gateway, options=options(),
                             now=at(NOON + lease))
    assert after.sent == 4
    assert set(Notice.objects.on(Channel.SMS).values_list("status", flat=True)) == {Status.SENT}
    assert len(fake.accepted) == 4 and set(fake.sent_to_phone.values()) == {1}
    assert sorted(fake.sent_to_phone) == sorted(c.unit.contact_phone for c in cases)


def test_the_lease_outlasts_the_slowest_sending_of_a_batch():
    """Each message waiting its turn under the rate limit, then each worker's share timing out
    one after another, and a minute to record: 500 / 50 + ⌈500 / 8⌉ × 5 s + 60 s."""
    assert Options(batch=500, rate_per_second=50, workers=8, timeout=5).lease() == timedelta(
        seconds=385)
    assert Options(batch=500, rate_per_second=0.5, workers=8, timeout=5).lease() == timedelta(
        seconds=1_000 + 315 + 60)
    assert Options(batch=9, rate_per_second=2, workers=8, timeout=0.5).lease() == timedelta(
        seconds=4.5 + 1 + 60 + 0.5)  # a part of a second counts as a whole one


def test_a_batch_sent_slowly_is_not_taken_over_while_its_run_lives(make_case):
    """At half a message a second a batch of 500 takes 17 minutes: nobody else may send it
    meanwhile (a fixed ten-minute lease let a second run text the same firms again)."""
    for _ in range(3):
        make_case()
    plan(channels=[Channel.SMS], now=NOON)
    slow = options(rate_per_second=0.5, batch=500, workers=8, timeout=5)
    assert len(_claim(Channel.SMS, NOON, slow.batch, slow.lease())) == 3
    for minutes in (10, 20, 22):
        assert _claim(Channel.SMS, NOON + timedelta(minutes=minutes), 500, slow.lease()) == []
    taken_over = _claim(Channel.SMS, NOON + slow.lease(), 500, slow.lease())
    assert len(taken_over) == 3


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
