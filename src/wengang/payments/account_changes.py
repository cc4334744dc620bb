"""Changing a beneficiary's receiving account (收款账户变更), verified before any payment uses it.

The beneficiary is a unit (a refund) or a person (a training subsidy, paid to their
social-security card account): one procedure for both. Three checks stand between a request and
money: the holder name must be the unit's name or the person's own (money goes only to the
beneficiary's own account), a cooling-off period of working days lets the beneficiary notice a
change they did not ask for, and a staff member other than the requester approves it. The
``AccountChange`` row is the record: who asked, when, through which channel, who decided and
why. The next batch pays to the latest verified change (``batches.receiving_accounts``); a
failed payment is re-paid only to an account verified after the failure.

A person's request is refused when none of their subsidies can take a new account any more
(all paid, closed or already sent to the bank): a change would reach nothing.
"""

import re
import unicodedata
from datetime import date

from django.db import transaction

from wengang.accounts.models import Role, User
from wengang.cases.calendar import deadline_after, work_calendar
from wengang.cases.errors import NotOwnUnit, ReasonRequired, WrongRole
from wengang.cases.models import (
    CLOSED_STATES,
    AccountKind,
    CaseQuerySet,
    Channel,
    Person,
    State,
    Unit,
    sealed_account_fields,
)
from wengang.cases.workflow import note_verified_account_many, require_region
from wengang.core.clock import clock
from wengang.core.ids import mask_account

from .errors import AccountChangeRefused
from .models import AccountChange, Payment

COOLING_OFF_WORKDAYS = 3
"""Working days between a request and the earliest approval (a default; no policy sets it)."""

_ACCOUNT = re.compile(r"^[0-9]{8,34}$")


def same_name(holder_name: str, unit_name: str) -> bool:
    """Names compare after Unicode NFKC and without spaces: （） and () are the same bracket."""
    def norm(name: str) -> str:
        return re.sub(r"\s+", "", unicodedata.normalize("NFKC", name))
    return norm(holder_name) == norm(unit_name)


def still_to_pay(payee: Unit | Person) -> CaseQuerySet:
    """The beneficiary's cases a new account can still reach: open, not paid, not yet sent to
    the bank (a payment exported or paid is immutable; a failed one is re-paid)."""
    sent = Payment.objects.filter(status__in=(Payment.Status.EXPORTED, Payment.Status.PAID))
    return (payee.cases.exclude(state__in=(State.PAID, *CLOSED_STATES))
            .exclude(pk__in=sent.values("case_id")))


def require_requester(actor: User, payee: Unit | Person) -> None:
    """The beneficiary asks for itself (an enterprise for its unit, a person for themselves, by
    the blind index of their ID); an officer of the region may record it at the counter."""
    own = Role.PERSON if isinstance(payee, Person) else Role.ENTERPRISE
    if actor.role == Role.AGENCY:
        require_region(actor, payee.region_code)
    elif actor.role != own:
        raise WrongRole("申请变更收款账户", str(actor.role), (str(own.label), str(Role.AGENCY.label)))
    elif own == Role.ENTERPRISE and actor.uscc != payee.uscc:
        raise NotOwnUnit(payee.uscc)
    elif own == Role.PERSON and actor.resident_id_digest != payee.resident_id_digest:
        raise AccountChangeRefused("只能为本人申请变更收款账户",
                                   "a person may ask only for their own account")


def _require_holder(holder_name: str, payee: Unit | Person) -> None:
    if same_name(holder_name, payee.name):
        return
    if isinstance(payee, Person):  # the name is the person's: not echoed back
        raise AccountChangeRefused(f"户名“{holder_name}”与本人姓名不一致：补贴只能发放至本人账户",
                                   f"holder {holder_name!r} is not the person: "
                                   "subsidies go only to the person's own account")
    raise AccountChangeRefused(f"户名“{holder_name}”与单位名称“{payee.name}”不一致：返还资金只能拨付至本单位账户",
                               f"holder {holder_name!r} is not the unit {payee.name!r}: "
                               "refunds go only to the unit's own account")


def request_account_change(payee: Unit | Person, *, actor: User, account_number: str,
                           bank_name: str, holder_name: str, channel: str = Channel.ONLINE,
                           today: date | None = None) -> AccountChange:
    """Record a unit's or a person's request for a new receiving account; refused at once if
    the number is malformed, the holder is not the beneficiary, or (a person) no subsidy is
    left that the new account could reach. Nothing is stored when refused."""
    require_requester(actor, payee)
    number = account_number.strip()
    if not _ACCOUNT.match(number):
        raise AccountChangeRefused(f"收款账号 {mask_account(number)} 格式不正确（应为 8–34 位数字）",
                                   f"account {mask_account(number)} must be 8 to 34 digits")
    _require_holder(holder_name, payee)
    if not bank_name.strip():
        raise ReasonRequired("填写开户银行 / give the bank")
    person = payee if isinstance(payee, Person) else None
    if person is not None and not still_to_pay(person).exists():
        raise AccountChangeRefused(
            "您的补贴均已拨付、已办结或已报送银行，变更收款账户不会影响任何一笔补贴；如未到账请联系参保地经办机构",
            "every subsidy of this person is paid, closed or already sent to the bank: "
            "a new account would reach none of them")
    today = today or clock.today()
    return AccountChange.objects.create(
        unit=None if person else payee, person=person,
        **sealed_account_fields(number, AccountKind.BANK, owner=payee.account_owner),
        bank_name=bank_name.strip(),
        holder_name=holder_name.strip(), requested_at=clock.now(), requested_by=actor,
        channel=channel,
        verifiable_from=deadline_after(work_calendar(), today, COOLING_OFF_WORKDAYS))


def decide_account_change(change: AccountChange, *, actor: User, approve: bool, note: str,
                          channel: str = Channel.CONSOLE, request_id: str = "",
                          today: date | None = None) -> AccountChange:
    """An officer verifies (from the cooling-off's end) or refuses a requested change.

    A verified change is noted in the timeline of the beneficiary's payable and failed cases.
    """
    if actor.role != Role.AGENCY or not actor.is_active:
        raise WrongRole("核实收款账户变更", str(actor.role), (str(Role.AGENCY.label),))
    require_region(actor, change.payee.region_code)
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
                list(locked.payee.cases.values_list("pk", flat=True)), actor=actor,
                reason=f"收款账户变更 #{locked.pk} 已核实：此后拨付至 {locked.account_masked}（{note}）",
                channel=channel, request_id=request_id)
    return locked
