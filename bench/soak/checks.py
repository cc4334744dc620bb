"""The soak test's checks: from the database (SQL, read-only) and the logs, never from memory.

- every confirmation the driver saw acknowledged is in the database exactly once: one
  commitment and one ``applied`` event for its case; no case anywhere has two;
- every error answer was a 503 with ``Retry-After`` (no 500, no missing answer), and errors
  stopped by themselves at most ``recovery_limit`` seconds after the database was back (N);
- the task queue drained after the worker was killed and restarted: nothing ready or running
  left, nothing failed; the killed worker's task was queued again;
- no notice told twice: per phone and case link a single idempotency key reached the gateway,
  and every notice the database records as sent did reach it;
- no case paid twice, every paid case paid once, nothing left at the bank, and the ledger
  balances (``wengang payments budget list``); the payer kept paying after the outage;
- the audit chain verifies.
"""

import json
import statistics
import time
from collections import Counter, defaultdict
from pathlib import Path

import psycopg

SUCCESS = range(200, 400)


def _rows(db_url: str, sql: str, params=()) -> list[tuple]:
    with psycopg.connect(db_url, connect_timeout=5) as connection:
        return connection.execute(sql, params).fetchall()


def publicity_cases(db_url: str) -> list[int]:
    return [row[0] for row in _rows(db_url, "SELECT case_id FROM cases_publicityitem ORDER BY case_id")]


def running_tasks(db_url: str) -> int:
    try:
        return _rows(db_url, "SELECT count(*) FROM django_tasks_database_dbtaskresult "
                             "WHERE status = 'RUNNING'")[0][0]
    except psycopg.OperationalError:
        return 0


def leased(db_url: str) -> int:
    """SMS notices pending under a sending run's lease (claimed, not settled)."""
    return _rows(db_url, "SELECT count(*) FROM outreach_notice WHERE channel = 'sms' "
                         "AND status = 'pending' AND lease <> ''")[0][0]


def wait_for_tasks(db_url: str, *, timeout: float) -> float | None:
    """Seconds until no task is ready or running (None: not within ``timeout``)."""
    started = time.time()
    while time.time() - started < timeout:
        left = _rows(db_url, "SELECT count(*) FROM django_tasks_database_dbtaskresult "
                             "WHERE status IN ('READY', 'RUNNING')")[0][0]
        if not left:
            return round(time.time() - started, 1)
        time.sleep(1)
    return None


def _read(path: Path) -> list[dict]:
    if not path.exists():
        return []
    return [json.loads(line) for line in path.read_text().splitlines() if line.strip()]


def evaluate(*, db_url: str, driver_log: Path, sms_log: Path, worker_log: Path, events: dict,
             audit_ok: bool, audit_output: list[str], crashed: list[str],
             recovery_limit: float, payer_log: Path, ledger_ok: bool) -> dict:
    entries = _read(driver_log)
    requests = [e for e in entries if e["kind"] not in ("ack", "confirm-done-before",
                                                          "confirm-not-open")]
    failures: list[str] = []

    # Confirmations: acknowledged → exactly once in the database; none anywhere twice.
    acked = sorted({e["case"] for e in entries if e["kind"] == "ack"})
    commitments = dict(_rows(db_url, "SELECT case_id, count(*) FROM cases_commitment GROUP BY case_id"))
    applied = dict(_rows(db_url, "SELECT case_id, count(*) FROM cases_caseevent "
                                 "WHERE action = 'applied' GROUP BY case_id"))
    lost = [c for c in acked if commitments.get(c, 0) == 0 or applied.get(c, 0) == 0]
    twice = sorted({c for c, n in commitments.items() if n > 1} | {c for c, n in applied.items() if n > 1})
    unacked_applied = len(set(commitments) - set(acked))
    if lost:
        failures.append(f"{len(lost)} acknowledged confirmation(s) not in the database: {lost[:5]}")
    if twice:
        failures.append(f"{len(twice)} case(s) confirmed twice: {twice[:5]}")
    if not acked:
        failures.append("no confirmation acknowledged at all")

    # Errors: 503 + Retry-After only, and only around the outage.
    errors = [e for e in requests if e["status"] not in SUCCESS]
    unclean = [e for e in errors if not (e["status"] == 503 and e.get("retry_after"))]
    by_status = Counter(str(e["status"]) for e in errors)
    down, up = events.get("db_down"), events.get("db_up")
    # A request is before the outage if its answer came before the database went down.
    before = [e for e in errors if down is not None and e["t"] + e["ms"] / 1000 < down]
    recovery = max((e["t"] - up for e in errors), default=0.0) if up else None
    recovery = max(0.0, recovery) if recovery is not None else None
    if unclean:
        sample = Counter((e["kind"], e["status"]) for e in unclean).most_common(5)
        failures.append(f"{len(unclean)} error answer(s) other than 503 + Retry-After: {sample}")
    if before:
        failures.append(f"{len(before)} error(s) before the database went down")
    if recovery is None or recovery > recovery_limit:
        failures.append(f"errors went on {recovery} s after the database was back "
                        f"(limit {recovery_limit} s)")
    after_recovery = [e for e in requests if up and e["t"] > up + (recovery or 0)
                      and e["status"] in SUCCESS]
    if not after_recovery:
        failures.append("no successful request after the database came back")

    # The task queue.
    tasks = dict(_rows(db_url, "SELECT status, count(*) FROM django_tasks_database_dbtaskresult "
                               "GROUP BY status"))
    requeued = worker_log.read_text().count("re-queued") if worker_log.exists() else 0
    if tasks.get("READY") or tasks.get("RUNNING"):
        failures.append(f"tasks left undone: {tasks}")
    if tasks.get("FAILED"):
        failures.append(f"{tasks['FAILED']} task(s) failed")
    refused_posts = [e for e in errors if e["kind"] == "confirm-post"]
    if not events.get("worker_had_task"):
        failures.append("the task worker was idle when killed (all sent before 60 %): "
                        "the kill tested nothing; lower --sms-rate")
    elif not requeued:
        failures.append("the killed worker's task was not queued again")

    # Notices: one idempotency key per phone and case link; the gateway saw every sent one.
    received = _read(sms_log)
    keys_per_notice = defaultdict(set)
    for message in received:
        keys_per_notice[(message["phone"], message["link"], message["template"])].add(message["key"])
    told_twice = [k for k, keys in keys_per_notice.items() if len(keys) > 1]
    distinct_keys = {m["key"] for m in received}
    notices = dict(_rows(db_url, "SELECT status, count(*) FROM outreach_notice "
                                 "WHERE channel = 'sms' GROUP BY status"))
    under_lease = events.get("leased_before_settling", leased(db_url))
    sent_ids = _rows(db_url, "SELECT id FROM outreach_notice WHERE channel = 'sms' "
                             "AND status IN ('sent', 'delivered')")
    unseen = [pk for (pk,) in sent_ids if f"wg-notice-{pk}" not in distinct_keys]
    if told_twice:
        failures.append(f"{len(told_twice)} notice(s) told twice under different keys")
    if unseen:
        failures.append(f"{len(unseen)} notice(s) recorded as sent never reached the gateway")
    if not received:
        failures.append("no notice reached the gateway")
    if events.get("leases_settled") and notices.get("pending"):
        failures.append(f"{notices['pending']} notice(s) still pending after the killed runs' "
                        "leases expired and sending ran again")
    # Payments: each case paid once; nothing left open; the books balance.
    paid_twice = _rows(db_url, "SELECT case_id FROM payments_payment WHERE status = 'paid' "
                               "GROUP BY case_id HAVING count(*) > 1")
    paid_cases = _rows(db_url, "SELECT count(*) FROM cases_case WHERE state = 'paid'")[0][0]
    paid_payments = _rows(db_url, "SELECT count(*), coalesce(sum(amount_fen), 0)::bigint FROM payments_payment "
                                  "WHERE status = 'paid'")[0]
    open_batches = _rows(db_url, "SELECT count(*) FROM payments_paymentbatch "
                                 "WHERE status IN ('draft', 'approved', 'exported')")[0][0]
    rounds = [json.loads(line) for line in payer_log.read_text().splitlines()
              if line.startswith("{")] if payer_log.exists() else []
    paid_after = sum(r.get("paid", 0) + r.get("then_paid", 0) for r in rounds
                     if up and r["t"] > up)
    if paid_twice:
        failures.append(f"{len(paid_twice)} case(s) paid twice")
    if paid_cases != paid_payments[0]:
        failures.append(f"{paid_cases} paid case(s) but {paid_payments[0]} paid payment(s)")
    if open_batches:
        failures.append(f"{open_batches} payment batch(es) left open after settling")
    if not ledger_ok:
        failures.append("the ledger does not balance (wengang payments budget list)")
    if not paid_after:
        failures.append("nothing paid after the database came back")
    if not audit_ok:
        failures.append(f"audit verify failed: {audit_output}")
    if crashed:
        failures.append(f"process(es) stopped by themselves: {crashed}")

    latencies = sorted(e["ms"] for e in requests if e["status"] in SUCCESS)
    span = (events.get("end", 0) - events.get("start", 0)) or 1
    return {
        "ok": not failures, "failures": failures,
        "requests": len(requests), "per_second": round(len(requests) / span, 1),
        "p50_ms": statistics.median(latencies) if latencies else None,
        "p95_ms": latencies[int(0.95 * (len(latencies) - 1))] if latencies else None,
        "by_kind": dict(Counter(e["kind"] for e in requests)),
        "errors": len(errors), "errors_by_status": dict(by_status), "unclean_errors": len(unclean),
        "recovery_seconds": None if recovery is None else round(recovery, 1),
        "db_down_seconds": round(up - down, 1) if up and down else None,
        "confirmations_acknowledged": len(acked), "confirm_posts_refused": len(refused_posts),
        "confirmations_retried": sum(
            1 for c, n in Counter(e["case"] for e in entries if e["kind"] == "confirm-post").items()
            if n > 1),
        "applied_without_ack": unacked_applied, "confirmed_twice": len(twice),
        "lost_confirmations": len(lost),
        "tasks": tasks, "tasks_requeued_log_lines": requeued,
        "worker_had_task_when_killed": events.get("worker_had_task"),
        "drained_seconds": events.get("drained_seconds"),
        "sms_received": len(received), "sms_distinct_keys": len(distinct_keys),
        "sms_resent_same_key": len(received) - len(distinct_keys), "notices_told_twice": len(told_twice),
        "notices": notices, "notices_pending_under_lease": under_lease,
        "payment_rounds": len(rounds),
        "payment_rounds_cut_by_database": sum(1 for r in rounds if "database_error" in r),
        "payment_rounds_refused": [r["refused"] for r in rounds if "refused" in r][:3],
        "paid_cases": paid_cases, "paid_fen": paid_payments[1], "paid_twice": len(paid_twice),
        "open_batches": open_batches, "ledger_ok": ledger_ok,
        "audit_ok": audit_ok, "prepared_seconds": round(events.get("prepared_seconds", 0), 1),
        "enqueue_refused": events.get("enqueue_refused", 0),
        "leases_settled_at": events.get("leases_settled"),
    }


def markdown(result: dict) -> str:
    s = result.get("settings", {})
    m = result.get("machine", {})
    rows = [
        ("result", "**PASS**" if result["ok"] else "**FAIL**: " + "; ".join(result["failures"])),
        ("run", (f"{s.get('duration')} s, {s.get('users')} users, {s.get('workers')} gunicorn workers, "
                f"{s.get('cases'):,} cases (prepared in {result['prepared_seconds']} s)")),
        ("machine", (f"{m.get('cpus')} CPUs, load {m.get('load_before')} → {m.get('load_after')}; "
                    f"CPU of the whole test {m.get('orchestrator_and_children_cpu_s')} s")),
        ("requests", (f"{result['requests']:,} ({result['per_second']}/s), p50 {result['p50_ms']} ms, "
                     f"p95 {result['p95_ms']} ms")),
        ("database down", f"{result['db_down_seconds']} s (pg_ctl stop -m fast … start)"),
        ("error answers", (f"{result['errors']:,} {result['errors_by_status']}; other than 503 + "
                          f"Retry-After: {result['unclean_errors']}")),
        ("recovery N", f"errors stopped {result['recovery_seconds']} s after the database was back"),
        ("confirmations", (f"{result['confirmations_acknowledged']:,} acknowledged, all in the database once "
                          f"(lost {result['lost_confirmations']}, twice {result['confirmed_twice']}); "
                          f"{result['confirm_posts_refused']} signed POSTs refused with 503, "
                          f"{result['confirmations_retried']} cases POSTed again; "
                          f"{result['applied_without_ack']} applied without the driver seeing the answer")),
        ("task worker", (f"SIGKILL while running a task: {result['worker_had_task_when_killed']}; "
                        f"re-queued: {result['tasks_requeued_log_lines']} log line(s); tasks {result['tasks']}; "
                        f"queue drained {result['drained_seconds']} s after the run")),
        ("notices (SMS)", (f"{result['sms_received']:,} messages, {result['sms_distinct_keys']:,} keys, "
                          f"{result['sms_resent_same_key']} resent under the same key, "
                          f"{result['notices_told_twice']} told twice; in the database {result['notices']}, "
                          f"{result['notices_pending_under_lease']} pending under a killed run's lease"
                          + (f"; sent again after the leases expired ({result['leases_settled_at']})"
                             if result.get("leases_settled_at") else ""))),
        ("payments", (f"{result['payment_rounds']} rounds ({result['payment_rounds_cut_by_database']} cut "
                      f"short by the outage), {result['paid_cases']:,} cases paid, "
                      f"{result['paid_fen'] / 100:,.2f} yuan; paid twice {result['paid_twice']}, "
                      f"batches left open {result['open_batches']}; ledger "
                      + ("balances" if result["ledger_ok"] else "DOES NOT BALANCE"))),
        ("audit chain", "verifies" if result["audit_ok"] else "BROKEN"),
    ]
    lines = ["| check | figure |", "|---|---|"]
    lines += [f"| {k} | {v} |" for k, v in rows]
    return "\n".join(lines)
