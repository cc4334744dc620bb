"""A synthetic city may issue no skill certificates at all (``--certificates 0``): the feeds are
written with their header only, pass validation and screen to no certificate subsidy."""

from datetime import date

import polars as pl
import pytest
from click.testing import CliRunner

from wengang.cli import main
from wengang.core.clock import clock
from wengang.demo.synth import CitySpec, write_city
from wengang.demo.training import TrainingSpec, write_training
from wengang.feeds import import_feed_set
from wengang.screening import snapshot_source
from wengang.screening.persons import screen_persons


@pytest.mark.parametrize("certificates", [0, 1, 2])
def test_synth_training_writes_zero_one_or_two_certificates(tmp_path, certificates):
    result = CliRunner().invoke(main, [
        "synth-training", "--out", str(tmp_path), "--completions", "80", "--certificates",
        str(certificates), "--seed", "3"])
    assert result.exit_code == 0, result.output
    frame = pl.read_csv(tmp_path / "certificates.csv", infer_schema=False)
    assert frame.columns == ["certificate_id", "resident_id", "level", "occupation_code",
                             "issued_on"]
    assert len(frame) == certificates
    paid = pl.read_csv(tmp_path / "paid_subsidies.csv", infer_schema=False)
    assert set(paid["subsidy"]) <= {"online_training", "skill_certificate"}


@pytest.mark.parametrize("file_format", ["csv", "parquet"])
def test_a_city_without_certificates_validates_and_screens_to_no_certificate_subsidy(
        tmp_path, file_format):
    folder = tmp_path / "feeds"
    write_city(CitySpec(units=60, seed=5, as_of=date(2020, 12, 31)), folder,
               file_format=file_format)
    summary = write_training(TrainingSpec(completions=400, certificates=0, seed=5), folder,
                             file_format=file_format)
    assert summary.rows["certificates"] == 0 and summary.planted["certificate_paid_before"] == 0
    with clock.frozen(date(2021, 1, 15)):
        snapshot = import_feed_set(folder, tmp_path / "store")
    with screen_persons(snapshot_source(snapshot),
                        programs=["training-online-2020", "training-certificate-2024"],
                        as_of=date(2020, 12, 31), region_code="360100") as run:
        run.write(tmp_path / "persons.csv")
    rows = pl.read_csv(tmp_path / "persons.csv", infer_schema=False)
    assert len(rows) == 400
    assert set(rows["program"]) == {"training-online-2020"}
