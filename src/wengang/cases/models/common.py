"""Choices and helpers shared by the case models."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wengang.core.regions import RegionLevel, get_region
from wengang.core.sizing import Size as CoreSize

from ..errors import AppendOnly
from ..sealing import (
    open_account,
    open_resident_id,
    resident_id_digest,
    seal_account,
    seal_resident_id,
)

# Enterprise size as screening decides it: the classes and names of core.sizing.Size.
Size = models.TextChoices("Size", [(size.name, (size.value, _(size.label_zh))) for size in CoreSize])


class AppendOnlyQuerySet(models.QuerySet):
    """Rows of history: the ORM adds them, never changes or removes them in bulk either."""

    def update(self, **kwargs):
        raise self.model.append_only_refusal("update")

    def delete(self):
        raise self.model.append_only_refusal("delete")

    def bulk_update(self, objs, fields, batch_size=None):
        raise self.model.append_only_refusal("bulk_update")


class AppendOnlyModel(models.Model):
    """A record that is history (case events, ledger entries, audit records): added, never
    changed or removed, so that it proves what happened.

    ``save`` of an existing row and ``delete`` raise ``AppendOnly`` naming the record
    (``record_names``, Chinese and English); the manager should be an ``AppendOnlyQuerySet``.
    Each table also refuses UPDATE in the database (its app's trigger migration): this is the
    ORM's half of the rule, which tells the programmer which record refused and why.
    """

    record_names: tuple[str, str] = ("记录", "records")
    """What a refusal calls these rows, in Chinese and English (plural)."""

    class Meta:
        abstract = True

    @classmethod
    def append_only_refusal(cls, operation: str) -> AppendOnly:
        return AppendOnly(operation, record=cls.record_names)

    def save(self, *args, **kwargs) -> None:
        if not self._state.adding:
            raise self.append_only_refusal("save")
        super().save(*args, **kwargs)

    def delete(self, *args, **kwargs):
        raise self.append_only_refusal("delete")


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


class SealedResidentId(models.Model):
    """A person's resident ID number, never stored in clear: sealed, a blind index, masked.

    As ``ReceivingAccount``: ``cases.sealing`` seals it for the unit the record belongs to
    (``resident_id_owner``), ``resident_id_digest`` (HMAC-SM3, its own key) finds a person by
    exact number without decrypting anything (``resident_id_q``), and lists show
    ``resident_id_masked`` (``360102********1234``). Person-level records (checked employees,
    trainees) take their ID number this way.
    """

    resident_id_sealed = models.TextField(_("身份证号码（密文）"), editable=False)
    resident_id_digest = models.CharField(_("身份证号码指纹"), max_length=64, editable=False,
                                          db_index=True,
                                          help_text=_("HMAC-SM3 盲索引，用于精确查找，不可还原。"))
    resident_id_masked = models.CharField(_("身份证号码"), max_length=18, editable=False)

    resident_id_owner_path: str = ""
    """Each model says where its unit's USCC is, as an ORM path (``"unit__uscc"``): the
    owner the number is sealed for, also read in bulk by key rotation."""

    class Meta:
        abstract = True

    @property
    def resident_id_owner(self) -> str:
        """The USCC of the unit the ID number is sealed for."""
        value = self
        for name in self.resident_id_owner_path.split("__"):
            value = getattr(value, name)
        return value

    def resident_id(self) -> str:
        """The ID number in clear: for a check that needs it, never for a list."""
        return open_resident_id(self.resident_id_sealed, owner=self.resident_id_owner)


def sealed_resident_id_fields(number: str, *, owner: str) -> dict[str, str]:
    """The stored fields of resident ID ``number`` for the unit ``owner`` (validate it first)."""
    sealed = seal_resident_id(number, owner=owner)
    return {"resident_id_sealed": sealed.sealed, "resident_id_digest": sealed.digest,
            "resident_id_masked": sealed.masked}


def resident_id_q(number: str) -> models.Q:
    """Records of the person with resident ID ``number``, by blind index (exact match)."""
    return models.Q(resident_id_digest=resident_id_digest(number))


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
