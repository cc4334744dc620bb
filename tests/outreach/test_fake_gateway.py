"""Against a real local SMS gateway that fails: every unit gets exactly one delivered notice."""

from datetime import timedelta

import pytest

from wengang.outreach.channels import JsonSmsGateway
from wengang.outreach.fakes import FakeSmsGateway
from wengang.outreach.models import Channel, Notice, Status
from wengang.outreach.planning import plan
from wengang.outreach.sending import RetryPolicy, send_pending

from .conftest import NOON, at, options

pytestmark = pytest.mark.django_db
SECRET = "test-secret"


@pytest.fixture
def fake():
    with FakeSmsGateway(secret=SECRET, slow_seconds=0.05, late_seconds=0.6) as gateway:
        yield gateway


def _client(fake, timeout=0.3):
    return JsonSmsGateway(fake.url, key="wg", secret=SECRET, timeout=timeout)


def _post_receipts(client, fake, monkeypatch):
    monkeypatch.setenv("WENGANG_OUTREACH_SMS_SECRET", SECRET)
    for headers, body in fake.receipts():
        for _ in range(2):  # gateways repeat receipts
            response = client.post("/outreach/receipts/sms-json/", body,
                                   content_type="application/json",
                                   headers={k: v for k, v in headers.items()})
            assert response.status_code == 200, response.content


@pytest.fixture
def urls(settings):
    settings.ROOT_URLCONF = "tests.outreach.urls"


def test_every_unit_gets_exactly_one_delivered_notice_once_the_gateway_recovers(
        make_case, fake, client, urls, monkeypatch):
    cases = [make_case() for _ in range(24)]
    plan(channels=[Channel.SMS])
    # 500s, answers that come after our time-out (the message was taken!), slow answers.
    fake.script = ["500", "timeout", "slow", "500", "timeout", "ok", "slow", "500"] * 3
    moment, runs = NOON, 0
    while Notice.objects.on(Channel.SMS).filter(status=Status.PENDING).exists():
        send_pending(Channel.SMS, gateway=_client(fake), options=options(), now=at(moment))
        moment += timedelta(hours=1)
        runs += 1
        assert runs < 10

    assert fake.requests > len(cases)  # it did fail, and we retried
    assert fake.bad_signatures == 0
    assert len(fake.accepted) == len(cases)
    assert set(fake.sent_to_phone.values()) == {1}  # no phone got a second text
    assert sorted(fake.sent_to_phone) == sorted(c.unit.contact_phone for c in cases)
    assert Notice.objects.on(Channel.SMS).filter(status=Status.SENT).count() == len(cases)

    _post_receipts(client, fake, monkeypatch)

    delivered = Notice.objects.on(Channel.SMS).filter(status=Status.DELIVERED)
    assert delivered.count() == len(cases)
    assert sorted(delivered.values_list("case_id", flat=True)) == sorted(c.pk for c in cases)
    assert all(n.gateway_message_id.startswith("fake-") for n in delivered)


def test_a_time_out_whose_send_succeeded_is_retried_as_the_same_message(make_case, fake):
    case = make_case()
    plan(channels=[Channel.SMS])
    fake.script = ["timeout"]

    first = send_pending(Channel.SMS, gateway=_client(fake), options=options(), now=at(NOON))
    notice = Notice.objects.on(Channel.SMS).get()
    assert (first.retried, notice.status, notice.attempts) == (1, Status.PENDING, 1)
    assert "time-out" in notice.error

    send_pending(Channel.SMS, gateway=_client(fake), options=options(),
                 now=at(NOON + timedelta(seconds=30)))
    notice.refresh_from_db()
    assert (notice.status, notice.attempts) == (Status.SENT, 2)
    assert fake.sent_to_phone[case.unit.contact_phone] == 1
    assert notice.gateway_message_id == fake.accepted[notice.idempotency_key]["message_id"]


def test_retries_back_off_exponentially_and_fail_after_the_last_attempt(make_case, fake):
    make_case()
    plan(channels=[Channel.SMS])
    fake.script = ["500"] * 10
    retry = RetryPolicy(max_attempts=3, base=timedelta(seconds=30))
    opts = options(retry=retry)
    send_pending(Channel.SMS, gateway=_client(fake), options=opts, now=at(NOON))  # attempt 1
    notice = Notice.objects.on(Channel.SMS).get()
    assert notice.next_attempt_at == NOON + timedelta(seconds=30)

    # Just before the back-off ends nothing is sent; at its end, attempt 2.
    early = send_pending(Channel.SMS, gateway=_client(fake), options=opts,
                         now=at(NOON + timedelta(seconds=29)))
    assert (early.due, fake.requests) == (0, 1)
    send_pending(Channel.SMS, gateway=_client(fake), options=opts,
                 now=at(NOON + timedelta(seconds=30)))
    notice.refresh_from_db()
    assert (notice.attempts, notice.status) == (2, Status.PENDING)
    assert notice.next_attempt_at == NOON + timedelta(seconds=30 + 60)

    last = send_pending(Channel.SMS, gateway=_client(fake), options=opts,
                        now=at(NOON + timedelta(seconds=90)))
    notice.refresh_from_db()
    assert (notice.attempts, notice.status, last.failed) == (3, Status.FAILED, 1)
    assert "HTTP 500" in notice.error


def test_the_back_off_is_capped():
    retry = RetryPolicy(base=timedelta(seconds=30), cap=timedelta(minutes=4))
    assert [retry.delay(n).total_seconds() for n in (1, 2, 3, 4, 5, 6)] == [
        30, 60, 120, 240, 240, 240]


def test_a_rejection_is_not_retried(make_case, fake):
    make_case()
    plan(channels=[Channel.SMS])
    wrong_secret = JsonSmsGateway(fake.url, key="wg", secret="not-the-secret", timeout=1)
    dispatch = send_pending(Channel.SMS, gateway=wrong_secret, options=options(), now=at(NOON))
    notice = Notice.objects.on(Channel.SMS).get()
    assert (dispatch.failed, notice.status, notice.attempts) == (1, Status.FAILED, 1)
    assert "HTTP 401" in notice.error and fake.bad_signatures == 1


def test_a_gateway_that_is_down_is_retried_later(make_case):
    make_case()
    plan(channels=[Channel.SMS])
    down = JsonSmsGateway("http://127.0.0.1:9/sms", key="wg", secret=SECRET, timeout=0.5)
    dispatch = send_pending(Channel.SMS, gateway=down, options=options(), now=at(NOON))
    assert (dispatch.retried, Notice.objects.on(Channel.SMS).get().status) == (1, Status.PENDING)
