"""Users and roles.

A custom user model from the first migration: Django cannot swap it in later without pain.
Every staff user is scoped to a region (GB/T 2260 code); later issues check it in every view.
A joint-review reviewer also belongs to one department (finance, ndrc, …), and an enterprise
user acts for one unit (its unified social credit code).
"""

from django.contrib.auth.models import AbstractUser
from django.db import models
from django.utils.translation import gettext_lazy as _


class Role(models.TextChoices):
    AGENCY = "agency", _("人社/社保经办")
    DEPARTMENT = "department", _("联审部门")
    FINANCE = "finance", _("财政")
    AUDITOR = "auditor", _("第三方审计")
    ENTERPRISE = "enterprise", _("企业")
    ADMIN = "admin", _("系统管理员")


class Department(models.TextChoices):
    """The departments of joint review (部门联审); one English name each (ARCHITECTURE glossary)."""

    FINANCE = "finance", _("财政")
    NDRC = "ndrc", _("发展改革")
    MIIT = "miit", _("工业和信息化")
    SASAC = "sasac", _("国有资产监督管理")
    TAX = "tax", _("税务")
    MARKET = "market", _("市场监管")
    ENVIRONMENT = "environment", _("生态环境")


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.AGENCY)
    region_code = models.CharField(
        _("行政区划"),
        max_length=6,
        blank=True,
        help_text=_("GB/T 2260 六位代码；用户只能看到本区划及下级区划的数据。"),
    )
    department = models.CharField(
        _("所属部门"),
        max_length=16,
        choices=Department.choices,
        blank=True,
        help_text=_("联审部门用户所代表的部门；财政角色的用户默认代表财政部门。"),
    )
    uscc = models.CharField(
        _("统一社会信用代码"),
        max_length=18,
        blank=True,
        help_text=_("企业用户所代表的参保单位。"),
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = (
            models.CheckConstraint(
                condition=models.Q(region_code="") | models.Q(region_code__regex=r"^[0-9]{6}$"),
                name="user_region_code_six_digits",
            ),
            models.CheckConstraint(
                condition=models.Q(department="") | models.Q(role__in=["department", "finance"]),
                name="user_department_only_for_reviewers",
            ),
            models.CheckConstraint(
                condition=models.Q(department="") | models.Q(department__in=Department.values),
                name="user_department_known",
            ),
            models.CheckConstraint(
                condition=models.Q(uscc="") | models.Q(role="enterprise"),
                name="user_uscc_only_for_enterprises",
            ),
        )

    def __str__(self) -> str:
        return f"{self.username} ({self.get_role_display()})"

    @property
    def review_department(self) -> str | None:
        """The department this user decides joint-review tasks for, if any.

        A department user speaks for the department on record; a finance user for finance
        unless another department is recorded. Nobody else reviews.
        """
        if self.role == Role.DEPARTMENT:
            return self.department or None
        if self.role == Role.FINANCE:
            return self.department or Department.FINANCE
        return None
