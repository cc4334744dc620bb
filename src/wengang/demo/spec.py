"""What city to make: the specification, its month axis and its random streams."""

import re
import zlib
from dataclasses import dataclass
from datetime import date

import numpy as np

from .errors import SynthSpecError

_CITY_CODE = re.compile(r"^[1-9][0-9]{3}00$")
_MUNICIPALITIES = ("11", "12", "31", "50")  # their districts sit directly below them
DIRTY_MIN_UNITS = 100


@dataclass(frozen=True)
class CitySpec:
    """A synthetic city: how many units, which seed, where, which assessment year, which date.

    ``year`` is the assessment year Y (the refund year is Y+1); contributions run from December
    Y-1 through the month of ``as_of`` (default 15 April of Y+1). ``dirty`` injects a known list
    of faults.
    """

    units: int = 20_000
    seed: int = 2020
    region_code: str = "360100"
    year: int = 2019
    as_of: date | None = None
    dirty: bool = False

    def __post_init__(self) -> None:
        if not isinstance(self.units, int) or self.units < 1:
            raise SynthSpecError("单位数须为正整数", "units must be a positive integer",
                                 code="units")
        if not _CITY_CODE.match(self.region_code) or (
                self.region_code.endswith("0000") and self.region_code[:2] not in _MUNICIPALITIES):
            raise SynthSpecError(
                f"行政区划代码须为地级市代码（6位，末两位为00）：{self.region_code}",
                f"region must be a prefecture-level GB/T 2260 code (6 digits ending in 00): "
                f"{self.region_code}", code="region")
        if not 2000 <= self.year <= 2100:
            raise SynthSpecError(f"考核年度不合理：{self.year}", f"implausible year {self.year}",
                                 code="year")
        if self.screening_date < date(self.year + 1, 1, 1) or \
                self.screening_date > date(self.year + 3, 12, 31):
            raise SynthSpecError(
                f"筛查日期须在考核年度之后三年内：{self.screening_date}",
                f"as_of must fall in the three years after the assessment year: "
                f"{self.screening_date}", code="as_of")
        if self.dirty and self.units < DIRTY_MIN_UNITS:
            raise SynthSpecError(
                f"--dirty 需要至少 {DIRTY_MIN_UNITS} 个单位",
                f"--dirty needs at least {DIRTY_MIN_UNITS} units", code="units")

    @property
    def screening_date(self) -> date:
        return self.as_of or date(self.year + 1, 4, 15)

    @property
    def months(self) -> "MonthAxis":
        return MonthAxis(self.year, self.screening_date)

    def rng(self, *stream: str | int) -> np.random.Generator:
        """An independent random stream per purpose, so one part can change without
        reshuffling the others, and chunked generation gives the same numbers every run."""
        keys = [zlib.crc32(part.encode()) if isinstance(part, str) else part for part in stream]
        return np.random.default_rng(np.random.SeedSequence([self.seed & 0xFFFFFFFF, *keys]))


class MonthAxis:
    """The contribution months: index 0 is December Y-1, 1–12 the months of Y, then Y+1 …"""

    def __init__(self, year: int, as_of: date) -> None:
        self.year = year
        self.first = np.datetime64(f"{year - 1}-12", "M")
        last = np.datetime64(f"{as_of.year}-{as_of.month:02d}", "M")
        self.count = int((last - self.first).astype(np.int64)) + 1
        self.starts = (self.first + np.arange(self.count)).astype("datetime64[D]")
        self.ends = (self.first + np.arange(1, self.count + 1)).astype("datetime64[D]") \
            - np.timedelta64(1, "D")
        self.labels = [str(month) for month in (self.first + np.arange(self.count))]
        self.december = 12  # index of December Y
        calendar_year = self.starts.astype("datetime64[Y]").astype(np.int64) + 1970
        calendar_month = self.starts.astype("datetime64[M]").astype(np.int64) % 12 + 1
        self.calendar_year = calendar_year
        self.calendar_month = calendar_month

    def index_of(self, day: np.ndarray) -> np.ndarray:
        """Month index of each date (may be negative or past the end)."""
        return (day.astype("datetime64[M]") - self.first).astype(np.int64)
