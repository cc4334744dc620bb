"""``wengang audit …`` (the audit chain) and ``wengang oversight …`` (holds, spot checks).

As ``wengang cases``: each command names the operator (``--actor`` or ``WENGANG_ACTOR``),
calls one service, prints what it did; a refused step prints why and exits with 1.
``audit verify`` exits with 2 when the chain is broken, naming the first broken record.
"""

import sys
from pathlib import Path

import click
from rich.table import Table

from wengang.cases.cli import _actor, _errors, _via, _yuan, actor_option, console, setup_django


@click.group()
def audit() -> None:
    """Tamper-evident audit log (审计日志): sync, verify, anchors."""
    setup_django()


@audit.command("sync")
@_errors
def audit_sync() -> None:
    """Chain case events and exports not chained yet (run every few minutes). 归集审计记录。"""
    from .audit import absorb

    console.print(f"已归集 {absorb():,} 条 / records chained")


@audit.command("verify")
@click.option("--anchors", "anchor_file", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="An anchor file written by `wengang audit anchor`, kept off-site.")
@click.option("--events", is_flag=True,
              help="Also compare every case event with its record (slower: reads the events).")
@_errors
def audit_verify(anchor_file, events) -> None:
    """Walk the chain; name the first broken record. 核验审计链。"""
    from .audit import absorb, check_case_events, read_anchors, verify

    anchors = read_anchors(anchor_file) if anchor_file else []
    absorb()
    result = verify(anchors=anchors)
    broken = result.broken or (check_case_events() if events else None)
    if broken is not None:
        console.print(f"[red]审计链在第 {broken.seq} 号记录处断开 / the audit chain breaks at "
                      f"record {broken.seq} ({broken.code})[/red]\n{broken.zh}\n{broken.en}")
        sys.exit(2)
    console.print(f"审计链完整：{result.records:,} 条记录，{len(anchors)} 个锚点相符 / the audit chain "
                  f"is intact: {result.records:,} records, {len(anchors)} anchors match")


@audit.command("anchor")
@click.option("--out", type=click.Path(dir_okay=False, path_type=Path), required=True,
              help="JSON file of the daily anchors (the chain head at the end of each day).")
@_errors
def audit_anchor(out) -> None:
    """Verify, then export the daily anchors for off-site keeping. 导出每日锚点。"""
    from .audit import absorb, verify, write_anchors

    absorb()
    result = verify()
    if not result.ok:
        console.print(f"[red]审计链已断开，不导出锚点 / the chain is broken, no anchors written: "
                      f"{result.broken}[/red]")
        sys.exit(2)
    write_anchors(out, result.anchors)
    console.print(f"{len(result.anchors)} 个每日锚点已写入 {out} / daily anchors written")


@click.group()
def oversight() -> None:
    """Risk holds and spot checks (风险暂缓与抽查)."""
    setup_django()


def _plan(plan_id: int):
    from .errors import PlanInvalid
    from .models import SamplePlan

    plan = SamplePlan.objects.filter(pk=plan_id).first()
    if plan is None:
        raise PlanInvalid(f"没有编号为 {plan_id} 的抽查计划", f"no spot-check plan {plan_id}")
    return plan


@oversight.command("holds")
@click.option("--region", "region_code", required=True)
@actor_option
@_errors
def holds(region_code, actor_name) -> None:
    """Hold flagged cases; release those the unit corrected. 风险暂缓。"""
    from .holds import sweep

    result = sweep(actor=_actor(actor_name), region_code=region_code, **_via())
    console.print(f"暂缓 {len(result.held):,} 件，更正后解除 {len(result.corrected):,} 件，"
                  f"已由其他环节处理 {len(result.ended):,} 件 / held, released after correction, "
                  "ended elsewhere")
    for case_id, why in result.skipped.items():
        console.print(f"[yellow]案件 {case_id} 本次跳过 / skipped: {why}[/yellow]")


@oversight.command("clear")
@click.argument("case_id", type=int)
@click.option("--reason", required=True, help="What the check found (核查结论).")
@actor_option
@_errors
def clear(case_id, reason, actor_name) -> None:
    """Clear a risk hold after checking it. 核查后解除风险暂缓。"""
    from wengang.cases.cli import _case

    from .holds import clear as clear_hold

    hold = clear_hold(_case(case_id), actor=_actor(actor_name), reason=reason, **_via())
    console.print(f"案件 {case_id} 已解除风险暂缓（{hold.flags}）/ risk hold cleared")


@oversight.command("sample")
@click.option("--program", required=True)
@click.option("--year", "refund_year", type=int, required=True, help="Refund year.")
@click.option("--region", "region_code", required=True)
@click.option("--method", type=click.Choice(["simple", "stratified", "risk_weighted"]), required=True)
@click.option("--size", type=click.IntRange(min=1), required=True)
@click.option("--seed", type=click.IntRange(min=0, max=2**63 - 1), default=None,
              help="Default: a random seed, recorded with the plan.")
@click.option("--risk-weight", type=click.IntRange(min=1), default=1, show_default=True)
@click.option("--auditor", "auditor_name", required=True, help="Username of the auditor.")
@actor_option
@_errors
def sample(program, refund_year, region_code, method, size, seed, risk_weight, auditor_name,
           actor_name) -> None:
    """Draw a spot-check sample and assign it to an auditor. 制定抽查计划。"""
    from wengang.accounts.models import User

    from .errors import NotAllowed
    from .sampling import plan_spot_check

    auditor = User.objects.filter(username=auditor_name).first()
    if auditor is None:
        raise NotAllowed(f"没有用户 {auditor_name}", f"no user {auditor_name}")
    plan = plan_spot_check(actor=_actor(actor_name), auditor=auditor, program=program,
                           refund_year=refund_year, region_code=region_code, method=method,
                           size=size, seed=seed, risk_weight=risk_weight)
    console.print(f"抽查 #{plan.pk}：总体 {plan.population:,} 件，抽取 {plan.size:,} 件，种子 {plan.seed}，"
                  f"总体指纹 {plan.population_sha256[:16]}… / sample drawn")


@oversight.command("check-sample")
@click.argument("plan_id", type=int)
@_errors
def check_sample(plan_id) -> None:
    """Draw a plan again from its seed: same sample? 复核样本可重现。"""
    from .sampling import reproduce

    result = reproduce(_plan(plan_id))
    console.print(f"总体相同 / same population: {result.same_population}; "
                  f"样本相同 / same sample: {result.same_sample}")
    if not result.same_sample:
        sys.exit(2)


@oversight.command("finding")
@click.argument("item_id", type=int)
@click.option("--improper", "improper_yuan", default=None, help="Improper amount in yuan.")
@click.option("--note", required=True)
@actor_option
@_errors
def finding(item_id, improper_yuan, note, actor_name) -> None:
    """Record a finding on a sampled case (the assigned auditor). 记录抽查发现。"""
    from wengang.core.money import parse_yuan

    from .findings import record_finding

    improper_fen = parse_yuan(improper_yuan) if improper_yuan else 0
    result = record_finding(_actor(actor_name), item_id, note=note, improper_fen=improper_fen,
                            outcome="improper" if improper_fen else "confirmed")
    console.print(f"发现 #{result.pk}：{result.get_outcome_display()} {_yuan(result.improper_fen)} 元")


@oversight.command("estimate")
@click.argument("plan_id", type=int)
@_errors
def estimate(plan_id) -> None:
    """Improper-payment rate with a 95% interval (simple random samples). 不当支付率估计。"""
    from .findings import improper_rate

    result = improper_rate(_plan(plan_id))
    table = Table(title=f"抽查 #{plan_id} 不当支付率 / improper-payment rate")
    for header in ("已核查", "不当", "比率", "95% 区间", "金额比率"):
        table.add_column(header, justify="right")
    table.add_row(f"{result.checked:,}", f"{result.improper:,}", f"{result.rate:.2%}",
                  f"{result.low:.2%} – {result.high:.2%}", f"{result.amount_rate:.2%}")
    console.print(table)


@oversight.command("report")
@click.argument("plan_id", type=int)
@_errors
def report(plan_id) -> None:
    """Findings by outcome and recovery status. 抽查发现与追回情况。"""
    from .findings import report as findings_report

    result = findings_report(_plan(plan_id))
    table = Table(title=f"抽查 #{plan_id} 发现与追回 / findings and recovery")
    for header in ("样本", "未核查", "核实无误", "不当支付", "不当金额（元）", "应追回笔数",
                   "应追回（元）", "已追回（元）", "未追回（元）"):
        table.add_column(header, justify="right")
    table.add_row(f"{result.sampled:,}", f"{result.unchecked:,}", f"{result.confirmed:,}",
                  f"{result.improper:,}", _yuan(result.improper_fen), f"{result.receivables:,}",
                  _yuan(result.claimed_fen), _yuan(result.recovered_fen),
                  _yuan(result.outstanding_fen))
    console.print(table)


@oversight.command("recover")
@click.argument("finding_id", type=int)
@click.option("--due-on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@actor_option
@_errors
def recover(finding_id, due_on, actor_name) -> None:
    """Raise the receivable of an improper finding (agency). 发现转应追回款。"""
    from .errors import FindingInvalid
    from .findings import raise_receivable_for
    from .models import Finding

    found = Finding.objects.select_related("item__case__unit").filter(pk=finding_id).first()
    if found is None:
        raise FindingInvalid(f"没有编号为 {finding_id} 的抽查发现", f"no finding {finding_id}")
    receivable = raise_receivable_for(found, actor=_actor(actor_name), due_on=due_on.date())
    console.print(f"应追回款 #{receivable.pk}：{_yuan(receivable.amount_fen)} 元 / receivable raised")


@oversight.command("person")
@click.argument("finding_id", type=int)
@click.option("--resident-id", required=True, help="The person's 18-character ID number.")
@click.option("--name", required=True)
@click.option("--employed/--not-employed", required=True,
              help="Whether the person really works at the unit.")
@click.option("--note", default="", help="What was found (required with --not-employed).")
@actor_option
@_errors
def person(finding_id, resident_id, name, employed, note, actor_name) -> None:
    """Record a person checked at the sampled unit (the auditor). 记录核查人员。"""
    from .persons import record_person

    checked = record_person(_actor(actor_name), finding_id, resident_id=resident_id, name=name,
                            employed=employed, note=note)
    console.print(f"核查人员 #{checked.pk}：{checked} / checked person recorded")


@oversight.command("find-person")
@click.option("--resident-id", required=True, help="Exact ID number (found by blind index).")
@actor_option
@_errors
def find_person(resident_id, actor_name) -> None:
    """Every check of one person, across units (masked). 按身份证号码查找核查记录。"""
    from .persons import named

    seen = named(_actor(actor_name), resident_id)
    table = Table(title=f"核查记录 / checks: {len(seen)}")
    for header in ("姓名", "身份证号码", "在岗", "单位", "案件", "抽查"):
        table.add_column(header)
    for item in seen:
        table.add_row(item.name, item.resident_id, "是" if item.employed else "[red]否[/red]",
                      f"{item.unit_name} {item.uscc}", str(item.case_id), f"#{item.plan_id}")
    console.print(table)


@oversight.command("rotate-keys")
@click.option("--status", "status_only", is_flag=True, help="Only count what is left to re-seal.")
@actor_option
@_errors
def rotate_keys(status_only, actor_name) -> None:
    """Re-seal account and ID numbers under the current key (restartable). 轮换加密密钥。"""
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TextColumn

    from wengang.cases.sealing import current_key_id

    from .rotation import pending, rotate, sealed_columns

    left = pending()
    console.print(f"当前密钥 / current key: {current_key_id()}；待重新加密 / to re-seal: "
                  f"{sum(left.values()):,}")
    if status_only:
        for label, count in left.items():
            console.print(f"  {label}: {count:,}")
        return
    actor = _actor(actor_name)
    with Progress(TextColumn("{task.description}"), BarColumn(), MofNCompleteColumn(),
                  console=console) as progress:
        tasks = {c.label: progress.add_task(c.label, total=left[c.label] or 1) for c in sealed_columns()}
        result = rotate(actor=actor,
                        progress=lambda label, done, total: progress.update(
                            tasks[label], completed=done, total=total or 1))
    console.print(f"已用密钥 {result.key_id} 重新加密 {result.total:,} 个值 / values re-sealed")
    if result.skipped:
        console.print(f"[yellow]{result.skipped:,} 个值在此期间被修改，请再运行一次 / changed "
                      "meanwhile: run again[/yellow]")
        sys.exit(1)


@click.command()
@click.option("--once", is_flag=True, help="Run the due jobs once and stop (cron, tests).")
@click.option("--sync-every", type=click.IntRange(min=1), default=300, show_default=True,
              help="Seconds between audit syncs.")
@click.option("--sweep-every", type=click.IntRange(min=1), default=3600, show_default=True,
              help="Seconds between risk-hold sweeps.")
@click.option("--stats-every", type=click.IntRange(min=1), default=900, show_default=True,
              help="Seconds between refreshes of the dashboards' figures.")
@click.option("--pause", type=click.FloatRange(min=0.1), default=30.0, show_default=True,
              help="Seconds between checks for due jobs.")
@actor_option
@_errors
def scheduler(once, sync_every, sweep_every, stats_every, pause, actor_name) -> None:
    """Run the periodic jobs: audit sync, risk-hold sweep, statistics refresh. 定时任务。

    The actor (``--actor`` / ``WENGANG_ACTOR``) is the service account the sweep acts as,
    over its region."""
    from datetime import timedelta

    setup_django()
    from .scheduler import Schedule, jobs

    actor = _actor(actor_name)
    schedule = Schedule(jobs(actor, sync_every=timedelta(seconds=sync_every),
                             sweep_every=timedelta(seconds=sweep_every),
                             stats_every=timedelta(seconds=stats_every)))
    run_schedule(schedule, pause=pause, once=once)


def run_schedule(schedule, *, pause: float, once: bool) -> None:
    """Run the jobs until stopped (or one tick), a line per outcome; exit 1 if any failed."""
    from .scheduler import loop

    failed = False
    for outcome in loop(schedule, pause=pause, ticks=1 if once else None):
        failed |= not outcome.ok
        colour = "green" if outcome.ok else "red"
        console.print(f"[{colour}]{outcome.at:%Y-%m-%d %H:%M:%S} {outcome.job}[/{colour}] "
                      f"{outcome.summary}")
    if failed:
        sys.exit(1)
