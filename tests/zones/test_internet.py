"""The internet instance: it keeps the intranet's copy, and records what enterprises and the
public submit instead of deciding anything itself."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from wengang.accounts.login import _enterprise_user
from wengang.cases.models import Case, CaseEvent, State, Unit
from wengang.outreach.models import Notice
from wengang.zones.envelope import INWARD, OUTWARD, decode, open_field
from wengang.zones.keys import direction_keys
from wengang.zones.models import OutboundMessage, Submission
from wengang.zones.transfer import export, import_

from .conftest import deliver
from .payloads import OWN, PUBLISHED, case_payload, event_payload, letters_payload
from .world import OWN_USCC, PUBLISHED_USCC

pytestmark = pytest.mark.django_db

def test_the_copy_holds_what_the_portal_shows(mirrored):
    case = Case.objects.select_related("unit").get(pk=OWN)
    assert (case.state, case.amount_fen, case.unit.name) == (
        "awaiting_application", 1_000_000, "南昌测试机械有限公司")
    assert case.unit.account_masked == "6222****2222" and case.unit.account_sealed == ""
    assert list(CaseEvent.objects.filter(case=case).values_list("pk", flat=True)) == [OWN * 10]
    page = mirrored.get(reverse("web:portal-case", kwargs={"pk": OWN})).content.decode()
    assert "10,000.00" in page and reverse("web:portal-confirm", kwargs={"pk": OWN}) in page


def test_a_letter_replaced_since_it_was_shown_is_not_submitted(mirrored, internet):
    url = reverse("web:portal-confirm", kwargs={"pk": OWN})
    shown = re.search(r'name="letter" value="([0-9a-f]{64})"',
                      mirrored.get(url).content.decode()).group(1)
    form = {"insured": 25, "signatory_name": "王小明", "agree": "on", "amount_fen": 1_000_000,
            "version": 1}
    refused = mirrored.post(url, {**form, "letter": "0" * 64})  # a letter no longer in force
    assert refused.status_code == 200 and "承诺书已在您阅读后更新" in refused.content.decode()
    assert not Submission.objects.exists()
    assert mirrored.post(url, {**form, "letter": shown}).status_code == 302
    assert Submission.objects.get().message.payload["commitment_sha256"] == shown


def test_a_confirmation_waits_for_the_intranet_and_changes_no_case(mirrored, internet):
    events = CaseEvent.objects.count()
    url = reverse("web:portal-confirm", kwargs={"pk": OWN})
    form = {"insured": 25, "signatory_name": "王小明", "agree": "on", "amount_fen": 1_000_000,
            "version": 1}
    response = mirrored.post(url, form)
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert (submission.kind, submission.status, submission.case_id) == (
        "confirmation", "awaiting", OWN)
    assert Case.objects.get(pk=OWN).state == State.AWAITING_APPLICATION
    assert CaseEvent.objects.count() == events
    page = mirrored.get(reverse("web:portal-case", kwargs={"pk": OWN})).content.decode()
    assert "已提交，等待内网审核" in page and url not in page
    second = mirrored.post(url, form)
    assert "正在等待内网审核" in second.content.decode() and Submission.objects.count() == 1

    assert export().written == [1]
    message = decode((internet / "out" / "inward-000000000001.json").read_bytes(),
                     direction_keys()[INWARD], direction=INWARD)
    assert message.kind == "confirmation"
    assert {k: message.payload[k] for k in ("case", "version", "insured", "signatory_name",
                                            "submission")} == {
        "case": OWN, "version": 1, "insured": 25, "signatory_name": "王小明",
        "submission": submission.pk}

    # The intranet's answer, then its case update: accepted, and the case moved on.
    deliver(internet, OUTWARD, 4, "submission_result", {
        "submission": submission.pk, "status": "accepted", "reason": "已确认并签署承诺书，请等待部门联审。"})
    deliver(internet, OUTWARD, 5, "cases", {"cases": [case_payload(
        OWN, OWN_USCC, "南昌测试机械有限公司", State.IN_REVIEW, version=3,
        events=[event_payload(OWN * 10, "opened", "", "awaiting_application"),
                event_payload(OWN * 10 + 1, "applied", "awaiting_application", "applied"),
                event_payload(OWN * 10 + 2, "review_started", "applied", "in_review")])]})
    assert import_().applied == [4, 5]
    submission.refresh_from_db()
    assert submission.status == "accepted"
    case = Case.objects.get(pk=OWN)
    assert (case.state, case.version) == (State.IN_REVIEW, 3)
    page = mirrored.get(reverse("web:portal-case", kwargs={"pk": OWN})).content.decode()
    assert "内网已受理" in page and "联审中" in page and "提交部门联审" in page


def test_a_refused_confirmation_is_shown_and_may_be_submitted_again(mirrored, internet):
    url = reverse("web:portal-confirm", kwargs={"pk": OWN})
    form = {"insured": 25, "signatory_name": "王小明", "agree": "on", "amount_fen": 1_000_000,
            "version": 1}
    mirrored.post(url, form)
    first = Submission.objects.get()
    deliver(internet, OUTWARD, 4, "submission_result", {
        "submission": first.pk, "status": "refused", "reason": "申请已逾期 / the deadline passed"})
    assert import_().applied == [4]
    page = mirrored.get(reverse("web:portal-case", kwargs={"pk": OWN})).content.decode()
    assert "内网未受理" in page and "申请已逾期" in page and url in page
    assert mirrored.post(url, form).status_code == 302 and Submission.objects.count() == 2


def test_an_outward_replay_or_a_message_for_an_unknown_case_changes_nothing(mirrored, internet):
    before = list(Case.objects.order_by("pk").values_list("pk", "state", "version"))
    deliver(internet, OUTWARD, 2, "cases", {"cases": [case_payload(
        OWN, OWN_USCC, "南昌测试机械有限公司", State.REJECTED, version=9, closed_reason="agency_rejected")]})
    deliver(internet, OUTWARD, 5, "notices", {"notices": [{
        "id": 1, "uscc": OWN_USCC, "case": 999, "event": None, "topic": "eligible_application",
        "channel": "inbox", "recipient": "unit", "language": "zh-hans", "amount_fen": 0,
        "due_on": None, "reason": "", "status": "delivered", "attempts": 0,
        "next_attempt_at": "2020-04-30T09:00:00+08:00", "text": "x",
        "created_at": "2020-04-30T09:00:00+08:00", "sent_at": None, "delivered_at": None}]})
    summary = import_()
    assert "重放" in summary.quarantined[0][1] and summary.waiting_for == (4, 4)
    assert list(Case.objects.order_by("pk").values_list("pk", "state", "version")) == before
    deliver(internet, OUTWARD, 4, "commitment_texts", letters_payload())
    summary = import_()
    assert summary.applied == [4] and "外网没有案件 [999]" in summary.refused[0][1]
    assert not Notice.objects.exists()
    assert list(Case.objects.order_by("pk").values_list("pk", "state", "version")) == before


def test_a_public_objection_goes_inward_with_the_contact_sealed(mirrored, internet):
    listing = Client().get(reverse("web:public-publicity")).content.decode()
    assert "南昌公示电子有限公司" in listing
    response = Client().post(reverse("web:public-objection", kwargs={"pk": PUBLISHED}), {
        "objector_name": "李四", "objector_contact": "13912345678", "reason": "该企业去年已停产"})
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert (submission.kind, submission.case_id) == ("objection", PUBLISHED)
    assert Case.objects.get(pk=PUBLISHED).state == State.IN_PUBLICITY  # the intranet decides
    stored = OutboundMessage.objects.get(direction=INWARD).payload
    assert "13912345678" not in str(stored)
    export()
    data = (internet / "out" / "inward-000000000001.json").read_bytes()
    assert b"13912345678" not in data
    message = decode(data, direction_keys()[INWARD], direction=INWARD)
    assert open_field(direction_keys()[INWARD], message.payload["objector_contact"]) == "13912345678"


def test_inbox_notices_are_copied_for_the_unit(mirrored, internet):
    deliver(internet, OUTWARD, 4, "notices", {"notices": [{
        "id": 31, "uscc": OWN_USCC, "case": OWN, "event": OWN * 10, "topic": "eligible_application",
        "channel": "inbox", "recipient": "unit", "language": "zh-hans", "amount_fen": 1_000_000,
        "due_on": "2020-05-29", "reason": "", "status": "delivered", "attempts": 1,
        "next_attempt_at": "2020-04-30T09:00:00+08:00", "text": "贵单位符合稳岗返还条件",
        "created_at": "2020-04-30T09:00:00+08:00", "sent_at": "2020-04-30T09:00:00+08:00",
        "delivered_at": "2020-04-30T09:00:00+08:00"}]})
    assert import_().applied == [4]
    notice = Notice.objects.get()
    assert (notice.pk, notice.unit, notice.event_id) == (31, Unit.objects.get(uscc=OWN_USCC), OWN * 10)
    page = mirrored.get(reverse("web:portal-inbox")).content.decode()
    assert 'id="notice-31"' in page and "贵单位符合稳岗返还条件" in page


def test_an_account_change_goes_inward_sealed_and_nothing_is_recorded_here(mirrored, internet):
    from wengang.payments.models import AccountChange

    response = mirrored.post(reverse("web:portal-account"), {
        "account_number": "6228480012345678", "bank_name": "中国农业银行南昌分行",
        "holder_name": "南昌测试机械有限公司"})
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert (submission.kind, submission.uscc) == ("account_change", OWN_USCC)
    assert "6228480012345678" not in submission.summary and submission.summary.endswith("5678")
    assert not AccountChange.objects.exists()
    assert "6228480012345678" not in str(OutboundMessage.objects.get().payload)
    export()
    data = (internet / "out" / "inward-000000000001.json").read_bytes()
    assert b"6228480012345678" not in data


def test_a_late_claim_goes_inward_and_nothing_is_screened_here(mirrored, internet):
    from wengang.cases.models import LateClaim

    response = mirrored.post(reverse("web:portal-late-claim"), {
        "program": "difficult-2020", "claimant_name": "王小明", "contact_phone": "13800138000",
        "reason": "去年认定为困难企业"})
    assert response.status_code == 302
    submission = Submission.objects.get()
    assert submission.kind == "late_claim" and not LateClaim.objects.exists()
    page = mirrored.get(reverse("web:portal-late-claim")).content.decode()
    assert "已提交补报，等待内网审核" in page  # the message after the POST
    assert f"{submission.summary}：<strong>已提交，等待内网审核</strong>" in page  # the list

    # The intranet screened it: its answer is what the list shows from now on.
    deliver(internet, OUTWARD, 4, "submission_result", {
        "submission": submission.pk, "status": "accepted",
        "reason": "补报已受理：符合条件。2019年实缴失业保险费 …"})
    assert import_().applied == [4]
    page = mirrored.get(reverse("web:portal-late-claim")).content.decode()
    assert "<strong>内网已受理</strong>（补报已受理：符合条件。" in page
    other = Client()  # another enterprise sees none of it
    other.force_login(_enterprise_user(PUBLISHED_USCC))
    assert submission.summary not in other.get(reverse("web:portal-late-claim")).content.decode()
