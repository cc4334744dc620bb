"""Quiet hours and the rate limit, at, just below and just above each edge."""

import time as time_module
from datetime import datetime

import pytest

from wengang.core.clock import CHINA
from wengang.outreach.channels import JsonSmsGateway, OutboxFileGateway
from wengang.outreach.fakes import FakeSmsGateway
from wengang.outreach.models import Channel, Notice, Status
from wengang.outreach.planning import plan
from wengang.outreach.sending import QuietHours, RateLimiter, send_pending

from .conftest import at, options

QUIET = QuietHours.parse("21:00-08:00")


def moment(hour: int, minute: int = 0, second: int = 0, day: int = 29) -> datetime:
    return datetime(2020, 4, day, hour, minute, second, tzinfo=CHINA)


@pytest.mark.parametrize(("now", "quiet"), [
    (moment(20, 59, 59), False), (moment(21), True), (moment(21, 0, 1), True),
    (moment(7, 59, 59), True), (moment(8), False), (moment(8, 0, 1), False),
    (moment(0), True), (moment(12), False),
])
def test_quiet_hours_edges(now, quiet):
    assert QUIET.contains(now) is quiet


def test_quiet_hours_end_in_the_morning():
    assert QUIET.ends_after(moment(21)) == moment(8, day=30)
    assert QUIET.ends_after(moment(7, 59, 59)) == moment(8)


def test_no_quiet_hours_when_switched_off():
    assert not QuietHours.parse("").contains(moment(3))


@pytest.mark.django_db
@pytest.mark.parametrize(("now", "sent"), [
    (moment(20, 59, 59), True), (moment(21), False), (moment(7, 59, 59), False), (moment(8), True),
])
def test_no_sms_at_night(make_case, now, sent):
    make_case()
    plan(channels=[Channel.SMS, Channel.INBOX], now=now)
    with FakeSmsGateway(secret="s") as fake:
        gateway = JsonSmsGateway(fake.url, key="k", secret="s")
        dispatch = send_pending(Channel.SMS, gateway=gateway, options=options(quiet=QUIET),
                                now=at(now))
        inbox = send_pending(Channel.INBOX, options=options(quiet=QUIET), now=at(now))
    sms = Notice.objects.get(channel=Channel.SMS)
    assert inbox.sent == 1  # the inbox has no night
    if sent:
        assert (dispatch.sent, sms.status, len(fake.accepted)) == (1, Status.SENT, 1)
    else:
        assert (dispatch.deferred, sms.status, sms.attempts, fake.requests) == (
            1, Status.PENDING, 0, 0)
        assert sms.next_attempt_at == QUIET.ends_after(now)


class FakeTime:
    """A monotonic clock the limiter reads, and a sleep that moves it."""

    def __init__(self) -> None:
        self.now = 100.0
        self.slept: list[float] = []

    def monotonic(self) -> float:
        return self.now

    def sleep(self, seconds: float) -> None:
        self.slept.append(round(seconds, 6))
        self.now += seconds


def test_the_rate_limit_allows_a_burst_then_one_per_interval():
    time = FakeTime()
    limiter = RateLimiter(5, burst=5, monotonic=time.monotonic, sleep=time.sleep)
    assert [limiter.wait_time() for _ in range(5)] == [0.0] * 5
    assert limiter.wait_time() == pytest.approx(0.2)
    time.now += 0.19
    assert limiter.wait_time() == pytest.approx(0.01)
    time.now += 0.01
    assert limiter.wait_time() == 0.0
    assert limiter.wait_time() == pytest.approx(0.2)


def test_acquire_waits_just_long_enough():
    time = FakeTime()
    limiter = RateLimiter(10, burst=1, monotonic=time.monotonic, sleep=time.sleep)
    for _ in range(4):
        limiter.acquire()
    assert time.slept == [0.1, 0.1, 0.1]
    assert time.now == pytest.approx(100.3)


@pytest.mark.django_db
@pytest.mark.parametrize(("rate", "at_least"), [(10, 0.45), (10_000, 0.0)])
def test_sending_keeps_to_the_rate_limit_against_a_real_gateway(make_case, rate, at_least):
    for _ in range(15):
        make_case()
    plan(channels=[Channel.SMS])
    with FakeSmsGateway(secret="s") as fake:
        gateway = JsonSmsGateway(fake.url, key="k", secret="s")
        started = time_module.monotonic()
        send_pending(Channel.SMS, gateway=gateway, options=options(rate_per_second=rate))
        seconds = time_module.monotonic() - started
    # A burst of ``rate`` goes at once; at 10/s the other 5 take at least half a second.
    assert len(fake.accepted) == 15
    assert seconds >= at_least
    if rate == 10:
        assert seconds < 3


@pytest.mark.django_db
def test_the_inbox_and_the_outbox_file_are_not_rate_limited(make_case, tmp_path):
    """The limit spares a gateway; writing into our own inbox or file needs none. At 0.5 a
    second, 15 inbox messages and 15 outbox lines would take half a minute if limited."""
    for _ in range(15):
        make_case()
    plan(channels=[Channel.INBOX, Channel.OUTBOX])
    started = time_module.monotonic()
    inbox = send_pending(Channel.INBOX, options=options(rate_per_second=0.5))
    outbox = send_pending(Channel.OUTBOX, gateway=OutboxFileGateway(tmp_path / "outbox.jsonl"),
                          options=options(rate_per_second=0.5))
    assert (inbox.sent, outbox.sent) == (15, 15)
    assert time_module.monotonic() - started < 10
