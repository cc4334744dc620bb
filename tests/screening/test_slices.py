"""Screening in slices of units gives the output of one pass, byte for byte.

A city of 3,000 units is screened once in one pass and again in slices of 700 and of 1,000 units
(5 and 3 slices), from the feed folder and from its snapshot. Three units sharing a bank account
lie in different slices on purpose: the sharing counts must come from the whole population.
"""

import csv
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest

from wengang.demo.synth import CitySpec, write_city
from wengang.feeds import import_feed_set
from wengang.screening import folder_source, screen, snapshot_source
from wengang.screening.slices import slice_bounds, slice_of_sql

AS_OF = date(2020, 4, 15)
PROGRAMS = ["inclusive-2020", "difficult-2020"]


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("city")
    write_city(CitySpec(units=3_000, seed=7, region_code="360100", year=2019), folder)
    _share_across_the_city(folder / "units.csv")
    return folder


def _share_across_the_city(units_csv: Path) -> None:
    """Give the first, middle and last unit (by USCC) one bank account: three units, in three
    different slices, at the threshold of the shared-account flag."""
    with units_csv.open(encoding="utf-8", newline="") as handle:
        reader = csv.DictReader(handle)
        fields, rows = reader.fieldnames, list(reader)
    order = sorted(range(len(rows)), key=lambda i: rows[i]["uscc"])
    first = rows[order[0]]
    for i in (order[0], order[len(order) // 2], order[-1]):
        rows[i]["bank_account"] = first["bank_account"]
    with units_csv.open("w", encoding="utf-8", newline="") as handle:
        writer = csv.DictWriter(handle, fieldnames=fields, lineterminator="\n")
        writer.writeheader()
        writer.writerows(rows)


def _screen(source, out: Path, **options) -> Path:
    run = screen(source, programs=PROGRAMS, as_of=AS_OF, region_code="360100", **options)
    run.write(out)
    return out


@pytest.mark.parametrize("slice_units", [700, 1_000])
def test_slices_give_the_bytes_of_one_pass_from_a_folder(city, tmp_path, slice_units):
    whole = _screen(folder_source(city), tmp_path / "whole.csv")
    sliced = _screen(folder_source(city), tmp_path / "sliced.csv", slice_units=slice_units)
    assert sliced.read_bytes() == whole.read_bytes()
    record = json.loads((tmp_path / "sliced.run.json").read_text(encoding="utf-8"))
    assert record["slices"] == -(-3_000 // slice_units)
    assert json.loads((tmp_path / "whole.run.json").read_text(encoding="utf-8"))["slices"] == 1


def test_slices_give_the_bytes_of_one_pass_from_a_snapshot_and_as_parquet(city, tmp_path):
    source = snapshot_source(import_feed_set(city, tmp_path / "store"))
    whole = _screen(source, tmp_path / "whole.csv")
    assert _screen(source, tmp_path / "sliced.csv", slice_units=900).read_bytes() == whole.read_bytes()
    parquet = _screen(source, tmp_path / "sliced.parquet", slice_units=900)
    con = duckdb.connect()
    # Parquet is read back in file order: the rows must already be sorted.
    rows = con.execute(f"SELECT uscc, program FROM read_parquet('{parquet}')").fetchall()
    assert rows == sorted(rows) and len(rows) == 6_000


def test_sharing_is_counted_over_the_whole_population(city, tmp_path):
    out = _screen(folder_source(city), tmp_path / "sliced.csv", slice_units=700)
    with out.open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    usccs = sorted({row["uscc"] for row in rows})
    shared = {usccs[0], usccs[len(usccs) // 2], usccs[-1]}
    for row in rows:
        if row["uscc"] in shared:
            assert "shared_bank_account" in row["risk"].split(";")  # 3 units: at the threshold
            assert "银行账户与其他 2 家单位共用" in row["explanation"]


def test_bounds_cut_the_units_into_slices_of_near_equal_size(city):
    con = duckdb.connect()
    con.execute(f"CREATE VIEW units AS SELECT * FROM read_csv('{city / 'units.csv'}', all_varchar=true)")
    assert slice_bounds(con, region_prefix="3601%", slice_units=3_000) == []  # at the limit: one pass
    bounds = slice_bounds(con, region_prefix="3601%", slice_units=2_999)      # just above: two
    assert len(bounds) == 1
    sizes = con.execute(f"SELECT {slice_of_sql(bounds)} AS s, count(*) FROM units GROUP BY s ORDER BY s").fetchall()
    counts = [n for _, n in sizes]
    assert sum(counts) == 3_000 and max(counts) - min(counts) <= 2  # exact quantiles
    assert slice_bounds(con, region_prefix="3602%", slice_units=10) == []     # no unit in the region


@pytest.mark.parametrize("slice_units, slices", [(3_000, 1), (1_000, 3)])
def test_progress_rises_step_by_step_and_names_each_slice(city, slice_units, slices):
    reported: list[tuple[str, float]] = []
    screen(folder_source(city), programs=PROGRAMS, as_of=AS_OF, region_code="360100",
           slice_units=slice_units, progress=lambda label, done: reported.append((label, done)))
    shares = [done for _, done in reported]
    assert shares[0] == 0 and shares == sorted(shares) and shares[-1] < 1
    assert len(set(shares)) == len(shares)  # every step moves the bar
    slice_labels = [label for label, _ in reported if label.startswith("第 ")]
    assert len(slice_labels) == (slices if slices > 1 else 0)
