"""Screening started from the console, as background work (Django tasks; the ``django_tasks_db``
worker in production, ``wengang manage task_worker``).

``start_screening`` records a ``ScreeningJob`` and enqueues ``screen_and_load``, which screens
the snapshot, writes the result under ``WENGANG_RUNS_DIR`` and loads it into cases, writing its
step and share done on the job row for the page to poll. Nothing is retried automatically: a
failed job keeps its error, and the officer starts another.
"""

from datetime import date
from pathlib import Path

from django.conf import settings
from django.tasks import task

from wengang.accounts.models import User
from wengang.cases import services
from wengang.cases.errors import CaseError
from wengang.cases.models import ScreeningRun
from wengang.core.clock import clock
from wengang.core.errors import CoreError
from wengang.feeds import open_snapshot
from wengang.screening import screen, snapshot_source

from .models import ScreeningJob

SCREENING_SHARE = 0.7
"""Of the whole job: screening; writing the result takes to 0.8, loading into cases the rest."""


def runs_dir() -> Path:
    return Path(getattr(settings, "WENGANG_RUNS_DIR", settings.DATA_DIR / "runs"))


def _report(job_id: int, step: str, done: float) -> None:
    ScreeningJob.objects.filter(pk=job_id).update(step=step[:200], done=min(max(done, 0.0), 1.0))


def _fail(job_id: int, error: str) -> None:
    ScreeningJob.objects.filter(pk=job_id).update(status=ScreeningJob.Status.FAILED, error=error,
                                                  finished_at=clock.now())


@task()
def screen_and_load(job_id: int) -> int | None:
    """Screen the job's snapshot, write the result, load it into cases; return the run's id."""
    job = ScreeningJob.objects.select_related("started_by").get(pk=job_id)
    ScreeningJob.objects.filter(pk=job_id).update(status=ScreeningJob.Status.RUNNING)
    out = runs_dir() / f"job-{job.pk}" / "result.parquet"
    try:
        source = snapshot_source(open_snapshot(settings.WENGANG_SNAPSHOT_DIR, job.snapshot_id))
        screening = screen(source, programs=list(job.programs), as_of=job.as_of,
                           region_code=job.region_code,
                           progress=lambda step, done: _report(job_id, step,
                                                               SCREENING_SHARE * done))
        _report(job_id, "写出结果 / writing the result", SCREENING_SHARE)
        try:
            screening.write(out)
        finally:
            screening.connection.close()  # a worker lives long: free DuckDB's memory now
        _report(job_id, "导入案件 / loading into cases", 0.8)
        loaded = services.load_screening(
            out, actor=job.started_by,
            progress=lambda step: _report(job_id, step, 0.9))
    except (CoreError, CaseError) as error:
        _fail(job_id, str(error))
        return None
    except Exception:
        # A bug, not a data problem: the page must still stop waiting; the worker logs it.
        _fail(job_id, "内部错误，请联系系统管理员 / internal error: ask the system administrator")
        raise
    ScreeningJob.objects.filter(pk=job_id).update(
        status=ScreeningJob.Status.DONE, run=ScreeningRun.objects.get(pk=loaded.run_id),
        step="完成 / done", done=1.0, finished_at=clock.now())
    return loaded.run_id


def start_screening(*, actor: User, snapshot_id: str, programs: list[str],
                    as_of: date) -> ScreeningJob:
    """Record a job for ``actor``'s region and enqueue it; return the job to watch."""
    job = ScreeningJob.objects.create(started_by=actor, started_at=clock.now(),
                                      region_code=actor.region_code, snapshot_id=snapshot_id,
                                      programs=programs, as_of=as_of)
    result = screen_and_load.enqueue(job.pk)
    ScreeningJob.objects.filter(pk=job.pk).update(task_id=str(result.id))
    job.refresh_from_db()
    return job
