"""Fund budgets and their ledger, paying accounts, payment batches and payments, bank return
files, account changes and receivables (clawback).

Invariants the database holds, not only the code:

- a budget's balances are never negative and always add up to what was allocated
  (``budget_balances_add_up``): money is never lost, and nothing is paid beyond the budget;
- at most one successful payment per case (``payment_one_success_per_case``), and at most one
  payment per case that is pending, exported or paid (``payment_one_live_per_case``): a case in
  an exported batch cannot enter another unless its payment failed;
- a receivable is never settled beyond its amount (``receivable_not_oversettled``);
- a receivable has at most one open write-off proposal, decided by someone other than who
  proposed it (``write_off_one_open_per_receivable``, ``write_off_decided_by_another``);
- an account change names one beneficiary, a unit or a person (``account_change_one_payee``),
  and is decided by someone other than who asked for it.
"""

from typing import ClassVar

from django.conf import settings
from django.db import models
from django.db.models import F, Q
from django.utils.translation import gettext_lazy as _
from django.utils.translation import pgettext_lazy

from wengang.cases.models import Case, Person, ReceivingAccount, Unit, mask_name
from wengang.cases.models.case import RegionScopedQuerySet
from wengang.cases.models.common import AppendOnlyModel, AppendOnlyQuerySet, region_q
from wengang.core.ids import mask_account

# --- budgets and the ledger ----------------------------------------------------------------

class LedgerAccount(models.TextChoices):
    """Where a budget's money is. ``fund`` is the UI fund outside the budget (the source)."""

    FUND = "fund", _("失业保险基金")
    AVAILABLE = "available", _("可用")
    RESERVED = "reserved", _("已预留")
    PAID = "paid", _("已拨付")
    RECEIVABLE = "receivable", _("应追回")
    WRITTEN_OFF = "written_off", _("已核销")


class Budget(models.Model):
    """The money finance allots to one program's refunds in one region for one refund year.

    The balance fields are the ledger's running totals, kept in the same transaction as each
    entry; ``payments.ledger.check_ledger`` proves them against the entries and the payments.
    """

    region_code = models.CharField(_("行政区划"), max_length=6)
    program = models.CharField(_("政策项目"), max_length=32)
    year = models.PositiveSmallIntegerField(_("返还年度"))
    allocated_fen = models.BigIntegerField(_("预算总额（分）"), default=0)
    available_fen = models.BigIntegerField(_("可用（分）"), default=0)
    reserved_fen = models.BigIntegerField(_("已预留（分）"), default=0)
    paid_fen = models.BigIntegerField(_("已拨付（分）"), default=0)
    receivable_fen = models.BigIntegerField(_("应追回（分）"), default=0)
    written_off_fen = models.BigIntegerField(_("已核销（分）"), default=0)
    created_at = models.DateTimeField(_("录入时间"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("录入人"),
                                   on_delete=models.PROTECT, related_name="+")

    class Meta:
        verbose_name = _("资金预算")
        verbose_name_plural = _("资金预算")
        constraints = (
            models.UniqueConstraint(fields=["region_code", "program", "year"],
                                    name="budget_one_per_region_program_year"),
            models.CheckConstraint(
                condition=Q(available_fen__gte=0, reserved_fen__gte=0, paid_fen__gte=0,
                            receivable_fen__gte=0, written_off_fen__gte=0),
                name="budget_balances_not_negative"),
            models.CheckConstraint(
                condition=Q(allocated_fen=F("available_fen") + F("reserved_fen") + F("paid_fen")
                            + F("receivable_fen") + F("written_off_fen")),
                name="budget_balances_add_up"),
        )

    def __str__(self) -> str:
        return f"{self.region_code} {self.program} {self.year}"


class LedgerEntry(AppendOnlyModel):
    """One movement of money between two ledger accounts of a budget (double entry).

    The books: added, never changed or removed (``AppendOnlyModel``).
    """

    record_names = ("资金台账分录", "ledger entries")

    class Kind(models.TextChoices):
        ALLOCATION = "allocation", _("预算下达")
        RESERVATION = "reservation", _("批次审批预留")
        RELEASE = "release", _("预留退回（撤销或拨付失败）")
        PAYMENT = "payment", _("拨付到账")
        RECEIVABLE = "receivable", _("确认应追回")
        RECOVERY = "recovery", _("追回入账（还款或抵扣）")
        WRITE_OFF = "write_off", _("核销")

    MOVES: ClassVar[dict[str, tuple[str, str]]] = {
        Kind.ALLOCATION: (LedgerAccount.FUND, LedgerAccount.AVAILABLE),
        Kind.RESERVATION: (LedgerAccount.AVAILABLE, LedgerAccount.RESERVED),
        Kind.RELEASE: (LedgerAccount.RESERVED, LedgerAccount.AVAILABLE),
        Kind.PAYMENT: (LedgerAccount.RESERVED, LedgerAccount.PAID),
        Kind.RECEIVABLE: (LedgerAccount.PAID, LedgerAccount.RECEIVABLE),
        Kind.RECOVERY: (LedgerAccount.RECEIVABLE, LedgerAccount.AVAILABLE),
        Kind.WRITE_OFF: (LedgerAccount.RECEIVABLE, LedgerAccount.WRITTEN_OFF),
    }
    """Each kind moves money from one account to another, always the same two."""

    budget = models.ForeignKey(Budget, verbose_name=_("预算"), on_delete=models.PROTECT,
                               related_name="entries")
    at = models.DateTimeField(_("时间"))
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    from_account = models.CharField(_("转出"), max_length=16, choices=LedgerAccount.choices)
    to_account = models.CharField(_("转入"), max_length=16, choices=LedgerAccount.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    batch = models.ForeignKey("PaymentBatch", verbose_name=_("拨付批次"), on_delete=models.PROTECT,
                              null=True, blank=True, related_name="entries")
    return_file = models.ForeignKey("ReturnFile", verbose_name=_("银行回单"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    receivable = models.ForeignKey("Receivable", verbose_name=_("应追回款"),
                                   on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"),
                              on_delete=models.PROTECT, related_name="+")
    note = models.CharField(_("说明"), max_length=200, blank=True)

    objects = AppendOnlyQuerySet.as_manager()

    class Meta:
        verbose_name = _("预算台账")
        verbose_name_plural = _("预算台账")
        ordering = ("at", "id")
        constraints = (
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="ledger_amount_positive"),
            models.CheckConstraint(condition=~Q(from_account=F("to_account")),
                                   name="ledger_moves_between_two_accounts"),
        )

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen} 分"


# --- paying accounts, batches, payments ----------------------------------------------------

class PayingAccountQuerySet(models.QuerySet):
    def covering(self, region_code: str) -> "PayingAccountQuerySet":
        """Accounts whose region contains ``region_code``, the most specific first."""
        prefixes = {region_code, region_code[:4] + "00", region_code[:2] + "0000"}
        return self.filter(region_code__in=prefixes, active=True).order_by("-region_code")


class PayingAccount(models.Model):
    """An account of the UI fund that refunds are paid from (付款账户), for a region."""

    region_code = models.CharField(_("行政区划"), max_length=6)
    holder_name = models.CharField(_("户名"), max_length=140)
    account_number = models.CharField(_("账号"), max_length=34, unique=True)
    bank_name = models.CharField(_("开户银行"), max_length=140)
    active = models.BooleanField(_("启用"), default=True)

    objects = PayingAccountQuerySet.as_manager()

    class Meta:
        verbose_name = _("付款账户")
        verbose_name_plural = _("付款账户")
        constraints = (
            models.UniqueConstraint(fields=["region_code"], condition=Q(active=True),
                                    name="paying_account_one_active_per_region"),
        )

    def __str__(self) -> str:
        return f"{self.holder_name} {mask_account(self.account_number)}"


class PaymentBatchQuerySet(RegionScopedQuerySet):
    """A batch belongs to the region of its paying account (a city's account pays its counties)."""

    region_field = "paying_account__region_code"


class PaymentBatch(models.Model):
    """Payments of one program from one paying account, sent to the bank as one file.

    Built from payable cases (draft), approved by finance (the budget is reserved), exported
    (from then on immutable: a re-export gives the same bytes), reconciled from the bank's
    return files. A draft or approved batch may be cancelled: its cases go back.
    """

    class Status(models.TextChoices):
        DRAFT = "draft", _("待审批")
        APPROVED = "approved", _("已审批")
        EXPORTED = "exported", _("已导出")
        RECONCILED = "reconciled", _("已对账")
        # A context: cases' 已撤销 is a withdrawn case ("Withdrawn"), and that catalogue wins.
        CANCELLED = "cancelled", pgettext_lazy("payments", "已撤销")

    paying_account = models.ForeignKey(PayingAccount, verbose_name=_("付款账户"),
                                       on_delete=models.PROTECT, related_name="batches")
    budget = models.ForeignKey(Budget, verbose_name=_("预算"), on_delete=models.PROTECT,
                               related_name="batches")
    program = models.CharField(_("政策项目"), max_length=32)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices,
                              default=Status.DRAFT)
    message_id = models.CharField(_("报文编号"), max_length=35, unique=True,
                                  help_text=_("ISO 20022 MsgId，银行回单据此对应。"))
    execution_date = models.DateField(_("要求付款日"))
    created_at = models.DateTimeField(_("建批时间"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("建批人"),
                                   on_delete=models.PROTECT, related_name="+")
    approved_at = models.DateTimeField(_("审批时间"), null=True, blank=True)
    approved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审批人"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    exported_at = models.DateTimeField(_("导出时间"), null=True, blank=True)
    payment_count = models.PositiveIntegerField(_("笔数"), default=0)
    gross_fen = models.BigIntegerField(_("返还金额合计（分）"), default=0)
    total_fen = models.BigIntegerField(_("付款金额合计（分）"), default=0,
                                       help_text=_("返还金额减去抵扣追回款，即银行文件的金额合计。"))
    csv_sha256 = models.CharField(_("CSV 文件 SHA-256"), max_length=64, blank=True)
    xml_sha256 = models.CharField(_("pain.001 文件 SHA-256"), max_length=64, blank=True)

    objects = PaymentBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("拨付批次")
        verbose_name_plural = _("拨付批次")
        ordering = ("id",)
        constraints = (
            models.CheckConstraint(condition=Q(total_fen__lte=F("gross_fen"), total_fen__gte=0),
                                   name="batch_total_within_gross"),
            models.CheckConstraint(
                condition=~Q(status__in=["exported", "reconciled"])
                | (~Q(csv_sha256="") & ~Q(xml_sha256="") & Q(exported_at__isnull=False)),
                name="batch_exported_has_fingerprints"),
        )

    def __str__(self) -> str:
        return f"拨付批次 #{self.pk} {self.program} · {self.get_status_display()}"


class PaymentQuerySet(models.QuerySet):
    def live(self) -> "PaymentQuerySet":
        return self.filter(status__in=Payment.LIVE)

    def in_region(self, region_code: str) -> "PaymentQuerySet":
        # As ``CaseQuerySet.in_region``: IN (subquery), so no outer join (rows can be locked).
        return self.filter(Q(unit__in=Unit.objects.in_region(region_code).values("pk"))
                           | Q(person__in=Person.objects.in_region(region_code).values("pk")))


ONE_PAYEE = Q(unit__isnull=False, person__isnull=True) | Q(unit__isnull=True, person__isnull=False)
"""A payment, receivable or account change names its beneficiary: a unit or a person, exactly one."""


class Payee:
    """A record of one beneficiary (``ONE_PAYEE``): a unit, or a person of a training subsidy."""

    @property
    def account_owner(self) -> str:
        return self.unit.uscc if self.unit_id else self.person.resident_id_digest

    @property
    def payee(self) -> Unit | Person:
        return self.unit if self.unit_id else self.person

    @property
    def payee_name_masked(self) -> str:
        """The payee as lists show it: a unit's name, a person's masked (张*三)."""
        return self.unit.name if self.unit_id else self.person.name_masked


class Payment(Payee, ReceivingAccount):
    """One payment to one beneficiary (a unit's refund, a person's or a unit's training
    subsidy) for one case, in one batch, to the account it was built with.

    The account is a sealed copy (``ReceivingAccount``) of the case's account or of a verified
    account change: what was paid where stays on record, and a re-export opens the same number.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待导出")
        EXPORTED = "exported", _("已发送银行")
        PAID = "paid", _("已到账")
        FAILED = "failed", _("失败")
        CANCELLED = "cancelled", pgettext_lazy("payments", "已撤销")

    LIVE = (Status.PENDING, Status.EXPORTED, Status.PAID)

    # Indexes: settling a payment is an UPDATE that touches every index of the row (the status
    # feeds the partial unique indexes, so none is HOT): the batch leads the (batch, sequence)
    # constraint, and the rarely set references are indexed only where set.
    batch = models.ForeignKey(PaymentBatch, verbose_name=_("拨付批次"), on_delete=models.PROTECT,
                              related_name="payments", db_index=False)
    sequence = models.PositiveIntegerField(_("批内序号"))
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="payments")
    unit = models.ForeignKey(Unit, verbose_name=_("参保单位"), on_delete=models.PROTECT,
                             related_name="payments", null=True, blank=True)
    person = models.ForeignKey(Person, verbose_name=_("个人"), on_delete=models.PROTECT,
                               related_name="payments", null=True, blank=True, db_index=False)
    end_to_end_id = models.CharField(_("端到端编号"), max_length=35)  # unique: Meta.constraints
    case_state_before = models.CharField(_("入批前案件状态"), max_length=24)
    gross_fen = models.BigIntegerField(pgettext_lazy("payments", "返还金额（分）"))
    offset_fen = models.BigIntegerField(_("抵扣追回款（分）"), default=0)
    amount_fen = models.BigIntegerField(_("付款金额（分）"))
    offset_receivable = models.ForeignKey("Receivable", verbose_name=_("抵扣的应追回款"),
                                          on_delete=models.PROTECT, null=True, blank=True,
                                          related_name="offset_payments", db_index=False)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    payee_name = models.CharField(_("收款户名"), max_length=140)
    payee_bank = models.CharField(_("收款银行"), max_length=140, blank=True)
    account_change = models.ForeignKey("AccountChange", verbose_name=_("账户变更"),
                                       on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", db_index=False,
                                       help_text=_("空：案件登记的收款账户。"))
    # Not indexed: nothing looks payments up by return file, and a return file is never
    # deleted (PROTECT); the index was one more entry for every settled payment to maintain.
    return_file = models.ForeignKey("ReturnFile", verbose_name=_("银行回单"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="payments", db_index=False)
    settled_at = models.DateTimeField(_("到账或失败时间"), null=True, blank=True)
    failure_code = models.CharField(_("失败代码"), max_length=8, blank=True)
    failure_reason = models.CharField(_("失败原因"), max_length=200, blank=True)

    objects = PaymentQuerySet.as_manager()

    class Meta:
        verbose_name = _("拨付")
        verbose_name_plural = _("拨付")
        ordering = ("batch_id", "sequence")
        constraints = (
            models.UniqueConstraint(fields=["case"], condition=Q(status="paid"),
                                    name="payment_one_success_per_case"),
            models.UniqueConstraint(fields=["case"],
                                    condition=Q(status__in=["pending", "exported", "paid"]),
                                    name="payment_one_live_per_case"),
            models.UniqueConstraint(fields=["batch", "sequence"], name="payment_sequence_in_batch"),
            # A constraint rather than ``unique=True``: on PostgreSQL that adds a second index
            # (for LIKE patterns) which nothing queries.
            models.UniqueConstraint(fields=["end_to_end_id"], name="payment_end_to_end_id_unique"),
            models.CheckConstraint(condition=Q(gross_fen__gt=0, offset_fen__gte=0, amount_fen__gte=0,
                                               amount_fen=F("gross_fen") - F("offset_fen")),
                                   name="payment_amount_is_gross_less_offset"),
            models.CheckConstraint(condition=Q(offset_fen=0) | Q(offset_receivable__isnull=False),
                                   name="payment_offset_names_receivable"),
            models.CheckConstraint(condition=~Q(status="failed") | ~Q(failure_reason=""),
                                   name="payment_failure_has_reason"),
            models.CheckConstraint(condition=~Q(account_sealed=""), name="payment_has_account"),
            models.CheckConstraint(condition=ONE_PAYEE, name="payment_one_payee"),
        )
        indexes = (
            models.Index(fields=["person"], condition=Q(person__isnull=False),
                         name="payment_person"),
            models.Index(fields=["offset_receivable"], condition=Q(offset_receivable__isnull=False),
                         name="payment_offset_receivable"),
            models.Index(fields=["account_change"], condition=Q(account_change__isnull=False),
                         name="payment_account_change"),
        )

    def __str__(self) -> str:
        return f"{self.end_to_end_id} · {self.get_status_display()}"


class ReturnFile(models.Model):
    """A bank return file applied to payments; the same bytes are never applied twice."""

    class Format(models.TextChoices):
        CSV = "csv", _("通用 CSV 回单")
        PAIN002 = "pain.002", _("ISO 20022 pain.002 状态报告")
        CAMT054 = "camt.054", _("ISO 20022 camt.054 借记通知")

    name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("SHA-256"), max_length=64, unique=True)
    format = models.CharField(_("格式"), max_length=16, choices=Format.choices)
    applied_at = models.DateTimeField(_("对账时间"))
    applied_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("对账人"),
                                   on_delete=models.PROTECT, related_name="+")
    paid_count = models.PositiveIntegerField(_("到账笔数"))
    paid_fen = models.BigIntegerField(_("到账金额（分）"))
    failed_count = models.PositiveIntegerField(_("失败笔数"))
    failed_fen = models.BigIntegerField(_("失败金额（分）"))

    class Meta:
        verbose_name = _("银行回单")
        verbose_name_plural = _("银行回单")
        ordering = ("applied_at", "id")

    def __str__(self) -> str:
        return f"{self.name}（{self.get_format_display()}）"


# --- account changes -----------------------------------------------------------------------

class AccountChangeQuerySet(RegionScopedQuerySet):
    """Account changes of the units and persons of a user's region (staff only)."""

    def in_region(self, region_code: str) -> "AccountChangeQuerySet":
        return self.filter(region_q("unit__region_code", region_code)
                           | region_q("person__region_code", region_code))


class AccountChange(Payee, ReceivingAccount):
    """A unit's or a person's request to be paid into another account, verified before any
    payment uses it.

    The holder name must be the unit's name, or the person's own (checked when asked), the
    change waits out a cooling-off period and is approved by staff other than the requester: a
    hijacked login alone cannot divert a refund or a subsidy. The row is the record of the
    change (who asked, who decided).
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待核实")
        APPROVED = "approved", _("已核实")
        REJECTED = "rejected", _("不予变更")

    unit = models.ForeignKey(Unit, verbose_name=_("参保单位"), on_delete=models.PROTECT,
                             related_name="account_changes", null=True, blank=True)
    person = models.ForeignKey(Person, verbose_name=_("个人"), on_delete=models.PROTECT,
                               related_name="account_changes", null=True, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=140)
    holder_name = models.CharField(_("户名"), max_length=140)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    requested_at = models.DateTimeField(_("申请时间"))
    requested_by = models.ForeignKey(settings.AUTH_USER_MODEL,
                                     verbose_name=pgettext_lazy("payments", "申请人"),
                                     on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("渠道"), max_length=16)
    verifiable_from = models.DateField(_("冷静期满日"),
                                       help_text=_("冷静期（工作日）届满，自此日起方可核实通过。"))
    decided_at = models.DateTimeField(_("核实时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("核实人"),
                                   on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decision_note = models.CharField(_("核实意见"), max_length=200, blank=True)

    objects = AccountChangeQuerySet.as_manager()

    class Meta:
        verbose_name = _("收款账户变更")
        verbose_name_plural = _("收款账户变更")
        ordering = ("requested_at", "id")
        constraints = (
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True)
                | (~Q(status="pending") & Q(decided_by__isnull=False)
                   & ~Q(decided_by=F("requested_by"))),
                name="account_change_decided_by_another"),
            models.CheckConstraint(condition=ONE_PAYEE, name="account_change_one_payee"),
        )

    def __str__(self) -> str:
        return f"{self.payee_name_masked} → {self.account_masked} · {self.get_status_display()}"

    @property
    def holder_name_masked(self) -> str:
        """The holder as lists show it: a unit's name, a person's masked like their name."""
        return self.holder_name if self.unit_id else mask_name(self.holder_name)


# --- receivables ---------------------------------------------------------------------------

class ReceivableQuerySet(models.QuerySet):
    def visible_to(self, user) -> "ReceivableQuerySet":
        """By the case's scope: a unit's or a person's (training subsidy) receivable alike."""
        return self.filter(case__in=Case.objects.visible_to(user))


class Receivable(models.Model):
    """Money a unit or a person must pay back (追回): an improper or reversed refund or subsidy
    that was already paid.

    Settled by repayments, by offset against a later payment to the same unit or person, or
    written off (reason and approver). ``earmarked_fen`` is held by offsets of payments not yet
    settled.
    """

    class Source(models.TextChoices):
        AUDIT_FINDING = "audit_finding", _("审计发现")
        UPHELD_OBJECTION = "upheld_objection", _("拨付后异议成立")
        REVERSED_DECISION = "reversed_decision", _("决定撤销")

    unit = models.ForeignKey(Unit, verbose_name=_("参保单位"), on_delete=models.PROTECT,
                             related_name="receivables", null=True, blank=True)
    person = models.ForeignKey(Person, verbose_name=_("个人"), on_delete=models.PROTECT,
                               related_name="receivables", null=True, blank=True)
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="receivables")
    budget = models.ForeignKey(Budget, verbose_name=_("预算"), on_delete=models.PROTECT,
                               related_name="receivables")
    source = models.CharField(pgettext_lazy("payments", "来源"), max_length=24,
                              choices=Source.choices)
    reason = models.TextField(_("理由"))
    amount_fen = models.BigIntegerField(_("应追回金额（分）"))
    due_on = models.DateField(_("缴回期限"))
    notice_sent_on = models.DateField(_("追回通知日"), null=True, blank=True)
    raised_at = models.DateTimeField(_("确认时间"))
    raised_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("确认人"),
                                  on_delete=models.PROTECT, related_name="+")
    settled_fen = models.BigIntegerField(_("已结清（分）"), default=0,
                                         help_text=_("还款、抵扣与核销之和。"))
    earmarked_fen = models.BigIntegerField(_("待抵扣（分）"), default=0)

    objects = ReceivableQuerySet.as_manager()

    class Meta:
        verbose_name = _("应追回款")
        verbose_name_plural = _("应追回款")
        ordering = ("raised_at", "id")
        constraints = (
            models.CheckConstraint(condition=Q(amount_fen__gt=0, settled_fen__gte=0,
                                               earmarked_fen__gte=0),
                                   name="receivable_amounts_positive"),
            models.CheckConstraint(
                condition=Q(amount_fen__gte=F("settled_fen") + F("earmarked_fen")),
                name="receivable_not_oversettled"),
            models.CheckConstraint(condition=ONE_PAYEE, name="receivable_one_debtor"),
        )

    def __str__(self) -> str:
        return f"应追回 #{self.pk} {self.debtor_name_masked} {self.amount_fen} 分"

    @property
    def debtor_region_code(self) -> str:
        return self.unit.region_code if self.unit_id else self.person.region_code

    @property
    def debtor_name_masked(self) -> str:
        """Who owes it, as lists show it: a unit's name, a person's masked (张*三)."""
        return self.unit.name if self.unit_id else self.person.name_masked

    @property
    def outstanding_fen(self) -> int:
        return self.amount_fen - self.settled_fen


class ReceivableEntry(models.Model):
    """A repayment, an offset against a later refund, or a write-off of a receivable."""

    class Kind(models.TextChoices):
        REPAYMENT = "repayment", _("缴回")
        OFFSET = "offset", _("抵扣后续返还")
        WRITE_OFF = "write_off", _("核销")

    receivable = models.ForeignKey(Receivable, verbose_name=_("应追回款"),
                                   on_delete=models.PROTECT, related_name="entries")
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("经办人"),
                              on_delete=models.PROTECT, related_name="+")
    approver = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("批准人"),
                                 on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    payment = models.ForeignKey(Payment, verbose_name=_("抵扣的拨付"), on_delete=models.PROTECT,
                                null=True, blank=True, related_name="+")
    reference = models.CharField(_("凭证号或理由"), max_length=200)

    class Meta:
        verbose_name = _("追回记录")
        verbose_name_plural = _("追回记录")
        ordering = ("at", "id")
        constraints = (
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="receivable_entry_positive"),
            models.CheckConstraint(condition=~Q(kind="write_off") | Q(approver__isnull=False),
                                   name="receivable_write_off_approved"),
            models.CheckConstraint(condition=~Q(kind="offset") | Q(payment__isnull=False),
                                   name="receivable_offset_names_payment"),
        )

    def __str__(self) -> str:
        return f"{self.get_kind_display()} {self.amount_fen} 分"


class WriteOffProposalQuerySet(models.QuerySet):
    def visible_to(self, user) -> "WriteOffProposalQuerySet":
        """By the scope of the receivable's case (``ReceivableQuerySet.visible_to``)."""
        return self.filter(receivable__case__in=Case.objects.visible_to(user))


class WriteOffProposal(models.Model):
    """An officer's proposal to write off (part of) what a receivable still owes (核销申请).

    Two people: an agency officer proposes with a reason, a finance approver other than the
    proposer approves (the write-off is then entered) or rejects with a reason. One open
    proposal per receivable, so two approvals cannot write off the same money twice.
    """

    class Status(models.TextChoices):
        PENDING = "pending", _("待批准")
        APPROVED = "approved", _("已核销")
        REJECTED = "rejected", _("不予核销")

    receivable = models.ForeignKey(Receivable, verbose_name=_("应追回款"), on_delete=models.PROTECT,
                                   related_name="write_off_proposals")
    amount_fen = models.BigIntegerField(_("核销金额（分）"))
    reason = models.TextField(_("核销理由"))
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices,
                              default=Status.PENDING)
    proposed_at = models.DateTimeField(_("申请时间"))
    proposed_by = models.ForeignKey(settings.AUTH_USER_MODEL,
                                    verbose_name=pgettext_lazy("payments", "申请人"),
                                    on_delete=models.PROTECT, related_name="+")
    decided_at = models.DateTimeField(_("批准或驳回时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("批准人"),
                                   on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    decision_note = models.CharField(_("批准意见或驳回理由"), max_length=200, blank=True)
    entry = models.OneToOneField(ReceivableEntry, verbose_name=_("核销记录"),
                                 on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="proposal")

    objects = WriteOffProposalQuerySet.as_manager()

    class Meta:
        verbose_name = _("核销申请")
        verbose_name_plural = _("核销申请")
        ordering = ("proposed_at", "id")
        constraints = (
            models.UniqueConstraint(fields=["receivable"], condition=Q(status="pending"),
                                    name="write_off_one_open_per_receivable"),
            models.CheckConstraint(condition=Q(amount_fen__gt=0), name="write_off_amount_positive"),
            models.CheckConstraint(
                condition=Q(status="pending", decided_by__isnull=True, entry__isnull=True)
                | (Q(status="approved", entry__isnull=False, decided_by__isnull=False)
                   & ~Q(decided_by=F("proposed_by")))
                | (Q(status="rejected", entry__isnull=True, decided_by__isnull=False)
                   & ~Q(decided_by=F("proposed_by"))),
                name="write_off_decided_by_another"),
        )

    def __str__(self) -> str:
        return f"核销申请 #{self.pk} 应追回 #{self.receivable_id} {self.amount_fen} 分 · " \
               f"{self.get_status_display()}"
