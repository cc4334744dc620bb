"""The working-day calendar an administrator can extend, and the two ways periods are counted.

``core.workdays.WorkCalendar`` knows the years chinesecalendar ships (2004–2026). Later years
(and any correction) are entered as ``CalendarDay`` rows in the admin; ``work_calendar()``
builds a ``WorkCalendar`` from both, so the core stays free of Django.

Two counting rules, both used by the State Council's and the agencies' texts:

- a **deadline after an event** (review due, application due): the day of the event is not
  counted — ``deadline_after(d, n)`` is the n-th working day after ``d``;
- a **period starting on a day** (publicity runs from its first day): the first day counts —
  ``period_end(d, n)`` is the last of n working days starting on ``d`` (or on the next working
  day when ``d`` is not one). A 5-working-day publicity starting on Wednesday 29 April 2020
  runs 29, 30 April, 6, 7, 8 May (May Day holiday 1–5 May) and ends on 8 May.
"""

from collections import defaultdict
from datetime import date

from wengang.core.workdays import BUILTIN_YEARS, WorkCalendar, builtin_schedule

from .models import CalendarDay


def work_calendar() -> WorkCalendar:
    """The built-in calendar plus every ``CalendarDay`` row (a few dozen rows: one query).

    For a year the built-in calendar knows, rows correct single days of the published
    schedule; for any other year they are the whole schedule. A year whose rows cannot be a
    schedule (say, make-up days but no day off) raises ``CalendarDataError`` naming it.
    """
    calendar = WorkCalendar()
    by_year: dict[int, dict[date, str]] = defaultdict(dict)
    for day, kind in CalendarDay.objects.values_list("day", "kind"):
        by_year[day.year][day] = kind
    for year, days in sorted(by_year.items()):
        holidays: set[date] = set()
        workdays: set[date] = set()
        if year in BUILTIN_YEARS:
            builtin_holidays, builtin_workdays = builtin_schedule(year)
            holidays, workdays = set(builtin_holidays), set(builtin_workdays)
        for day, kind in days.items():
            holidays.discard(day)
            workdays.discard(day)
            (holidays if kind == CalendarDay.Kind.HOLIDAY else workdays).add(day)
        calendar.add_year(year, holidays=holidays, workdays=workdays,
                          replace=year in BUILTIN_YEARS, source="CalendarDay")
    return calendar


def deadline_after(calendar: WorkCalendar, day: date, workdays: int) -> date:
    """The n-th working day after ``day`` (the day itself not counted)."""
    return calendar.add_workdays(day, workdays)


def period_start(calendar: WorkCalendar, day: date) -> date:
    """``day`` if it is a working day, else the next working day."""
    return calendar.add_workdays(day, 0)


def period_end(calendar: WorkCalendar, start: date, workdays: int) -> date:
    """The last day of a period of ``workdays`` working days that starts on ``start``."""
    if workdays < 1:
        raise ValueError("a period lasts at least one working day")
    first = period_start(calendar, start)
    return calendar.add_workdays(first, workdays - 1) if workdays > 1 else first
