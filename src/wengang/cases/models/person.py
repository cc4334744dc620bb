"""A person who may be paid a skills-training subsidy (培训补贴), one row per resident ID.

Loaded from the ``trainees`` feed (docs/feeds.md §6) by ``cases.loading_persons``: the person
beneficiary of a training case, as ``Unit`` is the beneficiary of a refund case.
"""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wengang.core.ids import mask_phone

from .common import ReceivingAccount, SealedResidentId, region_q
from .runs import ScreeningRun


def mask_name(name: str) -> str:
    """``张三丰`` → ``张*丰``, ``张三`` → ``张*``: the name as public lists and notices show it."""
    if len(name) <= 1:
        return name
    if len(name) == 2:
        return name[0] + "*"
    return name[0] + "*" * (len(name) - 2) + name[-1]


class PersonQuerySet(models.QuerySet):
    def in_region(self, region_code: str) -> "PersonQuerySet":
        return self.filter(region_q("region_code", region_code))


class Person(SealedResidentId, ReceivingAccount):
    """A trainee (参保职工或劳动者) as the trainees feed of the latest loaded run says.

    The resident ID and the receiving account (the bank account of the social-security card, or
    a bank card) are sealed for the person's own blind index (``resident_id_owner`` and
    ``account_owner`` are ``resident_id_digest``): a value sealed for one person never opens on
    another person's row, as a unit's account never opens on another unit's.
    """

    # Not a path to a unit's USCC: the owner is this row's own digest (key rotation reads it).
    resident_id_owner_path = "resident_id_digest"

    name = models.CharField(_("姓名"), max_length=64)
    phone = models.CharField(_("手机号码"), max_length=20, blank=True)
    region_code = models.CharField(_("参保地行政区划"), max_length=6, db_index=True)
    insured = models.BooleanField(_("正在参加失业保险"), default=False)
    insured_months = models.PositiveIntegerField(_("累计参保月数"), default=0)
    last_run = models.ForeignKey(ScreeningRun, verbose_name=_("最近导入批次"),
                                 on_delete=models.PROTECT, null=True, blank=True,
                                 related_name="+", db_index=False,
                                 db_constraint=False)  # see Case.opened_by_run
    updated_at = models.DateTimeField(_("更新时间"))

    objects = PersonQuerySet.as_manager()

    class Meta:
        verbose_name = _("个人")
        verbose_name_plural = _("个人")
        constraints = (
            models.UniqueConstraint(fields=["resident_id_digest"], name="person_one_per_resident_id"),
            models.CheckConstraint(condition=models.Q(region_code__regex=r"^[0-9]{6}$"),
                                   name="person_region_six_digits"),
        )

    def __str__(self) -> str:
        return f"{self.name_masked}（{self.resident_id_masked}）"

    @property
    def resident_id_owner(self) -> str:
        return self.resident_id_digest

    @property
    def account_owner(self) -> str:
        return self.resident_id_digest

    @property
    def name_masked(self) -> str:
        return mask_name(self.name)

    @property
    def masked_phone(self) -> str:
        return mask_phone(self.phone) if self.phone else ""
