"""Policy cases in YAML, OpenFisca-style: a sentence of a name, a unit's facts, expected outputs.

Each file under ``cases/`` names a program (or several), a screening date and cases; each case
describes one unit with the builder's fields (tests/screening/builder.py) and the result columns
it must get. Thresholds are tested at, just below and just above their value.
"""

from datetime import date
from pathlib import Path

import pytest
import yaml

from tests.screening.builder import Unit, write_feeds
from wengang.screening import folder_source, screen

CASES = Path(__file__).parent / "cases"
COLUMNS = ("eligible", "amount", "size", "route", "layoff_rate", "failed", "risk")


def _load() -> list:
    params = []
    for path in sorted(CASES.glob("*.yaml")):
        spec = yaml.safe_load(path.read_text(encoding="utf-8"))
        programs = spec.get("programs") or [spec["program"]]
        for number, case in enumerate(spec["cases"], start=1):
            params.append(pytest.param(spec, programs, case, number,
                                       id=f"{path.stem}: {case['name']}"))
    return params


@pytest.mark.parametrize(("spec", "programs", "case", "number"), _load())
def test_policy_case(tmp_path: Path, spec: dict, programs: list[str], case: dict, number: int):
    as_of = spec["as_of"] if isinstance(spec["as_of"], date) else date.fromisoformat(spec["as_of"])
    facts = {k: (v.isoformat() if isinstance(v, date) else v) for k, v in case.get("unit", {}).items()}
    unit = Unit(number, **facts)
    write_feeds(tmp_path, [unit], year=spec["year"], as_of=as_of.isoformat())
    run = screen(folder_source(tmp_path), programs=programs, as_of=as_of,
                 region_code=spec.get("region", "360100"),
                 settings={k: str(v) for k, v in {**spec.get("set", {}), **case.get("set", {})}.items()})
    out = run.write(tmp_path / "result.csv").with_name("result.csv")
    rows = {row["program"]: row for row in _read(out)}
    expected = case["expect"]
    per_program = expected if set(expected) <= set(programs) else {programs[0]: expected}
    for program, columns in per_program.items():
        row = rows[program]
        for column, value in columns.items():
            if column == "explanation_contains":
                for fragment in ([value] if isinstance(value, str) else value):
                    assert fragment in row["explanation"], (program, row["explanation"])
                continue
            assert column in COLUMNS, f"unknown column {column} in case {case['name']}"
            want = str(value).lower() if isinstance(value, bool) else str(value)
            assert row[column] == want, (program, column, row[column], want, row["explanation"])


def _read(path: Path) -> list[dict]:
    import csv

    with path.open(encoding="utf-8", newline="") as handle:
        return list(csv.DictReader(handle))
