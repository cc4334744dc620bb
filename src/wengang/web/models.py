"""What the web records of its own: each time someone saw personal data in full, and why."""

from django.conf import settings
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _


class Disclosure(models.Model):
    """A staff user was shown a unit's phone and account number in full, for a stated reason.

    Lists and pages show them masked; the full values cost a reason, and the reason is kept
    (append-only in practice: nobody is offered a way to change it).
    """

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("查看人"),
                             on_delete=models.PROTECT, related_name="+")
    case = models.ForeignKey("cases.Case", verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="+")
    reason = models.CharField(_("查看理由"), max_length=200)
    ip = models.GenericIPAddressField(_("来源 IP"), null=True, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("完整个人信息查看记录")
        verbose_name_plural = _("完整个人信息查看记录")
        ordering = ("-at", "-id")
        constraints = (
            models.CheckConstraint(condition=~models.Q(reason=""), name="disclosure_has_reason"),
        )

    def __str__(self) -> str:
        return f"{self.user_id} · 案件 {self.case_id} · {self.at:%Y-%m-%d %H:%M}"


class ScreeningJob(models.Model):
    """A screening run started from the console: a snapshot screened, then loaded into cases.

    The background task (``web.tasks.screen_and_load``) writes its step and share done here, so
    the page that started it can poll the row; the loaded run is ``run`` once it is finished.
    """

    class Status(models.TextChoices):
        QUEUED = "queued", _("排队中")
        RUNNING = "running", _("进行中")
        DONE = "done", _("已完成")
        FAILED = "failed", _("失败")

    started_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("发起人"),
                                   on_delete=models.PROTECT, related_name="+")
    started_at = models.DateTimeField(_("发起时间"))
    region_code = models.CharField(_("行政区划"), max_length=6)
    snapshot_id = models.CharField(_("快照编号"), max_length=80)
    programs = models.JSONField(_("政策项目"))
    as_of = models.DateField(_("筛查日"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices,
                              default=Status.QUEUED)
    step = models.CharField(_("当前步骤"), max_length=200, blank=True)
    done = models.FloatField(_("完成比例"), default=0.0, help_text=_("0 至 1。"))
    task_id = models.CharField(_("后台任务编号"), max_length=64, blank=True)
    run = models.ForeignKey("cases.ScreeningRun", verbose_name=_("筛查批次"), null=True,
                            blank=True, on_delete=models.PROTECT, related_name="+")
    error = models.TextField(_("错误信息"), blank=True)
    finished_at = models.DateTimeField(_("结束时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("筛查任务")
        verbose_name_plural = _("筛查任务")
        ordering = ("-started_at", "-id")
        constraints = (
            models.CheckConstraint(condition=models.Q(done__gte=0) & models.Q(done__lte=1),
                                   name="screening_job_done_is_a_share"),
        )

    def __str__(self) -> str:
        return f"筛查任务 {self.pk} · {self.region_code} · {self.as_of}"

    @property
    def finished(self) -> bool:
        return self.status in (self.Status.DONE, self.Status.FAILED)

    @property
    def percent(self) -> int:
        return round(self.done * 100)


class AppealQuerySet(models.QuerySet):
    def open(self) -> "AppealQuerySet":
        return self.filter(status=Appeal.Status.OPEN)

    def visible_to(self, user) -> "AppealQuerySet":
        """Appeals on the cases ``user`` may see (own unit, or region subtree)."""
        from wengang.cases.models import Case

        return self.filter(case__in=Case.objects.visible_to(user))

    def answer(self, pk: int, *, actor, answer: str) -> "Appeal":
        """Answer the open appeal ``pk`` among these (the caller's visible ones), once.

        Raises ``Appeal.DoesNotExist`` when it is not among them, ``PreconditionFailed`` when
        it was answered already (the row is locked: two officers cannot both answer).
        """
        from wengang.cases.errors import PreconditionFailed
        from wengang.core.clock import clock

        with transaction.atomic():
            appeal = self.select_for_update().get(pk=pk)
            if appeal.status != Appeal.Status.OPEN:
                raise PreconditionFailed(f"复核申请 #{pk} 已答复，不能再次答复",
                                         f"appeal #{pk} has been answered already")
            appeal.status, appeal.answer = Appeal.Status.ANSWERED, answer
            appeal.answered_by, appeal.answered_at = actor, clock.now()
            appeal.save()
        return appeal


class Appeal(models.Model):
    """An enterprise objects to the decision on its case (申请复核), and the agency answers.

    Filing changes nothing about the case: the agency reads the reason and, where it is right,
    acts through the case workflow (hold, correct the data and re-screen, …), then answers.
    """

    class Status(models.TextChoices):
        OPEN = "open", _("待答复")
        ANSWERED = "answered", _("已答复")

    case = models.ForeignKey("cases.Case", verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="+")
    filed_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("申请人"),
                                 on_delete=models.PROTECT, related_name="+")
    filed_at = models.DateTimeField(_("提出时间"))
    reason = models.TextField(_("复核理由"))
    status = models.CharField(_("状态"), max_length=8, choices=Status.choices,
                              default=Status.OPEN)
    answer = models.TextField(_("答复"), blank=True)
    answered_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("答复人"),
                                    on_delete=models.PROTECT, null=True, blank=True,
                                    related_name="+")
    answered_at = models.DateTimeField(_("答复时间"), null=True, blank=True)

    objects = AppealQuerySet.as_manager()

    class Meta:
        verbose_name = _("企业复核申请")
        verbose_name_plural = _("企业复核申请")
        ordering = ("status", "filed_at", "id")
        constraints = (
            models.CheckConstraint(condition=~models.Q(reason=""), name="appeal_has_reason"),
            models.CheckConstraint(
                condition=models.Q(status="open") | ~models.Q(answer=""),
                name="appeal_answered_has_answer"),
            # One question at a time: a second one waits for the answer to the first.
            models.UniqueConstraint(fields=["case"], condition=models.Q(status="open"),
                                    name="appeal_one_open_per_case"),
        )

    def __str__(self) -> str:
        return f"复核申请 · 案件 {self.case_id} · {self.get_status_display()}"


class NoticeRead(models.Model):
    """The enterprise opened a notice in its inbox (消息): read, not unread, from then on.

    A row per notice, not a flag on ``outreach.Notice``: outreach records what was sent, the
    web what the unit did with it.
    """

    notice = models.OneToOneField("outreach.Notice", verbose_name=_("告知"),
                                  on_delete=models.CASCADE, related_name="+")
    read_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("阅读人"),
                                on_delete=models.PROTECT, related_name="+")
    read_at = models.DateTimeField(_("阅读时间"))

    class Meta:
        verbose_name = _("消息已读记录")
        verbose_name_plural = _("消息已读记录")

    def __str__(self) -> str:
        return f"告知 {self.notice_id} 已读 {self.read_at:%Y-%m-%d %H:%M}"
