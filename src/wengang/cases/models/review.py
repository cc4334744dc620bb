"""Joint review (部门联审): batches of cases, one task per department, objections to named cases."""

from datetime import date

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wengang.accounts.models import Department

from .case import Case, RegionScopedQuerySet


class ReviewBatchQuerySet(RegionScopedQuerySet):
    """Review batches; ``visible_to`` a staff user: those of their region subtree."""


class ReviewBatch(models.Model):
    """Cases sent together to the departments on the reviewer list."""

    class Status(models.TextChoices):
        OPEN = "open", _("联审中")
        SETTLED = "settled", _("已办结")

    region_code = models.CharField(_("行政区划"), max_length=6)
    program = models.CharField(_("政策项目"), max_length=32)
    priority = models.BooleanField(_("绿色通道批次"), default=False)
    departments = models.JSONField(_("联审部门"), default=list, blank=True,
                                   help_text=_("空表示本批次无需部门联审，由经办机构审核。"))
    opened_on = models.DateField(_("提交日"))
    due_on = models.DateField(_("联审截止日"))
    opened_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("提交人"),
                                  on_delete=models.PROTECT, related_name="+")
    opened_at = models.DateTimeField(_("提交时间"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices, default=Status.OPEN)
    settled_at = models.DateTimeField(_("办结时间"), null=True, blank=True)
    cases = models.ManyToManyField(Case, through="ReviewItem", related_name="review_batches",
                                   verbose_name=_("案件"))

    objects = ReviewBatchQuerySet.as_manager()

    class Meta:
        verbose_name = _("联审批次")
        verbose_name_plural = _("联审批次")
        ordering = ("-priority", "due_on", "id")
        constraints = (
            models.CheckConstraint(condition=models.Q(due_on__gte=models.F("opened_on")),
                                   name="review_batch_due_after_opening"),
        )

    def __str__(self) -> str:
        return f"联审批次 #{self.pk} · {self.program} · {self.region_code}"


class ReviewItem(models.Model):
    """A case in a review batch and what the batch decided for it."""

    class Outcome(models.TextChoices):
        PENDING = "pending", _("待定")
        APPROVED = "approved", _("通过")
        RETURNED = "returned", _("退回")
        REJECTED = "rejected", _("不予通过")
        LEFT = "left", _("已离开本批次")

    batch = models.ForeignKey(ReviewBatch, verbose_name=_("联审批次"), on_delete=models.PROTECT,
                              related_name="items", db_index=False)
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="review_items")
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices,
                               default=Outcome.PENDING)

    class Meta:
        verbose_name = _("联审案件")
        verbose_name_plural = _("联审案件")
        constraints = (
            models.UniqueConstraint(fields=["batch", "case"], name="review_item_once_per_batch"),
        )

    def __str__(self) -> str:
        return f"#{self.batch_id} · 案件 {self.case_id} · {self.get_outcome_display()}"


class ReviewTaskQuerySet(RegionScopedQuerySet):
    region_field = "batch__region_code"

    def for_reviewer(self, user) -> "ReviewTaskQuerySet":
        """A department reviewer's tasks: their department's, in their region subtree."""
        department = user.review_department
        if not department or not user.region_code:
            return self.none()
        return self.for_department(department).in_region(user.region_code)

    def pending(self) -> "ReviewTaskQuerySet":
        return self.filter(status=ReviewTask.Status.PENDING)

    def overdue(self, today: date) -> "ReviewTaskQuerySet":
        """Pending tasks whose due date has passed (the due day itself is still in time)."""
        return self.pending().filter(due_on__lt=today)

    def for_department(self, department: str) -> "ReviewTaskQuerySet":
        return self.filter(department=department)

    def priority_first(self) -> "ReviewTaskQuerySet":
        return self.order_by("-batch__priority", "due_on", "id")


class ReviewTask(models.Model):
    """One department's review of one batch: agree to all, or object to named cases."""

    class Status(models.TextChoices):
        PENDING = "pending", _("待审")
        AGREED = "agreed", _("全部同意")
        OBJECTED = "objected", _("有异议")

    batch = models.ForeignKey(ReviewBatch, verbose_name=_("联审批次"), on_delete=models.PROTECT,
                              related_name="tasks", db_index=False)
    department = models.CharField(_("部门"), max_length=16, choices=Department.choices)
    due_on = models.DateField(_("截止日"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices,
                              default=Status.PENDING)
    decided_at = models.DateTimeField(_("办理时间"), null=True, blank=True)
    decided_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("办理人"),
                                   on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    note = models.TextField(_("意见"), blank=True)
    escalated_on = models.DateField(_("最近督办日"), null=True, blank=True)
    escalations = models.PositiveSmallIntegerField(_("督办次数"), default=0)

    objects = ReviewTaskQuerySet.as_manager()

    class Meta:
        verbose_name = _("联审任务")
        verbose_name_plural = _("联审任务")
        constraints = (
            models.UniqueConstraint(fields=["batch", "department"],
                                    name="review_task_one_per_department"),
            models.CheckConstraint(
                condition=models.Q(status="pending", decided_at__isnull=True)
                | (~models.Q(status="pending") & models.Q(decided_at__isnull=False)),
                name="review_task_decided_has_time"),
        )
        indexes = (models.Index(fields=["status", "due_on"], name="review_task_status_due"),)

    def __str__(self) -> str:
        return f"{self.get_department_display()} · 批次 #{self.batch_id} · {self.get_status_display()}"


class ReviewObjection(models.Model):
    """A department's objection to one case of a batch, with its reason."""

    task = models.ForeignKey(ReviewTask, verbose_name=_("联审任务"), on_delete=models.PROTECT,
                             related_name="objections", db_index=False)
    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="review_objections")
    reason = models.TextField(_("理由"))

    class Meta:
        verbose_name = _("联审异议")
        verbose_name_plural = _("联审异议")
        constraints = (
            models.UniqueConstraint(fields=["task", "case"], name="review_objection_once_per_task"),
            models.CheckConstraint(condition=~models.Q(reason=""),
                                   name="review_objection_has_reason"),
        )

    def __str__(self) -> str:
        return f"{self.task} · 案件 {self.case_id}"
