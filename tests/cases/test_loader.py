"""Loading screening results into cases: opening, idempotency, re-screens, and refusals."""

import json

import pytest

from wengang.cases import workflow
from wengang.cases.errors import InputsChanged, ResultError, RunRecordError, StaleRun
from wengang.cases.late_claims import file_late_claim
from wengang.cases.loading import load_screening
from wengang.cases.models import (
    Action,
    Case,
    CaseEvent,
    ClosedReason,
    LateClaim,
    RescreenFlag,
    ScreeningRun,
    ServiceOfficerTask,
    State,
    Unit,
)

from .builders import ResultRow, UnitRow, write_feeds, write_result

pytestmark = pytest.mark.django_db

LATER = "2020-04-20T10:00:00+08:00"


@pytest.fixture
def units():
    return [UnitRow(1), UnitRow(2, industry_code="62"), UnitRow(3, bank_account=None),
            UnitRow(4, is_labour_dispatch=True), UnitRow(5)]


@pytest.fixture
def feeds(tmp_path, units):
    return write_feeds(tmp_path / "feeds", units)


@pytest.fixture
def first_rows(units):
    return [ResultRow(units[0]), ResultRow(units[1], amount="2500.50"),
            ResultRow(units[2]), ResultRow(units[3]),
            ResultRow(units[4], eligible=False, failed="no_arrears"),
            ResultRow(units[0], program="difficult-2020", eligible=False,
                      failed="difficulty_certificate"),
            ResultRow(units[1], program="difficult-2020", amount="9510.00", route="application")]


@pytest.fixture
def first(tmp_path, feeds, first_rows):
    return write_result(tmp_path / "result.csv", first_rows, feeds=feeds)


def snapshot_of_cases():
    return sorted(Case.objects.values_list("unit__uscc", "program", "state", "amount_fen",
                                           "route", "priority", "version"))


def test_a_first_load_opens_a_case_per_eligible_row(first, units):
    summary = load_screening(first)
    assert (summary.rows, summary.eligible_rows, summary.opened) == (7, 5, 5)
    assert summary.units_created == 5  # every unit screened, eligible or not
    cases = {(c.unit.uscc, c.program): c for c in Case.objects.select_related("unit")}
    assert set(cases) == {(units[0].uscc, "inclusive-2020"), (units[1].uscc, "inclusive-2020"),
                          (units[2].uscc, "inclusive-2020"), (units[3].uscc, "inclusive-2020"),
                          (units[1].uscc, "difficult-2020")}
    first_case = cases[(units[0].uscc, "inclusive-2020")]
    assert (first_case.state, first_case.amount_fen, first_case.refund_year) == (State.SCREENED, 100_000, 2020)
    assert cases[(units[1].uscc, "inclusive-2020")].amount_fen == 250_050
    assert CaseEvent.objects.filter(action=Action.OPENED).count() == 5
    run = ScreeningRun.objects.get()
    assert run.loaded_at is not None and run.summary["opened"] == 5
    unit = Unit.objects.get(uscc=units[0].uscc)
    assert (unit.name, unit.region_code, unit.account_masked) == ("测试单位1", "360102", "****2222")


def test_priority_follows_the_programs_priority_rule(first, units):
    load_screening(first)
    # inclusive-2020: the hard-hit industries of its policy file (62 is retail); difficult-2020:
    # always.
    assert set(Case.objects.filter(priority=True).values_list("unit__uscc", "program")) == {
        (units[1].uscc, "inclusive-2020"), (units[1].uscc, "difficult-2020")}


def test_a_priority_column_in_the_result_wins(tmp_path, feeds, first_rows, units):
    result = write_result(tmp_path / "with-priority.csv", first_rows, feeds=feeds,
                          priority={(1, "inclusive-2020"): True})
    load_screening(result)
    assert set(Case.objects.filter(priority=True).values_list("unit__uscc", flat=True)) == {units[0].uscc}


def test_no_account_and_labour_dispatch_always_apply(first, units):
    summary = load_screening(first)
    assert summary.route_corrected == 2
    routes = dict(Case.objects.filter(program="inclusive-2020")
                  .values_list("unit__uscc", "route"))
    assert routes[units[2].uscc] == "application"  # no account on record
    assert routes[units[3].uscc] == "application"  # labour-dispatch firm
    assert routes[units[0].uscc] == "automatic"


def test_loading_the_same_result_again_changes_nothing(first):
    load_screening(first)
    before = (snapshot_of_cases(), CaseEvent.objects.count(), list(Unit.objects.values()))
    again = load_screening(first)
    assert again.already_loaded and not again.changed_anything
    forced = load_screening(first, force=True)
    assert not forced.already_loaded and not forced.changed_anything
    assert (snapshot_of_cases(), CaseEvent.objects.count(), list(Unit.objects.values())) == before
    assert ScreeningRun.objects.count() == 1


def test_a_rescreen_updates_only_unapproved_cases_and_flags_approved_ones(
        tmp_path, feeds, first, first_rows, units, people):
    load_screening(first)
    by_unit = {c.unit.uscc: c for c in Case.objects.select_related("unit").filter(program="inclusive-2020")}
    approved = by_unit[units[1].uscc]
    workflow.start_review_many([approved.pk], actor=people.agency, channel="cli", request_id="",
                               batch_id=0)
    workflow.approve(Case.objects.get(pk=approved.pk), actor=people.agency)
    # A feed correction: unit 1's premiums were understated, unit 2's overstated, unit 3 fails.
    first_rows[0].amount = "1200.00"
    first_rows[1].amount = "2000.00"
    first_rows[2].eligible, first_rows[2].failed = False, "layoff_rate"
    summary = load_screening(write_result(tmp_path / "rescreen.csv", first_rows, feeds=feeds,
                                          created_at=LATER))
    assert (summary.opened, summary.updated, summary.withdrawn, summary.flagged) == (0, 2, 1, 1)

    raised = Case.objects.get(pk=by_unit[units[0].uscc].pk)
    assert (raised.amount_fen, raised.state, raised.version) == (120_000, State.SCREENED, 2)
    event = CaseEvent.objects.get(case=raised, action=Action.RESCREENED)
    assert (event.amount_before_fen, event.amount_after_fen) == (100_000, 120_000)
    assert event.data["before"]["amount_fen"] == 100_000 and event.data["after"]["eligible"] is True
    assert "返还金额变化" in event.reason
    assert event.data["why"] == event.reason.rsplit("；", 1)[1]

    gone = Case.objects.get(pk=by_unit[units[2].uscc].pk)
    assert (gone.state, gone.closed_reason, gone.eligible) == (State.WITHDRAWN,
                                                             ClosedReason.RESCREEN_INELIGIBLE, False)
    assert "不再符合条件（layoff_rate）" in CaseEvent.objects.get(case=gone, action=Action.RESCREENED).reason

    kept = Case.objects.get(pk=approved.pk)
    assert (kept.state, kept.amount_fen) == (State.APPROVED, 250_050)  # never touched
    flag = RescreenFlag.objects.get()
    assert (flag.case_id, flag.amount_before_fen, flag.amount_after_fen) == (approved.pk, 250_050, 200_000)
    assert not CaseEvent.objects.filter(case=kept, action=Action.RESCREENED).exists()


def test_a_rescreen_event_says_which_inputs_changed(tmp_path, units, first_rows):
    load_screening(write_result(tmp_path / "a.csv", first_rows,
                                feeds=write_feeds(tmp_path / "feeds-a", units)))
    units[4].name = "更正后的名称"  # a corrected units feed
    first_rows[0].amount = "1100.00"
    load_screening(write_result(tmp_path / "b.csv", first_rows, created_at=LATER,
                                feeds=write_feeds(tmp_path / "feeds-b", units)))
    event = CaseEvent.objects.get(action=Action.RESCREENED)
    first_run, second_run = ScreeningRun.objects.order_by("screened_at")
    assert event.reason.endswith(
        f"依据：筛查批次 #{first_run.pk} → #{second_run.pk}，部门数据更新（units）"), event.reason


def test_a_later_rescreen_reopens_a_case_it_had_withdrawn(tmp_path, feeds, first, first_rows, units):
    load_screening(first)
    first_rows[0].eligible, first_rows[0].failed = False, "no_arrears"
    load_screening(write_result(tmp_path / "r2.csv", first_rows, feeds=feeds, created_at=LATER))
    first_rows[0].eligible, first_rows[0].failed = True, ""
    summary = load_screening(write_result(tmp_path / "r3.csv", first_rows, feeds=feeds,
                                          created_at="2020-04-25T10:00:00+08:00"))
    assert summary.reopened == 1
    case = Case.objects.get(unit__uscc=units[0].uscc, program="inclusive-2020")
    assert (case.state, case.closed_reason, case.amount_fen) == (State.SCREENED, "", 100_000)
    assert list(CaseEvent.objects.filter(case=case).values_list("action", flat=True)) == [
        "opened", "rescreened", "rescreen_withdrawn", "rescreened", "rescreen_reopened"]


def test_a_rescreen_leaves_closed_cases_alone(tmp_path, feeds, first, first_rows, units, people):
    load_screening(first)
    case = Case.objects.get(unit__uscc=units[0].uscc, program="inclusive-2020")
    workflow.withdraw(case, actor=people.agency, reason="企业注销")
    first_rows[0].amount = "999.00"
    summary = load_screening(write_result(tmp_path / "r2.csv", first_rows, feeds=feeds,
                                          created_at=LATER))
    assert summary.updated == 0
    assert Case.objects.get(pk=case.pk).amount_fen == 100_000


def test_a_new_eligible_unit_in_a_rescreen_opens_a_case(tmp_path, units, first_rows):
    more = [*units, UnitRow(6)]
    feeds2 = write_feeds(tmp_path / "feeds-a", units)
    load_screening(write_result(tmp_path / "a.csv", first_rows, feeds=feeds2))
    feeds3 = write_feeds(tmp_path / "feeds-b", more)
    summary = load_screening(write_result(tmp_path / "b.csv", [*first_rows, ResultRow(more[5])],
                                          feeds=feeds3, created_at=LATER))
    assert (summary.opened, summary.units_created, summary.updated) == (1, 1, 0)


def test_an_older_result_is_refused_after_a_newer_one(tmp_path, feeds, first_rows):
    newer = write_result(tmp_path / "newer.csv", first_rows, feeds=feeds, created_at=LATER)
    first_rows[0].amount = "1.00"
    older = write_result(tmp_path / "older.csv", first_rows, feeds=feeds)
    load_screening(newer)
    with pytest.raises(StaleRun):
        load_screening(older)


def test_an_edited_result_is_refused(first):
    first.write_text(first.read_text().replace("1000.00", "9000.00", 1))
    with pytest.raises(ResultError) as raised:
        load_screening(first)
    assert "SHA-256" in raised.value.en
    assert not Case.objects.exists()


def test_a_units_feed_changed_since_the_run_is_refused(first, feeds):
    with (feeds / "units.csv").open("a") as handle:
        handle.write("")
    (feeds / "units.csv").write_text((feeds / "units.csv").read_text().replace("测试单位1", "改名单位"))
    with pytest.raises(InputsChanged):
        load_screening(first)


def test_a_missing_run_record_is_refused(first):
    first.with_name("result.run.json").unlink()
    with pytest.raises(RunRecordError):
        load_screening(first)


def test_a_result_that_breaks_the_contract_is_refused_whole(tmp_path, feeds, first_rows):
    first_rows[1].route = "none"  # eligible but no route
    with pytest.raises(ResultError) as raised:
        load_screening(write_result(tmp_path / "bad.csv", first_rows, feeds=feeds))
    assert "eligible and route disagree" in raised.value.en
    assert not Unit.objects.exists()


def test_a_result_whose_units_are_not_in_the_feed_is_refused(tmp_path, units, first_rows):
    feeds = write_feeds(tmp_path / "short-feeds", units[:2])
    with pytest.raises(InputsChanged):
        load_screening(write_result(tmp_path / "r.csv", first_rows, feeds=feeds))


def test_a_parquet_result_loads_like_a_csv(tmp_path, first):
    import duckdb

    parquet = tmp_path / "result.parquet"
    duckdb.sql(f"COPY (SELECT * FROM read_csv('{first}', all_varchar = true)) TO '{parquet}' (FORMAT parquet)")
    record = json.loads(first.with_name("result.run.json").read_text())
    from .builders import sha256_of

    record["output"]["sha256"] = sha256_of(parquet)
    parquet.with_name("result.run.json").write_text(json.dumps(record))
    assert load_screening(parquet).opened == 5


def test_a_waiting_late_claim_is_decided_by_the_next_run(tmp_path, units, first_rows, people):
    newcomer = UnitRow(9)
    claim = file_late_claim(uscc=newcomer.uscc, program="inclusive-2020", claimant_name="赵六",
                            contact_phone="13900000009", actor=people.agency)
    assert claim.status == LateClaim.Status.RECEIVED
    feeds = write_feeds(tmp_path / "f", [*units, newcomer])
    summary = load_screening(write_result(tmp_path / "r.csv", [*first_rows, ResultRow(newcomer)],
                                          feeds=feeds))
    claim.refresh_from_db()
    assert summary.late_claims_decided == 1
    assert claim.status == LateClaim.Status.CASE_OPENED and claim.case.unit.uscc == newcomer.uscc


def test_restructured_units_with_a_case_get_one_service_officer_task(tmp_path, units, first_rows):
    units[0].restructured_on, units[0].restructure_kind = "2019-09-01", "merger"
    units[4].restructured_on, units[4].restructure_kind = "2019-10-01", "split"  # no case
    feeds = write_feeds(tmp_path / "f", units)
    result = write_result(tmp_path / "r.csv", first_rows, feeds=feeds)
    assert load_screening(result).service_tasks == 1
    task = ServiceOfficerTask.objects.get()
    assert task.unit.uscc == units[0].uscc and task.restructure_kind == "merger"
    assert task.facts["cases"][0]["program"] == "inclusive-2020"
    assert load_screening(result, force=True).service_tasks == 0


def test_units_and_cases_hold_accounts_sealed_and_the_year_end_headcount(tmp_path, units,
                                                                         first_rows):
    units[0].insured, units[0].si_account = 15, "3601000012345"
    units[2].si_account, units[2].insured = "3601000054321", None  # no bank account, no rows
    load_screening(write_result(tmp_path / "r.csv", first_rows,
                                feeds=write_feeds(tmp_path / "f", units)))
    bank = Case.objects.get(unit__uscc=units[0].uscc, program="inclusive-2020")
    si = Case.objects.get(unit__uscc=units[2].uscc)
    assert (bank.insured, bank.account_kind, bank.account_masked) == (15, "bank", "****2222")
    assert (si.insured, si.account_kind, si.account_number()) == (None, "si", "3601000054321")
    stored = " ".join(str(v) for row in Unit.objects.values_list() for v in row)
    stored += " ".join(str(v) for row in Case.objects.values_list() for v in row)
    assert "6222000011112222" not in stored and "3601000054321" not in stored


def test_a_rescreen_updates_headcount_and_account_until_approval(tmp_path, units, first_rows,
                                                                 people):
    load_screening(write_result(tmp_path / "a.csv", first_rows,
                                feeds=write_feeds(tmp_path / "fa", units)))
    approved = Case.objects.get(unit__uscc=units[1].uscc, program="inclusive-2020")
    workflow.start_review_many([approved.pk], actor=people.agency, channel="cli", request_id="",
                               batch_id=0)
    workflow.approve(Case.objects.get(pk=approved.pk), actor=people.agency)
    units[0].insured, units[0].bank_account = 14, "6222000033334444"
    units[1].bank_account = "6222000055556666"
    summary = load_screening(write_result(tmp_path / "b.csv", first_rows, created_at=LATER,
                                          feeds=write_feeds(tmp_path / "fb", units)))
    assert (summary.units_updated, summary.updated) == (2, 2)  # unit 2's difficult case too
    case = Case.objects.get(unit__uscc=units[0].uscc, program="inclusive-2020")
    assert (case.insured, case.account_number()) == (14, "6222000033334444")
    event = CaseEvent.objects.get(case=case, action=Action.RESCREENED)
    assert "参保人数变化" in event.reason and "收款账户变化（****2222 → ****4444）" in event.reason
    frozen = Case.objects.get(pk=approved.pk)  # approved: the account it was approved with
    assert frozen.account_number() == "6222000011112222"
    assert frozen.unit.account_number() == "6222000055556666"
    unapproved = Case.objects.get(unit__uscc=units[1].uscc, program="difficult-2020")
    assert unapproved.account_number() == "6222000055556666"


def test_reloading_the_same_feeds_changes_no_sealed_account(first):
    load_screening(first)
    sealed = dict(Unit.objects.values_list("uscc", "account_sealed"))
    summary = load_screening(first, force=True)
    assert (summary.units_updated, summary.updated) == (0, 0)
    assert dict(Unit.objects.values_list("uscc", "account_sealed")) == sealed
