"""Benchmark: chain N audit records, then verify the chain (not a test; run it by hand).

    WENGANG_DATA_DIR=var/bench-audit DATABASE_URL=postgres://postgres@127.0.0.1:5432/wg_audit_scratch \\
        .venv/bin/python bench/bench_audit_verify.py --records 1000000

Migrates the database DATABASE_URL names and EMPTIES it (``flush``: never point it at real
data), chains N records shaped like absorbed case events (``audit._chain``, bulk-inserted under
the head lock, as ``audit.absorb`` does), then times ``audit.verify`` over the whole chain —
every MAC recomputed — and prints wall time, records per second and peak memory.
Target (issue 9): 1,000,000 records verified in ≤ 60 s.
"""

import argparse
import os
import resource
import time


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--records", type=int, default=1_000_000)
    parser.add_argument("--batch", type=int, default=10_000)
    args = parser.parse_args()

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wengang.settings")
    import django

    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from wengang.core.clock import clock
    from wengang.oversight import audit

    call_command("migrate", verbosity=0)
    call_command("flush", interactive=False, verbosity=0)
    print(f"database: {connection.vendor}; records: {args.records:,}", flush=True)

    started = time.perf_counter()
    done = 0
    while done < args.records:
        count = min(args.batch, args.records - done)
        entries = [audit.Entry(
            action="case.made_payable", actor="officer", target=f"case:{n}",
            details={"at": "2020-05-09T09:30:00.123+08:00", "state_before": "in_publicity",
                     "state_after": "payable", "reason": "公示 #3 期满无异议", "channel": "cli",
                     "request_id": "4f1c2a9e0b7d4c11", "run_id": 1, "amount_before_fen": None,
                     "amount_after_fen": None, "data": None},
            source="case_event", source_id=n) for n in range(done + 1, done + count + 1)]
        with audit._locked_head() as head:
            audit._insert(audit._chain(head, entries, clock.now()))
            head.save()
        done += count
    print(f"chained {done:,} records in {time.perf_counter() - started:.1f} s", flush=True)

    started = time.perf_counter()
    result = audit.verify()
    seconds = time.perf_counter() - started
    print(f"verify: {result.records:,} records in {seconds:.1f} s "
          f"({result.records / seconds:,.0f}/s), intact={result.ok}, "
          f"peak memory {_peak_mb():.0f} MB", flush=True)
    if not result.ok or result.records != args.records:
        raise SystemExit(f"unexpected result: {result.broken}")


if __name__ == "__main__":
    main()
