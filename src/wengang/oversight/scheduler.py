"""Periodic work that must happen without anyone remembering it (``wengang scheduler``).

- **audit sync** (``audit.absorb``): chain the case events and exports written since the last
  sync. Until then an event is in the append-only event table but not yet in the chain.
- **risk-hold sweep** (``holds.sweep``): hold newly flagged cases, release those whose unit
  corrected its data. It runs as a named service account (role agency), over that account's
  region, so every hold it places names who placed it.
- **statistics refresh** (``stats.refresh``): recount the dashboards' summary tables, so the
  figures follow the day's payments and notices without anyone pressing the button.

All jobs are idempotent: running one twice, or after a restart, changes nothing the first
run did not. So the loop keeps its schedule in memory only: a restarted scheduler runs every
job at once, then each at its interval. A job that fails is reported and tried again at its
next turn; it never stops the others. One process is enough (the audit chain's head row
serialises appends; the sweep moves each case through the workflow, which checks its state).
"""

import time
from collections.abc import Callable, Iterator
from dataclasses import dataclass, field
from datetime import datetime, timedelta

from django.db import close_old_connections

from wengang.accounts.models import User
from wengang.cases.errors import CaseError
from wengang.core.clock import clock
from wengang.core.errors import CoreError

from . import audit, holds

SYNC_EVERY = timedelta(minutes=5)
SWEEP_EVERY = timedelta(hours=1)
STATS_EVERY = timedelta(minutes=15)


@dataclass(frozen=True)
class Job:
    name: str
    every: timedelta
    run: Callable[[], str]
    """Does the work; returns a one-line summary (Chinese / English)."""


def audit_sync() -> str:
    return f"已归集 {audit.absorb():,} 条审计记录 / records chained"


def hold_sweep(actor: User) -> Callable[[], str]:
    def run() -> str:
        result = holds.sweep(actor=actor, region_code=actor.region_code)
        return (f"{actor.region_code}：暂缓 {len(result.held):,} 件，更正后解除 {len(result.corrected):,} 件，"
                f"其他环节已处理 {len(result.ended):,} 件，跳过 {len(result.skipped):,} 件 / held, "
                "released, ended, skipped")
    return run


def stats_refresh() -> str:
    from wengang.stats.refresh import refresh  # the dashboards' app, loaded only when it runs

    rollup = refresh()
    return f"已统计 {rollup.cases:,} 件案件，耗时 {rollup.seconds:.1f} 秒 / dashboards refreshed"


def jobs(actor: User, *, sync_every: timedelta = SYNC_EVERY, sweep_every: timedelta = SWEEP_EVERY,
         stats_every: timedelta = STATS_EVERY) -> list[Job]:
    """The scheduled jobs: the audit sync, the sweep of ``actor``'s region, the statistics,
    and in a two-zone deployment the exchange with the other zone (``zones.scheduler``)."""
    from wengang.zones.scheduler import with_exchange

    return with_exchange([Job("audit-sync", sync_every, audit_sync),
                          Job("risk-holds", sweep_every, hold_sweep(actor)),
                          Job("stats-refresh", stats_every, stats_refresh)])


@dataclass(frozen=True)
class Outcome:
    job: str
    at: datetime
    ok: bool
    summary: str


@dataclass
class Schedule:
    """When each job last ran (in this process), on the monotonic clock: the domain clock
    (``core.clock``) may be frozen for a demo, and a job would then never fall due again."""

    jobs: list[Job]
    last: dict[str, float] = field(default_factory=dict)

    def due(self, now: float) -> list[Job]:
        return [job for job in self.jobs if job.name not in self.last
                or now - self.last[job.name] >= job.every.total_seconds()]

    def tick(self, now: float | None = None) -> list[Outcome]:
        """Run the jobs that are due, each on its own; refused or failed ones are reported."""
        now = time.monotonic() if now is None else now
        outcomes = []
        for job in self.due(now):
            try:
                summary, ok = job.run(), True
            except (CaseError, CoreError) as error:  # a rule refused it: say which, go on
                summary, ok = f"{error.zh} / {error.en}", False
            except Exception as error:  # noqa: BLE001 — the loop must outlive one bad run
                summary, ok = f"{type(error).__name__}: {error}", False
            self.last[job.name] = now
            outcomes.append(Outcome(job.name, clock.now(), ok, summary))
        return outcomes


def loop(schedule: Schedule, *, pause: float = 30.0, ticks: int | None = None,
         sleep: Callable[[float], None] = time.sleep) -> Iterator[Outcome]:
    """Tick every ``pause`` seconds (``ticks`` times, or for ever), yielding what ran."""
    count = 0
    while ticks is None or count < ticks:
        if count:  # a long-lived process: drop a connection the server closed while we slept
            close_old_connections()
        yield from schedule.tick()
        count += 1
        if ticks is None or count < ticks:
            sleep(pause)
