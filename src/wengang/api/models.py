"""API tokens: how machines (a department's system, a script) call the API as one of our users.

A token acts for its user — role, region and department apply as in the browser — and only
within its scopes. It is stored as a SHA-256 hash (a copy of the database lets nobody call the
API), shown once at creation, expires, and can be revoked.
"""

from django.conf import settings
from django.db import models
from django.utils.translation import gettext_lazy as _


class Scope(models.TextChoices):
    """What a token may do; a session (a person in the browser) is not limited by scopes."""

    CASES_READ = "cases:read", _("读取案件")
    REVIEW_READ = "review:read", _("读取联审批次与任务")
    REVIEW_DECIDE = "review:decide", _("提交联审意见")
    PUBLICITY_READ = "publicity:read", _("读取公示批次")
    SCREENING_READ = "screening:read", _("读取筛查批次")
    FEEDS_PUSH = "feeds:push", _("报送部门数据")
    CASES_CONFIRM = "cases:confirm", _("代企业确认（须当面宣读承诺书）")
    CASES_DECIDE = "cases:decide", _("经办决定：提交联审、发布公示、暂缓、撤回、服务专员任务")
    PAYMENTS_READ = "payments:read", _("读取拨付批次")
    PAYMENTS_RECONCILE = "payments:reconcile", _("下载银行文件、上传银行回单")
    PAYMENTS_MANAGE = "payments:manage", _("经办拨付：预算、批次审批与导出、账户变更、追回与核销")
    OVERSIGHT_READ = "oversight:read", _("读取风险暂缓、抽查样本与发现")
    OVERSIGHT_ACT = "oversight:act", _("监督操作：风险暂缓、抽查、记录发现、追回")
    STATS_READ = "stats:read", _("读取统计指标")


class ApiTokenQuerySet(models.QuerySet):
    def usable(self, now) -> "ApiTokenQuerySet":
        """Tokens neither revoked nor expired at ``now``."""
        return self.filter(revoked_at__isnull=True, expires_at__gt=now)


class ApiToken(models.Model):
    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("所属用户"),
                             on_delete=models.CASCADE, related_name="api_tokens")
    name = models.CharField(_("用途"), max_length=100,
                            help_text=_("如：税务局联审系统、市场监管数据报送。"))
    key_id = models.CharField(_("令牌编号"), max_length=16, unique=True,
                              help_text=_("令牌的公开部分，用于查找；不是密钥。"))
    key_hash = models.CharField(_("令牌摘要（SHA-256）"), max_length=64, editable=False)
    scopes = models.JSONField(_("权限范围"), default=list)
    created_at = models.DateTimeField(_("创建时间"))
    created_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("创建人"),
                                   on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    expires_at = models.DateTimeField(_("失效时间"))
    revoked_at = models.DateTimeField(_("吊销时间"), null=True, blank=True)
    revoked_by = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("吊销人"),
                                   on_delete=models.PROTECT, null=True, blank=True,
                                   related_name="+")
    last_used_at = models.DateTimeField(_("最近使用时间"), null=True, blank=True)
    last_used_ip = models.GenericIPAddressField(_("最近使用 IP"), null=True, blank=True)

    objects = ApiTokenQuerySet.as_manager()

    class Meta:
        verbose_name = _("接口令牌")
        verbose_name_plural = _("接口令牌")
        ordering = ("-created_at", "-id")
        constraints = (
            models.CheckConstraint(condition=models.Q(expires_at__gt=models.F("created_at")),
                                   name="api_token_expires_after_creation"),
        )

    def __str__(self) -> str:
        return f"{self.key_id} · {self.user.username} · {self.name}"


class FeedPush(models.Model):
    """One feed file a department pushed through the API, accepted or not, and what came of it.

    The file itself is kept only when accepted (in the region's feed inbox); the record is kept
    either way, so a department and the agency can see every attempt.
    """

    class Outcome(models.TextChoices):
        ACCEPTED = "accepted", _("已接收")
        REJECTED = "rejected", _("校验未通过")

    user = models.ForeignKey(settings.AUTH_USER_MODEL, verbose_name=_("报送人"),
                             on_delete=models.PROTECT, related_name="+")
    token = models.ForeignKey(ApiToken, verbose_name=_("接口令牌"), on_delete=models.SET_NULL,
                              null=True, blank=True, related_name="+")
    region_code = models.CharField(_("行政区划"), max_length=6)
    feed = models.CharField(_("数据"), max_length=32)  # the longest, course_completions: 18
    file_name = models.CharField(_("文件名"), max_length=200)
    sha256 = models.CharField(_("文件 SHA-256"), max_length=64)
    outcome = models.CharField(_("结果"), max_length=8, choices=Outcome.choices)
    problems = models.PositiveIntegerField(_("问题数"), default=0)
    snapshot_id = models.CharField(_("快照编号"), max_length=16, blank=True,
                                   help_text=_("数据齐全时导入生成的快照；缺少必报数据时为空。"))
    at = models.DateTimeField(_("报送时间"))

    class Meta:
        verbose_name = _("部门数据报送记录")
        verbose_name_plural = _("部门数据报送记录")
        ordering = ("-at", "-id")
        constraints = (
            models.CheckConstraint(condition=models.Q(outcome__in=["accepted", "rejected"]),
                                   name="feed_push_outcome_known"),
        )

    def __str__(self) -> str:
        return f"{self.feed} · {self.region_code} · {self.get_outcome_display()} · {self.at:%Y-%m-%d %H:%M}"
