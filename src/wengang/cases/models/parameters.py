"""What an administrator sets: workflow durations and reviewer lists per region and program,
and the holiday schedules of years the built-in calendar does not know yet."""

from django.conf import settings
from django.core.exceptions import ValidationError
from django.db import models
from django.utils.translation import gettext_lazy as _


class WorkflowParameters(models.Model):
    """Durations (working days) and reviewer lists; an empty field inherits.

    A row applies to every case of its region (and the regions inside it) and, when
    ``program`` is set, of that program only. The most specific row wins field by field
    (county over city over province over nationwide; a program row over an all-programs row at
    the same level); the product defaults (``cases.parameters.DEFAULTS``) fill the rest.
    """

    region_code = models.CharField(_("行政区划"), max_length=6, blank=True,
                                   help_text=_("留空表示全国默认。"))
    program = models.CharField(_("政策项目"), max_length=32, blank=True,
                               help_text=_("留空表示所有项目。"))
    application_days = models.PositiveSmallIntegerField(_("申请期限（工作日）"), null=True,
                                                        blank=True)
    reminder_days = models.PositiveSmallIntegerField(
        _("申请截止前提醒（工作日）"), null=True, blank=True,
        help_text=_("截止日前第几个工作日提醒尚未申请的企业；0 表示不提醒。"))
    review_days = models.PositiveSmallIntegerField(_("联审时限（工作日）"), null=True, blank=True)
    priority_review_days = models.PositiveSmallIntegerField(_("绿色通道联审时限（工作日）"),
                                                            null=True, blank=True)
    publicity_days = models.PositiveSmallIntegerField(_("公示期（工作日）"), null=True, blank=True)
    reviewers = models.JSONField(_("联审部门"), null=True, blank=True,
                                 help_text=_('部门代码列表，如 ["finance", "tax", "market"]；空列表表示不联审。'))
    reviewers_by_size = models.JSONField(
        _("按企业规模的联审部门"), null=True, blank=True,
        help_text=_('企业规模到部门列表的映射，如 {"small": [], "micro": []}（小微企业不联审）。'))
    reject_on_objection = models.BooleanField(
        _("部门异议直接不予通过"), null=True, blank=True,
        help_text=_("否（默认）：有异议的案件退回经办机构；是：直接不予通过。"))
    review_publicity_overlap = models.BooleanField(
        _("随审随公示"), null=True, blank=True,
        help_text=_("是：提交联审的案件即可公示，联审全部同意且公示期满无异议后待拨付；否（默认）：审核通过后再公示。"))
    late_claim_until = models.DateField(_("补报截止日"), null=True, blank=True,
                                        help_text=_("留空表示返还年度的12月31日。"))
    note = models.TextField(_("依据或说明"), blank=True)

    class Meta:
        verbose_name = _("办理参数")
        verbose_name_plural = _("办理参数")
        ordering = ("region_code", "program")
        constraints = (
            models.UniqueConstraint(fields=["region_code", "program"],
                                    name="workflow_parameters_one_per_region_program"),
            models.CheckConstraint(
                condition=models.Q(region_code="") | models.Q(region_code__regex=r"^[0-9]{6}$"),
                name="workflow_parameters_region_six_digits"),
        )

    def __str__(self) -> str:
        return f"办理参数 · {self.region_code or '全国'} · {self.program or '所有项目'}"

    def clean(self) -> None:
        from .. import parameters

        try:
            parameters.check_reviewer_lists(self.reviewers, self.reviewers_by_size)
        except ValueError as error:
            raise ValidationError(str(error)) from None


class CalendarDay(models.Model):
    """A day of an official holiday schedule the built-in calendar lacks (or corrects).

    Enter a year's schedule as the State Council publishes it: weekdays off (``holiday``) and
    weekend make-up working days (``workday``). ``cases.calendar.work_calendar`` builds the
    working-day calendar from the built-in years and these rows.
    """

    class Kind(models.TextChoices):
        HOLIDAY = "holiday", _("放假")
        WORKDAY = "workday", _("调休上班")

    day = models.DateField(_("日期"), unique=True)
    kind = models.CharField(_("类型"), max_length=8, choices=Kind.choices)
    name = models.CharField(_("节日"), max_length=32, blank=True)
    added_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("添加人"),
                                 on_delete=models.PROTECT, null=True, blank=True, related_name="+")

    class Meta:
        verbose_name = _("节假日安排")
        verbose_name_plural = _("节假日安排")
        ordering = ("day",)
        constraints = (
            models.CheckConstraint(condition=models.Q(kind__in=["holiday", "workday"]),
                                   name="calendar_day_kind_known"),
        )

    def __str__(self) -> str:
        return f"{self.day} {self.get_kind_display()} {self.name}".strip()

    def clean(self) -> None:
        if self.kind == self.Kind.WORKDAY and self.day and self.day.weekday() < 5:
            raise ValidationError(_("调休上班日应为周六或周日。"))
