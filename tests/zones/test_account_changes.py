"""Account changes' status crosses outward: an enterprise or a person who asked for a new
receiving account sees on the internet instance that it is pending, verified or refused —
the masked account, the dates, the officer's note; never the number, its seal or digest, or
the holder's name."""

import re
from datetime import date, datetime

import pytest
from django.test import Client
from django.urls import reverse

from wengang.accounts.login import _enterprise_user, _person_user
from wengang.accounts.models import Role, User
from wengang.cases.models import Person, Unit
from wengang.payments import services as payments
from wengang.payments.models import AccountChange
from wengang.zones.envelope import OUTWARD, decode
from wengang.zones.keys import direction_keys
from wengang.zones.models import Submission
from wengang.zones.transfer import export, import_

from .conftest import deliver
from .payloads import PERSON_CASE, PERSON_ITEM, claim_item_payload, person_case_payload
from .world import OWN_USCC, PERSON_NAME, PUBLISHED_USCC

pytestmark = pytest.mark.django_db

NEW_ACCOUNT = "6228480000009999"
AFTER_COOLING_OFF = date(2020, 5, 11)


def _read(folder) -> list:
    key = direction_keys()[OUTWARD]
    return [decode(path.read_bytes(), key, direction=OUTWARD)
            for path in sorted(folder.glob("outward-*.json"))]


def _sent(folder) -> list[dict]:
    return [c for m in _read(folder) if m.kind == "account_changes"
            for c in m.payload["account_changes"]]


def _request(payee: Unit | Person) -> AccountChange:
    actor = (_enterprise_user(payee.uscc) if isinstance(payee, Unit)
             else _person_user(payee.resident_id_digest))
    return payments.request_account_change(
        payee, actor=actor, account_number=NEW_ACCOUNT, bank_name="中国农业银行南昌分行",
        holder_name=payee.name)


# --- intranet: what goes out -------------------------------------------------------------------

def test_a_request_goes_out_masked_then_its_decision_each_once(intranet, world):
    change = _request(Unit.objects.get(uscc=OWN_USCC))
    assert export().collected["account_changes"] == 1
    [pending] = _sent(intranet / "out")
    assert datetime.fromisoformat(pending.pop("requested_at")) == change.requested_at
    assert pending == {
        "id": change.pk, "uscc": OWN_USCC, "bank_name": "中国农业银行南昌分行",
        "account_kind": "bank", "account_masked": change.account_masked, "status": "pending",
        "channel": "online",
        "verifiable_from": change.verifiable_from.isoformat(), "decided_at": None,
        "decision_note": ""}
    assert export().collected["account_changes"] == 0

    payments.decide_account_change(change, actor=User.objects.get(username="officer"),
                                   approve=False, note="开户许可证与单位名称不符",
                                   today=AFTER_COOLING_OFF)
    assert export().collected["account_changes"] == 1
    refused = _sent(intranet / "out")[-1]
    assert (refused["id"], refused["status"], refused["decision_note"]) == (
        change.pk, "rejected", "开户许可证与单位名称不符")
    assert refused["decided_at"] and export().collected["account_changes"] == 0


def test_a_person_s_request_goes_out_by_blind_index_without_the_name_or_number(intranet, world):
    person = Person.objects.get()
    change = _request(person)
    export()
    [sent] = _sent(intranet / "out")
    assert (sent["person"], sent["status"]) == (person.resident_id_digest, "pending")
    assert "uscc" not in sent and "holder_name" not in sent
    text = "".join(p.read_text(encoding="utf-8") for p in (intranet / "out").iterdir())
    for secret in (NEW_ACCOUNT, PERSON_NAME, change.account_sealed, change.account_digest):
        assert secret not in text


def test_a_change_of_a_unit_the_internet_does_not_have_yet_waits(intranet, world):
    other = Unit.objects.get(uscc=OWN_USCC)
    other.pk, other.uscc, other.name = None, OWN_USCC[:-2] + "99", "南昌未立案有限公司"
    other.save()  # a unit with no case: nothing of it is on the internet
    _request(other)
    assert export().collected["account_changes"] == 0


# --- internet: the copy ------------------------------------------------------------------------

def _change(pk: int, status: str = "pending", **owner) -> dict:
    decided = status != "pending"
    return {"id": pk, **(owner or {"uscc": OWN_USCC}), "bank_name": "中国农业银行南昌分行",
            "account_kind": "bank", "account_masked": "****9999", "status": status,
            "requested_at": "2020-04-30T10:00:00+08:00", "channel": "online",
            "verifiable_from": "2020-05-08",
            "decided_at": "2020-05-11T09:30:00+08:00" if decided else None,
            "decision_note": "开户许可证与单位名称不符" if status == "rejected" else ""}


def test_the_portal_on_the_internet_shows_a_request_pending_then_refused(mirrored, internet):
    deliver(internet, OUTWARD, 4, "account_changes", {"account_changes": [_change(31)]})
    assert import_().applied == [4]
    page = mirrored.get(reverse("web:portal-account")).content.decode()
    assert "****9999" in page and "待核实" in page and "冷静期至 2020-05-08" in page
    assert "中国工商银行南昌分行 6222****2222" in page  # the account on record, as on a single one

    path = deliver(internet, OUTWARD, 5, "account_changes",
                   {"account_changes": [_change(31, "rejected")]})
    data = path.read_bytes()
    assert import_().applied == [5]
    change = AccountChange.objects.get()
    assert (change.status, change.account_sealed, change.account_digest, change.holder_name) == (
        "rejected", "", "", "")
    assert change.requested_by.uscc == OWN_USCC and change.decided_by.username == "zone-intranet"
    page = mirrored.get(reverse("web:portal-account")).content.decode()
    assert "不予变更" in page and "开户许可证与单位名称不符" in page and "待核实" not in page

    (internet / "in" / path.name).write_bytes(data)  # the gateway delivers it again
    AccountChange.objects.update(decision_note="（本地改动）")  # so a second application shows
    summary = import_()
    assert summary.applied == [] and "重复投递" in summary.quarantined[0][1]
    assert AccountChange.objects.get().decision_note == "（本地改动）"


def test_a_snapshot_sent_again_leaves_one_record_as_it_was(mirrored, internet):
    deliver(internet, OUTWARD, 4, "account_changes", {"account_changes": [_change(31, "approved")]})
    deliver(internet, OUTWARD, 5, "account_changes", {"account_changes": [_change(31, "approved")]})
    assert import_().applied == [4, 5]
    assert list(AccountChange.objects.values_list("pk", "status")) == [(31, "approved")]


def test_a_change_of_an_unknown_payee_is_refused_and_changes_nothing(mirrored, internet):
    deliver(internet, OUTWARD, 4, "account_changes", {"account_changes": [
        _change(31), _change(32, uscc="91360100MA00000000")]})
    summary = import_()
    assert summary.applied == [] and "外网没有账户变更 32 的申请人" in summary.refused[0][1]
    assert not AccountChange.objects.exists()  # the whole message, not half of it


def test_a_person_sees_their_verified_change_on_the_internet(internet, db):
    digest = "d" * 64
    deliver(internet, OUTWARD, 1, "cases", {"cases": [person_case_payload(digest=digest)]})
    deliver(internet, OUTWARD, 2, "account_changes", {"account_changes": [
        _change(41, "approved", person=digest)]})
    assert import_().applied == [1, 2]
    client = Client()
    client.force_login(User.objects.get(role=Role.PERSON, resident_id_digest=digest))
    page = client.get(reverse("web:person-account")).content.decode()
    assert "已核实" in page and "****9999" in page
    # the subsidy not yet paid goes to the verified account, as a single instance says
    assert page.count("****9999") >= 2


def _listed(client: Client, view: str) -> list[str]:
    """The items of the page's list of change requests, as text."""
    page = client.get(reverse(view)).content.decode()
    listed = re.search(r'<ul class="events" id="changes">(.*?)</ul>', page, re.DOTALL)
    return [re.sub(r"<[^>]+>", "", item) for item in re.findall(r"<li[^>]*>(.*?)</li>",
                                                                 listed.group(1))] if listed else []


ACCOUNT_FORM = {"account_number": NEW_ACCOUNT, "bank_name": "中国农业银行南昌分行",
                "holder_name": "南昌测试机械有限公司"}


def test_a_request_made_here_is_listed_until_the_intranet_records_it(mirrored, internet):
    """Awaiting the intranet's answer, then refused with its reason; one the intranet accepted
    comes back as the change itself, listed once."""
    assert mirrored.post(reverse("web:portal-account"), ACCOUNT_FORM).status_code == 302
    refused = Submission.objects.get()
    (item,) = _listed(mirrored, "web:portal-account")
    assert refused.summary in item and "已提交，等待内网审核" in item and NEW_ACCOUNT not in item

    deliver(internet, OUTWARD, 4, "submission_result", {
        "submission": refused.pk, "status": "refused", "reason": "申请人与单位不符"})
    assert import_().applied == [4]
    (item,) = _listed(mirrored, "web:portal-account")
    assert "内网未受理" in item and "申请人与单位不符" in item

    mirrored.post(reverse("web:portal-account"), ACCOUNT_FORM)
    accepted = Submission.objects.exclude(pk=refused.pk).get()
    deliver(internet, OUTWARD, 5, "submission_result", {
        "submission": accepted.pk, "status": "accepted", "reason": ""})
    deliver(internet, OUTWARD, 6, "account_changes", {"account_changes": [_change(31)]})
    assert import_().applied == [5, 6]
    refused_item, change_item = _listed(mirrored, "web:portal-account")
    assert "内网未受理" in refused_item
    assert "****9999" in change_item and "待核实" in change_item and "冷静期至" in change_item

    other = Client()  # another enterprise sees none of it
    other.force_login(_enterprise_user(PUBLISHED_USCC))
    assert _listed(other, "web:portal-account") == []


def test_a_person_s_request_made_here_is_listed_for_that_person_only(internet, db):
    digest, stranger = "d" * 64, "e" * 64
    other_case = person_case_payload(digest=stranger, id=PERSON_CASE + 1,
                                     items=[claim_item_payload(PERSON_ITEM + 1, 57_600)])
    other_case["events"] = [{**other_case["events"][0], "id": (PERSON_CASE + 1) * 10}]
    deliver(internet, OUTWARD, 1, "cases", {"cases": [person_case_payload(digest=digest),
                                                      other_case]})
    assert import_().applied == [1]
    client = Client()
    client.force_login(_person_user(digest))
    assert client.post(reverse("web:person-account"), {
        **ACCOUNT_FORM, "holder_name": PERSON_NAME}).status_code == 302
    (item,) = _listed(client, "web:person-account")
    assert "已提交，等待内网审核" in item and Submission.objects.get().summary in item

    other = Client()
    other.force_login(_person_user(stranger))
    assert _listed(other, "web:person-account") == []
