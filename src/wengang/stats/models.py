"""Summary tables (汇总表): what the dashboards, reports and roll-ups read.

Counting a million cases on every page view costs seconds; these tables hold the same numbers
grouped by county × program × size × industry (and day, state, channel …) — a few thousand rows
for a city — so a dashboard sums a few thousand rows instead. ``stats.refresh`` rebuilds the
local rows from cases, payments, notices, review tasks and receivables in set-based queries
(``wengang stats refresh``, the ``refresh_stats`` task, or the dashboard's refresh button).

Every row carries ``source``: empty for this deployment's own data, else the region code of the
city whose signed roll-up file was imported (``stats.rollup``). Dashboards add all sources up
within the viewer's region, so a province sees its cities side by side.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

LOCAL = ""


class Rollup(models.Model):
    """Where one source's rows came from, and as of when: the dashboards show it."""

    source = models.CharField(_("来源"), max_length=6, unique=True, blank=True,
                              help_text=_("空：本系统数据；否则为导入的城市行政区划代码。"))
    region_code = models.CharField(_("统计区划"), max_length=6, blank=True)
    as_of = models.DateField(_("统计日"), help_text=_("联审时限按这一天判断。"))
    computed_at = models.DateTimeField(_("计算时间"))
    imported_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    signature = models.CharField(_("签名（HMAC-SM3）"), max_length=64, blank=True)
    seconds = models.FloatField(_("耗时（秒）"), default=0)
    cases = models.PositiveIntegerField(_("案件数"), default=0)

    class Meta:
        verbose_name = _("汇总批次")
        verbose_name_plural = _("汇总批次")
        ordering = ("source",)

    def __str__(self) -> str:
        return f"{self.source or '本地'} · {self.as_of}"


class _Row(models.Model):
    source = models.CharField(_("来源"), max_length=6, blank=True)
    region_code = models.CharField(_("行政区划"), max_length=6)

    class Meta:
        abstract = True


class CaseCount(_Row):
    """Cases by county, program, size and industry (eligible ones and those reached)."""

    program = models.CharField(_("政策项目"), max_length=32)
    size = models.CharField(_("企业规模"), max_length=8)
    industry = models.CharField(_("行业大类"), max_length=2, blank=True)
    cases = models.PositiveIntegerField(_("案件数"))
    eligible = models.PositiveIntegerField(_("符合条件"))
    reached = models.PositiveIntegerField(_("已告知送达"),
                                          help_text=_("符合条件且至少一条告知已发送或送达。"))
    eligible_fen = models.BigIntegerField(_("符合条件金额（分）"))
    insured = models.BigIntegerField(_("参保人数"))

    class Meta:
        verbose_name = _("案件汇总")
        verbose_name_plural = _("案件汇总")
        indexes = (models.Index(fields=["region_code", "program"], name="stats_case_region"),)

    def __str__(self) -> str:
        return f"{self.region_code} {self.program} {self.size} {self.industry}: {self.cases}"


class StateCount(_Row):
    """Cases by county, program and state: the agency's pipeline."""

    program = models.CharField(_("政策项目"), max_length=32)
    state = models.CharField(_("状态"), max_length=24)
    cases = models.PositiveIntegerField(_("案件数"))
    eligible_fen = models.BigIntegerField(_("符合条件金额（分）"))

    class Meta:
        verbose_name = _("状态汇总")
        verbose_name_plural = _("状态汇总")

    def __str__(self) -> str:
        return f"{self.region_code} {self.program} {self.state}: {self.cases}"


class _Paid(_Row):
    payments = models.PositiveIntegerField(_("到账笔数"))
    gross_fen = models.BigIntegerField(_("返还金额（分）"))
    net_fen = models.BigIntegerField(_("实付金额（分）"), help_text=_("扣除抵扣追回款后。"))
    insured = models.BigIntegerField(_("覆盖职工数"))

    class Meta:
        abstract = True


class PaymentCount(_Paid):
    """Successful payments by county, program, size and industry."""

    program = models.CharField(_("政策项目"), max_length=32)
    size = models.CharField(_("企业规模"), max_length=8)
    industry = models.CharField(_("行业大类"), max_length=2, blank=True)

    class Meta:
        verbose_name = _("拨付汇总")
        verbose_name_plural = _("拨付汇总")
        indexes = (models.Index(fields=["region_code", "program"], name="stats_payment_region"),)

    def __str__(self) -> str:
        return f"{self.region_code} {self.program} {self.size} {self.industry}: {self.payments}"


class PaymentDay(_Paid):
    """Successful payments by county, program and the day the money arrived (China time).

    Kept apart from ``PaymentCount``: days × sizes × industries would be nearly a row per
    payment, and trends need no size or industry.
    """

    program = models.CharField(_("政策项目"), max_length=32)
    paid_on = models.DateField(_("到账日"))

    class Meta:
        verbose_name = _("每日拨付汇总")
        verbose_name_plural = _("每日拨付汇总")

    def __str__(self) -> str:
        return f"{self.region_code} {self.program} {self.paid_on}: {self.payments}"


class TimeToMoney(_Row):
    """Paid cases by whole days from screening to money, with the days each step took.

    A histogram, not a list of cases: the median and p90 come out exactly (in days), and two
    cities' histograms add up to the histogram of both.
    """

    program = models.CharField(_("政策项目"), max_length=32)
    days = models.IntegerField(_("筛查至到账（天）"))
    payments = models.PositiveIntegerField(_("笔数"))
    to_approved_days = models.BigIntegerField(_("筛查至审核通过（天，合计）"))
    to_payable_days = models.BigIntegerField(_("审核通过至待拨付（天，合计）"))
    to_paid_days = models.BigIntegerField(_("待拨付至到账（天，合计）"))

    class Meta:
        verbose_name = _("到账时长分布")
        verbose_name_plural = _("到账时长分布")

    def __str__(self) -> str:
        return f"{self.region_code} {self.program} {self.days} 天: {self.payments}"


class ReviewCount(_Row):
    """Joint-review tasks of one department, by how they stood against their deadline."""

    department = models.CharField(_("部门"), max_length=16)
    tasks = models.PositiveIntegerField(_("任务数"))
    on_time = models.PositiveIntegerField(_("按时办结"))
    late = models.PositiveIntegerField(_("逾期办结"))
    pending = models.PositiveIntegerField(_("待办未逾期"))
    overdue = models.PositiveIntegerField(_("待办已逾期"))

    class Meta:
        verbose_name = _("联审时限汇总")
        verbose_name_plural = _("联审时限汇总")

    def __str__(self) -> str:
        return f"{self.region_code} {self.department}: {self.on_time}/{self.tasks}"


class NoticeCount(_Row):
    """Notices by county, channel and status."""

    channel = models.CharField(_("渠道"), max_length=8)
    status = models.CharField(_("状态"), max_length=12)
    notices = models.PositiveIntegerField(_("告知数"))

    class Meta:
        verbose_name = _("告知汇总")
        verbose_name_plural = _("告知汇总")

    def __str__(self) -> str:
        return f"{self.region_code} {self.channel} {self.status}: {self.notices}"


class _Receivables(_Row):
    program = models.CharField(_("政策项目"), max_length=32)
    receivables = models.PositiveIntegerField(_("笔数"))
    amount_fen = models.BigIntegerField(_("应追回（分）"))
    recovered_fen = models.BigIntegerField(_("已追回（分）"), help_text=_("缴回与抵扣之和。"))
    written_off_fen = models.BigIntegerField(_("已核销（分）"))
    open = models.PositiveIntegerField(_("未结清笔数"))
    outstanding_fen = models.BigIntegerField(_("未结清（分）"))

    class Meta:
        abstract = True

    def __str__(self) -> str:
        return f"{self.region_code} {self.program}: {self.outstanding_fen}"


class ReceivableCount(_Receivables):
    """Receivables (追回) by county and program: raised, recovered, written off, still open."""

    class Meta:
        verbose_name = _("追回汇总")
        verbose_name_plural = _("追回汇总")


ROW_MODELS = (CaseCount, StateCount, PaymentCount, PaymentDay, TimeToMoney, ReviewCount,
              NoticeCount, ReceivableCount)
"""The refunds' tables."""


# The skills-training subsidies (培训补贴): another fund's money, counted in tables of their own
# so that no refund figure ever adds them in. A case's region is its beneficiary's: the
# person's, or the unit's for 以工代训.

BENEFICIARIES = ("person", "unit")


class TrainingCount(_Row):
    """Training cases by county, program and beneficiary kind (a person, or a unit for 以工代训)."""

    program = models.CharField(_("政策项目"), max_length=32)
    beneficiary = models.CharField(_("补贴对象"), max_length=8,
                                   help_text=_("person 个人 / unit 单位（以工代训）。"))
    cases = models.PositiveIntegerField(_("案件数"))
    eligible = models.PositiveIntegerField(_("符合条件"))
    eligible_fen = models.BigIntegerField(_("符合条件金额（分）"))

    class Meta:
        verbose_name = _("培训补贴案件汇总")
        verbose_name_plural = _("培训补贴案件汇总")
        indexes = (models.Index(fields=["region_code", "program"], name="stats_training_region"),)

    def __str__(self) -> str:
        return f"{self.region_code} {self.program} {self.beneficiary}: {self.cases}"


class TrainingBeneficiaries(_Row):
    """Distinct persons or units by county: eligible under any training program, and paid.

    A person (or unit) lies in one county, so counties add up to a city exactly; programs do
    not (one person may hold a course and a certificate subsidy), hence this table.
    """

    beneficiary = models.CharField(_("补贴对象"), max_length=8)
    eligible = models.PositiveIntegerField(_("符合条件人数（户数）"))
    paid = models.PositiveIntegerField(_("已发放人数（户数）"))

    class Meta:
        verbose_name = _("培训补贴对象汇总")
        verbose_name_plural = _("培训补贴对象汇总")

    def __str__(self) -> str:
        return f"{self.region_code} {self.beneficiary}: {self.paid}/{self.eligible}"


class TrainingSubjectCount(_Row):
    """Claim items by county, program, subject and certificate level (0: not a certificate).

    ``eligible`` and ``paid`` count cases (beneficiaries) with at least one item of the group:
    a person with a level-3 and a level-4 certificate counts under each level.
    """

    program = models.CharField(_("政策项目"), max_length=32)
    subject = models.CharField(_("补贴事项"), max_length=24)
    level = models.PositiveSmallIntegerField(_("证书等级"), help_text=_("3–5；0：非证书或等级不详。"))
    eligible = models.PositiveIntegerField(_("符合条件人数（户数）"))
    paid = models.PositiveIntegerField(_("已发放人数（户数）"))
    items = models.PositiveIntegerField(_("符合条件事项数"))
    paid_items = models.PositiveIntegerField(_("已发放事项数"))
    eligible_fen = models.BigIntegerField(_("符合条件金额（分）"))
    paid_fen = models.BigIntegerField(_("发放金额（分）"))

    class Meta:
        verbose_name = _("培训补贴事项汇总")
        verbose_name_plural = _("培训补贴事项汇总")

    def __str__(self) -> str:
        return f"{self.region_code} {self.program} {self.subject} {self.level}: {self.paid}"


class TrainingPaymentDay(_Row):
    """Successful training-subsidy payments by county, program and the day the money arrived."""

    program = models.CharField(_("政策项目"), max_length=32)
    paid_on = models.DateField(_("到账日"))
    payments = models.PositiveIntegerField(_("到账笔数"))
    gross_fen = models.BigIntegerField(_("补贴金额（分）"))
    net_fen = models.BigIntegerField(_("实付金额（分）"), help_text=_("扣除抵扣追回款后。"))

    class Meta:
        verbose_name = _("培训补贴每日发放汇总")
        verbose_name_plural = _("培训补贴每日发放汇总")

    def __str__(self) -> str:
        return f"{self.region_code} {self.program} {self.paid_on}: {self.payments}"


class TrainingReceivableCount(_Receivables):
    """Receivables (追回) of training subsidies by county and program."""

    class Meta:
        verbose_name = _("培训补贴追回汇总")
        verbose_name_plural = _("培训补贴追回汇总")


TRAINING_MODELS = (TrainingCount, TrainingBeneficiaries, TrainingSubjectCount, TrainingPaymentDay,
                   TrainingReceivableCount)
"""The training subsidies' tables."""

SUMMARY_MODELS = (*ROW_MODELS, *TRAINING_MODELS)
"""Every summary table: what a refresh fills and a roll-up file carries (``stats.rollup``)."""

