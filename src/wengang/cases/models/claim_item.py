"""The claim items of a training case: each course, certificate or person-month it pays for.

One case per beneficiary × program × refund year (``Case``); a person's several certificates
or courses in a year, or a unit's person-months of 以工代训, are its items. The case's amount is
the sum of its items. ``item_key`` is what must never be paid twice, and the database refuses
a second item with the same key in a program, whoever's case it would join.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from .case import Case
from .person import Person
from .runs import ScreeningRun


class Subject(models.TextChoices):
    """What a person screening row decides about (docs/feeds.md §7 ``subject``)."""

    COURSE_COMPLETION = "course_completion", _("线上培训课程")
    CERTIFICATE = "certificate", _("技能等级证书")
    ROSTER_MONTH = "roster_month", _("以工代训人月")


def item_key(subject: str, record: str, person_digest: str) -> str:
    """What must never be paid twice under one program, from a screening row.

    A certificate is paid once whoever holds it (its number); a course once per person whatever
    the platform (``platform/course_id`` → the course number); a person-month once whichever
    unit trained the person (``uscc/month`` → the month). The person is named by blind index,
    never by ID number.
    """
    if subject == Subject.CERTIFICATE:
        return record
    if subject in (Subject.COURSE_COMPLETION, Subject.ROSTER_MONTH):
        return f"{person_digest}:{record.rsplit('/', 1)[-1]}"
    raise ValueError(subject)


class ClaimItem(models.Model):
    """One record a training case pays for, with the amount screening decided for it."""

    case = models.ForeignKey(Case, verbose_name=_("案件"), on_delete=models.PROTECT,
                             related_name="items", db_index=False)  # (case, dated) index below
    program = models.CharField(_("政策项目"), max_length=32)
    subject = models.CharField(_("补贴事项"), max_length=24, choices=Subject.choices)
    record = models.CharField(_("记录"), max_length=120,
                              help_text=_("平台/课程编号、证书编号或 统一社会信用代码/月份。"))
    person = models.ForeignKey(Person, verbose_name=_("个人"), on_delete=models.PROTECT,
                               related_name="claim_items")
    amount_fen = models.BigIntegerField(_("补贴金额（分）"))
    dated = models.DateField(_("日期"), help_text=_("结业日、发证日或以工代训月份的第一天。"))
    item_key = models.CharField(_("查重键"), max_length=120, editable=False,
                                help_text=_("同一项目内不得重复补贴的依据：证书编号、个人+课程、个人+月份。"))
    level = models.PositiveSmallIntegerField(
        _("证书等级"), null=True, blank=True,
        help_text=_("技能等级证书的等级（1 高级技师 … 5 初级工），取自证书数据；其他事项为空。"))
    explanation = models.TextField(_("筛查说明"))
    run = models.ForeignKey(ScreeningRun, verbose_name=_("筛查批次"), on_delete=models.PROTECT,
                            related_name="+", db_index=False,
                            db_constraint=False)  # see Case.opened_by_run
    created_at = models.DateTimeField(_("加入时间"))

    class Meta:
        verbose_name = _("补贴明细")
        verbose_name_plural = _("补贴明细")
        ordering = ("case_id", "dated", "id")
        constraints = (
            models.UniqueConstraint(fields=["program", "item_key"], name="claim_item_paid_once"),
            models.CheckConstraint(condition=models.Q(amount_fen__gt=0),
                                   name="claim_item_amount_positive"),
            models.CheckConstraint(condition=models.Q(subject__in=Subject.values),
                                   name="claim_item_subject_known"),
            # Only a certificate has a level (the statistics count certificates by it).
            models.CheckConstraint(
                condition=models.Q(level__isnull=True)
                | models.Q(subject=Subject.CERTIFICATE, level__gte=1, level__lte=5),
                name="claim_item_level_of_a_certificate"),
        )
        indexes = (models.Index(fields=["case", "dated"], name="claim_item_case_dated"),)

    def __str__(self) -> str:
        return f"{self.get_subject_display()} {self.record} · {self.amount_fen} 分"
