"""The demo scenario: walk the synthetic city from a screening result to paid cases.

On a simulated clock (April–May 2020, May Day holiday included): cases are loaded and notified,
some enterprises confirm with the commitment letter (recorded by an officer: the portal comes
later) — one of undecided size confirms it is a small firm, and its refund is recomputed —
departments review (one objects to a case), publicity runs its working days, a public objection
is filed and dismissed, enterprises that have not applied are reminded before their deadline,
and the cases become payable; each unit is told once, in its inbox and by a text written to the
outbox file (no gateway needed). Finance funds them, the bank files are exported, the bank's return
rejects a few transfers, and one failed case is paid again after its account change. Every step
goes through the services of ``cases`` and ``payments`` — the same code the console and the API
call. The last simulated day is written to ``demo-today`` in the data directory, for the web UI.

With ``--persons`` (a person screening result), the skills-training subsidies go along: loaded
on the first day, notified, approved by the agency (no department reviews trainees' records),
published, payable and paid with the rest, while one trainee's case is printed at each step
(``demo.trainee``).
"""

from datetime import date
from pathlib import Path

import click
from rich.console import Console
from rich.table import Table

DEMO_REGION = "360100"
DEMO_PASSWORD = "wengang-demo"  # demo accounts only; printed on purpose
DEMO_USERS = (  # username, role, department
    ("nanchang-agency", "agency", ""),
    ("nanchang-finance", "finance", "finance"),
    ("nanchang-tax", "department", "tax"),
    ("nanchang-market", "department", "market"),
    ("nanchang-ndrc", "department", "ndrc"),
    ("nanchang-miit", "department", "miit"),
    ("nanchang-environment", "department", "environment"),
    ("nanchang-sasac", "department", "sasac"),
    ("auditor", "auditor", ""),
    ("admin", "admin", ""),
)


def demo_users():
    """Create (once) one account per role for the demo city; return them by username."""
    from wengang.accounts.models import User

    users = {}
    for username, role, department in DEMO_USERS:
        user, created = User.objects.get_or_create(
            username=username,
            defaults={"role": role, "department": department, "region_code": DEMO_REGION,
                      "is_staff": role == "admin", "is_superuser": role == "admin"})
        if created:
            user.set_password(DEMO_PASSWORD)
            user.save()
        users[username] = user
    return users


def _day(day: date, console: Console, what: str) -> None:
    from wengang.core.clock import clock

    clock.set_today(day)
    console.print(f"[bold]{day:%Y-%m-%d}[/bold] {what}")


@click.command()
@click.argument("result", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--applications", default=300, show_default=True,
              help="How many enterprises on the application route confirm in the demo.")
@click.option("--persons", type=click.Path(exists=True, dir_okay=False, path_type=Path),
              help="A person screening result (wengang screen-persons) to walk along: "
                   "the training subsidies, one trainee followed from completion to payment.")
def walkthrough(result: Path, applications: int, persons: Path | None) -> None:
    """Walk a screening result through the whole flow on a simulated clock. 演示全流程。"""
    from wengang.cases.cli import setup_django

    setup_django()
    from wengang.cases import services
    from wengang.cases.models import Case, CommitmentText, ReviewTask
    from wengang.cases.workflow import Confirmation, confirmed_decision
    from wengang.core.money import fen_to_yuan

    console = Console()
    users = demo_users()
    agency = users["nanchang-agency"]

    _day(date(2020, 4, 15), console, "载入筛查结果并告知企业 / load the screening result, notify")
    summary = services.load_screening(result, actor=agency)
    console.print(f"  {summary}")
    from wengang.demo.trainee import TRAINING_PROGRAM, Trainee, approve_training_batches
    from wengang.outreach.demo import notify_eligible, notify_paid_persons

    trainee = (Trainee.load(persons, actor=agency, region_code=DEMO_REGION, console=console)
               if persons is not None else None)
    training = (TRAINING_PROGRAM,) if trainee is not None else ()
    notify_eligible(DEMO_REGION, console=console)  # one inbox message and one text per unit
    if trainee is not None:
        trainee.step("告知 / notified")
        trainee.told()

    _day(date(2020, 4, 16), console, f"{applications} 家企业确认信息并签署承诺书 / enterprises confirm")
    letter = CommitmentText.objects.order_by("-pk").first()
    waiting = list(Case.objects.filter(state="awaiting_application", insured__isnull=False)
                   .in_region(DEMO_REGION).exclude(account_sealed="")
                   .select_related("unit", "screening_run").order_by("pk")[:applications])
    undecided = next((c for c in waiting if c.size == "unknown" and c.program == "inclusive-2020"),
                     None)
    for case in waiting:
        size = "small" if case is undecided else case.size
        decision = confirmed_decision(case, size=size, insured=case.insured)
        amount_fen = case.amount_fen if decision is None else decision.amount_fen
        confirmed = services.apply(
            case, actor=agency, commitment_text=letter, origin="12333 热线", channel="assisted",
            read_out=True, confirmation=Confirmation(
                size=size, insured=case.insured, amount_fen=amount_fen,
                signatory_name=case.unit.legal_rep_name or "经办人"))
        if case is undecided:
            console.print(f"  {case.unit.name} 确认为小型企业（参保 {case.insured} 人），按同一政策重新测算："
                          f"¥{fen_to_yuan(case.amount_fen, grouping=True)} → "
                          f"¥{fen_to_yuan(confirmed.amount_fen, grouping=True)}")

    _day(date(2020, 4, 20), console, "部门联审 / joint review")
    batches = []
    for program in ("difficult-2020", "inclusive-2020", *training):
        batches += services.open_review_batches(actor=agency, region_code=DEMO_REGION, program=program)
    objected = None
    for task in ReviewTask.objects.filter(batch__in=batches).select_related("batch").order_by("pk"):
        reviewer = next(u for u in users.values() if u.department == task.department)
        objections = {}
        if objected is None and task.department == "market":
            objected = Case.objects.filter(review_items__batch=task.batch).order_by("pk").first()
            objections = {objected.pk: "市场监管：该单位地址失联，正在核查"}
        services.record_decision(task, actor=reviewer, objections=objections)
    if objected is not None:
        objected.refresh_from_db()
        services.reject(objected, actor=agency, reason="部门联审异议属实：地址失联")
    if trainee is not None:
        approved = approve_training_batches(batches, actor=agency)
        console.print(f"  培训补贴由经办机构审核通过 {approved:,} 件 / training cases approved by the agency")
        trainee.step("经办机构审核 / agency review")

    _day(date(2020, 4, 29), console, "公示 5 个工作日（含五一假期）/ publicity, 5 working days")
    publicity = [services.open_publicity(actor=agency, region_code=DEMO_REGION, program=program)
                 for program in ("difficult-2020", "inclusive-2020", *training)]
    if trainee is not None:
        trainee.step("公示（姓名脱敏）/ publicity, name masked")
    _day(date(2020, 4, 30), console, "群众异议 / an objection from the public")
    case = Case.objects.filter(state="in_publicity").in_region(DEMO_REGION).order_by("pk").first()
    objection = services.file_objection(case, objector_name="王某", objector_contact="13900000000",
                                        reason="该企业已停业")
    _day(date(2020, 5, 6), console, "核实异议不成立 / objection dismissed after checking")
    services.resolve_objection(objection, actor=agency, uphold=False, note="核实企业仍正常经营")
    _day(date(2020, 5, 8), console, "提醒尚未申请的企业（截止前 5 个工作日）/ reminders before the deadline")
    due = services.reminders_due(region_code=DEMO_REGION)
    reminded = services.record_reminders(due.values_list("pk", flat=True))
    console.print(f"  {len(reminded):,} 家企业已提醒（短信由外呼模块发送）/ reminders recorded")
    batch_end = max(b.end_on for b in publicity)
    _day(date(2020, 5, 9), console, f"公示期满（{batch_end}）转为待拨付 / publicity over: payable")
    for batch in publicity:
        services.close_publicity(batch, actor=agency)
    if trainee is not None:
        trainee.step("公示期满无异议 / publicity over")

    _day(date(2020, 5, 11), console, "财政下达资金，拨付并对账 / fund, pay and reconcile")
    from django.conf import settings

    from wengang.core.clock import clock
    from wengang.payments.demo import pay_demo_city

    pay_demo_city(agency=agency, finance=users["nanchang-finance"], region_code=DEMO_REGION,
                  out_dir=Path(settings.DATA_DIR) / "bank", console=console)
    if trainee is not None:
        trainee.paid()
        notify_paid_persons(DEMO_REGION)
        trainee.told()
    (Path(settings.DATA_DIR) / "demo-today").write_text(clock.today().isoformat() + "\n")

    from wengang.stats.refresh import refresh

    rollup = refresh()
    console.print(f"  统计已更新：{rollup.cases:,} 件案件，耗时 {rollup.seconds:.1f} 秒 / dashboards refreshed")

    table = Table(title="南昌市 2020 年稳岗返还：案件状态 / cases by state")
    for header in ("状态 state", "案件 cases", "金额（元）amount"):
        table.add_column(header, justify="right" if header != "状态 state" else "left")
    from django.db.models import Count, Sum

    for row in Case.objects.in_region(DEMO_REGION).values("state").annotate(
            n=Count("pk"), fen=Sum("amount_fen")).order_by("state"):
        table.add_row(row["state"], f"{row['n']:,}", fen_to_yuan(row["fen"] or 0, grouping=True))
    console.print(table)
    console.print(f"演示账户（密码 {DEMO_PASSWORD}）/ demo logins: " +
                  ", ".join(name for name, _, _ in DEMO_USERS))
