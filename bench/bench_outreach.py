"""Benchmark: plan and send 100,000 SMS notices through the fake gateway (a real HTTP server).

    .venv/bin/python bench/bench_outreach.py --notices 100000
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wg_bench_out .venv/bin/python bench/bench_outreach.py

Runs in a fresh data directory and database (SQLite there by default; a PostgreSQL database
named by ``DATABASE_URL`` is emptied first). The fake gateway runs in its own process
(``python -m wengang.outreach.fakes``), as a real one would, so the two share the machine's
cores but not one interpreter. Timed steps:

- plan: the workflow notifies every screened case (one event each) and the notices are derived
  from those events (``planning.plan``);
- send: every notice rendered, posted to the gateway (signed, keep-alive, 8 threads), settled
  (``sending.send_pending``) — issue 6 targets ≥ 500 notices/s.

Prints a table; the figures go into BENCHMARKS.md by hand.
"""

import argparse
import os
import platform
import socket
import subprocess
import sys
import tempfile
import time
from contextlib import contextmanager
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
SECRET = "bench-secret"


@contextmanager
def timed(label: str, results: list):
    began, cpu = time.perf_counter(), time.process_time()
    yield
    results.append((label, time.perf_counter() - began, time.process_time() - cpu))


def scene(count: int, results: list) -> None:
    """Migrate; ``count`` units with a contact phone, each with a screened automatic case."""
    from django.core.management import call_command
    from django.db import transaction

    from wengang.cases.models import AccountKind, Case, State, Unit, sealed_account_fields
    from wengang.core.clock import clock

    sys.path.insert(0, str(ROOT))
    from tests.payments.world import COUNTY, PROGRAM, screening_run
    from tests.screening.builder import make_uscc

    with timed("准备 / migrate", results):
        call_command("migrate", verbosity=0)
    with timed(f"准备 / {count:,} screened cases", results), transaction.atomic():
        run, now = screening_run(), clock.now()
        Unit.objects.bulk_create([
            Unit(uscc=(uscc := make_uscc(number, COUNTY)), name=f"南昌测试单位{number}有限公司",
                 unit_type="enterprise", region_code=COUNTY, industry_code="13", size="small",
                 contact_phone=f"139{number:08d}", updated_at=now,
                 **sealed_account_fields(f"6222{number:012d}", AccountKind.BANK, owner=uscc))
            for number in range(1, count + 1)], batch_size=5000)
        Case.objects.bulk_create([
            Case(unit=unit, program=PROGRAM, program_kind="inclusive", refund_year=2020,
                 state=State.SCREENED, route="automatic", size="small", eligible=True,
                 amount_fen=50_000 + unit.pk * 7 % 900_000, explanation="符合条件",
                 opened_by_run=run, screening_run=run, state_changed_at=now, created_at=now,
                 updated_at=now, **unit.account_fields())
            for unit in Unit.objects.all()], batch_size=5000)


def free_port() -> int:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        return probe.getsockname()[1]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--notices", type=int, default=100_000)
    parser.add_argument("--workers", type=int, default=8)
    options = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="wengang-bench-outreach-"))
    os.environ["WENGANG_DATA_DIR"] = str(work)
    os.environ.setdefault("DATABASE_URL", f"sqlite:///{work / 'bench.sqlite3'}")
    os.environ["WENGANG_TODAY"] = "2020-04-15"
    os.environ["DJANGO_SETTINGS_MODULE"] = "wengang.settings"
    import django

    django.setup()
    from django.db import connection
    from rich.console import Console
    from rich.table import Table

    from wengang.outreach.channels import JsonSmsGateway
    from wengang.outreach.models import Channel, Notice, Status
    from wengang.outreach.planning import plan
    from wengang.outreach.sending import Options, QuietHours, send_pending

    if connection.vendor == "postgresql":  # a clean slate in the named database
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    results: list = []
    scene(options.notices, results)
    with timed(f"计划 / plan {options.notices:,} notices", results):
        summary = plan(channels=[Channel.SMS])
    assert summary.notices == options.notices, summary

    port = free_port()
    fake = subprocess.Popen([sys.executable, "-m", "wengang.outreach.fakes", "--port", str(port),
                             "--secret", SECRET], stdout=subprocess.PIPE, text=True)
    try:
        fake.stdout.readline()  # the server prints its URL once it listens
        gateway = JsonSmsGateway(f"http://127.0.0.1:{port}/sms", key="bench", secret=SECRET)
        settings = Options(quiet=QuietHours.parse(""), rate_per_second=1_000_000,
                           workers=options.workers, batch=1000)
        with timed(f"发送 / send {options.notices:,} SMS", results):
            dispatch = send_pending(Channel.SMS, gateway=gateway, options=settings)
    finally:
        fake.terminate()
        fake.wait()
    sent = Notice.objects.filter(status=Status.SENT).count()
    assert dispatch.sent == sent == options.notices, (dispatch.sent, sent)

    table = Table(title=f"bench_outreach · {connection.vendor} · {platform.python_version()} · "
                        f"{os.cpu_count()} CPU · load {Path('/proc/loadavg').read_text().split()[0]}")
    for header in ("step", "wall s", "CPU s"):
        table.add_column(header, justify="left" if header == "step" else "right")
    for label, wall, cpu in results:
        table.add_row(label, f"{wall:.2f}", f"{cpu:.2f}")
    console = Console()
    console.print(table)
    send_seconds = results[-1][1]
    console.print(f"throughput: {options.notices / send_seconds:,.0f} notices/s "
                  f"({options.workers} threads); data in {work}")


if __name__ == "__main__":
    main()
