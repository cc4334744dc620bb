"""The task worker that outlives a database restart and a killed predecessor.

``django_tasks_db``'s ``db_worker`` has two gaps the soak test (bench/soak) found:

1. **A database restart kills it.** The first query after PostgreSQL went away raises
   ``OperationalError`` out of the worker's loop; under ``deploy/serve-prod.sh`` that also
   stopped gunicorn. Here the loop catches it, closes the broken connection, waits and tries
   again, as a web request does after a 503.
2. **A task claimed by a worker that died stays ``RUNNING`` for ever.** The worker marks a task
   running before it runs it; a SIGKILL (out of memory, a machine reboot) or a database error
   while recording the outcome leaves that mark behind, and nothing ever picks the task up
   again. Here such a task is queued again (``requeue_orphans``), when the worker starts and
   every ``ORPHAN_CHECK`` seconds after, by a watch thread (an idle worker, or one busy with a
   long task, must not leave a dead worker's task waiting):
   - claimed by a worker of this host whose process is gone (worker ids are ``host:pid:nonce``);
   - claimed by an earlier life of this very process (it lost the database mid-task);
   - claimed by another host, or by a worker without our kind of id, and started more than
     ``WENGANG_TASK_STALE_AFTER`` seconds ago (default 6 hours; a long screening can take one).
   A task whose run failed only because the database went away is also queued again.

Running a task again is safe because every task here is idempotent: sending claims notices
with a lease and sends each with its idempotency key (``outreach.sending``), the statistics
refresh recounts, and loading a screening result again changes nothing (``cases.loading``).
"""

import logging
import os
import socket
import threading
import time
from datetime import timedelta

from django.db import InterfaceError, OperationalError, close_old_connections, connection
from django.utils import timezone
from django.utils.crypto import get_random_string
from django_tasks_db.compat import TaskResultStatus
from django_tasks_db.management.commands.db_worker import Worker
from django_tasks_db.models import DBTaskResult

ORPHAN_CHECK = 60.0
"""Seconds between two looks for tasks claimed by a dead worker."""
OUTAGE_PAUSE = 2.0
"""Seconds to wait before trying the database again after it went away."""
DATABASE_ERRORS = (OperationalError, InterfaceError)
DATABASE_ERROR_PATHS = frozenset(f"{e.__module__}.{e.__qualname__}" for e in DATABASE_ERRORS)
logger = logging.getLogger(__name__)


def new_worker_id() -> str:
    """``host:pid:nonce`` (at most 64 characters): says where the worker runs and whether it lives."""
    return f"{socket.gethostname()[:40]}:{os.getpid()}:{get_random_string(8)}"


def _alive(pid: int) -> bool:
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # another user's process: alive
        return True
    return True


def _orphaned(worker_id: str, started_at, *, current_id: str, stale_before) -> bool:
    host, _, rest = worker_id.partition(":")
    pid_text, _, _nonce = rest.partition(":")
    if host == socket.gethostname()[:40] and pid_text.isdigit() and _nonce:
        pid = int(pid_text)
        if pid == os.getpid():
            return worker_id != current_id  # an earlier life of this process
        return not _alive(pid)
    return started_at is not None and started_at < stale_before


def requeue_orphans(*, current_id: str = "", stale_after: timedelta | None = None) -> list[str]:
    """Queue again every running task whose worker is gone; return their ids."""
    if stale_after is None:
        stale_after = timedelta(seconds=int(os.environ.get("WENGANG_TASK_STALE_AFTER", "21600")))
    stale_before = timezone.now() - stale_after
    orphans = [pk for pk, worker_ids, started_at in
               DBTaskResult.objects.running().values_list("pk", "worker_ids", "started_at")
               if _orphaned((worker_ids or [""])[-1], started_at, current_id=current_id,
                            stale_before=stale_before)]
    if orphans:
        # Only if still running: the worker may have finished it since we looked.
        DBTaskResult.objects.running().filter(pk__in=orphans).update(
            status=TaskResultStatus.READY, started_at=None)
        logger.warning("re-queued %d task(s) claimed by a worker that is gone: %s",
                       len(orphans), ", ".join(str(pk) for pk in orphans))
    return [str(pk) for pk in orphans]


class ResilientWorker(Worker):
    """``db_worker``'s loop, kept alive through database outages, recovering orphaned tasks."""

    def __init__(self, *, orphan_check: float = ORPHAN_CHECK, **options) -> None:
        super().__init__(worker_id=new_worker_id(), **options)
        self.orphan_check = orphan_check

    def run(self) -> None:
        if not self.batch:  # a one-off run (--batch) looks once, below
            self.watch = threading.Thread(target=self._watch_for_orphans, name="orphan-watch",
                                          daemon=True)
            self.watch.start()
        while self.running:
            try:
                requeue_orphans(current_id=self.worker_id)  # at start, and after an outage
                super().run()
                return  # --batch or --max-tasks: done
            except DATABASE_ERRORS as error:
                first_line = (str(error).splitlines() or [type(error).__name__])[0]
                logger.error("database unavailable, worker %s waits %.0f s: %s",
                             self.worker_id, OUTAGE_PAUSE, first_line)
                connection.close_if_unusable_or_obsolete()
                # A new id: the task this life had claimed is then an orphan, queued again above.
                self.worker_id = new_worker_id()
                self.startup_delay = False
                time.sleep(OUTAGE_PAUSE)

    def _watch_for_orphans(self) -> None:
        """Every ``orphan_check`` seconds while the worker runs, on its own connection."""
        while True:
            time.sleep(self.orphan_check)
            if not self.running:
                return
            try:
                requeue_orphans(current_id=self.worker_id)
            except DATABASE_ERRORS:
                pass  # the outage is the main loop's to report: look again next time
            finally:
                connection.close()  # this thread's connection, not kept between looks

    def run_task(self, db_task_result: DBTaskResult) -> None:
        super().run_task(db_task_result)
        if (db_task_result.status == TaskResultStatus.FAILED
                and db_task_result.exception_class_path in DATABASE_ERROR_PATHS):
            # It failed because the database went away, not because of the task: run it again.
            DBTaskResult.objects.filter(pk=db_task_result.pk, status=TaskResultStatus.FAILED).update(
                status=TaskResultStatus.READY, started_at=None, finished_at=None)
            logger.warning("task %s failed on a lost database connection: queued again",
                           db_task_result.pk)


def run_worker(*, interval: float = 1.0, batch: bool = False, max_tasks: int | None = None) -> None:
    """Run the worker on the default backend and queue until stopped (SIGTERM: after the task)."""
    close_old_connections()
    worker = ResilientWorker(queue_names=["default"], interval=interval, batch=batch,
                             backend_name="default", startup_delay=not batch, max_tasks=max_tasks,
                             excluded_queue_names=[])
    worker.configure_signals()
    worker.run()
