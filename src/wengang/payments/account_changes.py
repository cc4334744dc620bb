"""Changing a unit's receiving account (收款账户变更), verified before any payment uses it.

Three checks stand between a request and money: the holder name must be the unit's name
(a refund goes only to the unit's own account), a cooling-off period of working days lets the
unit notice a change it did not ask for, and a staff member other than the requester approves
it. The ``AccountChange`` row is the record: who asked, when, through which channel, who
decided and why. A failed payment is re-paid only to an account verified after the failure.
"""

import re
import unicodedata
from datetime import date

from django.db import transaction

from wengang.accounts.models import Role, User
from wengang.cases.calendar import deadline_after, work_calendar
from wengang.cases.errors import NotOwnUnit, ReasonRequired, WrongRole
from wengang.cases.models import AccountKind, Channel, Unit, sealed_account_fields
from wengang.cases.workflow import note_verified_account_many, require_region
from wengang.core.clock import clock
from wengang.core.ids import mask_account

from .errors import AccountChangeRefused
from .models import AccountChange

COOLING_OFF_WORKDAYS = 3
"""Working days between a request and the earliest approval (a default; no policy sets it)."""

_ACCOUNT = re.compile(r"^[0-9]{8,34}$")


def same_name(holder_name: str, unit_name: str) -> bool:
    """Names compare after Unicode NFKC and without spaces: （） and () are the same bracket."""
    def norm(name: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
    return norm(holder_name) == norm(unit_name)


def request_account_change(unit: Unit, *, actor: User, account_number: str, bank_name: str,
                           holder_name: str, channel: str = Channel.ONLINE,
                           today: date | None = None) -> AccountChange:
    """Record a unit's request for a new receiving account; refused at once if the holder is
    not the unit. The enterprise asks for its own unit; an officer may record it for one."""
    if actor.role == Role.ENTERPRISE:
        if actor.uscc != unit.uscc:
            raise NotOwnUnit(unit.uscc)
    elif actor.role == Role.AGENCY:
        require_region(actor, unit.region_code)
    else:
        raise WrongRole("申请变更收款账户", str(actor.role),
                        (str(Role.ENTERPRISE.label), str(Role.AGENCY.label)))
    number = account_number.strip()
    if not _ACCOUNT.match(number):
        raise AccountChangeRefused(f"收款账号 {mask_account(number)} 格式不正确（应为 8–34 位数字）",
                                   f"account {mask_account(number)} must be 8 to 34 digits")
    if not same_name(holder_name, unit.name):
        raise AccountChangeRefused(f"户名“{holder_name}”与单位名称“{unit.name}”不一致：返还资金只能拨付至本单位账户",
                                   f"holder {holder_name!r} is not the unit {unit.name!r}: "
                                   "refunds go only to the unit's own account")
    if not bank_name.strip():
        raise ReasonRequired("填写开户银行 / give the bank")
    today = today or clock.today()
    return AccountChange.objects.create(
        unit=unit, **sealed_account_fields(number, AccountKind.BANK, owner=unit.uscc),
        bank_name=bank_name.strip(),
        holder_name=holder_name.strip(), requested_at=clock.now(), requested_by=actor,
        channel=channel,
        verifiable_from=deadline_after(work_calendar(), today, COOLING_OFF_WORKDAYS))


def decide_account_change(change: AccountChange, *, actor: User, approve: bool, note: str,
                          channel: str = Channel.CONSOLE, request_id: str = "",
                          today: date | None = None) -> AccountChange:
    """An officer verifies (from the cooling-off's end) or refuses a requested change.

    A verified change is noted in the timeline of the unit's payable and failed cases.
    """
    if actor.role != Role.AGENCY or not actor.is_active:
        raise WrongRole("核实收款账户变更", str(actor.role), (str(Role.AGENCY.label),))
    require_region(actor, change.unit.region_code)
    if not note.strip():
        raise ReasonRequired("核实收款账户变更 / decide an account change")
    today = today or clock.today()
    with transaction.atomic():
        locked = AccountChange.objects.select_for_update().get(pk=change.pk)
        if locked.status != AccountChange.Status.PENDING:
            raise AccountChangeRefused(f"账户变更 {locked.pk} 已处理（{locked.get_status_display()}）",
                                       f"account change {locked.pk} is already {locked.status}")
        if locked.requested_by_id == actor.pk:
            raise AccountChangeRefused("申请人不能核实自己提交的账户变更",
                                       "the requester may not approve their own change")
        if approve and today < locked.verifiable_from:
            raise AccountChangeRefused(
                f"账户变更 {locked.pk} 冷静期未满，{locked.verifiable_from} 起方可核实通过",
                f"account change {locked.pk} is in its cooling-off period until "
                f"{locked.verifiable_from}")
        locked.status = AccountChange.Status.APPROVED if approve else AccountChange.Status.REJECTED
        locked.decided_at, locked.decided_by, locked.decision_note = clock.now(), actor, note[:200]
        locked.save(update_fields=["status", "decided_at", "decided_by", "decision_note"])
        if approve:
            note_verified_account_many(
                list(locked.unit.cases.values_list("pk", flat=True)), actor=actor,
                reason=f"收款账户变更 #{locked.pk} 已核实：此后拨付至 {locked.account_masked}（{note}）",
                channel=channel, request_id=request_id)
    return locked
