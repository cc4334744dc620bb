"""The refresh as background work: enqueue it after a bulk step or from the dashboard button."""

from django.tasks import task

from .refresh import refresh


@task()
def refresh_stats() -> dict:
    """Recount the summary tables; the worker (``wengang manage task_worker``) runs it."""
    rollup = refresh()
    return {"as_of": rollup.as_of.isoformat(), "cases": rollup.cases, "seconds": rollup.seconds}
