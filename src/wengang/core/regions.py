"""GB/T 2260 administrative divisions: names, levels and region scoping.

The table ships as ``data/regions.csv`` (provinces, prefecture-level and county-level units; see
``data/README.md`` for its source and layout) and is read once, on first use.

A code is six digits: two for the province, two for the prefecture, two for the county. Scoping
works on that prefix, not only on the rows we ship: a county created after our snapshot still
belongs to its prefecture and province, so a city's staff keep seeing its units. Province-level
municipalities (北京, 天津, 上海, 重庆) have no prefecture row: the municipality is the city-level
authority for its districts. County-level cities administered by the province itself (``xx90yy``,
e.g. 济源 419001) are their own city-level authority.

Errors::

    RegionError (core.errors)
    ├── MalformedRegionCodeError   not six ASCII digits
    └── UnknownRegionError         six digits, but not a unit in our table
"""

import csv
import re
from collections.abc import Iterator
from dataclasses import dataclass
from enum import StrEnum
from functools import cache
from importlib import resources

from . import data
from .errors import RegionError

_CODE = re.compile(r"[0-9]{6}")
# 北京, 天津, 上海, 重庆: their districts and counties sit directly below the municipality.
_MUNICIPALITY_PREFIXES = frozenset({"11", "12", "31", "50"})


class RegionLevel(StrEnum):
    PROVINCE = "province"
    PREFECTURE = "prefecture"
    COUNTY = "county"


@dataclass(frozen=True, slots=True)
class Region:
    """One administrative division."""

    code: str
    name: str
    level: RegionLevel
    parent_code: str | None

    def __str__(self) -> str:
        return f"{self.name}（{self.code}）"


class MalformedRegionCodeError(RegionError):
    code = "region_format"

    def __init__(self, region_code: object) -> None:
        self.region_code = region_code
        super().__init__(
            f"行政区划代码格式不正确：{region_code!r}（应为6位数字，如 360102）",
            f"malformed region code {region_code!r}: expected 6 digits, e.g. 360102",
        )


class UnknownRegionError(RegionError):
    code = "region_unknown"

    def __init__(self, region_code: str) -> None:
        self.region_code = region_code
        super().__init__(
            f"未知的行政区划代码：{region_code}（不在 GB/T 2260 区划表中）",
            f"unknown region code {region_code}: not in the GB/T 2260 table we ship",
        )


@dataclass(frozen=True, slots=True)
class _Table:
    by_code: dict[str, Region]
    children: dict[str | None, tuple[Region, ...]]


@cache
def _table() -> _Table:
    """Read the shipped CSV once (about 3,200 rows, a few milliseconds)."""
    text = resources.files(data).joinpath("regions.csv").read_text(encoding="utf-8")
    by_code: dict[str, Region] = {}
    children: dict[str | None, list[Region]] = {}
    for row in csv.DictReader(text.splitlines()):
        region = Region(
            code=row["code"],
            name=row["name"],
            level=RegionLevel(row["level"]),
            parent_code=row["parent"] or None,
        )
        by_code[region.code] = region
        children.setdefault(region.parent_code, []).append(region)
    return _Table(by_code, {key: tuple(value) for key, value in children.items()})


def _checked(code: str) -> str:
    if not isinstance(code, str) or not _CODE.fullmatch(code):
        raise MalformedRegionCodeError(code)
    return code


def get_region(code: str) -> Region:
    """Return the region with this code; raise ``RegionError`` if malformed or unknown."""
    region = _table().by_code.get(_checked(code))
    if region is None:
        raise UnknownRegionError(code)
    return region


def is_known_region(code: str) -> bool:
    """True when ``code`` is a unit in our table (False for malformed input, never raises)."""
    return isinstance(code, str) and code in _table().by_code


def all_regions() -> Iterator[Region]:
    """Every region, ordered by code."""
    return iter(_table().by_code.values())


def provinces() -> tuple[Region, ...]:
    """The province-level units, ordered by code."""
    return _table().children[None]


def children(code: str) -> tuple[Region, ...]:
    """The regions directly below ``code``, ordered by code (empty for a county)."""
    return _table().children.get(get_region(code).code, ())


def province_of(code: str) -> Region:
    """Return the province-level unit that ``code`` lies in (itself for a province).

    Works for county codes missing from our table, by prefix; raises ``RegionError`` when even
    the province is unknown.
    """
    return get_region(_checked(code)[:2] + "0000")


def prefecture_of(code: str) -> Region | None:
    """Return the city-level authority of ``code``, or ``None`` for a province code.

    That is the prefecture-level unit; for a district of a province-level municipality, the
    municipality; for a county-level city administered by its province (济源 419001), the city
    itself. Works for county codes missing from our table by prefix; raises ``RegionError``
    where no such unit is known.
    """
    code = _checked(code)
    province = province_of(code)
    if code == province.code:
        return None
    table = _table().by_code
    own = table.get(code)
    if own is not None and own.level is RegionLevel.COUNTY and own.parent_code == province.code:
        return province if _is_municipality(province) else own
    if _is_municipality(province):
        return province
    prefecture = table.get(code[:4] + "00")
    if prefecture is None or prefecture.level is not RegionLevel.PREFECTURE:
        raise UnknownRegionError(code)
    return prefecture


def contains(ancestor_code: str, code: str) -> bool:
    """True when the region ``code`` lies within ``ancestor_code`` (or is it).

    This is region scoping: may a staff user of ``ancestor_code`` see a unit registered in
    ``code``? The ancestor must be a known region; ``code`` need only be well formed, and a
    county missing from our table belongs to its prefecture and province by code prefix
    (GB/T 2260 codes nest by prefix). A county-level ancestor contains only itself.
    """
    ancestor = get_region(ancestor_code)
    code = _checked(code)
    if ancestor.level is RegionLevel.PROVINCE:
        return code[:2] == ancestor.code[:2]
    if ancestor.level is RegionLevel.PREFECTURE:
        return code[:4] == ancestor.code[:4]
    return code == ancestor.code


def _is_municipality(province: Region) -> bool:
    return province.code[:2] in _MUNICIPALITY_PREFIXES
