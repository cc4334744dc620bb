"""Benchmark: generate a synthetic city, then import it; wall time and peak memory of each.

    .venv/bin/python bench/bench_synth_import.py --units 1000000

Each step runs as its own process (``wengang synth``, then ``wengang import``); its peak
resident memory comes from ``os.wait4`` (the kernel's figure for that process and the children
it waited for). The result is printed and written into BENCHMARKS.md (the section between the
``bench_synth_import`` markers; a rerun with the same units and format replaces its row).
Budget for 1,000,000 units: synth ≤ 3 minutes and ≤ 4 GB.
"""

import argparse
import os
import platform
import re
import shutil
import subprocess
import sys
import time
from dataclasses import dataclass
from datetime import datetime
from pathlib import Path

from rich.console import Console
from rich.table import Table

ROOT = Path(__file__).resolve().parent.parent
WENGANG = Path(sys.executable).parent / "wengang"
BENCHMARKS = ROOT / "BENCHMARKS.md"
START, END = "<!-- bench_synth_import:start -->", "<!-- bench_synth_import:end -->"
BUDGET_SECONDS, BUDGET_BYTES = 180.0, 4 * 1024 ** 3


@dataclass
class Step:
    name: str
    command: list[str]
    seconds: float = 0.0
    peak_bytes: int = 0
    exit_code: int = 0
    note: str = ""
    load: str = ""          # 1-minute load average when the step started (a shared machine)
    cpu_seconds: float = 0.0  # user + system time: steadier than wall time on a shared machine


def run(step: Step, log: Path) -> Step:
    """Run one step as a child process; record its wall time, peak RSS and exit code."""
    step.load = Path("/proc/loadavg").read_text().split()[0]
    with open(log, "wb") as output:
        began = time.perf_counter()
        process = subprocess.Popen(step.command, stdout=output, stderr=subprocess.STDOUT,
                                   cwd=ROOT, env={**os.environ, "COLUMNS": "120"})
        _, status, usage = os.wait4(process.pid, 0)
        step.seconds = time.perf_counter() - began
    process.returncode = os.waitstatus_to_exitcode(status)
    step.exit_code = process.returncode
    step.peak_bytes = usage.ru_maxrss * 1024           # Linux reports kilobytes
    step.cpu_seconds = usage.ru_utime + usage.ru_stime
    return step


def importer_available() -> bool:
    probe = subprocess.run([sys.executable, "-c", "from wengang.feeds import import_feed_set"],
                           capture_output=True, cwd=ROOT, check=False)
    return probe.returncode == 0


def machine() -> str:
    cpu = "unknown CPU"
    for line in Path("/proc/cpuinfo").read_text().splitlines():
        if line.startswith("model name"):
            cpu = line.split(":", 1)[1].strip()
            break
    memory = "?"
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal"):
            memory = f"{int(line.split()[1]) / 1024 ** 2:.1f} GiB"
    return (f"{os.cpu_count()} CPUs ({cpu}), {memory} RAM, {platform.system()} "
            f"{platform.release()}, Python {platform.python_version()}")


def folder_size(folder: Path) -> int:
    return sum(path.stat().st_size for path in folder.rglob("*") if path.is_file())


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--units", type=int, default=1_000_000)
    parser.add_argument("--seed", type=int, default=2020)
    parser.add_argument("--format", dest="file_format", choices=("csv", "parquet"), default="csv")
    parser.add_argument("--out", type=Path, default=ROOT / "bench" / "out")
    parser.add_argument("--keep", action="store_true", help="keep the generated files")
    parser.add_argument("--no-record", action="store_true", help="do not update BENCHMARKS.md")
    options = parser.parse_args()

    console = Console()
    work = options.out / f"city-{options.units}-{options.file_format}"
    store = options.out / f"store-{options.units}-{options.file_format}"
    for folder in (work, store):
        shutil.rmtree(folder, ignore_errors=True)
    options.out.mkdir(parents=True, exist_ok=True)

    synth = Step("synth", [str(WENGANG), "synth", "--out", str(work), "--units",
                           str(options.units), "--seed", str(options.seed), "--format",
                           options.file_format])
    console.print(f"[bold]synth[/bold] {options.units:,} units → {work}")
    run(synth, options.out / "synth.log")
    steps = [synth]
    if synth.exit_code == 0:
        synth.note = f"{folder_size(work) / 1024 ** 2:,.0f} MB written, {_rows(work)}"
    if synth.exit_code == 0 and importer_available():
        imported = Step("import", [str(WENGANG), "import", str(work), "--store", str(store)])
        console.print(f"[bold]import[/bold] {work} → {store}")
        run(imported, options.out / "import.log")
        if imported.exit_code == 0:
            imported.note = f"snapshot {folder_size(store) / 1024 ** 2:,.0f} MB"
        else:
            imported.note = f"failed, see {options.out / 'import.log'}"
        steps.append(imported)
    elif synth.exit_code == 0:
        steps.append(Step("import", [], note="not run: wengang.feeds.import_feed_set does not "
                                             "exist yet", exit_code=-1))
    else:
        synth.note = f"failed, see {options.out / 'synth.log'}"

    table = Table(title=f"synth + import, {options.units:,} units ({options.file_format})")
    for header in ("step", "wall time", "peak RSS", "exit", "load", "note"):
        table.add_column(header, justify="right" if header in ("wall time", "peak RSS") else "left")
    for step in steps:
        table.add_row(step.name, f"{step.seconds:.1f} s" if step.command else "—",
                      f"{step.peak_bytes / 1024 ** 3:.2f} GB" if step.command else "—",
                      str(step.exit_code) if step.command else "—", step.load or "—", step.note)
    console.print(table)
    within = synth.seconds <= BUDGET_SECONDS and synth.peak_bytes <= BUDGET_BYTES
    if options.units >= 1_000_000:
        console.print(f"synth budget (≤ {BUDGET_SECONDS:.0f} s, ≤ 4 GB): "
                      + ("[green]met[/green]" if within else "[red]missed[/red]"))
    if not options.no_record:
        record(options, steps)
        console.print(f"recorded in {BENCHMARKS.relative_to(ROOT)}")
    if not options.keep:
        for folder in (work, store):
            shutil.rmtree(folder, ignore_errors=True)
    return 0 if all(step.exit_code in (0, -1) for step in steps) else 1


def _rows(folder: Path) -> str:
    """Data rows of the contributions file (CSV: lines minus the header)."""
    path = folder / "contributions.csv"
    if path.exists():
        with open(path, "rb") as handle:
            lines = sum(block.count(b"\n") for block in iter(lambda: handle.read(1 << 24), b""))
        return f"{lines - 1:,} contribution rows"
    import pyarrow.parquet as pq

    rows = pq.ParquetFile(folder / "contributions.parquet").metadata.num_rows
    return f"{rows:,} contribution rows"


def record(options, steps: list[Step]) -> None:
    """Write this run's row into the benchmark's section of BENCHMARKS.md."""
    when = subprocess.run(["date"], capture_output=True, text=True, check=False).stdout.strip() \
        or str(datetime.now())
    key = f"| {options.units:,} | {options.file_format} |"
    cells = []
    for name in ("synth", "import"):
        step = next((s for s in steps if s.name == name), None)
        if step is None or not step.command:
            cells += ["—", "—"]
        else:
            failed = "" if step.exit_code == 0 else f" (exit {step.exit_code})"
            cells += [f"{step.seconds:.1f} s{failed}", f"{step.peak_bytes / 1024 ** 3:.2f} GB"]
    notes = "; ".join(f"{s.name}: {s.note}" + (f" (load {s.load} at start)" if s.load else "")
                      for s in steps if s.note)
    row = f"{key} {' | '.join(cells)} | {when} | {notes} |"
    header = (
        "## Synthetic city: generate and import (`bench/bench_synth_import.py`)\n\n"
        "Each step is a separate process; wall time and peak resident memory (from `wait4`) "
        "per step, and the 1-minute load average when it started (the machine is shared: a "
        "load above 2 on 2 CPUs means other work competed). Budget: 1,000,000 units (about "
        "17 million contribution rows) generated in ≤ 3 minutes and ≤ 4 GB.\n\n"
        f"Command: `.venv/bin/python bench/bench_synth_import.py --units N [--format F]` "
        f"(runs `wengang synth --out DIR --units N --seed {options.seed} --format F`, then "
        "`wengang import DIR --store STORE`).\n\n"
        f"Machine: {machine()}.\n\n"
        "| units | format | synth time | synth peak RSS | import time | import peak RSS | date "
        "| notes |\n|---:|---|---:|---:|---:|---:|---|---|\n")
    text = BENCHMARKS.read_text(encoding="utf-8") if BENCHMARKS.exists() else (
        "# Benchmarks\n\nFigures measured on the machine named in each section.\n")
    rows = []
    if START in text and END in text:
        before, rest = text.split(START, 1)
        section, after = rest.split(END, 1)
        rows = [line for line in section.splitlines()
                if line.startswith("| ") and not line.startswith("| units")
                and not line.startswith(key)]
    else:
        before, after = text.rstrip() + "\n\n", "\n"
    rows.append(row)
    rows.sort(key=lambda line: int(re.sub(r"\D", "", line.split("|")[1]) or 0))
    section = f"{START}\n{header}" + "\n".join(rows) + f"\n{END}"
    BENCHMARKS.write_text(before + section + after, encoding="utf-8")


if __name__ == "__main__":
    sys.exit(main())
