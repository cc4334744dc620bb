"""Same seed, same bytes; the command line; XLSX for small cities only; the summary."""

import hashlib
from pathlib import Path

import polars as pl
import pytest
from click.testing import CliRunner
from rich.console import Console

from wengang.cli import main
from wengang.demo import CitySpec, SynthFormatError, write_city


def digests(folder: Path) -> dict[str, str]:
    return {str(path.relative_to(folder)): hashlib.sha256(path.read_bytes()).hexdigest()
            for path in sorted(folder.rglob("*")) if path.is_file()}


@pytest.mark.parametrize("file_format", ["csv", "parquet", "xlsx"])
def test_the_same_seed_writes_the_same_bytes(tmp_path, file_format):
    spec = CitySpec(units=300, seed=42, dirty=True)
    write_city(spec, tmp_path / "a", file_format=file_format)
    write_city(spec, tmp_path / "b", file_format=file_format)
    first, second = digests(tmp_path / "a"), digests(tmp_path / "b")
    assert len(first) == 10 and first == second


def test_another_seed_writes_another_city(tmp_path):
    write_city(CitySpec(units=300, seed=1), tmp_path / "a")
    write_city(CitySpec(units=300, seed=2), tmp_path / "b")
    first, second = digests(tmp_path / "a"), digests(tmp_path / "b")
    assert first.keys() == second.keys()
    assert all(first[name] != second[name] for name in first)


def test_a_rerun_into_the_same_folder_replaces_the_previous_city(tmp_path):
    write_city(CitySpec(units=300, seed=1, dirty=True), tmp_path, file_format="parquet")
    write_city(CitySpec(units=300, seed=1), tmp_path)
    assert sorted(path.name for path in tmp_path.iterdir() if path.is_file()) == sorted(
        f"{feed}.csv" for feed in ("units", "contributions", "separations", "tax", "registry",
                                   "credit", "environment", "difficulty"))
    assert not (tmp_path / ".answers" / "faults.csv").exists()


def test_xlsx_is_written_for_a_small_city_and_refused_for_a_large_one(tmp_path):
    write_city(CitySpec(units=200, seed=3), tmp_path / "small", file_format="xlsx")
    units = pl.read_excel(tmp_path / "small" / "units.xlsx", infer_schema_length=0)
    assert units.height == 200 and units.columns[0] == "uscc"
    contributions = pl.read_excel(tmp_path / "small" / "contributions.xlsx",
                                  infer_schema_length=0)
    csv_city = tmp_path / "csv"
    write_city(CitySpec(units=200, seed=3), csv_city)
    expected = pl.read_csv(csv_city / "contributions.csv", infer_schema=False)
    assert contributions.height == expected.height
    assert (contributions.get_column("month") == expected.get_column("month")).all()
    with pytest.raises(SynthFormatError) as refused:
        write_city(CitySpec(units=20_000), tmp_path / "large", file_format="xlsx")
    assert "200,000" in str(refused.value)
    assert not (tmp_path / "large").exists()


def test_the_command_writes_a_city_and_prints_its_summary(tmp_path):
    result = CliRunner().invoke(main, ["synth", "--out", str(tmp_path / "city"), "--units", "300",
                                       "--seed", "5", "--dirty"])
    assert result.exit_code == 0, result.output
    assert "contributions" in result.output and "injected faults" in result.output
    assert (tmp_path / "city" / ".answers" / "faults.csv").exists()


@pytest.mark.parametrize("arguments, message", [
    (["--units", "20000", "--format", "xlsx"], "XLSX"),
    (["--region", "3601"], "region"),
    (["--units", "10", "--dirty"], "--dirty"),
])
def test_the_command_refuses_impossible_cities_in_plain_words(tmp_path, arguments, message):
    result = CliRunner().invoke(main, ["synth", "--out", str(tmp_path / "city"), *arguments])
    assert result.exit_code == 1
    assert message in result.output
    assert result.exception is None or isinstance(result.exception, SystemExit)


def test_the_summary_counts_units_rows_and_premiums(tmp_path):
    summary = write_city(CitySpec(units=1_000, seed=9), tmp_path)
    assert sum(sum(counts) for counts in summary.units_by_type.values()) == 1_000
    contributions = pl.read_csv(tmp_path / "contributions.csv", infer_schema=False)
    assert summary.rows["contributions"] == contributions.height
    due = contributions.get_column("due").str.replace(".", "", literal=True).cast(pl.Int64).sum()
    assert summary.premiums_due_fen == due
    console = Console(record=True, width=120)
    console.print(summary.as_table())
    text = console.export_text()
    assert "南昌市" in text and f"{contributions.height:,}" in text and "1,000" in text
