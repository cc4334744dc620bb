"""``wengang payments …``: budgets, batches, bank files, reconciliation, account changes and
receivables from the command line, in the manner of ``wengang cases``.

Each command names the operator (``--actor`` or ``WENGANG_ACTOR``), calls one service and
prints what it did; a refused step prints why (Chinese, then English) and exits with 1.
Amounts are typed and shown in yuan; inside, everything is fen.
"""

import sys
from pathlib import Path

import click
from rich.table import Table

from wengang.cases.cli import _actor, _errors, _via, _yuan, actor_option, console, setup_django


@click.group()
def payments() -> None:
    """Fund budgets, payment batches and reconciliation (资金拨付与对账)."""
    setup_django()


def _fen(text: str) -> int:
    from wengang.core.money import parse_yuan

    return parse_yuan(text)


def _batch(batch_id: int):
    from .errors import PaymentError
    from .models import PaymentBatch

    batch = PaymentBatch.objects.select_related("paying_account").filter(pk=batch_id).first()
    if batch is None:
        raise PaymentError(f"没有编号为 {batch_id} 的拨付批次", f"no payment batch {batch_id}")
    return batch


# --- budgets and paying accounts -----------------------------------------------------------

@payments.group("budget")
def budget() -> None:
    """Fund budgets per region × program × year (资金预算)."""


@budget.command("allocate")
@click.option("--region", "region_code", required=True)
@click.option("--program", required=True)
@click.option("--year", type=int, required=True, help="Refund year.")
@click.option("--amount", required=True, help="Yuan, e.g. 1000000.00")
@click.option("--note", default="")
@actor_option
@_errors
def budget_allocate(region_code, program, year, amount, note, actor_name) -> None:
    """Allot money from the UI fund (finance). 下达预算。"""
    from .ledger import allocate

    result = allocate(region_code=region_code, program=program, year=year,
                      amount_fen=_fen(amount), actor=_actor(actor_name), note=note)
    console.print(f"预算 {result}：总额 {_yuan(result.allocated_fen)} 元，可用 "
                  f"{_yuan(result.available_fen)} 元 / allocated")


@budget.command("list")
@click.option("--region", "region_code", default=None, help="Only this region and those inside it.")
@click.option("--program", default=None)
@click.option("--year", type=int, default=None, help="Refund year.")
@_errors
def budget_list(region_code, program, year) -> None:
    """Budgets: allocated, remaining (available), reserved, paid; whether the books balance.
    预算与台账。"""
    from wengang.cases.models import region_q

    from .ledger import check_ledger
    from .models import Budget

    budgets = Budget.objects.order_by("region_code", "program", "year")
    if region_code:
        budgets = budgets.filter(region_q("region_code", region_code))
    if program:
        budgets = budgets.filter(program=program)
    if year:
        budgets = budgets.filter(year=year)
    table = Table(title="资金预算 / budgets")
    for header in ("预算", "总额", "可用（剩余）", "已预留", "已拨付", "应追回", "已核销", "台账"):
        table.add_column(header, justify="left" if header == "预算" else "right")
    problems = []
    for item in budgets:
        check = check_ledger(item)
        problems += check.problems
        table.add_row(str(item), *(_yuan(getattr(item, f)) for f in (
            "allocated_fen", "available_fen", "reserved_fen", "paid_fen", "receivable_fen",
            "written_off_fen")), "平衡" if check.balanced else "[red]不平[/red]")
    console.print(table)
    for problem in problems:
        console.print(f"[red]{problem}[/red]")
    if problems:
        sys.exit(1)


@payments.command("paying-account")
@click.option("--region", "region_code", required=True)
@click.option("--holder", required=True, help="Account holder (the UI agency).")
@click.option("--account", "account_number", required=True)
@click.option("--bank", "bank_name", required=True)
@_errors
def paying_account(region_code, holder, account_number, bank_name) -> None:
    """Register the fund account a region pays from. 登记付款账户。"""
    from .models import PayingAccount

    item = PayingAccount.objects.create(region_code=region_code, holder_name=holder,
                                        account_number=account_number, bank_name=bank_name)
    console.print(f"付款账户 #{item.pk} {item} / paying account added")


# --- batches -------------------------------------------------------------------------------

@payments.group("batch")
def batch() -> None:
    """Payment batches and bank files (拨付批次)."""


@batch.command("build")
@click.option("--region", "region_code", required=True)
@click.option("--program", required=True)
@actor_option
@_errors
def batch_build(region_code, program, actor_name) -> None:
    """Put the payable cases into batches, one per paying account. 生成拨付批次。"""
    from .batches import build_batches

    result = build_batches(actor=_actor(actor_name), region_code=region_code, program=program,
                           **_via())
    _print_batches(result.batches)
    if result.without_account:
        console.print(f"[yellow]{len(result.without_account):,} 件无收款账户，未列入 / cases "
                      f"without an account left out: {result.without_account[:20]}[/yellow]")


@batch.command("approve")
@click.argument("batch_id", type=int)
@actor_option
@_errors
def batch_approve(batch_id, actor_name) -> None:
    """Approve a batch and reserve its money (finance). 审批并预留资金。"""
    from .batches import approve_batch

    _print_batches([approve_batch(_batch(batch_id), actor=_actor(actor_name))])


@batch.command("cancel")
@click.argument("batch_id", type=int)
@click.option("--reason", required=True)
@actor_option
@_errors
def batch_cancel(batch_id, reason, actor_name) -> None:
    """Cancel a batch before export; its cases go back. 撤销批次。"""
    from .batches import cancel_batch

    _print_batches([cancel_batch(_batch(batch_id), actor=_actor(actor_name), reason=reason,
                                 **_via())])


@batch.command("export")
@click.argument("batch_id", type=int)
@click.option("--out", "out_dir", type=click.Path(file_okay=False, path_type=Path),
              required=True)
@actor_option
@_errors
def batch_export(batch_id, out_dir, actor_name) -> None:
    """Write the bank files (CSV and pain.001) and their control totals. 导出银行文件。"""
    from .batches import export_batch

    export = export_batch(_batch(batch_id), actor=_actor(actor_name), out_dir=out_dir, **_via())
    table = Table(title=f"拨付批次 #{batch_id} {'导出' if export.first else '重新导出（与首次相同）'}",
                  show_header=False)
    for label, value in (("报文编号 MsgId", export.batch.message_id),
                         ("笔数 count", f"{export.count:,}"),
                         ("金额合计（元）sum", _yuan(export.total_fen)),
                         (f"{export.csv_path.name} SHA-256", export.csv_sha256),
                         (f"{export.xml_path.name} SHA-256", export.xml_sha256)):
        table.add_row(label, value)
    console.print(table)


@batch.command("list")
@click.option("--all", "show_all", is_flag=True, help="Include reconciled and cancelled batches.")
@_errors
def batch_list(show_all) -> None:
    """Batches and their control totals. 拨付批次。"""
    from .models import PaymentBatch

    batches = PaymentBatch.objects.select_related("paying_account").order_by("pk")
    if not show_all:
        batches = batches.exclude(status__in=["reconciled", "cancelled"])
    _print_batches(list(batches))


def _print_batches(batches) -> None:
    table = Table(title="拨付批次 / payment batches")
    for header in ("批次", "项目", "付款账户", "状态", "笔数", "金额（元）", "报文编号"):
        table.add_column(header, justify="right" if header in ("笔数", "金额（元）") else "left")
    for item in batches:
        table.add_row(f"#{item.pk}", item.program, str(item.paying_account),
                      str(item.get_status_display()), f"{item.payment_count:,}",
                      _yuan(item.total_fen), item.message_id)
    console.print(table)


# --- reconciliation ------------------------------------------------------------------------

@payments.command("reconcile")
@click.argument("return_file", type=click.Path(exists=True, dir_okay=False, path_type=Path))
@click.option("--report", "report_path", type=click.Path(dir_okay=False, path_type=Path),
              help="Write the problems of a rejected file here (CSV).")
@actor_option
@_errors
def reconcile(return_file, report_path, actor_name) -> None:
    """Apply a bank return file (CSV, pain.002, camt.054). 导入银行回单对账。"""
    from .errors import ReturnFileRejected
    from .reconciliation import apply_return, write_problems

    data = return_file.read_bytes()
    try:
        report = apply_return(data, name=return_file.name, actor=_actor(actor_name), **_via())
    except ReturnFileRejected as rejected:
        console.print(f"[red]{rejected.zh}[/red]\n{rejected.en}")
        for problem in rejected.problems:
            console.print(f"  • {problem}")
        if report_path:
            write_problems(rejected, report_path)
            console.print(f"问题清单 / report: {report_path}")
        sys.exit(1)
    for line in report.lines():
        console.print(line)


# --- account changes -----------------------------------------------------------------------

@payments.group("account")
def account() -> None:
    """Receiving-account changes (收款账户变更)."""


@account.command("request")
@click.option("--uscc", help="The unit's (a refund).")
@click.option("--resident-id", help="The person's (a training subsidy, paid to their card).")
@click.option("--account", "account_number", required=True)
@click.option("--bank", "bank_name", required=True)
@click.option("--holder", "holder_name", required=True,
              help="Must be the unit's name, or the person's own.")
@actor_option
@_errors
def account_request(uscc, resident_id, account_number, bank_name, holder_name,
                    actor_name) -> None:
    """Record a unit's or a person's request for a new receiving account. 申请变更收款账户。"""
    from wengang.cases.models import Channel

    from .account_changes import request_account_change

    payee = _payee(uscc, resident_id)
    change = request_account_change(payee, actor=_actor(actor_name),
                                     account_number=account_number, bank_name=bank_name,
                                     holder_name=holder_name, channel=Channel.CLI)
    console.print(f"账户变更 #{change.pk}：{change.account_masked}，{change.verifiable_from} 起可核实 / "
                  f"verifiable from {change.verifiable_from}")


def _payee(uscc: str | None, resident_id: str | None):
    """The unit of ``--uscc`` or the person of ``--resident-id`` (exactly one), on record."""
    from wengang.accounts.login import person_key
    from wengang.cases.models import Person, Unit
    from wengang.core.ids import mask_resident_id

    if (uscc is None) == (resident_id is None):
        raise click.UsageError("请给出 --uscc 或 --resident-id 之一 / give one of --uscc and "
                               "--resident-id")
    if uscc is not None:
        payee, shown = Unit.objects.filter(uscc=uscc.strip().upper()).first(), uscc
    else:  # looked up by its blind index, shown masked
        payee = Person.objects.filter(resident_id_digest=person_key(resident_id)).first()
        shown = mask_resident_id(resident_id.strip().upper())
    if payee is None:
        raise click.BadParameter(f"没有 {shown} 的记录 / {shown} is not on record")
    return payee


@account.command("decide")
@click.argument("change_id", type=int)
@click.option("--approve/--reject", required=True)
@click.option("--note", required=True, help="How it was verified, or why it is refused.")
@actor_option
@_errors
def account_decide(change_id, approve, note, actor_name) -> None:
    """Verify (after the cooling-off) or refuse an account change. 核实账户变更。"""
    from .account_changes import decide_account_change
    from .models import AccountChange

    change = decide_account_change(AccountChange.objects.get(pk=change_id),
                                   actor=_actor(actor_name), approve=approve, note=note, **_via())
    console.print(f"账户变更 #{change.pk}：{change.get_status_display()} / {change.status}")


# --- receivables ---------------------------------------------------------------------------

@payments.group("receivable")
def receivable() -> None:
    """Money to claim back (应追回款)."""


@receivable.command("raise")
@click.argument("case_id", type=int)
@click.option("--amount", required=True, help="Yuan.")
@click.option("--source", type=click.Choice(["audit_finding", "upheld_objection",
                                             "reversed_decision"]), required=True)
@click.option("--reason", required=True)
@click.option("--due", "due_on", type=click.DateTime(["%Y-%m-%d"]), required=True)
@actor_option
@_errors
def receivable_raise(case_id, amount, source, reason, due_on, actor_name) -> None:
    """Claim back (part of) a paid refund. 确认应追回。"""
    from wengang.cases.models import Case

    from .receivables import raise_receivable

    item = raise_receivable(Case.objects.select_related("unit").get(pk=case_id),
                            actor=_actor(actor_name), source=source, amount_fen=_fen(amount),
                            reason=reason, due_on=due_on.date())
    console.print(f"应追回 #{item.pk}：{_yuan(item.amount_fen)} 元，缴回期限 {item.due_on}")


@receivable.command("repay")
@click.argument("receivable_id", type=int)
@click.option("--amount", required=True, help="Yuan.")
@click.option("--reference", required=True, help="Bank slip number.")
@actor_option
@_errors
def receivable_repay(receivable_id, amount, reference, actor_name) -> None:
    """Record money paid back. 登记缴回。"""
    from .models import Receivable
    from .receivables import record_repayment

    item = Receivable.objects.select_related("unit").get(pk=receivable_id)
    record_repayment(item, actor=_actor(actor_name), amount_fen=_fen(amount), reference=reference)
    item.refresh_from_db()
    console.print(f"应追回 #{item.pk}：尚欠 {_yuan(item.outstanding_fen)} 元 / outstanding")


@receivable.group("write-off")
def write_off() -> None:
    """Write-offs in two steps: an officer proposes, finance decides (核销)."""


@write_off.command("propose")
@click.argument("receivable_id", type=int)
@click.option("--amount", required=True, help="Yuan, at most what is still owed.")
@click.option("--reason", required=True)
@actor_option
@_errors
def write_off_propose(receivable_id, amount, reason, actor_name) -> None:
    """Propose writing off what cannot be recovered (agency). 申请核销。"""
    from .models import Receivable
    from .receivables import propose_write_off

    item = Receivable.objects.select_related("unit").get(pk=receivable_id)
    proposal = propose_write_off(item, actor=_actor(actor_name), amount_fen=_fen(amount),
                                 reason=reason)
    console.print(f"核销申请 #{proposal.pk}：应追回 #{item.pk} 核销 {_yuan(proposal.amount_fen)} 元，"
                  "待财政批准 / awaiting finance")


@write_off.command("decide")
@click.argument("proposal_id", type=int)
@click.option("--approve/--reject", required=True)
@click.option("--note", default="", help="Required to reject: why.")
@actor_option
@_errors
def write_off_decide(proposal_id, approve, note, actor_name) -> None:
    """Approve (the write-off is entered) or reject a proposal (finance, not the proposer). 批准核销。"""
    from .models import WriteOffProposal
    from .receivables import approve_write_off, reject_write_off

    proposal = WriteOffProposal.objects.select_related("receivable__unit").get(pk=proposal_id)
    actor = _actor(actor_name)
    proposal = (approve_write_off(proposal, actor=actor, note=note) if approve
                else reject_write_off(proposal, actor=actor, reason=note))
    console.print(f"核销申请 #{proposal.pk}：{proposal.get_status_display()} / {proposal.status}")
