"""``wengang manage task_worker``: the background task worker of production (deploy/serve-prod.sh).

``db_worker`` (django_tasks_db) as it runs here, kept alive through a database restart and
queueing again the tasks a killed worker had claimed (``wengang.web.worker``).
"""

import logging

from django.core.management.base import BaseCommand

from wengang.web.worker import run_worker


class Command(BaseCommand):
    help = "运行后台任务（数据库重启后自动恢复）/ Run background tasks, surviving database restarts"

    def add_arguments(self, parser) -> None:
        parser.add_argument("--interval", type=float, default=1.0,
                            help="seconds between looks for new tasks when idle")
        parser.add_argument("--batch", action="store_true", help="run what is queued, then exit")
        parser.add_argument("--max-tasks", type=int, default=None)

    def handle(self, *, interval: float, batch: bool, max_tasks: int | None, verbosity: int,
               **options) -> None:
        level = logging.WARNING if verbosity == 0 else logging.INFO
        for name in ("django_tasks_db", "django.tasks", "wengang.web.worker"):
            logger = logging.getLogger(name)
            logger.setLevel(level)
            if not logger.hasHandlers():
                logger.addHandler(logging.StreamHandler(self.stderr))
        run_worker(interval=interval, batch=batch, max_tasks=max_tasks)
