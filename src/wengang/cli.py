"""The ``wengang`` command: thin wrappers over the core, one subcommand per operator task.

Each command parses options, shows progress with rich, calls one library function and maps its
errors to a clear message and a non-zero exit code.
"""

import os
import sys
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
    from wengang.demo.synth import CitySpec, write_city

    spec = CitySpec(units=units, seed=seed, region_code=region_code, year=year,
                    as_of=as_of.date() if as_of else None, dirty=dirty)
    summary = write_city(spec, out_dir, file_format=file_format, console=console)
    console.print(summary.as_table())


@main.command("import")
@click.argument("feed_dir", type=click.Path(exists=True, file_okay=False, path_type=Path))
@click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path), default=None,
              help="Snapshot store. Default: $WENGANG_DATA_DIR/snapshots.")
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              default=None, help="Also write every problem to this file (.csv or .xlsx).")
def import_(feed_dir, store_dir, report_path) -> None:
    """Validate a feed set and store it as a snapshot. 校验并导入部门数据。"""
    from wengang.feeds import FeedSetInvalid, FeedError, import_feed_set

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


@main.command(context_settings={"ignore_unknown_options": True, "help_option_names": []})
@click.argument("args", nargs=-1, type=click.UNPROCESSED)
def manage(args) -> None:
    """Run a Django management command (migrate, createsuperuser, runserver …)."""
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wengang.settings")
    from django.core.management import execute_from_command_line

    execute_from_command_line(["wengang manage", *args])


if __name__ == "__main__":
    main()
