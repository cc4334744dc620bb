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
figures go into BENCHMARKS.md by hand. On PostgreSQL the server's CPU is not in the CPU column.
"""

import argparse
import os
import platform
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent


def load() -> str:
    """The 1-minute load average: on a shared machine, wall time is mostly waiting for a CPU."""
    return Path("/proc/loadavg").read_text().split()[0]


@contextmanager
def timed(label: str, results: list):
    began, cpu, load_before = time.perf_counter(), time.process_time(), load()
    yield
    results.append((label, time.perf_counter() - began, time.process_time() - cpu,
                    f"{load_before}→{load()}"))


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


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--payments", type=int, default=100_000)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wengang-bench-payments-"))
    os.environ["WENGANG_DATA_DIR"] = str(work)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.sqlite3'}")
    os.environ["WENGANG_TODAY"] = "2020-05-11"
    os.environ["DJANGO_SETTINGS_MODULE"] = "wengang.settings"
    import django

    django.setup()
    from django.db import connection
    from rich.console import Console
    from rich.table import Table

    from wengang.payments import services
    from wengang.payments.demo import simulated_return

    if connection.vendor == "postgresql":  # a clean slate in the named database
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    results: list = []
    batch, agency = scene(options.payments, results)
    with timed(f"导出 / export {options.payments:,} payments", results):
        export = services.export_batch(batch, actor=agency, out_dir=work / "out")
    answer = simulated_return(export.batch, fail_every=100)
    with timed(f"对账 / reconcile {options.payments:,} (1% failed)", results):
        report = services.apply_return(answer, name="return.xml", actor=agency)
    assert report.paid_count + report.failed_count == options.payments

    table = Table(title=f"bench_payments · {connection.vendor} · {platform.python_version()} · "
                        f"{os.cpu_count()} CPU · {time.strftime('%Y-%m-%d %H:%M:%S UTC', time.gmtime())}")
    for header in ("step", "wall s", "CPU s", "load"):
        table.add_column(header, justify="left" if header == "step" else "right")
    for label, wall, cpu, loads in results:
        table.add_row(label, f"{wall:.2f}", f"{cpu:.2f}", loads)
    console = Console()
    console.print(table)
    console.print(f"pain.001 {export.xml_path.stat().st_size / 1e6:.1f} MB, "
                  f"CSV {export.csv_path.stat().st_size / 1e6:.1f} MB, "
                  f"return {len(answer) / 1e6:.1f} MB; data in {work}")


if __name__ == "__main__":
    main()
