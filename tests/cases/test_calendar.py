"""Deadlines on the real calendar, the calendar an administrator extends, region parameters."""

from datetime import date

import pytest

from wengang.cases.calendar import deadline_after, period_end, work_calendar
from wengang.cases.models import CalendarDay, WorkflowParameters
from wengang.cases.parameters import DEFAULTS, parameters_for
from wengang.core.workdays import CalendarDataError, UnknownYearError

pytestmark = pytest.mark.django_db


@pytest.mark.parametrize(("start", "days", "end"), [
    ("2020-04-29", 5, "2020-05-08"),   # the example: May Day 1–5 May off
    ("2020-04-29", 1, "2020-04-29"),   # a one-day period is its first day
    ("2020-04-26", 2, "2020-04-27"),   # Sunday 26 April 2020 was a make-up working day
    ("2020-05-01", 1, "2020-05-06"),   # starting on a holiday: the next working day
    ("2020-05-08", 2, "2020-05-09"),   # Saturday 9 May 2020 was a make-up working day
    ("2020-09-30", 3, "2020-10-10"),   # National Day and Mid-Autumn: 1–8 Oct off, 10 Oct worked
])
def test_a_period_counts_its_first_day(start, days, end):
    assert period_end(work_calendar(), date.fromisoformat(start), days) == date.fromisoformat(end)


@pytest.mark.parametrize(("day", "days", "due"), [
    ("2020-04-29", 5, "2020-05-09"),   # the day of the event does not count
    ("2020-04-29", 3, "2020-05-07"),   # default joint review
    ("2020-04-29", 1, "2020-04-30"),   # priority joint review
    ("2020-04-30", 1, "2020-05-06"),
    ("2020-01-23", 1, "2020-02-03"),   # Spring Festival 2020, extended to 2 February
])
def test_a_deadline_counts_from_the_next_working_day(day, days, due):
    assert deadline_after(work_calendar(), date.fromisoformat(day), days) == date.fromisoformat(due)


def test_an_administrator_adds_a_year_the_builtin_calendar_lacks():
    with pytest.raises(UnknownYearError):
        deadline_after(work_calendar(), date(2027, 4, 29), 5)
    CalendarDay.objects.bulk_create([
        CalendarDay(day=date(2027, 1, 1), kind="holiday", name="元旦"),
        CalendarDay(day=date(2027, 5, 3), kind="holiday", name="劳动节"),
        CalendarDay(day=date(2027, 5, 4), kind="holiday", name="劳动节"),
        CalendarDay(day=date(2027, 5, 8), kind="workday", name="劳动节调休"),
    ])
    # Thursday 29 April 2027: 30 April, (3–4 May off), 5, 6, 7, 8 (make-up Saturday) May.
    assert deadline_after(work_calendar(), date(2027, 4, 29), 5) == date(2027, 5, 8)


def test_a_row_corrects_one_day_of_a_builtin_year():
    calendar = work_calendar()
    assert calendar.is_workday(date(2020, 5, 6))
    CalendarDay.objects.create(day=date(2020, 5, 6), kind="holiday", name="假设的调整")
    corrected = work_calendar()
    assert not corrected.is_workday(date(2020, 5, 6))
    assert not corrected.is_workday(date(2020, 5, 1)) and corrected.is_workday(date(2020, 5, 9))


def test_a_year_that_cannot_be_a_schedule_is_reported():
    CalendarDay.objects.create(day=date(2028, 1, 8), kind="workday")  # make-up day, no day off
    with pytest.raises(CalendarDataError):
        work_calendar()


def test_a_make_up_working_day_on_a_weekday_fails_validation():
    from django.core.exceptions import ValidationError

    with pytest.raises(ValidationError):
        CalendarDay(day=date(2027, 5, 5), kind="workday").full_clean()


def test_parameters_default_to_the_products_values():
    params = parameters_for("360102", "inclusive-2020")
    assert params == DEFAULTS
    assert (params.review_days, params.priority_review_days, params.publicity_days) == (3, 1, 5)
    assert params.late_claim_deadline(2020) == date(2020, 12, 31)


def test_the_most_specific_row_wins_field_by_field():
    WorkflowParameters.objects.create(region_code="", review_days=4, publicity_days=7)
    WorkflowParameters.objects.create(region_code="360000", review_days=2)
    WorkflowParameters.objects.create(region_code="360100", program="inclusive-2020",
                                      publicity_days=10, reviewers=["finance", "tax"])
    WorkflowParameters.objects.create(region_code="360200", review_days=9)  # another city
    inclusive = parameters_for("360102", "inclusive-2020")
    assert (inclusive.review_days, inclusive.publicity_days) == (2, 10)
    assert inclusive.reviewers == ("finance", "tax")
    difficult = parameters_for("360102", "difficult-2020")
    assert (difficult.review_days, difficult.publicity_days) == (2, 7)
    assert len(difficult.reviewers) == 6


def test_an_unknown_department_in_a_reviewer_list_is_refused():
    from django.core.exceptions import ValidationError

    row = WorkflowParameters(region_code="360100", reviewers=["finance", "police"])
    with pytest.raises(ValidationError):
        row.full_clean()
