"""`wengang import`: a snapshot for a valid folder; the report (and exit 1) for an invalid one."""

from click.testing import CliRunner

from wengang.cli import main

from .builders import broken, write_feed_set


def test_import_prints_the_snapshot(feed_dir, store):
    result = CliRunner().invoke(main, ["import", str(feed_dir), "--store", str(store)])
    assert result.exit_code == 0, result.output
    assert "snapshot" in result.output and "contributions.csv" in result.output
    assert len(list(store.iterdir())) == 1


def test_import_of_a_bad_folder_prints_and_writes_the_report(tmp_path, store):
    folder = write_feed_set(tmp_path / "feeds", broken(
        lambda rows: rows["tax"][0].update(revenue="1,000")))
    report = tmp_path / "problems.xlsx"
    result = CliRunner().invoke(main, ["import", str(folder), "--store", str(store),
                                       "--report", str(report)])
    assert result.exit_code == 1
    assert "money_format" in result.output and "tax.csv" in result.output
    assert report.exists() and not store.exists()
