"""Crash tests: the export and the reconciliation are killed (SIGKILL) at random moments.

Each round makes a fresh approved batch, starts the real command in a subprocess, kills it
after a random delay (before, during or after its transaction), then runs it again to the
end. Afterwards no payment is duplicated or lost, every case agrees with its payment, each
return file counted once, every exported file still has its recorded bytes, and the ledger
balances.

The subprocesses need a database they can share, so these tests use their own: a SQLite file
in the test's folder, or on PostgreSQL a database named after ``DATABASE_URL``'s with
``_crash`` appended (created afresh). They run under both databases like the rest.
"""

import hashlib
import json
import os
import random
import signal
import subprocess
import sys
import time
from pathlib import Path
from urllib.parse import urlsplit, urlunsplit

import pytest

pytestmark = [pytest.mark.django_db, pytest.mark.slow]

ROOT = Path(__file__).resolve().parents[2]
WENGANG = str(Path(sys.executable).with_name("wengang"))
ROUNDS = 6
PAYMENTS = 800


@pytest.fixture
def crash_env(tmp_path):
    url = os.environ.get("DATABASE_URL", "")
    if url.startswith("postgres"):
        import psycopg

        parts = urlsplit(url)
        name = parts.path.lstrip("/") + "_crash"
        admin = urlunsplit(parts._replace(path="/postgres"))
        with psycopg.connect(admin, autocommit=True) as connection:
            connection.execute(f'DROP DATABASE IF EXISTS "{name}" WITH (FORCE)')
            connection.execute(f'CREATE DATABASE "{name}"')
        database = urlunsplit(parts._replace(path="/" + name))
    else:
        database = f"sqlite:///{tmp_path / 'crash.sqlite3'}"
    env = {**os.environ, "DATABASE_URL": database, "WENGANG_DATA_DIR": str(tmp_path / "data"),
           "WENGANG_TODAY": "2020-05-11", "WENGANG_ACTOR": "officer",
           "PYTHONPATH": str(ROOT)}
    worker("setup", env=env)
    return env


def worker(*args, env) -> str:
    done = subprocess.run([sys.executable, "-m", "tests.payments.crash_worker", *args], env=env,
                          cwd=ROOT, capture_output=True, text=True, timeout=300, check=False)
    assert done.returncode == 0, done.stderr[-3000:]
    return done.stdout.strip()


class Killer:
    """Kills a command at a random moment within the time such a command has been seen to take
    (start-up included), so most kills land while it works, some before, a few after."""

    def __init__(self, seed: int) -> None:
        self.rng = random.Random(seed)
        self.longest = 2.0
        self.landed = 0

    def kill_at_random(self, command: list[str], *, env) -> None:
        process = subprocess.Popen(command, env=env, cwd=ROOT, stdout=subprocess.DEVNULL,
                                   stderr=subprocess.DEVNULL)
        time.sleep(self.rng.uniform(0.2, 1.1 * self.longest))
        self.landed += process.poll() is None
        process.send_signal(signal.SIGKILL)
        process.wait(timeout=60)

    def finish(self, command: list[str], *, env) -> str:
        started = time.monotonic()
        done = subprocess.run(command, env=env, cwd=ROOT, capture_output=True, text=True,
                              timeout=300, check=False)
        self.longest = max(self.longest, time.monotonic() - started)
        assert done.returncode == 0, done.stdout[-2000:] + done.stderr[-2000:]
        return done.stdout


def assert_consistent(state: dict) -> None:
    assert state["cases_without_payment"] == 0, state
    assert state["paid_twice"] == 0 and state["payments_per_case_max"] == 1, state
    assert state["settled_events_per_case_max"] <= 1, state
    assert state["status_mismatches"] == 0, state
    assert state["ledger_problems"] == [], state


def test_export_killed_at_random_moments_then_rerun(crash_env, tmp_path):
    killer = Killer(20200511)
    out = tmp_path / "out"
    batch_ids = []
    for _ in range(ROUNDS):
        batch_id = worker("prepare", str(PAYMENTS), env=crash_env)
        batch_ids.append(batch_id)
        export = [WENGANG, "payments", "batch", "export", batch_id, "--out", str(out)]
        killer.kill_at_random(export, env=crash_env)
        killer.finish(export, env=crash_env)
        assert_consistent(json.loads(worker("check", env=crash_env)))
    assert killer.landed, "no kill landed while the export was running"
    state = json.loads(worker("check", env=crash_env))
    assert state["cases"] == ROUNDS * PAYMENTS
    assert state["payments"] == {"exported": ROUNDS * PAYMENTS}
    for batch_id in batch_ids:
        status, xml_sha = state["batches"][batch_id]
        assert status == "exported"
        written = (out / f"batch-{batch_id}.pain001.xml").read_bytes()
        assert hashlib.sha256(written).hexdigest() == xml_sha


def test_reconciliation_killed_at_random_moments_then_rerun(crash_env, tmp_path):
    killer = Killer(2020)
    out = tmp_path / "out"
    for _ in range(ROUNDS):
        batch_id = worker("prepare", str(PAYMENTS), env=crash_env)
        killer.finish([WENGANG, "payments", "batch", "export", batch_id, "--out", str(out)],
                      env=crash_env)
        answer = tmp_path / f"return-{batch_id}"
        worker("write-return", batch_id, str(answer), env=crash_env)
        reconcile = [WENGANG, "payments", "reconcile", str(answer)]
        killer.kill_at_random(reconcile, env=crash_env)
        killer.finish(reconcile, env=crash_env)  # applies it, or says it already was
        assert "already applied" in killer.finish(reconcile, env=crash_env)
        assert_consistent(json.loads(worker("check", env=crash_env)))
    assert killer.landed, "no kill landed while reconciling"
    state = json.loads(worker("check", env=crash_env))
    failed = ROUNDS * len(range(0, PAYMENTS, 7))
    assert state["payments"] == {"paid": ROUNDS * PAYMENTS - failed, "failed": failed}
    assert state["return_files"] == ROUNDS
    assert {status for status, _ in state["batches"].values()} == {"reconciled"}
