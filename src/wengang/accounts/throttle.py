"""Lockouts and rate limits, counted from ``Attempt`` rows (so they hold across processes).

A lockout stops guessing: ``MAX_FAILURES`` failures since the last success within ``LOCKOUT``
lock the key until the oldest of them is ``LOCKOUT`` old. A rate limit stops flooding: at most
``limit`` attempts within ``window``, whatever their outcome.
"""

from collections.abc import Iterable
from datetime import datetime, timedelta

from django.db.models import Max

from .errors import LockedOut, RateLimited
from .models import Attempt

MAX_FAILURES = 5
LOCKOUT = timedelta(minutes=30)


def record(key: str, kind: str, *, succeeded: bool, ip: str | None, now: datetime) -> Attempt:
    return Attempt.objects.create(key=key, kind=kind, succeeded=succeeded, ip=ip, at=now)


def _recent_failures(key: str, kinds: Iterable[str], now: datetime):
    recent = Attempt.objects.filter(key=key, kind__in=list(kinds), at__gt=now - LOCKOUT)
    last_success = recent.filter(succeeded=True).aggregate(at=Max("at"))["at"]
    failures = recent.filter(succeeded=False)
    if last_success is not None:
        failures = failures.filter(at__gt=last_success)
    return failures


def failures_left(key: str, kinds: Iterable[str], *, now: datetime) -> int:
    return max(0, MAX_FAILURES - _recent_failures(key, kinds, now).count())


def require_not_locked(key: str, kinds: Iterable[str], *, now: datetime) -> None:
    """Raise ``LockedOut`` while ``key`` has ``MAX_FAILURES`` recent failures."""
    times = list(_recent_failures(key, kinds, now).order_by("-at")
                 .values_list("at", flat=True)[:MAX_FAILURES])
    if len(times) >= MAX_FAILURES:
        raise LockedOut(times[-1] + LOCKOUT)


def require_under_limit(key: str, kind: str, *, limit: int, window: timedelta,
                        now: datetime) -> None:
    """Raise ``RateLimited`` when ``key`` already made ``limit`` attempts of ``kind`` in ``window``."""
    times = list(Attempt.objects.filter(key=key, kind=kind, at__gt=now - window)
                 .order_by("-at").values_list("at", flat=True)[:limit])
    if len(times) >= limit:
        raise RateLimited(seconds_until(times[-1] + window, now))


def seconds_until(moment: datetime, now: datetime) -> int:
    return max(1, int((moment - now).total_seconds() + 0.999))
