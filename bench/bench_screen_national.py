"""Benchmark: screen a national-scale population (14,000,000 units) in slices.

    .venv/bin/python bench/bench_screen_national.py --units 14000000

The city is generated once as Parquet into bench/out (about 7 minutes and 3 GB on disk) and
screened from that folder for the two 2020 programs; `wengang screen` slices it by itself
(2,000,000 units a slice). Wall time, CPU time and peak RSS come from ``wait4``; the result is
checked to be sorted and complete (two rows per unit).
"""

import argparse
import json
import re
import subprocess
import sys
from datetime import datetime
from pathlib import Path

import duckdb
from rich.console import Console

sys.path.insert(0, str(Path(__file__).parent))
from bench_screen import SCREEN
from bench_synth_import import ROOT, WENGANG, Step, machine, run

BENCHMARKS = ROOT / "BENCHMARKS.md"
START, END = "<!-- bench_screen_national:start -->", "<!-- bench_screen_national:end -->"


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=14_000_000)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--no-record", action="store_true")
    options = parser.parse_args()
    console = Console()
    city = options.out / f"screen-city-{options.units}"
    result = options.out / f"result-national-{options.units}.parquet"
    options.out.mkdir(parents=True, exist_ok=True)
    steps = []
    if not (city / "units.parquet").exists():
        steps.append(Step("synth (Parquet)", [str(WENGANG), "synth", "--out", str(city), "--units",
                                              str(options.units), "--seed", str(options.seed),
                                              "--format", "parquet"]))
    steps.append(Step("screen in slices", [str(WENGANG), "screen", "--feeds", str(city), *SCREEN,
                                           "--out", str(result)]))
    for step in steps:
        console.print(f"[bold]{step.name}[/bold]")
        run(step, options.out / f"{re.sub(r'\W+', '-', step.name)}-national.log")
        if step.exit_code:
            console.print(f"[red]{step.name} failed (exit {step.exit_code})[/red]")
            return 1
    screened = steps[-1]
    record = json.loads(result.with_name(result.stem + ".run.json").read_text(encoding="utf-8"))
    rows, ordered = duckdb.connect().execute(f"""
        SELECT count(*), bool_and(prev_uscc IS NULL OR uscc > prev_uscc OR (uscc = prev_uscc AND program > prev_program))
        FROM (SELECT uscc, program, lag(uscc) OVER () AS prev_uscc, lag(program) OVER () AS prev_program
              FROM read_parquet('{result}'))""").fetchall()[0]
    screened.note = (f"{record['slices']} slices; {rows:,} result rows"
                     f"{', sorted' if ordered else ', NOT SORTED'}")
    for step in steps:
        console.print(f"{step.name}: {step.seconds:.1f} s wall, {step.cpu_seconds:.1f} s CPU, "
                      f"{step.peak_bytes / 1024 ** 3:.2f} GB peak (load {step.load}) {step.note}")
    if not options.no_record:
        _record(options, steps)
    return 0


def _record(options, steps: list[Step]) -> None:
    """Add this run's rows to the section (earlier runs stay: the figures move with the code)."""
    when = subprocess.run(["date"], capture_output=True, text=True, check=False).stdout.strip() \
        or str(datetime.now())
    rows = [f"| {options.units:,} | {s.name} | {s.seconds:.1f} s | {s.cpu_seconds:.1f} s | "
            f"{s.peak_bytes / 1024 ** 3:.2f} GB | {s.load} | {when} | {s.note} |" for s in steps]
    text = BENCHMARKS.read_text(encoding="utf-8")
    if START in text and END in text:
        before, rest = text.split(START, 1)
        section, after = rest.split(END, 1)
        rows = [line for line in section.splitlines()
                if line.startswith("| ") and not line.startswith("| units")] + rows
    else:
        before, after = text.rstrip() + "\n\n", "\n"
    header = (
        "## Screening at national scale (`bench/bench_screen_national.py`)\n\n"
        "`wengang screen` for `inclusive-2020` and `difficult-2020` over a synthetic population "
        "written as Parquet, screened in slices of 2,000,000 units (`screening/slices.py`). "
        "Wall and CPU time (user + system) and peak RSS of the process, from `wait4`.\n\n"
        f"Command: `.venv/bin/python bench/bench_screen_national.py --units {options.units}`.\n\n"
        f"Machine: {machine()}.\n\n"
        "| units | step | wall | CPU | peak RSS | load | date | notes |\n"
        "|---:|---|---:|---:|---:|---|---|---|\n")
    BENCHMARKS.write_text(before + f"{START}\n{header}" + "\n".join(rows) + f"\n{END}" + after,
                          encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
