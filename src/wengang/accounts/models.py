"""Users and roles, and the records of logging in (SMS codes, TOTP devices, attempts).

A custom user model from the first migration: Django cannot swap it in later without pain.
Every staff user is scoped to a region subtree (GB/T 2260 code: a province sees its cities, a
city only itself and its counties); every view checks it. A joint-review reviewer also belongs
to one department (finance, ndrc, …), an enterprise user acts for one unit (its unified
social credit code), and a person (a trainee) for themself alone: their resident ID's blind
index, never the number.
"""

from django.contrib.auth.models import AbstractUser
from django.contrib.auth.models import UserManager as DjangoUserManager
from django.db import models, transaction
from django.utils.translation import gettext_lazy as _

from wengang.core import regions
from wengang.core.errors import RegionError


class Role(models.TextChoices):
    AGENCY = "agency", _("人社/社保经办")
    SUPERVISOR = "supervisor", _("人社/社保经办主管")
    DEPARTMENT = "department", _("联审部门")
    FINANCE = "finance", _("财政")
    AUDITOR = "auditor", _("第三方审计")
    SERVICE_OFFICER = "service_officer", _("服务专员")
    ENTERPRISE = "enterprise", _("企业")
    ADMIN = "admin", _("系统管理员")
    PERSON = "person", _("个人")


STAFF_ROLES = frozenset(set(Role) - {Role.ENTERPRISE, Role.PERSON})
"""Roles that log in with a password and a TOTP code; an enterprise (by its USCC) and a person
(by their resident ID) log in with an SMS code."""


class Department(models.TextChoices):
    """The departments of joint review (部门联审); one English name each (ARCHITECTURE glossary)."""

    FINANCE = "finance", _("财政")
    NDRC = "ndrc", _("发展改革")
    MIIT = "miit", _("工业和信息化")
    SASAC = "sasac", _("国有资产监督管理")
    TAX = "tax", _("税务")
    MARKET = "market", _("市场监管")
    ENVIRONMENT = "environment", _("生态环境")


class UserQuerySet(models.QuerySet):
    def update(self, **kwargs) -> int:
        """Also forgets the users updated where the shared cache keeps them for their sessions
        (``backends.CachedUserBackend``): a role, region or deactivation changed in bulk takes
        effect at once, as one saved does. ``bulk_update`` comes through here too."""
        from .backends import forget_users

        with transaction.atomic(using=self.db):
            pks = list(self.select_for_update().values_list("pk", flat=True))
            updated = super().update(**kwargs)
            forget_users(pks)
        return updated


class UserManager(DjangoUserManager.from_queryset(UserQuerySet)):
    pass


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
    resident_id_digest = models.CharField(
        _("身份证号码指纹"),
        max_length=64,
        blank=True,
        editable=False,
        help_text=_("个人用户本人身份证号码的盲索引（HMAC-SM3，不可还原）；其他角色为空。"),
    )

    objects = UserManager()

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
            # A person user is nobody without their blind index (they would see no case, or
            # worse, be matched loosely); any other role with one would see a person's cases.
            models.CheckConstraint(
                condition=(models.Q(role="person") & ~models.Q(resident_id_digest=""))
                | (~models.Q(role="person") & models.Q(resident_id_digest="")),
                name="user_resident_id_digest_only_for_persons",
            ),
            models.UniqueConstraint(
                fields=["resident_id_digest"], condition=~models.Q(resident_id_digest=""),
                name="user_one_per_person",
            ),
        )

    def __str__(self) -> str:
        return f"{self.username} ({self.get_role_display()})"

    @property
    def is_enterprise(self) -> bool:
        return self.role == Role.ENTERPRISE

    @property
    def is_person(self) -> bool:
        return self.role == Role.PERSON

    def covers_region(self, region_code: str) -> bool:
        """Whether ``region_code`` lies in this staff user's region subtree.

        A user with no region sees nothing (an admin: everything): a missing setting must
        never widen anyone's view. Enterprises are scoped by unit and persons by themselves,
        not by region (a person's ``region_code`` says where they live, it grants nothing).
        """
        if self.is_enterprise or self.is_person:
            return False
        if not self.region_code:
            return self.role == Role.ADMIN
        try:
            return regions.contains(self.region_code, region_code)
        except RegionError:
            return False

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


class TOTPDevice(models.Model):
    """A staff user's authenticator (RFC 6238 TOTP, 30-second steps, 6 digits).

    Enrolled at the first login after the password; confirmed by a first valid code. Each time
    step is accepted once (``last_step``), so a code seen over a shoulder cannot be replayed.
    """

    user = models.OneToOneField(User, verbose_name=_("用户"), on_delete=models.CASCADE,
                                related_name="totp_device")
    secret = models.CharField(_("密钥（Base32）"), max_length=64)
    created_at = models.DateTimeField(_("生成时间"))
    confirmed_at = models.DateTimeField(_("启用时间"), null=True, blank=True)
    last_step = models.BigIntegerField(_("最近使用的时间步"), default=0)

    class Meta:
        verbose_name = _("动态口令设备")
        verbose_name_plural = _("动态口令设备")

    def __str__(self) -> str:
        state = _("已启用") if self.confirmed_at else _("待启用")
        return f"{self.user.username} · {state}"


class SmsCode(models.Model):
    """A one-time login code sent to the phone on record of a unit or a person.

    ``key`` is who logs in: a unit's USCC, or the blind index of a person's resident ID (never
    the number). Only a keyed hash of the code is stored: a copy of the database alone does not
    let anyone log in. A code is valid once, until ``expires_at``, and only while it is the
    key's latest. A row with no ``phone`` stands for a code never sent (a resident ID with no
    person on record): it answers like any other, so the login reveals nobody's existence.
    """

    key = models.CharField(_("登录对象"), max_length=64,
                           help_text=_("单位的统一社会信用代码，或个人身份证号码的盲索引。"))
    phone = models.CharField(_("发送号码"), max_length=20, blank=True)
    salt = models.CharField(_("盐"), max_length=32)
    code_hash = models.CharField(_("验证码摘要"), max_length=64)
    ip = models.GenericIPAddressField(_("请求来源 IP"), null=True, blank=True)
    created_at = models.DateTimeField(_("发送时间"))
    expires_at = models.DateTimeField(_("失效时间"))
    used_at = models.DateTimeField(_("使用时间"), null=True, blank=True)

    class Meta:
        verbose_name = _("短信验证码")
        verbose_name_plural = _("短信验证码")
        indexes = (models.Index(fields=["key", "created_at"], name="sms_code_key_created"),
                   models.Index(fields=["ip", "created_at"], name="sms_code_ip_created"))
        constraints = (
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")),
                                   name="sms_code_expires_after_creation"),
        )

    def __str__(self) -> str:
        return f"{self.key[:18]} · {self.created_at:%Y-%m-%d %H:%M:%S}"


class SmsOutbox(models.Model):
    """Messages the development gateway "sent": the demo and the tests read codes here.

    Used only when no gateway URL is configured and DEBUG is on; production sends through
    ``WENGANG_SMS_URL`` and never stores message text.
    """

    phone = models.CharField(_("号码"), max_length=20)
    text = models.TextField(_("内容"))
    sent_at = models.DateTimeField(_("发送时间"))

    class Meta:
        verbose_name = _("短信发件箱（开发）")
        verbose_name_plural = _("短信发件箱（开发）")
        ordering = ("-sent_at", "-id")

    def __str__(self) -> str:
        return f"{self.phone} · {self.sent_at:%Y-%m-%d %H:%M:%S}"


class Attempt(models.Model):
    """One login step or public submission, kept to rate-limit and lock out (and to audit).

    ``key`` is what is being protected: a USCC or a person's resident-ID blind index (SMS
    code), a username (password and TOTP) or an IP address (public forms).
    """

    class Kind(models.TextChoices):
        SMS_CODE = "sms_code", _("短信验证码")
        PASSWORD = "password", _("密码")
        TOTP = "totp", _("动态口令")
        OBJECTION = "objection", _("公示异议")

    key = models.CharField(_("对象"), max_length=64)
    kind = models.CharField(_("类型"), max_length=16, choices=Kind.choices)
    succeeded = models.BooleanField(_("成功"))
    ip = models.GenericIPAddressField(_("来源 IP"), null=True, blank=True)
    at = models.DateTimeField(_("时间"))

    class Meta:
        verbose_name = _("登录与提交记录")
        verbose_name_plural = _("登录与提交记录")
        indexes = (models.Index(fields=["key", "kind", "at"], name="attempt_key_kind_at"),)

    def __str__(self) -> str:
        outcome = "✓" if self.succeeded else "✗"
        return f"{self.get_kind_display()} {self.key} {outcome} {self.at:%Y-%m-%d %H:%M:%S}"
