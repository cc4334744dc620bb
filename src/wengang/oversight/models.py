"""Oversight records: the audit chain, risk clearances, spot-check samples and findings."""

from django.conf import settings
from django.db import models
from django.db.models import Q
from django.utils.translation import gettext_lazy as _

from wengang.accounts.models import Role
from wengang.cases.models import Case
from wengang.cases.models.common import (
    AppendOnlyModel,
    AppendOnlyQuerySet,
    SealedResidentId,
    resident_id_q,
)

GENESIS_MAC = "0" * 64
"""The "previous MAC" of the first record: the chain starts from nothing."""


class AuditHead(models.Model):
    """The chain's head: the last sequence number and its MAC. One row.

    Every append locks this row first, so two writers never chain onto the same record (the
    chain cannot fork). It also tells a truncated chain from an intact one: records cut off the
    end leave the head pointing past them. A database trigger refuses moving it backwards.
    """

    id = models.PositiveSmallIntegerField(primary_key=True, default=1)
    seq = models.BigIntegerField(_("最后序号"), default=0)
    mac = models.CharField(_("最后 MAC"), max_length=64, default=GENESIS_MAC)
    key_id = models.CharField(_("密钥标识"), max_length=16, blank=True,
                              help_text=_("写入链的审计密钥的标识；换错密钥时据此明确报错。"))

    class Meta:
        verbose_name = _("审计链头")
        verbose_name_plural = _("审计链头")
        constraints = (models.CheckConstraint(condition=Q(id=1), name="audit_head_single_row"),)

    def __str__(self) -> str:
        return f"#{self.seq} {self.mac[:12]}…"


class AuditRecordQuerySet(AppendOnlyQuerySet):
    def in_chain_order(self) -> "AuditRecordQuerySet":
        return self.order_by("seq")

    def for_target(self, target: str) -> "AuditRecordQuerySet":
        return self.filter(target=target).order_by("seq")


class AuditRecord(AppendOnlyModel):
    """One audited action, chained to the one before it by HMAC-SM3.

    ``mac`` = HMAC-SM3(audit key, canonical form of every other field and ``prev_mac``): whoever
    edits, deletes, inserts or reorders a record without the key breaks the chain at that record
    (``audit.verify``). Append-only in the ORM (``AppendOnlyModel``) and in the database
    (migration 0002's triggers).
    ``source``/``source_id`` name the row a record was absorbed from (a case event, an export),
    unique, so each is chained exactly once.
    """

    record_names = ("审计记录", "audit records")

    seq = models.BigIntegerField(_("序号"), primary_key=True)
    at = models.DateTimeField(_("时间"))
    actor = models.CharField(_("操作人"), max_length=150, blank=True)
    action = models.CharField(_("事项"), max_length=48)
    target = models.CharField(_("对象"), max_length=100, blank=True,
                              help_text=_("如 case:123、user:7、payment_batch:4。"))
    details = models.TextField(_("详情"), help_text=_("规范化 JSON（键排序、无空白），即 MAC 所覆盖的文本。"))
    source = models.CharField(_("来源表"), max_length=24, blank=True)
    source_id = models.BigIntegerField(_("来源编号"), null=True, blank=True)
    prev_mac = models.CharField(_("前一条 MAC"), max_length=64)
    mac = models.CharField(_("MAC"), max_length=64)

    objects = AuditRecordQuerySet.as_manager()

    class Meta:
        verbose_name = _("审计记录")
        verbose_name_plural = _("审计记录")
        ordering = ("seq",)
        constraints = (
            models.UniqueConstraint(fields=["source", "source_id"], name="audit_source_once",
                                    condition=Q(source_id__isnull=False)),
        )
        indexes = (models.Index(fields=["target", "seq"], name="audit_target_seq"),)

    def __str__(self) -> str:
        return f"#{self.seq} {self.action} {self.target}"


class RiskHoldQuerySet(models.QuerySet):
    def open(self) -> "RiskHoldQuerySet":
        return self.filter(outcome="")


class RiskHold(models.Model):
    """A case held because screening flagged a risk, and how the hold ended.

    Held by the sweep (``holds.sweep``) for ``flags``; ended by an officer who checked them
    (``cleared``, with the reason; also when released by hand), by the unit correcting its data
    so that a re-screen no longer raises them (``corrected``), or by another step closing the
    case (``ended``: withdrawn, rejected). A cleared hold is not placed again for the same
    flags; a new flag holds the case again.
    """

    class Outcome(models.TextChoices):
        CLEARED = "cleared", _("核查后解除")
        CORRECTED = "corrected", _("单位更正数据后解除")
        ENDED = "ended", _("案件已由其他环节处理")

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="risk_holds")
    flags = models.CharField(_("风险提示"), max_length=255)
    held_at = models.DateTimeField(_("暂缓时间"))
    held_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("暂缓人"),
                                on_delete=models.PROTECT, related_name="+")
    outcome = models.CharField(_("结果"), max_length=16, choices=Outcome.choices, blank=True)
    reason = models.TextField(_("解除理由"), blank=True)
    ended_at = models.DateTimeField(_("解除时间"), null=True, blank=True)
    ended_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("解除人"),
                                 on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    objects = RiskHoldQuerySet.as_manager()

    class Meta:
        verbose_name = _("风险暂缓")
        verbose_name_plural = _("风险暂缓")
        ordering = ("held_at", "id")
        constraints = (
            models.UniqueConstraint(fields=["case"], condition=Q(outcome=""),
                                    name="risk_hold_one_open_per_case"),
            models.CheckConstraint(
                condition=Q(outcome="", ended_at__isnull=True)
                | (~Q(outcome="") & Q(ended_at__isnull=False) & ~Q(reason="")),
                name="risk_hold_end_has_reason"),
        )

    def __str__(self) -> str:
        return f"案件 {self.case_id} · {self.flags} · {self.get_outcome_display() or '暂缓中'}"

    @property
    def flag_set(self) -> frozenset[str]:
        return frozenset(f for f in self.flags.split(";") if f)


class Method(models.TextChoices):
    SIMPLE = "simple", _("简单随机抽样")
    STRATIFIED = "stratified", _("按地区和规模分层抽样")
    RISK_WEIGHTED = "risk_weighted", _("按风险加权抽样")


class SamplePlanQuerySet(models.QuerySet):
    def assigned_to(self, user) -> "SamplePlanQuerySet":
        return self.filter(auditor=user)


class SamplePlan(models.Model):
    """A spot check (抽查): which population, how drawn, with which seed — reproducible by anyone.

    The population is every case of ``program`` in ``region_code`` in the sampled states, sorted
    by the unit's USCC (never by database row order); ``population_sha256`` fingerprints it, so
    a reproduction can first confirm it starts from the same cases (``sampling``).
    """

    program = models.CharField(_("政策项目"), max_length=32)
    refund_year = models.PositiveSmallIntegerField(_("返还年度"))
    region_code = models.CharField(_("行政区划"), max_length=6)
    method = models.CharField(_("抽样方法"), max_length=16, choices=Method.choices)
    size = models.PositiveIntegerField(_("样本量"))
    seed = models.BigIntegerField(_("随机种子"))
    states = models.CharField(_("抽样的案件状态"), max_length=255,
                              help_text=_("以分号分隔；总体为这些状态的案件。"))
    allocation = models.JSONField(_("各层样本量"), null=True, blank=True,
                                  help_text=_("分层抽样：层 → 样本量（按层规模比例分配，最大余数法）。"))
    risk_weight = models.PositiveSmallIntegerField(
        _("风险权重"), default=1, help_text=_("有风险提示的案件相对无提示案件被抽中的权重（加权抽样）。"))
    population = models.PositiveIntegerField(_("总体案件数"))
    population_sha256 = models.CharField(_("总体指纹"), max_length=64)
    auditor = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审计人"),
                                on_delete=models.PROTECT, related_name="sample_plans")
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("制定人"),
                                   on_delete=models.PROTECT, related_name="+")
    created_at = models.DateTimeField(_("制定时间"))

    objects = SamplePlanQuerySet.as_manager()

    class Meta:
        verbose_name = _("抽查计划")
        verbose_name_plural = _("抽查计划")
        ordering = ("-created_at", "-id")
        constraints = (
            models.CheckConstraint(condition=Q(size__gt=0), name="sample_plan_size_positive"),
            models.CheckConstraint(condition=Q(method__in=Method.values), name="sample_plan_method_known"),
        )

    def __str__(self) -> str:
        return f"抽查 #{self.pk} {self.program} {self.region_code} {self.get_method_display()}"


class SampleItemQuerySet(models.QuerySet):
    def visible_to(self, user) -> "SampleItemQuerySet":
        """An auditor sees only the samples assigned to it; staff of the region see all of it."""
        if user.role == Role.AUDITOR:
            return self.filter(plan__auditor=user)
        if user.role in (Role.ENTERPRISE, Role.PERSON):
            return self.none()
        return self.filter(case__in=Case.objects.visible_to(user))


class SampleItem(models.Model):
    """One case drawn into a sample; ``draw`` is its place in the draw (1 = first)."""

    plan = models.ForeignKey(SamplePlan, verbose_name=_("抽查计划"), on_delete=models.PROTECT,
                             related_name="items")
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="+")
    draw = models.PositiveIntegerField(_("抽取顺序"))
    stratum = models.CharField(_("层"), max_length=32, blank=True,
                               help_text=_("分层抽样：行政区划/规模。"))

    objects = SampleItemQuerySet.as_manager()

    class Meta:
        verbose_name = _("抽查样本")
        verbose_name_plural = _("抽查样本")
        ordering = ("plan", "draw")
        constraints = (
            models.UniqueConstraint(fields=["plan", "case"], name="sample_item_once"),
            models.UniqueConstraint(fields=["plan", "draw"], name="sample_item_draw_unique"),
        )

    def __str__(self) -> str:
        return f"抽查 #{self.plan_id} 第 {self.draw} 个：案件 {self.case_id}"


class Outcome(models.TextChoices):
    CONFIRMED = "confirmed", _("核实无误")
    IMPROPER = "improper", _("不当支付")


class Finding(models.Model):
    """What the auditor found about one sampled case; an improper one names the amount."""

    item = models.OneToOneField(SampleItem, verbose_name=_("抽查样本"), on_delete=models.PROTECT,
                                related_name="finding")
    outcome = models.CharField(_("结论"), max_length=16, choices=Outcome.choices)
    improper_fen = models.BigIntegerField(_("不当支付金额（分）"), default=0)
    note = models.TextField(_("说明"))
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审计人"),
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"))
    receivable = models.OneToOneField("payments.Receivable", verbose_name=_("应追回款"),
                                      on_delete=models.PROTECT, null=True, blank=True,
                                      related_name="finding")

    class Meta:
        verbose_name = _("抽查发现")
        verbose_name_plural = _("抽查发现")
        ordering = ("recorded_at", "id")
        constraints = (
            models.CheckConstraint(
                condition=(Q(outcome=Outcome.IMPROPER) & Q(improper_fen__gt=0))
                | (Q(outcome=Outcome.CONFIRMED) & Q(improper_fen=0)),
                name="finding_amount_matches_outcome"),
            models.CheckConstraint(condition=~Q(note=""), name="finding_has_note"),
        )

    def __str__(self) -> str:
        return f"{self.get_outcome_display()} · 案件 {self.item.case_id}"


class CheckedPersonQuerySet(models.QuerySet):
    def with_resident_id(self, number: str) -> "CheckedPersonQuerySet":
        """The checks of one person, by exact ID number (blind index: nothing is decrypted)."""
        return self.filter(resident_id_q(number))


class CheckedPerson(SealedResidentId):
    """A person on a sampled unit's insured list whose employment the auditor checked (核查人员).

    Refunds were obtained through fake employment: names kept on the insured list to raise
    the headcount. The auditor records whom it checked and whether each really works there;
    the resident ID number is sealed for the unit, and found again across units by its blind
    index — the same person "employed" by several units is the pattern to look for.
    """

    finding = models.ForeignKey(Finding, verbose_name=_("抽查发现"), on_delete=models.PROTECT,
                                related_name="persons")
    name = models.CharField(_("姓名"), max_length=64)
    employed = models.BooleanField(_("确在本单位就业"))
    note = models.TextField(_("核查说明"), blank=True)
    recorded_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("审计人"),
                                    on_delete=models.PROTECT, related_name="+")
    recorded_at = models.DateTimeField(_("记录时间"))

    objects = CheckedPersonQuerySet.as_manager()
    resident_id_owner_path = "finding__item__case__unit__uscc"

    class Meta:
        verbose_name = _("核查人员")
        verbose_name_plural = _("核查人员")
        ordering = ("recorded_at", "id")
        constraints = (
            models.UniqueConstraint(fields=["finding", "resident_id_digest"],
                                    name="checked_person_once_per_finding"),
            models.CheckConstraint(condition=~Q(resident_id_sealed=""),
                                   name="checked_person_has_resident_id"),
        )

    def __str__(self) -> str:
        return f"{self.name} {self.resident_id_masked} · {'在岗' if self.employed else '未在岗'}"
