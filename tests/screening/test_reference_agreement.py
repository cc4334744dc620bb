"""The DuckDB engine and an independent plain-pandas reading of FEEDS.md agree on a whole city.

bench/pandas_reference.py was written separately from the engine, from the contract alone; any
difference on a synthetic city is a bug in one of them (or an interpretation to settle in
FEEDS.md). Every column but the explanation is compared, under several parameter settings.
"""

import csv
import sys
from datetime import date
from pathlib import Path

import pytest

from wengang.demo.synth import CitySpec, write_city
from wengang.screening import folder_source, screen

sys.path.insert(0, str(Path(__file__).parents[2] / "bench"))
from pandas_reference import screen_2020

AS_OF = date(2020, 4, 15)
COLUMNS = ("eligible", "amount", "size", "route", "layoff_rate", "failed")


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> Path:
    folder = tmp_path_factory.mktemp("city")
    write_city(CitySpec(units=4_000, seed=11, region_code="360100", year=2019), folder)
    return folder


@pytest.mark.parametrize("settings", [
    {},
    {"layoff_strategy": "layoff_separations"},
    {"layoff_strategy": "benefit_claimants"},
    {"exclude_abnormal": "true", "ratio_sme": "0.9", "ratio_large": "0.3"},
    {"registered_unemployment_rate": "0.04", "monthly_benefit": "1368.50"},
], ids=["defaults", "separations", "claimants", "local-choices", "rates"])
def test_engine_and_reference_agree_on_every_unit(city: Path, tmp_path: Path, settings: dict):
    run = screen(folder_source(city), programs=["inclusive-2020", "difficult-2020"], as_of=AS_OF,
                 region_code="360100", settings=settings)
    out = tmp_path / "result.csv"
    run.write(out)
    with out.open(encoding="utf-8", newline="") as handle:
        engine = {(r["uscc"], r["program"]): r for r in csv.DictReader(handle)}
    reference_settings = {("monthly_benefit_yuan" if k == "monthly_benefit" else k):
                          (v == "true" if k == "exclude_abnormal" else v) for k, v in settings.items()}
    reference = screen_2020(city, as_of=AS_OF, **reference_settings)
    assert len(reference) == len(engine) == 8_000
    differences = [
        (row["uscc"], row["program"], column, row[column], engine[(row["uscc"], row["program"])][column])
        for row in reference.to_dict("records") for column in COLUMNS
        if str(row[column]) != engine[(row["uscc"], row["program"])][column]
    ]
    assert differences == []
    eligible = sum(r["eligible"] == "true" for r in engine.values())
    assert 1_000 < eligible < 7_000  # the city exercises both outcomes
