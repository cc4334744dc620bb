"""Enterprise size (企业规模) under 工信部联企业〔2011〕300号, with three-valued logic.

The thresholds are data (``data/size_table_2011.yaml``, a dated policy file with its legal
reference); this module holds only the rules of the standard:

- SME (中小微型企业) when ANY upper test passes (value below the bound); large when ALL fail;
- among SMEs: micro when ANY micro test is true; medium when BOTH medium lower bounds hold;
  small when both small lower bounds hold and medium's do not.

Inputs may be missing (``None`` in Python, NULL in SQL). A test on a missing value is unknown,
tests combine in Kleene logic (true OR unknown = true; false AND unknown = false), and a class is
assigned only where the known inputs decide it: ``sme`` when SME is certain but the exact class
is not, ``unknown`` when even SME is not. Missing data never guesses upward (a smaller class
pays a larger refund). A missing or ambiguous industry code is treated the same way: the class
must be the same under every industry row it could be (bare ``70`` could be 7010, 7020 or
another 70xx class; no code at all could be any row).

Industry codes are GB/T 4754-2017 divisions (2 digits) or classes (4 digits). A 4-digit class
maps to the row of its division, except in a division the standard splits by class (70: only
7010 and 7020 have rows; 7030, 7040, 7090 fall to the default row). Any other text falls to the
default row (其他未列明行业).

Two implementations must agree (a property test runs both): ``classify_size`` in Python, one
unit at a time, and ``size_class_sql``, a DuckDB expression for screening a million units.

Errors::

    SizingError (core.errors)
    ├── SizeTableError     the standard's file is malformed (names the file and the place)
    └── SizeInputError     a value that is not a number (or is NaN)
"""

import math
import re
from collections.abc import Hashable, Iterable, Mapping
from dataclasses import dataclass
from datetime import date
from decimal import Decimal
from enum import StrEnum
from fractions import Fraction
from functools import cache
from importlib import resources
from pathlib import Path
from types import MappingProxyType
from typing import Any, Literal

import yaml

from . import data
from .errors import SizingError

Variable = Literal["employees", "revenue", "assets"]
Number = int | float | Decimal | Fraction

VARIABLES: tuple[Variable, ...] = ("employees", "revenue", "assets")
DEFAULT_STANDARD_FILE = "size_table_2011.yaml"
_TESTS = ("sme_if_any_below", "medium_if_all_at_least", "small_if_all_at_least",
          "micro_if_any_below")
_IDENTIFIER = re.compile(r"[A-Za-z_][A-Za-z0-9_]{0,62}")
_DIVISION = re.compile(r"[0-9]{2}|[0-9]{4}")
_CLASS_CODE = re.compile(r"[0-9]{4}")
_ROW_ID = re.compile(r"[a-z][a-z0-9_]*")


class Size(StrEnum):
    LARGE = "large"
    MEDIUM = "medium"
    SMALL = "small"
    MICRO = "micro"
    SME = "sme"  # certainly medium, small or micro; the data cannot say which
    UNKNOWN = "unknown"  # the data cannot even say whether it is an SME

    @property
    def is_decided(self) -> bool:
        return self not in (Size.SME, Size.UNKNOWN)

    @property
    def label_zh(self) -> str:
        """The name people read (lists, notices, charts)."""
        return _SIZE_LABELS[self]


_SIZE_LABELS = {Size.LARGE: "大型", Size.MEDIUM: "中型", Size.SMALL: "小型", Size.MICRO: "微型",
                Size.SME: "中小微型（未细分）", Size.UNKNOWN: "无法确定"}


# What each class leaves possible; the join of several answers is the class of their union.
_EXACT = (Size.LARGE, Size.MEDIUM, Size.SMALL, Size.MICRO)
_POSSIBLE: dict[Size, frozenset[Size]] = {
    **{size: frozenset({size}) for size in _EXACT},
    Size.SME: frozenset({Size.MEDIUM, Size.SMALL, Size.MICRO}),
    Size.UNKNOWN: frozenset(_EXACT),
}


class SizeTableError(SizingError):
    code = "sizing_table"

    def __init__(self, source: str, where: str, zh: str, en: str) -> None:
        self.source = source
        self.where = where
        place = f"{source}: {where}: " if where else f"{source}: "
        super().__init__(place + zh, place + en)


class SizeInputError(SizingError):
    code = "sizing_input"


@dataclass(frozen=True, slots=True)
class Industry:
    """One row of the standard: which divisions it covers and its four tests."""

    id: str
    name: str
    divisions: tuple[str, ...]
    is_default: bool
    sme_if_any_below: Mapping[Variable, int]
    medium_if_all_at_least: Mapping[Variable, int]
    small_if_all_at_least: Mapping[Variable, int]
    micro_if_any_below: Mapping[Variable, int]


@dataclass(frozen=True, slots=True, eq=False)  # identity equality: cached lookups key on it
class SizeStandard:
    """A size standard: its legal reference, dates and industry rows."""

    id: str
    title: str
    reference: str
    valid_from: date
    valid_to: date | None
    industries: tuple[Industry, ...]
    source: str

    @property
    def default_industry(self) -> Industry:
        return next(row for row in self.industries if row.is_default)

    def industries_for(self, industry_code: str | None) -> tuple[Industry, ...]:
        """The rows ``industry_code`` may fall in: one, or several when the code is ambiguous."""
        if industry_code is None or industry_code == "":
            return self.industries
        index = _division_index(self)
        if industry_code in index:
            return (index[industry_code],)
        split = _split_divisions(self)
        if _CLASS_CODE.fullmatch(industry_code):
            division = industry_code[:2]
            if division not in split and division in index:
                return (index[division],)
            return (self.default_industry,)
        if industry_code in split:  # e.g. bare "70": any of its listed classes, or another
            return (*split[industry_code], self.default_industry)
        return (self.default_industry,)


# --- the classifier (Python) ---------------------------------------------------------------


def classify_size(
    industry_code: str | None,
    employees: Number | None,
    revenue_10k: Number | None,
    assets_10k: Number | None,
    *,
    standard: SizeStandard | None = None,
) -> Size:
    """Classify one unit by the standard; ``None`` marks a missing input.

    Employees may be fractional (the mean insured headcount over the year); revenue and total
    assets are in 10k yuan, as the standard states its bounds.
    """
    values: dict[Variable, Number | None] = {
        "employees": _checked_number("employees", employees),
        "revenue": _checked_number("revenue_10k", revenue_10k),
        "assets": _checked_number("assets_10k", assets_10k),
    }
    if industry_code is not None and not isinstance(industry_code, str):
        raise SizeInputError(
            f"行业代码应为文本：{industry_code!r}",
            f"industry code must be text (leading zeros matter): {industry_code!r}",
        )
    rows = (standard or default_size_standard()).industries_for(industry_code)
    return join_sizes(_classify_row(row, values) for row in rows)


def join_sizes(sizes: Iterable[Size]) -> Size:
    """The most precise class that covers every answer in ``sizes`` (for ambiguous input)."""
    possible = frozenset().union(*(_POSSIBLE[size] for size in sizes))
    if len(possible) == 1:
        return next(iter(possible))
    return Size.SME if Size.LARGE not in possible else Size.UNKNOWN


def _classify_row(row: Industry, values: Mapping[Variable, Number | None]) -> Size:
    """Apply the standard's rules for one industry row, in the order the 300号 text gives them."""
    sme = _any_below(row.sme_if_any_below, values)
    if sme is False:
        return Size.LARGE
    if sme is None:
        return Size.UNKNOWN
    if _any_below(row.micro_if_any_below, values):
        return Size.MICRO
    medium = _all_at_least(row.medium_if_all_at_least, values)
    if medium:
        return Size.MEDIUM
    if medium is False and _all_at_least(row.small_if_all_at_least, values):
        return Size.SMALL
    return Size.SME


def _any_below(
    bounds: Mapping[Variable, int], values: Mapping[Variable, Number | None]
) -> bool | None:
    """Kleene OR of ``value < bound``: True if any known test passes, None if any is unknown."""
    result: bool | None = False
    for variable, bound in bounds.items():
        value = values[variable]
        if value is None:
            result = None
        elif value < bound:
            return True
    return result


def _all_at_least(
    bounds: Mapping[Variable, int], values: Mapping[Variable, Number | None]
) -> bool | None:
    """Kleene AND of ``value >= bound``: False if any known test fails, None if any is unknown."""
    result: bool | None = True
    for variable, bound in bounds.items():
        value = values[variable]
        if value is None:
            result = None
        elif value < bound:
            return False
    return result


def _checked_number(name: str, value: object) -> Number | None:
    if value is None:
        return None
    if isinstance(value, bool) or not isinstance(value, int | float | Decimal | Fraction):
        raise SizeInputError(f"{name} 应为数字：{value!r}", f"{name} must be a number: {value!r}")
    if _is_nan(value):  # NaN compares false with everything: it would silently read as large
        raise SizeInputError(f"{name} 不能为 NaN", f"{name} must not be NaN")
    return value


def _is_nan(value: Number) -> bool:
    if isinstance(value, float):
        return math.isnan(value)
    return isinstance(value, Decimal) and value.is_nan()


# --- the classifier (SQL) ------------------------------------------------------------------

# A class as a bit mask of the exact classes it leaves possible; OR joins ambiguous answers.
_MASK = {Size.LARGE: 1, Size.MEDIUM: 2, Size.SMALL: 4, Size.MICRO: 8, Size.SME: 14,
         Size.UNKNOWN: 15}


def size_class_sql(
    table: str | None,
    *,
    industry: str = "industry_code",
    employees: str = "employees",
    revenue: str = "revenue_10k",
    assets: str = "total_assets_10k",
    standard: SizeStandard | None = None,
) -> str:
    """Return a DuckDB expression giving each row's size class (NULL inputs = missing).

    ``table`` qualifies the columns (``None`` leaves them bare). Only names matching a strict
    identifier pattern are interpolated, and quoted; every number comes from the standard's
    file. The industry column must be text: an integer column would have lost leading zeros.

    SQL's NULL logic is Kleene's, so the tests read as in Python. Each candidate industry row
    yields a bit mask of the classes it leaves possible; an ambiguous code ORs the masks of its
    rows, and a constant list names the class of each mask. The expression is flat on purpose:
    DuckDB copies the operand of a simple ``CASE x WHEN`` into every branch, and nesting those
    made planning take seconds.
    """
    standard = standard or default_size_standard()
    qualifier = "" if table is None else _quoted(table, "table") + "."
    column: dict[str, str] = {
        "employees": qualifier + _quoted(employees, "employees"),
        "revenue": qualifier + _quoted(revenue, "revenue"),
        "assets": qualifier + _quoted(assets, "assets"),
    }
    code = qualifier + _quoted(industry, "industry")
    mask = {row.id: _row_mask_sql(row, column) for row in standard.industries}

    def joined(rows: tuple[Industry, ...]) -> str:
        return " | ".join(mask[row.id] for row in rows)

    branches = [f"WHEN {code} IS NULL OR {code} = '' THEN {joined(standard.industries)}"]
    for row in standard.industries:  # exact 4-digit classes (7010, 7020) before divisions
        classes = [c for c in row.divisions if len(c) == 4]
        if classes:
            branches.append(f"WHEN {code} IN ({_sql_strings(classes)}) THEN {mask[row.id]}")
    for division, rows in sorted(_split_divisions(standard).items()):  # bare "70"
        branches.append(
            f"WHEN {code} = '{division}' THEN {joined((*rows, standard.default_industry))}"
        )
    # Any other text falls to the default row; what is left is 2 or 4 digits, and such a code
    # is in divisions lo..hi exactly when lo <= code <= hi || '99' as text. Ranges compare a
    # code a few times where lists of divisions compared it about a hundred times.
    branches.append(f"WHEN NOT regexp_full_match({code}, '[0-9]{{2}}|[0-9]{{4}}') "
                    f"THEN {mask[standard.default_industry.id]}")
    for row in standard.industries:  # a division, or a 4-digit class within it
        ranges = [f"({code} >= '{low}' AND {code} <= '{high}99')"
                  for low, high in _division_ranges(row)]
        if ranges:
            branches.append(f"WHEN {' OR '.join(ranges)} THEN {mask[row.id]}")
    mask_sql = f"CASE {' '.join(branches)} ELSE {mask[standard.default_industry.id]} END"
    names = _sql_strings([_mask_name(value).value for value in range(16)])
    return f"([{names}])[({mask_sql}) + 1]"


def _division_ranges(row: Industry) -> list[tuple[str, str]]:
    """The row's 2-digit divisions as runs of consecutive codes: 06…46 is one run."""
    runs: list[tuple[str, str]] = []
    for code in sorted(c for c in row.divisions if len(c) == 2):
        if runs and int(code) == int(runs[-1][1]) + 1:
            runs[-1] = (runs[-1][0], code)
        else:
            runs.append((code, code))
    return runs


def _row_mask_sql(row: Industry, column: Mapping[str, str]) -> str:
    """One row's rules, in the order of the 300号 text, giving the mask of its class."""
    sme = _tests_sql(row.sme_if_any_below, column, "<", " OR ")
    medium = _tests_sql(row.medium_if_all_at_least, column, ">=", " AND ")
    small = _tests_sql(row.small_if_all_at_least, column, ">=", " AND ")
    micro = _tests_sql(row.micro_if_any_below, column, "<", " OR ")
    within_sme = (
        f"CASE WHEN {micro} THEN {_MASK[Size.MICRO]} WHEN {medium} THEN {_MASK[Size.MEDIUM]}"
        f" WHEN {small} AND {medium} IS FALSE THEN {_MASK[Size.SMALL]}"
        f" ELSE {_MASK[Size.SME]} END"
    )
    return (
        f"(CASE WHEN {sme} THEN ({within_sme}) WHEN {sme} IS NULL THEN {_MASK[Size.UNKNOWN]}"
        f" ELSE {_MASK[Size.LARGE]} END)"
    )


def _mask_name(mask: int) -> Size:
    """The class of a mask: one exact class, else sme without large, else unknown."""
    exact = [size for size in _EXACT if mask & _MASK[size]]
    if len(exact) == 1:
        return exact[0]
    return Size.SME if exact and Size.LARGE not in exact else Size.UNKNOWN


def _tests_sql(
    bounds: Mapping[Variable, int], column: Mapping[str, str], op: str, joiner: str
) -> str:
    return "(" + joiner.join(f"{column[var]} {op} {int(bound)}" for var, bound in
                             bounds.items()) + ")"


def _sql_strings(values: list[str]) -> str:
    """Quote known-safe literals (division codes checked by the loader, class names)."""
    return ", ".join(f"'{value}'" for value in values)


def _quoted(name: str, role: str) -> str:
    """Quote an identifier after checking it against a strict pattern (prevents SQL injection)."""
    if not isinstance(name, str) or not _IDENTIFIER.fullmatch(name):
        raise SizeInputError(
            f"{role} 不是合法的列名或表名：{name!r}",
            f"{role} is not an allowed column or table name: {name!r}",
        )
    return f'"{name}"'


# --- the standard's file -------------------------------------------------------------------


@cache
def default_size_standard() -> SizeStandard:
    """The shipped 2011 standard (工信部联企业〔2011〕300号), read once."""
    resource = resources.files(data).joinpath(DEFAULT_STANDARD_FILE)
    return parse_size_standard(resource.read_text(encoding="utf-8"), source=DEFAULT_STANDARD_FILE)


def load_size_standard(path: str | Path) -> SizeStandard:
    """Read a size standard from a YAML file, strictly (errors name the file and the place)."""
    return parse_size_standard(Path(path).read_text(encoding="utf-8"), source=str(path))


def parse_size_standard(text: str, *, source: str) -> SizeStandard:
    """Parse and check a size standard given as YAML text."""
    try:
        document = yaml.load(text, Loader=_StrictLoader)  # a SafeLoader subclass
    except yaml.YAMLError as exc:
        raise SizeTableError(source, "", f"YAML 无法解析：{exc}", f"invalid YAML: {exc}") from None
    top = _mapping(document, source, "", required=("id", "title", "reference", "valid_from",
                                                  "industries"), optional=("valid_to",))
    valid_from = _date(top["valid_from"], source, "valid_from")
    valid_to = None if top.get("valid_to") is None else _date(top["valid_to"], source, "valid_to")
    if valid_to is not None and valid_to <= valid_from:
        raise SizeTableError(source, "valid_to", "失效日期应晚于生效日期",
                             "valid_to must be after valid_from")
    rows_raw = top["industries"]
    if not isinstance(rows_raw, list) or not rows_raw:
        raise SizeTableError(source, "industries", "应为非空列表", "must be a non-empty list")
    rows = tuple(_industry(raw, source, f"industries[{i}]") for i, raw in enumerate(rows_raw))
    standard = SizeStandard(
        id=_text(top["id"], source, "id"),
        title=_text(top["title"], source, "title"),
        reference=_text(top["reference"], source, "reference"),
        valid_from=valid_from,
        valid_to=valid_to,
        industries=rows,
        source=source,
    )
    _check_rows(standard)
    return standard


class _StrictLoader(yaml.SafeLoader):
    """A SafeLoader that refuses duplicate keys (PyYAML silently keeps the last one)."""

    def construct_mapping(self, node: yaml.MappingNode, deep: bool = False) -> dict[Any, Any]:
        seen: set[Any] = set()
        for key_node, _ in node.value:
            key = self.construct_object(key_node, deep=deep)
            if not isinstance(key, Hashable):
                continue  # PyYAML's own construct_mapping reports unhashable keys
            if key in seen:
                raise yaml.constructor.ConstructorError(
                    None, None, f"duplicate key {key!r}", key_node.start_mark
                )
            seen.add(key)
        return super().construct_mapping(node, deep=deep)


def _industry(raw: object, source: str, where: str) -> Industry:
    fields = _mapping(raw, source, where, required=("id", "name", "divisions", *_TESTS),
                      optional=("default",))
    row_id = fields["id"]
    if not isinstance(row_id, str) or not _ROW_ID.fullmatch(row_id):
        raise SizeTableError(source, f"{where}.id", f"行业标识不合法：{row_id!r}",
                             f"invalid row id {row_id!r} (lowercase letters, digits, _)")
    where = f"{where} ({row_id})"
    divisions = fields["divisions"]
    if not isinstance(divisions, list):
        raise SizeTableError(source, f"{where}.divisions", "应为列表", "must be a list")
    for code in divisions:
        if not isinstance(code, str) or not _DIVISION.fullmatch(code):
            raise SizeTableError(
                source, f"{where}.divisions",
                f"行业代码应为带引号的2位或4位数字：{code!r}",
                f"a division must be a quoted 2- or 4-digit code: {code!r}",
            )
    is_default = fields.get("default", False)
    if not isinstance(is_default, bool):
        raise SizeTableError(source, f"{where}.default", "应为 true 或 false",
                             "must be true or false")
    tests = {name: _bounds(fields[name], source, f"{where}.{name}") for name in _TESTS}
    row = Industry(
        id=row_id,
        name=_text(fields["name"], source, f"{where}.name"),
        divisions=tuple(divisions),
        is_default=is_default,
        **tests,
    )
    _check_row(row, source, where)
    return row


def _bounds(raw: object, source: str, where: str) -> Mapping[Variable, int]:
    if not isinstance(raw, dict) or not raw:
        raise SizeTableError(source, where, "应为非空映射，如 {employees: 300}",
                             "must be a non-empty mapping such as {employees: 300}")
    bounds: dict[Variable, int] = {}
    for variable, bound in raw.items():
        if variable not in VARIABLES:
            raise SizeTableError(
                source, where, f"未知的指标 {variable!r}（可用 employees、revenue、assets）",
                f"unknown variable {variable!r} (use employees, revenue, assets)",
            )
        # Whole numbers only: the 2011 table has no fractions, and integers compare exactly in
        # Python and DuckDB alike.
        if isinstance(bound, bool) or not isinstance(bound, int) or bound <= 0:
            raise SizeTableError(source, f"{where}.{variable}",
                                 f"界限应为正整数：{bound!r}",
                                 f"a bound must be a positive integer: {bound!r}")
        bounds[variable] = bound
    return MappingProxyType(bounds)  # the standard is shared: keep it read-only


def _check_row(row: Industry, source: str, where: str) -> None:
    """Refuse rows whose classes would overlap or leave a gap."""
    small = row.small_if_all_at_least
    if set(row.medium_if_all_at_least) != set(small):
        raise SizeTableError(source, where, "中型与小型的指标应相同",
                             "medium and small must test the same variables")
    if dict(row.micro_if_any_below) != dict(small):
        # Every SME is then exactly one of medium, small, micro.
        raise SizeTableError(source, where, "微型的界限应与小型的下限相同",
                             "the micro tests must equal the small lower bounds")
    for variable, bound in row.medium_if_all_at_least.items():
        if bound < small[variable]:
            raise SizeTableError(source, where, f"中型的 {variable} 下限低于小型",
                                 f"medium's {variable} bound is below small's")


def _check_rows(standard: SizeStandard) -> None:
    source = standard.source
    defaults = [row.id for row in standard.industries if row.is_default]
    if len(defaults) != 1:
        raise SizeTableError(source, "industries", f"应恰有一个 default 行，实际 {len(defaults)} 个",
                             f"exactly one row must be the default, found {len(defaults)}")
    ids: set[str] = set()
    seen: dict[str, str] = {}
    for row in standard.industries:
        if row.id in ids:
            raise SizeTableError(source, "industries", f"行业标识重复：{row.id}",
                                 f"duplicate row id {row.id}")
        ids.add(row.id)
        for code in row.divisions:
            if code in seen:
                raise SizeTableError(source, f"industries ({row.id})",
                                     f"行业代码 {code} 已属于 {seen[code]}",
                                     f"division {code} already belongs to {seen[code]}")
            seen[code] = row.id
    for code in seen:
        if len(code) == 4 and code[:2] in seen:
            raise SizeTableError(
                source, "industries",
                f"{code} 与 {code[:2]} 同时列出，归属不明确",
                f"{code} and its division {code[:2]} are both listed: ambiguous",
            )


def _mapping(raw: object, source: str, where: str, *, required: tuple[str, ...],
             optional: tuple[str, ...] = ()) -> dict[str, Any]:
    if not isinstance(raw, dict):
        raise SizeTableError(source, where, "应为映射", "must be a mapping")
    unknown = sorted(str(key) for key in raw if key not in required + optional)
    if unknown:
        raise SizeTableError(source, where, f"未知的键：{', '.join(unknown)}",
                             f"unknown keys: {', '.join(unknown)}")
    missing = [key for key in required if key not in raw]
    if missing:
        raise SizeTableError(source, where, f"缺少键：{', '.join(missing)}",
                             f"missing keys: {', '.join(missing)}")
    return raw


def _text(raw: object, source: str, where: str) -> str:
    if not isinstance(raw, str) or not raw.strip():
        raise SizeTableError(source, where, "应为非空文本", "must be non-empty text")
    return raw


def _date(raw: object, source: str, where: str) -> date:
    if isinstance(raw, date):
        return raw
    raise SizeTableError(source, where, f"日期应为 YYYY-MM-DD：{raw!r}",
                         f"a date must be YYYY-MM-DD: {raw!r}")


@cache
def _division_index(standard: SizeStandard) -> dict[str, Industry]:
    return {code: row for row in standard.industries for code in row.divisions}


@cache
def _split_divisions(standard: SizeStandard) -> dict[str, tuple[Industry, ...]]:
    """Divisions the standard splits by class (70 → 7010, 7020), with the rows of those classes."""
    split: dict[str, list[Industry]] = {}
    for row in standard.industries:
        for code in row.divisions:
            if len(code) == 4 and row not in split.setdefault(code[:2], []):
                split[code[:2]].append(row)
    return {division: tuple(rows) for division, rows in split.items()}
