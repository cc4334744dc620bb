"""The intranet applies inward messages through the workflow: in order, once, signed — and a
refused message changes nothing."""

import shutil

import pytest

from wengang.cases.models import Case, CaseEvent, Commitment, Objection, State
from wengang.zones.envelope import INWARD, seal_field
from wengang.zones.keys import direction_keys
from wengang.zones.models import OutboundMessage, ReceivedMessage
from wengang.zones.transfer import import_

from .conftest import deliver, signed
from .payloads import confirmation_payload, objection_payload
from .world import OWN_USCC

pytestmark = pytest.mark.django_db


def _state() -> tuple:
    """Everything a message could change."""
    return (list(Case.objects.order_by("pk").values_list("pk", "state", "version")),
            CaseEvent.objects.count(), Commitment.objects.count(), Objection.objects.count(),
            list(ReceivedMessage.objects.order_by("sequence")
                 .values_list("sequence", "outcome")),
            OutboundMessage.objects.count())


def _results() -> list[dict]:
    return [m.payload for m in OutboundMessage.objects.filter(kind="submission_result")
            .order_by("pk")]


def test_a_confirmation_is_applied_by_the_workflow_and_answered(intranet, world):
    deliver(intranet, INWARD, 1, "confirmation", confirmation_payload(world["own_case"], submission=7))
    summary = import_()
    assert (summary.applied, summary.refused, summary.quarantined) == ([1], [], [])
    case = Case.objects.get(pk=world["own_case"])
    assert case.state == State.APPLIED
    commitment = Commitment.objects.get(case=case)
    assert (commitment.signatory_name, commitment.channel, commitment.origin) == (
        "王小明", "online", "203.0.113.9")
    assert commitment.accepted_by.uscc == case.unit.uscc  # the enterprise, as on the portal
    event = CaseEvent.objects.filter(case=case).latest("pk")
    assert (event.action, event.request_id) == ("applied", "zone-inward-1")
    assert ReceivedMessage.objects.get().outcome == "applied"
    assert _results() == [{"submission": 7, "status": "accepted",
                           "reason": "已确认并签署承诺书，请等待部门联审。"}]
    assert (intranet / "in" / "applied" / "inward-000000000001.json").exists()
    assert not list((intranet / "in").glob("inward-*.json"))


def test_a_tampered_message_is_quarantined_with_its_reason_and_changes_nothing(intranet, world):
    data = signed(INWARD, 1, "confirmation", confirmation_payload(world["own_case"]))
    tampered = data.replace("王小明".encode(), "王大明".encode())
    (intranet / "in").mkdir(parents=True)
    (intranet / "in" / "inward-000000000001.json").write_bytes(tampered)
    before = _state()
    summary = import_()
    assert summary.applied == [] and [name for name, _ in summary.quarantined] == [
        "inward-000000000001.json"]
    assert "签名不符" in summary.quarantined[0][1] and "signature" in summary.quarantined[0][1]
    assert _state() == before
    reason = (intranet / "in" / "quarantine" / "inward-000000000001.json.reason.txt").read_text()
    assert "签名不符" in reason and "does not match" in reason and "zone_signature" in reason
    # The sequence stays open: the genuine message still applies.
    (intranet / "in" / "inward-000000000001.json").write_bytes(data)
    assert import_().applied == [1]


def test_a_replayed_message_is_refused_and_changes_nothing(intranet, world):
    path = deliver(intranet, INWARD, 1, "confirmation", confirmation_payload(world["own_case"]))
    data = path.read_bytes()
    assert import_().applied == [1]
    before = _state()
    path.write_bytes(data)  # the gateway delivers it again
    summary = import_()
    assert summary.applied == [] and "重复投递" in summary.quarantined[0][1]
    # Another message under an applied sequence number (a replay with new content).
    deliver(intranet, INWARD, 1, "objection", objection_payload(world["published_case"]))
    summary = import_()
    assert summary.applied == [] and "重放" in summary.quarantined[0][1]
    assert "already applied" in summary.quarantined[0][1]
    assert _state() == before
    assert len(list((intranet / "in" / "quarantine").glob("*.reason.txt"))) == 2


def test_a_gap_stops_the_import_until_the_missing_message_comes(intranet, world):
    deliver(intranet, INWARD, 2, "objection", objection_payload(world["published_case"]))
    before = _state()
    summary = import_()
    assert (summary.applied, summary.waiting_for) == ([], (1, 1))
    assert _state() == before
    assert (intranet / "in" / "inward-000000000002.json").exists()  # kept, not skipped
    deliver(intranet, INWARD, 1, "confirmation", confirmation_payload(world["own_case"]))
    summary = import_()
    assert (summary.applied, summary.waiting_for) == ([1, 2], None)
    assert Case.objects.get(pk=world["own_case"]).state == State.APPLIED
    published = Case.objects.get(pk=world["published_case"])
    assert (published.state, published.hold_kind) == (State.ON_HOLD, "objection")
    objection = Objection.objects.get()
    assert (objection.objector_contact, objection.channel) == ("13912345678", "public")


@pytest.mark.parametrize("present, expected", [
    ([1], ([2], None)),          # exactly the next one: applied
    ([1, 3], ([], (2, 2))),      # one beyond: waits for 2
    ([1, 4], ([], (2, 3))),      # two beyond: waits for 2–3
])
def test_only_the_next_sequence_applies(intranet, world, present, expected):
    deliver(intranet, INWARD, 1, "confirmation", confirmation_payload(world["own_case"]))
    assert import_().applied == [1]
    for sequence in present[1:]:
        deliver(intranet, INWARD, sequence, "objection", objection_payload(world["published_case"]))
    if present == [1]:
        deliver(intranet, INWARD, 2, "objection", objection_payload(world["published_case"]))
    summary = import_()
    assert (summary.applied, summary.waiting_for) == expected


def test_a_message_for_an_unknown_case_is_refused_recorded_and_answered(intranet, world):
    deliver(intranet, INWARD, 1, "confirmation", confirmation_payload(999_999, submission=5))
    cases_before, events_before = _state()[0], CaseEvent.objects.count()
    summary = import_()
    assert summary.applied == [] and summary.refused[0][0] == 1
    assert "内网没有案件 999999" in summary.refused[0][1] and "no case 999999" in summary.refused[0][1]
    assert _state()[0] == cases_before and CaseEvent.objects.count() == events_before
    assert Commitment.objects.count() == 0
    received = ReceivedMessage.objects.get()
    assert (received.sequence, received.outcome) == (1, "refused")
    assert _results()[0]["status"] == "refused" and "999999" in _results()[0]["reason"]
    assert (intranet / "in" / "quarantine" / "inward-000000000001.json.reason.txt").exists()
    # The refusal used the sequence up: the next message applies.
    deliver(intranet, INWARD, 2, "confirmation", confirmation_payload(world["own_case"]))
    assert import_().applied == [2]


def test_a_rule_of_the_workflow_refuses_a_confirmation_of_an_older_version(intranet, world):
    case = Case.objects.get(pk=world["own_case"])
    deliver(intranet, INWARD, 1, "confirmation",
            confirmation_payload(case.pk, version=case.version + 1))
    before = _state()[:4]
    summary = import_()
    assert summary.refused[0][1].startswith(f"案件 {case.pk} 已被他人处理")
    assert _state()[:4] == before
    assert _results()[0]["status"] == "refused"


def test_another_unit_s_case_is_refused(intranet, world):
    other = Case.objects.get(pk=world["published_case"])
    deliver(intranet, INWARD, 1, "confirmation",
            confirmation_payload(world["own_case"], uscc=other.unit.uscc))
    summary = import_()
    assert "不属于单位" in summary.refused[0][1]
    assert Case.objects.get(pk=world["own_case"]).state == State.AWAITING_APPLICATION


def test_applying_the_same_spool_twice_changes_nothing_the_second_time(intranet, world):
    deliver(intranet, INWARD, 1, "confirmation", confirmation_payload(world["own_case"]))
    deliver(intranet, INWARD, 2, "objection", objection_payload(world["published_case"]))
    copy = intranet.parent / "copy"
    shutil.copytree(intranet / "in", copy)
    assert import_().applied == [1, 2]
    after_first = _state()
    for path in copy.glob("inward-*.json"):
        shutil.copy(path, intranet / "in" / path.name)
    summary = import_()
    assert summary.applied == [] and len(summary.quarantined) == 2
    assert _state() == after_first


def test_a_single_instance_neither_imports_nor_exports(settings, spool, world):
    from wengang.zones.envelope import ZoneError
    from wengang.zones.transfer import export

    settings.WENGANG_ZONE = "single"
    for step in (import_, export):
        with pytest.raises(ZoneError) as refused:
            step()
        assert refused.value.code == "zone_single"


def test_without_the_key_nothing_is_read(intranet, world, monkeypatch):
    deliver(intranet, INWARD, 1, "confirmation", confirmation_payload(world["own_case"]))
    monkeypatch.delenv("WENGANG_ZONE_KEY")
    from wengang.zones.envelope import ZoneError

    with pytest.raises(ZoneError) as refused:
        import_()
    assert "WENGANG_ZONE_KEY" in refused.value.zh
    assert (intranet / "in" / "inward-000000000001.json").exists()


def test_an_account_change_is_opened_only_on_the_intranet_and_recorded_sealed(intranet, world):
    from wengang.payments.models import AccountChange

    sealed = seal_field(direction_keys()[INWARD], "6228480012345678")
    deliver(intranet, INWARD, 1, "account_change", {
        "uscc": OWN_USCC, "account_number": sealed, "bank_name": "中国农业银行南昌分行",
        "holder_name": "南昌测试机械有限公司", "submission": 3,
        "submitted_at": "2020-04-30T09:58:00+08:00"})
    assert import_().applied == [1]
    change = AccountChange.objects.get()
    assert change.account_number() == "6228480012345678" and change.unit.uscc == OWN_USCC
    assert _results()[0]["status"] == "accepted" and "冷静期" in _results()[0]["reason"]


def test_an_account_change_for_another_holder_is_refused_by_payments(intranet, world):
    from wengang.payments.models import AccountChange

    deliver(intranet, INWARD, 1, "account_change", {
        "uscc": OWN_USCC, "account_number": seal_field(direction_keys()[INWARD], "6228480012345678"),
        "bank_name": "中国农业银行南昌分行", "holder_name": "张三", "submission": 3,
        "submitted_at": "2020-04-30T09:58:00+08:00"})
    summary = import_()
    assert "户名" in summary.refused[0][1] and not AccountChange.objects.exists()


def test_a_late_claim_is_filed_by_the_intranet(intranet, world):
    from wengang.cases.models import LateClaim

    deliver(intranet, INWARD, 1, "late_claim", {
        "uscc": OWN_USCC, "program": "difficult-2020", "claimant_name": "王小明",
        "contact_phone": "13800138000", "reason": "去年认定为困难企业", "submission": 6,
        "submitted_at": "2020-04-30T09:58:00+08:00"})
    summary = import_()
    assert summary.applied == [1], summary.refused
    claim = LateClaim.objects.get()
    assert (claim.uscc, claim.program, claim.channel) == (OWN_USCC, "difficult-2020", "online")
    assert _results()[0]["status"] == "accepted" and "补报已受理" in _results()[0]["reason"]
