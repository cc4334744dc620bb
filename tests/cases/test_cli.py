"""The whole flow from the command line: load, notify, review, publicity, payable."""

import pytest
from click.testing import CliRunner

from wengang.cases.models import Case, PublicityBatch, ReviewTask, State
from wengang.cli import main
from wengang.core.clock import clock

from .builders import ResultRow, UnitRow, write_feeds, write_result

pytestmark = pytest.mark.django_db


def run(*args, actor="officer"):
    result = CliRunner().invoke(main, ["cases", *args], env={"WENGANG_ACTOR": actor},
                                catch_exceptions=False)
    return result


def test_the_flow_runs_from_the_command_line(tmp_path, people):
    from datetime import date

    units = [UnitRow(1), UnitRow(2), UnitRow(3, bank_account=None)]
    feeds = write_feeds(tmp_path / "feeds", units)
    result = write_result(tmp_path / "result.csv", [ResultRow(u) for u in units], feeds=feeds)

    loaded = run("load", str(result))
    assert loaded.exit_code == 0, loaded.output
    assert "新立案" in loaded.output and Case.objects.count() == 3
    assert "未作任何更改" in run("load", str(result)).output

    assert run("notify", "--region", "360100").exit_code == 0
    assert Case.objects.filter(state=State.NOTIFIED).count() == 2

    opened = run("review", "open", "--region", "360100", "--program", "inclusive-2020")
    assert opened.exit_code == 0 and "2020-05-07" in opened.output, opened.output
    listed = run("review", "list")
    assert "待审" in listed.output
    tasks = list(ReviewTask.objects.order_by("department"))
    doubtful = Case.objects.filter(state=State.IN_REVIEW).order_by("id").last()
    for task in tasks:
        args = (["--object", f"{doubtful.pk}=欠税"] if task.department == "tax" else ["--agree"])
        decided = run("review", "decide", str(task.pk), *args, actor=f"rev-{task.department}")
        assert decided.exit_code == 0, decided.output
    assert Case.objects.get(pk=doubtful.pk).state == State.RETURNED
    assert Case.objects.filter(state=State.APPROVED).count() == 1

    published = run("publicity", "open", "--region", "360100")
    assert "2020-05-08" in published.output, published.output
    batch = str(PublicityBatch.objects.get().pk)  # not 1 on PostgreSQL: sequences never rewind
    refused = run("publicity", "close", batch)
    assert refused.exit_code == 1 and "publicity_running" in refused.output
    with clock.frozen(date(2020, 5, 11)):
        closed = run("publicity", "close", batch)
    assert closed.exit_code == 0 and Case.objects.filter(state=State.PAYABLE).count() == 1

    shown = run("show", str(doubtful.pk))
    assert "联审退回" in shown.output and "欠税" in shown.output
    assert "待拨付" in run("status", "--region", "360100").output
    assert "没有逾期任务" in run("overdue").output


def test_a_refused_step_prints_the_reason_and_exits_1(people, make_case):
    case = make_case(State.PAYABLE)
    refused = run("approve", str(case.pk))
    assert refused.exit_code == 1
    assert "不能办理" in refused.output and "illegal_transition" in refused.output
    unknown = run("hold", str(case.pk), "--reason", "x", actor="nobody")
    assert unknown.exit_code == 1 and "unknown user" in unknown.output


def test_the_calendar_commands_show_both_counts(people):
    shown = run("calendar", "deadline", "2020-04-29", "5")
    assert "2020-05-09" in shown.output and "2020-05-08" in shown.output
    added = run("calendar", "add", "2027-01-01", "holiday", "--name", "元旦")
    assert added.exit_code == 0, added.output
    assert run("calendar", "add", "2027-01-04", "workday").exit_code != 0  # a Monday


def test_reminders_are_listed_and_recorded_from_the_command_line(people, make_case):
    from datetime import date

    from wengang.cases import workflow

    case = workflow.notify(make_case(route="application"), actor=people.agency)
    with clock.frozen(date(2020, 5, 21)):
        assert str(case.pk) not in run("reminders", "--region", "360100").output
    with clock.frozen(date(2020, 5, 22)):
        listed = run("reminders", "--region", "360100", "--record")
        assert listed.exit_code == 0 and "2020-05-29" in listed.output, listed.output
        assert "已记录提醒 1 件" in listed.output
        assert "已记录提醒 0 件" in run("reminders", "--record").output


def test_an_account_changes_from_the_command_line_until_approval(people, make_case):
    case = make_case(State.APPLIED, route="application")
    changed = run("account", str(case.pk), "--account", "6217009988776655", "--reason", "来函")
    assert changed.exit_code == 0 and "****6655" in changed.output, changed.output
    assert "****6655" in run("show", str(case.pk)).output
    frozen = run("account", str(make_case(State.PAYABLE).pk), "--account", "6217009988776655",
                 "--reason", "来函")
    assert frozen.exit_code == 1 and "account_frozen" in frozen.output
