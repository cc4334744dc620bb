"""Each kind of bad cell, key or cross-feed fact is reported at its file, row and column."""

from datetime import date

import pytest

from wengang.core.clock import clock
from wengang.feeds import import_feed_set

from .builders import (
    TODAY,
    UNIT_A,
    UNIT_B,
    broken,
    make_resident_id,
    make_uscc,
    valid_rows,
    write_feed_set,
)
from .conftest import only, rejected


def _set(feed: str, index: int, column: str, value: str):
    def change(rows):
        rows[feed][index][column] = value
    return change


CELL_CASES = [
    # feed, row index, column, bad value, expected code
    ("units", 1, "unit_type", "company", "enum_value"),
    ("units", 1, "region_code", "36011", "region_code"),
    ("units", 1, "region_code", "990101", "region_code"),
    ("units", 1, "region_code", "369901", "region_code"),
    ("units", 1, "industry_code", "98", "industry_code"),
    ("units", 1, "industry_code", "701", "industry_code"),
    ("units", 1, "industry_code", "70", "industry_code"),
    ("units", 1, "industry_code", "00", "industry_code"),
    ("units", 1, "registered_on", "2019-02-30", "date_invalid"),
    ("units", 1, "registered_on", "1899-12-31", "date_invalid"),
    ("units", 1, "registered_on", "2019/02/03", "date_format"),
    ("units", 1, "registered_on", "2019-2-3", "date_format"),
    ("units", 1, "registered_on", "2020-04-16", "date_in_future"),
    ("units", 0, "is_labour_dispatch", "yes", "bool_value"),
    ("units", 0, "legal_rep_id", "36010219800101", "resident_id_format"),
    ("units", 0, "legal_rep_id", "36010219800101123x", "resident_id_format"),
    ("units", 0, "legal_rep_id", make_resident_id("36010219800230123"), "resident_id_birth_date"),
    ("units", 0, "legal_rep_id", make_resident_id("36010220210101123"), "resident_id_birth_date"),
    ("units", 0, "contact_phone", "0791-8888888", "phone_format"),
    ("units", 0, "contact_phone", "1380013800", "phone_format"),
    ("units", 0, "clerk_phone", "12800138000", "phone_format"),
    ("units", 0, "bank_account", "6222-0202", "digits_format"),
    ("units", 0, "name", "", "value_missing"),
    ("units", 0, "name", "   ", "value_missing"),
    ("contributions", 0, "month", "2019-1", "month_format"),
    ("contributions", 0, "month", "2019-13", "month_format"),
    ("contributions", 0, "month", "201901", "month_format"),
    ("contributions", 0, "month", "2020-05", "date_in_future"),
    ("contributions", 0, "due", "-1.00", "money_negative"),
    ("contributions", 0, "due", "12.345", "money_decimals"),
    ("contributions", 0, "due", "1,234.00", "money_format"),
    ("contributions", 0, "paid", "¥12", "money_format"),
    ("contributions", 0, "paid", "1e3", "money_format"),
    ("contributions", 0, "insured", "-3", "count_format"),
    ("contributions", 0, "insured", "2.5", "count_format"),
    ("contributions", 0, "paid_on", "2019-02-29", "date_invalid"),
    ("contributions", 0, "paid_on", "2020-04-16", "date_in_future"),
    ("separations", 0, "reason", "fired", "enum_value"),
    ("separations", 0, "claims_benefit", "Y", "bool_value"),
    ("separations", 0, "person", "", "value_missing"),
    ("tax", 0, "year", "19", "year_format"),
    ("tax", 0, "year", "2021", "date_in_future"),
    ("tax", 0, "revenue", "-5", "money_negative"),
    ("tax", 0, "total_assets", "", "value_missing"),
    ("registry", 0, "status", "closed", "enum_value"),
    ("registry", 1, "restructure_kind", "merge", "enum_value"),
    ("registry", 1, "restructured_on", "2019-13-01", "date_invalid"),
    ("credit", 0, "list", "blacklist", "enum_value"),
    ("environment", 0, "severity", "minor", "enum_value"),
    ("environment", 0, "penalty_on", "2021-01-01", "date_in_future"),
    ("difficulty", 0, "certified_by", "mof", "enum_value"),
]


def _fresh_copy(rows, feed: str, index: int, serial: int) -> dict[str, str]:
    """A valid copy of ``rows[feed][index]`` with a key of its own (a new unit where needed)."""
    row = dict(rows[feed][index])
    if feed in ("units", "registry"):
        uscc = make_uscc(f"91360111{serial:09d}")
        if feed == "registry":
            rows["units"].append(dict(rows["units"][1], uscc=uscc))
        row["uscc"] = uscc
    elif feed == "contributions":
        row["month"] = f"{2013 + serial // 12}-{serial % 12 + 1:02d}"
        row["paid_on"] = row["month"] + "-15"
    elif feed == "separations":
        row["person"] = f"P9{serial:04d}"
    elif feed == "tax":
        row["year"] = str(1990 + serial % 25)
    elif feed == "credit":
        row["listed_on"], row["removed_on"] = f"2018-{serial % 12 + 1:02d}-01", "2019-12-31"
    elif feed == "environment":
        row["penalty_on"] = f"2017-{serial % 12 + 1:02d}-01"
    elif feed == "difficulty":
        row["valid_from"], row["valid_to"] = f"2019-{serial % 12 + 1:02d}-01", "2020-12-31"
    return row


@pytest.fixture(scope="module")
def many_faults(tmp_path_factory):
    """One feed set with every case of CELL_CASES on a row of its own, imported once.

    Returns the report and, per case, the row the bad cell is on.
    """
    rows = valid_rows()
    where = []
    for serial, (feed, index, column, value, _) in enumerate(CELL_CASES):
        row = _fresh_copy(rows, feed, index, serial)
        row[column] = value
        rows[feed].append(row)
        where.append(len(rows[feed]) + 1)  # the header is row 1
    folder = write_feed_set(tmp_path_factory.mktemp("faults") / "feeds", rows)
    store = tmp_path_factory.mktemp("store")
    with clock.frozen(date.fromisoformat(TODAY)):
        report = rejected(folder, store)
    return report, where


def test_many_faults_in_one_set_are_each_reported_once_and_nothing_else(many_faults):
    report, where = many_faults
    expected = {(f"{feed}.csv", where[n], column)
                for n, (feed, _, column, _, _) in enumerate(CELL_CASES)}
    assert {(p.file, p.row, p.column) for p in report} == expected
    assert len(report) == len(CELL_CASES)


@pytest.mark.parametrize(("case", "feed", "column", "value", "code"),
                         [(n, feed, column, value, code)
                          for n, (feed, _, column, value, code) in enumerate(CELL_CASES)],
                         ids=[f"{case[0]}.{case[2]}={case[3]!r}" for case in CELL_CASES])
def test_a_bad_cell_is_reported_at_its_file_row_and_column(many_faults, case, feed, column,
                                                           value, code):
    report, where = many_faults
    [problem] = [p for p in report if (p.file, p.row, p.column) == (f"{feed}.csv", where[case],
                                                                     column)]
    assert problem.code == code
    if column == "legal_rep_id":
        assert "*" in problem.value and problem.value[:6] == value[:6]  # never the full ID
    else:
        assert problem.value == (value.strip() or None)
    assert problem.zh and problem.en and problem.zh != problem.en


def test_a_bad_cell_alone_fails_the_import(tmp_path, store):
    folder = write_feed_set(tmp_path / "feeds", broken(_set("units", 1, "unit_type", "company")),
                            only=())
    [problem] = only(rejected(folder, store), "enum_value")
    assert (problem.file, problem.row, problem.column) == ("units.csv", 3, "unit_type")


def test_a_wrong_uscc_check_character_names_the_expected_one(tmp_path, store):
    wrong = UNIT_A[:17] + ("0" if UNIT_A[17] != "0" else "1")

    def change(rows):
        for records in rows.values():
            for record in records:
                if record.get("uscc") == UNIT_A:
                    record["uscc"] = wrong
    report = rejected(write_feed_set(tmp_path / "feeds", broken(change)), store)
    [problem] = [p for p in report if p.file == "units.csv"]
    assert (problem.code, problem.row, problem.column, problem.detail) == (
        "uscc_check", 2, "uscc", UNIT_A[17])
    assert UNIT_A[17] in problem.zh and UNIT_A[17] in problem.en
    # Other feeds speak of a code units does have, so they are not blamed for it.
    assert {p.file for p in report} == {"units.csv"}


@pytest.mark.parametrize("code", ["91360102MA35K8XN0", "91360102MA35K8XNOD", "9136010ZMA35K8XN0D",
                                  "91360102ma35k8xn0d"])
def test_a_malformed_uscc_in_units_is_uscc_format(tmp_path, store, code):
    folder = write_feed_set(tmp_path / "feeds", broken(_set("units", 0, "uscc", code)), only=())
    report = rejected(folder, store)
    problem = next(p for p in report if p.file == "units.csv")
    assert (problem.code, problem.row, problem.column) == ("uscc_format", 2, "uscc")


def test_a_unit_missing_from_units_is_reported_in_the_feed_that_names_it(tmp_path, store):
    stranger = make_uscc("91360100ABCDEFGH1")
    report = rejected(write_feed_set(tmp_path / "feeds",
                                     broken(_set("separations", 0, "uscc", stranger))), store)
    [problem] = only(report, "unit_unknown")
    assert (problem.file, problem.row, problem.column, problem.value) == (
        "separations.csv", 2, "uscc", stranger)


def test_a_malformed_code_outside_units_says_what_is_wrong_with_it(tmp_path, store):
    bad = UNIT_B[:17] + ("0" if UNIT_B[17] != "0" else "1")
    folder = write_feed_set(tmp_path / "feeds", broken(_set("tax", 0, "uscc", bad)))
    report = rejected(folder, store)
    [problem] = only(report, "uscc_check")
    assert (problem.file, problem.row, problem.detail) == ("tax.csv", 2, UNIT_B[17])


def test_every_row_of_every_unknown_unit_is_reported(tmp_path, store):
    def change(rows):
        rows["units"] = [unit for unit in rows["units"] if unit["uscc"] != UNIT_B]
        rows["registry"] = [row for row in rows["registry"] if row["uscc"] != UNIT_B]
        del rows["credit"]
    report = rejected(write_feed_set(tmp_path / "feeds", broken(change)), store)
    problems = only(report, "unit_unknown")
    assert [p.row for p in problems] == list(range(17, 32))  # UNIT_B's 15 contribution rows
    assert {p.file for p in problems} == {"contributions.csv"}


def test_a_repeated_key_names_the_row_it_repeats(tmp_path, store):
    def change(rows):
        rows["contributions"].append(dict(rows["contributions"][3]))
    report = rejected(write_feed_set(tmp_path / "feeds", broken(change)), store)
    [problem] = only(report, "key_duplicate")
    assert (problem.file, problem.row, problem.column, problem.detail) == (
        "contributions.csv", 32, "uscc+month", "5")
    assert problem.value == f"{UNIT_A} | 2019-03"


@pytest.mark.parametrize("feed", ["units", "registry", "tax", "separations", "credit",
                                  "environment", "difficulty"])
def test_every_feed_refuses_a_repeated_key(tmp_path, store, feed):
    def change(rows):
        rows[feed].append(dict(rows[feed][0]))
    report = rejected(write_feed_set(tmp_path / "feeds", broken(change), only=(feed,)), store)
    [problem] = only(report, "key_duplicate")
    assert problem.file == f"{feed}.csv" and problem.detail == "2"


def test_a_unit_with_two_rows_in_units_is_one_duplicate_not_two(tmp_path, store):
    def change(rows):
        rows["units"].append(dict(rows["units"][0], name="另一个名字"))
    [problem] = only(rejected(write_feed_set(tmp_path / "feeds", broken(change)), store),
                     "key_duplicate")
    assert (problem.row, problem.detail) == (4, "2")


@pytest.mark.parametrize(("feed", "change", "column"), [
    ("difficulty", {"valid_from": "2020-02-01", "valid_to": "2020-01-31"}, "valid_to"),
    ("credit", {"listed_on": "2019-02-01", "removed_on": "2019-01-31"}, "removed_on"),
])
def test_a_range_that_ends_before_it_starts_is_an_error(tmp_path, store, feed, change, column):
    def apply(rows):
        rows[feed][0].update(change)
    folder = write_feed_set(tmp_path / "feeds", broken(apply))
    [problem] = only(rejected(folder, store), "date_order")
    assert (problem.file, problem.row, problem.column) == (f"{feed}.csv", 2, column)


def test_a_contribution_month_before_the_unit_was_insured_is_an_error(tmp_path, store):
    folder = write_feed_set(tmp_path / "feeds",
                            broken(_set("units", 1, "ui_insured_since", "2019-01-10")))
    report = rejected(folder, store)
    [problem] = only(report, "month_before_insured")
    assert (problem.file, problem.row, problem.column, problem.value, problem.detail) == (
        "contributions.csv", 17, "month", "2018-12", "2019-01-10")


def test_what_is_not_an_error(tmp_path, store):
    """Prepayment, gaps between months, months out of file order, a blank optional cell."""
    def change(rows):
        contributions = rows["contributions"]
        contributions[5]["paid_on"] = "2019-01-20"          # pays April 2019 in January
        del contributions[8]                                 # a gap (no row for 2019-07)
        contributions[0], contributions[3] = contributions[3], contributions[0]
        rows["units"][0]["clerk_phone"] = ""
        rows["units"][1]["ui_insured_since"] = "2018-12-31"  # insured late in its first month
        rows["difficulty"][0]["valid_to"] = "2026-12-31"     # certificates run into the future
        rows["credit"][0]["removed_on"] = "2099-01-01"
    snapshot = import_feed_set(write_feed_set(tmp_path / "feeds", broken(change)), store)
    assert snapshot.feeds["contributions"].rows == 29


def test_every_problem_is_collected_not_only_the_first(tmp_path, store):
    def change(rows):
        for record in rows["contributions"]:
            record["month"] = record["month"].replace("-", "/")
            record["due"] = "-" + record["due"]
    report = rejected(write_feed_set(tmp_path / "feeds", broken(change)), store)
    assert sorted(report.codes) == ["money_negative", "month_format"]
    assert len(report) == 60
    assert [count for *_, count in report.counts()] == [30, 30]
