"""The soak and fault test, short (bench/soak/soak.py --short, about two minutes with its city):
its own PostgreSQL instance is stopped and started under load and the task worker is killed
mid-task; nothing acknowledged is lost, nothing is done twice, errors are clean 503s and stop
by themselves. The long run (`make soak`, 10 minutes) is the same script."""

import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import time
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SOAK = ROOT / "bench" / "soak" / "soak.py"
# The binaries the script uses (bench/soak/soak.py pg_bin): SOAK_PG_BIN, else the newest Debian one.
PG_BIN = Path(os.environ.get("SOAK_PG_BIN") or max(
    Path("/usr/lib/postgresql").glob("*/bin"), default=Path("/usr/lib/postgresql/15/bin"),
    key=lambda p: int(p.parent.name) if p.parent.name.isdigit() else 0))


def _free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


@pytest.mark.slow
def test_soak_with_a_database_restart_and_a_killed_worker_loses_nothing():
    if not (PG_BIN / "initdb").exists():
        pytest.fail(f"PostgreSQL binaries not found in {PG_BIN} (set SOAK_PG_BIN)")
    # Not pytest's tmp_path: that is private to root, and the instance runs as `postgres`.
    out = ROOT / "var-soak" / "test"
    shutil.rmtree(out, ignore_errors=True)
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WENGANG_", "DJANGO_"))}
    env.pop("DATABASE_URL", None)
    command = [sys.executable, str(SOAK), "--short", "--out", str(out),
               "--venv", str(Path(sys.executable).parent.parent),
               "--pg-port", str(_free_port()), "--port", str(_free_port()),
               "--sms-port", str(_free_port())]
    process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.PIPE,
                               stderr=subprocess.STDOUT, text=True, start_new_session=True)
    try:
        output, _ = process.communicate(timeout=900)
    finally:
        if process.poll() is None:  # the script's own clean-up never ran: do it here
            os.killpg(process.pid, signal.SIGKILL)
            process.wait()
        data = out / "pg" / "data"
        if (data / "postmaster.pid").exists():
            stop = [str(PG_BIN / "pg_ctl"), "-D", str(data), "-m", "immediate", "-w", "stop"]
            if os.geteuid() == 0:
                stop = ["runuser", "-u", "postgres", "--", *stop]
            subprocess.run(stop, check=False, capture_output=True)
    results = sorted((out / "results").glob("*.json")) if (out / "results").exists() else []
    assert results, f"the soak wrote no result:\n{output[-4000:]}"
    result = json.loads(results[-1].read_text())
    assert result["failures"] == [], output[-4000:]
    assert process.returncode == 0
    # What the run must have exercised for the checks to mean something.
    assert result["confirmations_acknowledged"] > 0
    assert result["errors_by_status"].get("503", 0) > 0  # the outage was seen by users …
    assert result["unclean_errors"] == 0                 # … and only as 503 + Retry-After
    assert result["recovery_seconds"] <= 30
    assert result["worker_had_task_when_killed"] is True
    assert result["tasks_requeued_log_lines"] >= 1
    assert result["sms_received"] > 0 and result["notices_told_twice"] == 0
    assert not (out / "pg" / "data" / "postmaster.pid").exists()
    shutil.rmtree(out / "pg", ignore_errors=True)
    shutil.rmtree(out / "city", ignore_errors=True)


# --- the task worker's recovery (wengang.web.worker), without the soak -----------------------

def _running(task_id, worker_id: str, *, minutes_ago: float = 1) -> None:
    from datetime import timedelta

    from django.utils import timezone
    from django_tasks_db.models import DBTaskResult

    DBTaskResult.objects.filter(pk=task_id).update(
        status="RUNNING", worker_ids=[worker_id],
        started_at=timezone.now() - timedelta(minutes=minutes_ago))


def _status(task_id) -> str:
    from django_tasks_db.models import DBTaskResult

    return DBTaskResult.objects.get(pk=task_id).status


def _despite_sqlite_locks(statement):
    """``statement()``, tried again while SQLite says a table is locked.

    The test database of SQLite is in memory with a shared cache: a worker thread's reads and
    writes lock whole tables, and a statement of another thread then fails at once with
    "database table is locked" (SQLITE_LOCKED; the busy timeout does not wait for it). That is
    the test's own thread meeting the worker's, not what is tested: wait, as PostgreSQL would.
    """
    from django.db import OperationalError

    deadline = time.monotonic() + 10
    while True:
        try:
            return statement()
        except OperationalError as error:
            if "locked" not in str(error) or time.monotonic() > deadline:
                raise
            time.sleep(0.02)


def _dead_pid() -> int:
    finished = subprocess.run([sys.executable, "-c", "import os; print(os.getpid())"],
                              capture_output=True, text=True, check=True)
    return int(finished.stdout)


@pytest.fixture
def queued(settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    from wengang.stats.tasks import refresh_stats

    return lambda: refresh_stats.enqueue().id


@pytest.mark.django_db(transaction=True)
def test_a_task_claimed_by_a_dead_worker_is_queued_again_and_one_alive_is_left(queued):
    from wengang.web.worker import new_worker_id, requeue_orphans

    host = socket.gethostname()[:40]
    dead, alive, mine_before, mine_now = queued(), queued(), queued(), queued()
    sleeper = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    try:
        _running(dead, f"{host}:{_dead_pid()}:abcdefgh")
        _running(alive, f"{host}:{sleeper.pid}:abcdefgh")
        current = new_worker_id()
        _running(mine_before, f"{host}:{os.getpid()}:earlier1")  # this process lost the database
        _running(mine_now, current)

        requeued = requeue_orphans(current_id=current)

        assert sorted(requeued) == sorted([str(dead), str(mine_before)])
        assert [_status(t) for t in (dead, alive, mine_before, mine_now)] == [
            "READY", "RUNNING", "READY", "RUNNING"]
        assert requeue_orphans(current_id=current) == []  # nothing more: idempotent
    finally:
        sleeper.kill()
        sleeper.wait()


@pytest.mark.django_db(transaction=True)
def test_a_task_of_another_host_is_queued_again_only_once_stale(queued):
    from datetime import timedelta

    from wengang.web.worker import requeue_orphans

    stale, recent, plain = queued(), queued(), queued()
    _running(stale, "other-host:123:abcdefgh", minutes_ago=120)
    _running(recent, "other-host:123:abcdefgh", minutes_ago=5)
    _running(plain, "a-db_worker-id-without-host", minutes_ago=120)  # db_worker's own ids

    requeued = requeue_orphans(stale_after=timedelta(hours=1))

    assert sorted(requeued) == sorted([str(stale), str(plain)])
    assert _status(recent) == "RUNNING"


@pytest.mark.django_db(transaction=True)
def test_an_idle_worker_finds_a_task_a_worker_killed_meanwhile_left_running(queued):
    import threading
    from datetime import timedelta

    from django.db import connection
    from django.utils import timezone

    from wengang.stats.tasks import refresh_stats
    from wengang.web.worker import ResilientWorker

    worker = ResilientWorker(queue_names=["default"], interval=0.05, batch=False,
                             backend_name="default", startup_delay=False, max_tasks=None,
                             excluded_queue_names=[], orphan_check=0.3)

    def work():
        try:
            worker.run()
        finally:
            connection.close()

    loop = threading.Thread(target=work)
    loop.start()
    try:
        time.sleep(0.5)  # started, looked for orphans, found nothing to do: idle
        # Claimed meanwhile by a worker that died (not before run_after: no one else takes it).
        orphan = _despite_sqlite_locks(lambda: refresh_stats.using(
            run_after=timezone.now() + timedelta(seconds=1)).enqueue().id)
        dead_worker = f"{socket.gethostname()[:40]}:{_dead_pid()}:abcdefgh"
        _despite_sqlite_locks(lambda: _running(orphan, dead_worker))
        deadline = time.monotonic() + 20
        while (_despite_sqlite_locks(lambda: _status(orphan)) != "SUCCESSFUL"
               and time.monotonic() < deadline):
            time.sleep(0.1)
        assert _despite_sqlite_locks(lambda: _status(orphan)) == "SUCCESSFUL"
    finally:
        worker.running = False
        loop.join(10)
        worker.watch.join(10)
    assert not loop.is_alive() and not worker.watch.is_alive()


@pytest.mark.django_db(transaction=True)
def test_the_task_worker_runs_what_a_killed_worker_left_running(queued):
    from django.core.management import call_command

    host = socket.gethostname()[:40]
    orphan = queued()
    _running(orphan, f"{host}:{_dead_pid()}:abcdefgh")

    call_command("task_worker", "--batch")

    assert _status(orphan) == "SUCCESSFUL"
