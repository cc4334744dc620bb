"""The one clock that domain code asks for "today".

Deadlines, publicity periods and reminders depend on the date, so the date is a seam: tests and
the demo set it (``clock.set_today``, ``clock.frozen``), and ``WENGANG_TODAY=YYYY-MM-DD`` fixes
it for a whole process (the demo's simulated clock). Nothing else reads the system clock.
"""

import os
from collections.abc import Iterator
from contextlib import contextmanager
from datetime import date, datetime, time, timedelta
from zoneinfo import ZoneInfo

CHINA = ZoneInfo("Asia/Shanghai")


class Clock:
    """Gives today's date and the current time in China; may be fixed to a simulated day."""

    def __init__(self, *, today: date | None = None) -> None:
        self._fixed: date | None = today
        self._moment: datetime | None = None  # a fixed time of day too (tests of hours)

    @classmethod
    def from_environment(cls) -> "Clock":
        value = os.environ.get("WENGANG_TODAY")
        return cls(today=date.fromisoformat(value) if value else None)

    def today(self) -> date:
        return self._fixed if self._fixed is not None else datetime.now(CHINA).date()

    def now(self) -> datetime:
        """The current moment; on a fixed day, the real time of day on that day (or the fixed
        moment, when ``frozen`` was given one)."""
        if self._moment is not None:
            return self._moment
        real = datetime.now(CHINA)
        if self._fixed is None:
            return real
        return datetime.combine(self._fixed, real.timetz())

    @property
    def is_fixed(self) -> bool:
        return self._fixed is not None

    def set_today(self, day: date | None) -> None:
        """Fix the date (``None`` returns to the real calendar)."""
        self._fixed, self._moment = day, None

    def advance(self, days: int = 1) -> date:
        """Move a fixed clock forward; used by the demo to simulate working days passing."""
        self._fixed = self.today() + timedelta(days=days)
        if self._moment is not None:
            self._moment += timedelta(days=days)
        return self._fixed

    @contextmanager
    def frozen(self, day: date | datetime) -> Iterator["Clock"]:
        """Fix the date for a block; given a datetime, fix the moment too, so that what depends
        on the hour (quiet hours, retries due) does not depend on when the tests run."""
        previous = self._fixed, self._moment
        if isinstance(day, datetime):
            self._fixed, self._moment = day.astimezone(CHINA).date(), day.astimezone(CHINA)
        else:
            self._fixed, self._moment = day, None
        try:
            yield self
        finally:
            self._fixed, self._moment = previous


def start_of_day(day: date) -> datetime:
    return datetime.combine(day, time.min, tzinfo=CHINA)


clock = Clock.from_environment()
