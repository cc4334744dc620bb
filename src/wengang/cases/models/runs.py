"""Screening runs loaded into the database, and the units they decided."""

from django.conf import settings as django_settings
from django.db import models
from django.utils.translation import gettext_lazy as _

from wengang.core.ids import mask_phone

from ..sealing import account_digest
from .common import ReceivingAccount, Size, region_q


class ScreeningRun(models.Model):
    """The run record (``<result>.run.json``) of a screening result that was loaded into cases.

    Keyed by the SHA-256 of the run record, which holds the result's own SHA-256 and the time of
    the run: loading the same run again changes nothing, while a later run that happens to give
    the same bytes (a feed corrected back) is a new decision and is applied. A late claim
    screened at once is a run of one unit (``uscc``), recorded the same way.
    """

    record_sha256 = models.CharField(_("运行记录 SHA-256"), max_length=64, unique=True)
    result_sha256 = models.CharField(_("结果文件 SHA-256"), max_length=64)
    result_path = models.TextField(_("结果文件"))
    as_of = models.DateField(_("筛查日"))
    region_code = models.CharField(_("行政区划"), max_length=6)
    programs = models.JSONField(_("政策项目"), help_text=_("项目编号列表，如 inclusive-2020。"))
    settings = models.JSONField(_("参数设置"), default=dict, blank=True)
    input_kind = models.CharField(_("数据来源类型"), max_length=16, help_text=_("snapshot 或 folder"))
    input_path = models.TextField(_("数据来源路径"))
    snapshot_id = models.CharField(_("快照编号"), max_length=80, blank=True)
    input_sha256 = models.JSONField(_("输入文件指纹"), default=dict)
    code_version = models.CharField(_("程序版本"), max_length=32)
    screened_at = models.DateTimeField(_("筛查时间"))
    rows = models.PositiveIntegerField(_("结果行数"))
    uscc = models.CharField(_("单户筛查单位"), max_length=18, blank=True,
                            help_text=_("补报时只筛查这一家单位（cases.unit_screening）；空表示整批筛查。"))
    record = models.JSONField(_("完整运行记录"))
    loaded_at = models.DateTimeField(_("导入时间"), null=True, blank=True)
    loaded_by = models.ForeignKey(django_settings.AUTH_USER_MODEL, verbose_name=_("导入人"),
                                  on_delete=models.PROTECT, null=True, blank=True, related_name="+")
    summary = models.JSONField(_("导入结果"), default=dict, blank=True)

    class Meta:
        verbose_name = _("筛查批次")
        verbose_name_plural = _("筛查批次")
        ordering = ("-screened_at", "-id")
        constraints = (
            models.CheckConstraint(condition=models.Q(region_code__regex=r"^[0-9]{6}$"),
                                   name="screening_run_region_six_digits"),
        )

    def __str__(self) -> str:
        return f"筛查 {self.as_of} · {self.region_code} · {self.result_sha256[:12]}"


class UnitQuerySet(models.QuerySet):
    def sharing_account(self, number: str) -> "UnitQuerySet":
        """Units whose receiving account is ``number`` (by keyed digest: nothing is decrypted)."""
        return self.filter(account_digest=account_digest(number))

    def in_region(self, region_code: str) -> "UnitQuerySet":
        return self.filter(region_q("region_code", region_code))

    def restructured(self) -> "UnitQuerySet":
        return self.filter(restructured_on__isnull=False)


class Unit(ReceivingAccount):
    """An insured employer unit (参保单位), as the units feed of the latest loaded run says.

    Its receiving account (``ReceivingAccount``) is the bank account of the units feed, else the
    social-insurance account the unit pays from; sealed, never in clear.
    """

    uscc = models.CharField(_("统一社会信用代码"), max_length=18, unique=True)
    name = models.CharField(_("单位名称"), max_length=200)
    unit_type = models.CharField(_("单位类型"), max_length=32)
    region_code = models.CharField(_("行政区划"), max_length=6, db_index=True)
    industry_code = models.CharField(_("行业代码"), max_length=4, blank=True,
                                     help_text=_("GB/T 4754-2017 大类（2位）或小类（4位）。"))
    size = models.CharField(_("企业规模"), max_length=8, choices=Size.choices, blank=True)
    is_labour_dispatch = models.BooleanField(_("劳务派遣单位"), default=False)
    registered_on = models.DateField(_("成立日期"), null=True, blank=True)
    legal_rep_name = models.CharField(_("法定代表人"), max_length=64, blank=True)
    contact_phone = models.CharField(_("联系电话"), max_length=20, blank=True)
    clerk_name = models.CharField(_("社保专管员"), max_length=64, blank=True)
    clerk_phone = models.CharField(_("专管员电话"), max_length=20, blank=True)
    bank_name = models.CharField(_("开户银行"), max_length=100, blank=True)
    restructured_on = models.DateField(_("改制重组日期"), null=True, blank=True)
    restructure_kind = models.CharField(_("改制重组类型"), max_length=16, blank=True)
    last_run = models.ForeignKey(ScreeningRun, verbose_name=_("最近导入批次"),
                                 on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", db_index=False,
                                 db_constraint=False)  # see Case.opened_by_run
    updated_at = models.DateTimeField(_("更新时间"))

    objects = UnitQuerySet.as_manager()

    class Meta:
        verbose_name = _("参保单位")
        verbose_name_plural = _("参保单位")
        constraints = (
            models.CheckConstraint(condition=models.Q(region_code__regex=r"^[0-9]{6}$"),
                                   name="unit_region_six_digits"),
            models.CheckConstraint(condition=models.Q(uscc__regex=r"^[0-9A-HJ-NPQRTUWXY]{18}$"),
                                   name="unit_uscc_eighteen_characters"),
        )

    def __str__(self) -> str:
        return f"{self.name}（{self.uscc}）"

    @property
    def account_owner(self) -> str:
        return self.uscc

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.contact_phone) if self.contact_phone else ""
