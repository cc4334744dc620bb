"""Appeals (申请复核) filed on the internet instance travel inward and are filed by the intranet
as the portal files them; the intranet's answer travels outward to the internet's appeal."""

from datetime import datetime

import pytest
from django.test import Client
from django.urls import reverse

from wengang.accounts.models import Role, User
from wengang.cases.models import Case
from wengang.core.clock import CHINA
from wengang.web.models import Appeal
from wengang.zones.envelope import INWARD, OUTWARD, decode
from wengang.zones.keys import direction_keys
from wengang.zones.models import AppealLink, OutboundMessage, ReceivedMessage, Submission
from wengang.zones.transfer import export, import_

from .conftest import deliver, signed
from .payloads import OWN
from .world import OWN_USCC

pytestmark = pytest.mark.django_db


def _appeal_payload(case_id: int, *, appeal: int = 41, submission: int = 8, uscc: str = OWN_USCC,
                    reason: str = "2019 年参保人数应为 26 人") -> dict:
    return {"appeal": appeal, "case": case_id, "uscc": uscc, "reason": reason,
            "filed_at": "2020-04-30T09:30:00+08:00", "submission": submission,
            "submitted_at": "2020-04-30T09:30:00+08:00"}


def _results() -> list[dict]:
    return [m.payload for m in OutboundMessage.objects.filter(kind="submission_result")
            .order_by("pk")]


def _officer() -> User:
    return User.objects.get(username="officer")


# --- intranet ----------------------------------------------------------------------------------

def test_an_appeal_is_filed_by_the_intranet_and_its_answer_goes_out_once(intranet, world):
    deliver(intranet, INWARD, 1, "appeal", _appeal_payload(world["own_case"]))
    assert import_().applied == [1]
    appeal = Appeal.objects.get()
    assert (appeal.case_id, appeal.status, appeal.reason) == (
        world["own_case"], "open", "2019 年参保人数应为 26 人")
    assert (appeal.filed_by.role, appeal.filed_by.uscc) == (Role.ENTERPRISE, OWN_USCC)
    assert appeal.filed_at == datetime(2020, 4, 30, 9, 30, tzinfo=CHINA)
    assert AppealLink.objects.get().internet_appeal == 41
    assert _results() == [{"submission": 8, "status": "accepted",
                           "reason": "复核申请已受理，经办机构将答复您。"}]

    export()
    assert not OutboundMessage.objects.filter(kind="appeal_answer").exists()  # not answered yet
    Appeal.objects.visible_to(_officer()).answer(appeal.pk, actor=_officer(),
                                                 answer="已按 26 人重新核定")
    summary = export()
    assert summary.collected["appeal_answers"] == 1
    [path] = [p for p in (intranet / "out").glob("outward-*.json")
              if decode(p.read_bytes(), direction_keys()[OUTWARD], direction=OUTWARD).kind
              == "appeal_answer"]
    message = decode(path.read_bytes(), direction_keys()[OUTWARD], direction=OUTWARD)
    assert {k: message.payload[k] for k in ("appeal", "case", "answer")} == {
        "appeal": 41, "case": world["own_case"], "answer": "已按 26 人重新核定"}
    assert export().collected["appeal_answers"] == 0  # once


def test_an_appeal_on_another_unit_s_case_is_refused_and_files_nothing(intranet, world):
    other = Case.objects.get(pk=world["published_case"])
    deliver(intranet, INWARD, 1, "appeal", _appeal_payload(other.pk, uscc=OWN_USCC))
    summary = import_()
    assert summary.applied == [] and "不属于单位" in summary.refused[0][1]
    assert not Appeal.objects.exists() and not AppealLink.objects.exists()
    assert _results()[0]["status"] == "refused"
    assert ReceivedMessage.objects.get().outcome == "refused"


def test_a_second_open_appeal_on_a_case_is_refused_with_the_reason(intranet, world):
    deliver(intranet, INWARD, 1, "appeal", _appeal_payload(world["own_case"]))
    deliver(intranet, INWARD, 2, "appeal", _appeal_payload(world["own_case"], appeal=42,
                                                           submission=9))
    summary = import_()
    assert summary.applied == [1] and summary.refused[0][0] == 2
    assert "已有待答复的复核申请" in summary.refused[0][1] and "open appeal" in summary.refused[0][1]
    assert Appeal.objects.count() == 1 and AppealLink.objects.get().internet_appeal == 41
    assert [r["status"] for r in _results()] == ["accepted", "refused"]


def test_a_tampered_or_replayed_appeal_changes_nothing(intranet, world):
    data = signed(INWARD, 1, "appeal", _appeal_payload(world["own_case"]))
    (intranet / "in").mkdir(parents=True)
    (intranet / "in" / "inward-000000000001.json").write_bytes(
        data.replace("26 人".encode(), "99 人".encode()))
    summary = import_()
    assert summary.applied == [] and "签名不符" in summary.quarantined[0][1]
    assert not Appeal.objects.exists()
    (intranet / "in" / "inward-000000000001.json").write_bytes(data)
    assert import_().applied == [1]
    (intranet / "in" / "inward-000000000001.json").write_bytes(data)  # delivered again
    summary = import_()
    assert summary.applied == [] and "重复投递" in summary.quarantined[0][1]
    assert Appeal.objects.count() == 1 and AppealLink.objects.count() == 1


# --- internet ----------------------------------------------------------------------------------

def _file(client: Client, reason: str = "2019 年参保人数应为 26 人"):
    return client.post(reverse("web:portal-appeal", kwargs={"pk": OWN}), {"reason": reason})


def test_an_appeal_filed_on_the_internet_goes_inward_and_the_answer_comes_back(mirrored,
                                                                                internet):
    assert _file(mirrored).status_code == 302
    appeal = Appeal.objects.get()
    submission = Submission.objects.get()
    assert (submission.kind, submission.case_id, submission.status) == ("appeal", OWN, "awaiting")
    assert export().written == [1]
    message = decode((internet / "out" / "inward-000000000001.json").read_bytes(),
                     direction_keys()[INWARD], direction=INWARD)
    assert (message.kind, message.payload["appeal"], message.payload["case"],
            message.payload["uscc"], message.payload["submission"]) == (
        "appeal", appeal.pk, OWN, OWN_USCC, submission.pk)
    # A second appeal while the first is open is refused here already.
    assert "已有待答复的复核申请" in _file(mirrored, "再问一次").content.decode()

    deliver(internet, OUTWARD, 4, "submission_result", {
        "submission": submission.pk, "status": "accepted", "reason": "复核申请已受理，经办机构将答复您。"})
    deliver(internet, OUTWARD, 5, "appeal_answer", {
        "appeal": appeal.pk, "case": OWN, "answer": "已按 26 人重新核定",
        "answered_at": "2020-05-06T15:00:00+08:00"})
    assert import_().applied == [4, 5]
    appeal.refresh_from_db()
    assert (appeal.status, appeal.answer, appeal.answered_at) == (
        "answered", "已按 26 人重新核定", datetime(2020, 5, 6, 15, tzinfo=CHINA))
    page = mirrored.get(reverse("web:portal-appeal", kwargs={"pk": OWN})).content.decode()
    assert "已按 26 人重新核定" in page and "已答复" in page

    # The same answer again under a new sequence: refused, the answer stays.
    deliver(internet, OUTWARD, 6, "appeal_answer", {
        "appeal": appeal.pk, "case": OWN, "answer": "另一个答复",
        "answered_at": "2020-05-07T15:00:00+08:00"})
    summary = import_()
    assert "已答复" in summary.refused[0][1]
    appeal.refresh_from_db()
    assert appeal.answer == "已按 26 人重新核定"


def test_an_answer_for_an_appeal_the_internet_does_not_have_is_refused(mirrored, internet):
    deliver(internet, OUTWARD, 4, "appeal_answer", {
        "appeal": 999, "case": OWN, "answer": "x", "answered_at": "2020-05-06T15:00:00+08:00"})
    summary = import_()
    assert "外网没有案件" in summary.refused[0][1] and "no appeal 999" in summary.refused[0][1]
    assert not Appeal.objects.exists()


def test_an_appeal_the_intranet_refused_is_answered_with_the_reason_and_may_be_filed_again(
        mirrored, internet):
    _file(mirrored)
    submission = Submission.objects.get()
    deliver(internet, OUTWARD, 4, "submission_result", {
        "submission": submission.pk, "status": "refused",
        "reason": "案件已有待答复的复核申请 / already an open appeal"})
    assert import_().applied == [4]
    appeal = Appeal.objects.get()
    assert appeal.status == "answered" and appeal.answer.startswith("内网未受理：")
    assert _file(mirrored, "再次申请").status_code == 302
    assert Appeal.objects.count() == 2 and Submission.objects.count() == 2
