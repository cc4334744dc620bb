"""Paying the city from the command line: budget, batch, approve, export, reconcile, claw back."""

import pytest
from click.testing import CliRunner

from wengang.cases.models import Case, State
from wengang.cli import main
from wengang.payments.models import (
    AccountChange,
    Budget,
    PaymentBatch,
    Receivable,
    WriteOffProposal,
)

from .returns import csv_return, outcome_rows
from .world import CITY, PROGRAM

pytestmark = pytest.mark.django_db


def run(*args, actor="officer"):
    return CliRunner().invoke(main, ["payments", *args], env={"WENGANG_ACTOR": actor},
                              catch_exceptions=False)


def test_the_payment_flow_runs_from_the_command_line(people, make_case, tmp_path):
    cases = [make_case(amount_fen=fen) for fen in (100_000, 50_000)]
    assert run("paying-account", "--region", CITY, "--holder", "南昌市社保局", "--account",
               "3605010000", "--bank", "建设银行").exit_code == 0
    refused = run("budget", "allocate", "--region", CITY, "--program", PROGRAM, "--year", "2020",
                  "--amount", "1499.99", actor="officer")
    assert refused.exit_code == 1 and "wrong_role" in refused.output
    assert run("budget", "allocate", "--region", CITY, "--program", PROGRAM, "--year", "2020",
               "--amount", "1499.99", actor="finance").exit_code == 0

    built = run("batch", "build", "--region", CITY, "--program", PROGRAM)
    assert built.exit_code == 0 and "1,500.00" in built.output, built.output
    batch = PaymentBatch.objects.get()
    short = run("batch", "approve", str(batch.pk), actor="finance")
    assert short.exit_code == 1 and "缺口 0.01 元" in short.output, short.output
    assert run("budget", "allocate", "--region", CITY, "--program", PROGRAM, "--year", "2020",
               "--amount", "0.01", actor="finance").exit_code == 0
    assert run("batch", "approve", str(batch.pk), actor="finance").exit_code == 0

    exported = run("batch", "export", str(batch.pk), "--out", str(tmp_path))
    assert exported.exit_code == 0 and "WG-360100-" in exported.output, exported.output
    assert (tmp_path / f"batch-{batch.pk}.pain001.xml").exists()

    batch.refresh_from_db()
    bad = tmp_path / "bad.csv"
    bad.write_bytes(csv_return(batch, outcome_rows(batch) + [("NOPE", 1, "")]))
    rejected = run("reconcile", str(bad), "--report", str(tmp_path / "problems.csv"))
    assert rejected.exit_code == 1 and "NOPE" in (tmp_path / "problems.csv").read_text()
    good = tmp_path / "good.csv"
    good.write_bytes(csv_return(batch, outcome_rows(batch, failed={cases[1].pk: "账户已销户"})))
    applied = run("reconcile", str(good))
    assert applied.exit_code == 0 and "1,000.00" in applied.output, applied.output
    assert Case.objects.get(pk=cases[1].pk).state == State.PAYMENT_FAILED

    raised = run("receivable", "raise", str(cases[0].pk), "--amount", "300.00", "--source",
                 "audit_finding", "--reason", "虚报", "--due", "2020-06-30")
    assert raised.exit_code == 0, raised.output
    receivable = str(Receivable.objects.get().pk)
    assert run("receivable", "repay", receivable, "--amount", "100.00", "--reference", "缴款书1")\
        .exit_code == 0
    assert run("receivable", "write-off", "propose", receivable, "--amount", "200.00",
               "--reason", "已注销").exit_code == 0
    proposal = str(WriteOffProposal.objects.get().pk)
    own = run("receivable", "write-off", "decide", proposal, "--approve", actor="officer")
    assert own.exit_code == 1 and "wrong_role" in own.output, own.output
    assert run("receivable", "write-off", "decide", proposal, "--approve", actor="finance")\
        .exit_code == 0
    listed = run("budget", "list")
    assert listed.exit_code == 0 and "平衡" in listed.output, listed.output
    budget = Budget.objects.get()
    assert (budget.paid_fen, budget.written_off_fen) == (100_000 - 30_000, 20_000)

    unit = cases[1].unit
    asked = run("account", "request", "--uscc", unit.uscc, "--account", "6228480000001111",
                "--bank", "农业银行", "--holder", unit.name)
    assert asked.exit_code == 0 and "2020-05-14" in asked.output, asked.output
    early = run("account", "decide", str(AccountChange.objects.get().pk), "--approve", "--note",
                "核实", actor="officer2")
    assert early.exit_code == 1 and "冷静期" in early.output
