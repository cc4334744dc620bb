"""``wengang audit …`` and ``wengang oversight …`` from the command line."""

import json

import pytest
from click.testing import CliRunner

from wengang.accounts.models import Role, User
from wengang.cases.models import Case, State
from wengang.cli import main
from wengang.oversight.models import Finding, RiskHold, SamplePlan

pytestmark = pytest.mark.django_db

CITY = "360100"


def run_cli(*args: str):
    return CliRunner().invoke(main, list(args))


def test_anchor_then_verify_against_the_file(people, make_case, tmp_path):
    from wengang.cases import workflow

    workflow.hold(make_case(State.PAYABLE), actor=people.agency, reason="核查")
    out = tmp_path / "anchors.json"
    assert run_cli("audit", "anchor", "--out", str(out)).exit_code == 0
    document = json.loads(out.read_text())
    assert [a["seq"] for a in document["anchors"]] == [1]
    result = run_cli("audit", "verify", "--anchors", str(out))
    assert result.exit_code == 0 and "1 个锚点相符" in result.output


def test_a_bad_anchor_file_is_refused_plainly(db, tmp_path):
    bad = tmp_path / "anchors.json"
    bad.write_text("{}")
    result = run_cli("audit", "verify", "--anchors", str(bad))
    assert result.exit_code == 1 and "anchor file" in result.output


def test_holds_sample_finding_and_estimate(people, make_case):
    for _ in range(4):
        make_case(State.PAID)
    flagged = make_case(State.PAYABLE)
    Case.objects.filter(pk=flagged.pk).update(risk="shared_phone")
    result = run_cli("oversight", "holds", "--region", CITY, "--actor", "officer")
    assert result.exit_code == 0, result.output
    assert RiskHold.objects.open().get().case_id == flagged.pk
    result = run_cli("oversight", "clear", str(flagged.pk), "--reason", "已核实", "--actor", "officer")
    assert result.exit_code == 0, result.output
    User.objects.create_user("supervisor", password=None, role=Role.SUPERVISOR, region_code=CITY)
    result = run_cli("oversight", "sample", "--program", "inclusive-2020", "--year", "2020",
                     "--region", CITY, "--method", "simple", "--size", "2", "--seed", "7",
                     "--auditor", "auditor", "--actor", "supervisor")
    assert result.exit_code == 0, result.output
    plan = SamplePlan.objects.get()
    assert plan.seed == 7 and run_cli("oversight", "check-sample", str(plan.pk)).exit_code == 0
    first, second = plan.items.order_by("draw")
    assert run_cli("oversight", "finding", str(first.pk), "--improper", "12.50", "--note", "虚报",
                   "--actor", "auditor").exit_code == 0
    assert run_cli("oversight", "finding", str(second.pk), "--note", "无误",
                   "--actor", "auditor").exit_code == 0
    assert sorted(Finding.objects.values_list("improper_fen", flat=True)) == [0, 1250]
    result = run_cli("oversight", "estimate", str(plan.pk))
    assert result.exit_code == 0 and "50.00%" in result.output
    result = run_cli("oversight", "report", str(plan.pk))
    assert result.exit_code == 0 and "12.50" in result.output
    assert run_cli("oversight", "report", "999").exit_code == 1


def test_a_refused_step_exits_1_with_both_languages(people, make_case):
    result = run_cli("oversight", "clear", str(make_case(State.PAYABLE).pk), "--reason", "x",
                     "--actor", "officer")
    assert result.exit_code == 1
    assert "风险暂缓" in result.output and "risk hold" in result.output


def test_verify_with_events_compares_the_case_history(people, make_case, tamper):
    from wengang.cases import workflow
    from wengang.cases.models import CaseEvent

    workflow.hold(make_case(State.PAYABLE), actor=people.agency, reason="核查")
    assert run_cli("audit", "sync").exit_code == 0
    tamper(f"UPDATE cases_caseevent SET reason = '改过' WHERE id = {CaseEvent.objects.get().pk}")
    assert run_cli("audit", "verify").exit_code == 0
    result = run_cli("audit", "verify", "--events")
    assert result.exit_code == 2 and "event_changed" in result.output
