"""Benchmark: statistics over 1,000,000 cases on PostgreSQL (not a test; run it by hand).

    createdb -h 127.0.0.1 -U postgres wg_stats_bench
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wg_stats_bench \\
        .venv/bin/python bench/bench_stats.py --cases 1000000

Builds the data straight in PostgreSQL with ``generate_series`` (migrating the database first;
the one DATABASE_URL names is emptied: never point it at real data): N/2 units of Nanchang's
ten counties in 90 industry divisions and six sizes, two programs each (N cases), a successful
payment for every paid case spread over six weeks (2 % failed first), a notice per eligible
case, 300 review batches of three tasks, 1,000 receivables. An existing build of the same size
is reused (``--rebuild`` forces one).

Then times: a direct aggregate over the cases (what a page would cost without summary tables);
``stats.refresh`` (the summary tables rebuilt); and each dashboard page through Django's test
client, logged in as a city supervisor and as the national admin: median and max of 10 GETs
"cold" (the cache emptied before each: the first view after a refresh) and 10 "warm". Prints
wall and CPU (user + system of this process; the database server's CPU is not in it) and the
1-minute load average.
"""

import argparse
import os
import statistics
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))

COUNTIES = ("360102", "360103", "360104", "360105", "360111", "360112", "360113", "360121",
            "360123", "360124")
SIZES = ("small", "micro", "medium", "large", "sme", "unknown")


def _cpu() -> float:
    times = os.times()
    return times.user + times.system


def _load() -> float:
    return os.getloadavg()[0]


def build_sql(cases: int) -> list[str]:
    """The SQL that writes the population; pseudo-random but deterministic (i × a prime)."""
    units = cases // 2
    counties = "ARRAY[" + ",".join(f"'{c}'" for c in COUNTIES) + "]"
    sizes = "ARRAY[" + ",".join(f"'{c}'" for c in SIZES) + "]"
    # Case i (1-based): unit (i+1)/2, program by parity; r = a pseudo-random 0..99.
    r = "((i * 7919) % 100)"
    state = (f"CASE WHEN NOT ({r} < 80) THEN 'withdrawn' WHEN {r} < 45 THEN 'paid' "
             f"WHEN {r} < 55 THEN 'payable' WHEN {r} < 65 THEN 'in_review' "
             f"WHEN {r} < 72 THEN 'notified' ELSE 'awaiting_application' END")
    return [
        ("INSERT INTO accounts_user (password, is_superuser, username, first_name, last_name, email,"
         " is_staff, is_active, date_joined, role, region_code, department, uscc) VALUES "
         "('!', true, 'bench-admin', '', '', '', true, true, now(), 'admin', '', '', ''),"
         "('!', false, 'bench-supervisor', '', '', '', false, true, now(), 'supervisor', '360100', '', '')"),
        ("INSERT INTO cases_screeningrun (id, record_sha256, result_sha256, result_path, as_of,"
         " region_code, programs, settings, input_kind, input_path, snapshot_id, input_sha256,"
         " code_version, screened_at, rows, record, summary, uscc) VALUES (1, repeat('1', 64),"
         " repeat('0', 64), '/dev/null', '2020-04-15', '360100', '[]', '{}', 'folder', '/dev/null',"
         " '', '{}', 'bench', '2020-04-15 10:00+08', 0, '{}', '{}', '')"),
        (f"INSERT INTO cases_unit (id, uscc, name, unit_type, region_code, industry_code, size,"
         f" is_labour_dispatch, legal_rep_name, contact_phone, clerk_name, clerk_phone, bank_name,"
         f" restructure_kind, updated_at, account_digest, account_kind, account_masked,"
         f" account_sealed) SELECT i, '91360100' || lpad(i::text, 10, '0'), '测试企业' || i,"
         f" 'enterprise', ({counties})[1 + i % 10], lpad((6 + abs(hashtext(i || 'i')) % 90)::text, 2, '0'),"
         f" ({sizes})[1 + abs(hashtext(i || 's')) % 6], false, '', '138' || lpad(i::text, 8, '0'), '', '', '',"
         f" '', now(), md5(i::text), 'bank', '****' || lpad((i % 10000)::text, 4, '0'), 'x'"
         f" FROM generate_series(1::bigint, {units}) AS i"),
        (f"INSERT INTO cases_case (id, unit_id, program, program_kind, refund_year, state, route,"
         f" size, priority, eligible, amount_fen, insured, failed, risk, explanation, version,"
         f" state_changed_at, approved_on, payable_on, closed_reason, held_from, hold_kind,"
         f" created_at, updated_at, opened_by_run_id, screening_run_id, account_digest,"
         f" account_kind, account_masked, account_sealed)"
         f" SELECT i, (i + 1) / 2, CASE WHEN i % 2 = 0 THEN 'inclusive-2020' ELSE 'difficult-2020' END,"
         f" CASE WHEN i % 2 = 0 THEN 'inclusive' ELSE 'difficult' END, 2020, {state}, 'automatic',"
         f" ({sizes})[1 + abs(hashtext(((i + 1) / 2) || 's')) % 6], false, {r} < 80,"
         f" CASE WHEN {r} < 80 THEN 10000 + (i * 104729) % 5000000 ELSE 0 END, 1 + (i * 13) % 300,"
         f" '', '', '测试', 1, now(),"
         f" CASE WHEN {r} < 55 THEN DATE '2020-04-20' + (i % 20)::int END,"
         f" CASE WHEN {r} < 55 THEN DATE '2020-04-30' + (i % 20)::int END,"
         f" CASE WHEN {r} < 80 THEN '' ELSE 'rescreen_ineligible' END, '', '', now(), now(), 1, 1,"
         f" '', '', '', '' FROM generate_series(1::bigint, {cases}) AS i"),
        ("INSERT INTO payments_payingaccount (id, region_code, holder_name, account_number,"
         " bank_name, active) VALUES (1, '360100', '社保局', '36050100000000001234', '建行', true)"),
        ("INSERT INTO payments_budget (id, region_code, program, year, allocated_fen, available_fen,"
         " reserved_fen, paid_fen, receivable_fen, written_off_fen, created_at, created_by_id)"
         " SELECT 1, '360100', 'inclusive-2020', 2020, 0, 0, 0, 0, 0, 0, now(), min(id) FROM accounts_user"),
        ("INSERT INTO payments_paymentbatch (id, program, status, message_id, execution_date,"
         " created_at, payment_count, gross_fen, total_fen, csv_sha256, xml_sha256, budget_id,"
         " created_by_id, paying_account_id, exported_at) SELECT d, 'inclusive-2020', 'approved',"
         " 'MSG' || d, DATE '2020-05-01' + d, now(), 0, 0, 0, 'a', 'b', 1, (SELECT min(id) FROM"
         " accounts_user), 1, now() FROM generate_series(0, 41) AS d"),
        ("INSERT INTO payments_payment (account_kind, account_sealed, account_digest, account_masked,"
         " sequence, end_to_end_id, case_state_before, gross_fen, offset_fen, amount_fen, status,"
         " payee_name, payee_bank, settled_at, failure_code, failure_reason, case_id, unit_id,"
         " batch_id) SELECT 'bank', 'x', '', '', c.id, 'E' || c.id, 'payable', c.amount_fen, 0,"
         " c.amount_fen, 'paid', '', '', TIMESTAMPTZ '2020-05-01 10:00+08' + (c.id % 42)::int * INTERVAL"
         " '1 day', '', '', c.id, c.unit_id, c.id % 42 FROM cases_case c WHERE c.state = 'paid'"),
        ("INSERT INTO payments_payment (account_kind, account_sealed, account_digest, account_masked,"
         " sequence, end_to_end_id, case_state_before, gross_fen, offset_fen, amount_fen, status,"
         " payee_name, payee_bank, settled_at, failure_code, failure_reason, case_id, unit_id,"
         " batch_id) SELECT 'bank', 'x', '', '', c.id + 10000000, 'F' || c.id, 'payable', c.amount_fen,"
         " 0, c.amount_fen, 'failed', '', '', TIMESTAMPTZ '2020-05-01 10:00+08', 'AC04', '账户已销户',"
         " c.id, c.unit_id, 0 FROM cases_case c WHERE c.state = 'paid' AND c.id % 50 = 0"),
        ("INSERT INTO outreach_notice (topic, channel, recipient, address, language, amount_fen,"
         " reason, status, attempts, next_attempt_at, lease, text, gateway_message_id, error,"
         " created_at, case_id, unit_id) SELECT 'eligible_automatic', CASE WHEN c.id % 3 = 0 THEN"
         " 'inbox' ELSE 'sms' END, 'contact', '', 'zh-hans', c.amount_fen, '',"
         " CASE WHEN c.id % 20 < 14 THEN 'delivered' WHEN c.id % 20 < 17 THEN 'sent'"
         " WHEN c.id % 20 < 19 THEN 'failed' ELSE 'pending' END, 1, now(), '', '', '', '', now(),"
         " c.id, c.unit_id FROM cases_case c WHERE c.eligible"),
        ("INSERT INTO cases_reviewbatch (id, region_code, program, priority, departments, opened_on,"
         " due_on, opened_at, status, opened_by_id) SELECT b, '360100', 'inclusive-2020', false,"
         " '[\"tax\", \"market\", \"finance\"]', DATE '2020-04-20' + b % 30, DATE '2020-04-23' +"
         " b % 30, now(), 'settled', (SELECT min(id) FROM accounts_user) FROM generate_series(1, 300) b"),
        ("INSERT INTO cases_reviewtask (department, due_on, status, decided_at, note, escalations,"
         " batch_id) SELECT d, b.due_on, 'agreed', (b.due_on + (b.id % 5)::int - 1)::timestamp"
         " AT TIME ZONE 'Asia/Shanghai' + INTERVAL '15 hours', '', 0, b.id FROM cases_reviewbatch b,"
         " unnest(ARRAY['tax', 'market', 'finance']) AS d"),
        ("INSERT INTO payments_receivable (source, reason, amount_fen, due_on, raised_at, settled_fen,"
         " earmarked_fen, budget_id, case_id, raised_by_id, unit_id) SELECT 'audit_finding', '审计',"
         " c.amount_fen, DATE '2020-07-01', now(), c.amount_fen / 2, 0, 1, c.id, (SELECT min(id)"
         " FROM accounts_user), c.unit_id FROM cases_case c WHERE c.state = 'paid' ORDER BY c.id"
         " LIMIT 1000"),
        # Payments go into approved batches; the batches are then reconciled (an exported batch
        # takes no new payment: payments migration 0002).
        "UPDATE payments_paymentbatch SET status = 'reconciled'",
        "SELECT setval(pg_get_serial_sequence('cases_unit', 'id'), (SELECT max(id) FROM cases_unit))",
        "SELECT setval(pg_get_serial_sequence('cases_case', 'id'), (SELECT max(id) FROM cases_case))",
    ]


def timed(label: str, function, results: list) -> object:
    load, wall, cpu = _load(), time.perf_counter(), _cpu()
    value = function()
    wall, cpu = time.perf_counter() - wall, _cpu() - cpu
    results.append((label, wall, cpu, load))
    print(f"{label:58s} wall {wall * 1000:9.1f} ms  CPU {cpu * 1000:9.1f} ms  load {load:.2f}",
          flush=True)
    return value


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--rebuild", action="store_true")
    parser.add_argument("--requests", type=int, default=10)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wengang.settings")
    os.environ.setdefault("WENGANG_HTTPS", "0")
    import django

    django.setup()
    from django.conf import settings
    from django.core.cache import cache
    from django.core.management import call_command
    from django.db import DatabaseError, connection
    from django.db.models import Count, Q, Sum
    from django.test import Client

    from wengang.accounts.models import User
    from wengang.cases.models import Case
    from wengang.stats.refresh import refresh

    if connection.vendor != "postgresql":
        sys.exit("bench_stats measures PostgreSQL: set DATABASE_URL=postgres://…")
    settings.ALLOWED_HOSTS = ["testserver", *settings.ALLOWED_HOSTS]
    results: list = []
    try:
        existing = Case.objects.count()
    except DatabaseError:  # no schema yet
        existing = 0
    if args.rebuild or existing != args.cases:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
        call_command("migrate", verbosity=0)
        started, cpu = time.perf_counter(), _cpu()
        with connection.cursor() as cursor:
            for statement in build_sql(args.cases):
                cursor.execute(statement)
            cursor.execute("ANALYZE")
        print(f"built {args.cases:,} cases in {time.perf_counter() - started:.1f} s", flush=True)
    counts = {"cases": Case.objects.count()}
    with connection.cursor() as cursor:
        for table in ("cases_unit", "payments_payment", "outreach_notice"):
            cursor.execute(f"SELECT count(*) FROM {table}")
            counts[table] = cursor.fetchone()[0]
    print(f"database: {counts}", flush=True)

    timed("direct aggregate over cases of 360100 (no summary)", lambda: (
        Case.objects.in_region("360100").aggregate(
            n=Count("id", filter=Q(eligible=True)), paid=Count("id", filter=Q(state="paid")),
            fen=Sum("amount_fen", filter=Q(state="paid")))), results)
    rollup = timed("stats.refresh (all summary tables rebuilt)", refresh, results)
    from wengang.stats.models import ROW_MODELS

    print("summary rows: " + ", ".join(f"{m.__name__} {m.objects.count():,}" for m in ROW_MODELS)
          + f"; refresh recorded {rollup.seconds:.1f} s", flush=True)

    pages = [("stats:overview", {}), ("stats:operations", {}), ("stats:departments", {}),
             ("stats:chart-xlsx", {"chart": "region"})]
    from django.urls import reverse

    for username in ("bench-supervisor", "bench-admin"):
        client = Client()
        client.force_login(User.objects.get(username=username))
        for name, kwargs in pages:
            url = reverse(name, kwargs=kwargs)
            assert client.get(url).status_code == 200, url  # warm-up (and a check)
            # Cold: the first view after a refresh (the page's figures not cached yet);
            # warm: every later view until the next refresh or import.
            for state in ("cold", "warm"):
                walls, cpus, load = [], [], _load()
                for _ in range(args.requests):
                    if state == "cold":
                        cache.clear()
                    wall, cpu = time.perf_counter(), _cpu()
                    response = client.get(url)
                    walls.append(time.perf_counter() - wall)
                    cpus.append(_cpu() - cpu)
                    assert response.status_code == 200
                label = f"GET {url} as {username} ({state})"
                results.append((label, statistics.median(walls), statistics.median(cpus), load))
                print(f"{label:62s} median {statistics.median(walls) * 1000:7.1f} ms  max "
                      f"{max(walls) * 1000:7.1f} ms  CPU {statistics.median(cpus) * 1000:6.1f} ms"
                      f"  load {load:.2f}", flush=True)


if __name__ == "__main__":
    main()
