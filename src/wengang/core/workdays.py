"""The official Chinese working-day calendar: deadlines, review and publicity periods.

Working days follow the State Council's yearly holiday schedule (国务院办公厅关于某年部分节假日安排的
通知): weekdays are working days except official days off, and some weekends become make-up
working days (调休上班). ``chinesecalendar`` ships the schedules of 2004–2026; an operator adds each
later year when it is published, by ``WorkCalendar.add_year`` or from a CSV file::

    date,kind,name
    2027-01-01,holiday,元旦
    2027-02-06,workday,春节调休上班

A question about a year the calendar does not know raises ``UnknownYearError``: a weekend-only
guess would silently move deadlines across a holiday nobody entered.

Counting convention (the usual rule for administrative periods: the day an event happens is not
counted, the period starts the next day):

- ``add_workdays(d, n)`` for ``n > 0`` is the n-th working day *after* ``d``, whether or not ``d``
  is itself a working day; ``n == 0`` is ``d`` if it is a working day, else the next one (the day
  something can first happen); ``n < 0`` is the |n|-th working day before ``d``.
- ``workdays_between(start, end)`` counts working days in ``(start, end]``: after ``start``, up
  to and including ``end``. So ``workdays_between(d, add_workdays(d, n)) == n`` for ``n > 0``.

Errors::

    CalendarError (core.errors)
    ├── UnknownYearError    the year is neither built in nor added
    └── CalendarDataError   add_year input or a CSV file is inconsistent (names file and line)
"""

import csv
from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime, timedelta
from pathlib import Path

import chinese_calendar
from chinese_calendar import constants as _builtin

from .errors import CalendarError

_ONE_DAY = timedelta(days=1)
_CSV_COLUMNS = ("date", "kind")
_CSV_OPTIONAL_COLUMNS = ("name",)
_KINDS = ("holiday", "workday")

# The range the installed chinesecalendar release covers; it raises NotImplementedError outside.
BUILTIN_YEARS = range(min(_builtin.holidays).year, max(_builtin.holidays).year + 1)


class UnknownYearError(CalendarError):
    """The calendar has no holiday schedule for ``year``."""

    code = "calendar_unknown_year"

    def __init__(self, year: int) -> None:
        self.year = year
        super().__init__(
            f"工作日历中没有 {year} 年的节假日安排：请在国务院办公厅公布 {year} 年节假日安排后，"
            f"由管理员添加（WorkCalendar.add_year 或 CSV 文件，列为 date,kind，"
            f"kind 为 holiday 放假 / workday 调休上班）",
            f"the working-day calendar does not know the year {year}: once the State Council "
            f"publishes the {year} holiday schedule, an administrator adds it "
            f"(WorkCalendar.add_year, or a CSV file with columns date,kind where kind is "
            f"holiday or workday)",
        )


class CalendarDataError(CalendarError):
    """A year's holiday schedule is inconsistent; ``source`` and ``line`` say where, if known."""

    code = "calendar_data"

    def __init__(self, zh: str, en: str, *, source: str | None = None, line: int | None = None):
        self.source = source
        self.line = line
        where = "" if source is None else f"{source}" + ("" if line is None else f":{line}")
        prefix = f"{where}: " if where else ""
        super().__init__(prefix + zh, prefix + en)


@dataclass(frozen=True, slots=True)
class _YearSchedule:
    """One added year: weekdays off and weekend make-up working days."""

    holidays: frozenset[date]
    workdays: frozenset[date]


class WorkCalendar:
    """Answers working-day questions for the built-in years and the years an operator added.

    An added year replaces nothing by default: re-adding a known year needs ``replace=True``,
    so a CSV file cannot quietly overwrite the published schedule of a built-in year.
    """

    def __init__(self) -> None:
        self._added: dict[int, _YearSchedule] = {}

    @classmethod
    def from_csv(cls, *paths: str | Path) -> "WorkCalendar":
        """Build a calendar of the built-in years plus the years in the given CSV files."""
        calendar = cls()
        for path in paths:
            calendar.load_csv(path)
        return calendar

    def known_years(self) -> list[int]:
        """The years this calendar can answer for, ascending."""
        return sorted(set(BUILTIN_YEARS) | set(self._added))

    def knows_year(self, year: int) -> bool:
        return year in self._added or year in BUILTIN_YEARS

    def add_year(
        self,
        year: int,
        *,
        holidays: Iterable[date],
        workdays: Iterable[date],
        replace: bool = False,
        source: str | None = None,
    ) -> None:
        """Add one year's published schedule: the official days off and the make-up working days.

        Days off that fall on a weekend are accepted (notices list whole holiday ranges) and
        change nothing. A make-up working day must be a Saturday or Sunday: on a weekday it is
        almost certainly a typo. A year without any day off is refused for the same reason.
        """
        schedule = self._checked(year, holidays, workdays, replace=replace, source=source)
        self._added[year] = schedule

    def load_csv(self, path: str | Path, *, replace: bool = False) -> list[int]:
        """Add every year found in a ``date,kind[,name]`` CSV file; return those years.

        All years are checked before any is added: a bad file changes nothing.
        """
        checked = {
            year: self._checked(year, days_off, make_up, replace=replace, source=str(path))
            for year, (days_off, make_up) in read_schedule_csv(path).items()
        }
        self._added.update(checked)
        return sorted(checked)

    def _checked(
        self, year: int, holidays: Iterable[date], workdays: Iterable[date], *, replace: bool,
        source: str | None,
    ) -> _YearSchedule:
        if self.knows_year(year) and not replace:
            raise CalendarDataError(
                f"{year} 年的节假日安排已存在；如需替换请使用 replace=True",
                f"the calendar already has {year}; pass replace=True to replace it",
                source=source,
            )
        days_off = frozenset(_as_date(day) for day in holidays)
        make_up = frozenset(_as_date(day) for day in workdays)
        _check_schedule(year, days_off, make_up, source=source)
        return _YearSchedule(holidays=days_off, workdays=make_up)

    def is_workday(self, day: date) -> bool:
        """True when ``day`` is an official working day."""
        day = _as_date(day)
        schedule = self._added.get(day.year)
        if schedule is not None:
            if day in schedule.workdays:
                return True
            return day.weekday() < 5 and day not in schedule.holidays
        if day.year not in BUILTIN_YEARS:
            raise UnknownYearError(day.year)
        try:
            return chinese_calendar.is_workday(day)
        except NotImplementedError as exc:  # a chinesecalendar release with a narrower range
            raise UnknownYearError(day.year) from exc

    def add_workdays(self, day: date, n: int) -> date:
        """Return the n-th working day after ``day`` (see the module docstring for n ≤ 0)."""
        day = _as_date(day)
        if n == 0:
            current = day
            while not self.is_workday(current):
                current += _ONE_DAY
            return current
        step = _ONE_DAY if n > 0 else -_ONE_DAY
        current, remaining = day, abs(n)
        while remaining:
            current += step
            if self.is_workday(current):
                remaining -= 1
        return current

    def workdays_between(self, start: date, end: date) -> int:
        """Count working days after ``start`` up to and including ``end``.

        Raises ``CalendarError`` when ``end`` precedes ``start``: a negative period is a bug in
        the caller, not a question about the calendar.
        """
        start, end = _as_date(start), _as_date(end)
        if end < start:
            raise CalendarError(
                f"结束日期 {end} 早于开始日期 {start}",
                f"end date {end} precedes start date {start}",
                code="calendar_range",
            )
        count, current = 0, start
        while current < end:
            current += _ONE_DAY
            count += self.is_workday(current)
        return count


def builtin_schedule(year: int) -> tuple[list[date], list[date]]:
    """Return a built-in year's weekdays off and weekend make-up working days, in date order.

    In the shape ``add_year`` takes, so an operator's table can be seeded with the years
    chinesecalendar already knows and then extended.
    """
    if year not in BUILTIN_YEARS:
        raise UnknownYearError(year)
    first = date(year, 1, 1)
    days = [first + timedelta(days=i) for i in range((date(year + 1, 1, 1) - first).days)]
    holidays = [day for day in days if day.weekday() < 5 and not chinese_calendar.is_workday(day)]
    workdays = [day for day in days if day.weekday() >= 5 and chinese_calendar.is_workday(day)]
    return holidays, workdays


def _as_date(day: date) -> date:
    """A datetime is a date subclass but never equal to one: compare calendar days only."""
    return day.date() if isinstance(day, datetime) else day


def read_schedule_csv(path: str | Path) -> dict[int, tuple[set[date], set[date]]]:
    """Read a ``date,kind[,name]`` file into ``{year: (holidays, workdays)}``, strictly.

    Unknown columns, bad dates, unknown kinds and repeated dates are errors naming the line, as
    for every file an operator hands in.
    """
    source = str(path)
    schedules: dict[int, tuple[set[date], set[date]]] = {}
    seen: dict[date, int] = {}
    with open(path, encoding="utf-8-sig", newline="") as handle:
        reader = csv.DictReader(handle)
        _check_header(reader.fieldnames, source)
        for row in reader:
            line = reader.line_num
            if None in row:  # DictReader files surplus fields under the key None
                raise CalendarDataError(
                    "该行的字段多于表头", "the row has more fields than the header",
                    source=source, line=line,
                )
            if not any((value or "").strip() for value in row.values()):
                continue
            day = _parse_date(row["date"], source=source, line=line)
            kind = (row["kind"] or "").strip()
            if kind not in _KINDS:
                raise CalendarDataError(
                    f"kind 应为 holiday 或 workday，而不是 {kind!r}",
                    f"kind must be holiday or workday, not {kind!r}",
                    source=source, line=line,
                )
            if day in seen:
                raise CalendarDataError(
                    f"日期 {day} 重复（第 {seen[day]} 行已出现）",
                    f"date {day} repeats line {seen[day]}",
                    source=source, line=line,
                )
            seen[day] = line
            days_off, make_up = schedules.setdefault(day.year, (set(), set()))
            (days_off if kind == "holiday" else make_up).add(day)
    if not schedules:
        raise CalendarDataError("文件中没有任何日期", "the file lists no dates", source=source)
    return schedules


def _check_header(fieldnames: list[str] | None, source: str) -> None:
    columns = [name.strip() for name in fieldnames or []]
    missing = [name for name in _CSV_COLUMNS if name not in columns]
    unknown = [name for name in columns if name not in _CSV_COLUMNS + _CSV_OPTIONAL_COLUMNS]
    if missing or unknown or len(set(columns)) != len(columns):
        raise CalendarDataError(
            f"表头应为 date,kind（可加 name），实际为 {','.join(columns)!r}",
            f"the header must be date,kind (name optional), found {','.join(columns)!r}",
            source=source, line=1,
        )


def _parse_date(text: str | None, *, source: str, line: int) -> date:
    value = (text or "").strip()
    try:
        # fromisoformat also takes 20270101 and week dates; the contract says YYYY-MM-DD only.
        if len(value) != 10:
            raise ValueError(value)
        return date.fromisoformat(value)
    except ValueError:
        raise CalendarDataError(
            f"日期格式不正确：{value!r}（应为 YYYY-MM-DD）",
            f"invalid date {value!r}: expected YYYY-MM-DD",
            source=source, line=line,
        ) from None


def _check_schedule(
    year: int, days_off: frozenset[date], make_up: frozenset[date], *, source: str | None
) -> None:
    """Refuse schedules that cannot be a published one."""
    stray = sorted(d for d in days_off | make_up if d.year != year)
    if stray:
        raise CalendarDataError(
            f"{year} 年的安排中出现了其他年份的日期：{stray[0]}",
            f"the {year} schedule contains a date of another year: {stray[0]}",
            source=source,
        )
    both = sorted(days_off & make_up)
    if both:
        raise CalendarDataError(
            f"{both[0]} 同时被列为放假和调休上班",
            f"{both[0]} is listed both as a day off and as a make-up working day",
            source=source,
        )
    weekday_make_up = sorted(d for d in make_up if d.weekday() < 5)
    if weekday_make_up:
        raise CalendarDataError(
            f"调休上班日 {weekday_make_up[0]} 不是周六或周日",
            f"make-up working day {weekday_make_up[0]} is not a Saturday or Sunday",
            source=source,
        )
    if not any(d.weekday() < 5 for d in days_off):
        raise CalendarDataError(
            f"{year} 年的安排中没有任何工作日放假（元旦、春节等），可能漏填",
            f"the {year} schedule has no weekday off (New Year, Spring Festival...): "
            "probably incomplete",
            source=source,
        )
