"""Where the city's units are registered: its county-level districts and their shares."""

from dataclasses import dataclass

from . import vocab
from .errors import SynthSpecError

_PROVINCE_SUFFIXES = ("壮族自治区", "回族自治区", "维吾尔自治区", "自治区", "特别行政区", "省", "市")


@dataclass(frozen=True)
class District:
    code: str
    name: str
    weight: float
    city_name: str
    province_name: str = "江西省"

    @property
    def province_short(self) -> str:
        """江西省 → 江西, 广西壮族自治区 → 广西, 北京市 → 北京 (as company names use it)."""
        for suffix in _PROVINCE_SUFFIXES:
            if self.province_name.endswith(suffix):
                return self.province_name.removesuffix(suffix)
        return self.province_name


def city_districts(city_code: str) -> list[District]:
    """The county-level units of a city, with the share of units each holds.

    Nanchang has calibrated shares; other cities take their districts from the GB/T 2260 table
    (``wengang.core.regions``) with the first (central) districts weighted higher.
    """
    if city_code == "360100":
        return [District(code, name, weight, vocab.CITY_NAMES[city_code])
                for code, name, weight in vocab.NANCHANG_DISTRICTS]
    from wengang.core import regions
    from wengang.core.errors import RegionError

    try:
        city = regions.get_region(city_code)
        province = regions.province_of(city_code)
        below = [region for region in regions.children(city_code)
                 if region.code[:4] == city_code[:4] or city_code.endswith("0000")]
    except RegionError as error:
        raise SynthSpecError(f"未知的城市行政区划代码：{city_code}",
                             f"unknown city region code {city_code}", code="region") from error
    if not below:
        raise SynthSpecError(f"该城市没有下辖的县级行政区：{city_code}",
                             f"city {city_code} has no county-level units", code="region")
    weights = [1.0 / (1 + position * 0.15) for position in range(len(below))]
    return [District(region.code, region.name, weight / sum(weights), city.name, province.name)
            for region, weight in zip(below, weights, strict=True)]
