"""The synthetic training population: valid under the contract, deterministic, and the
duplicates it plants are the ones person screening catches."""

import csv
from datetime import date
from pathlib import Path

import pytest

from wengang.core.clock import clock
from wengang.demo import SynthError
from wengang.demo.synth import CitySpec, write_city
from wengang.demo.training import TrainingSpec, write_training
from wengang.feeds import import_feed_set
from wengang.screening import snapshot_source
from wengang.screening.persons import screen_persons

SPEC = TrainingSpec(completions=6_000, certificates=2_000, seed=7)
PROGRAMS = ["training-online-2020", "training-onjob-2020", "training-certificate-2024"]


@pytest.fixture(scope="module")
def city(tmp_path_factory) -> tuple[Path, object]:
    folder = tmp_path_factory.mktemp("city")
    write_city(CitySpec(units=400, seed=7, as_of=date(2020, 12, 31)), folder)
    summary = write_training(SPEC, folder, file_format="csv")
    return folder, summary


def test_the_same_seed_writes_the_same_bytes(tmp_path, city):
    folder, _ = city
    write_training(SPEC, tmp_path, file_format="csv")
    for name in ("trainees", "course_completions", "certificates", "paid_subsidies"):
        assert (tmp_path / f"{name}.csv").read_bytes() == (folder / f"{name}.csv").read_bytes()
    other = tmp_path / "other"
    write_training(TrainingSpec(completions=6_000, certificates=2_000, seed=8), other,
                   file_format="csv")
    assert (other / "trainees.csv").read_bytes() != (folder / "trainees.csv").read_bytes()


def test_the_population_passes_validation_and_screening_catches_what_was_planted(tmp_path,
                                                                                city):
    folder, summary = city
    assert summary.rows["course_completions"] == 6_000
    assert summary.rows["certificates"] == 2_000 and summary.rows["training_rosters"] > 0
    assert min(summary.planted.values()) > 0
    with clock.frozen(date(2021, 1, 15)):
        snapshot = import_feed_set(folder, tmp_path / "store")
    with screen_persons(snapshot_source(snapshot), programs=PROGRAMS, as_of=date(2020, 12, 31),
                        region_code="360100") as run:
        run.write(tmp_path / "persons.csv")
        failures = {(program, rule): count for program, rule, count in run.failures()}
    planted = summary.planted
    assert failures[("training-online-2020", "course_once")] == (
        planted["course_repeated_on_another_platform"])
    assert failures[("training-online-2020", "course_paid")] >= planted["course_paid_before"]
    assert failures[("training-certificate-2024", "certificate_once")] >= (
        planted["certificate_same_level_twice"])
    assert failures[("training-certificate-2024", "certificate_paid")] == (
        planted["certificate_paid_before"])
    assert ("training-onjob-2020", "months_cap") in failures
    with (tmp_path / "persons.csv").open(encoding="utf-8", newline="") as handle:
        rows = list(csv.DictReader(handle))
    assert len(rows) == 6_000 + 2_000 + summary.rows["training_rosters"]


def test_a_bad_spec_is_refused_in_both_languages():
    with pytest.raises(SynthError) as caught:
        TrainingSpec(completions=-1)
    assert caught.value.zh and caught.value.en
