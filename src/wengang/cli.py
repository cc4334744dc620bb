"""The ``wengang`` command: thin wrappers over the core, one subcommand per operator task.

Each command parses options, shows progress with rich, calls one library function and maps its
errors to a clear message and a non-zero exit code.
"""

import os
import sys
from contextlib import contextmanager
from pathlib import Path

import click
from rich.console import Console

console = Console()


@click.group(context_settings={"help_option_names": ["-h", "--help"]})
@click.version_option(package_name="wengang")
def main() -> None:
    """稳岗通 wengang: 失业保险稳岗返还，政策找企业。"""


@main.command()
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder to write the feed set into (created if missing).")
@click.option("--units", type=click.IntRange(min=1), default=20_000, show_default=True)
@click.option("--seed", type=int, default=2020, show_default=True)
@click.option("--region", "region_code", default="360100", show_default=True,
              help="GB/T 2260 code of the city (prefecture level).")
@click.option("--year", type=int, default=2019, show_default=True,
              help="Assessment year Y (the refund year is Y+1).")
@click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="Screening date; contributions run up to its month. Default: 15 April of Y+1.")
@click.option("--format", "file_format", type=click.Choice(["csv", "parquet", "xlsx"]),
              default="csv", show_default=True)
@click.option("--dirty", is_flag=True, help="Inject a known list of faults (written to faults.csv).")
def synth(out_dir, units, seed, region_code, year, as_of, file_format, dirty) -> None:
    """Write a synthetic city's feed set (deterministic for a seed). 生成模拟城市数据。"""
    from wengang.demo import SynthError
    from wengang.demo.synth import CitySpec, write_city

    try:
        spec = CitySpec(units=units, seed=seed, region_code=region_code, year=year,
                        as_of=as_of.date() if as_of else None, dirty=dirty)
        summary = write_city(spec, out_dir, file_format=file_format, console=console)
    except SynthError as error:
        console.print(f"[red]{error}[/red]")
        sys.exit(1)
    console.print(summary.as_table())


@main.command("synth-training")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Feed folder to add the person-level feeds to (rosters name its units).")
@click.option("--completions", type=click.IntRange(min=0), default=200_000, show_default=True)
@click.option("--certificates", type=click.IntRange(min=0), default=20_000, show_default=True)
@click.option("--trainees", type=click.IntRange(min=1), default=None,
              help="Default: one per eight completions.")
@click.option("--seed", type=int, default=2020, show_default=True)
@click.option("--region", "region_code", default="360100", show_default=True)
@click.option("--format", "file_format", type=click.Choice(["csv", "parquet"]), default="csv",
              show_default=True)
def synth_training(out_dir, completions, certificates, trainees, seed, region_code,
                   file_format) -> None:
    """Write a synthetic training population (deterministic for a seed). 生成模拟培训数据。"""
    from rich.table import Table

    from wengang.demo import SynthError
    from wengang.demo.training import TrainingSpec, write_training

    try:
        spec = TrainingSpec(completions=completions, certificates=certificates,
                            trainees=trainees, seed=seed, region_code=region_code)
        summary = write_training(spec, out_dir, file_format=file_format, console=console)
    except SynthError as error:
        console.print(f"[red]{error}[/red]")
        sys.exit(1)
    table = Table(title=f"模拟培训数据 / synthetic training population → {out_dir}")
    table.add_column("数据 feed / 埋设 planted")
    table.add_column("行数 rows", justify="right")
    for name, count in [*summary.rows.items(), *summary.planted.items()]:
        table.add_row(name, f"{count:,}")
    console.print(table)


@main.command("import")
@click.argument("feed_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Snapshot store. Default: $WENGANG_DATA_DIR/snapshots.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write every problem to this file (.csv or .xlsx).")
def import_(feed_dir, store_dir, report_path) -> None:
    """Validate a feed set and store it as a snapshot. 校验并导入部门数据。"""
    from wengang.feeds import FeedError, FeedSetInvalid, import_feed_set

    store_dir = store_dir or Path(os.environ.get("WENGANG_DATA_DIR", "var")) / "snapshots"
    try:
        snapshot = import_feed_set(feed_dir, store_dir, console=console)
    except FeedSetInvalid as invalid:
        invalid.report.print(console)
        if report_path:
            invalid.report.write(report_path)
            console.print(f"问题清单已写入 / report written to {report_path}")
        sys.exit(1)
    except FeedError as error:
        console.print(f"[red]{error}[/red]")
        sys.exit(1)
    console.print(snapshot.summary_table())


@contextmanager
def _screening_progress(title: str):
    """A progress bar for a screening command: yields (the screening's progress callback, the
    call that says the result is being written). Writing is about a fifth of a run."""
    from rich.progress import (
        BarColumn,
        Progress,
        SpinnerColumn,
        TaskProgressColumn,
        TextColumn,
        TimeElapsedColumn,
    )

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), BarColumn(),
                  TaskProgressColumn(), TimeElapsedColumn(), console=console,
                  transient=True) as progress:
        task = progress.add_task(title, total=1.0)
        yield (lambda label, done: progress.update(task, description=label,
                                                   completed=0.8 * done),
               lambda: progress.update(task, description="写出结果 / writing the result",
                                       completed=0.8))
        progress.update(task, completed=1.0)


def _settings(pairs: tuple[str, ...]) -> dict[str, str]:
    settings = {}
    for pair in pairs:
        name, sep, value = pair.partition("=")
        if not sep or not name:
            raise click.BadParameter(f"{pair!r}: 应为 NAME=VALUE / expected NAME=VALUE", param_hint="--set")
        settings[name.strip()] = value.strip()
    return settings


def _feed_source(feeds_dir: Path | None, snapshot_id: str | None, store_dir: Path | None):
    from wengang.screening import folder_source, snapshot_source

    if (feeds_dir is None) == (snapshot_id is None):
        raise click.UsageError("请给出 --feeds 或 --snapshot 之一 / give exactly one of --feeds, --snapshot")
    if feeds_dir is not None:
        return folder_source(feeds_dir)
    from wengang.feeds import list_snapshots, open_snapshot  # pyarrow: only for a snapshot
    store = store_dir or Path(os.environ.get("WENGANG_DATA_DIR", "var")) / "snapshots"
    if snapshot_id == "latest":
        snapshots = list_snapshots(store)
        if not snapshots:
            raise click.UsageError(f"快照库 {store} 为空 / no snapshot in {store}")
        snapshot_id = max(snapshots, key=lambda s: s.imported_at).id
    return snapshot_source(open_snapshot(store, snapshot_id))


_source_options = [
    click.option("--feeds", "feeds_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
                  help="A feed folder (CSV/Parquet) to screen directly."),
    click.option("--snapshot", "snapshot_id",
                 help="An imported snapshot id (see `wengang import`), or `latest`."),
    click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path),
                  help="Snapshot store. Default: $WENGANG_DATA_DIR/snapshots."),
    click.option("--program", "programs", multiple=True, required=True,
                 help="Program id, e.g. inclusive-2020 (repeat for several)."),
    click.option("--as-of", "as_of", type=click.DateTime(["%Y-%m-%d"]), required=True,
                 help="Screening date (YYYY-MM-DD)."),
    click.option("--region", "region_code", required=True, help="GB/T 2260 code of the region screened."),
]


def source_options(function):
    for option in reversed(_source_options):
        function = option(function)
    return function


@main.command()
@source_options
@click.option("--set", "pairs", multiple=True, metavar="NAME=VALUE",
              help="Override a policy parameter, e.g. --set ratio_sme=0.9 (repeatable).")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Result file: .csv or .parquet; the run record is written beside it.")
def screen(feeds_dir, snapshot_id, store_dir, programs, as_of, region_code, pairs, out) -> None:
    """Screen every unit under each program (政策找企业). 比对筛查。"""
    from wengang.core.errors import CoreError
    from wengang.screening import screen as run_screening
    from wengang.screening.summary import screening_summary

    try:
        source = _feed_source(feeds_dir, snapshot_id, store_dir)
        with _screening_progress("比对筛查 / screening") as (screened, writing):
            run = run_screening(source, programs=list(programs), as_of=as_of.date(),
                                region_code=region_code, settings=_settings(pairs),
                                progress=screened)
            writing()
            record = run.write(out)
    except CoreError as error:
        console.print(f"[red]{error}[/red]")
        sys.exit(1)
    console.print(screening_summary(run))
    console.print(f"结果 / result: {out}\n运行记录 / run record: {record}")


@main.command("screen-persons")
@source_options
@click.option("--set", "pairs", multiple=True, metavar="NAME=VALUE",
              help="Override a policy parameter, e.g. --set standard_basis=per_course.")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="Result file: .csv or .parquet; the run record is written beside it.")
def screen_persons(feeds_dir, snapshot_id, store_dir, programs, as_of, region_code, pairs,
                   out) -> None:
    """Screen training records under skills-training programs. 培训补贴比对筛查。"""
    from wengang.core.errors import CoreError
    from wengang.screening.persons import screen_persons as run_screening
    from wengang.screening.persons_summary import person_screening_summary

    try:
        source = _feed_source(feeds_dir, snapshot_id, store_dir)
        with _screening_progress("培训补贴筛查 / screening persons") as (screened, writing):
            run = run_screening(source, programs=list(programs), as_of=as_of.date(),
                                region_code=region_code, settings=_settings(pairs),
                                progress=screened)
            with run:
                writing()
                record = run.write(out)
                summary = person_screening_summary(run)
    except CoreError as error:
        console.print(f"[red]{error}[/red]")
        sys.exit(1)
    console.print(summary)
    console.print(f"结果 / result: {out}\n运行记录 / run record: {record}")


@main.command()
@source_options
@click.option("--set", "pairs", multiple=True, metavar="NAME=VALUE", required=True,
              help="The changed parameter(s) to cost, e.g. --set ratio_sme=0.9.")
@click.option("--base-set", "base_pairs", multiple=True, metavar="NAME=VALUE",
              help="Parameters of the baseline, if not the policy files' values.")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path), required=True,
              help="Folder for comparison.csv/.xlsx, changes.csv, chart.png and report.html.")
def simulate(feeds_dir, snapshot_id, store_dir, programs, as_of, region_code, pairs, base_pairs,
             out_dir) -> None:
    """Cost a parameter change before adopting it (what-if). 政策测算。"""
    from rich.table import Table

    from wengang.core.errors import CoreError
    from wengang.core.money import fen_to_yuan
    from wengang.core.regions import children
    from wengang.screening.simulate import simulate as run_simulation
    from wengang.screening.simulation_report import write_simulation_report

    try:
        source = _feed_source(feeds_dir, snapshot_id, store_dir)
        with console.status("政策测算 / simulating") as status:
            simulation = run_simulation(
                source, programs=list(programs), as_of=as_of.date(), region_code=region_code,
                settings=_settings(pairs), baseline_settings=_settings(base_pairs),
                progress=lambda label, _done: status.update(label))
            names = {r.code: r.name for r in children(region_code)}
            paths = write_simulation_report(simulation, out_dir, region_names=names)
    except CoreError as error:
        console.print(f"[red]{error}[/red]")
        sys.exit(1)
    table = Table(title="测算对比（按项目）/ comparison by program")
    for header in ("项目", "基准单位", "调整后单位", "基准金额（元）", "调整后金额（元）", "变化（元）"):
        table.add_column(header, justify="right" if header != "项目" else "left")
    for dimension, value, base_units, new_units, base_fen, new_fen in simulation.comparison():
        if dimension == "program":
            table.add_row(value, f"{base_units:,}", f"{new_units:,}", fen_to_yuan(base_fen, grouping=True),
                          fen_to_yuan(new_fen, grouping=True), fen_to_yuan(new_fen - base_fen, grouping=True))
    console.print(table)
    gained_units, gained_fen, lost_units, lost_fen = simulation.winners_and_losers()
    console.print(f"增加 {gained_units:,} 家（+{fen_to_yuan(gained_fen, grouping=True)} 元），"
                  f"减少 {lost_units:,} 家（-{fen_to_yuan(lost_fen, grouping=True)} 元）")
    for path in paths.values():
        console.print(f"  {path}")


@main.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args) -> None:
    """Run a Django management command (migrate, createsuperuser, runserver …)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wengang.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["wengang manage", *args])


def _register_django_groups() -> None:
    """Commands that work on the operational database live beside their Django app."""
    from wengang.cases.cli import cases
    from wengang.demo.walkthrough import walkthrough
    from wengang.outreach.cli import notify
    from wengang.oversight.cli import audit, oversight, scheduler
    from wengang.payments.cli import payments
    from wengang.stats.cli import stats
    from wengang.zones.cli import zones

    main.add_command(cases)
    main.add_command(payments)
    main.add_command(stats)
    main.add_command(notify)
    main.add_command(walkthrough)
    main.add_command(audit)
    main.add_command(oversight)
    main.add_command(scheduler)
    main.add_command(zones)


_register_django_groups()

if __name__ == "__main__":
    main()
