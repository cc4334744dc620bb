"""``wengang screen-persons``: a summary without resident IDs, errors as messages, exit codes."""

from click.testing import CliRunner

from wengang.cli import main

from .builder import person_id, write_training_feeds

CASE = {"trainees": [{"id": "A"}, {"id": "B", "insured_months": 11}],
        "certificates": [{"id": "C1", "person": "A", "issued_on": "2020-03-01"},
                         {"id": "C2", "person": "B", "issued_on": "2020-03-01"}]}


def test_screen_persons_writes_the_result_and_a_summary_without_ids(tmp_path):
    folder = write_training_feeds(tmp_path / "feeds", CASE)
    out = tmp_path / "persons.csv"
    result = CliRunner().invoke(main, [
        "screen-persons", "--feeds", str(folder), "--program", "training-certificate-2024",
        "--as-of", "2020-12-31", "--region", "360100", "--out", str(out)])
    assert result.exit_code == 0, result.output
    assert "training-certificate-2024" in result.output and "insured_12_months" in result.output
    assert "1,000.00" in result.output
    for alias in ("A", "B"):
        assert person_id(alias) not in result.output
        assert person_id(alias)[6:14] not in result.output
    assert out.exists() and out.with_name("persons.run.json").exists()


def test_screen_persons_refuses_a_unit_program_with_a_message(tmp_path):
    folder = write_training_feeds(tmp_path / "feeds", CASE)
    result = CliRunner().invoke(main, [
        "screen-persons", "--feeds", str(folder), "--program", "inclusive-2020",
        "--as-of", "2020-12-31", "--region", "360100", "--out", str(tmp_path / "x.csv")])
    assert result.exit_code == 1
    assert "wengang screen" in result.output and not (tmp_path / "x.csv").exists()


def test_synth_training_adds_the_person_feeds_and_says_what_it_planted(tmp_path):
    result = CliRunner().invoke(main, [
        "synth-training", "--out", str(tmp_path), "--completions", "800", "--certificates",
        "200", "--seed", "3"])
    assert result.exit_code == 0, result.output
    for name in ("trainees", "course_completions", "certificates", "paid_subsidies"):
        assert (tmp_path / f"{name}.csv").exists()
    assert not (tmp_path / "training_rosters.csv").exists()  # no units in the folder to name
    assert "course_repeated_on_another_platform" in result.output
