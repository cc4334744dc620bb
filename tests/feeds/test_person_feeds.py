"""The person-level feeds of skills training: validated like the unit feeds, all or nothing."""

import pyarrow.parquet as pq
import pytest

from wengang.feeds import FEEDS, import_feed_set

from .builders import (
    PERSON_A,
    PERSON_B,
    PERSON_FEEDS,
    UNIT_A,
    broken,
    make_resident_id,
    write_feed_set,
)
from .conftest import only, rejected


def _set(tmp_path, change):
    return write_feed_set(tmp_path / "feeds", broken(change))


def test_a_unit_feed_set_without_person_feeds_stays_valid(feed_dir, store):
    for name in PERSON_FEEDS:
        (feed_dir / f"{name}.csv").unlink()
    snapshot = import_feed_set(feed_dir, store)
    assert not set(PERSON_FEEDS) & set(snapshot.present)


def test_person_feeds_are_normalised_into_the_snapshot(feed_dir, store):
    snapshot = import_feed_set(feed_dir, store)
    assert set(PERSON_FEEDS) <= set(snapshot.present)
    trainees = pq.read_table(snapshot.path("trainees")).to_pylist()
    assert trainees[1]["insured"] is True and trainees[1]["insured_months"] == 12
    paid = pq.read_table(snapshot.path("paid_subsidies")).to_pylist()
    assert paid[0]["amount_fen"] == 100_000
    assert all(not FEEDS[name].required for name in PERSON_FEEDS)


def test_a_wrong_check_digit_in_a_trainee_id_names_the_right_one_and_masks_the_id(tmp_path,
                                                                                 store):
    wrong = PERSON_A[:17] + ("0" if PERSON_A[17] != "0" else "1")

    def change(rows):
        for records in rows.values():
            for record in records:
                if record.get("resident_id") == PERSON_A:
                    record["resident_id"] = wrong
    report = rejected(_set(tmp_path, change), store)
    [problem] = [p for p in report if p.file == "trainees.csv"]
    assert (problem.code, problem.row, problem.detail) == ("resident_id_check", 2, PERSON_A[17])
    assert problem.value == wrong[:6] + "*" * 10 + wrong[-2:]
    # The other feeds name an ID that is not well formed: reported once, in trainees only.
    assert {p.code for p in report} == {"resident_id_check"}


@pytest.mark.parametrize(("level", "ok"), [("0", False), ("1", True), ("5", True), ("6", False),
                                           ("三级", False)])
def test_a_certificate_level_is_one_to_five(tmp_path, store, level, ok):
    def change(rows):
        rows["certificates"][0]["level"] = level
    folder = _set(tmp_path, change)
    if ok:
        assert import_feed_set(folder, store).feeds["certificates"].rows == 1
        return
    [problem] = only(rejected(folder, store), "enum_value")
    assert (problem.file, problem.column, problem.detail) == (
        "certificates.csv", "level", "1, 2, 3, 4, 5")


@pytest.mark.parametrize(("code", "ok"), [("6-18-01-01", True), ("8-00-00-00", True),
                                          ("1-01-00-00", True), ("9-01-01-01", False),
                                          ("61801-01", False), ("6-18-01", False),
                                          ("6-18-01-01-02", False)])
def test_an_occupation_code_follows_the_national_classification(tmp_path, store, code, ok):
    def change(rows):
        rows["course_completions"][0]["occupation_code"] = code
    folder = _set(tmp_path, change)
    if ok:
        import_feed_set(folder, store)
        return
    [problem] = only(rejected(folder, store), "occupation_code")
    assert (problem.file, problem.column, problem.value) == (
        "course_completions.csv", "occupation_code", code)


def test_a_person_not_among_the_trainees_is_reported_in_every_feed_naming_them(tmp_path, store):
    stranger = make_resident_id("11010519491231002")

    def change(rows):
        rows["certificates"][0]["resident_id"] = stranger
        rows["training_rosters"][0]["resident_id"] = stranger
    report = only(rejected(_set(tmp_path, change), store), "person_unknown")
    assert sorted((p.file, p.row, p.column) for p in report) == [
        ("certificates.csv", 2, "resident_id"), ("training_rosters.csv", 2, "resident_id")]
    assert all(p.value == stranger[:6] + "*" * 10 + stranger[-2:] for p in report)
    assert "trainees" in report[0].zh and "trainees" in report[0].en


def test_person_feeds_without_the_trainees_feed_miss_it(feed_dir, store):
    (feed_dir / "trainees.csv").unlink()
    [problem] = only(rejected(feed_dir, store), "feed_missing")
    assert problem.feed == "trainees" and "trainees.csv" in problem.detail


def test_the_same_certificate_twice_is_a_duplicate_key(tmp_path, store):
    def change(rows):
        rows["certificates"].append(dict(rows["certificates"][0], resident_id=PERSON_A))
    [problem] = only(rejected(_set(tmp_path, change), store), "key_duplicate")
    assert (problem.file, problem.row, problem.column, problem.detail) == (
        "certificates.csv", 3, "certificate_id", "2")


def test_a_course_twice_on_one_platform_is_a_duplicate_but_on_another_platform_is_not(tmp_path,
                                                                                      store):
    def twice_here(rows):
        rows["course_completions"].append(dict(rows["course_completions"][0], hours="8"))
    [problem] = only(rejected(_set(tmp_path / "same", twice_here), store), "key_duplicate")
    assert problem.column == "resident_id+platform+course_id" and problem.row == 3

    def elsewhere(rows):
        rows["course_completions"].append(dict(rows["course_completions"][0], platform="学习强国"))
    # Validation accepts it: paying it once is screening's job (rule course_once).
    snapshot = import_feed_set(_set(tmp_path / "other", elsewhere), store)
    assert snapshot.feeds["course_completions"].rows == 2


def test_one_person_month_per_unit_on_the_roster(tmp_path, store):
    def change(rows):
        rows["training_rosters"].append(dict(rows["training_rosters"][0]))
        rows["training_rosters"].append(dict(rows["training_rosters"][0], resident_id=PERSON_B))
    [problem] = only(rejected(_set(tmp_path, change), store), "key_duplicate")
    assert problem.row == 3 and problem.column == "uscc+resident_id+month"


@pytest.mark.parametrize(("month", "code"), [("2020-04", None), ("2020-05", "date_in_future"),
                                             ("2020-13", "month_format")])
def test_a_roster_month_has_happened_already(tmp_path, store, month, code):
    def change(rows):
        rows["training_rosters"][0]["month"] = month
    folder = _set(tmp_path, change)
    if code is None:
        import_feed_set(folder, store)
        return
    [problem] = only(rejected(folder, store), code)
    assert (problem.file, problem.column) == ("training_rosters.csv", "month")


def test_a_roster_names_a_known_unit(tmp_path, store):
    def change(rows):
        rows["training_rosters"][0]["uscc"] = UNIT_A[:-1] + "X" if UNIT_A[-1] != "X" else "Y"
    [problem] = rejected(_set(tmp_path, change), store)
    assert problem.file == "training_rosters.csv" and problem.code in ("uscc_check", "uscc_format")


@pytest.mark.parametrize(("column", "value", "code"), [
    ("insured_months", "-1", "count_format"), ("insured_months", "12.5", "count_format"),
    ("insured", "maybe", "bool_value"), ("phone", "0791-8888888", "phone_format"),
    ("region_code", "999999", "region_code"), ("si_card_account", "6214 8307", "digits_format"),
])
def test_trainee_cells_are_checked(tmp_path, store, column, value, code):
    def change(rows):
        rows["trainees"][0][column] = value
    [problem] = only(rejected(_set(tmp_path, change), store), code)
    assert (problem.file, problem.row, problem.column) == ("trainees.csv", 2, column)


@pytest.mark.parametrize(("day", "ok"), [("2020-04-15", True), ("2020-04-16", False)])
def test_a_completion_or_certificate_cannot_lie_after_the_import_date(tmp_path, store, day, ok):
    def change(rows):
        rows["course_completions"][0]["completed_on"] = day
        rows["certificates"][0]["issued_on"] = day
    folder = _set(tmp_path, change)
    if ok:
        import_feed_set(folder, store)
        return
    report = only(rejected(folder, store), "date_in_future")
    assert sorted(p.column for p in report) == ["completed_on", "issued_on"]
