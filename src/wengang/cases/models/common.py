"""Choices and helpers shared by the case models."""

from django.db import models
from django.utils.translation import gettext_lazy as _

from wengang.core.regions import RegionLevel, get_region
from wengang.core.sizing import Size as CoreSize

# Enterprise size as screening decides it: the classes and names of core.sizing.Size.
Size = models.TextChoices("Size", [(size.name, (size.value, _(size.label_zh))) for size in CoreSize])


class Route(models.TextChoices):
    AUTOMATIC = "automatic", _("免申即享")
    APPLICATION = "application", _("申请")


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
