"""Delivery receipts: signed, idempotent, in our shape or the cloud one; anything else refused."""

import json
from datetime import UTC, datetime

import pytest

from wengang.outreach import receipts
from wengang.outreach.errors import SignatureInvalid
from wengang.outreach.models import Channel, Notice, Status
from wengang.outreach.planning import plan
from wengang.outreach.signing import sign

pytestmark = pytest.mark.django_db
SECRET = "receipt-secret"
URL = "/outreach/receipts/sms-json/"


@pytest.fixture(autouse=True)
def setup(settings, monkeypatch):
    settings.ROOT_URLCONF = "tests.outreach.urls"
    monkeypatch.setenv("WENGANG_OUTREACH_SMS_SECRET", SECRET)


@pytest.fixture
def sent(make_case):
    """Two SMS notices handed to the gateway (as the sender leaves them)."""
    make_case(), make_case()
    plan(channels=[Channel.SMS])
    notices = list(Notice.objects.on(Channel.SMS).order_by("pk"))
    for i, notice in enumerate(notices):
        Notice.objects.on(Channel.SMS).filter(pk=notice.pk).update(status=Status.SENT, gateway_message_id=f"gw-{i}")
    return notices


def post(client, payload, *, secret=SECRET, age=0):
    body = json.dumps(payload).encode()
    timestamp = str(int(datetime.now(UTC).timestamp()) - age)
    return client.post(URL, body, content_type="application/json", headers={
        "X-Wengang-Timestamp": timestamp, "X-Wengang-Signature": sign(secret, timestamp, body)})


def statuses():
    return list(Notice.objects.on(Channel.SMS).order_by("pk").values_list("status", flat=True))


def test_receipts_by_key_or_gateway_id_mark_notices_delivered_once(client, sent):
    payload = {"receipts": [{"idempotency_key": sent[0].idempotency_key, "status": "delivered"},
                            {"message_id": "gw-1", "status": "delivered"}]}
    assert post(client, payload).json() == {"changed": 2}
    assert post(client, payload).json() == {"changed": 0}
    assert statuses() == [Status.DELIVERED, Status.DELIVERED]


def test_a_failure_receipt_fails_a_sent_notice_but_never_a_delivered_one(client, sent):
    post(client, {"message_id": "gw-0", "status": "delivered"})
    post(client, {"receipts": [{"message_id": "gw-0", "status": "failed", "error": "UNDELIV"},
                               {"message_id": "gw-1", "status": "failed", "error": "UNDELIV"}]})
    assert statuses() == [Status.DELIVERED, Status.FAILED]
    assert Notice.objects.on(Channel.SMS).get(pk=sent[1].pk).error == "UNDELIV"


def test_cloud_shaped_receipts_are_read(client, sent):
    payload = [{"out_id": sent[0].idempotency_key, "biz_id": "x", "success": True,
                "err_code": "DELIVERED"},
               {"out_id": sent[1].idempotency_key, "biz_id": "y", "success": False,
                "err_code": "MK:0001", "err_msg": "空号"}]
    assert post(client, payload).status_code == 200
    assert statuses() == [Status.DELIVERED, Status.FAILED]
    assert Notice.objects.on(Channel.SMS).get(pk=sent[1].pk).error == "MK:0001 空号"


@pytest.mark.parametrize(("secret", "age", "accepted"), [
    (SECRET, 0, True), (SECRET, 600, False), ("forged", 0, False),
])
def test_only_fresh_receipts_signed_with_the_secret_count(client, sent, secret, age, accepted):
    response = post(client, {"message_id": "gw-0", "status": "delivered"}, secret=secret, age=age)
    assert response.status_code == (200 if accepted else 403)
    assert statuses()[0] == (Status.DELIVERED if accepted else Status.SENT)
    if not accepted:
        assert response.json()["code"] == "signature_invalid"


@pytest.mark.parametrize(("age", "fresh"), [(-301, False), (-300, True), (299, True),
                                            (300, True), (301, False)])
def test_the_replay_window_is_five_minutes_either_way(age, fresh):
    now = datetime(2020, 4, 29, 4, 0, tzinfo=UTC)
    timestamp = str(int(now.timestamp()) - age)
    body = b'{"message_id": "gw-0", "status": "delivered"}'
    check = {"gateway": "sms-json", "secret": SECRET, "timestamp": timestamp, "body": body,
             "signature": sign(SECRET, timestamp, body), "now": now}
    if fresh:
        receipts.verify(**check)
    else:
        with pytest.raises(SignatureInvalid):
            receipts.verify(**check)


def test_an_unreadable_receipt_is_refused_and_changes_nothing(client, sent):
    response = post(client, {"receipts": [{"message_id": "gw-0", "status": "delivered"},
                                          {"message_id": "gw-1", "status": "maybe"}]})
    assert response.status_code == 400 and response.json()["code"] == "receipt_invalid"
    assert statuses() == [Status.SENT, Status.SENT]


def test_a_receipt_that_overtakes_the_answer_keeps_the_notice_delivered(client, make_case):
    """The gateway's receipt can arrive while our send is still waiting for its answer."""
    from wengang.outreach.channels import JsonSmsGateway
    from wengang.outreach.fakes import FakeSmsGateway
    from wengang.outreach.sending import send_pending

    from .conftest import NOON, at, options

    make_case()
    plan(channels=[Channel.SMS], now=NOON)
    notice = Notice.objects.on(Channel.SMS).get()
    assert post(client, {"idempotency_key": notice.idempotency_key,
                         "status": "delivered"}).json() == {"changed": 1}
    assert Notice.objects.on(Channel.SMS).get().status == Status.PENDING  # in flight: the answer decides, but…

    with FakeSmsGateway(secret=SECRET) as fake:
        send_pending(Channel.SMS, gateway=JsonSmsGateway(fake.url, key="k", secret=SECRET),
                     options=options(), now=at(NOON))
    notice.refresh_from_db()
    assert notice.status == Status.DELIVERED  # …the receipt is not lost
    assert notice.gateway_message_id == "fake-1"
