"""A late claim is screened at once, with the same rules, and the case joins the flow."""

from datetime import date

import pytest

from wengang.cases.late_claims import file_late_claim
from wengang.cases.loading import load_screening
from wengang.cases.models import (
    Action,
    Case,
    CaseEvent,
    LateClaim,
    Route,
    ScreeningRun,
    State,
    Unit,
)

from .builders import ResultRow, UnitRow, write_feeds, write_result

pytestmark = pytest.mark.django_db

LOADED = UnitRow(1)
MISSED = UnitRow(9)  # in the feeds, not in the result: screening missed it
ARREARS = UnitRow(10, months_paid=6)
CERTIFIED = UnitRow(11, certified=True)  # the difficult refund is larger: no inclusive one
ABSENT = UnitRow(12)  # in no feed the agency holds


@pytest.fixture
def loaded_run(tmp_path):
    feeds = write_feeds(tmp_path / "feeds", [LOADED, MISSED, ARREARS, CERTIFIED])
    load_screening(write_result(tmp_path / "r.csv", [ResultRow(LOADED)], feeds=feeds,
                               created_at="2020-04-15T10:00:00+08:00"))
    return ScreeningRun.objects.get()


def claim(people, unit: UnitRow, program: str = "inclusive-2020", **options) -> LateClaim:
    return file_late_claim(uscc=unit.uscc, program=program, claimant_name="赵六",
                           contact_phone="13900000009", actor=people.agency, **options)


def test_a_missed_eligible_unit_gets_a_case_at_once(loaded_run, people):
    found = claim(people, MISSED)
    assert found.status == LateClaim.Status.CASE_OPENED and "符合条件" in found.explanation
    case = Case.objects.get(unit__uscc=MISSED.uscc)
    assert found.case == case
    # 12 months × 500 yuan paid in 2019, a micro firm's 100%: 6,000 yuan; 12 insured.
    assert (case.amount_fen, case.size, case.insured) == (600_000, "micro", 12)
    # Joins the flow on the application route: notified, a deadline, a reminder day.
    assert (case.state, case.route) == (State.AWAITING_APPLICATION, Route.APPLICATION)
    assert case.apply_by == date(2020, 5, 29) and case.remind_on == date(2020, 5, 22)
    assert list(CaseEvent.objects.filter(case=case).order_by("id")
                .values_list("action", flat=True)) == [Action.OPENED, Action.NOTIFIED]
    run = found.decided_by_run
    assert (run.uscc, run.rows, run.as_of, case.opened_by_run) == (MISSED.uscc, 1,
                                                                  date(2020, 4, 29), run)
    assert run.input_sha256 == loaded_run.input_sha256  # the latest run's own feeds
    unit = Unit.objects.get(uscc=MISSED.uscc)
    assert unit.account_number() == "6222000011112222" and unit.name == "测试单位9"


def test_an_ineligible_claim_says_why_and_opens_nothing(loaded_run, people):
    found = claim(people, ARREARS)
    assert found.status == LateClaim.Status.NOT_ELIGIBLE
    assert "足额缴费 6 个月" in found.explanation and found.decided_by_run.uscc == ARREARS.uscc
    assert not Case.objects.filter(unit__uscc=ARREARS.uscc).exists()


def test_the_same_rules_include_not_stacking_two_refunds(loaded_run, people):
    found = claim(people, CERTIFIED)
    assert found.status == LateClaim.Status.NOT_ELIGIBLE and "不重复享受" in found.explanation
    difficult = claim(people, CERTIFIED, "difficult-2020")
    assert difficult.status == LateClaim.Status.CASE_OPENED
    assert difficult.case.amount_fen == 11_412_000  # 6 × 1,585 yuan × 12 insured


def test_a_unit_in_no_feed_waits_for_the_next_run(loaded_run, people):
    waiting = claim(people, ABSENT)
    assert (waiting.status, waiting.case, waiting.decided_by_run) == (
        LateClaim.Status.RECEIVED, None, None)


def test_a_claim_is_screened_from_the_feeds_supplied_for_the_unit(loaded_run, people, tmp_path):
    own = write_feeds(tmp_path / "paper-records", [ABSENT])
    found = claim(people, ABSENT, feeds=own)
    assert found.status == LateClaim.Status.CASE_OPENED
    assert (found.decided_by_run.input_kind, found.decided_by_run.input_path) == ("folder", str(own))


def test_without_a_loaded_run_a_claim_waits(people):
    assert claim(people, MISSED).status == LateClaim.Status.RECEIVED


def test_a_later_full_run_takes_over_the_claimed_case(loaded_run, people, tmp_path):
    case = claim(people, MISSED).case
    feeds = write_feeds(tmp_path / "feeds-2", [LOADED, MISSED])
    rescreened = ResultRow(MISSED, amount="6100.00", route="application")
    summary = load_screening(write_result(tmp_path / "r2.csv", [ResultRow(LOADED), rescreened],
                                          feeds=feeds, created_at="2020-04-20T10:00:00+08:00"))
    # Not refused as older than the one-unit run of 29 April; no second case.
    assert (summary.opened, summary.updated) == (0, 1)
    assert Case.objects.get(pk=case.pk).amount_fen == 610_000
