"""Payment batches: build from payable cases, approve (reserve the budget), export, cancel.

A batch holds one program's payments from one paying account (the most specific active account
whose region contains the beneficiary: a unit, or a person paid a training subsidy). Building moves its cases to ``in_payment`` through the
workflow, so a case cannot enter two batches; the database holds the same rule
(``payment_one_live_per_case``). A case whose payment failed enters a later batch only once an
account change made after the failure has been verified.

Each payment keeps a sealed copy of the account it is made to (``cases.sealing``: the unit's
latest verified account change, else the case's account — a person's social-security card
account), so the record says where the money went, and a re-export opens the same numbers and
writes the same bytes. The payee name is the unit's or the person's name in full: the bank
checks it against the account.
"""

import hashlib
import os
import uuid
from collections import defaultdict
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path

from django.db import transaction
from django.db.models import F, Max
from django.db.models.functions import Coalesce

from wengang.accounts.models import Role, User
from wengang.cases.errors import ConcurrentChange, NothingToDo, ReasonRequired, WrongRole
from wengang.cases.models import TRAINING, Action, Case, Channel, State
from wengang.cases.sealing import open_account
from wengang.cases.workflow import (
    cancel_payment_many,
    require_region,
    require_role,
    start_payment_many,
)
from wengang.core.clock import CHINA, clock

from . import bankfiles, ledger
from .errors import BankFileInvalid, BatchStateError, PayingAccountMissing
from .models import (
    AccountChange,
    LedgerEntry,
    PayingAccount,
    Payment,
    PaymentBatch,
    Receivable,
)
from .reconciliation import close_if_settled, payment_rows, settle

S = PaymentBatch.Status


@dataclass(frozen=True)
class BuildResult:
    batches: list[PaymentBatch]
    without_account: list[int]
    """Payable cases left out: no receiving account on record (ask for an account change)."""


def _require_batch_actor(actor: User, batch: PaymentBatch, step: str,
                         roles: tuple[str, ...] = (Role.AGENCY, Role.FINANCE)) -> None:
    if actor.role not in roles or not actor.is_active:
        raise WrongRole(step, str(actor.role), tuple(str(Role(r).label) for r in roles))
    require_region(actor, batch.paying_account.region_code)


def _require_status(batch: PaymentBatch, step: str, *allowed: str) -> None:
    if batch.status not in allowed:
        raise BatchStateError(batch.pk, str(batch.get_status_display()), step,
                              tuple(str(S(s).label) for s in allowed))


# --- receiving accounts --------------------------------------------------------------------

def _verified_changes(units: set[int], persons: set[int]):
    """The verified account changes of these units and persons (a training subsidy's)."""
    return (AccountChange.objects.filter(unit_id__in=units)
            | AccountChange.objects.filter(person_id__in=persons)).filter(
        status=AccountChange.Status.APPROVED)


def receiving_accounts(cases: list[Case]) -> dict[int, AccountChange | Case]:
    """Where each case's money goes: its unit's or person's latest verified account change,
    else the case's own account (on record, or confirmed with the commitment). Cases with
    neither are left out."""
    latest: dict[tuple[str, int], AccountChange] = {}
    for change in _verified_changes({c.unit_id for c in cases if c.unit_id},
                                    {c.person_id for c in cases if c.person_id}
                                    ).order_by("decided_at", "id"):
        latest[_payee(change)] = change
    accounts: dict[int, AccountChange | Case] = {}
    for case in cases:
        source = latest.get(_payee(case)) or (case if case.has_account else None)
        if source is not None:
            accounts[case.pk] = source
    return accounts


# --- building ------------------------------------------------------------------------------

def repayable_failed(cases) -> list[int]:
    """Failed cases whose unit or person has a verified account change made after the failure."""
    failed = {pk: ("unit", unit_id) if unit_id else ("person", person_id) for pk, unit_id, person_id
              in cases.filter(state=State.PAYMENT_FAILED).values_list("pk", "unit_id", "person_id")}
    last_failure = dict(Payment.objects.filter(case_id__in=list(failed),
                                               status=Payment.Status.FAILED)
                        .values("case_id").annotate(at=Max("settled_at"))
                        .values_list("case_id", "at"))
    verified = {("unit", unit_id) if unit_id else ("person", person_id): at
                for unit_id, person_id, at in _verified_changes(
                    {i for kind, i in failed.values() if kind == "unit"},
                    {i for kind, i in failed.values() if kind == "person"})
                .values("unit_id", "person_id").annotate(at=Max("decided_at"))
                .values_list("unit_id", "person_id", "at")}
    return [pk for pk, payee in failed.items()
            if payee in verified and pk in last_failure and verified[payee] > last_failure[pk]]


def _paying_account_for(region_code: str, accounts: list[PayingAccount]) -> PayingAccount | None:
    for account in accounts:  # most specific region first
        code = account.region_code
        if code == region_code or (code.endswith("0000") and code[:2] == region_code[:2]) or (
                code.endswith("00") and code[:4] == region_code[:4]):
            return account
    return None


def build_batches(*, actor: User, region_code: str, program: str,
                  channel: str = Channel.CONSOLE, request_id: str = "") -> BuildResult:
    """Put every payable case of ``program`` in ``region_code`` into draft batches.

    One batch per paying account. Each payment's amount is its case's refund less any offset
    against an outstanding receivable of the same unit or person (the oldest first). Nothing changes if
    a budget or a paying account is missing.
    """
    require_role(actor, Action.PAYMENT_STARTED)
    require_region(actor, region_code)
    scope = Case.objects.in_region(region_code).for_program(program)
    ids = list(scope.payable().filter(amount_fen__gt=0).values_list("pk", flat=True)) \
        + repayable_failed(scope)
    if not ids:
        raise NothingToDo(f"{region_code} 没有待拨付的 {program} 案件",
                          f"no payable {program} case in {region_code}")
    cases = list(Case.objects.filter(pk__in=ids).select_related("unit", "person").order_by("pk"))
    accounts = receiving_accounts(cases)
    without_account = [c.pk for c in cases if c.pk not in accounts]
    paying_accounts = list(PayingAccount.objects.filter(active=True).order_by("-region_code"))
    groups: dict[tuple[int, int], list[Case]] = defaultdict(list)
    for case in cases:
        if case.pk not in accounts:
            continue
        paying = _paying_account_for(case.beneficiary_region_code, paying_accounts)
        if paying is None:
            raise PayingAccountMissing(case.beneficiary_region_code)
        groups[(paying.pk, case.refund_year)].append(case)
    by_pk = {a.pk: a for a in paying_accounts}
    budgets = {key: ledger.budget_for(by_pk[key[0]].region_code, program, key[1])
               for key in groups}
    batches = []
    with transaction.atomic():
        for key, members in groups.items():
            batches.append(_create_batch(by_pk[key[0]], budgets[key], program, members, accounts,
                                         actor=actor, channel=channel, request_id=request_id))
    return BuildResult(batches, without_account)


def _payee(record: Case | Receivable | AccountChange) -> tuple[str, int]:
    """Whom a case pays or a receivable is owed by: ("unit", id) or ("person", id)."""
    return ("unit", record.unit_id) if record.unit_id else ("person", record.person_id)


def _offsets(cases: list[Case]) -> dict[tuple[str, int], list[Receivable]]:
    """Receivables with money still to offset, per unit or person, oldest first (rows locked)."""
    by_payee: dict[tuple[str, int], list[Receivable]] = defaultdict(list)
    owing = (Receivable.objects.filter(unit_id__in={c.unit_id for c in cases if c.unit_id})
             | Receivable.objects.filter(person_id__in={c.person_id for c in cases if c.person_id}))
    for receivable in (owing.select_for_update()
                       .filter(amount_fen__gt=F("settled_fen") + F("earmarked_fen"))
                       .order_by("raised_at", "id")):
        by_payee[_payee(receivable)].append(receivable)
    return by_payee


def _create_batch(paying: PayingAccount, budget, program: str, cases: list[Case],
                  accounts: dict[int, AccountChange | Case], *, actor: User, channel: str,
                  request_id: str) -> PaymentBatch:
    now = clock.now()
    batch = PaymentBatch.objects.create(
        paying_account=paying, budget=budget, program=program, message_id=uuid.uuid4().hex[:35],
        execution_date=clock.today(), created_at=now, created_by=actor)
    batch.message_id = f"WG-{paying.region_code}-{batch.pk:08d}"
    moved = set(start_payment_many([c.pk for c in cases], actor=actor, batch_id=batch.pk,
                                   channel=channel, request_id=request_id))
    if len(moved) != len(cases):  # another officer batched some of them meanwhile
        raise ConcurrentChange(next(c.pk for c in cases if c.pk not in moved))
    receivables = _offsets(cases)
    earmarks: dict[int, int] = defaultdict(int)
    payments = []
    for sequence, case in enumerate(cases, start=1):
        source = accounts[case.pk]
        change = source if isinstance(source, AccountChange) else None
        offset, owed = 0, None
        for receivable in receivables.get(_payee(case), []):
            left = receivable.amount_fen - receivable.settled_fen - receivable.earmarked_fen \
                - earmarks[receivable.pk]
            if left > 0:
                owed, offset = receivable, min(left, case.amount_fen)
                earmarks[receivable.pk] += offset
                break
        payments.append(Payment(
            batch=batch, sequence=sequence, case=case, unit=case.unit, person=case.person,
            end_to_end_id=f"WG{batch.pk:08d}{sequence:07d}", case_state_before=case.state,
            gross_fen=case.amount_fen, offset_fen=offset, amount_fen=case.amount_fen - offset,
            offset_receivable=owed, payee_name=case.beneficiary_name,
            payee_bank=change.bank_name if change else case.unit.bank_name if case.unit_id else "",
            account_change=change, **source.account_fields()))
    Payment.objects.bulk_create(payments, batch_size=2000)
    for receivable_id, amount in earmarks.items():
        Receivable.objects.filter(pk=receivable_id).update(earmarked_fen=F("earmarked_fen") + amount)
    batch.payment_count = sum(1 for p in payments if p.amount_fen > 0)
    batch.gross_fen = sum(p.gross_fen for p in payments)
    batch.total_fen = sum(p.amount_fen for p in payments)
    batch.save(update_fields=["message_id", "payment_count", "gross_fen", "total_fen"])
    return batch


# --- approving and cancelling --------------------------------------------------------------

def _lock_batch(batch: PaymentBatch) -> PaymentBatch:
    return PaymentBatch.objects.select_for_update().select_related("paying_account").get(
        pk=batch.pk)


def approve_batch(batch: PaymentBatch, *, actor: User) -> PaymentBatch:
    """Finance approves a draft batch: its refunds are reserved from the budget."""
    _require_batch_actor(actor, batch, "审批拨付批次", roles=(Role.FINANCE,))
    with transaction.atomic():
        locked = _lock_batch(batch)
        _require_status(locked, "审批", S.DRAFT)
        budget = ledger.lock_budget(locked.budget_id)
        ledger.reserve(budget, locked.gross_fen, actor=actor, batch=locked)
        PaymentBatch.objects.filter(pk=locked.pk).update(status=S.APPROVED,
                                                         approved_at=clock.now(),
                                                         approved_by=actor)
    locked.refresh_from_db()
    return locked


def cancel_batch(batch: PaymentBatch, *, actor: User, reason: str,
                 channel: str = Channel.CONSOLE, request_id: str = "") -> PaymentBatch:
    """Cancel a batch before export: reservation released, offsets freed, cases back."""
    _require_batch_actor(actor, batch, "撤销拨付批次")
    if not reason.strip():
        raise ReasonRequired("撤销拨付批次 / cancel a payment batch")
    with transaction.atomic():
        locked = _lock_batch(batch)
        _require_status(locked, "撤销", S.DRAFT, S.APPROVED)
        if locked.status == S.APPROVED:
            budget = ledger.lock_budget(locked.budget_id)
            ledger.post(budget, LedgerEntry.Kind.RELEASE, locked.gross_fen, actor=actor,
                        batch=locked, note=f"撤销：{reason}"[:200])
        payments = list(locked.payments.values_list("case_id", "case_state_before",
                                                    "offset_receivable_id", "offset_fen"))
        _release_earmarks((r, fen) for _, _, r, fen in payments)
        locked.payments.update(status=Payment.Status.CANCELLED)
        cancel_payment_many({case: State(before) for case, before, _, _ in payments},
                            actor=actor, batch_id=locked.pk, channel=channel,
                            request_id=request_id)
        PaymentBatch.objects.filter(pk=locked.pk).update(status=S.CANCELLED)
    locked.refresh_from_db()
    return locked


def _release_earmarks(offsets) -> None:
    freed: dict[int, int] = defaultdict(int)
    for receivable_id, fen in offsets:
        if receivable_id is not None and fen:
            freed[receivable_id] += fen
    for receivable_id, fen in freed.items():
        Receivable.objects.filter(pk=receivable_id).update(earmarked_fen=F("earmarked_fen") - fen)


# --- exporting -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Export:
    batch: PaymentBatch
    csv_path: Path
    xml_path: Path
    count: int
    total_fen: int
    csv_sha256: str
    xml_sha256: str
    first: bool
    """False for a re-export: the same bytes as the first time."""


def transfer_file(batch: PaymentBatch) -> bankfiles.TransferFile:
    """The batch as the bank sees it: the only place account numbers are opened."""
    return _transfer_file(batch, _transfer_rows(batch))


def _transfer_rows(batch: PaymentBatch) -> list[tuple]:
    return list(batch.payments.filter(amount_fen__gt=0).order_by("sequence")
                .values_list("sequence", "end_to_end_id", "amount_fen", "payee_name", "payee_bank",
                             "account_sealed", Coalesce("unit__uscc", "person__resident_id_digest"),
                             "case_id", "case__program_kind"))


def _transfer_file(batch: PaymentBatch, rows: list[tuple]) -> bankfiles.TransferFile:
    """``transfer_file`` from rows already read (no database: see ``_bank_files``)."""
    paying = batch.paying_account
    return bankfiles.TransferFile(
        message_id=batch.message_id, created_at=batch.created_at.astimezone(CHINA),
        execution_date=batch.execution_date, initiator=paying.holder_name,
        debtor_name=paying.holder_name, debtor_account=paying.account_number,
        debtor_bank=paying.bank_name,
        transfers=tuple(bankfiles.Transfer(
            sequence=sequence, end_to_end_id=e2e, amount_fen=fen, payee_name=name,
            payee_account=open_account(sealed, owner=owner), payee_bank=bank,
            remittance=f"{batch.program} {_PURPOSE.get(kind, _PURPOSE[''])} 案件{case_id}")
            for sequence, e2e, fen, name, bank, sealed, owner, case_id, kind in rows))


_PURPOSE = {"": "失业保险稳岗返还", TRAINING: "失业保险培训补贴"}
"""What the bank file says the money is for, by the case's program kind."""


def export_batch(batch: PaymentBatch, *, actor: User, out_dir: Path,
                 channel: str = Channel.CONSOLE, request_id: str = "") -> Export:
    """Write the batch's bank files (CSV and pain.001) into ``out_dir``.

    The first export checks both files, records their SHA-256 and marks the batch and its
    payments exported — in one transaction, before any file is written, so a crash at any point
    leaves either an approved batch (export again) or an exported one whose files a re-export
    rewrites. A re-export must give the recorded bytes; anything else is refused. Payments a
    receivable offset entirely are settled here: no transfer is sent for them.
    """
    _require_batch_actor(actor, batch, "导出拨付批次")
    with transaction.atomic():
        locked = _lock_batch(batch)
        _require_status(locked, "导出", S.APPROVED, S.EXPORTED, S.RECONCILED)
        first = locked.status == S.APPROVED
        rows = _transfer_rows(locked)
        # The files are built and checked in a worker thread (it touches no database) while
        # this one marks the payments exported: the database's update of 100,000 rows runs
        # beside the checks instead of after them. A bad file still rolls it all back.
        with ThreadPoolExecutor(max_workers=1) as pool:
            building = pool.submit(_bank_files, locked, rows, check=first)
            if first:
                locked.payments.filter(amount_fen__gt=0).update(status=Payment.Status.EXPORTED)
            files = building.result()
        file, csv_bytes, xml_bytes = files.file, files.csv, files.xml
        csv_sha, xml_sha = files.csv_sha256, files.xml_sha256
        if first:
            if files.problems:
                raise BankFileInvalid(f"拨付批次 {locked.pk} 的银行文件", files.problems)
            PaymentBatch.objects.filter(pk=locked.pk).update(
                status=S.EXPORTED, exported_at=clock.now(), csv_sha256=csv_sha, xml_sha256=xml_sha)
            offset_only = payment_rows(locked.payments.filter(amount_fen=0))
            if offset_only:
                settle(offset_only, paid=True, actor=actor, channel=channel,
                       request_id=request_id, return_file=None)
                close_if_settled(locked)
        elif (csv_sha, xml_sha) != (locked.csv_sha256, locked.xml_sha256):
            raise BankFileInvalid(f"拨付批次 {locked.pk} 的重新导出",
                                  ["与首次导出的文件不一致 / differs from the first export"])
    locked.refresh_from_db()
    out_dir.mkdir(parents=True, exist_ok=True)
    stem = out_dir / f"batch-{locked.pk}"
    csv_path, xml_path = stem.with_suffix(".csv"), stem.with_suffix(".pain001.xml")
    _write_atomically(csv_path, csv_bytes)
    _write_atomically(xml_path, xml_bytes)
    return Export(locked, csv_path, xml_path, file.count, file.total_fen, csv_sha, xml_sha, first)


@dataclass(frozen=True)
class _BankFiles:
    file: bankfiles.TransferFile
    csv: bytes
    xml: bytes
    csv_sha256: str
    xml_sha256: str
    problems: list[str]
    """Every rule the files break (checked on a first export only)."""


def _bank_files(batch: PaymentBatch, rows: list[tuple], *, check: bool) -> _BankFiles:
    """Build both bank files of ``rows`` and fingerprint them; ``check``: check them too.

    No database access (its paying account is already loaded): ``export_batch`` runs this in
    a worker thread."""
    file = _transfer_file(batch, rows)
    csv_bytes, xml_bytes = bankfiles.write_csv(file), bankfiles.write_pain001(file)
    problems: list[str] = []
    if check:
        problems = (bankfiles.check_pain001(xml_bytes)
                    + bankfiles.check_csv(csv_bytes, count=batch.payment_count,
                                          total_fen=batch.total_fen))
        if file.count != batch.payment_count or file.total_fen != batch.total_fen:
            problems.append("文件合计与批次控制数不符 / file totals differ from the batch")
    return _BankFiles(file, csv_bytes, xml_bytes, _sha256(csv_bytes), _sha256(xml_bytes), problems)


def _sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


def _write_atomically(path: Path, data: bytes) -> None:
    """Write beside, flush to disk, rename: a reader never sees half a bank file."""
    temporary = path.with_name(f".{path.name}.{os.getpid()}.tmp")
    with temporary.open("wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, path)
