"""Summarise one locust run (its ``--csv`` files) as Markdown: per endpoint, throughput and
p50/p95/p99, with the machine's load and the CPU the server, PostgreSQL, Redis and locust used
(in all, and per request: what bounds the rate when they share the machine's CPUs)."""

import argparse
import csv
import os
import platform
from datetime import UTC, datetime
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("prefix", type=Path)
    parser.add_argument("--scenario", required=True)
    parser.add_argument("--users", required=True)
    parser.add_argument("--duration", required=True)
    parser.add_argument("--workers", required=True)
    parser.add_argument("--load-before", required=True)
    parser.add_argument("--load-after", required=True)
    parser.add_argument("--server-cpu", type=float, required=True)
    parser.add_argument("--database-cpu", type=float, required=True,
                        help="seconds of the PostgreSQL backends serving the load database")
    parser.add_argument("--redis-cpu", type=float, required=True)
    parser.add_argument("--locust-cpu", required=True, help="user and system seconds")
    args = parser.parse_args()
    stats = args.prefix.with_name(args.prefix.name + "_stats.csv")
    if not stats.exists():
        raise SystemExit(f"{stats} missing: locust did not finish; see {args.prefix}.log")
    with stats.open() as handle:
        rows = list(csv.DictReader(handle))
    user, system = (float(x) for x in args.locust_cpu.split())
    requests = sum(int(row["Request Count"]) for row in rows if row["Name"] != "Aggregated")
    cpu = {"server": args.server_cpu, "PostgreSQL": args.database_cpu, "Redis": args.redis_cpu,
           "locust": user + system}
    print(f"**{args.scenario}** — {datetime.now(UTC):%Y-%m-%d %H:%M} UTC, {args.users} users, "
          f"{args.duration}, {args.workers} gunicorn workers; {os.cpu_count()} CPUs "
          f"({platform.processor() or platform.machine()}); load average before "
          f"{args.load_before}, after {args.load_after}\n")
    # Locust's start-up (reading its CSV files) is in its figure: a few tenths of a second.
    print("CPU seconds (ms per request): " + ", ".join(
        f"{name} {seconds:.1f} s ({seconds * 1000 / max(requests, 1):.2f} ms)"
        for name, seconds in cpu.items()) + f"; {requests:,} requests\n")
    print("| endpoint | requests | failures | req/s | p50 ms | p95 ms | p99 ms |")
    print("|---|---:|---:|---:|---:|---:|---:|")
    for row in rows:
        name = "**all**" if row["Name"] == "Aggregated" else row["Name"]
        print(f"| {name} | {int(row['Request Count']):,} | {int(row['Failure Count']):,} | "
              f"{float(row['Requests/s']):.1f} | {row['50%']} | {row['95%']} | {row['99%']} |")


if __name__ == "__main__":
    main()
