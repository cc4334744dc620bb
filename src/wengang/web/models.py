"""What the web records of its own: each time someone saw personal data in full, and why."""

from django.conf import settings
from django.db import models
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
