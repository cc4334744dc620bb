"""Sending as background work (Django tasks; the ``django_tasks_db`` worker in production).

``enqueue_sending`` records a ``Dispatch`` (the progress row the CLI and console read) and
enqueues ``send_notices``; the worker (``wengang manage task_worker``) runs it. The
tasks API has no automatic retries, and needs none here: notices that failed for a while stay
pending with their next attempt, and the next run picks them up.
"""

from django.tasks import task

from wengang.core.clock import clock

from .models import Dispatch
from .sending import send_pending


@task()
def send_notices(channel: str, dispatch_id: int) -> dict[str, int]:
    """Send every due notice of ``channel``, counting into the dispatch ``dispatch_id``."""
    dispatch = Dispatch.objects.get(pk=dispatch_id)
    done = send_pending(channel, dispatch=dispatch)
    return {"due": done.due, "sent": done.sent, "failed": done.failed, "retried": done.retried,
            "deferred": done.deferred, "suppressed": done.suppressed}


def enqueue_sending(channel: str) -> Dispatch:
    """Start sending ``channel`` in the background; return the dispatch to watch."""
    dispatch = Dispatch.objects.create(channel=channel, started_at=clock.now())
    result = send_notices.enqueue(channel, dispatch.pk)
    Dispatch.objects.filter(pk=dispatch.pk).update(task_id=str(result.id))
    dispatch.refresh_from_db()
    return dispatch
