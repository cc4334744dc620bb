"""What each zone keeps about the exchange: messages to send, messages received, submissions
waiting for the intranet, and how far the intranet's changes have been collected."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wengang.cases.models import Case

from .envelope import INWARD, OUTWARD


class Direction(models.TextChoices):
    INWARD = INWARD, _("外网 → 内网")
    OUTWARD = OUTWARD, _("内网 → 外网")


class OutboundMessage(models.Model):
    """A message written by this zone (the transactional outbox).

    Written in the same transaction as the change it reports, without a sequence; ``export``
    numbers waiting messages 1, 2, 3 … in the order they were written (so a rolled-back
    transaction leaves no gap) and writes one file each. The payload stays, so a file lost at
    the gateway can be written again (``zones export --resend``).
    """

    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices)
    sequence = models.PositiveBigIntegerField(_("序号"), null=True, blank=True)
    kind = models.CharField(_("类型"), max_length=24)
    payload = models.JSONField(_("内容"))
    created_at = models.DateTimeField(_("生成时间"))
    exported_at = models.DateTimeField(_("导出时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("待发消息")
        verbose_name_plural = _("待发消息")
        constraints = (
            models.UniqueConstraint(fields=["direction", "sequence"],
                                    name="zone_outbound_sequence_once"),
            models.CheckConstraint(condition=models.Q(direction__in=[INWARD, OUTWARD]),
                                   name="zone_outbound_direction_known"),
        )

    def __str__(self) -> str:
        return f"{self.direction} #{self.sequence or '—'} {self.kind}"


class ReceivedMessage(models.Model):
    """A message this zone took from the other: applied, or refused for its content (an unknown
    case, a rule of the workflow). Recorded in the transaction that applied it, so a sequence is
    applied exactly once; refusals for the envelope itself (signature, replay, gap) are not
    recorded here: their file goes to quarantine and the sequence stays open."""

    class Outcome(models.TextChoices):
        APPLIED = "applied", _("已处理")
        REFUSED = "refused", _("已拒收")

    direction = models.CharField(_("方向"), max_length=8, choices=Direction.choices)
    sequence = models.PositiveBigIntegerField(_("序号"))
    kind = models.CharField(_("类型"), max_length=24)
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices)
    reason = models.TextField(_("原因"), blank=True)
    sha256 = models.CharField(_("文件 SHA-256"), max_length=64)
    received_at = models.DateTimeField(_("接收时间"))

    class Meta:
        verbose_name = _("已收消息")
        verbose_name_plural = _("已收消息")
        constraints = (
            models.UniqueConstraint(fields=["direction", "sequence"],
                                    name="zone_received_sequence_once"),
        )

    def __str__(self) -> str:
        return f"{self.direction} #{self.sequence} {self.kind} {self.outcome}"


class SubmissionQuerySet(models.QuerySet):
    def own(self, user, kind: str) -> "SubmissionQuerySet":
        """What ``user``'s unit (an enterprise user) or the user themself (a person) submitted
        of ``kind`` on this instance, newest first."""
        owner = (models.Q(uscc=user.uscc) if user.uscc
                 else models.Q(submitted_by=user, uscc=""))
        return self.filter(owner, kind=kind)


class Submission(models.Model):
    """On the internet instance: something an enterprise or the public submitted, waiting for
    the intranet's answer (shown on the portal as "submitted, awaiting intranet review")."""

    class Kind(models.TextChoices):
        CONFIRMATION = "confirmation", _("确认并签署承诺书")
        OBJECTION = "objection", _("公示异议")
        ACCOUNT_CHANGE = "account_change", _("变更收款账户")
        LATE_CLAIM = "late_claim", _("补报")
        APPEAL = "appeal", _("申请复核")

    class Status(models.TextChoices):
        AWAITING = "awaiting", _("已提交，等待内网审核")
        ACCEPTED = "accepted", _("内网已受理")
        REFUSED = "refused", _("内网未受理")

    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT, null=True,
                             blank=True, related_name="zone_submissions")
    uscc = models.CharField(_("统一社会信用代码"), max_length=18, blank=True)
    summary = models.CharField(_("摘要"), max_length=255, blank=True,
                               help_text=_("提交的要点（账号等已遮盖）。"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices,
                              default=Status.AWAITING)
    reason = models.TextField(_("内网答复"), blank=True)
    submitted_at = models.DateTimeField(_("提交时间"))
    submitted_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"),
                                     on_delete=models.PROTECT, null=True, blank=True,
                                     related_name="+")
    decided_at = models.DateTimeField(_("答复时间"), null=True, blank=True)
    message = models.OneToOneField(OutboundMessage, verbose_name=_("消息"),
                                   on_delete=models.PROTECT, related_name="submission")

    objects = SubmissionQuerySet.as_manager()

    class Meta:
        verbose_name = _("外网提交")
        verbose_name_plural = _("外网提交")
        ordering = ("-submitted_at", "-id")
        constraints = (
            # One confirmation in flight per case: a second click must not sign twice.
            models.UniqueConstraint(fields=["case"], condition=models.Q(kind="confirmation",
                                                                        status="awaiting"),
                                    name="zone_one_awaiting_confirmation_per_case"),
        )

    def __str__(self) -> str:
        return f"{self.get_kind_display()} · {self.get_status_display()}"


class ExportCursor(models.Model):
    """On the intranet: how far ``outward.collect`` has read a source (the last id sent)."""

    name = models.CharField(_("名称"), max_length=64, unique=True)
    position = models.BigIntegerField(_("位置"), default=0)

    class Meta:
        verbose_name = _("导出位置")
        verbose_name_plural = _("导出位置")

    def __str__(self) -> str:
        return f"{self.name} @ {self.position}"


class AppealLink(models.Model):
    """On the intranet: an appeal filed on the internet instance, and its number there.

    Appeals are numbered by the zone they are filed in (the internet), cases by the intranet:
    the link lets the intranet's answer find the internet's appeal (``outward.collect`` sends
    each answer once, then stamps ``answer_sent_at``)."""

    appeal = models.OneToOneField("web.Appeal", verbose_name=_("复核申请"),
                                  on_delete=models.PROTECT, related_name="+")
    internet_appeal = models.PositiveBigIntegerField(_("外网复核申请编号"), unique=True)
    answer_sent_at = models.DateTimeField(_("答复发出时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("外网复核申请")
        verbose_name_plural = _("外网复核申请")

    def __str__(self) -> str:
        return f"复核申请 {self.appeal_id} ← 外网 {self.internet_appeal}"


class SentAccountChange(models.Model):
    """On the intranet: the status of an account change last sent outward.

    An account change has no event of its own to collect by: ``outward.collect`` sends each
    change whose status differs from the one recorded here (a new request, then its decision),
    then records the status sent."""

    change = models.OneToOneField("payments.AccountChange", verbose_name=_("收款账户变更"),
                                  on_delete=models.PROTECT, related_name="+")
    status = models.CharField(_("已发出的状态"), max_length=16)
    sent_at = models.DateTimeField(_("发出时间"))

    class Meta:
        verbose_name = _("已发出的账户变更")
        verbose_name_plural = _("已发出的账户变更")

    def __str__(self) -> str:
        return f"账户变更 {self.change_id} → {self.status}"
