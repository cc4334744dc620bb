"""The ``wengang notify`` commands, reach statistics and the demo step."""

import json

import pytest
from click.testing import CliRunner

from wengang.cases.models import Action, State
from wengang.cli import main
from wengang.outreach.demo import notify_eligible
from wengang.outreach.models import Channel, Notice, Status, Topic
from wengang.outreach.planning import derive, plan
from wengang.outreach.sending import send_pending

from .conftest import COUNTY, NOON, OTHER_COUNTY, at, options

pytestmark = pytest.mark.django_db


def test_reach_by_channel_topic_and_region(make_case):
    make_case(), make_case(region_code=OTHER_COUNTY)
    make_case(State.PAID, action=Action.PAID, contact_phone="")
    plan(channels=[Channel.INBOX, Channel.OUTBOX])
    send_pending(Channel.INBOX, options=options(), now=at(NOON))

    by_channel = {row["channel"]: row for row in Notice.objects.reach("channel")}
    assert by_channel[Channel.INBOX] | {"channel": None} == {
        "channel": None, "notices": 3, "sent": 3, "delivered": 3, "failed": 0, "pending": 0,
        "suppressed": 0}
    assert (by_channel[Channel.OUTBOX]["notices"], by_channel[Channel.OUTBOX]["pending"]) == (2, 2)
    by_topic = {(r["channel"], r["topic"]): r["notices"] for r in Notice.objects.reach("channel", "topic")}
    assert by_topic[(Channel.INBOX, Topic.PAID)] == 1
    assert by_topic[(Channel.INBOX, Topic.ELIGIBLE_AUTOMATIC)] == 2
    by_region = {r["region"]: r["notices"] for r in Notice.objects.reach("region")}
    assert by_region == {COUNTY: 3, OTHER_COUNTY: 2}  # inbox + outbox, and the paid unit's inbox
    assert [r["notices"] for r in Notice.objects.in_region(COUNTY).reach()] == [3]


def test_notify_plan_send_and_stats_from_the_command_line(make_case, own_outbox):
    make_case(), make_case()
    runner = CliRunner()

    planned = runner.invoke(main, ["notify", "plan", "--region", "360100"])
    assert planned.exit_code == 0, planned.output
    said = " ".join(planned.output.split())  # rich wraps lines to the terminal width
    assert "2 cases notified" in said and "4 notices added" in said

    sent = runner.invoke(main, ["notify", "send", "--channel", "outbox"])
    assert sent.exit_code == 0, sent.output
    assert len(own_outbox.read_text(encoding="utf-8").splitlines()) == 2

    stats = runner.invoke(main, ["notify", "stats", "--by", "channel"])
    assert stats.exit_code == 0, stats.output
    rows = {line.split("│")[1].strip(): [cell.strip() for cell in line.split("│")[2:-1]]
            for line in stats.output.splitlines() if line.startswith("│")}
    # notices, sent, delivered, failed, pending, suppressed
    assert rows["发件箱文件"] == ["2", "2", "0", "0", "0", "0"]
    assert rows["站内消息"] == ["2", "0", "0", "0", "2", "0"]


def test_a_refused_command_says_why_and_exits_1(make_case):
    result = CliRunner().invoke(main, ["notify", "opt-out", "--uscc", "91360102MA00000000",
                                       "--channel", "sms"])
    assert result.exit_code == 1 and "no unit with USCC" in " ".join(result.output.split())


def test_an_unconfigured_channel_is_refused_with_the_variable_to_set(make_case, monkeypatch):
    monkeypatch.delenv("WENGANG_OUTREACH_SMS_URL", raising=False)
    result = CliRunner().invoke(main, ["notify", "send", "--channel", "sms"])
    assert result.exit_code == 1 and "WENGANG_OUTREACH_SMS_URL" in " ".join(result.output.split())


def test_opting_out_by_command_suppresses_a_planned_sms(make_case, monkeypatch):
    case = make_case()
    plan(channels=[Channel.SMS])
    result = CliRunner().invoke(main, ["notify", "opt-out", "--uscc", case.unit.uscc,
                                       "--channel", "sms"])
    assert result.exit_code == 0, result.output

    class NeverCalled:
        name = "never"

        def send(self, message):
            raise AssertionError("an opted-out unit must not be sent to")

    dispatch = send_pending(Channel.SMS, gateway=NeverCalled(), options=options(), now=at(NOON))
    assert (dispatch.suppressed, Notice.objects.on(Channel.SMS).get().status) == (
        1, Status.SUPPRESSED)


def test_the_demo_tells_every_eligible_unit_by_inbox_and_outbox(make_case, tmp_path):
    cases = [make_case(), make_case(route="application"), make_case(region_code="360200")]
    outbox = tmp_path / "demo-outbox.jsonl"

    result = notify_eligible("360100", outbox=outbox)

    assert (result.cases_notified, result.inbox_delivered, result.outbox_written) == (2, 2, 2)
    lines = [json.loads(line) for line in outbox.read_text(encoding="utf-8").splitlines()]
    assert sorted(line["to"] for line in lines) == sorted(c.unit.contact_phone for c in cases[:2])
    assert not Notice.objects.filter(case=cases[2]).exists()
    assert notify_eligible("360100", outbox=outbox).inbox_delivered == 0  # told once
    assert derive() == 0
