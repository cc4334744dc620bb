"""Notices to enterprises and persons: one per beneficiary × event × channel × recipient, and
what became of it.

A notice is derived from a case event (``planning``), rendered from a versioned template when it
is sent (``templates``), handed to a channel (``channels``) and settled by the gateway's answer
or a delivery receipt (``sending``, ``receipts``). The database key
``notice_one_per_unit_event_channel`` is what makes "one call, one text" hold even when planning
runs twice at once; ``notice_one_per_person_event_channel`` does the same for a person (a
trainee told of their skills-training subsidy).
"""

from django.conf import settings
from django.db import models
from django.db.models import Count, Q
from django.utils.translation import gettext_lazy as _

from wengang.cases.models import Case, CaseEvent, Person, Unit, region_q


class Topic(models.TextChoices):
    """The events an enterprise is told about (告知事项)."""

    ELIGIBLE_AUTOMATIC = "eligible_automatic", _("符合条件（免申即享）")
    ELIGIBLE_APPLICATION = "eligible_application", _("符合条件（请确认申请）")
    REMINDER = "reminder", _("申请截止提醒")
    APPROVED = "approved", _("审核通过")
    IN_PUBLICITY = "in_publicity", _("进入公示")
    PAID = "paid", _("已拨付")
    PAYMENT_FAILED = "payment_failed", _("拨付失败")
    REJECTED = "rejected", _("不予通过")
    CLAWBACK = "clawback", _("追回通知")
    PERSON_ELIGIBLE = "person_eligible", _("个人：符合补贴条件")
    PERSON_PAID = "person_paid", _("个人：补贴已发放")


PERSON_TOPICS = frozenset({Topic.PERSON_ELIGIBLE, Topic.PERSON_PAID})
"""What a person (a trainee) is told: that they are eligible, and that the money is paid."""


class Channel(models.TextChoices):
    INBOX = "inbox", _("站内消息")
    OUTBOX = "outbox", _("发件箱文件")
    SMS = "sms", _("短信")
    WECHAT = "wechat", _("微信模板消息")
    EMAIL = "email", _("电子邮件")
    CALL = "call", _("12333 外呼")


class Recipient(models.TextChoices):
    """Who at the unit: the unit itself (inbox), its contact, or its social-insurance clerk;
    or the person a person's case is about (inbox and their phone)."""

    UNIT = "unit", _("单位")
    CONTACT = "contact", _("联系人")
    CLERK = "clerk", _("社保专管员")
    PERSON = "person", _("本人")


class Status(models.TextChoices):
    PENDING = "pending", _("待发送")
    SENT = "sent", _("已发送")
    DELIVERED = "delivered", _("已送达")
    FAILED = "failed", _("发送失败")
    SUPPRESSED = "suppressed", _("已退订，未发送")


FINAL_STATUSES = (Status.DELIVERED, Status.FAILED, Status.SUPPRESSED)


class NoticeQuerySet(models.QuerySet):
    def in_region(self, region_code: str) -> "NoticeQuerySet":
        return self.filter(region_q("unit__region_code", region_code)
                           | region_q("person__region_code", region_code))

    def on(self, channel: str) -> "NoticeQuerySet":
        return self.filter(channel=channel)

    def due(self, now) -> "NoticeQuerySet":
        """Pending notices whose next attempt (or expired lease) has come, oldest first."""
        return (self.filter(status=Status.PENDING, next_attempt_at__lte=now)
                .order_by("next_attempt_at", "id"))

    def inbox_for(self, unit: Unit) -> "NoticeQuerySet":
        """The unit's messages page: every notice on any channel, newest first (UX: Messages)."""
        return self.filter(unit=unit).exclude(status=Status.SUPPRESSED).order_by("-created_at", "-id")

    def inbox_for_person(self, person: Person) -> "NoticeQuerySet":
        """A person's messages page: their notices on every channel, newest first."""
        return (self.filter(person=person).exclude(status=Status.SUPPRESSED)
                .order_by("-created_at", "-id"))

    def reach(self, *by: str) -> list[dict]:
        """Reach statistics grouped ``by`` any of channel, topic, region (and status counts).

        ``region`` groups by the unit's county code. A notice handed over counts as sent; one
        the gateway confirmed (or the inbox holds) as delivered too.
        """
        fields = {"channel": "channel", "topic": "topic", "region": "unit__region_code"}
        group = [fields[name] for name in by]
        counts = {
            "notices": Count("id"),
            "sent": Count("id", filter=Q(status__in=[Status.SENT, Status.DELIVERED])),
            "delivered": Count("id", filter=Q(status=Status.DELIVERED)),
            "failed": Count("id", filter=Q(status=Status.FAILED)),
            "pending": Count("id", filter=Q(status=Status.PENDING)),
            "suppressed": Count("id", filter=Q(status=Status.SUPPRESSED))}
        if not group:
            return [self.aggregate(**counts)]
        rows = self.values(*group).order_by(*group).annotate(**counts)
        names = {value: key for key, value in fields.items()}
        return [{names.get(key, key): value for key, value in row.items()} for row in rows]


class NoticeTemplate(models.Model):
    """One version of the text of a topic on a kind of channel, in one language.

    Never edited: a change is a new version, and each notice records the version it was sent
    with, so what an enterprise was told can be shown word for word years later.
    """

    class Form(models.TextChoices):
        SHORT = "short", _("短文本（短信、外呼话术、微信）")
        LONG = "long", _("长文本（站内消息、邮件）")

    topic = models.CharField(_("告知事项"), max_length=24, choices=Topic.choices)
    form = models.CharField(_("文本类型"), max_length=8, choices=Form.choices)
    language = models.CharField(_("语言"), max_length=8, choices=settings.LANGUAGES)
    version = models.PositiveIntegerField(_("版本"))
    subject = models.CharField(_("标题"), max_length=100)
    body = models.TextField(_("正文"), help_text=_(
        "可用占位符：{unit} 单位名称，{program} 政策项目，{year} 返还年度，{amount} 金额（元），"
        "{link} 短链接，{due_on} 截止日期，{reason} 理由，{account} 收款账户（脱敏）。"))
    sms_template_code = models.CharField(_("短信模板编号"), max_length=40, blank=True,
                                         help_text=_("云短信平台备案的模板编号；通用网关可留空。"))
    created_at = models.DateTimeField(_("创建时间"))

    class Meta:
        verbose_name = _("告知模板")
        verbose_name_plural = _("告知模板")
        ordering = ("topic", "form", "language", "-version")
        constraints = (
            models.UniqueConstraint(fields=["topic", "form", "language", "version"],
                                    name="notice_template_one_per_version"),
        )

    def __str__(self) -> str:
        return f"{self.get_topic_display()} · {self.form} · {self.language} v{self.version}"

    def save(self, *args, **kwargs) -> None:
        """A template version once written is what notices cite: add a version, never edit."""
        if not self._state.adding:
            from .errors import TemplateFrozen

            raise TemplateFrozen(self.pk)
        super().save(*args, **kwargs)


class Contact(models.Model):
    """An address of a unit that the feeds do not carry: an e-mail box or a WeChat openid.

    Phones come from the units feed (contact and clerk); these come from the enterprise
    (portal) or the agency.
    """

    unit = models.ForeignKey(Unit, verbose_name=_("参保单位"), on_delete=models.CASCADE,
                             related_name="outreach_contacts")
    channel = models.CharField(_("渠道"), max_length=8, choices=[
        (Channel.EMAIL.value, Channel.EMAIL.label), (Channel.WECHAT.value, Channel.WECHAT.label)])
    recipient = models.CharField(_("接收人"), max_length=8, choices=Recipient.choices,
                                 default=Recipient.CONTACT)
    address = models.CharField(_("地址"), max_length=254)
    language = models.CharField(_("语言"), max_length=8, choices=settings.LANGUAGES,
                                default=settings.LANGUAGE_CODE)

    class Meta:
        verbose_name = _("联系方式")
        verbose_name_plural = _("联系方式")
        constraints = (
            models.UniqueConstraint(fields=["unit", "channel", "recipient"],
                                    name="contact_one_per_unit_channel_recipient"),
        )

    def __str__(self) -> str:
        return f"{self.unit_id} {self.channel} {self.recipient}"


class OptOut(models.Model):
    """A unit asked not to be told on a channel (退订). The in-site inbox cannot be opted out."""

    unit = models.ForeignKey(Unit, verbose_name=_("参保单位"), on_delete=models.CASCADE,
                             related_name="outreach_opt_outs")
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    at = models.DateTimeField(_("退订时间"))
    source = models.CharField(_("来源"), max_length=64, blank=True,
                              help_text=_("如“短信回复 TD”“12333 来电”。"))

    class Meta:
        verbose_name = _("退订")
        verbose_name_plural = _("退订")
        constraints = (
            models.UniqueConstraint(fields=["unit", "channel"], name="opt_out_one_per_unit_channel"),
            models.CheckConstraint(condition=~Q(channel=Channel.INBOX), name="opt_out_not_inbox"),
        )

    def __str__(self) -> str:
        return f"{self.unit_id} 退订 {self.channel}"


class Notice(models.Model):
    """One message to one recipient of a unit (or to a person) about one event of one case, on
    one channel. Exactly one of ``unit`` and ``person``: the case's beneficiary."""

    unit = models.ForeignKey(Unit, verbose_name=_("参保单位"), on_delete=models.PROTECT,
                             related_name="notices", null=True, blank=True,
                             db_index=False)  # the unique key leads with it
    person = models.ForeignKey(Person, verbose_name=_("个人"), on_delete=models.PROTECT,
                               related_name="notices", null=True, blank=True,
                               db_index=False)  # the unique key leads with it
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="notices", db_index=False)
    event = models.ForeignKey(CaseEvent, verbose_name=_("案件事件"), on_delete=models.PROTECT,
                              null=True, blank=True, related_name="+", db_index=False,
                              help_text=_("告知所依据的事件；追回通知依据应追回款，无案件事件。"))
    topic = models.CharField(_("告知事项"), max_length=24, choices=Topic.choices)
    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    recipient = models.CharField(_("接收人"), max_length=8, choices=Recipient.choices)
    address = models.CharField(_("地址"), max_length=254, blank=True,
                               help_text=_("手机号、邮箱或微信 openid；站内消息为空。"))
    language = models.CharField(_("语言"), max_length=8, default=settings.LANGUAGE_CODE)
    amount_fen = models.BigIntegerField(_("金额（分）"))
    due_on = models.DateField(_("截止日期"), null=True, blank=True)
    reason = models.TextField(_("理由"), blank=True)
    status = models.CharField(_("状态"), max_length=12, choices=Status.choices,
                              default=Status.PENDING)
    attempts = models.PositiveSmallIntegerField(_("发送次数"), default=0)
    next_attempt_at = models.DateTimeField(_("下次发送时间"))
    lease = models.CharField(_("发送租约"), max_length=32, blank=True,
                             help_text=_("正在发送的工作进程；租约到期未完成则由其他进程接手。"))
    template = models.ForeignKey(NoticeTemplate, verbose_name=_("模板版本"),
                                 on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", db_index=False)
    text = models.TextField(_("发送内容"), blank=True)
    gateway_message_id = models.CharField(_("网关消息编号"), max_length=64, blank=True)
    error = models.CharField(_("错误"), max_length=255, blank=True)
    created_at = models.DateTimeField(_("生成时间"))
    sent_at = models.DateTimeField(_("发送时间"), null=True, blank=True)
    delivered_at = models.DateTimeField(_("送达时间"), null=True, blank=True)

    objects = NoticeQuerySet.as_manager()

    class Meta:
        verbose_name = _("告知")
        verbose_name_plural = _("告知")
        constraints = (
            # An "event" is a topic of one case (a unit × program × year): a unit with two
            # programs hears about each, but never twice about the same one on one channel.
            models.UniqueConstraint(fields=["unit", "case", "topic", "channel", "recipient"],
                                    name="notice_one_per_unit_event_channel"),
            # NULLs are distinct in a unique key: a person's notices need their own.
            models.UniqueConstraint(fields=["person", "case", "topic", "channel", "recipient"],
                                    name="notice_one_per_person_event_channel"),
            models.CheckConstraint(condition=Q(unit__isnull=False, person__isnull=True)
                                   | Q(unit__isnull=True, person__isnull=False),
                                   name="notice_one_beneficiary"),
            models.CheckConstraint(condition=Q(status__in=Status.values), name="notice_status_known"),
        )
        indexes = (
            models.Index(fields=["status", "channel", "next_attempt_at"], name="notice_due"),
            models.Index(fields=["gateway_message_id"], name="notice_gateway_message"),
        )

    def __str__(self) -> str:
        to = self.unit_id if self.unit_id else f"p{self.person_id}"
        return f"{self.get_topic_display()} → {to} · {self.get_channel_display()}"

    @property
    def idempotency_key(self) -> str:
        """Sent with every attempt: a gateway that already took this message takes it once."""
        return f"wg-notice-{self.pk}"


class Dispatch(models.Model):
    """One run of sending on one channel (a CLI run or a background task), with its progress."""

    channel = models.CharField(_("渠道"), max_length=8, choices=Channel.choices)
    task_id = models.CharField(_("后台任务编号"), max_length=64, blank=True)
    started_at = models.DateTimeField(_("开始时间"))
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    due = models.PositiveIntegerField(_("开始时待发送"), default=0)
    sent = models.PositiveIntegerField(_("已发送"), default=0)
    failed = models.PositiveIntegerField(_("失败"), default=0)
    retried = models.PositiveIntegerField(_("待重试"), default=0)
    deferred = models.PositiveIntegerField(_("静默时段顺延"), default=0)
    suppressed = models.PositiveIntegerField(_("已退订"), default=0)

    class Meta:
        verbose_name = _("发送批次")
        verbose_name_plural = _("发送批次")
        ordering = ("-started_at", "-id")

    def __str__(self) -> str:
        return f"{self.channel} #{self.pk} {self.sent}/{self.due}"

    @property
    def done(self) -> int:
        return self.sent + self.failed + self.retried + self.deferred + self.suppressed
