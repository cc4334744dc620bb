"""Persons' subsidies cross to the internet instance: a trainee logs in there and sees /me/,
while no resident ID or account number leaves the intranet — only the blind index and masked
forms."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from wengang.accounts.models import Role, SmsOutbox, User
from wengang.cases.models import Case, CaseEvent, ClaimItem, Person
from wengang.cases.sealing import resident_id_digest
from wengang.core.clock import clock
from wengang.core.ids import resident_id_check_char
from wengang.outreach.models import Channel, Notice, Recipient, Status, Topic
from wengang.payments.models import AccountChange
from wengang.zones.envelope import INWARD, OUTWARD, decode, open_field, seal_field
from wengang.zones.keys import direction_keys
from wengang.zones.models import ReceivedMessage, Submission
from wengang.zones.transfer import export, import_

from .conftest import deliver
from .payloads import PERSON_CASE as CASE
from .payloads import PERSON_ITEM as ITEM
from .payloads import claim_item_payload as _item
from .payloads import person_case_payload as _person_case
from .world import (
    CERTIFICATE,
    ITEM_EXPLANATION,
    PERSON_ACCOUNT,
    PERSON_ID,
    PERSON_NAME,
    PERSON_PHONE,
)

pytestmark = pytest.mark.django_db

DIGEST_FOR_TESTS = "d" * 64  # a blind index as the intranet sends it (its key is the intranet's)


@pytest.fixture(autouse=True)
def outbox(settings):
    settings.WENGANG_SMS_URL, settings.WENGANG_SMS_OUTBOX = "", True


def _read(folder) -> list:
    key = direction_keys()[OUTWARD]
    return [decode(path.read_bytes(), key, direction=OUTWARD)
            for path in sorted(folder.glob("outward-*.json"))]


def _snapshot(messages, case_id: int) -> dict:
    return next(c for m in messages if m.kind == "cases" for c in m.payload["cases"]
                if c["id"] == case_id)


# --- intranet: what goes out -------------------------------------------------------------------

def test_a_person_s_case_goes_out_with_the_blind_index_and_masked_forms_only(intranet, world):
    export()
    snapshot = _snapshot(_read(intranet / "out"), world["person_case"])
    person = Person.objects.get()
    assert snapshot["person"] == {
        "resident_id_digest": person.resident_id_digest, "name": "张*丰",
        "phone": PERSON_PHONE, "region_code": "360102", "account_kind": "si",
        "account_masked": person.account_masked, "resident_id_masked": person.resident_id_masked}
    assert "unit" not in snapshot and snapshot["amount_fen"] == 57_600
    [item] = snapshot["items"]
    assert (item["subject"], item["amount_fen"], item["dated"], item["explanation"]) == (
        "certificate", 57_600, "2020-03-02", ITEM_EXPLANATION)
    assert "record" not in item and "item_key" not in item
    text = "".join(p.read_text(encoding="utf-8") for p in (intranet / "out").iterdir())
    for secret in (PERSON_ID, PERSON_ACCOUNT, PERSON_NAME, CERTIFICATE, person.resident_id_sealed,
                   person.account_sealed, person.account_digest):
        assert secret not in text


def test_a_person_s_notices_go_out_on_every_channel_without_the_address(intranet, world):
    case = Case.objects.get(pk=world["person_case"])
    unit_case = Case.objects.get(pk=world["own_case"])
    now = clock.now()
    common = {"topic": Topic.PERSON_ELIGIBLE, "amount_fen": 57_600, "status": Status.SENT,
              "next_attempt_at": now, "created_at": now}
    inbox = Notice.objects.create(person=case.person, case=case, channel=Channel.INBOX,
                                  recipient=Recipient.PERSON, text="您符合培训补贴条件", **common)
    sms = Notice.objects.create(person=case.person, case=case, channel=Channel.SMS,
                                recipient=Recipient.PERSON, address=PERSON_PHONE,
                                text="【稳岗通】张*丰：您符合培训补贴条件", **common)
    Notice.objects.create(unit=unit_case.unit, case=unit_case, channel=Channel.SMS,
                          recipient=Recipient.CONTACT, address="13800138000", text="单位短信",
                          **{**common, "topic": Topic.ELIGIBLE_APPLICATION})
    summary = export()
    assert summary.collected["notices"] == 2
    [message] = [m for m in _read(intranet / "out") if m.kind == "notices"]
    assert [(n["id"], n["person"], n["channel"]) for n in message.payload["notices"]] == [
        (inbox.pk, case.person.resident_id_digest, "inbox"),
        (sms.pk, case.person.resident_id_digest, "sms")]
    assert all("address" not in n and "uscc" not in n for n in message.payload["notices"])
    assert export().collected["notices"] == 0  # each once


# --- internet: the copy and the login ----------------------------------------------------------

def _notice(pk: int, digest: str) -> dict:
    return {"id": pk, "person": digest, "case": CASE, "event": CASE * 10,
            "topic": "person_eligible", "channel": "sms", "recipient": "person",
            "language": "zh-hans", "amount_fen": 57_600, "due_on": None, "reason": "",
            "status": "sent", "attempts": 1, "next_attempt_at": "2020-04-30T09:00:00+08:00",
            "text": "【稳岗通】张*丰：经比对，您符合培训补贴条件",
            "created_at": "2020-04-30T09:00:00+08:00", "sent_at": "2020-04-30T09:00:00+08:00",
            "delivered_at": None}


@pytest.fixture
def digest(internet) -> str:
    """The blind index of the world's trainee, as the intranet (same field key) computes it."""
    return resident_id_digest(PERSON_ID)


def test_a_trainee_logs_in_on_the_internet_and_sees_the_subsidy(internet, db, digest):
    deliver(internet, OUTWARD, 1, "cases", {"cases": [_person_case(digest=digest)]})
    deliver(internet, OUTWARD, 2, "notices", {"notices": [_notice(71, digest)]})
    assert import_().applied == [1, 2]
    person = Person.objects.get()
    assert (person.name, person.phone, person.resident_id_sealed, person.account_sealed) == (
        "张*丰", PERSON_PHONE, "", "")
    client = Client()
    step = client.post(reverse("web:person-login"), {"resident_id": PERSON_ID})
    assert step.status_code == 302 and SmsOutbox.objects.get().phone == PERSON_PHONE
    code = re.search(r"验证码为 (\d{6})", SmsOutbox.objects.get().text).group(1)
    home = client.post(reverse("web:person-code"), {"code": code}, follow=True)
    assert home.redirect_chain[-1][0] == reverse("web:person-home")
    text = home.content.decode()
    assert "576.00" in text and "48 学时 ≥ 40 学时" in text and "技能等级证书" in text
    assert "张*丰" in text and "360102********9014" in text
    assert PERSON_ID not in text and CERTIFICATE not in text
    account = client.get(reverse("web:person-account")).content.decode()
    assert "6217****5678" in account and PERSON_ACCOUNT not in account
    assert User.objects.get(role=Role.PERSON).resident_id_digest == digest
    case_page = client.get(reverse("web:person-case", args=[CASE])).content.decode()
    assert "比对筛查" in case_page and "576.00" in case_page
    inbox = client.get(reverse("web:person-inbox")).content.decode()
    assert 'id="notice-71"' in inbox and "您符合培训补贴条件" in inbox


def test_an_unknown_resident_id_gets_no_code_on_the_internet_either(internet, db, digest):
    deliver(internet, OUTWARD, 1, "cases", {"cases": [_person_case(digest=digest)]})
    import_()
    other = PERSON_ID[:16] + "2" + resident_id_check_char(PERSON_ID[:16] + "2")
    step = Client().post(reverse("web:person-login"), {"resident_id": other})
    assert step.status_code == 302 and not SmsOutbox.objects.exists()


def test_a_later_snapshot_brings_the_person_case_and_its_items_up_to_date(internet, db, digest):
    deliver(internet, OUTWARD, 1, "cases", {"cases": [_person_case(
        digest=digest, items=[_item(ITEM, 57_600), _item(ITEM + 1, 10_000)],
        amount_fen=67_600)]})
    assert import_().applied == [1]
    assert ClaimItem.objects.count() == 2
    approved = [{"id": CASE * 10, "at": "2020-04-20T09:00:00+08:00", "action": "opened",
                 "state_before": "", "state_after": "notified", "reason": "",
                 "channel": "system", "amount_before_fen": None, "amount_after_fen": None,
                 "actor_label": ""},
                {"id": CASE * 10 + 1, "at": "2020-04-25T09:00:00+08:00", "action": "approved",
                 "state_before": "notified", "state_after": "approved", "reason": "",
                 "channel": "console", "amount_before_fen": None, "amount_after_fen": None,
                 "actor_label": "经办"}]
    deliver(internet, OUTWARD, 2, "cases", {"cases": [_person_case(
        digest=digest, state="approved", approved_on="2020-04-25", version=2, events=approved,
        items=[_item(ITEM, 50_000, "复核后：48 学时按 40 学时计")], amount_fen=50_000,
        person={**_person_case(digest=digest)["person"], "phone": "13900390099"})]})
    assert import_().applied == [2]
    case = Case.objects.get(pk=CASE)
    assert (case.state, case.amount_fen, case.version) == ("approved", 50_000, 2)
    assert list(ClaimItem.objects.values_list("pk", "amount_fen", "explanation")) == [
        (ITEM, 50_000, "复核后：48 学时按 40 学时计")]
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == [
        "opened", "approved"]
    assert Person.objects.get().phone == "13900390099" and Person.objects.count() == 1


def test_a_person_notice_for_an_unknown_person_is_refused_and_changes_nothing(internet, db,
                                                                              digest):
    deliver(internet, OUTWARD, 1, "cases", {"cases": [_person_case(digest=digest)]})
    deliver(internet, OUTWARD, 2, "notices", {"notices": [_notice(71, digest),
                                                          _notice(72, DIGEST_FOR_TESTS)]})
    summary = import_()
    assert summary.applied == [1] and summary.refused[0][0] == 2
    assert "外网没有个人" in summary.refused[0][1] and "no person" in summary.refused[0][1]
    assert not Notice.objects.exists()  # the whole message, not half of it
    assert ReceivedMessage.objects.get(sequence=2).outcome == "refused"
    assert (internet / "in" / "quarantine" / "outward-000000000002.json.reason.txt").exists()


def test_a_tampered_person_snapshot_is_quarantined_and_creates_no_person(internet, db, digest):
    path = deliver(internet, OUTWARD, 1, "cases", {"cases": [_person_case(digest=digest)]})
    path.write_bytes(path.read_bytes().replace(PERSON_PHONE.encode(), b"13000000000"))
    summary = import_()
    assert summary.applied == [] and "签名不符" in summary.quarantined[0][1]
    assert not Person.objects.exists() and not Case.objects.exists()


def test_a_replayed_person_snapshot_is_refused(internet, db, digest):
    path = deliver(internet, OUTWARD, 1, "cases", {"cases": [_person_case(digest=digest)]})
    data = path.read_bytes()
    assert import_().applied == [1]
    (internet / "in" / path.name).write_bytes(data)
    Person.objects.update(phone="13900390099")  # so a second application would show
    summary = import_()
    assert summary.applied == [] and "重复投递" in summary.quarantined[0][1]
    assert Person.objects.get().phone == "13900390099"



# --- a person's new receiving account ----------------------------------------------------------

NEW_ACCOUNT = "6228480000009999"


def _account_change(digest: str, holder: str = PERSON_NAME) -> dict:
    return {"person": digest, "account_number": seal_field(direction_keys()[INWARD], NEW_ACCOUNT),
            "bank_name": "农业银行", "holder_name": holder, "submission": 5,
            "submitted_at": "2020-04-30T09:58:00+08:00"}


def test_a_person_s_account_change_is_requested_by_the_intranet_as_the_person(intranet, world):
    person = Person.objects.get()
    deliver(intranet, INWARD, 1, "account_change", _account_change(person.resident_id_digest))
    assert import_().applied == [1]
    change = AccountChange.objects.get()
    assert (change.person, change.unit, change.channel) == (person, None, "online")
    assert change.account_number() == NEW_ACCOUNT
    assert (change.requested_by.role, change.requested_by.resident_id_digest) == (
        Role.PERSON, person.resident_id_digest)


@pytest.mark.parametrize("digest, holder, said", [
    ("e" * 64, PERSON_NAME, "内网没有个人"),                  # nobody on the intranet
    (None, "李四", "与本人姓名不一致"),                          # the full name decides, inside
])
def test_a_person_s_account_change_is_refused_for_an_unknown_person_or_another_holder(
        intranet, world, digest, holder, said):
    digest = digest or Person.objects.get().resident_id_digest
    deliver(intranet, INWARD, 1, "account_change", _account_change(digest, holder))
    summary = import_()
    assert summary.applied == [] and said in summary.refused[0][1]
    assert not AccountChange.objects.exists()


def test_a_person_s_account_change_on_the_internet_goes_inward_sealed(internet, db, digest):
    deliver(internet, OUTWARD, 1, "cases", {"cases": [_person_case(digest=digest)]})
    assert import_().applied == [1]
    client = Client()
    client.force_login(User.objects.create_user("person-x", password=None, role=Role.PERSON,
                                                region_code="360102", resident_id_digest=digest))
    response = client.post(reverse("web:person-account"), {
        "account_number": NEW_ACCOUNT, "bank_name": "农业银行", "holder_name": PERSON_NAME})
    assert response.status_code == 302 and not AccountChange.objects.exists()
    submission = Submission.objects.get()
    assert (submission.kind, submission.uscc) == ("account_change", "")
    assert NEW_ACCOUNT not in submission.summary and submission.summary.endswith("9999")
    assert export().written == [1]
    data = (internet / "out" / "inward-000000000001.json").read_bytes()
    assert NEW_ACCOUNT.encode() not in data
    message = decode(data, direction_keys()[INWARD], direction=INWARD)
    assert (message.kind, message.payload["person"]) == ("account_change", digest)
    assert open_field(direction_keys()[INWARD], message.payload["account_number"]) == NEW_ACCOUNT
