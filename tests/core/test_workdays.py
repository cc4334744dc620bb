"""The official working-day calendar: built-in years, added years, deadlines and counts."""

from datetime import date, datetime, timedelta
from functools import cache

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from wengang.core.errors import CalendarError
from wengang.core.workdays import (
    BUILTIN_YEARS,
    CalendarDataError,
    UnknownYearError,
    WorkCalendar,
    builtin_schedule,
)

# The State Council's 2027 schedule is not known when this is written: an invented, plausible
# one (New Year, a Spring Festival week with two make-up Saturdays, May Day, National Day).
SCHEDULE_2027 = """\
date,kind,name
2027-01-01,holiday,元旦
2027-02-06,workday,春节调休
2027-02-08,holiday,春节
2027-02-09,holiday,春节
2027-02-10,holiday,春节
2027-02-11,holiday,春节
2027-02-12,holiday,春节
2027-02-20,workday,春节调休
2027-05-03,holiday,劳动节
2027-10-01,holiday,国庆节
"""


@pytest.fixture
def calendar() -> WorkCalendar:
    return WorkCalendar()


def d(text: str) -> date:
    return date.fromisoformat(text)


# --- built-in years ------------------------------------------------------------------------

@pytest.mark.parametrize(
    ("day", "is_workday"),
    [
        ("2020-04-26", True),  # Sunday, make-up working day before May Day
        ("2020-04-30", True),
        ("2020-05-01", False),
        ("2020-05-04", False),  # Monday off
        ("2020-05-05", False),  # Tuesday off
        ("2020-05-06", True),
        ("2020-05-09", True),  # Saturday, make-up working day after May Day
        ("2020-05-10", False),  # an ordinary Sunday
    ],
)
def test_may_day_2020_follows_the_state_council_schedule(calendar, day, is_workday):
    assert calendar.is_workday(d(day)) is is_workday


def test_spring_festival_2020_includes_the_covid_extension(calendar):
    # Official: 24–30 January off, 19 January (Sunday) worked. 国办发明电〔2020〕1号 extended the
    # holiday to 2 February, so 31 January was off and 1 February was no longer a make-up day.
    assert calendar.is_workday(d("2020-01-19"))
    days_off = [d("2020-01-24") + timedelta(days=i) for i in range(10)]  # 24 Jan – 2 Feb
    assert not any(calendar.is_workday(day) for day in days_off)
    assert calendar.is_workday(d("2020-02-03"))


def test_a_deadline_of_five_working_days_jumps_the_may_day_holiday(calendar):
    # Notice on Wednesday 29 April 2020: day 1 is Thursday 30 April, 1–5 May are off, days 2–4
    # are 6–8 May and day 5 is the make-up Saturday, 9 May.
    assert calendar.add_workdays(d("2020-04-29"), 5) == d("2020-05-09")
    assert calendar.workdays_between(d("2020-04-29"), d("2020-05-09")) == 5


def test_the_day_of_the_event_is_not_counted(calendar):
    # Saturday 25 April 2020 (off): the first working day after it is the make-up Sunday.
    assert calendar.add_workdays(d("2020-04-25"), 1) == d("2020-04-26")
    # Thursday 30 April (a working day) + 1 is Wednesday 6 May.
    assert calendar.add_workdays(d("2020-04-30"), 1) == d("2020-05-06")


def test_zero_working_days_is_the_day_itself_or_the_next_working_day(calendar):
    assert calendar.add_workdays(d("2020-04-30"), 0) == d("2020-04-30")
    assert calendar.add_workdays(d("2020-05-01"), 0) == d("2020-05-06")


def test_negative_working_days_count_backwards(calendar):
    assert calendar.add_workdays(d("2020-05-06"), -1) == d("2020-04-30")
    assert calendar.add_workdays(d("2020-05-06"), -5) == d("2020-04-26")


def test_workdays_between_counts_after_start_up_to_and_including_end(calendar):
    assert calendar.workdays_between(d("2020-04-30"), d("2020-04-30")) == 0
    assert calendar.workdays_between(d("2020-04-30"), d("2020-05-06")) == 1
    assert calendar.workdays_between(d("2020-05-01"), d("2020-05-05")) == 0
    with pytest.raises(CalendarError) as error:
        calendar.workdays_between(d("2020-05-06"), d("2020-05-01"))
    assert error.value.code == "calendar_range"


def test_the_built_in_schedule_of_2020_in_add_year_shape():
    holidays, workdays = builtin_schedule(2020)
    assert d("2020-05-05") in holidays and d("2020-05-02") not in holidays  # weekdays only
    assert workdays == [d("2020-01-19"), d("2020-04-26"), d("2020-05-09"), d("2020-06-28"),
                        d("2020-09-27"), d("2020-10-10")]
    with pytest.raises(UnknownYearError):
        builtin_schedule(2027)


def test_known_years_are_the_built_in_range(calendar):
    assert calendar.known_years() == list(range(2004, 2027))
    assert list(BUILTIN_YEARS) == list(range(2004, 2027))


# --- unknown and added years ---------------------------------------------------------------

@pytest.mark.parametrize("day", ["2027-03-01", "2003-12-31", "2030-01-01"])
def test_a_year_the_calendar_does_not_know_is_an_error_not_a_guess(calendar, day):
    with pytest.raises(UnknownYearError) as error:
        calendar.is_workday(d(day))
    assert isinstance(error.value, CalendarError)
    assert error.value.code == "calendar_unknown_year"
    assert error.value.year == d(day).year
    assert str(d(day).year) in error.value.zh and "add_year" in error.value.zh
    assert str(d(day).year) in error.value.en and "date,kind" in error.value.en


def test_a_deadline_running_into_an_unknown_year_is_an_error(calendar):
    with pytest.raises(UnknownYearError):
        calendar.add_workdays(d("2026-12-28"), 10)


def test_2027_added_from_a_csv_file_works(tmp_path, calendar):
    path = tmp_path / "2027.csv"
    path.write_text("\ufeff" + SCHEDULE_2027, encoding="utf-8")  # a BOM, as Excel writes
    assert calendar.load_csv(path) == [2027]
    assert 2027 in calendar.known_years()
    assert not calendar.is_workday(d("2027-01-01"))  # Friday, New Year
    assert calendar.is_workday(d("2027-02-06"))  # Saturday, make-up working day
    assert not calendar.is_workday(d("2027-02-13"))  # an ordinary Saturday
    assert calendar.is_workday(d("2027-03-01"))  # an ordinary Monday
    # Deadline across the year end and the New Year's Day holiday.
    assert calendar.add_workdays(d("2026-12-30"), 2) == d("2027-01-04")
    assert calendar.workdays_between(d("2027-02-05"), d("2027-02-15")) == 2  # 6th and 15th


def test_from_csv_builds_a_calendar_from_several_files(tmp_path):
    first = tmp_path / "a.csv"
    first.write_text(SCHEDULE_2027, encoding="utf-8")
    second = tmp_path / "b.csv"
    second.write_text("date,kind\n2028-01-03,holiday\n2029-01-01,holiday\n", encoding="utf-8")
    calendar = WorkCalendar.from_csv(first, second)
    assert calendar.known_years()[-3:] == [2027, 2028, 2029]


def test_add_year_in_code(calendar):
    calendar.add_year(2027, holidays=[d("2027-01-01")], workdays=[d("2027-02-06")])
    assert not calendar.is_workday(d("2027-01-01"))
    assert calendar.is_workday(d("2027-02-06"))


def test_a_known_year_is_replaced_only_on_request(calendar):
    with pytest.raises(CalendarDataError):
        calendar.add_year(2020, holidays=[d("2020-01-01")], workdays=[])
    calendar.add_year(2020, holidays=[d("2020-01-01")], workdays=[], replace=True)
    assert calendar.is_workday(d("2020-05-01"))  # the replacement has no May Day


BAD_SCHEDULES = [
    ("date,kind\n2027-01-01,holiday\n2027-01-01,holiday\n", "repeats line 2"),
    ("date,kind\n2027-01-01,vacation\n", "holiday or workday"),
    ("date,kind\n2027/01/01,holiday\n", "YYYY-MM-DD"),
    ("date,kind\n20270101,holiday\n", "YYYY-MM-DD"),
    ("date,kind,comment\n2027-01-01,holiday,x\n", "header"),
    ("day,kind\n2027-01-01,holiday\n", "header"),
    ("date,kind\n2027-01-01,holiday,extra\n", "more fields"),
    ("date,kind\n2027-01-04,workday\n2027-01-01,holiday\n", "not a Saturday or Sunday"),
    ("date,kind\n2027-01-02,holiday\n", "no weekday off"),
    ("date,kind\n", "no dates"),
]


@pytest.mark.parametrize(("text", "problem"), BAD_SCHEDULES)
def test_a_bad_csv_is_refused_naming_file_and_problem(tmp_path, calendar, text, problem):
    path = tmp_path / "bad.csv"
    path.write_text(text, encoding="utf-8")
    with pytest.raises(CalendarDataError) as error:
        calendar.load_csv(path)
    assert str(path) in error.value.en
    assert problem in error.value.en
    assert error.value.code == "calendar_data"
    assert 2027 not in calendar.known_years()


def test_a_file_with_one_bad_year_adds_no_year_at_all(tmp_path, calendar):
    path = tmp_path / "two-years.csv"
    path.write_text("date,kind\n2027-01-01,holiday\n2028-01-01,holiday\n", encoding="utf-8")
    # 1 January 2028 is a Saturday: the 2028 schedule has no weekday off and is refused.
    with pytest.raises(CalendarDataError, match="2028"):
        calendar.load_csv(path)
    assert calendar.known_years()[-1] == 2026


def test_a_datetime_is_read_as_its_calendar_day(calendar):
    calendar.add_year(2027, holidays=[datetime(2027, 1, 1, 9, 30)], workdays=[])
    assert not calendar.is_workday(datetime(2027, 1, 1, 15, 0))
    assert not calendar.is_workday(datetime(2020, 5, 1, 8, 0))
    assert calendar.add_workdays(datetime(2020, 4, 29, 18, 0), 5) == d("2020-05-09")


def test_add_year_refuses_dates_of_another_year_and_contradictions(calendar):
    with pytest.raises(CalendarDataError, match="another year"):
        calendar.add_year(2027, holidays=[d("2026-12-31")], workdays=[])
    with pytest.raises(CalendarDataError, match="both"):
        calendar.add_year(2027, holidays=[d("2027-01-01"), d("2027-02-06")],
                          workdays=[d("2027-02-06")])


# --- properties ----------------------------------------------------------------------------

# Late enough to span a year end, early enough that 40 working days stay inside 2026.
builtin_days = st.dates(min_value=date(2004, 1, 10), max_value=date(2026, 10, 15))


@settings(max_examples=100, deadline=None)
@given(builtin_days, st.integers(min_value=1, max_value=40))
def test_counting_the_days_added_gives_back_n(day, n):
    calendar = WorkCalendar()
    deadline = calendar.add_workdays(day, n)
    assert calendar.is_workday(deadline)
    assert calendar.workdays_between(day, deadline) == n


@settings(max_examples=100, deadline=None)
@given(builtin_days, st.integers(min_value=1, max_value=40))
def test_going_forward_then_back_lands_on_the_last_working_day_up_to_the_start(day, n):
    calendar = WorkCalendar()
    back = calendar.add_workdays(calendar.add_workdays(day, n), -n)
    assert back <= day
    assert calendar.is_workday(back)
    assert calendar.workdays_between(back, day) == 0


published_schedule = cache(builtin_schedule)


@settings(max_examples=100, deadline=None)
@given(builtin_days, st.integers(min_value=0, max_value=60))
def test_a_year_added_by_hand_answers_like_the_built_in_one(day, span):
    """Copy a built-in year through add_year: every answer must stay the same."""
    holidays, workdays = published_schedule(day.year)
    copied = WorkCalendar()
    copied.add_year(day.year, holidays=holidays, workdays=workdays, replace=True)
    end = min(day + timedelta(days=span), date(day.year, 12, 31))
    assert copied.workdays_between(day, end) == WorkCalendar().workdays_between(day, end)
