"""``wengang cases …``: run each step of the case workflow from the command line.

Each command names the operator (``--actor``, or ``WENGANG_ACTOR``), calls one service and
prints what it did; a refused step prints the reason (Chinese, then English) and exits with 1.
Every event records the channel ``cli`` and one request id per command. "Today" is the clock's
(``WENGANG_TODAY=YYYY-MM-DD`` fixes it, as in the demo).
"""

import os
import sys
import uuid
from datetime import date
from functools import wraps
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

console = Console()
REQUEST_ID = uuid.uuid4().hex[:16]


def setup_django() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wengang.settings")
    import django

    django.setup()


@click.group()
def cases() -> None:
    """Cases and workflow (返还案件). 案件办理。"""
    setup_django()


def _errors(function):
    """Print a refused step plainly and exit 1 (a traceback is for bugs, not for rules)."""
    @wraps(function)
    def wrapper(*args, **kwargs):
        from wengang.core.errors import CoreError

        from .errors import CaseError

        try:
            return function(*args, **kwargs)
        except (CaseError, CoreError) as error:
            code = getattr(error, "code", "")
            console.print(f"[red]{error.zh}[/red]\n{error.en} [dim]({code})[/dim]")
            sys.exit(1)
    return wrapper


actor_option = click.option("--actor", "actor_name", envvar="WENGANG_ACTOR", required=True,
                            help="Username of the operator (or WENGANG_ACTOR).")


def _actor(username: str | None):
    from wengang.accounts.models import User

    from .errors import WrongRole

    if username is None:
        return None
    user = User.objects.filter(username=username, is_active=True).first()
    if user is None:
        raise WrongRole("命令行操作", f"unknown user {username}", ("agency",))
    return user


def _yuan(fen: int) -> str:
    from wengang.core.money import fen_to_yuan

    return fen_to_yuan(fen, grouping=True)


def _via() -> dict:
    from .models import Channel

    return {"channel": Channel.CLI, "request_id": REQUEST_ID}


# --- loading -------------------------------------------------------------------------------

@cases.command("load")
@click.argument("result", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--units-from", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="Snapshot or feed folder the run screened, if it moved.")
@click.option("--force", is_flag=True, help="Reload a loaded result; load an older result.")
@click.option("--actor", "actor_name", envvar="WENGANG_ACTOR", default=None,
              help="Username of the operator (optional: a scheduled load has none).")
@_errors
def load(result, units_from, force, actor_name) -> None:
    """Load a screening result into cases (立案；重新筛查更新). 导入筛查结果。"""
    from .loading import load_screening

    summary = _loading(lambda progress: load_screening(
        result, actor=_actor(actor_name), units_from=units_from, force=force,
        progress=progress, **_via()))
    _print_load(summary, (
        ("结果行数 / rows", summary.rows), ("符合条件 / eligible rows", summary.eligible_rows),
        ("新增单位 / units added", summary.units_created),
        ("更新单位 / units updated", summary.units_updated),
        ("新立案 / cases opened", summary.opened),
        ("重新筛查更新 / cases updated", summary.updated),
        ("不再符合而撤销 / withdrawn", summary.withdrawn),
        ("恢复办理 / reopened", summary.reopened),
        ("已审核案件待复核 / approved cases flagged", summary.flagged),
        ("办理方式改为申请 / routes corrected", summary.route_corrected),
        ("补报已判定 / late claims decided", summary.late_claims_decided),
        ("服务专员任务 / service tasks", summary.service_tasks)))


def _loading(load):
    """Run ``load(progress)`` under a spinner that shows the step it reports."""
    from rich.progress import Progress, SpinnerColumn, TextColumn, TimeElapsedColumn

    with Progress(SpinnerColumn(), TextColumn("{task.description}"), TimeElapsedColumn(),
                  console=console, transient=True) as progress:
        task = progress.add_task("导入 / loading", total=None)
        return load(lambda label: progress.update(task, description=label))


def _print_load(summary, rows) -> None:
    """The summary table of a load, or that the result was loaded before."""
    if summary.already_loaded:
        console.print(f"该结果已导入（筛查批次 #{summary.run_id}），未作任何更改 / "
                      f"already loaded as run #{summary.run_id}: nothing changed")
        return
    table = Table(title=f"筛查批次 #{summary.run_id} 导入结果 / load summary", show_header=False)
    for label, value in rows:
        table.add_row(label, f"{value:,}")
    table.add_row("用时 / seconds", f"{summary.seconds:.1f}")
    console.print(table)


@cases.command("load-persons")
@click.argument("result", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--feeds", "feeds_dir", type=click.Path(exists=True, file_okay=False, path_type=Path),
              help="The feed folder the run screened, if it moved.")
@click.option("--snapshot", "snapshot_id", help="The snapshot the run screened (id or `latest`).")
@click.option("--store", "store_dir", type=click.Path(file_okay=False, path_type=Path),
              help="Snapshot store. Default: $WENGANG_DATA_DIR/snapshots.")
@click.option("--force", is_flag=True, help="Reload a loaded result (it then finds nothing new).")
@click.option("--actor", "actor_name", envvar="WENGANG_ACTOR", default=None,
              help="Username of the operator (optional: a scheduled load has none).")
@_errors
def load_persons(result, feeds_dir, snapshot_id, store_dir, force, actor_name) -> None:
    """Load a person screening result into training cases (培训补贴立案). 导入人员筛查结果。"""
    from wengang.cli import _feed_source

    from .loading_persons import load_person_screening

    source = (_feed_source(feeds_dir, snapshot_id, store_dir)
              if feeds_dir is not None or snapshot_id is not None else None)
    summary = _loading(lambda progress: load_person_screening(
        result, actor=_actor(actor_name), source=source, force=force, progress=progress,
        **_via()))
    _print_load(summary, (
        ("结果行数 / rows", summary.rows), ("符合条件 / eligible rows", summary.eligible_rows),
        ("新增人员 / persons added", summary.persons_created),
        ("更新人员 / persons updated", summary.persons_updated),
        ("新增单位 / units added", summary.units_created),
        ("新立案 / cases opened", summary.opened),
        ("新增明细的案件 / cases with new items", summary.updated),
        ("新增补贴明细 / items added", summary.items_added),
        ("已有的明细 / items already claimed", summary.items_known),
        ("改用新社保卡账户的案件 / cases moved to a new card account", summary.accounts_changed),
        ("已审核案件待复核 / approved cases flagged", summary.flagged)))


# --- notice and deadlines ------------------------------------------------------------------

@cases.command("notify")
@click.option("--region", "region_code", required=True)
@click.option("--program", default=None)
@actor_option
@_errors
def notify(region_code, program, actor_name) -> None:
    """Record the notice of every screened case (before outreach exists). 告知企业。"""
    from .models import Case
    from .workflow import notify_many, require_region

    actor = _actor(actor_name)
    require_region(actor, region_code)
    selected = Case.objects.in_region(region_code)
    if program:
        selected = selected.for_program(program)
    count = notify_many(selected, actor=actor, **_via())
    console.print(f"已告知 {count:,} 件 / {count:,} cases notified")


@cases.command("expire")
@click.option("--region", "region_code", default=None)
@actor_option
@_errors
def expire(region_code, actor_name) -> None:
    """Decline applications whose deadline passed (they may claim late). 逾期处理。"""
    from .workflow import expire_applications

    count = expire_applications(actor=_actor(actor_name), region_code=region_code, **_via())
    console.print(f"逾期未申请 {count:,} 件 / {count:,} applications expired")


@cases.command("reminders")
@click.option("--region", "region_code", default=None)
@click.option("--record", is_flag=True, help="Record them as sent (until outreach sends them).")
@actor_option
@_errors
def reminders(region_code, record, actor_name) -> None:
    """Applications whose reminder is due today, priority first. 申请提醒。"""
    from .workflow import record_reminders, reminders_due, require_region

    actor = _actor(actor_name)
    if region_code:
        require_region(actor, region_code)
    due = reminders_due(region_code=region_code).visible_to(actor).select_related("unit")
    table = Table(title="待提醒的申请 / reminders due")
    for column in ("案件", "单位", "联系电话", "申请截止日"):
        table.add_column(column)
    for case in due:
        table.add_row(str(case.pk), case.beneficiary_name_masked, case.beneficiary.masked_phone,
                      str(case.apply_by))
    console.print(table)
    if record:
        count = len(record_reminders(due.values_list("pk", flat=True), actor=actor, **_via()))
        console.print(f"已记录提醒 {count:,} 件 / {count:,} reminders recorded")


# --- joint review --------------------------------------------------------------------------

@cases.group("review")
def review() -> None:
    """Joint review by departments (部门联审)."""


@review.command("open")
@click.option("--region", "region_code", required=True)
@click.option("--program", required=True)
@click.option("--limit", type=click.IntRange(min=1), default=None,
              help="At most this many cases (priority first).")
@actor_option
@_errors
def review_open(region_code, program, limit, actor_name) -> None:
    """Send the cases ready for review to the departments. 提交联审。"""
    from .review import open_review_batches

    batches = open_review_batches(actor=_actor(actor_name), region_code=region_code,
                                  program=program, limit=limit, **_via())
    table = Table(title="联审批次 / review batches opened")
    for header in ("批次", "绿色通道", "案件数", "联审部门", "截止日"):
        table.add_column(header)
    for batch in batches:
        table.add_row(f"#{batch.pk}", "是" if batch.priority else "", f"{batch.items.count():,}",
                      ", ".join(batch.departments) or "（无需联审，经办审核）", str(batch.due_on))
    console.print(table)


@review.command("list")
@click.option("--region", "region_code", default=None)
@click.option("--all", "show_all", is_flag=True, help="Include settled batches.")
@_errors
def review_list(region_code, show_all) -> None:
    """Review batches and their department tasks. 联审批次。"""
    from wengang.core.clock import clock

    from .models import ReviewBatch, region_q

    batches = ReviewBatch.objects.prefetch_related("tasks")
    if region_code:
        batches = batches.filter(region_q("region_code", region_code))
    if not show_all:
        batches = batches.filter(status=ReviewBatch.Status.OPEN)
    today = clock.today()
    table = Table(title="联审批次 / review batches")
    for header in ("批次", "项目", "绿色通道", "截止日", "状态", "任务（编号 部门 状态）"):
        table.add_column(header)
    for batch in batches:
        tasks = "\n".join(
            f"#{t.pk} {t.get_department_display()} {t.get_status_display()}"
            + (" [red]逾期[/red]" if t.status == t.Status.PENDING and t.due_on < today else "")
            for t in batch.tasks.all())
        table.add_row(f"#{batch.pk}", batch.program, "是" if batch.priority else "",
                      str(batch.due_on), batch.get_status_display(), tasks or "—")
    console.print(table)


@review.command("decide")
@click.argument("task_id", type=int)
@click.option("--agree", is_flag=True, help="Agree to every case of the batch.")
@click.option("--object", "objections", multiple=True, metavar="CASE=REASON",
              help="Object to one case with a reason (repeatable).")
@click.option("--note", default="")
@actor_option
@_errors
def review_decide(task_id, agree, objections, note, actor_name) -> None:
    """Record a department's decision on its task. 部门联审意见。"""
    from .models import ReviewTask
    from .review import record_decision

    if agree == bool(objections):
        raise click.UsageError("请给出 --agree 或至少一个 --object / give --agree or --object")
    parsed = {}
    for item in objections:
        case_id, sep, reason = item.partition("=")
        if not sep or not case_id.strip().isdigit():
            raise click.BadParameter(f"{item!r}: 应为 案件编号=理由 / expected CASE=REASON",
                                     param_hint="--object")
        parsed[int(case_id)] = reason
    task = ReviewTask.objects.select_related("batch").get(pk=task_id)
    task = record_decision(task, actor=_actor(actor_name), objections=parsed, note=note, **_via())
    batch = task.batch
    batch.refresh_from_db()
    console.print(f"任务 #{task.pk}（{task.get_department_display()}）：{task.get_status_display()}"
                  + (f"；批次 #{batch.pk} 已办结" if batch.status == batch.Status.SETTLED else ""))


@review.command("approve")
@click.argument("batch_id", type=int)
@actor_option
@_errors
def review_approve(batch_id, actor_name) -> None:
    """Approve a batch that needs no department (agency review). 经办审核通过。"""
    from .models import ReviewBatch
    from .review import approve_batch

    count = approve_batch(ReviewBatch.objects.get(pk=batch_id), actor=_actor(actor_name), **_via())
    console.print(f"批次 #{batch_id}：通过 {count:,} 件 / {count:,} cases approved")


@cases.command("overdue")
@click.option("--region", "region_code", default=None)
@click.option("--escalate", is_flag=True, help="Mark them escalated today (督办).")
@_errors
def overdue(region_code, escalate) -> None:
    """Review tasks past their due date. 逾期联审任务。"""
    from .review import escalate_overdue, overdue_tasks

    tasks = (escalate_overdue(region_code=region_code) if escalate
             else list(overdue_tasks(region_code=region_code)))
    table = Table(title="逾期联审任务 / overdue review tasks")
    for header in ("任务", "批次", "部门", "截止日", "督办次数"):
        table.add_column(header)
    for task in tasks:
        table.add_row(f"#{task.pk}", f"#{task.batch_id}", str(task.get_department_display()),
                      str(task.due_on), str(task.escalations))
    console.print(table if tasks else "没有逾期任务 / no overdue task")


# --- publicity -----------------------------------------------------------------------------

@cases.group("publicity")
def publicity() -> None:
    """Publicity (公示) and objections."""


@publicity.command("open")
@click.option("--region", "region_code", required=True)
@click.option("--program", default="")
@click.option("--start", "start_on", type=click.DateTime(["%Y-%m-%d"]), default=None,
              help="First day (default today, or the next working day).")
@actor_option
@_errors
def publicity_open(region_code, program, start_on, actor_name) -> None:
    """Publish the approved cases. 发布公示。"""
    from .publicity import open_publicity

    batch = open_publicity(actor=_actor(actor_name), region_code=region_code, program=program,
                           start_on=start_on.date() if start_on else None, **_via())
    console.print(f"公示 #{batch.pk}：{batch.items.count():,} 件，{batch.start_on} 至 {batch.end_on}"
                  f"（{batch.workdays} 个工作日） / publicity #{batch.pk} opened")


@publicity.command("close")
@click.argument("batch_id", type=int)
@actor_option
@_errors
def publicity_close(batch_id, actor_name) -> None:
    """End a publicity period: cases without open objections become payable. 公示期满。"""
    from .models import PublicityBatch
    from .publicity import close_publicity

    count = close_publicity(PublicityBatch.objects.get(pk=batch_id), actor=_actor(actor_name),
                            **_via())
    console.print(f"公示 #{batch_id} 结束：{count:,} 件待拨付 / {count:,} cases payable")


@publicity.command("object")
@click.argument("case_id", type=int)
@click.option("--name", "objector_name", required=True)
@click.option("--contact", "objector_contact", required=True)
@click.option("--reason", required=True)
@actor_option
@_errors
def publicity_object(case_id, objector_name, objector_contact, reason, actor_name) -> None:
    """Record an objection received by phone or letter. 登记公示异议。"""
    from .models import Case, Channel
    from .publicity import file_objection

    objection = file_objection(Case.objects.select_related("unit").get(pk=case_id),
                               objector_name=objector_name, objector_contact=objector_contact,
                               reason=reason, actor=_actor(actor_name), channel=Channel.CLI,
                               request_id=REQUEST_ID)
    console.print(f"异议 #{objection.pk} 已登记，案件 {case_id} 暂缓 / objection recorded, case on hold")


@publicity.command("resolve")
@click.argument("objection_id", type=int)
@click.option("--uphold/--dismiss", required=True)
@click.option("--note", required=True)
@actor_option
@_errors
def publicity_resolve(objection_id, uphold, note, actor_name) -> None:
    """Decide an objection: upheld → rejected; dismissed → released. 处理公示异议。"""
    from .models import Objection
    from .publicity import resolve_objection

    objection = resolve_objection(Objection.objects.select_related("case__unit").get(pk=objection_id),
                                  actor=_actor(actor_name), uphold=uphold, note=note, **_via())
    objection.case.refresh_from_db()
    console.print(f"异议 #{objection.pk}：{objection.get_status_display()}；案件 {objection.case_id}："
                  f"{objection.case.get_state_display()}")


# --- single cases --------------------------------------------------------------------------

def _case(case_id: int):
    from .models import Case

    return Case.objects.select_related("unit", "person").get(pk=case_id)


def _single(name: str, doc: str, *, needs_reason: bool):
    @cases.command(name, help=doc)
    @click.argument("case_id", type=int)
    @click.option("--reason", required=needs_reason, default="")
    @actor_option
    @_errors
    def command(case_id, reason, actor_name) -> None:
        from . import workflow

        case = getattr(workflow, name)(_case(case_id), actor=_actor(actor_name), reason=reason,
                                       **_via())
        console.print(f"案件 {case.pk}：{case.get_state_display()}")
    return command


_single("approve", "Approve a case whose departments all agreed. 审核通过。", needs_reason=False)
_single("reject", "Reject a case, with the reason. 不予通过。", needs_reason=True)
_single("hold", "Hold a case for a risk check. 暂缓（风险核查）。", needs_reason=True)
_single("release", "Release a risk hold. 解除暂缓。", needs_reason=True)
_single("withdraw", "Withdraw a case before payment. 撤销。", needs_reason=True)


@cases.command("account")
@click.argument("case_id", type=int)
@click.option("--account", required=True, help="The new receiving bank account (digits).")
@click.option("--reason", required=True)
@actor_option
@_errors
def account(case_id, account, reason, actor_name) -> None:
    """Change the receiving account of a case not yet approved. 变更收款账户。"""
    from .workflow import change_account

    case = change_account(_case(case_id), actor=_actor(actor_name), account=account,
                          reason=reason, **_via())
    console.print(f"案件 {case.pk}：收款账户 {case.account_masked}")


@cases.command("show")
@click.argument("case_id", type=int)
@_errors
def show(case_id) -> None:
    """A case and its timeline. 案件详情。"""
    from django.utils import timezone

    from .workflow import timeline

    case = _case(case_id)
    header = Table(show_header=False, title=f"案件 {case.pk}")
    for label, value in (
            ("单位" if case.unit_id else "个人", str(case.beneficiary)),
            ("项目", f"{case.program}（{case.refund_year} 年）"),
            ("状态", case.get_state_display()), ("办理方式", case.get_route_display()),
            ("规模", case.get_size_display()), ("绿色通道", "是" if case.priority else "否"),
            ("金额（元）", _yuan(case.amount_fen)),
            ("参保人数", "—" if case.insured is None else str(case.insured)),
            ("收款账户", case.account_masked or "—"), ("申请截止日", str(case.apply_by or "—")),
            ("风险提示", case.risk or "—"), ("筛查说明", case.explanation)):
        header.add_row(label, value)
    console.print(header)
    events = Table(title="办理记录 / timeline")
    for column in ("时间", "事项", "状态", "操作方", "理由"):
        events.add_column(column)
    for event in timeline(case):
        who = event.actor.username if event.actor else event.actor_label or "系统"
        events.add_row(f"{timezone.localtime(event.at):%Y-%m-%d %H:%M}", event.get_action_display(),
                       f"{event.state_before or '—'} → {event.state_after}", who, event.reason)
    console.print(events)


@cases.command("status")
@click.option("--region", "region_code", default=None)
@click.option("--program", default=None)
@_errors
def status(region_code, program) -> None:
    """Cases by state: count and amount. 办理情况。"""
    from django.db.models import Count, Sum

    from .models import Case, State

    selected = Case.objects.all()
    if region_code:
        selected = selected.in_region(region_code)
    if program:
        selected = selected.for_program(program)
    rows = {r["state"]: r for r in selected.values("state").annotate(n=Count("id"),
                                                                        fen=Sum("amount_fen"))}
    table = Table(title="案件状态 / cases by state")
    for column in ("状态", "件数", "金额（元）"):
        table.add_column(column, justify="right" if column != "状态" else "left")
    for state in State:
        if state in rows:
            table.add_row(str(state.label), f"{rows[state]['n']:,}", _yuan(rows[state]["fen"] or 0))
    console.print(table)


# --- late claims and the calendar ----------------------------------------------------------

@cases.command("late-claim")
@click.option("--uscc", required=True)
@click.option("--program", required=True)
@click.option("--claimant", "claimant_name", required=True)
@click.option("--phone", "contact_phone", required=True)
@click.option("--reason", default="")
@click.option("--feeds", type=click.Path(exists=True, file_okay=False, path_type=Path),
              default=None, help="A feed folder with the unit's own rows, screened instead of "
                                 "the latest run's feeds.")
@actor_option
@_errors
def late_claim(uscc, program, claimant_name, contact_phone, reason, feeds, actor_name) -> None:
    """Accept a late claim (补报), screened at once. 受理补报。"""
    from .late_claims import file_late_claim

    claim = file_late_claim(uscc=uscc, program=program, claimant_name=claimant_name,
                            contact_phone=contact_phone, reason=reason, actor=_actor(actor_name),
                            feeds=feeds, **_via())
    console.print(f"补报 #{claim.pk}：{claim.get_status_display()}")
    if claim.case_id:
        console.print(f"案件 {claim.case_id}：申请截止日 {claim.case.apply_by}")
    if claim.explanation:
        console.print(claim.explanation)


@cases.group("calendar")
def calendar() -> None:
    """Holiday schedules beyond the built-in years (节假日安排)."""


@calendar.command("add")
@click.argument("day", type=click.DateTime(["%Y-%m-%d"]))
@click.argument("kind", type=click.Choice(["holiday", "workday"]))
@click.option("--name", default="")
@_errors
def calendar_add(day, kind, name) -> None:
    """Add a day off (holiday) or a make-up working day (workday). 添加节假日安排。"""
    from django.core.exceptions import ValidationError

    from .calendar import work_calendar
    from .models import CalendarDay

    row = CalendarDay(day=day.date(), kind=kind, name=name)
    try:
        row.full_clean()
    except ValidationError as error:
        raise click.BadParameter("; ".join(error.messages)) from None
    row.save()
    known = work_calendar().knows_year(row.day.year)
    console.print(f"{row} 已添加；{row.day.year} 年{'已可用于计算期限' if known else '尚不完整'}")


@calendar.command("deadline")
@click.argument("start", type=click.DateTime(["%Y-%m-%d"]))
@click.argument("workdays", type=click.IntRange(min=1))
@_errors
def calendar_deadline(start, workdays) -> None:
    """Show both counts: n working days after START, and a period of n starting on START."""
    from .calendar import deadline_after, period_end, work_calendar

    cal = work_calendar()
    day: date = start.date()
    console.print(f"{day} 之后第 {workdays} 个工作日 / deadline after: {deadline_after(cal, day, workdays)}\n"
                  f"自 {day} 起 {workdays} 个工作日的期间结束于 / period ends: {period_end(cal, day, workdays)}")
