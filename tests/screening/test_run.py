"""A screening run: reproducible output, a complete run record, clear errors on bad input."""

import csv
import hashlib
import json
from datetime import date
from pathlib import Path

import duckdb
import pytest
from click.testing import CliRunner

from tests.screening.builder import Unit, write_feeds
from wengang.cli import main
from wengang.policy import UnknownParameter
from wengang.screening import InputError, OutputError, folder_source, screen
from wengang.screening.inputs import sha256_file

AS_OF = date(2020, 4, 15)
PROGRAMS = ["inclusive-2020", "difficult-2020"]


@pytest.fixture
def feeds(tmp_path: Path) -> Path:
    units = [Unit(1, insured=12), Unit(2, insured=200, year_end=180),
             Unit(3, insured=40, difficulty=[("2020-01-01", "2020-12-31")]),
             Unit(4, region_code="360202")]  # 景德镇: outside 南昌
    return write_feeds(tmp_path / "feeds", units, year=2019, as_of=AS_OF.isoformat())


def _run(feeds: Path, out: Path, **options) -> Path:
    run = screen(folder_source(feeds), programs=PROGRAMS, as_of=AS_OF, region_code="360100", **options)
    run.write(out)
    return out


def test_the_same_inputs_give_byte_identical_output(feeds, tmp_path):
    first = _run(feeds, tmp_path / "a.csv").read_bytes()
    second = _run(feeds, tmp_path / "b.csv").read_bytes()
    assert first == second
    assert first.startswith(b"uscc,program,eligible,amount,size,route,layoff_rate,failed,explanation,risk\n")


def test_only_units_of_the_region_are_screened(feeds, tmp_path):
    out = _run(feeds, tmp_path / "r.csv")
    with out.open(encoding="utf-8") as handle:
        usccs = {row["uscc"][2:8] for row in csv.DictReader(handle)}
    assert usccs == {"360102"}


def test_the_run_record_names_every_input_policy_file_and_parameter(feeds, tmp_path):
    out = _run(feeds, tmp_path / "r.csv", settings={"ratio_sme": "0.9"})
    record = json.loads((tmp_path / "r.run.json").read_text(encoding="utf-8"))
    assert record["as_of"] == "2020-04-15" and record["region_code"] == "360100"
    assert record["settings"] == {"ratio_sme": "0.9"}
    assert record["inputs"]["sha256"]["units"] == hashlib.sha256((feeds / "units.csv").read_bytes()).hexdigest()
    assert set(record["inputs"]["sha256"]) == {"units", "contributions", "registry", "difficulty"}
    program = record["programs"]["inclusive-2020"]
    assert program["parameters"]["ratio_sme"] == "0.9"
    policy_file = Path(__file__).parents[2] / "src/wengang/policy/programs/inclusive-2020.yaml"
    assert program["policy_sha256"] == hashlib.sha256(policy_file.read_bytes()).hexdigest()
    assert record["output"]["sha256"] == hashlib.sha256(out.read_bytes()).hexdigest()
    assert record["output"]["rows"] == 6


def test_parquet_output_holds_the_same_rows_as_csv(feeds, tmp_path):
    csv_out = _run(feeds, tmp_path / "r.csv")
    parquet_out = _run(feeds, tmp_path / "r.parquet")
    con = duckdb.connect()
    from_csv = con.execute(f"SELECT * FROM read_csv('{csv_out}', all_varchar=true) ORDER BY ALL").fetchall()
    from_parquet = con.execute(f"SELECT * FROM read_parquet('{parquet_out}') ORDER BY ALL").fetchall()
    assert [tuple("" if v is None else v for v in row) for row in from_csv] == \
           [tuple("" if v is None else v for v in row) for row in from_parquet]


def test_programs_of_different_years_are_screened_on_their_own_assessment_year(tmp_path):
    # Stable in 2019, but cut from 100 to 90 during 2020: fine for 2020, fails the 2021 refund.
    unit = Unit(1, insured=100, last_month="2020-12",
                headcounts={m: 90 for m in ("2020-06", "2020-07", "2020-08", "2020-09", "2020-10",
                                             "2020-11", "2020-12")})
    feeds = write_feeds(tmp_path / "f", [unit], year=2019, as_of="2021-03-15")
    run = screen(folder_source(feeds), programs=["inclusive-2020", "inclusive-2021"],
                 as_of=date(2021, 3, 15), region_code="360100")
    run.write(tmp_path / "o.csv")
    with (tmp_path / "o.csv").open(encoding="utf-8") as handle:
        rows = {row["program"]: row for row in csv.DictReader(handle)}
    assert rows["inclusive-2020"]["layoff_rate"] == "0.0000"
    assert rows["inclusive-2021"]["layoff_rate"] == "0.1000"
    assert rows["inclusive-2021"]["failed"] == "layoff_rate"


def test_a_missing_required_feed_is_named(feeds, tmp_path):
    (feeds / "registry.csv").unlink()
    with pytest.raises(InputError, match="registry"):
        folder_source(feeds)


def test_an_unknown_column_stops_the_run(feeds, tmp_path):
    text = (feeds / "registry.csv").read_text(encoding="utf-8").replace("abnormal", "abnormall", 1)
    (feeds / "registry.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="abnormall"):
        _run(feeds, tmp_path / "x.csv")


def test_a_value_that_does_not_convert_points_to_wengang_import(feeds, tmp_path):
    text = (feeds / "contributions.csv").read_text(encoding="utf-8").replace("2019-05,12,", "2019-05,twelve,", 1)
    (feeds / "contributions.csv").write_text(text, encoding="utf-8")
    with pytest.raises(InputError, match="wengang import") as raised:
        _run(feeds, tmp_path / "x.csv")
    # The reader names the line and the value, so the operator can find the cell.
    assert "twelve" in str(raised.value) and "Line" in str(raised.value)


def test_an_output_that_is_neither_csv_nor_parquet_is_refused(feeds, tmp_path):
    run = screen(folder_source(feeds), programs=PROGRAMS, as_of=AS_OF, region_code="360100")
    with pytest.raises(OutputError):
        run.write(tmp_path / "result.xlsx")


def test_a_mistyped_set_name_is_refused_before_any_work(feeds):
    with pytest.raises(UnknownParameter, match="ratio_smee"):
        screen(folder_source(feeds), programs=PROGRAMS, as_of=AS_OF, region_code="360100",
               settings={"ratio_smee": "0.9"})


def test_a_program_that_screens_persons_is_sent_to_its_own_command(feeds, tmp_path):
    result = CliRunner().invoke(main, ["screen", "--feeds", str(feeds), "--program", "inclusive-2020",
                                       "--program", "training-certificate-2024",
                                       "--as-of", "2020-04-15", "--region", "360100",
                                       "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert "wengang screen-persons" in result.output and "Traceback" not in result.output
    assert not (tmp_path / "o.csv").exists()


def test_the_screen_command_prints_a_summary_and_writes_result_and_record(feeds, tmp_path):
    out = tmp_path / "cli.csv"
    result = CliRunner().invoke(main, ["screen", "--feeds", str(feeds), "--program", "inclusive-2020",
                                       "--program", "difficult-2020", "--as-of", "2020-04-15",
                                       "--region", "360100", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "inclusive-2020" in result.output and "免申即享" in result.output
    assert out.exists() and (tmp_path / "cli.run.json").exists()


def test_the_screen_command_reports_bad_input_without_a_traceback(feeds, tmp_path):
    result = CliRunner().invoke(main, ["screen", "--feeds", str(feeds), "--program", "inclusive-2020",
                                       "--as-of", "2020-04-15", "--region", "360100",
                                       "--set", "ratio_sme=2", "--out", str(tmp_path / "o.csv")])
    assert result.exit_code == 1
    assert "ratio_sme" in result.output and "Traceback" not in result.output


def test_simulate_costs_a_lower_sme_ratio(feeds, tmp_path):
    out = tmp_path / "what-if"
    result = CliRunner().invoke(main, ["simulate", "--feeds", str(feeds), "--program", "inclusive-2020",
                                       "--as-of", "2020-04-15", "--region", "360100",
                                       "--set", "ratio_sme=0.9", "--out", str(out)])
    assert result.exit_code == 0, result.output
    for name in ("comparison.csv", "comparison.xlsx", "changes.csv", "chart.png", "report.html"):
        assert (out / name).stat().st_size > 0, name
    with (out / "comparison.csv").open(encoding="utf-8") as handle:
        rows = [row for row in csv.reader(handle)][1:]
    program = next(row for row in rows if row[0] == "项目")
    baseline, scenario = float(program[4]), float(program[5])
    assert scenario == pytest.approx(baseline * 0.9)  # every eligible unit here is an SME
    assert (out / "chart.png").read_bytes()[:8] == b"\x89PNG\r\n\x1a\n"
    assert "增加金额的单位 0 家" in (out / "report.html").read_text(encoding="utf-8")


def test_a_snapshot_screens_to_the_same_bytes_as_its_feed_folder(feeds, tmp_path):
    from wengang.feeds import import_feed_set
    from wengang.screening import snapshot_source

    snapshot = import_feed_set(feeds, tmp_path / "store")
    from_folder = _run(feeds, tmp_path / "folder.csv").read_bytes()
    run = screen(snapshot_source(snapshot), programs=PROGRAMS, as_of=AS_OF, region_code="360100")
    run.write(tmp_path / "snapshot.csv")
    assert (tmp_path / "snapshot.csv").read_bytes() == from_folder
    record = json.loads((tmp_path / "snapshot.run.json").read_text(encoding="utf-8"))
    assert record["inputs"]["snapshot_id"] == snapshot.id


def test_the_screen_command_takes_the_latest_snapshot(feeds, tmp_path):
    from wengang.feeds import import_feed_set

    import_feed_set(feeds, tmp_path / "store")
    result = CliRunner().invoke(main, ["screen", "--snapshot", "latest", "--store", str(tmp_path / "store"),
                                       "--program", "inclusive-2020", "--as-of", "2020-04-15",
                                       "--region", "360100", "--out", str(tmp_path / "latest.csv")])
    assert result.exit_code == 0, result.output
    assert (tmp_path / "latest.csv").exists()


def test_a_parquet_folder_screens_like_the_same_csv_folder(tmp_path):
    """Typed Parquet columns are used as they are, text columns are cast like CSV text: either
    way the decisions are those of the CSV city."""
    from wengang.demo.synth import CitySpec, write_city

    spec = CitySpec(units=500, seed=5, region_code="360100", year=2019)
    write_city(spec, tmp_path / "csv")
    write_city(spec, tmp_path / "parquet", file_format="parquet")
    (tmp_path / "text").mkdir()
    for feed in (tmp_path / "csv").glob("*.csv"):
        duckdb.execute(f"COPY (SELECT * FROM read_csv('{feed}', all_varchar = true)) "
                       f"TO '{tmp_path / 'text' / (feed.stem + '.parquet')}' (FORMAT parquet)")
    from_csv = _run(tmp_path / "csv", tmp_path / "from-csv.csv").read_bytes()
    assert from_csv.count(b"\n") == 1 + 2 * 500
    assert _run(tmp_path / "parquet", tmp_path / "from-parquet.csv").read_bytes() == from_csv
    assert _run(tmp_path / "text", tmp_path / "from-text.csv").read_bytes() == from_csv


@pytest.mark.parametrize("size", [0, 1, (1 << 18) - 1, 1 << 18, (1 << 18) + 1, 3_000_017])
def test_a_file_fingerprint_is_its_sha256_whatever_its_length(tmp_path, size):
    # Lengths at and around the reader's buffer (256 KiB), empty, and several buffers long.
    data = bytes((i * 7 + i // 251) % 256 for i in range(size))
    (tmp_path / "f.bin").write_bytes(data)
    assert sha256_file(tmp_path / "f.bin") == hashlib.sha256(data).hexdigest()
