"""Soak and fault test: serve a city for DURATION while its database restarts and its task
worker is killed; then check that nothing was lost or done twice (docs/deployment.md §4).

    .venv/bin/python bench/soak/soak.py --duration 600          # make soak (10 minutes)
    .venv/bin/python bench/soak/soak.py --short                 # ~75 s, small city (the CI test)

Everything runs on this machine, on 127.0.0.1, in ``--out`` (default var-soak):

1. its **own PostgreSQL instance** (``pg/data``, port ``--pg-port``), made with initdb (as the
   ``postgres`` OS user when run as root) and started and stopped here with pg_ctl: the fault
   restarts it, never a shared server;
2. a city of ``--cases`` cases (``bench/load/prepare.py``) and logged-in sessions
   (``bench/load/sessions.py``);
3. the service as separate processes supervised here (not ``deploy/serve-prod.sh``, which stops
   everything when the worker dies): gunicorn (``deploy/gunicorn.conf.py``), the task worker
   (``wengang manage task_worker``), the scheduler (``wengang scheduler``), the payer
   (``payer.py``: every ``--pay-every`` seconds 25 cases made payable, funded, batched,
   approved, exported, returned by the bank and reconciled) and a fake SMS gateway
   (``sms_gateway.py``); every notice of the city is planned for SMS, and a sending task is
   enqueued every ``ENQUEUE_EVERY`` seconds, as an officer would press "send";
4. the driver's users (``driver.py``) for the whole run;
5. faults: at 35 % the database is stopped (``pg_ctl stop -m fast``) for ``--down`` seconds and
   started again; at 60 % the task worker is killed with SIGKILL while it runs a task, and
   started again 3 s later;
6. after the run, the queue must drain by itself; then (``--settle``, not in ``--short``) the
   test waits out the 10-minute lease of the sending runs the faults cut short, sends again
   and requires every notice sent;
7. the checks (``checks.py``), a Markdown report printed and written to ``results/``, and
   ``results/<stamp>.json`` for the test. Exit status 1 when a check failed.

Every process started here is stopped at the end, and the PostgreSQL instance too, even when
the run fails.
"""

import argparse
import json
import os
import shutil
import signal
import socket
import subprocess
import sys
import threading
import time
from datetime import UTC, datetime
from pathlib import Path

HERE = Path(__file__).resolve().parent
ROOT = HERE.parents[1]
sys.path.insert(0, str(HERE))

import checks
import driver


def pg_bin() -> Path:
    """SOAK_PG_BIN, else the newest Debian PostgreSQL (initdb, pg_ctl are not on PATH there)."""
    if os.environ.get("SOAK_PG_BIN"):
        return Path(os.environ["SOAK_PG_BIN"])
    found = sorted(Path("/usr/lib/postgresql").glob("*/bin/initdb"),
                   key=lambda p: int(p.parent.parent.name) if p.parent.parent.name.isdigit() else 0)
    return found[-1].parent if found else Path("/usr/lib/postgresql/15/bin")


PG_BIN = pg_bin()
TODAY = "2020-04-20"
ENQUEUE_EVERY = 20.0


class Soak:
    def __init__(self, args: argparse.Namespace):
        self.args = args
        self.out = args.out.resolve()
        self.city = self.out / "city"
        self.run_dir = self.out / "run"
        self.results = self.out / "results"
        self.pg_data = self.out / "pg" / "data"
        self.bin = Path(args.venv).resolve() / "bin"
        self.db_url = f"postgres://postgres@127.0.0.1:{args.pg_port}/soak"
        self.processes: dict[str, subprocess.Popen] = {}
        self.events: dict[str, float] = {}
        self.notes: list[str] = []
        self.stop_notifier = threading.Event()

    # --- PostgreSQL: this run's own instance -------------------------------------------------
    def _as_postgres(self, command: list[str]) -> list[str]:
        return ["runuser", "-u", "postgres", "--", *command] if os.geteuid() == 0 else command

    def pg_ctl(self, *arguments: str) -> None:
        subprocess.run(self._as_postgres([str(PG_BIN / "pg_ctl"), "-D", str(self.pg_data), *arguments]),
                       check=True, stdout=subprocess.DEVNULL)

    def start_database(self) -> None:
        if not (self.pg_data / "PG_VERSION").exists():
            self.pg_data.mkdir(parents=True, exist_ok=True)
            if os.geteuid() == 0:  # initdb refuses root: the instance belongs to `postgres`
                shutil.chown(self.pg_data.parent, "postgres", "postgres")
                shutil.chown(self.pg_data, "postgres", "postgres")
            subprocess.run(self._as_postgres([str(PG_BIN / "initdb"), "-D", str(self.pg_data),
                                              "-U", "postgres", "--auth=trust", "-E", "UTF8",
                                              "--locale=C.UTF-8"]),
                           check=True, stdout=subprocess.DEVNULL)
        self.pg_ctl("-l", str(self.pg_data.parent / "server.log"), "-w", "-t", "60", "-o",
                    f"-p {self.args.pg_port} -k /tmp -c listen_addresses=127.0.0.1 "
                    "-c max_connections=60 -c fsync=on", "start")
        self.events["pg_started"] = time.time()
        subprocess.run(["psql", "-h", "127.0.0.1", "-p", str(self.args.pg_port), "-U", "postgres",
                        "-qc", "DROP DATABASE IF EXISTS soak", "-c", "CREATE DATABASE soak"],
                       check=True, stdout=subprocess.DEVNULL)

    def stop_database(self) -> None:
        if (self.pg_data / "postmaster.pid").exists():
            self.pg_ctl("-m", "fast", "-w", "stop")

    # --- the city and the service ------------------------------------------------------------
    def env(self) -> dict[str, str]:
        env = {k: v for k, v in os.environ.items() if not k.startswith(("WENGANG_", "DJANGO_"))}
        for line in (self.city / "secrets.env").read_text().split():
            name, _, value = line.partition("=")
            env[name] = value
        env.update(
            DATABASE_URL=self.db_url, DJANGO_SETTINGS_MODULE="wengang.settings",
            WENGANG_TODAY=TODAY, WENGANG_DEBUG="0", WENGANG_HTTPS="0",
            WENGANG_DATA_DIR=str(self.city / "data"), WENGANG_VENV=str(self.bin.parent),
            WENGANG_BIND=f"127.0.0.1:{self.args.port}", WENGANG_WORKERS=str(self.args.workers),
            WENGANG_SMS_URL=f"http://127.0.0.1:{self.args.sms_port}/login-codes",
            WENGANG_OUTREACH_SMS_URL=f"http://127.0.0.1:{self.args.sms_port}/send",
            WENGANG_OUTREACH_SMS_SECRET="soak-test-secret",
            WENGANG_OUTREACH_QUIET_HOURS="",  # the test must not depend on the time of day
            WENGANG_OUTREACH_RATE=str(self.args.sms_rate),
            WENGANG_LOG_LEVEL="WARNING", PYTHONUNBUFFERED="1")
        return env

    def prepare(self) -> None:
        started = time.time()
        env = {**self.env_without_secrets(), "DATABASE_URL": self.db_url, "WENGANG_TODAY": TODAY,
               "WENGANG_DATA_DIR": str(self.city / "data")}
        subprocess.run([str(self.bin / "python"), str(ROOT / "bench/load/prepare.py"),
                        "--cases", str(self.args.cases), "--publicity", str(self.args.publicity),
                        "--staff", "5", "--out", str(self.city)], env=env, check=True,
                       stdout=self._log("prepare"), stderr=subprocess.STDOUT, cwd=ROOT)
        env = self.env()
        wengang = str(self.bin / "wengang")
        subprocess.run([str(self.bin / "python"), str(ROOT / "bench/load/sessions.py"),
                        "--out", str(self.city), "--enterprises", str(self.args.sessions)],
                       env=env, check=True, stdout=self._log("prepare"), stderr=subprocess.STDOUT,
                       cwd=ROOT)
        # Static files (hashed, compressed: a minute of CPU) are shared by every soak run here.
        static, shared = self.city / "data" / "static", ROOT / "var-soak" / "static"
        shared.mkdir(parents=True, exist_ok=True)
        if not static.is_symlink():
            shutil.rmtree(static, ignore_errors=True)
            static.parent.mkdir(parents=True, exist_ok=True)
            static.symlink_to(shared, target_is_directory=True)
        if not (shared / "staticfiles.json").exists():
            subprocess.run([wengang, "manage", "collectstatic", "--noinput", "--verbosity", "0"],
                           env=env, check=True, cwd=ROOT)
        token = subprocess.run([wengang, "manage", "api_token", "create", "load-agency-001",
                                "--name", "soak test", "--scope", "cases:read", "--days", "1"],
                               env=env, check=True, capture_output=True, text=True, cwd=ROOT)
        self.api_token = token.stdout.split()[-1]
        # Every notice of the city, planned once for SMS: the worker sends them during the run.
        subprocess.run([wengang, "notify", "plan", "--channel", "sms"], env=env, check=True,
                       stdout=self._log("prepare"), stderr=subprocess.STDOUT, cwd=ROOT)
        self.events["prepared_seconds"] = time.time() - started

    def env_without_secrets(self) -> dict[str, str]:
        return {k: v for k, v in os.environ.items() if not k.startswith(("WENGANG_", "DJANGO_"))}

    def _log(self, name: str):
        return (self.run_dir / f"{name}.log").open("a")

    def start(self, name: str, command: list[str]) -> None:
        self.processes[name] = subprocess.Popen(
            command, env=self.env(), cwd=ROOT, stdout=self._log(name), stderr=subprocess.STDOUT,
            start_new_session=True)  # its own process group: stopped as one, never by name

    def start_worker(self) -> None:
        self.start("worker", [str(self.bin / "wengang"), "manage", "task_worker"])

    def start_service(self) -> None:
        # The working tree may have moved on since prepare.py migrated (as after a release).
        subprocess.run([str(self.bin / "wengang"), "manage", "migrate", "--verbosity", "0"],
                       env=self.env(), check=True, cwd=ROOT)
        self.start("sms", [str(self.bin / "python"), str(HERE / "sms_gateway.py"),
                           "--port", str(self.args.sms_port), "--log", str(self.run_dir / "sms.jsonl")])
        self.start("gunicorn", [str(self.bin / "gunicorn"), "wengang.wsgi:application",
                                "--config", str(ROOT / "deploy/gunicorn.conf.py")])
        self.start_worker()
        self.start("payer", [str(self.bin / "python"), str(HERE / "payer.py"),
                             "--every", str(self.args.pay_every), "--cases", "25",
                             "--out", str(self.run_dir / "bank")])
        self.start("scheduler", [str(self.bin / "wengang"), "scheduler", "--actor", "load-agency-001",
                                 "--sync-every", "30", "--sweep-every", "120",
                                 "--stats-every", "120", "--pause", "5"])
        import requests
        for _ in range(120):
            try:
                if requests.get(f"{self.base}/publicity/", timeout=5).status_code == 200:
                    return
            except requests.RequestException:
                pass
            time.sleep(1)
        raise RuntimeError(f"the server did not start: see {self.run_dir / 'gunicorn.log'}")

    @property
    def base(self) -> str:
        return f"http://127.0.0.1:{self.args.port}"

    def stop_all(self) -> None:
        for name, process in self.processes.items():
            if process.poll() is None:
                try:
                    os.killpg(process.pid, signal.SIGTERM)
                except ProcessLookupError:
                    continue
        for name, process in self.processes.items():
            try:
                process.wait(timeout=30)
            except subprocess.TimeoutExpired:
                os.killpg(process.pid, signal.SIGKILL)
                process.wait()
                self.notes.append(f"{name} did not stop on SIGTERM within 30 s: killed")

    # --- sending notices, as an officer presses "send" now and then --------------------------
    def notifier(self) -> None:
        while not self.stop_notifier.wait(ENQUEUE_EVERY):
            done = subprocess.run([str(self.bin / "wengang"), "notify", "send", "--channel", "sms",
                                   "--background"], env=self.env(), cwd=ROOT,
                                  stdout=self._log("notifier"), stderr=subprocess.STDOUT, check=False)
            self.events.setdefault("enqueue_refused", 0)
            if done.returncode:
                self.events["enqueue_refused"] += 1

    # --- faults -------------------------------------------------------------------------------
    def restart_database(self) -> None:
        self.events["db_down"] = time.time()
        self.pg_ctl("-m", "fast", "-w", "stop")
        time.sleep(self.args.down)
        self.pg_ctl("-l", str(self.pg_data.parent / "server.log"), "-w", "-t", "60", "-o",
                    f"-p {self.args.pg_port} -k /tmp -c listen_addresses=127.0.0.1 "
                    "-c max_connections=60", "start")
        self.events["db_up"] = time.time()

    def kill_worker(self) -> None:
        deadline = time.time() + 30
        while time.time() < deadline and not checks.running_tasks(self.db_url):
            time.sleep(0.5)
        self.events["worker_had_task"] = bool(checks.running_tasks(self.db_url))
        worker = self.processes["worker"]
        os.killpg(worker.pid, signal.SIGKILL)
        worker.wait()
        self.events["worker_killed"] = time.time()
        time.sleep(3)
        self.start_worker()
        self.events["worker_restarted"] = time.time()

    def lease_seconds(self) -> float:
        """How long the server's sending runs hold a batch (``outreach.sending.Options.lease``,
        from this environment): notices a killed run had claimed are due again after it."""
        code = ("from wengang.outreach.sending import Options; "
                "print(Options.from_environment().lease().total_seconds())")
        answer = subprocess.run([str(self.bin / "wengang"), "manage", "shell", "-v", "0", "-c", code],
                                env=self.env(), cwd=ROOT, check=True, capture_output=True, text=True)
        return float(answer.stdout.split()[-1])

    def settle_leases(self) -> None:
        """Wait for the leases of the runs the faults cut short, send again: nothing left."""
        self.events["leased_before_settling"] = checks.leased(self.db_url)
        last_fault = max(self.events["db_down"], self.events["worker_killed"])
        time.sleep(max(0.0, last_fault + self.lease_seconds() + 5 - time.time()))
        subprocess.run([str(self.bin / "wengang"), "notify", "send", "--channel", "sms",
                        "--background"], env=self.env(), cwd=ROOT, check=True,
                       stdout=self._log("notifier"), stderr=subprocess.STDOUT)
        checks.wait_for_tasks(self.db_url, timeout=self.args.drain)
        self.events["leases_settled"] = f"{time.time() - last_fault:.0f} s after the last fault"

    # --- the run ------------------------------------------------------------------------------
    def run(self) -> dict:
        for folder in (self.run_dir, self.results):
            folder.mkdir(parents=True, exist_ok=True)
        for stale in [*self.run_dir.glob("*.log"), *self.run_dir.glob("*.jsonl"),
                      *self.run_dir.glob("*.txt")]:
            stale.unlink()  # this run's logs only: the checks read them
        shutil.rmtree(self.run_dir / "bank", ignore_errors=True)
        load_before = Path("/proc/loadavg").read_text().split()[:3]
        cpu_before = os.times()
        try:
            self.start_database()
            self.prepare()
            self.start_service()
            publicity = checks.publicity_cases(self.db_url)
            duration = self.args.duration
            started = time.time()
            self.events["start"] = started
            stop_at = started + duration
            notifier = threading.Thread(target=self.notifier, daemon=True)
            notifier.start()
            users = threading.Thread(target=driver.run, args=(
                self.base, self.city, self.run_dir / "driver.jsonl", stop_at),
                kwargs={"users": self.args.users, "publicity": publicity,
                        "api_token": self.api_token}, daemon=True)
            users.start()
            time.sleep(max(0.0, started + 0.35 * duration - time.time()))
            self.restart_database()
            time.sleep(max(0.0, started + 0.60 * duration - time.time()))
            self.kill_worker()
            users.join()
            self.events["end"] = time.time()
            crashed = [name for name, process in self.processes.items()
                       if process.poll() is not None]
            self.stop_notifier.set()
            notifier.join()
            # Once more after the driver stopped: what is still due is sent, then the queue
            # must drain by itself (the restarted worker re-queued what the killed one held).
            subprocess.run([str(self.bin / "wengang"), "notify", "send", "--channel", "sms",
                            "--background"], env=self.env(), cwd=ROOT, check=True,
                           stdout=self._log("notifier"), stderr=subprocess.STDOUT)
            self.events["drained_seconds"] = checks.wait_for_tasks(self.db_url, timeout=self.args.drain)
            if self.args.settle:
                self.settle_leases()
            # Whatever a payment round left open (the faults, the stop) is finished, once.
            os.killpg(self.processes["payer"].pid, signal.SIGTERM)
            self.processes["payer"].wait(timeout=120)
            subprocess.run([str(self.bin / "python"), str(HERE / "payer.py"), "--settle",
                            "--out", str(self.run_dir / "bank")], env=self.env(), cwd=ROOT,
                           check=True, stdout=self._log("payer"), stderr=subprocess.STDOUT)
            ledger = subprocess.run([str(self.bin / "wengang"), "payments", "budget", "list"],
                                    env=self.env(), cwd=ROOT, capture_output=True, text=True,
                                    check=False)
            (self.run_dir / "budget-list.txt").write_text(ledger.stdout + ledger.stderr)
            audit = subprocess.run([str(self.bin / "wengang"), "audit", "verify"], env=self.env(),
                                   cwd=ROOT, capture_output=True, text=True, check=False)
            result = checks.evaluate(
                db_url=self.db_url, driver_log=self.run_dir / "driver.jsonl",
                sms_log=self.run_dir / "sms.jsonl", worker_log=self.run_dir / "worker.log",
                events=self.events, audit_ok=audit.returncode == 0,
                audit_output=(audit.stdout + audit.stderr).strip().splitlines()[-1:],
                crashed=crashed, recovery_limit=self.args.recovery_limit,
                payer_log=self.run_dir / "payer.log", ledger_ok=ledger.returncode == 0)
        finally:
            self.stop_notifier.set()
            self.stop_all()
            try:
                self.stop_database()
            except subprocess.CalledProcessError as error:
                self.notes.append(f"pg_ctl stop failed: {error}")
        cpu_after = os.times()
        result["machine"] = {
            "cpus": os.cpu_count(), "load_before": " ".join(load_before),
            "load_after": " ".join(Path("/proc/loadavg").read_text().split()[:3]),
            "orchestrator_and_children_cpu_s": round(
                (cpu_after.user + cpu_after.system + cpu_after.children_user
                 + cpu_after.children_system) - (cpu_before.user + cpu_before.system
                                                 + cpu_before.children_user
                                                 + cpu_before.children_system), 1)}
        result["settings"] = {k: (str(v) if isinstance(v, Path) else v)
                              for k, v in vars(self.args).items()}
        result["notes"] = self.notes
        return result


def seconds(text: str) -> float:
    """``600``, ``600s`` or ``10m``."""
    text = text.strip().lower()
    if text.endswith("m"):
        return float(text[:-1]) * 60
    return float(text.removesuffix("s"))


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def _interrupted(signum, _frame) -> None:
    raise KeyboardInterrupt(signal.strsignal(signum))  # through `finally`: everything is stopped


def main() -> None:
    # SIGTERM (and SIGINT, which a shell ignores for background jobs) must still clean up.
    signal.signal(signal.SIGTERM, _interrupted)
    signal.signal(signal.SIGINT, _interrupted)
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--duration", type=seconds, default=600.0,
                        help="how long the users run: 600, 600s or 10m")
    parser.add_argument("--short", action="store_true",
                        help="the CI version: 75 s, 2,000 cases, 6 users")
    parser.add_argument("--cases", type=int, default=20_000)
    parser.add_argument("--publicity", type=int, default=2_000)
    parser.add_argument("--sessions", type=int, default=4_000, help="enterprises able to confirm")
    parser.add_argument("--users", type=int, default=8)
    parser.add_argument("--workers", type=int, default=3, help="gunicorn workers")
    parser.add_argument("--down", type=float, default=8.0, help="seconds the database stays down")
    parser.add_argument("--sms-rate", type=float, default=40.0,
                        help="notices a second (the city's 18,000 SMS must last past 60 %%)")
    parser.add_argument("--pay-every", type=float, default=15.0,
                        help="seconds between payment rounds (25 cases each)")
    parser.add_argument("--drain", type=float, default=600.0,
                        help="seconds the task queue may take to empty after the run")
    parser.add_argument("--recovery-limit", type=float, default=30.0,
                        help="seconds after the database is back by which errors must stop")
    parser.add_argument("--settle", action=argparse.BooleanOptionalAction, default=True,
                        help="after the run, wait out the leases of the sending runs the faults "
                             "cut short (10 minutes), send again and require every notice sent")
    parser.add_argument("--out", type=Path, default=ROOT / "var-soak")
    parser.add_argument("--venv", default=str(ROOT / ".venv"))
    parser.add_argument("--pg-port", type=int, default=55432)
    parser.add_argument("--port", type=int, default=0, help="gunicorn's (0: a free one)")
    parser.add_argument("--sms-port", type=int, default=0, help="the SMS gateway's (0: a free one)")
    args = parser.parse_args()
    if args.short:
        args.duration, args.cases, args.publicity = 75.0, 2_000, 300
        args.sessions, args.users, args.sms_rate, args.down = 600, 6, 15.0, 5.0
        args.settle, args.pay_every = False, 10.0
    args.port = args.port or free_port()
    args.sms_port = args.sms_port or free_port()
    result = Soak(args).run()
    stamp = datetime.now(UTC).strftime("%Y%m%dT%H%M%SZ")
    report = checks.markdown(result)
    print(report)
    results = args.out.resolve() / "results"
    (results / f"{stamp}.md").write_text(report + "\n")
    (results / f"{stamp}.json").write_text(json.dumps(result, indent=1, ensure_ascii=False, default=str))
    print(f"\n→ {results / stamp}.md / .json")
    sys.exit(0 if result["ok"] else 1)


if __name__ == "__main__":
    main()
