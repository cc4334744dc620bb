"""``wengang zones …``: move messages between the internet and the intranet instance.

    wengang zones export            write waiting messages into <spool>/out/ (intranet: collect first)
    wengang zones import            apply <spool>/in/ in order; refused files to in/quarantine/
    wengang zones status            sequences sent and received, submissions awaiting
    wengang zones exchange          import then export, every minute (the internet side's scheduler)

Exit codes: 0 done; 1 refused (misconfigured: zone, key); 3 import stopped at a gap or
quarantined a file (a person should look; the next run continues where this one stopped).
"""

import sys
from pathlib import Path

import click
from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn
from rich.table import Table

from wengang.cases.cli import _errors, console, setup_django


@click.group()
def zones() -> None:
    """Two-zone exchange (外网申请、内网审核): export, import, status. 内外网交换。"""
    setup_django()


def _progress() -> Progress:
    return Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                    TimeElapsedColumn(), console=console, transient=True)


@zones.command("export")
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to write into (default: <WENGANG_ZONE_SPOOL>/out).")
@click.option("--resend-from", type=click.IntRange(min=1),
              help="Write again every message from this sequence on (files lost at the gateway).")
@_errors
def export_command(out_dir, resend_from) -> None:
    """Write the waiting messages as signed files. 导出待发消息。"""
    from .transfer import export

    with _progress() as progress:
        tasks: dict[str, int] = {}

        def step(stage: str, done: int, total: int) -> None:
            label = {"collect": "汇总变更 / collecting", "write": "写入文件 / writing"}[stage]
            if stage not in tasks:
                tasks[stage] = progress.add_task(label, total=total)
            progress.update(tasks[stage], completed=done, total=total)

        summary = export(out_dir=out_dir, resend_from=resend_from, progress=step)
    for name, count in summary.collected.items():
        if count:
            console.print(f"  {name}: {count:,}")
    if summary.written:
        console.print(f"已写入 {len(summary.written):,} 条{summary.direction}消息（序号 "
                      f"{summary.written[0]}–{summary.written[-1]}） / wrote {len(summary.written):,} "
                      f"{summary.direction} messages")
    else:
        console.print(f"没有待发消息 / nothing to send ({summary.direction})")


@zones.command("import")
@click.option("--in", "in_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Folder to read (default: <WENGANG_ZONE_SPOOL>/in).")
@_errors
def import_command(in_dir) -> None:
    """Apply the other zone's messages in order, once. 导入并处理消息。"""
    from .transfer import import_

    with _progress() as progress:
        task = progress.add_task("处理消息 / applying", total=None)
        summary = import_(in_dir=in_dir,
                          progress=lambda done, total: progress.update(task, completed=done,
                                                                       total=total))
    console.print(f"已处理 {len(summary.applied):,} 条 / applied "
                  f"({summary.direction}{': ' + str(summary.applied[0]) + '–' + str(summary.applied[-1]) if summary.applied else ''})")
    for sequence, reason in summary.refused:
        console.print(f"[yellow]序号 {sequence} 未受理 / refused[/yellow]：{reason}")
    for name, reason in summary.quarantined:
        console.print(f"[red]{name} 已隔离 / quarantined[/red]：{reason}")
    if summary.waiting_for:
        first, last = summary.waiting_for
        console.print(f"[red]缺少序号 {first}–{last}，其后的消息暂不处理，请补发 / missing sequences "
                      f"{first}–{last}: later messages wait (export --resend-from {first} on the "
                      "sender)[/red]")
    if summary.quarantined or summary.waiting_for:
        sys.exit(3)


@zones.command("status")
@_errors
def status_command() -> None:
    """Sequences sent and received, submissions awaiting the intranet. 交换状态。"""
    from django.db.models import Count, Max

    from . import zone
    from .models import OutboundMessage, ReceivedMessage, Submission

    table = Table(title=f"WENGANG_ZONE={zone()}")
    for column in ("方向 direction", "已写出 written", "待写出 waiting", "已收到 received",
                   "其中拒收 refused"):
        table.add_column(column)
    for direction in ("inward", "outward"):
        sent = OutboundMessage.objects.filter(direction=direction)
        received = ReceivedMessage.objects.filter(direction=direction)
        table.add_row(direction, str(sent.aggregate(m=Max("sequence"))["m"] or 0),
                      str(sent.filter(exported_at__isnull=True).count()),
                      str(received.aggregate(m=Max("sequence"))["m"] or 0),
                      str(received.filter(outcome="refused").count()))
    console.print(table)
    for row in Submission.objects.values("kind", "status").annotate(n=Count("id")).order_by(
            "kind", "status"):
        console.print(f"  {row['kind']} · {row['status']}: {row['n']:,}")


@zones.command("exchange")
@click.option("--every", type=click.IntRange(min=1), default=60, show_default=True,
              help="Seconds between exchanges.")
@click.option("--once", is_flag=True, help="Exchange once and stop (cron, tests).")
@_errors
def exchange_command(every, once) -> None:
    """Import, then export, periodically (the intranet's `wengang scheduler` does it too). 定时交换。"""
    from datetime import timedelta

    from wengang.oversight.cli import run_schedule
    from wengang.oversight.scheduler import Schedule

    from .scheduler import exchange_job

    run_schedule(Schedule([exchange_job(timedelta(seconds=every))]), pause=min(every, 30),
                 once=once)
