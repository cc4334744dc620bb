"""Users and roles.

A custom user model from the first migration: Django cannot swap it in later without pain.
Every staff user is scoped to a region (GB/T 2260 code); later issues check it in every view.
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


class User(AbstractUser):
    role = models.CharField(_("角色"), max_length=16, choices=Role.choices, default=Role.AGENCY)
    region_code = models.CharField(
        _("行政区划"),
        max_length=6,
        blank=True,
        help_text=_("GB/T 2260 六位代码；用户只能看到本区划及下级区划的数据。"),
    )

    class Meta:
        verbose_name = _("用户")
        verbose_name_plural = _("用户")
        constraints = [
            models.CheckConstraint(
                condition=models.Q(region_code="") | models.Q(region_code__regex=r"^[0-9]{6}$"),
                name="user_region_code_six_digits",
            ),
        ]

    def __str__(self) -> str:
        return f"{self.username} ({self.get_role_display()})"
