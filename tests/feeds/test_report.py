"""The validation report on the console and in files."""

import csv

import fastexcel
import pytest
from rich.console import Console

from wengang.feeds import MESSAGES, FeedError, Problem, ValidationReport

from .builders import broken, write_feed_set
from .conftest import rejected


def _many_problems(tmp_path, store) -> ValidationReport:
    def change(rows):
        for record in rows["contributions"]:
            record["month"] = record["month"].replace("-", "")
        rows["units"][0]["unit_type"] = "company"
    return rejected(write_feed_set(tmp_path / "feeds", broken(change)), store)


def test_every_code_has_a_chinese_and_an_english_reason():
    for code, (zh, en) in MESSAGES.items():
        assert zh and en and zh != en, code
        assert ("{detail}" in zh) == ("{detail}" in en), code


def test_print_shows_every_kind_with_counts_and_the_first_problems(tmp_path, store):
    report = _many_problems(tmp_path, store)
    console = Console(record=True, width=200)
    report.print(console, limit=10)
    text = console.export_text()
    assert "数据校验未通过：共 31 个问题" in text and "Validation failed: 31 problem(s)" in text
    assert "header is row 1" in text
    assert "month_format" in text and "enum_value" in text and "30" in text
    assert "21 more not shown" in text
    # a few of each kind are shown: the single unit_type problem is not crowded out
    assert "company" in text


def test_print_of_a_clean_report(tmp_path):
    console = Console(record=True, width=120)
    ValidationReport.from_problems([]).print(console)
    assert "no problems" in console.export_text()


def test_write_csv_holds_every_problem_with_both_reasons(tmp_path, store):
    report = _many_problems(tmp_path, store)
    path = report.write(tmp_path / "out" / "problems.csv")
    assert path.read_bytes().startswith(b"\xef\xbb\xbf")  # Excel opens it as UTF-8
    with path.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert len(records) == len(report) == 31
    assert records[0]["file"] == "units.csv" and records[0]["row"] == "2"
    assert records[0]["code"] == "enum_value" and "enterprise" in records[0]["reason_zh"]
    assert records[0]["reason_en"].startswith("not an allowed value")


def test_write_xlsx_holds_every_problem(tmp_path, store):
    report = _many_problems(tmp_path, store)
    path = report.write(tmp_path / "problems.xlsx")
    frame = fastexcel.read_excel(str(path)).load_sheet(0, dtypes="string").to_arrow()
    assert frame.num_rows == 31
    assert frame.column(4).to_pylist().count("month_format") == 30


def test_a_report_is_written_only_as_csv_or_xlsx(tmp_path):
    with pytest.raises(FeedError):
        ValidationReport.from_problems([]).write(tmp_path / "problems.txt")


def test_a_problem_reads_as_a_sentence():
    problem = Problem("uscc_check", file="units.csv", row=7, column="uscc", detail="D")
    assert problem.zh.endswith("末位应为 D）") and "expects D" in problem.en
    assert str(problem).startswith("units.csv 第7行/row 7 uscc: ")


def test_a_flood_of_one_kind_is_listed_in_part_and_counted_in_full(tmp_path, store, monkeypatch):
    from wengang.feeds import validation

    monkeypatch.setattr(validation, "LISTED_PER_KIND", 4)
    report = _many_problems(tmp_path, store)
    assert len(report) == 31 and report.listed == 5
    assert [count for *_, count in report.counts()] == [1, 30]
    assert [p.row for p in report if p.code == "month_format"] == [2, 3, 4, 5]
    path = report.write(tmp_path / "problems.csv")
    with path.open(encoding="utf-8-sig", newline="") as handle:
        records = list(csv.DictReader(handle))
    assert records[-1]["code"] == "not_listed" and records[-1]["reason_en"].startswith("26 more")
    console = Console(record=True, width=200)
    report.print(console)
    assert "31 problem(s)" in console.export_text()
