"""Publicity (公示): approved cases published for a period; objections from the public."""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from .case import Case, RegionScopedQuerySet
from .common import Channel


class PublicityBatchQuerySet(RegionScopedQuerySet):
    """Publicity batches; ``visible_to`` a staff user: those of their region subtree."""

    def open(self) -> "PublicityBatchQuerySet":
        return self.filter(status=PublicityBatch.Status.OPEN)


class PublicityBatch(models.Model):
    """A published list: runs from ``start_on`` to ``end_on``, both days included."""

    class Status(models.TextChoices):
        OPEN = "open", _("公示中")
        CLOSED = "closed", _("已结束")

    region_code = models.CharField(_("行政区划"), max_length=6)
    program = models.CharField(_("政策项目"), max_length=32, blank=True)
    start_on = models.DateField(_("公示开始日"))
    end_on = models.DateField(_("公示结束日"))
    workdays = models.PositiveSmallIntegerField(_("公示期（工作日）"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发布人"),
                                  on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("发布时间"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    closed_at = models.DateTimeField(_("结束时间"), null=True, blank=True)
    closed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("结束操作人"),
                                  on_delete=models.PROTECT, null=True, blank=True,
                                  related_name="+")
    cases = models.ManyToManyField(Case, through="PublicityItem", related_name="publicity_batches",
                                   verbose_name=_("案件"))

    objects = PublicityBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("公示批次")
        verbose_name_plural = _("公示批次")
        ordering = ("-start_on", "-id")
        constraints = (
            models.CheckConstraint(condition=models.Q(end_on__gte=models.F("start_on")),
                                   name="publicity_ends_after_start"),
        )

    def __str__(self) -> str:
        return f"公示 #{self.pk} · {self.start_on} 至 {self.end_on}"


class PublicityItem(models.Model):
    batch = models.ForeignKey(PublicityBatch, verbose_name=_("公示批次"), on_delete=models.PROTECT,
                              related_name="items", db_index=False)
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="publicity_items")

    class Meta:
        verbose_name = _("公示案件")
        verbose_name_plural = _("公示案件")
        constraints = (
            models.UniqueConstraint(fields=["batch", "case"], name="publicity_item_once_per_batch"),
        )

    def __str__(self) -> str:
        return f"公示 #{self.batch_id} · 案件 {self.case_id}"


class PublicityListing(models.Model):
    """A published case as the public list shows it: written once, when its batch opens.

    The public search reads this table alone, one indexed query per page, instead of joining
    the batch's cases to their units on every request (about 240 ms for 20,000 cases in
    PostgreSQL, whatever the page). It holds what was published that day — the name (a
    person's masked), the code, the program and the amount — one row per ``PublicityItem``
    (``cases.publicity.write_listing``); rows are never changed, and the batch's status and
    dates decide whether they are shown.
    """

    batch = models.ForeignKey(PublicityBatch, verbose_name=_("公示批次"), on_delete=models.PROTECT,
                              related_name="listing", db_index=False)  # the unique index leads
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="+", db_index=False)
    name = models.CharField(_("名称"), max_length=200, help_text=_("单位名称；个人姓名已脱敏。"))
    code = models.CharField(_("统一社会信用代码"), max_length=18, blank=True,
                            help_text=_("单位的代码；个人不公示证件号码。"))
    program = models.CharField(_("政策项目"), max_length=32)
    amount_fen = models.BigIntegerField(_("返还金额（分）"))

    class Meta:
        verbose_name = _("公示名单行")
        verbose_name_plural = _("公示名单行")
        constraints = (
            # The list's order (batch, case): a page is a walk of this index.
            models.UniqueConstraint(fields=["batch", "case"], name="publicity_listing_once_per_batch"),
            models.CheckConstraint(condition=models.Q(amount_fen__gte=0),
                                   name="publicity_listing_amount_not_negative"),
        )

    def __str__(self) -> str:
        return f"公示 #{self.batch_id} · {self.name}"


class Objection(models.Model):
    """An objection from the public (异议) to a published case: who, how to reach them, why."""

    class Status(models.TextChoices):
        OPEN = "open", _("待处理")
        UPHELD = "upheld", _("异议成立")
        DISMISSED = "dismissed", _("异议不成立")
        MOOT = "moot", _("无需处理（案件已办结）")

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="objections")
    batch = models.ForeignKey(PublicityBatch, verbose_name=_("公示批次"), on_delete=models.PROTECT,
                              related_name="objections", db_index=False)
    objector_name = models.CharField(_("异议人"), max_length=64)
    objector_contact = models.CharField(_("联系方式"), max_length=64)
    reason = models.TextField(_("异议理由"))
    filed_at = models.DateTimeField(_("提出时间"))
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("登记人"),
                                 on_delete=models.PROTECT, null=True, blank=True, related_name="+",
                                 help_text=_("经办人员代为登记时填写。"))
    channel = models.CharField(_("渠道"), max_length=16, choices=Channel.choices,
                               default=Channel.PUBLIC)
    status = models.CharField(_("状态"), max_length=10, choices=Status.choices,
                              default=Status.OPEN)
    resolved_at = models.DateTimeField(_("处理时间"), null=True, blank=True)
    resolved_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("处理人"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    resolution = models.TextField(_("处理意见"), blank=True)

    class Meta:
        verbose_name = _("公示异议")
        verbose_name_plural = _("公示异议")
        ordering = ("filed_at", "id")
        constraints = (
            models.CheckConstraint(condition=~models.Q(reason="") & ~models.Q(objector_name=""),
                                   name="objection_has_reason_and_name"),
        )

    def __str__(self) -> str:
        return f"异议 #{self.pk} · 案件 {self.case_id} · {self.get_status_display()}"
