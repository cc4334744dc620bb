"""Benchmark: export a 100,000-payment batch to the bank and reconcile the bank's return.

    .venv/bin/python bench/bench_payments.py --payments 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wg_bench .venv/bin/python bench/bench_payments.py

Runs in a fresh data directory and database (SQLite there by default; a PostgreSQL database
named by ``DATABASE_URL`` is emptied first). Setting the scene — migrating, creating the payable
cases, building and approving the batch — is timed but not the point; the two timed steps are
the ones issue 5 budgets at ≤ 10 s each for 100,000 payments:

- export: both bank files (CSV and pain.001) built, checked, fingerprinted and written, the
  batch and its payments marked exported (``services.export_batch``);
- reconciliation: a pain.002 return with 1% rejections read, checked against the batch and
  applied — payments, cases (through the workflow, one event each) and ledger
  (``services.apply_return``).

Prints a table (wall and this process's CPU per step, the load average before → after); the
figures go into BENCHMARKS.md by hand. On PostgreSQL the server's CPU is not in the CPU column:
its own column has the CPU of this connection's server process (read from ``/proc``).

``--scene DIR`` keeps the prepared scene (a few minutes to build) for the next run: the data
directory (with its field key) is ``DIR``, and the approved batch is saved there (SQLite: a copy
of the database file) or as the template database ``<name>_scene`` (PostgreSQL). A later run
with the same ``DIR`` and ``--payments`` starts from a copy of it and times export and
reconciliation only::

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wg_paybench .venv/bin/python \
        bench/bench_payments.py --payments 100000 --scene var-pay/scene-pg
"""

import argparse
import cProfile
import json
import os
import platform
import sqlite3
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load() -> str:
    """The 1-minute load average: on a shared machine, wall time is mostly waiting for a CPU."""
    return Path("/proc/loadavg").read_text().split()[0]


def server_cpu() -> float | None:
    """The PostgreSQL backend's CPU seconds (user + sys), when the server runs on this machine:
    most of reconciliation's work is there, out of this process's CPU column."""
    from django.db import connection

    if connection.vendor != "postgresql":
        return None
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_backend_pid()")
        pid = cursor.fetchone()[0]
    try:
        fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
    except OSError:
        return None
    return (int(fields[11]) + int(fields[12])) / os.sysconf("SC_CLK_TCK")


@contextmanager
def timed(label: str, results: list, profile: Path | None = None):
    """Time a step; with ``profile``, also write its cProfile statistics there."""
    began, cpu, server, load_before = time.perf_counter(), time.process_time(), server_cpu(), load()
    profiler = cProfile.Profile() if profile else None
    if profiler:
        profiler.enable()
    yield
    if profiler:
        profiler.disable()
        profiler.dump_stats(profile)
    wall, cpu = time.perf_counter() - began, time.process_time() - cpu
    server_after = server_cpu()
    results.append((label, wall, cpu, None if server is None or server_after is None
                    else server_after - server, f"{load_before}→{load()}"))


def scene(count: int, results: list):
    """Migrate, create ``count`` payable cases, a paying account and a budget; build, approve."""
    from datetime import date

    from django.core.management import call_command
    from django.db import transaction

    from wengang.accounts.models import Role, User
    from wengang.cases.models import AccountKind, Case, State, Unit, sealed_account_fields
    from wengang.core.clock import clock
    from wengang.payments import services
    from wengang.payments.models import PayingAccount

    sys.path.insert(0, str(ROOT))
    from tests.payments.world import CITY, COUNTY, PROGRAM, screening_run
    from tests.screening.builder import make_uscc

    with timed("准备 / migrate", results):
        call_command("migrate", verbosity=0)
    agency = User.objects.create_user("officer", password=None, role=Role.AGENCY, region_code=CITY)
    finance = User.objects.create_user("finance", password=None, role=Role.FINANCE,
                                       region_code=CITY, department="finance")
    with timed(f"准备 / {count:,} payable cases", results), transaction.atomic():
        run, now = screening_run(), clock.now()
        units = []
        for number in range(1, count + 1):
            uscc = make_uscc(number, COUNTY)
            units.append(Unit(uscc=uscc, name=f"南昌测试单位{number}有限公司", unit_type="enterprise",
                              region_code=COUNTY, industry_code="13", size="small",
                              bank_name="中国银行", updated_at=now,
                              **sealed_account_fields(f"6222{number:012d}", AccountKind.BANK,
                                                      owner=uscc)))
        Unit.objects.bulk_create(units, batch_size=5000)
        Case.objects.bulk_create([
            Case(unit=unit, program=PROGRAM, program_kind="inclusive", refund_year=2020,
                 state=State.PAYABLE, route="automatic", size="small", eligible=True,
                 amount_fen=50_000 + unit.pk * 7 % 900_000, explanation="符合条件",
                 opened_by_run=run, screening_run=run, approved_on=date(2020, 4, 20),
                 payable_on=date(2020, 5, 9), state_changed_at=now, created_at=now,
                 updated_at=now, **unit.account_fields())
            for unit in Unit.objects.all()], batch_size=5000)
        PayingAccount.objects.create(region_code=CITY, holder_name="南昌市社会保险事业管理局",
                                     account_number="36050100000000001234", bank_name="建设银行")
        services.allocate(region_code=CITY, program=PROGRAM, year=2020, amount_fen=10**13,
                          actor=finance)
    with timed("建批 / build", results):
        batch = services.build_batches(actor=agency, region_code=CITY, program=PROGRAM).batches[0]
    with timed("审批 / approve", results):
        services.approve_batch(batch, actor=finance)
    return batch, agency


# --- a kept scene (--scene) ------------------------------------------------------------------

def _postgres_admin(url: str):
    """The target database's name and an autocommit connection to the server's ``postgres``."""
    import dj_database_url
    import psycopg

    config = dj_database_url.parse(url)
    admin = psycopg.connect(host=config["HOST"] or None, port=config["PORT"] or None,
                            user=config["USER"] or None, password=config["PASSWORD"] or None,
                            dbname="postgres", autocommit=True)
    return config["NAME"], admin


def _copy_postgres(url: str, *, save: bool) -> bool:
    """Save the database as ``<name>_scene`` or restore it from there; False: none to restore."""
    name, admin = _postgres_admin(url)
    scene_name = f"{name}_scene"
    source, target = (name, scene_name) if save else (scene_name, name)
    with admin:
        if not save and not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s",
                                          [scene_name]).fetchone():
            return False
        admin.execute(f'DROP DATABASE IF EXISTS "{target}" WITH (FORCE)')
        # FILE_COPY: checkpointed, not WAL-logged (the default writes the whole scene to the WAL)
        admin.execute(f'CREATE DATABASE "{target}" TEMPLATE "{source}" STRATEGY = FILE_COPY')
    return True


def _create_postgres(url: str) -> None:
    """Create the named database if it is not there yet."""
    name, admin = _postgres_admin(url)
    with admin:
        if not admin.execute("SELECT 1 FROM pg_database WHERE datname = %s", [name]).fetchone():
            admin.execute(f'CREATE DATABASE "{name}"')


def _copy_sqlite(source: Path, target: Path) -> None:
    for stale in (target, *(target.with_name(target.name + end) for end in ("-wal", "-shm"))):
        stale.unlink(missing_ok=True)
    with sqlite3.connect(source) as reading, sqlite3.connect(target) as writing:
        reading.backup(writing)
    reading.close()
    writing.close()


def restore_scene(directory: Path, url: str, count: int) -> int | None:
    """The kept scene's batch id once its database is back in place; None: build it."""
    marker = directory / "scene.json"
    if not marker.exists():
        return None
    saved = json.loads(marker.read_text())
    if saved["payments"] != count or saved["url"] != url:
        return None
    if url.startswith("sqlite:"):
        _copy_sqlite(directory / "scene.sqlite3", Path(url.removeprefix("sqlite:///")))
    elif not _copy_postgres(url, save=False):
        return None
    return saved["batch"]


def save_scene(directory: Path, url: str, count: int, batch_id: int) -> None:
    from django.db import connection

    connection.close()  # a template database must have no other session
    if url.startswith("sqlite:"):
        _copy_sqlite(Path(url.removeprefix("sqlite:///")), directory / "scene.sqlite3")
    else:
        _copy_postgres(url, save=True)
    (directory / "scene.json").write_text(json.dumps(
        {"payments": count, "url": url, "batch": batch_id}))


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=100_000)
    parser.add_argument("--scene", type=Path, help="keep the prepared scene in this directory "
                        "and start from it when it is there (see the module docstring)")
    parser.add_argument("--profile", action="store_true",
                        help="write cProfile statistics of export and reconciliation "
                             "(export.prof, reconcile.prof in the data directory)")
    options = parser.parse_args()
    if options.scene:
        work = options.scene.resolve()
        work.mkdir(parents=True, exist_ok=True)
    else:
        work = Path(tempfile.mkdtemp(prefix="wengang-bench-payments-"))
    os.environ["WENGANG_DATA_DIR"] = str(work)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.sqlite3'}")
    os.environ["WENGANG_TODAY"] = "2020-05-11"
    os.environ["DJANGO_SETTINGS_MODULE"] = "wengang.settings"
    url = os.environ["DATABASE_URL"]
    batch_id = restore_scene(work, url, options.payments) if options.scene else None
    if batch_id is None and url.startswith("postgres"):
        _create_postgres(url)
    import django

    django.setup()
    from django.db import connection
    from rich.console import Console
    from rich.table import Table

    from wengang.accounts.models import User
    from wengang.payments import services
    from wengang.payments.demo import simulated_return
    from wengang.payments.models import PaymentBatch

    results: list = []
    if batch_id is None:
        if connection.vendor == "postgresql":  # a clean slate in the named database
            with connection.cursor() as cursor:
                cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        elif options.scene:
            Path(url.removeprefix("sqlite:///")).unlink(missing_ok=True)
        batch, agency = scene(options.payments, results)
        if options.scene:
            save_scene(work, url, options.payments, batch.pk)
    else:
        from django.core.management import call_command

        call_command("migrate", verbosity=0)  # migrations added since the scene was saved
        batch, agency = PaymentBatch.objects.get(pk=batch_id), User.objects.get(username="officer")
    with timed(f"导出 / export {options.payments:,} payments", results,
               work / "export.prof" if options.profile else None):
        export = services.export_batch(batch, actor=agency, out_dir=work / "out")
    answer = simulated_return(export.batch, fail_every=100)
    with timed(f"对账 / reconcile {options.payments:,} (1% failed)", results,
               work / "reconcile.prof" if options.profile else None):
        report = services.apply_return(answer, name="return.xml", actor=agency)
    assert report.paid_count + report.failed_count == options.payments

    table = Table(title=f"bench_payments · {connection.vendor} · {platform.python_version()} · "
                        f"{os.cpu_count()} CPU · {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    for header in ("step", "wall s", "CPU s", "server CPU s", "load"):
        table.add_column(header, justify="left" if header == "step" else "right")
    for label, wall, cpu, server, loads in results:
        table.add_row(label, f"{wall:.2f}", f"{cpu:.2f}",
                      "" if server is None else f"{server:.2f}", loads)
    console = Console()
    console.print(table)
    console.print(f"pain.001 {export.xml_path.stat().st_size / 1e6:.1f} MB, "
                  f"CSV {export.csv_path.stat().st_size / 1e6:.1f} MB, "
                  f"return {len(answer) / 1e6:.1f} MB; data in {work}")


if __name__ == "__main__":
    main()
