"""Choices and helpers shared by the case models."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wengang.core.regions import RegionLevel, get_region
from wengang.core.sizing import Size as CoreSize

from ..sealing import open_account, seal_account

# Enterprise size as screening decides it: the classes and names of core.sizing.Size.
Size = models.TextChoices("Size", [(size.name, (size.value, _(size.label_zh))) for size in CoreSize])


class Route(models.TextChoices):
    AUTOMATIC = "automatic", _("免申即享")
    APPLICATION = "application", _("申请")


class AccountKind(models.TextChoices):
    BANK = "bank", _("银行账户")
    SI = "si", _("社保缴费账户")


class ReceivingAccount(models.Model):
    """A receiving account, never stored in clear: sealed, a keyed digest and a masked form.

    ``cases.sealing`` seals it for the unit that owns it (``account_owner``): only that unit's
    rows can open it. Equal accounts have equal ``account_digest`` (duplicate checks).
    """

    account_kind = models.CharField(_("收款账户类型"), max_length=8, choices=AccountKind.choices,
                                    blank=True)
    account_sealed = models.TextField(_("收款账号（密文）"), blank=True, editable=False)
    account_digest = models.CharField(_("收款账号指纹"), max_length=64, blank=True,
                                      editable=False, help_text=_("HMAC-SM3，用于查重，不可还原。"))
    account_masked = models.CharField(_("收款账号"), max_length=12, blank=True, editable=False)

    class Meta:
        abstract = True

    @property
    def account_owner(self) -> str:
        """The USCC the account is sealed for."""
        raise NotImplementedError

    @property
    def has_account(self) -> bool:
        return bool(self.account_sealed)

    def account_number(self) -> str:
        """The account number in clear, for a bank file; never for display (use ``account_masked``)."""
        return open_account(self.account_sealed, owner=self.account_owner)

    def account_fields(self) -> dict[str, str]:
        """The four stored fields, to copy this account onto another record of the same unit."""
        return {"account_kind": self.account_kind, "account_sealed": self.account_sealed,
                "account_digest": self.account_digest, "account_masked": self.account_masked}


def sealed_account_fields(number: str, kind: str, *, owner: str) -> dict[str, str]:
    """The stored fields of account ``number`` of ``kind`` for the unit ``owner``."""
    sealed = seal_account(number, owner=owner)
    return {"account_kind": kind if number else "", "account_sealed": sealed.sealed,
            "account_digest": sealed.digest, "account_masked": sealed.masked}


class Channel(models.TextChoices):
    """How an action reached the system (recorded on every event)."""

    SYSTEM = "system", _("系统")
    CLI = "cli", _("命令行")
    CONSOLE = "console", _("经办后台")
    ONLINE = "online", _("网上办理")
    ASSISTED = "assisted", _("经办代办（电话或窗口）")
    PUBLIC = "public", _("社会公众")
    API = "api", _("接口")


def region_prefix(region_code: str) -> str:
    """The code prefix every unit inside ``region_code`` shares (as ``core.regions.contains``).

    A province covers its first two digits, a prefecture its first four, a county only itself.
    Raises ``RegionError`` for an unknown region: scoping to a typo must not show everything.
    """
    region = get_region(region_code)
    if region.level is RegionLevel.PROVINCE:
        return region.code[:2]
    if region.level is RegionLevel.PREFECTURE:
        return region.code[:4]
    return region.code


def region_q(field: str, region_code: str) -> models.Q:
    """A filter on ``field`` (a 6-digit code column) for everything inside ``region_code``."""
    prefix = region_prefix(region_code)
    if len(prefix) == 6:
        return models.Q(**{field: prefix})
    return models.Q(**{f"{field}__startswith": prefix})
