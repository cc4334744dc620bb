"""Training policy cases in YAML: a sentence of a name, a few facts, each record's result.

Each file under ``cases/`` names a program and a screening date; each case lists trainees,
their records (courses, certificates, roster months, earlier payments) and, per record, the
result columns it must get. Every threshold is tested at, just below and just above its value.
"""

import csv
from datetime import date
from pathlib import Path

import pytest
import yaml

from wengang.screening import folder_source
from wengang.screening.persons import screen_persons

from .builder import person_id, record_key, write_training_feeds

CASES = Path(__file__).parent / "cases"
COLUMNS = ("eligible", "amount", "failed", "beneficiary", "uscc")


def _load() -> list:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        for case in spec["cases"]:
            params.append(pytest.param(spec, case, id=f"{path.stem}: {case['name']}"))
    return params


@pytest.mark.parametrize(("spec", "case"), _load())
def test_training_case(tmp_path: Path, spec: dict, case: dict):
    as_of = spec["as_of"] if isinstance(spec["as_of"], date) else date.fromisoformat(spec["as_of"])
    folder = write_training_feeds(tmp_path / "feeds", case)
    settings = {k: str(v) for k, v in {**spec.get("set", {}), **case.get("set", {})}.items()}
    with screen_persons(folder_source(folder), programs=[spec["program"]], as_of=as_of,
                        region_code="360100", settings=settings) as run:
        run.write(tmp_path / "persons.csv")
    with (tmp_path / "persons.csv").open(encoding="utf-8", newline="") as handle:
        rows = {row["record"]: row for row in csv.DictReader(handle)}
    assert len(rows) == len(case["expect"]), sorted(rows)
    for record, columns in case["expect"].items():
        row = rows[record_key(record)]
        assert row["program"] == spec["program"]
        for column, value in columns.items():
            if column == "person":
                assert row["resident_id"] == person_id(value)
            elif column == "explanation_contains":
                for fragment in [value] if isinstance(value, str) else value:
                    assert fragment in row["explanation"], row["explanation"]
            else:
                assert column in COLUMNS, f"unknown column {column} in {case['name']}"
                want = str(value).lower() if isinstance(value, bool) else str(value)
                assert row[column] == want, (record, column, row[column], want,
                                             row["explanation"])
