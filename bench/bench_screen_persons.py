"""Benchmark: person screening of 10,000,000 course completions and 1,000,000 certificates.

    .venv/bin/python bench/bench_screen_persons.py --completions 10000000 --certificates 1000000

Issue 11 target on this machine (2 cores): ≤ 60 s and ≤ 6 GB. The feed folder (a small
synthetic city for the rosters' units, then the training population, as Parquet) is generated
once into bench/out and reused. Each screening is its own process: wall time, CPU time
(user + sys) and peak RSS come from ``wait4`` (bench_synth_import.py), the load average is read
when it starts. Two runs screen the three training programs; their outputs must be the same
bytes.
"""

import argparse
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
PROGRAMS = ["--program", "training-online-2020", "--program", "training-onjob-2020",
            "--program", "training-certificate-2024"]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--completions", type=int, default=10_000_000)
    parser.add_argument("--certificates", type=int, default=1_000_000)
    parser.add_argument("--units", type=int, default=20_000, help="units of the city (rosters)")
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--no-record", action="store_true")
    options = parser.parse_args()
    console = Console()
    folder = options.out / f"persons-{options.completions}-{options.certificates}"
    options.out.mkdir(parents=True, exist_ok=True)
    if not (folder / "course_completions.parquet").exists():
        console.print(f"generating the city and the training population → {folder}")
        subprocess.run([str(WENGANG), "synth", "--out", str(folder), "--units", str(options.units),
                        "--seed", str(options.seed), "--as-of", "2020-12-31",
                        "--format", "parquet"], check=True, stdout=subprocess.DEVNULL)
        generate = Step("generate training feeds", [
            str(WENGANG), "synth-training", "--out", str(folder), "--completions",
            str(options.completions), "--certificates", str(options.certificates),
            "--seed", str(options.seed), "--format", "parquet"])
        run(generate, options.out / "persons-generate.log")
        if generate.exit_code:
            console.print(f"[red]generation failed, see {options.out / 'persons-generate.log'}")
            return 1
        console.print(f"generated in {generate.seconds:.1f} s, "
                      f"peak {generate.peak_bytes / 2**30:.2f} GB")
    rows = {name: _count(folder / f"{name}.parquet")
            for name in ("trainees", "course_completions", "certificates", "training_rosters",
                         "paid_subsidies")}
    steps = []
    for number in (1, 2):
        out = options.out / f"persons-result-{number}.parquet"
        step = Step(f"screen-persons run {number}", [
            str(WENGANG), "screen-persons", "--feeds", str(folder), *PROGRAMS,
            "--as-of", "2020-12-31", "--region", "360100", "--out", str(out)])
        console.print(f"[bold]{step.name}[/bold]")
        run(step, options.out / f"persons-run-{number}.log")
        if step.exit_code:
            step.note = f"failed (exit {step.exit_code}), see the log in {options.out}"
        steps.append(step)
    if not any(step.exit_code for step in steps):
        same = ((options.out / "persons-result-1.parquet").read_bytes()
                == (options.out / "persons-result-2.parquet").read_bytes())
        steps[1].note = "same bytes as run 1" if same else "DIFFERS from run 1"
        result_rows = _count(options.out / "persons-result-1.parquet")
        steps[0].note = f"{result_rows:,} result rows"
    table = Table(title=f"person screening: {rows['course_completions']:,} completions, "
                        f"{rows['certificates']:,} certificates")
    for header in ("step", "wall", "CPU (user+sys)", "peak RSS", "load at start", "note"):
        table.add_column(header)
    for step in steps:
        table.add_row(step.name, f"{step.seconds:.1f} s", f"{step.cpu_seconds:.1f} s",
                      f"{step.peak_bytes / 2**30:.2f} GB", step.load, step.note or "")
    console.print(table)
    if not options.no_record and not any(step.exit_code for step in steps):
        _record(options, rows, steps)
    return 1 if any(step.exit_code for step in steps) else 0


def _count(path: Path) -> int:
    return duckdb.sql(f"SELECT count(*) FROM read_parquet('{path}')").fetchall()[0][0]


START, END = "<!-- bench_screen_persons:start -->", "<!-- bench_screen_persons:end -->"


def _record(options, rows: dict[str, int], steps: list[Step]) -> None:
    """Add this run's rows to the table between the markers in BENCHMARKS.md (made, below the
    person-screening notes, on the first run): each run is one dated row per step, so runs
    made unattended pile up in one table rather than in new sections."""
    when = datetime.now().strftime("%Y-%m-%d %H:%M")
    inputs = (f"{rows['course_completions']:,} completions, {rows['certificates']:,} certificates, "
              f"{rows['trainees']:,} trainees")
    new_rows = [f"| {when} | {s.name} | {s.seconds:.1f} s | {s.cpu_seconds:.1f} s | "
                f"{s.peak_bytes / 2**30:.2f} GB | {s.load} | {inputs}; {s.note or ''} |"
                for s in steps]
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else "# Benchmarks\n"
    if START in text and END in text:
        before, rest = text.split(START, 1)
        section, after = rest.split(END, 1)
        table = section.rstrip("\n") + "\n" + "\n".join(new_rows) + "\n"
    else:
        before, after = text.rstrip() + "\n\n", "\n"
        table = "\n".join([
            "",
            (f"Runs recorded by `bench/bench_screen_persons.py` ({machine()}; command "
             f"`.venv/bin/python bench/bench_screen_persons.py --completions "
             f"{options.completions} --certificates {options.certificates}`; three programs, "
             "result as Parquet; the 2 CPUs may be shared, see the load):"),
            "",
            "| date | step | wall | CPU (user+sys) | peak RSS | load at start | note |",
            "|---|---|---:|---:|---:|---:|---|",
            *new_rows]) + "\n"
    BENCHMARKS.write_text(before + START + table + END + after, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
