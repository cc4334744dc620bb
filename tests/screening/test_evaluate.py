"""Evaluation: results come out in (uscc, program) order unsorted, stacking is settled within a
unit's row, and a feed no program reads is not read."""

import csv
import dataclasses
from datetime import date
from pathlib import Path

import pytest

from tests.screening.builder import Unit, write_feeds
from wengang.policy import load_policy
from wengang.policy.model import Stacking
from wengang.screening import InputError, folder_source, screen
from wengang.screening.errors import ScreeningError
from wengang.screening.evaluate import features_read, output_sql, results_sql
from wengang.screening.features import SEPARATION_FEATURES

AS_OF = date(2020, 4, 15)


def _units(count: int) -> list[Unit]:
    # Numbers far apart and out of order, so USCC order differs from the order written.
    return [Unit(number=(i * 7919) % 100_003, insured=5 + i % 40,
                 difficulty=[("2020-01-01", "2020-12-31")] if i % 3 == 0 else [],
                 premium="800.00" if i % 5 == 0 else "50.00")
            for i in range(count)]


def _table_order(run) -> list[tuple[str, str]]:
    """The result table's rows as the engine reads them, with no ORDER BY."""
    return run.connection.execute(f"SELECT uscc, program FROM {run.table}").fetchall()


def test_the_result_table_reads_in_unit_and_program_order_without_a_sort(tmp_path):
    feeds = write_feeds(tmp_path / "feeds", _units(300), year=2019, as_of=AS_OF.isoformat())
    run = screen(folder_source(feeds), programs=["inclusive-2020", "difficult-2020"], as_of=AS_OF,
                 region_code="360100")
    rows = _table_order(run)
    assert len(rows) == 600
    assert rows == sorted(rows)
    # Both outcomes of stacking are among them, so the settled rows kept their places too.
    failed = {row[0] for row in run.connection.execute(
        f"SELECT array_to_string(failed, ';') FROM {run.table}").fetchall()}
    assert "stacking" in failed


def test_programs_of_two_assessment_years_are_sorted_into_the_same_order(tmp_path):
    feeds = write_feeds(tmp_path / "feeds", _units(60), year=2019, as_of="2021-03-15")
    run = screen(folder_source(feeds), programs=["inclusive-2021", "inclusive-2020"],
                 as_of=date(2021, 3, 15), region_code="360100")
    rows = _table_order(run)
    assert len(rows) == 120
    assert rows == sorted(rows)


def test_a_stacking_group_across_assessment_years_is_refused_with_a_reason():
    policy = load_policy()
    resolved = [policy.resolve(p, on=date(2021, 3, 15), region_code="360100", settings={})
                for p in ("inclusive-2020", "inclusive-2021")]
    joined = dataclasses.replace(resolved[1], program=dataclasses.replace(
        resolved[1].program, stacking=Stacking(group="refund-2020", rank=2)))
    with pytest.raises(ScreeningError, match="refund-2020") as raised:
        results_sql("t", [(resolved[0], "wg_features_2019", "wg_risk_2019"),
                          (joined, "wg_features_2020", "wg_risk_2020")])
    assert "考核年度" in raised.value.zh and "assessment years" in raised.value.en


@pytest.mark.parametrize(("strategy", "reads_separations"), [
    ("net_headcount", False), ("layoff_separations", True), ("benefit_claimants", True)])
def test_the_features_read_follow_the_layoff_strategy(strategy, reads_separations):
    policy = load_policy()
    resolved = [policy.resolve(p, on=AS_OF, region_code="360100",
                               settings={"layoff_strategy": strategy})
                for p in ("inclusive-2020", "difficult-2020")]
    read = features_read(resolved)
    assert {"months_paid_in_full", "premium_base_fen", "difficulty_certified"} <= read
    assert (not read.isdisjoint(SEPARATION_FEATURES)) is reads_separations


def _with_a_bad_separation(tmp_path: Path) -> Path:
    units = [Unit(1, insured=40, separations=[("2019-05-01", "layoff", True)] * 3), Unit(2)]
    feeds = write_feeds(tmp_path / "feeds", units, year=2019, as_of=AS_OF.isoformat())
    path = feeds / "separations.csv"
    path.write_text(path.read_text(encoding="utf-8").replace("2019-05-01", "2019-13-45", 1),
                    encoding="utf-8")
    return feeds


def test_a_feed_no_program_reads_is_not_parsed_but_is_fingerprinted(tmp_path):
    feeds = _with_a_bad_separation(tmp_path)
    run = screen(folder_source(feeds), programs=["inclusive-2020"], as_of=AS_OF,
                 region_code="360100")
    run.write(tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8") as handle:
        assert [row["eligible"] for row in csv.DictReader(handle)] == ["true", "true"]
    assert "separations" in run.input_hashes


def test_the_same_feed_is_parsed_when_the_layoff_rate_counts_separations(tmp_path):
    feeds = _with_a_bad_separation(tmp_path)
    with pytest.raises(InputError, match="2019-13-45"):
        screen(folder_source(feeds), programs=["inclusive-2020"], as_of=AS_OF,
               region_code="360100", settings={"layoff_strategy": "layoff_separations"})


def test_the_summary_and_breakdowns_count_what_the_result_rows_hold(tmp_path):
    feeds = write_feeds(tmp_path / "feeds", _units(300), year=2019, as_of=AS_OF.isoformat())
    run = screen(folder_source(feeds), programs=["inclusive-2020", "difficult-2020"], as_of=AS_OF,
                 region_code="360100")
    query = run.connection.execute
    assert run.summary() == query(f"""
        SELECT program, count(*), count(*) FILTER (WHERE eligible),
               coalesce(sum(amount_fen), 0)::BIGINT, count(*) FILTER (WHERE route = 'automatic'),
               count(*) FILTER (WHERE route = 'application')
        FROM {run.table} GROUP BY program ORDER BY program""").fetchall()
    for column in ("size", "route"):
        assert run.breakdown(column) == query(f"""
            SELECT program, {column}, count(*) FILTER (WHERE eligible),
                   coalesce(sum(amount_fen), 0)::BIGINT
            FROM {run.table} GROUP BY ALL ORDER BY program, {column}""").fetchall()


def test_the_rows_written_straight_from_the_units_are_the_result_rows_shown_as_written(tmp_path):
    # The built units share one bank account, so the explanations carry risk signals too.
    feeds = write_feeds(tmp_path / "feeds", _units(300), year=2019, as_of=AS_OF.isoformat())
    run = screen(folder_source(feeds), programs=["inclusive-2020", "difficult-2020"], as_of=AS_OF,
                 region_code="360100")
    query = run.connection.execute
    written = query(f"SELECT * FROM {run.written}").fetchall()
    assert written == query(output_sql(run.table, ordered=True)).fetchall()
    failed = {row[7] for row in written}
    assert {"", "stacking"} <= failed and len(failed) > 2
    assert any("风险提示" in row[8] for row in written)
