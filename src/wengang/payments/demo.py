"""The demo's payment step: pay the payable cases of the synthetic city, reconcile a simulated
bank return with some failures, and re-pay one failed case after its account change.

``pay_demo_city`` is called by the walkthrough once its cases are payable; it goes through the
same services as the CLI and the console. The simulated bank accepts every transfer but a few
(every ``fail_every``-th), which it returns with an ISO 20022 reason code.
"""

from dataclasses import dataclass
from pathlib import Path

from rich.console import Console
from rich.table import Table

from wengang.accounts.models import User
from wengang.cases.models import Case, Channel
from wengang.core.clock import clock
from wengang.core.money import fen_to_yuan

from . import bankfiles, services
from .models import PayingAccount, Payment, PaymentBatch

DEMO_PAYING_ACCOUNT = ("南昌市社会保险事业管理局", "36050100000000001234", "中国建设银行南昌分行")
BANK_FAILURES = (("AC04", "收款账户已销户"), ("AC01", "收款账号不存在"), ("BE01", "户名与账号不符"))


@dataclass(frozen=True)
class DemoPayments:
    batches: int
    paid: int
    paid_fen: int
    failed: int
    failed_fen: int
    repaid_case: int | None


def simulated_return(batch: PaymentBatch, *, fail_every: int) -> bytes:
    """The bank's pain.002 for an exported batch: every ``fail_every``-th transfer rejected."""
    rows = []
    for i, (e2e, fen) in enumerate(batch.payments.filter(status=Payment.Status.EXPORTED)
                                   .order_by("sequence").values_list("end_to_end_id", "amount_fen"),
                                   start=1):
        code, reason = BANK_FAILURES[(i // fail_every) % len(BANK_FAILURES)]
        failed = i % fail_every == 0
        rows.append(bankfiles.ReturnRow(e2e, fen, not failed, code if failed else "",
                                        reason if failed else ""))
    return bankfiles.write_pain002(batch.message_id, batch.payment_count, batch.total_fen, rows)


def _pay(batches, *, agency: User, finance: User, out_dir: Path, fail_every: int):
    reports = []
    for batch in batches:
        services.approve_batch(batch, actor=finance)
        export = services.export_batch(batch, actor=agency, out_dir=out_dir,
                                       channel=Channel.SYSTEM)
        answer = simulated_return(export.batch, fail_every=fail_every)
        path = out_dir / f"batch-{batch.pk}.pain002.xml"
        path.write_bytes(answer)
        reports.append(services.apply_return(answer, name=path.name, actor=agency,
                                             channel=Channel.SYSTEM))
    return reports


def pay_demo_city(*, agency: User, finance: User, region_code: str, out_dir: Path,
                  console: Console, fail_every: int = 97) -> DemoPayments:
    """Fund, batch, approve, export and reconcile every payable program of ``region_code``."""
    out_dir.mkdir(parents=True, exist_ok=True)
    holder, number, bank = DEMO_PAYING_ACCOUNT
    PayingAccount.objects.get_or_create(region_code=region_code, active=True,
                                        defaults={"holder_name": holder,
                                                  "account_number": number, "bank_name": bank})
    payable = Case.objects.in_region(region_code).payable()
    batches = []
    for program, year in payable.values_list("program", "refund_year").distinct().order_by():
        needed = payable.for_program(program).amount_fen_total()
        services.allocate(region_code=region_code, program=program, year=year,
                          amount_fen=needed, actor=finance, note="演示：按待拨付金额下达")
        batches += services.build_batches(actor=agency, region_code=region_code, program=program,
                                          channel=Channel.SYSTEM).batches
    reports = _pay(batches, agency=agency, finance=finance, out_dir=out_dir,
                   fail_every=fail_every)

    repaid = _repay_one_failure(agency=agency, finance=finance, region_code=region_code,
                                out_dir=out_dir)
    result = DemoPayments(
        batches=len(batches), paid=sum(r.paid_count for r in reports),
        paid_fen=sum(r.paid_fen for r in reports), failed=sum(r.failed_count for r in reports),
        failed_fen=sum(r.failed_fen for r in reports), repaid_case=repaid)
    table = Table(title="拨付与对账 / payment and reconciliation", show_header=False)
    for label, value in (
            ("拨付批次 batches", f"{result.batches:,}"),
            ("到账 paid", f"{result.paid:,} 笔 · {fen_to_yuan(result.paid_fen, grouping=True)} 元"),
            ("失败 failed", f"{result.failed:,} 笔 · {fen_to_yuan(result.failed_fen, grouping=True)} 元"),
            ("变更账户后重新拨付 re-paid", f"案件 {repaid}" if repaid else "—"),
            ("银行文件 bank files", str(out_dir))):
        table.add_row(label, value)
    console.print(table)
    return result


def _repay_one_failure(*, agency: User, finance: User, region_code: str,
                       out_dir: Path) -> int | None:
    """The unit of the first failed case gives a new account; after the cooling-off it is
    verified and the case is paid in a new batch."""
    case = (Case.objects.in_region(region_code).filter(state="payment_failed")
            .select_related("unit").order_by("pk").first())
    if case is None:
        return None
    unit = case.unit
    change = services.request_account_change(
        unit, actor=agency, account_number=f"62170000{unit.pk:010d}", bank_name="中国银行",
        holder_name=unit.name, channel=Channel.ASSISTED)
    clock.set_today(change.verifiable_from)
    services.decide_account_change(change, actor=_second_officer(agency), approve=True,
                                   note="演示：电话核实法定代表人，开户许可证已核对")
    batches = services.build_batches(actor=agency, region_code=region_code, program=case.program,
                                     channel=Channel.SYSTEM).batches
    _pay(batches, agency=agency, finance=finance, out_dir=out_dir, fail_every=10**9)
    return case.pk


def _second_officer(agency: User) -> User:
    """Another officer of the same region: nobody verifies a change they recorded."""
    officer, created = User.objects.get_or_create(
        username=f"{agency.username}-2", defaults={"role": agency.role,
                                                   "region_code": agency.region_code})
    if created:
        officer.set_unusable_password()
        officer.save()
    return officer
