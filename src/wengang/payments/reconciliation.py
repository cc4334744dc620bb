"""Reconciliation (对账): apply the bank's return file to exported payments.

A return file (generic CSV, pain.002 or camt.054) is checked whole before anything changes:
every reference must name an exported payment, once, with its exact amount and batch, and the
totals the file declares must match. Any problem rejects the file with the full list and
changes nothing. A good file is applied in one transaction: payments paid or failed (with the
bank's reason), their cases moved through the workflow, the ledger posted (paid: reserved →
paid; failed: reserved → available), offsets settled. The same bytes are never applied twice.
"""

import csv
import hashlib
from collections import defaultdict
from dataclasses import dataclass
from enum import Enum
from pathlib import Path
from typing import NamedTuple

from django.db import connection, transaction
from django.db.models import F

from wengang.accounts.models import User
from wengang.cases.errors import ConcurrentChange
from wengang.cases.models import Action, Channel
from wengang.cases.workflow import require_region, require_role, settle_payment_many
from wengang.core.clock import clock
from wengang.core.money import fen_to_yuan

from . import bankfiles, ledger
from .errors import ReturnFileRejected
from .models import (
    LedgerEntry,
    Payment,
    PaymentBatch,
    Receivable,
    ReceivableEntry,
    ReturnFile,
)

_CHUNK = 5000
_COLUMN = {"pk": "id", "return_file": "return_file_id"}
"""Column names of ``Payment`` fields that differ from the field name (plain SQL below)."""


class PaymentRow(NamedTuple):
    """What settling needs of a payment: a tuple, not a model (100,000 of them are read)."""

    pk: int
    end_to_end_id: str
    batch_id: int
    case_id: int
    status: str
    gross_fen: int
    offset_fen: int
    amount_fen: int
    offset_receivable_id: int | None


def payment_rows(payments) -> list[PaymentRow]:
    """The rows of a ``Payment`` queryset."""
    return [PaymentRow(*values) for values in payments.values_list(*PaymentRow._fields)]


@dataclass
class ReturnReport:
    """What a return file did (or why it was refused)."""

    name: str
    sha256: str
    format: str = ""
    paid_count: int = 0
    paid_fen: int = 0
    failed_count: int = 0
    failed_fen: int = 0
    already_applied: bool = False

    def lines(self) -> list[str]:
        if self.already_applied:
            return [f"{self.name} 已对账，未作任何更改 / already applied: nothing changed"]
        return [f"到账 / paid: {self.paid_count:,} 笔 {fen_to_yuan(self.paid_fen, grouping=True)} 元",
                f"失败 / failed: {self.failed_count:,} 笔 {fen_to_yuan(self.failed_fen, grouping=True)} 元"]


def write_problems(rejected: ReturnFileRejected, path: Path) -> None:
    """Write why a file was rejected, one problem a line, for the bank or the operator."""
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(["file", "problem"])
        writer.writerows([rejected.name, problem] for problem in rejected.problems)


def apply_return(data: bytes, *, name: str, actor: User, channel: str = Channel.CONSOLE,
                 request_id: str = "") -> ReturnReport:
    """Check and apply one return file; ``ReturnFileRejected`` (with the report) if it is bad."""
    require_role(actor, Action.PAID)
    report = ReturnReport(name=name, sha256=hashlib.sha256(data).hexdigest())
    if ReturnFile.objects.filter(sha256=report.sha256).exists():
        report.already_applied = True
        return report
    statement = bankfiles.read_return(data)
    report.format = statement.format
    problems = list(statement.problems)
    if not statement.rows and not problems:
        problems.append("文件没有任何明细 / the file has no rows")
    with transaction.atomic():
        # Settling happens only under the lock of an exported batch (export and cancellation
        # take the same lock), so lock them all first: one pass over the references follows.
        batches = {b.pk: b for b in PaymentBatch.objects.select_for_update()
                   .select_related("paying_account").filter(status=PaymentBatch.Status.EXPORTED)
                   .order_by("pk")}
        if ReturnFile.objects.filter(sha256=report.sha256).exists():  # applied while we waited
            report.already_applied = True
            return report
        references = [row.end_to_end_id for row in statement.rows]
        named = ({row.message_id for row in statement.rows}
                 | {message_id for message_id, _, _ in statement.batch_totals})
        payments = _payments_by_reference(
            references, batch_ids=[b.pk for b in batches.values() if b.message_id in named])
        for batch_id in {p.batch_id for p in payments.values()} & batches.keys():
            require_region(actor, batches[batch_id].paying_account.region_code)
        problems += _check(statement, payments, batches)
        if problems:
            raise ReturnFileRejected(name, problems)
        paid = [payments[row.end_to_end_id] for row in statement.rows if row.paid]
        failed = [(payments[row.end_to_end_id], row.reason_code, row.reason)
                  for row in statement.rows if not row.paid]
        return_file = ReturnFile.objects.create(
            name=name[:200], sha256=report.sha256, format=statement.format,
            applied_at=clock.now(), applied_by=actor, paid_count=len(paid),
            paid_fen=sum(p.amount_fen for p in paid), failed_count=len(failed),
            failed_fen=sum(p.amount_fen for p, _, _ in failed))
        settle(paid, paid=True, actor=actor, channel=channel, request_id=request_id,
               return_file=return_file)
        settle([p for p, _, _ in failed], paid=False, reasons={p.pk: (c, r) for p, c, r in failed},
               actor=actor, channel=channel, request_id=request_id, return_file=return_file)
        for batch_id in {p.batch_id for p in payments.values()}:
            close_if_settled(batches[batch_id])
    report.paid_count, report.paid_fen = return_file.paid_count, return_file.paid_fen
    report.failed_count, report.failed_fen = return_file.failed_count, return_file.failed_fen
    return report


def _payments_by_reference(references: list[str], *,
                           batch_ids: list[int]) -> dict[str, PaymentRow]:
    """The payments a file names, by end-to-end id.

    The payments of ``batch_ids`` (the exported batches the file names) are read by batch: one
    index range scan each costs a sixth of 100,000 unique-index lookups. References not found
    there (a file naming no batch, or a wrong one: ``_check`` reports it) are looked up one by
    one. Plain SQL with bound chunks: the ORM's per-value lookup preparation and row building
    cost more than the query when a file names 100,000 payments."""
    wanted = set(references)
    columns = ", ".join(_COLUMN.get(name, name) for name in PaymentRow._fields)
    found = {}
    with connection.cursor() as cursor:
        for batch_id in sorted(batch_ids):
            cursor.execute(f"SELECT {columns} FROM {Payment._meta.db_table} WHERE batch_id = %s",
                           [batch_id])
            found.update((values[1], PaymentRow(*values)) for values in cursor.fetchall()
                         if values[1] in wanted)
        missing = sorted(wanted - found.keys())
        for start in range(0, len(missing), _CHUNK):
            among, params = _among("end_to_end_id", missing[start:start + _CHUNK], "text")
            cursor.execute(f"SELECT {columns} FROM {Payment._meta.db_table} WHERE {among}", params)
            found.update((values[1], PaymentRow(*values)) for values in cursor.fetchall())
    return found


def _among(column: str, values: list, sql_type: str) -> tuple[str, list]:
    """``column`` is one of ``values``, as bound SQL: one array parameter on PostgreSQL (a
    statement with 5,000 placeholders costs the driver more to prepare than the server to
    run), placeholders elsewhere (keep ``values`` within ``_CHUNK``)."""
    if connection.vendor == "postgresql":
        return f"{column} = ANY(%s::{sql_type}[])", [values]
    return f"{column} IN ({', '.join(['%s'] * len(values))})", list(values)


def _update_payments(ids: list[int], *, expected: tuple[str, ...], **values) -> int:
    """Set ``values`` on the payments ``ids`` still in an ``expected`` status; how many moved.

    Plain SQL in bound chunks, for the reason ``_payments_by_reference`` gives."""
    assignments = ", ".join(f"{_COLUMN.get(name, name)} = %s" for name in values)
    # Choices go in as their plain values: a driver may adapt an enum member by its name.
    params = [connection.ops.adapt_datetimefield_value(value) if name == "settled_at"
              else value.value if isinstance(value, Enum) else value
              for name, value in values.items()]
    status_in = ", ".join(["%s"] * len(expected))
    statuses = [status.value for status in expected]
    updated = 0
    with connection.cursor() as cursor:
        for start in range(0, len(ids), _CHUNK):
            among, chunk = _among("id", ids[start:start + _CHUNK], "bigint")
            cursor.execute(f"UPDATE {Payment._meta.db_table} SET {assignments} "
                           f"WHERE {among} AND status IN ({status_in})",
                           [*params, *chunk, *statuses])
            updated += cursor.rowcount
    return updated


def _check(statement: bankfiles.ReturnStatement, payments: dict[str, PaymentRow],
           batches: dict[int, PaymentBatch]) -> list[str]:
    problems: list[str] = []
    seen: set[str] = set()
    for row in statement.rows:
        e2e = row.end_to_end_id
        payment = payments.get(e2e)
        if e2e in seen:
            problems.append(f"{e2e}: 在文件中重复出现 / duplicate reference in the file")
            continue
        seen.add(e2e)
        if payment is None:
            problems.append(f"{e2e}: 未知的付款编号 / unknown reference")
            continue
        if payment.status != Payment.Status.EXPORTED:
            problems.append(f"{e2e}: 该笔状态为“{Payment.Status(payment.status).label}”，不能再对账 / "
                            f"payment is {payment.status}, not awaiting the bank")
        if row.amount_fen != payment.amount_fen:
            problems.append(f"{e2e}: 金额 {fen_to_yuan(row.amount_fen)} 与付款金额 "
                            f"{fen_to_yuan(payment.amount_fen)} 不符 / amount differs")
        batch = batches.get(payment.batch_id)
        if batch is None:  # exported after this file's batches were locked: try again
            problems.append(f"{e2e}: 所属批次未处于已导出状态 / its batch is not awaiting the bank")
        elif row.message_id and row.message_id != batch.message_id:
            problems.append(f"{e2e}: 批次编号 {row.message_id} 与 {batch.message_id} 不符 / "
                            "belongs to another batch")
    by_message = {b.message_id: b for b in batches.values()}
    for message_id, count, total in statement.batch_totals:
        batch = by_message.get(message_id) or PaymentBatch.objects.filter(
            message_id=message_id).first()
        if batch is None:
            problems.append(f"原报文 {message_id} 不是本系统的拨付批次 / unknown original message")
        elif (count, total) != (batch.payment_count, batch.total_fen):
            problems.append(f"原报文 {message_id} 合计 {count} 笔 {fen_to_yuan(total)} 元，批次为 "
                            f"{batch.payment_count} 笔 {fen_to_yuan(batch.total_fen)} 元 / "
                            "original totals differ from the batch")
    return problems


def settle(payments: list[PaymentRow], *, paid: bool, actor: User, channel: str, request_id: str,
           return_file: ReturnFile | None,
           reasons: dict[int, tuple[str, str]] | None = None) -> None:
    """Record payments as paid (or failed, with ``reasons``) everywhere it shows.

    Inside the caller's transaction, with their batches locked. Each update names the status
    it expects, and the counts must match: a payment is settled exactly once.
    """
    if not payments:
        return
    now = clock.now()
    ids = [p.pk for p in payments]
    return_file_id = return_file.pk if return_file else None
    if paid:
        updated = _update_payments(ids, expected=(Payment.Status.EXPORTED, Payment.Status.PENDING),
                                   status=Payment.Status.PAID, settled_at=now,
                                   return_file=return_file_id)
    else:
        groups: dict[tuple[str, str], list[int]] = defaultdict(list)
        for payment in payments:
            groups[reasons[payment.pk]].append(payment.pk)
        updated = sum(_update_payments(members, expected=(Payment.Status.EXPORTED,),
                                       status=Payment.Status.FAILED, settled_at=now,
                                       return_file=return_file_id, failure_code=code[:8],
                                       failure_reason=reason[:200])
                      for (code, reason), members in groups.items())
    if updated != len(ids):
        raise ConcurrentChange(payments[0].case_id)
    case_ids = [p.case_id for p in payments]
    if paid:
        moved, _ = settle_payment_many(paid_ids=case_ids, failed_reasons={}, actor=actor,
                                       channel=channel, request_id=request_id)
    else:
        _, moved = settle_payment_many(
            paid_ids=[], actor=actor, channel=channel, request_id=request_id,
            failed_reasons={p.case_id: f"银行退回：{reasons[p.pk][1]}（{reasons[p.pk][0]}），"
                                       "请企业办理收款账户变更" for p in payments})
    if len(moved) != len(case_ids):
        raise ConcurrentChange(next(c for c in case_ids if c not in set(moved)))
    _post(payments, paid=paid, actor=actor, return_file=return_file)


def _post(payments: list[PaymentRow], *, paid: bool, actor: User,
          return_file: ReturnFile | None) -> None:
    """The ledger side of settling: per batch, and per receivable for offsets."""
    gross: dict[int, int] = defaultdict(int)
    for payment in payments:
        gross[payment.batch_id] += payment.gross_fen
    budget_of = dict(PaymentBatch.objects.filter(pk__in=gross).values_list("pk", "budget_id"))
    offsets: dict[int, list[PaymentRow]] = defaultdict(list)
    for payment in payments:
        if payment.offset_fen:
            offsets[payment.offset_receivable_id].append(payment)
    receivables = {r.pk: r for r in Receivable.objects.filter(pk__in=offsets)}
    budget_ids = sorted(set(budget_of.values()) | {r.budget_id for r in receivables.values()})
    budgets = {pk: ledger.lock_budget(pk) for pk in budget_ids}
    kind = LedgerEntry.Kind.PAYMENT if paid else LedgerEntry.Kind.RELEASE
    for batch_id, fen in sorted(gross.items()):
        ledger.post(budgets[budget_of[batch_id]], kind, fen, actor=actor, batch_id=batch_id,
                    return_file=return_file, note="银行回单" if return_file else "全额抵扣")
    for receivable_id, members in offsets.items():
        fen = sum(p.offset_fen for p in members)
        changes = {"earmarked_fen": F("earmarked_fen") - fen}
        if paid:
            changes["settled_fen"] = F("settled_fen") + fen
            ReceivableEntry.objects.bulk_create(
                ReceivableEntry(receivable_id=receivable_id, kind=ReceivableEntry.Kind.OFFSET,
                                amount_fen=p.offset_fen, at=clock.now(), actor=actor,
                                payment_id=p.pk,
                                reference=f"抵扣拨付 {p.end_to_end_id}") for p in members)
            receivable = receivables[receivable_id]
            ledger.post(budgets[receivable.budget_id], LedgerEntry.Kind.RECOVERY, fen,
                        actor=actor, receivable=receivable, note="抵扣后续返还")
        Receivable.objects.filter(pk=receivable_id).update(**changes)


def close_if_settled(batch: PaymentBatch) -> None:
    """An exported batch with nothing left at the bank is reconciled."""
    if not batch.payments.filter(status=Payment.Status.EXPORTED).exists():
        PaymentBatch.objects.filter(pk=batch.pk, status=PaymentBatch.Status.EXPORTED).update(
            status=PaymentBatch.Status.RECONCILED)
