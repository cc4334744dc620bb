"""Benchmark: load a screening result of N rows into cases (not a test; run it by hand).

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wg_cases_scratch \\
        .venv/bin/python bench/bench_cases_load.py --rows 100000 --out var/bench-cases

Writes N/2 units under two programs (about 70 % eligible), migrates a fresh database (the one
DATABASE_URL names is emptied: never point it at real data), then times: the first load; the
same load again (recognised, nothing done); a forced reload (every step, nothing to change); a
re-screen in which a tenth of the amounts changed. Prints wall time and peak memory per step.
"""

import argparse
import os
import random
import resource
import sys
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parents[1]
sys.path.insert(0, str(ROOT))  # the test builders' USCC maker


def _peak_mb() -> float:
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss / 1024


def build(out: Path, rows: int, *, seed: int = 2020) -> tuple[Path, Path]:
    """Write the feeds and two results (the second with changed amounts) once per size."""
    import csv
    import hashlib
    import json

    from tests.screening.builder import make_uscc
    from wengang.policy import load_policy

    folder = out / f"rows-{rows}"
    first, second = folder / "result.csv", folder / "rescreen.csv"
    if first.exists() and second.exists():
        return first, second
    feeds = folder / "feeds"
    feeds.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    n_units = rows // 2
    usccs = sorted(make_uscc(i, "3601" + f"{rng.choice((2, 3, 11, 12, 21)):02d}") for i in range(1, n_units + 1))
    with (feeds / "units.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["uscc", "name", "unit_type", "region_code", "industry_code", "registered_on",
                    "ui_insured_since", "is_labour_dispatch", "legal_rep_name", "contact_phone",
                    "bank_name", "bank_account", "si_account"])
        for i, u in enumerate(usccs):
            w.writerow([u, f"南昌测试企业{i}有限公司", "enterprise", u[2:8], rng.choice(["13", "52", "61", "62", "70", "7010"]),
                        "2012-03-01", "2012-04-01", "false", "王五", f"139{i:08d}", "中国银行南昌分行",
                        f"6222{i:012d}" if rng.random() > 0.05 else "", ""])
    with (feeds / "registry.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["uscc", "status", "abnormal", "restructured_on", "restructure_kind"])
        for u in usccs:
            restructured = rng.random() < 0.002
            w.writerow([u, "active", "false", "2019-07-01" if restructured else "",
                        "merger" if restructured else ""])
    (feeds / "contributions.csv").write_text("uscc,month,insured,due,paid\n")
    policy = load_policy()

    def write(path: Path, change: float, created_at: str) -> None:
        rng2 = random.Random(seed)
        with path.open("w", newline="") as handle:
            w = csv.writer(handle)
            w.writerow(["uscc", "program", "eligible", "amount", "size", "route", "layoff_rate",
                        "failed", "explanation", "risk"])
            for u in usccs:
                size = rng2.choice(["small", "micro", "medium", "large", "sme", "unknown"])
                inclusive_ok = rng2.random() < 0.8
                difficult_ok = rng2.random() < 0.6
                fen = rng2.randrange(10_000, 5_000_000)
                if rng2.random() < change:
                    fen += 1234
                for program, ok in (("difficult-2020", difficult_ok), ("inclusive-2020", inclusive_ok)):
                    route = "none" if not ok else ("application" if program.startswith("difficult") or size in ("large", "unknown") else "automatic")
                    amount = f"{fen // 100}.{fen % 100:02d}" if ok else "0.00"
                    explanation = (f"符合条件：2019年实缴失业保险费 {amount} 元 × 返还比例 100% = {amount} 元；2019年足额缴费 12 个月；裁员率 0.00% ≤ 5.5%"
                                   if ok else "不符合条件：2019年足额缴费 9 个月，不足 12 个月")
                    w.writerow([u, program, str(ok).lower(), amount, size, route, "0.0120",
                                "" if ok else "paid_12_months", explanation, ""])
        sha = lambda p: hashlib.sha256(p.read_bytes()).hexdigest()
        record = {"created_at": created_at, "code_version": "bench", "as_of": "2020-04-15",
                  "region_code": "360100", "settings": {},
                  "inputs": {"kind": "folder", "path": str(feeds.resolve()), "snapshot_id": None,
                             "sha256": {p.stem: sha(p) for p in sorted(feeds.glob("*.csv"))}},
                  "programs": {p: {"policy_sha256": policy.program(p).source_sha256}
                               for p in ("inclusive-2020", "difficult-2020")},
                  "output": {"path": path.name, "rows": len(usccs) * 2, "sha256": sha(path)}}
        path.with_name(path.stem + ".run.json").write_text(json.dumps(record))

    write(first, 0.0, "2020-04-15T10:00:00+08:00")
    write(second, 0.1, "2020-04-16T10:00:00+08:00")
    return first, second


def main() -> None:
    parser = argparse.ArgumentParser()
    parser.add_argument("--rows", type=int, default=100_000)
    parser.add_argument("--out", type=Path, default=Path("var/bench-cases"))
    args = parser.parse_args()
    started = time.perf_counter()
    first, second = build(args.out, args.rows)
    print(f"built files in {time.perf_counter() - started:.1f} s", flush=True)

    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wengang.settings")
    import django
    django.setup()
    from django.core.management import call_command
    from django.db import connection

    from wengang.cases.loading import load_screening

    with connection.cursor() as cursor:  # a clean schema each time
        if connection.vendor == "postgresql":
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    if connection.vendor == "sqlite":
        connection.close()
        Path(connection.settings_dict["NAME"]).unlink(missing_ok=True)
    call_command("migrate", verbosity=0)
    print(f"database: {connection.vendor}; result rows: {args.rows:,}", flush=True)
    for label, path, options in (("first load", first, {}), ("same run again", first, {}),
                                 ("forced reload", first, {"force": True}),
                                 ("re-screen, 10% amounts changed", second, {})):
        t = time.perf_counter()
        summary = load_screening(path, **options)
        print(f"{label:32s} {time.perf_counter() - t:7.1f} s  peak RSS {_peak_mb():6.0f} MB  "
              f"opened {summary.opened:,} updated {summary.updated:,} units +{summary.units_created:,}"
              f"  steps {summary.timings}", flush=True)


if __name__ == "__main__":
    main()
