"""The case (返还案件: one beneficiary × program × refund year) and its append-only event log.

The beneficiary is a unit (refunds, and 以工代训 among the training subsidies) or a person
(online-training and skill-certificate subsidies): exactly one of ``unit`` and ``person``.

A case's ``state`` changes only in ``cases.workflow``: ``Case.save`` refuses to write a changed
state, and the workflow moves states with a version-checked UPDATE after locking the row.
"""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from ..errors import StateChangeOutsideWorkflow
from .common import (
    AppendOnlyModel,
    AppendOnlyQuerySet,
    Channel,
    ReceivingAccount,
    Route,
    Size,
    region_q,
)
from .person import Person
from .runs import ScreeningRun, Unit


class State(models.TextChoices):
    SCREENED = "screened", _("已筛查")
    NOTIFIED = "notified", _("已告知")
    AWAITING_APPLICATION = "awaiting_application", _("待申请")
    APPLIED = "applied", _("已申请")
    IN_REVIEW = "in_review", _("联审中")
    RETURNED = "returned", _("退回经办")
    APPROVED = "approved", _("已审核通过")
    IN_PUBLICITY = "in_publicity", _("公示中")
    ON_HOLD = "on_hold", _("暂缓")
    PAYABLE = "payable", _("待拨付")
    IN_PAYMENT = "in_payment", _("拨付中")
    PAID = "paid", _("已拨付")
    PAYMENT_FAILED = "payment_failed", _("拨付失败")
    REJECTED = "rejected", _("不予通过")
    DECLINED = "declined", _("逾期未申请或放弃")
    WITHDRAWN = "withdrawn", _("已撤销")


CLOSED_STATES = frozenset({State.REJECTED, State.DECLINED, State.WITHDRAWN})
APPROVED_STATES = frozenset({State.APPROVED, State.IN_PUBLICITY, State.PAYABLE})
"""States that require ``approved_on``; a held case may also have been approved (see
``Case.is_approved``)."""
UNAPPROVED_OPEN_STATES = frozenset({
    State.SCREENED, State.NOTIFIED, State.AWAITING_APPLICATION, State.APPLIED, State.IN_REVIEW,
    State.RETURNED, State.ON_HOLD,
})
"""States a re-screen may update, provided the case was never approved (``approved_on`` empty)."""


class ClosedReason(models.TextChoices):
    RESCREEN_INELIGIBLE = "rescreen_ineligible", _("重新筛查后不再符合条件")
    APPLICATION_EXPIRED = "application_expired", _("逾期未申请")
    ENTERPRISE_DECLINED = "enterprise_declined", _("企业放弃")
    ENTERPRISE_WITHDREW = "enterprise_withdrew", _("企业撤回")
    AGENCY_WITHDREW = "agency_withdrew", _("经办机构撤销")
    REVIEW_OBJECTION = "review_objection", _("联审部门提出异议")
    AGENCY_REJECTED = "agency_rejected", _("经办机构不予通过")
    PUBLIC_OBJECTION = "public_objection", _("公示异议成立")


class HoldKind(models.TextChoices):
    OBJECTION = "objection", _("公示异议")
    RISK = "risk", _("风险核查")


class RegionScopedQuerySet(models.QuerySet):
    """Records of a region (batches, tasks, claims): ``in_region`` for a region subtree, and
    ``visible_to`` for what a staff user may see — their region subtree; an admin without a
    region, all; anyone else without one, and enterprises, nothing (override to show a unit
    its own). ``region_field`` names the 6-digit code column."""

    region_field = "region_code"

    def in_region(self, region_code: str):
        return self.filter(region_q(self.region_field, region_code))

    def visible_to(self, user):
        if user.role in ("enterprise", "person"):
            return self.none()
        if user.region_code:
            return self.in_region(user.region_code)
        return self.all() if user.role == "admin" else self.none()


class CaseQuerySet(models.QuerySet):
    """The domain's questions about cases, composable: ``Case.objects.payable().in_region(r)``."""

    def in_region(self, region_code: str) -> "CaseQuerySet":
        """Cases of units or persons inside ``region_code`` (a province, city or county code).

        Both joins are LEFT OUTER (a case has a unit or a person), which keeps the console
        queue an index walk in (−priority, id) order (1.1 ms a page; ``IN (subquery)`` hashed
        the region's units on every page: 37 ms at 16,600 cases, growing with the city).
        PostgreSQL refuses to lock the nullable side of an outer join: lock such a queryset
        with ``select_for_update(of=("self",))``.
        """
        return self.filter(region_q("unit__region_code", region_code)
                           | region_q("person__region_code", region_code))

    def visible_to(self, user) -> "CaseQuerySet":
        """What a user may see: their own unit for an enterprise, their own subsidies for a
        person (by blind index: no ID number is compared in clear), their region for staff."""
        if user.role == "enterprise":
            return self.filter(unit__uscc=user.uscc) if user.uscc else self.none()
        if user.role == "person":
            digest = getattr(user, "resident_id_digest", "")
            return self.filter(person__resident_id_digest=digest) if digest else self.none()
        if user.region_code:
            return self.in_region(user.region_code)
        return self.all() if user.role == "admin" else self.none()

    def for_program(self, program: str) -> "CaseQuerySet":
        return self.filter(program=program)

    def in_state(self, *states: str) -> "CaseQuerySet":
        return self.filter(state__in=states)

    def open(self) -> "CaseQuerySet":
        return self.exclude(state__in=CLOSED_STATES)

    def closed(self) -> "CaseQuerySet":
        return self.filter(state__in=CLOSED_STATES)

    def payable(self) -> "CaseQuerySet":
        return self.filter(state=State.PAYABLE)

    def approved(self) -> "CaseQuerySet":
        return self.filter(state=State.APPROVED)

    def on_hold(self) -> "CaseQuerySet":
        return self.filter(state=State.ON_HOLD)

    def priority(self) -> "CaseQuerySet":
        return self.filter(priority=True)

    def automatic(self) -> "CaseQuerySet":
        return self.filter(route=Route.AUTOMATIC)

    def application(self) -> "CaseQuerySet":
        return self.filter(route=Route.APPLICATION)

    def ready_for_review(self) -> "CaseQuerySet":
        """Automatic cases not yet reviewed, applied cases, and cases returned for another round."""
        return self.filter(
            models.Q(route=Route.AUTOMATIC, state__in=[State.SCREENED, State.NOTIFIED])
            | models.Q(state__in=[State.APPLIED, State.RETURNED])
        )

    def awaiting_application(self) -> "CaseQuerySet":
        return self.filter(state=State.AWAITING_APPLICATION)

    def reminder_due(self, on: date) -> "CaseQuerySet":
        """Cases still awaiting application on ``on`` whose reminder is due and not yet sent.

        One reminder per case (one notice per event, never a flood); none once the deadline
        has passed (the case then expires).
        """
        return self.filter(state=State.AWAITING_APPLICATION, remind_on__lte=on, apply_by__gte=on,
                           reminded_on__isnull=True)

    def application_expired(self, today: date) -> "CaseQuerySet":
        """Cases whose application deadline passed before ``today`` (the deadline day counts)."""
        return self.filter(state=State.AWAITING_APPLICATION, apply_by__lt=today)

    def never_approved(self) -> "CaseQuerySet":
        return self.filter(approved_on__isnull=True)

    def priority_first(self) -> "CaseQuerySet":
        """Priority (绿色通道) cases first, then the oldest."""
        return self.order_by("-priority", "id")

    def amount_fen_total(self) -> int:
        return self.aggregate(total=models.Sum("amount_fen"))["total"] or 0

    def refunds(self) -> "CaseQuerySet":
        """Job-stabilisation refund cases (not training subsidies: their money is another fund's)."""
        return self.exclude(program_kind=TRAINING)

    def training(self) -> "CaseQuerySet":
        return self.filter(program_kind=TRAINING)

    def of_persons(self) -> "CaseQuerySet":
        return self.filter(person__isnull=False)


TRAINING = "training"
"""The ``program_kind`` of the skills-training subsidies (policy yaml ``kind: training``)."""


class Case(ReceivingAccount):
    """One beneficiary under one program for one refund year, from screening to paid.

    The beneficiary is a unit or a person (``beneficiary``). Its receiving account
    (``ReceivingAccount``) is the unit's on record or the one the enterprise confirmed when
    applying, or the person's social-security card account; frozen once approved
    (``workflow.change_account``). A training case's amount is the sum of its claim items
    (``items``).
    """

    unit = models.ForeignKey(Unit, verbose_name=_("参保单位"), on_delete=models.PROTECT,
                             related_name="cases", null=True, blank=True,
                             db_index=False)  # the unique index leads with it
    person = models.ForeignKey(Person, verbose_name=_("个人"), on_delete=models.PROTECT,
                               related_name="cases", null=True, blank=True,
                               db_index=False)  # the unique index leads with it
    program = models.CharField(_("政策项目"), max_length=32)
    program_kind = models.CharField(_("项目类型"), max_length=16,
                                    help_text=_("inclusive 普惠性 / difficult 困难企业 / training 培训补贴"))
    refund_year = models.PositiveSmallIntegerField(_("返还年度"))
    state = models.CharField(_("状态"), max_length=24, choices=State.choices,
                             default=State.SCREENED)
    route = models.CharField(_("办理方式"), max_length=16, choices=Route.choices)
    size = models.CharField(_("企业规模"), max_length=8, choices=Size.choices)
    priority = models.BooleanField(_("绿色通道"), default=False,
                                   help_text=_("优先办理：排在前面，联审时限更短。"))
    eligible = models.BooleanField(_("最近一次筛查符合条件"), default=True)
    amount_fen = models.BigIntegerField(_("返还金额（分）"))
    insured = models.PositiveIntegerField(_("参保人数"), null=True, blank=True,
                                          help_text=_("考核年度末（12月）参保人数，来自缴费数据；企业确认后为确认数。"))
    layoff_rate = models.DecimalField(_("裁员率"), max_digits=7, decimal_places=4, null=True,
                                      blank=True)
    failed = models.CharField(_("未通过的规则"), max_length=255, blank=True)
    risk = models.CharField(_("风险提示"), max_length=255, blank=True)
    explanation = models.TextField(_("筛查说明"))
    # Run references carry no database constraint (``db_constraint=False``, also on
    # ``CaseEvent.run`` and ``Unit.last_run``): a load inserts up to a million rows that all
    # point at the one run it has just written, and PostgreSQL checks a foreign key row by row
    # at commit — 2.6 million checks, a third of a million-row load. Runs are never deleted
    # (PROTECT in the ORM, read-only in the admin).
    opened_by_run = models.ForeignKey(ScreeningRun, verbose_name=_("立案筛查批次"),
                                      on_delete=models.PROTECT, related_name="+", db_index=False,
                                      db_constraint=False)
    screening_run = models.ForeignKey(ScreeningRun, verbose_name=_("当前结论所依据的筛查批次"),
                                      on_delete=models.PROTECT, related_name="+", db_index=False,
                                      db_constraint=False)
    version = models.PositiveIntegerField(_("版本"), default=1,
                                          help_text=_("每次变更加一；用于发现并发修改。"))
    state_changed_at = models.DateTimeField(_("状态变更时间"))
    apply_by = models.DateField(_("申请截止日"), null=True, blank=True)
    remind_on = models.DateField(_("提醒日"), null=True, blank=True,
                                 help_text=_("尚未申请时，从这一天起提醒企业（截止日前若干工作日）。"))
    reminded_on = models.DateField(_("已提醒日"), null=True, blank=True)
    approved_on = models.DateField(_("审核通过日"), null=True, blank=True)
    payable_on = models.DateField(_("待拨付日"), null=True, blank=True)
    closed_reason = models.CharField(_("办结原因"), max_length=24, choices=ClosedReason.choices,
                                     blank=True)
    held_from = models.CharField(_("暂缓前状态"), max_length=24, choices=State.choices,
                                 blank=True)
    hold_kind = models.CharField(_("暂缓原因类型"), max_length=16, choices=HoldKind.choices,
                                 blank=True)
    created_at = models.DateTimeField(_("立案时间"))
    updated_at = models.DateTimeField(_("更新时间"))

    objects = CaseQuerySet.as_manager()

    class Meta:
        verbose_name = _("返还案件")
        verbose_name_plural = _("返还案件")
        constraints = (
            models.UniqueConstraint(fields=["unit", "program", "refund_year"],
                                    name="case_one_per_unit_program_year"),
            models.UniqueConstraint(fields=["person", "program", "refund_year"],
                                    name="case_one_per_person_program_year"),
            models.CheckConstraint(
                condition=models.Q(unit__isnull=False, person__isnull=True)
                | models.Q(unit__isnull=True, person__isnull=False),
                name="case_one_beneficiary"),
            models.CheckConstraint(condition=models.Q(amount_fen__gte=0),
                                   name="case_amount_not_negative"),
            models.CheckConstraint(condition=models.Q(state__in=State.values),
                                   name="case_state_known"),
            models.CheckConstraint(condition=models.Q(route__in=Route.values),
                                   name="case_route_known"),
            models.CheckConstraint(
                condition=~models.Q(state__in=APPROVED_STATES) | models.Q(approved_on__isnull=False),
                name="case_approved_has_date"),
            models.CheckConstraint(
                condition=(models.Q(state=State.ON_HOLD) & ~models.Q(held_from="")
                           & ~models.Q(hold_kind=""))
                | (~models.Q(state=State.ON_HOLD) & models.Q(held_from="", hold_kind="")),
                name="case_hold_has_origin"),
            models.CheckConstraint(
                condition=(models.Q(state__in=CLOSED_STATES) & ~models.Q(closed_reason=""))
                | (~models.Q(state__in=CLOSED_STATES) & models.Q(closed_reason="")),
                name="case_closed_has_reason"),
        )
        indexes = (
            models.Index(fields=["state", "program"], name="case_state_program"),
            # The console queue's order (``priority_first``): a page of 50 walks the index
            # instead of sorting a million cases (a rare state: its rows by case_state_program).
            models.Index(fields=["-priority", "id"], name="case_queue_order"),
        )

    def __str__(self) -> str:
        return f"{self.program} #{self.pk} · {self.get_state_display()}"

    @classmethod
    def from_db(cls, db, field_names, values, **kwargs):
        instance = super().from_db(db, field_names, values, **kwargs)
        instance._loaded_state = instance.__dict__.get("state")
        return instance

    def save(self, *args, **kwargs) -> None:
        """Save anything but a state change: states move only in ``cases.workflow``."""
        loaded = getattr(self, "_loaded_state", None)
        if not self._state.adding and loaded is not None and self.state != loaded:
            raise StateChangeOutsideWorkflow(self.pk, loaded, self.state)
        super().save(*args, **kwargs)
        self._loaded_state = self.state

    @property
    def account_owner(self) -> str:
        """The unit's USCC, or the person's blind index: whom the account is sealed for."""
        return self.unit.uscc if self.unit_id else self.person.resident_id_digest

    @property
    def beneficiary(self) -> Unit | Person:
        """Who is paid: the unit or the person."""
        return self.unit if self.unit_id else self.person

    @property
    def beneficiary_kind(self) -> str:
        return "unit" if self.unit_id else "person"

    @property
    def beneficiary_name(self) -> str:
        """The name in full: for the bank file and the officer's case page."""
        return self.beneficiary.name

    @property
    def beneficiary_name_masked(self) -> str:
        """A unit's name as is, a person's masked (张*三): for lists and public pages."""
        return self.unit.name if self.unit_id else self.person.name_masked

    @property
    def beneficiary_code_masked(self) -> str:
        """A unit's USCC, a person's ID number masked (360102********1234): for lists."""
        return self.unit.uscc if self.unit_id else self.person.resident_id_masked

    @property
    def beneficiary_region_code(self) -> str:
        return self.beneficiary.region_code

    @property
    def is_training(self) -> bool:
        return self.program_kind == TRAINING

    def contact_phone(self) -> str:
        """The phone a notice about this case goes to: the unit's contact, or the person's."""
        return self.unit.contact_phone if self.unit_id else self.person.phone

    @property
    def is_closed(self) -> bool:
        return self.state in CLOSED_STATES

    @property
    def is_approved(self) -> bool:
        """Approved at some point (then a re-screen no longer changes it)."""
        return self.approved_on is not None

    @property
    def failed_rules(self) -> list[str]:
        return [rule for rule in self.failed.split(";") if rule]

    @property
    def risk_flags(self) -> list[str]:
        return [flag for flag in self.risk.split(";") if flag]


class Action(models.TextChoices):
    """What happened to a case; every event names one."""

    OPENED = "opened", _("筛查立案")
    RESCREENED = "rescreened", _("重新筛查更新")
    RESCREEN_WITHDRAWN = "rescreen_withdrawn", _("重新筛查后撤销")
    RESCREEN_REOPENED = "rescreen_reopened", _("重新筛查后恢复")
    NOTIFIED = "notified", _("告知")
    APPLIED = "applied", _("确认信息并签署承诺书")
    DECLINED = "declined", _("企业放弃")
    EXPIRED = "expired", _("逾期未申请")
    WITHDRAWN = "withdrawn", _("撤销")
    REVIEW_STARTED = "review_started", _("提交部门联审")
    APPROVED = "approved", _("审核通过")
    RETURNED = "returned", _("联审退回")
    REJECTED = "rejected", _("不予通过")
    PUBLICITY_STARTED = "publicity_started", _("进入公示")
    OBJECTION_FILED = "objection_filed", _("公示异议")
    HELD = "held", _("暂缓")
    RELEASED = "released", _("解除暂缓")
    MADE_PAYABLE = "made_payable", _("公示期满，待拨付")
    LATE_CLAIM_REOPENED = "late_claim_reopened", _("补报后恢复")
    REMINDED = "reminded", _("提醒申请")
    ACCOUNT_CHANGED = "account_changed", _("变更收款账户")
    PAYMENT_STARTED = "payment_started", _("列入拨付批次")
    PAYMENT_CANCELLED = "payment_cancelled", _("撤出未导出的拨付批次")
    PAID = "paid", _("银行回单：已到账")
    PAYMENT_FAILED = "payment_failed", _("银行回单：拨付失败")


class CaseEventQuerySet(AppendOnlyQuerySet):
    def for_case(self, case: Case) -> "CaseEventQuerySet":
        return self.filter(case=case).order_by("at", "id")


class CaseEvent(AppendOnlyModel):
    """One thing that happened to a case: who, when, what, state before → after, and why.

    Append-only, in the ORM (``AppendOnlyModel``) and in the database (triggers refuse UPDATE,
    and DELETE on PostgreSQL; see migration 0002): an audit trail that can be edited proves
    nothing.
    """

    record_names = ("案件事件", "case events")

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="events", db_index=False)  # (case, at) index below
    at = models.DateTimeField(_("时间"))
    actor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("操作人"),
                              on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                              db_index=False)
    actor_label = models.CharField(_("操作方"), max_length=100, blank=True,
                                   help_text=_("无账户的操作方，如系统任务或提出异议的公众。"))
    action = models.CharField(_("事项"), max_length=24, choices=Action.choices)
    state_before = models.CharField(_("原状态"), max_length=24, choices=State.choices, blank=True)
    state_after = models.CharField(_("新状态"), max_length=24, choices=State.choices)
    reason = models.TextField(_("理由"), blank=True)
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    request_id = models.CharField(_("请求编号"), max_length=64, blank=True)
    run = models.ForeignKey(ScreeningRun, verbose_name=_("筛查批次"), on_delete=models.PROTECT,
                            null=True, blank=True, related_name="+", db_index=False,
                            db_constraint=False)  # see Case.opened_by_run
    amount_before_fen = models.BigIntegerField(_("原金额（分）"), null=True, blank=True)
    amount_after_fen = models.BigIntegerField(_("新金额（分）"), null=True, blank=True)
    data = models.JSONField(_("详情"), null=True, blank=True)

    objects = CaseEventQuerySet.as_manager()

    class Meta:
        verbose_name = _("案件事件")
        verbose_name_plural = _("案件事件")
        ordering = ("at", "id")
        indexes = (models.Index(fields=["case", "at"], name="case_event_case_at"),)

    def __str__(self) -> str:
        return f"{self.get_action_display()} {self.state_before or '—'} → {self.state_after}"
