"""``wengang notify …``: plan notices from case events, send them, read the reach.

Follows ``wengang cases``: each command calls one service, prints what it did, and a refused
step prints the reason (Chinese, then English) and exits with 1.
"""

from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

from wengang.cases.cli import _errors, setup_django

console = Console()
CHANNELS = ("inbox", "outbox", "sms", "wechat", "email")


@click.group()
def notify() -> None:
    """Notices to enterprises (企业告知): plan, send, call lists, reach."""
    setup_django()


@notify.command("plan")
@click.option("--region", "region_code", default=None)
@click.option("--channel", "channels", multiple=True, type=click.Choice(CHANNELS + ("call",)),
              help="Repeat for several. Default: inbox and outbox.")
@_errors
def plan(region_code, channels) -> None:
    """Notify screened cases, record due reminders, derive notices. 生成告知。"""
    from .planning import DEFAULT_CHANNELS
    from .planning import plan as run_plan

    summary = run_plan(channels=channels or DEFAULT_CHANNELS, region_code=region_code)
    console.print(f"告知案件 {summary.notified:,} 件，提醒 {summary.reminded:,} 件，新增告知 "
                  f"{summary.notices:,} 条 / {summary.notified:,} cases notified, "
                  f"{summary.reminded:,} reminded, {summary.notices:,} notices added")


@notify.command("send")
@click.option("--channel", type=click.Choice(CHANNELS), required=True)
@click.option("--limit", type=click.IntRange(min=1), default=None)
@click.option("--background", is_flag=True,
              help="Enqueue for the worker (wengang manage task_worker) and return.")
@_errors
def send(channel, limit, background) -> None:
    """Send the due notices of a channel, with progress. 发送告知。"""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn, TimeElapsedColumn

    from .sending import send_pending
    from .tasks import enqueue_sending

    if background:
        dispatch = enqueue_sending(channel)
        console.print(f"已排队：发送批次 #{dispatch.pk}（任务 {dispatch.task_id}）；"
                      f"`wengang notify dispatches` 查看进度 / queued as dispatch #{dispatch.pk}")
        return
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  TimeElapsedColumn(), console=console, transient=True) as bar:
        task = bar.add_task(f"发送 / sending {channel}", total=None)
        dispatch = send_pending(channel, limit=limit, progress=lambda d: bar.update(
            task, total=d.due, completed=d.done))
    _print_dispatches([dispatch])


def _print_dispatches(dispatches) -> None:
    table = Table(title="发送批次 / dispatches")
    for header in ("#", "渠道 channel", "开始 started", "待发 due", "已发 sent", "失败 failed",
                   "待重试 retry", "静默顺延 deferred", "退订 opted out", "结束 finished"):
        table.add_column(header)
    for d in dispatches:
        table.add_row(str(d.pk), d.channel, f"{d.started_at:%Y-%m-%d %H:%M:%S}", f"{d.due:,}",
                      f"{d.sent:,}", f"{d.failed:,}", f"{d.retried:,}", f"{d.deferred:,}",
                      f"{d.suppressed:,}",
                      f"{d.finished_at:%H:%M:%S}" if d.finished_at else "进行中 running")
    console.print(table)


@notify.command("dispatches")
@click.option("--last", type=click.IntRange(min=1), default=10, show_default=True)
def dispatches(last) -> None:
    """Recent sending runs and their progress. 发送进度。"""
    from .models import Dispatch

    _print_dispatches(Dispatch.objects.all()[:last])


@notify.command("stats")
@click.option("--region", "region_code", default=None)
@click.option("--by", "by", multiple=True, type=click.Choice(["channel", "topic", "region"]),
              help="Group by (repeatable). Default: channel.")
@_errors
def stats(region_code, by) -> None:
    """Reach: notices sent, delivered, failed by channel, event and region. 告知到达情况。"""
    from .models import Channel, Notice, Topic

    by = by or ("channel",)
    notices = Notice.objects.in_region(region_code) if region_code else Notice.objects.all()
    labels = {"channel": dict(Channel.choices), "topic": dict(Topic.choices), "region": {}}
    table = Table(title="告知到达 / reach")
    for name in by:
        table.add_column(name)
    counts = ("notices", "sent", "delivered", "failed", "pending", "suppressed")
    for name in counts:
        table.add_column(name, justify="right")
    for row in notices.reach(*by):
        table.add_row(*(str(labels[n].get(row[n], row[n])) for n in by),
                      *(f"{row[c]:,}" for c in counts))
    console.print(table)


@notify.group("calls")
def calls() -> None:
    """12333 call lists (外呼名单)."""


@calls.command("export")
@click.argument("out", type=click.Path(dir_okay=False, path_type=Path))
@click.option("--region", "region_code", default=None)
@_errors
def calls_export(out, region_code) -> None:
    """Write the pending calls, with the script, to an Excel file. 导出外呼名单。"""
    from .calls import export_call_list

    count = export_call_list(out, region_code=region_code)
    console.print(f"外呼名单 {count:,} 条已写入 {out} / {count:,} calls written to {out}")


@calls.command("import")
@click.argument("results", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@_errors
def calls_import(results) -> None:
    """Read the hotline's results back. 导入外呼结果。"""
    from .calls import import_call_results

    s = import_call_results(results)
    console.print(f"接通 {s.reached:,}，未接通 {s.no_answer:,}，空号 {s.wrong_number:,}，拒绝 "
                  f"{s.opted_out:,} / reached, no answer, wrong number, opted out")


@notify.command("opt-out")
@click.option("--uscc", required=True)
@click.option("--channel", type=click.Choice(("outbox", "sms", "wechat", "email", "call")),
              required=True)
@click.option("--source", default="经办登记", show_default=True)
@_errors
def opt_out(uscc, channel, source) -> None:
    """Record that a unit asked not to be told on a channel. 登记退订。"""
    from wengang.cases.models import Unit
    from wengang.core.clock import clock

    from .errors import OutreachError
    from .models import OptOut

    unit = Unit.objects.filter(uscc=uscc).first()
    if unit is None:
        raise OutreachError(f"没有统一社会信用代码为 {uscc} 的参保单位",
                            f"no unit with USCC {uscc}", code="unknown_unit")
    OptOut.objects.get_or_create(unit=unit, channel=channel,
                                 defaults={"at": clock.now(), "source": source})
    console.print(f"{unit.name} 已退订{channel} / opted out of {channel}")
