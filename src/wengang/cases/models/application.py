"""Applications and the records around a case: commitment letters, late claims, service-officer
tasks and re-screen review flags."""

import hashlib

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .case import Case, RegionScopedQuerySet
from .common import Channel, ReceivingAccount, Route, Size
from .runs import ScreeningRun, Unit


class CommitmentText(models.Model):
    """A version of the commitment letter (承诺书) an enterprise accepts when it applies.

    A text never changes once accepted by anyone: a new wording is a new version, so each
    commitment proves which words were agreed to (``sha256`` of the text).
    """

    version = models.CharField(_("版本"), max_length=32, unique=True)
    title = models.CharField(_("标题"), max_length=100)
    text = models.TextField(_("正文"))
    sha256 = models.CharField(_("正文 SHA-256"), max_length=64, editable=False)
    valid_from = models.DateField(_("启用日期"))
    program = models.CharField(_("适用项目"), max_length=32, blank=True,
                               help_text=_("留空表示适用于所有项目。"))

    class Meta:
        verbose_name = _("承诺书文本")
        verbose_name_plural = _("承诺书文本")
        ordering = ("-valid_from", "-id")

    def __str__(self) -> str:
        return f"{self.title}（{self.version}）"

    def save(self, *args, **kwargs) -> None:
        self.sha256 = hashlib.sha256(self.text.encode("utf-8")).hexdigest()
        super().save(*args, **kwargs)


class Commitment(ReceivingAccount):
    """An accepted commitment with the facts the enterprise confirmed (size, headcount, amount,
    receiving account, sealed): when, by whom, through which channel and from where."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="commitments")
    text = models.ForeignKey(CommitmentText, verbose_name=_("承诺书版本"),
                             on_delete=models.PROTECT, related_name="+")
    accepted_at = models.DateTimeField(_("签署时间"))
    accepted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("签署或代办人"),
                                    on_delete=models.PROTECT, related_name="+")
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    origin = models.CharField(_("来源"), max_length=200,
                              help_text=_("网上办理填 IP 地址；代办填电话号码或服务窗口。"))
    read_out = models.BooleanField(_("已向企业宣读承诺内容"), default=False)
    signatory_name = models.CharField(_("企业经办人"), max_length=64)
    confirmed_size = models.CharField(_("确认的企业规模"), max_length=8, choices=Size.choices)
    confirmed_insured = models.PositiveIntegerField(_("确认的参保人数"))
    confirmed_amount_fen = models.BigIntegerField(_("确认的返还金额（分）"))

    class Meta:
        verbose_name = _("承诺书")
        verbose_name_plural = _("承诺书")
        ordering = ("accepted_at", "id")
        constraints = (
            models.CheckConstraint(
                condition=~models.Q(channel=Channel.ASSISTED) | models.Q(read_out=True),
                name="commitment_assisted_is_read_out"),
            models.CheckConstraint(condition=models.Q(channel__in=[Channel.ONLINE,
                                                                   Channel.ASSISTED]),
                                   name="commitment_channel_online_or_assisted"),
        )

    def __str__(self) -> str:
        return f"承诺书 · 案件 {self.case_id} · {self.accepted_at:%Y-%m-%d}"

    @property
    def account_owner(self) -> str:
        return self.case.unit.uscc


class LateClaimQuerySet(RegionScopedQuerySet):
    def received(self) -> "LateClaimQuerySet":
        return self.filter(status=LateClaim.Status.RECEIVED)

    def visible_to(self, user) -> "LateClaimQuerySet":
        """An enterprise: its own unit's claims; staff: their region subtree."""
        if user.role == "enterprise":
            return self.filter(uscc=user.uscc) if user.uscc else self.none()
        return super().visible_to(user)


class LateClaim(models.Model):
    """A late claim (补报): a unit screening did not find, or that missed its deadline.

    A claim for a declined case reopens it; any other waits for the next screening run, which
    decides it with the same rules (the loader links the case it opens, or the reason it fails).
    """

    class Status(models.TextChoices):
        RECEIVED = "received", _("已受理，待筛查")
        REOPENED = "reopened", _("已恢复原案件")
        CASE_OPENED = "case_opened", _("筛查符合，已立案")
        NOT_ELIGIBLE = "not_eligible", _("筛查不符合")

    uscc = models.CharField(_("统一社会信用代码"), max_length=18)
    program = models.CharField(_("政策项目"), max_length=32)
    refund_year = models.PositiveSmallIntegerField(_("返还年度"))
    region_code = models.CharField(_("行政区划"), max_length=6)
    unit = models.ForeignKey(Unit, verbose_name=_("参保单位"), on_delete=models.PROTECT,
                             null=True, blank=True, related_name="late_claims")
    claimant_name = models.CharField(_("申请人"), max_length=64)
    contact_phone = models.CharField(_("联系电话"), max_length=20)
    reason = models.TextField(_("补报理由"), blank=True)
    filed_at = models.DateTimeField(_("受理时间"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("受理或申请人"),
                                 on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices)
    status = models.CharField(_("状态"), max_length=16, choices=Status.choices,
                              default=Status.RECEIVED)
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, null=True,
                             blank=True, related_name="late_claims")
    decided_by_run = models.ForeignKey(ScreeningRun, verbose_name=_("筛查批次"),
                                       on_delete=models.PROTECT, null=True, blank=True,
                                       related_name="+", db_index=False)
    explanation = models.TextField(_("筛查说明"), blank=True)

    objects = LateClaimQuerySet.as_manager()

    class Meta:
        verbose_name = _("补报")
        verbose_name_plural = _("补报")
        ordering = ("filed_at", "id")
        constraints = (
            models.UniqueConstraint(fields=["uscc", "program"], condition=models.Q(status="received"),
                                    name="late_claim_one_open_per_unit_program"),
        )

    def __str__(self) -> str:
        return f"补报 {self.uscc} · {self.program} · {self.get_status_display()}"


class ServiceOfficerTaskQuerySet(RegionScopedQuerySet):
    """Service-officer tasks; ``visible_to`` a staff user: those of units in their region."""

    region_field = "unit__region_code"


class ServiceOfficerTask(models.Model):
    """A restructured, merged or split unit (registry feed) handled in person by a service officer
    (服务专员), with the facts the officer needs."""

    class Status(models.TextChoices):
        OPEN = "open", _("待办")
        DONE = "done", _("已办结")

    unit = models.ForeignKey(Unit, verbose_name=_("参保单位"), on_delete=models.PROTECT,
                             related_name="service_tasks", db_index=False)
    restructure_kind = models.CharField(_("改制重组类型"), max_length=16, blank=True)
    restructured_on = models.DateField(_("改制重组日期"))
    facts = models.JSONField(_("办理所需信息"), default=dict)
    created_at = models.DateTimeField(_("生成时间"))
    run = models.ForeignKey(ScreeningRun, verbose_name=_("筛查批次"), on_delete=models.PROTECT,
                            related_name="+", db_index=False)
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    assigned_to = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("服务专员"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    done_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    note = models.TextField(_("办理情况"), blank=True)

    objects = ServiceOfficerTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("服务专员任务")
        verbose_name_plural = _("服务专员任务")
        ordering = ("status", "restructured_on", "id")
        constraints = (
            models.UniqueConstraint(fields=["unit", "restructured_on"],
                                    name="service_task_once_per_restructuring"),
        )

    def __str__(self) -> str:
        return f"服务专员任务 · {self.unit_id} · {self.restructure_kind or '改制重组'}"


class RescreenFlag(models.Model):
    """A re-screen that disagrees with an approved or confirmed case: the case is left alone, a
    person looks.

    Once a case is approved (published, payable …), or its enterprise has confirmed its facts
    and signed the commitment, a new run must not change it silently; the new decision is
    recorded here for the agency to check (and, later, to claw back or top up).
    """

    class Status(models.TextChoices):
        OPEN = "open", _("待复核")
        RESOLVED = "resolved", _("已复核")

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="rescreen_flags", db_index=False)
    run = models.ForeignKey(ScreeningRun, verbose_name=_("筛查批次"), on_delete=models.PROTECT,
                            related_name="+", db_index=False)
    state_at_flag = models.CharField(_("当时状态"), max_length=24)
    amount_before_fen = models.BigIntegerField(_("原金额（分）"))
    amount_after_fen = models.BigIntegerField(_("新金额（分）"))
    eligible_after = models.BooleanField(_("新结论是否符合"))
    route_after = models.CharField(_("新办理方式"), max_length=16, blank=True,
                                   choices=Route.choices)
    failed_after = models.CharField(_("新结论未通过的规则"), max_length=255, blank=True)
    explanation_after = models.TextField(_("新结论说明"), blank=True)
    created_at = models.DateTimeField(_("生成时间"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    resolved_at = models.DateTimeField(_("复核时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("复核人"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    note = models.TextField(_("复核意见"), blank=True)

    class Meta:
        verbose_name = _("重新筛查复核")
        verbose_name_plural = _("重新筛查复核")
        constraints = (
            models.UniqueConstraint(fields=["case", "run"], name="rescreen_flag_once_per_run"),
        )

    def __str__(self) -> str:
        return f"复核 · 案件 {self.case_id} · 批次 {self.run_id}"
