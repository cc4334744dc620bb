"""A dirty city carries a known list of faults, each recorded in .answers/faults.csv."""

import polars as pl
import pytest

from wengang.demo import CitySpec, write_city

from .conftest import FEED_NAMES, read_feeds

# Every kind of problem the contract calls an error that the dirty city must contain.
EXPECTED_KINDS = {
    "uscc_check", "uscc_format", "resident_id_check", "resident_id_birth_date", "date_invalid",
    "date_format", "month_format", "money_negative", "money_decimals", "enum_value",
    "key_duplicate", "unit_unknown", "region_code", "phone_format", "bool_value",
    "value_missing", "count_format", "year_format", "industry_code", "digits_format",
    "column_unknown", "date_order", "date_in_future", "month_before_insured",
}


@pytest.fixture(scope="module")
def faults(dirty_city) -> pl.DataFrame:
    return pl.read_csv(dirty_city / ".answers" / "faults.csv", infer_schema=False)


def test_the_answer_key_covers_every_kind_of_fault_in_every_feed(faults):
    assert faults.columns == ["file", "row", "column", "kind", "value"]
    assert set(faults.get_column("kind")) == EXPECTED_KINDS
    assert set(faults.get_column("file")) == {f"{feed}.csv" for feed in FEED_NAMES}
    assert not faults.select(pl.struct("file", "row", "column").is_duplicated().any()).item()


def test_each_fault_sits_where_the_answer_key_says(dirty_city, faults):
    for fault in faults.iter_rows(named=True):
        frame = pl.read_csv(dirty_city / fault["file"], infer_schema=False)
        if fault["kind"] == "column_unknown":
            assert fault["row"] == "1" and fault["column"] in frame.columns
            continue
        if fault["kind"] == "key_duplicate":                # e.g. column "uscc+month"
            key = fault["column"].split("+")
            row = frame.row(int(fault["row"]) - 2, named=True)
            earlier = frame.head(int(fault["row"]) - 2)
            assert earlier.filter(*[pl.col(c) == row[c] for c in key]).height == 1, fault
            assert " | ".join(row[c] for c in key) == fault["value"]
            continue
        cell = frame.item(int(fault["row"]) - 2, fault["column"])
        assert (cell or "") == (fault["value"] or ""), fault


def test_nothing_but_the_listed_cells_differs_from_the_clean_city(tmp_path, dirty_city, faults):
    """The dirty city is the clean city of the same seed plus the faults, and nothing else."""
    write_city(CitySpec(units=2_000, seed=7), tmp_path)
    clean, dirty = read_feeds(tmp_path), read_feeds(dirty_city)
    broken = faults.filter(pl.col("file") == "units.csv", pl.col("column") == "uscc",
                           pl.col("kind").is_in(["uscc_check", "uscc_format"]))
    orphans = clean["units"][[int(row) - 2 for row in broken.get_column("row")]]["uscc"]
    for feed in FEED_NAMES:
        expected = clean[feed]
        if feed != "units":
            expected = expected.filter(~pl.col("uscc").is_in(orphans.implode()))
        got = dirty[feed].select(expected.columns)
        listed = {(int(row), column) for row, column in faults.filter(
            pl.col("file") == f"{feed}.csv", pl.col("row") != "1").select("row", "column")
            .iter_rows()}
        appended = {(row, column) for row, column in listed if row - 2 >= expected.height}
        assert got.height == expected.height + len(appended), feed
        differing = set()
        for column in expected.columns:
            changed = ~got.get_column(column).head(expected.height).eq_missing(
                expected.get_column(column))
            differing |= {(int(index) + 2, column) for index in changed.arg_true()}
        assert differing == listed - appended, feed


def test_every_format_gets_the_same_faults(tmp_path, faults):
    write_city(CitySpec(units=2_000, seed=7, dirty=True), tmp_path, file_format="parquet")
    parquet = pl.read_csv(tmp_path / ".answers" / "faults.csv", infer_schema=False)
    assert parquet.with_columns(pl.col("file").str.replace(".parquet", ".csv", literal=True)
                                ).sort("file", "row", "column").equals(
        faults.sort("file", "row", "column"))
    registry = pl.read_parquet(tmp_path / "registry.parquet")
    assert "remark" in registry.columns
    assert all(dtype == pl.String for dtype in registry.dtypes)
