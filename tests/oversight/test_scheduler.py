"""``wengang scheduler``: the audit sync and the risk-hold sweep run without anyone remembering;
one tick is tested end to end, the schedule at its interval's edge."""

import secrets
from datetime import timedelta

import pytest
from click.testing import CliRunner

from wengang.accounts.models import Role, User
from wengang.cases import sealing
from wengang.cases.errors import OutsideRegion
from wengang.cases.models import Case, CaseEvent, State
from wengang.cli import main
from wengang.oversight.models import AuditRecord, RiskHold
from wengang.oversight.scheduler import Job, Schedule
from wengang.stats.models import LOCAL, Rollup

pytestmark = pytest.mark.django_db


def flagged_payable(make_case) -> Case:
    case = make_case(State.PAYABLE)
    Case.objects.filter(pk=case.pk).update(risk="shared_bank_account")
    return case


def test_one_tick_holds_flagged_cases_and_chains_every_event(people, make_case):
    case = flagged_payable(make_case)
    result = CliRunner().invoke(main, ["scheduler", "--once", "--actor", people.agency.username])
    assert result.exit_code == 0, result.output
    assert "risk-holds" in result.output and "audit-sync" in result.output
    assert "stats-refresh" in result.output
    assert Rollup.objects.get(source=LOCAL).cases == Case.objects.count()  # the dashboards counted it
    assert Case.objects.get(pk=case.pk).state == State.ON_HOLD
    assert RiskHold.objects.open().get().case_id == case.pk
    # The sync ran first, the sweep's hold event after it: the next tick chains it.
    event = CaseEvent.objects.get(case=case)
    assert not AuditRecord.objects.filter(source="case_event", source_id=event.pk).exists()
    again = CliRunner().invoke(main, ["scheduler", "--once", "--actor", people.agency.username])
    assert again.exit_code == 0
    assert AuditRecord.objects.filter(source="case_event", source_id=event.pk).exists()
    assert RiskHold.objects.count() == 1  # idempotent: nothing held twice


def test_a_refused_job_is_reported_and_the_others_still_run():
    """One job refused by a rule (here: outside the actor's region) does not stop the next."""
    calls = []

    def refused():
        raise OutsideRegion("360100", "360200")

    schedule = Schedule([Job("refused", timedelta(minutes=1), refused),
                         Job("fine", timedelta(minutes=1), lambda: calls.append(1) or "ok")])
    outcomes = schedule.tick(now=1000.0)
    assert [(o.job, o.ok) for o in outcomes] == [("refused", False), ("fine", True)]
    assert "360200" in outcomes[0].summary and calls == [1]


@pytest.mark.parametrize("elapsed, due", [(299.0, False), (300.0, True), (301.0, True)])
def test_a_job_falls_due_when_its_interval_has_passed(elapsed, due):
    runs = []
    schedule = Schedule([Job("sync", timedelta(seconds=300), lambda: runs.append(1) or "ok")])
    schedule.tick(now=1000.0)
    schedule.tick(now=1000.0 + elapsed)
    assert len(runs) == (2 if due else 1)


def test_the_cli_rotates_keys_with_a_status_first(people, make_case, monkeypatch):
    make_case(State.PAYABLE)
    User.objects.create_user("sysadmin", password=None, role=Role.ADMIN, region_code="360100")
    monkeypatch.setenv(sealing.KEYRING_ENV,
                       f"k2:{secrets.token_hex(32)},{sealing.current_key_id()}")
    sealing.reset_keys()
    try:
        status = CliRunner().invoke(main, ["oversight", "rotate-keys", "--status",
                                           "--actor", people.agency.username])
        assert status.exit_code == 0 and "cases.Unit.account_sealed: 1" in status.output
        refused = CliRunner().invoke(main, ["oversight", "rotate-keys",
                                            "--actor", people.agency.username])
        assert refused.exit_code == 1 and "role admin" in refused.output
        rotated = CliRunner().invoke(main, ["oversight", "rotate-keys", "--actor", "sysadmin"])
        assert rotated.exit_code == 0 and "k2" in rotated.output, rotated.output
        assert Case.objects.get().account_sealed.startswith("sm4gcm1:k2:")
    finally:
        monkeypatch.delenv(sealing.KEYRING_ENV)
        sealing.reset_keys()
