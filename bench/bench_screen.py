"""Benchmark: screen a synthetic city for the two 2020 programs, from CSV and from a snapshot,
and compare with a plain pandas implementation of the same programs.

    .venv/bin/python bench/bench_screen.py --units 1000000

Each step is its own process (wall time, CPU time (user + system) and peak RSS from ``wait4``,
as in bench_synth_import.py): on a shared machine the CPU time is the steadier figure. The city and its snapshot are generated once into bench/out and reused.
The engine's result and the pandas result are compared cell by cell (all columns but the
explanation and risk), so the speed comparison is between two programs giving the same answer.
Targets for 1,000,000 units on 2 cores: ≤ 15 s from CSV, ≤ 6 GB, ≥ 10× faster than pandas.
"""

import argparse
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
from rich.console import Console
from rich.table import Table

sys.path.insert(0, str(Path(__file__).parent))
from bench_synth_import import ROOT, WENGANG, Step, machine, run

BENCHMARKS = ROOT / "BENCHMARKS.md"
START, END = "<!-- bench_screen:start -->", "<!-- bench_screen:end -->"
SCREEN = ["--program", "inclusive-2020", "--program", "difficult-2020", "--as-of", "2020-04-15",
          "--region", "360100"]
COMPARED = ("eligible", "amount", "size", "route", "layoff_rate", "failed")


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--skip-pandas", action="store_true")
    parser.add_argument("--no-record", action="store_true")
    options = parser.parse_args()
    console = Console()
    city = options.out / f"screen-city-{options.units}"
    store = options.out / f"screen-store-{options.units}"
    options.out.mkdir(parents=True, exist_ok=True)
    if not (city / "units.csv").exists():
        console.print(f"generating {options.units:,} units → {city}")
        subprocess.run([str(WENGANG), "synth", "--out", str(city), "--units", str(options.units),
                        "--seed", str(options.seed)], check=True, stdout=subprocess.DEVNULL)
    if not store.exists() or not any(store.iterdir()):
        console.print(f"importing → {store}")
        subprocess.run([str(WENGANG), "import", str(city), "--store", str(store)], check=True,
                       stdout=subprocess.DEVNULL)
    snapshot_id = _snapshot_id(store)

    steps = [
        Step("screen from CSV", [str(WENGANG), "screen", "--feeds", str(city), *SCREEN,
                                 "--out", str(options.out / "result-csv.csv")]),
        Step("screen from snapshot", [str(WENGANG), "screen", "--snapshot", snapshot_id,
                                      "--store", str(store), *SCREEN,
                                      "--out", str(options.out / "result-snapshot.csv")]),
    ]
    if not options.skip_pandas:
        steps.append(Step("pandas reference", [sys.executable, str(ROOT / "bench/pandas_reference.py"),
                                               str(city), "--as-of", "2020-04-15",
                                               "--out", str(options.out / "result-pandas.csv")]))
    for step in steps:
        console.print(f"[bold]{step.name}[/bold]")
        run(step, options.out / f"{re.sub(r'\W+', '-', step.name)}.log")
        if step.exit_code:
            step.note = f"failed (exit {step.exit_code}), see the log in {options.out}"
    if not steps[0].exit_code and not steps[1].exit_code:
        steps[1].note = "same bytes as from CSV" if (options.out / "result-csv.csv").read_bytes() == \
            (options.out / "result-snapshot.csv").read_bytes() else "DIFFERS from CSV result"
    if not options.skip_pandas and not steps[2].exit_code:
        mismatches = _mismatches(options.out / "result-csv.csv", options.out / "result-pandas.csv")
        steps[2].note = f"{mismatches:,} cells differ from the engine"
    table = Table(title=f"screening {options.units:,} units, 2 programs")
    for header in ("step", "wall time", "CPU time", "peak RSS", "load", "note"):
        table.add_column(header)
    for step in steps:
        table.add_row(step.name, f"{step.seconds:.1f} s", f"{step.cpu_seconds:.1f} s",
                      f"{step.peak_bytes / 1024 ** 3:.2f} GB", step.load, step.note)
    console.print(table)
    ratio = steps[2].seconds / steps[0].seconds if len(steps) > 2 and steps[0].seconds else None
    if ratio:
        console.print(f"engine (CSV) is {ratio:.1f}× faster than pandas")
    if not options.no_record:
        record(options, steps, ratio)
    return 0 if all(step.exit_code == 0 for step in steps) else 1


def _snapshot_id(store: Path) -> str:
    from wengang.feeds import list_snapshots

    snapshots = list_snapshots(store)
    if not snapshots:
        raise SystemExit(f"no snapshot in {store}")
    return snapshots[-1].id


def _mismatches(engine: Path, reference: Path) -> int:
    checks = " + ".join(f"(e.{c} IS DISTINCT FROM r.{c})::INT" for c in COMPARED)
    return duckdb.connect().execute(f"""
        SELECT coalesce(sum({checks}), 0) + count(*) FILTER (WHERE e.uscc IS NULL OR r.uscc IS NULL)
        FROM read_csv(?, all_varchar = true) e
        FULL JOIN read_csv(?, all_varchar = true) r USING (uscc, program)""",
        [str(engine), str(reference)]).fetchall()[0][0]


def record(options, steps: list[Step], ratio: float | None) -> None:
    when = subprocess.run(["date"], capture_output=True, text=True, check=False).stdout.strip() \
        or str(datetime.now())
    cells = []
    for step in steps:
        cells.append(f"{step.seconds:.1f} s (CPU {step.cpu_seconds:.1f} s) / "
                     f"{step.peak_bytes / 1024 ** 3:.2f} GB")
    while len(cells) < 3:
        cells.append("—")
    notes = "; ".join(f"{s.name}: {s.note} (load {s.load})" if s.note else f"{s.name}: load {s.load}"
                      for s in steps)
    key = f"| {options.units:,} |"
    row = f"{key} {' | '.join(cells)} | {f'{ratio:.1f}×' if ratio else '—'} | {when} | {notes} |"
    header = (
        "## Screening (`bench/bench_screen.py`)\n\n"
        "`wengang screen` for `inclusive-2020` and `difficult-2020` (risk flags and explanations "
        "included) over a synthetic city, from the CSV feed folder and from its imported "
        "snapshot, and a plain pandas implementation of the same two programs "
        "(`bench/pandas_reference.py`) whose result is compared cell by cell with the engine's. "
        "Each cell: wall time (CPU time, user + system, where recorded) / peak RSS of that "
        "process. Targets at 1,000,000 units: ≤ 15 s "
        "from CSV, ≤ 6 GB, ≥ 10× faster than pandas.\n\n"
        "Command: `.venv/bin/python bench/bench_screen.py --units N`.\n\n"
        f"Machine: {machine()}.\n\n"
        "| units | from CSV | from snapshot | pandas | pandas ÷ CSV | date | notes |\n"
        "|---:|---:|---:|---:|---:|---|---|\n")
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    rows = []
    if START in text and END in text:
        before, rest = text.split(START, 1)
        section, after = rest.split(END, 1)
        rows = [line for line in section.splitlines() if line.startswith("| ")
                and not line.startswith("| units") and not line.startswith(key)]
    else:
        before, after = text.rstrip() + "\n\n", "\n"
    rows.append(row)
    rows.sort(key=lambda line: int(re.sub(r"\D", "", line.split("|")[1]) or 0))
    BENCHMARKS.write_text(before + f"{START}\n{header}" + "\n".join(rows) + f"\n{END}" + after,
                          encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
