"""The importer accepts a clean synthetic city as it is and reports every fault of a dirty one."""

import polars as pl
import pytest

from wengang.demo import CitySpec, write_city
from wengang.feeds import FeedSetInvalid, import_feed_set


@pytest.mark.parametrize("file_format, units", [("csv", 5_000), ("parquet", 2_000),
                                                ("xlsx", 300)])
def test_a_clean_city_imports_without_a_single_problem(tmp_path, file_format, units):
    write_city(CitySpec(units=units, seed=13), tmp_path / "city", file_format=file_format)
    try:
        import_feed_set(tmp_path / "city", tmp_path / "store")
    except FeedSetInvalid as invalid:
        problems = pl.from_arrow(invalid.report.table)
        pytest.fail(f"{len(problems)} problems, e.g.\n{problems.head(10)}")


@pytest.mark.parametrize("file_format, units", [("csv", 2_000), ("parquet", 2_000),
                                                ("xlsx", 300)])
def test_the_importer_reports_every_injected_fault_where_it_is(tmp_path, file_format, units):
    write_city(CitySpec(units=units, seed=17, dirty=True), tmp_path / "city",
               file_format=file_format)
    with pytest.raises(FeedSetInvalid) as invalid:
        import_feed_set(tmp_path / "city", tmp_path / "store")
    reported = pl.from_arrow(invalid.value.report.table).select(
        "file", pl.col("row").cast(pl.Int64), "column", "code")
    faults = pl.read_csv(tmp_path / "city" / ".answers" / "faults.csv", infer_schema=False
                         ).with_columns(pl.col("row").cast(pl.Int64))
    missed = faults.join(reported, on=["file", "row", "column"], how="anti")
    assert missed.is_empty(), f"not reported:\n{missed}"
    same_code = faults.join(reported, left_on=["file", "row", "column", "kind"],
                            right_on=["file", "row", "column", "code"], how="anti")
    assert same_code.is_empty(), f"reported with another code:\n{same_code}"
