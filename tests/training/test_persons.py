"""Person screening as a whole: inputs refused clearly, reproducible output, masked IDs, scope."""

import csv
import json
from datetime import date
from pathlib import Path

import pyarrow.parquet as pq
import pytest

from wengang.core.clock import clock
from wengang.feeds import import_feed_set
from wengang.policy import ParameterNotInForce
from wengang.screening import InputError, folder_source, snapshot_source
from wengang.screening.persons import OUTPUT_COLUMNS, screen_persons

from .builder import person_id, write_training_feeds

CASE = {
    "trainees": [{"id": "A", "insured_months": 40}, {"id": "B", "insured_months": 11},
                 {"id": "Z", "region_code": "110105"}],
    "units": [{"id": "U1"}, {"id": "U2"}],
    "courses": [{"course": "KC-1", "person": "A"},
                {"course": "KC-1", "person": "A", "platform": "平台乙", "completed_on": "2020-04-01"},
                {"course": "KC-2", "person": "B"}, {"course": "KC-3", "person": "Z"}],
    "certificates": [{"id": "C1", "person": "A", "issued_on": "2020-03-01"},
                     {"id": "C2", "person": "B", "issued_on": "2020-03-01"}],
    "rosters": [{"unit": "U1", "person": "A", "from": "2020-02", "to": "2020-09"},
                {"unit": "U2", "person": "B", "months": ["2020-04"]}],
}
PROGRAMS = ["training-online-2020", "training-onjob-2020", "training-certificate-2024"]
AS_OF = date(2020, 12, 31)


def _screen(source, tmp_path: Path, name: str) -> Path:
    with screen_persons(source, programs=PROGRAMS, as_of=AS_OF, region_code="360100") as run:
        run.write(tmp_path / name)
    return tmp_path / name


def _rows(path: Path) -> list[dict]:
    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))


def test_the_same_inputs_give_byte_identical_csv_and_parquet(tmp_path):
    folder = write_training_feeds(tmp_path / "feeds", CASE)
    for suffix in ("csv", "parquet"):
        first = _screen(folder_source(folder), tmp_path, f"one.{suffix}")
        second = _screen(folder_source(folder), tmp_path, f"two.{suffix}")
        assert first.read_bytes() == second.read_bytes()
    assert pq.read_table(tmp_path / "one.parquet").column_names == list(OUTPUT_COLUMNS)


def test_a_validated_snapshot_screens_exactly_like_its_folder(tmp_path):
    folder = write_training_feeds(tmp_path / "feeds", CASE)
    with clock.frozen(date(2021, 7, 1)):
        snapshot = import_feed_set(folder, tmp_path / "store")
    from_folder = _screen(folder_source(folder), tmp_path, "folder.csv")
    from_snapshot = _screen(snapshot_source(snapshot), tmp_path, "snapshot.csv")
    assert from_folder.read_bytes() == from_snapshot.read_bytes()


def test_rows_are_the_region_s_records_and_no_explanation_names_a_resident_id(tmp_path):
    folder = write_training_feeds(tmp_path / "feeds", CASE)
    rows = _rows(_screen(folder_source(folder), tmp_path, "persons.csv"))
    assert list(rows[0]) == list(OUTPUT_COLUMNS)
    keys = [(row["program"], row["resident_id"], row["record"]) for row in rows]
    assert keys == sorted(keys) and len(set(keys)) == len(keys)
    outsider = person_id("Z")
    assert all(row["resident_id"] != outsider for row in rows)
    # 2 + 1 courses, 2 certificates, 8 + 1 roster months.
    assert len(rows) == 14
    for row in rows:
        assert row["resident_id"] not in row["explanation"]
        assert row["resident_id"][:14] not in row["explanation"]
    by_program = {}
    for row in rows:
        by_program.setdefault(row["program"], []).append(row)
    paid_months = [r for r in by_program["training-onjob-2020"] if r["eligible"] == "true"]
    assert len(paid_months) == 7 and {r["beneficiary"] for r in paid_months} == {"unit"}
    assert sum(1 for r in by_program["training-onjob-2020"] if r["failed"] == "months_cap") == 2
    courses = {(r["resident_id"], r["record"]): r for r in by_program["training-online-2020"]}
    assert courses[(person_id("A"), "平台乙/KC-1")]["failed"] == "course_once"
    certificates = {r["record"]: r for r in by_program["training-certificate-2024"]}
    assert certificates["C1"]["amount"] == "1000.00"
    assert certificates["C2"]["failed"] == "insured_12_months"


def test_the_run_record_names_inputs_policy_files_and_subjects(tmp_path):
    folder = write_training_feeds(tmp_path / "feeds", CASE)
    with screen_persons(folder_source(folder), programs=PROGRAMS, as_of=AS_OF,
                        region_code="360100") as run:
        record_path = run.write(tmp_path / "persons.csv")
        summary = {row[0]: row[1:] for row in run.summary()}
        failures = run.failures()
    record = json.loads(record_path.read_text(encoding="utf-8"))
    assert record["screening"] == "persons" and record["as_of"] == "2020-12-31"
    program = record["programs"]["training-onjob-2020"]
    assert (program["subject"], program["beneficiary"]) == ("roster_month", "unit")
    assert program["parameters"]["max_months"] == 6
    assert set(record["inputs"]["sha256"]) >= {"trainees", "course_completions", "certificates"}
    assert record["output"]["rows"] == 14 and len(record["output"]["sha256"]) == 64
    records, eligible, amount_fen, persons, units = summary["training-onjob-2020"]
    assert (records, eligible, amount_fen, persons, units) == (9, 7, 350_000, 2, 2)
    assert ("training-online-2020", "course_once", 1) in failures


def test_a_unit_program_is_refused_with_the_command_to_use(tmp_path):
    folder = write_training_feeds(tmp_path / "feeds", CASE)
    with pytest.raises(InputError) as caught:
        screen_persons(folder_source(folder), programs=["inclusive-2020"], as_of=AS_OF,
                       region_code="360100")
    assert "wengang screen" in caught.value.zh and "wengang screen" in caught.value.en


def test_a_program_whose_feed_is_missing_is_refused(tmp_path):
    folder = write_training_feeds(tmp_path / "feeds", {"courses": [{"course": "KC-1"}]})
    with pytest.raises(InputError) as caught:
        screen_persons(folder_source(folder), programs=["training-certificate-2024"],
                       as_of=AS_OF, region_code="360100")
    assert "certificates" in caught.value.zh and "certificates" in caught.value.en


@pytest.mark.parametrize(("day", "in_force"), [(date(2018, 12, 31), False),
                                                (date(2019, 1, 1), True)])
def test_the_certificate_subsidy_starts_on_1_january_2019(tmp_path, day, in_force):
    folder = write_training_feeds(tmp_path / "feeds", {
        "trainees": [{"id": "A", "insured_months": 12}],
        "certificates": [{"id": "C1", "issued_on": "2018-06-01"}]})
    if not in_force:
        with pytest.raises(ParameterNotInForce):
            screen_persons(folder_source(folder), programs=["training-certificate-2024"],
                           as_of=day, region_code="360100")
        return
    with screen_persons(folder_source(folder), programs=["training-certificate-2024"], as_of=day,
                        region_code="360100") as run:
        run.write(tmp_path / "persons.csv")
    [row] = _rows(tmp_path / "persons.csv")
    assert (row["eligible"], row["amount"]) == ("true", "1000.00")


def test_a_region_file_sets_the_city_s_online_training_standard(tmp_path):
    from wengang.policy import load_policy

    local = tmp_path / "policy"
    (local / "regions").mkdir(parents=True)
    (local / "regions" / "360100.yaml").write_text(
        'region: "360100"\nname: 南昌市\nreference: 洪人社发〔2020〕X号\nprograms:\n'
        "  training-online-2020:\n    standard_basis:\n      2020-01-01: per_course\n"
        "    per_course:\n      2020-01-01: 150\n", encoding="utf-8")
    folder = write_training_feeds(tmp_path / "feeds", {"courses": [{"course": "KC-1"}]})
    with screen_persons(folder_source(folder), programs=["training-online-2020"], as_of=AS_OF,
                        region_code="360102", policy=load_policy(local)) as run:
        run.write(tmp_path / "persons.csv")
    [row] = _rows(tmp_path / "persons.csv")
    assert row["amount"] == "150.00" and "按课程计：1 课程 × 150.00 元 = 150.00 元" in row["explanation"]


@pytest.mark.parametrize("program", ["training-online-2020", "training-certificate-2024"])
def test_a_subject_read_by_two_programs_decides_each_as_when_alone(tmp_path, program):
    # Two programs of one subject share a stored features table; a program alone reads its
    # features query directly (and, with a limit, unsorted): the rows must not depend on which.
    from wengang.policy import SHIPPED, load_policy

    local = tmp_path / "policy"
    (local / "programs").mkdir(parents=True)
    text = (SHIPPED / "programs" / f"{program}.yaml").read_text(encoding="utf-8")
    (local / "programs" / "training-copy-2020.yaml").write_text(
        text.replace(f"id: {program}", "id: training-copy-2020"), encoding="utf-8")
    policy = load_policy(local)
    folder = write_training_feeds(tmp_path / "feeds", CASE)
    outputs = {}
    for name, programs in (("alone", [program]), ("shared", [program, "training-copy-2020"])):
        with screen_persons(folder_source(folder), programs=programs, as_of=AS_OF,
                            region_code="360100", policy=policy) as run:
            run.write(tmp_path / f"{name}.csv")
        outputs[name] = _rows(tmp_path / f"{name}.csv")
    shared = [row for row in outputs["shared"] if row["program"] == program]
    copied = [{**row, "program": program} for row in outputs["shared"] if row["program"] == "training-copy-2020"]
    assert outputs["alone"] and shared == outputs["alone"] == copied


def test_a_features_query_keeps_only_the_keys_and_the_features_its_programs_name():
    from wengang.policy import load_policy
    from wengang.screening.persons import features_named, person_program_sql

    policy = load_policy()
    online = policy.resolve("training-online-2020", on=AS_OF, region_code="360100", settings={})
    certificate = policy.resolve("training-certificate-2024", on=AS_OF, region_code="360100",
                                 settings={})
    online_reads = features_named("course_completion", [person_program_sql(online, features="f", rank=0)])
    assert {"completed_year", "earlier_platform", "hours", "platform"} <= set(online_reads)
    assert not {"insured_months", "occupation_code", "completed_on", "limit_date"} & set(online_reads)
    # A limit ranks rows by their date: the certificates' query keeps it.
    assert "limit_date" in features_named(
        "certificate", [person_program_sql(certificate, features="f", rank=0)])


@pytest.mark.parametrize("fen", [0, 1, 9, 10, 99, 100, 105, 1234, 99999, 123456789012, -1, -150])
def test_amounts_are_printed_as_printf_would(fen):
    import duckdb

    from wengang.screening.persons import _yuan_sql

    sql = f"SELECT {_yuan_sql('x')}, printf('%d.%02d', x // 100, x % 100) FROM (SELECT ?::BIGINT AS x)"
    cast, printed = duckdb.execute(sql, [fen]).fetchall()[0]
    assert cast == printed
