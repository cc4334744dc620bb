"""Plain pandas reference implementation of the two 2020 refund programs (the oracle).

Screens a CSV feed folder for ``inclusive-2020`` (普惠性稳岗返还) and ``difficult-2020``
(困难企业稳岗返还) exactly per FEEDS.md, "Reference interpretation of the 2020 programs", and
returns the screening-result contract (FEEDS.md, "Screening result") without the ``explanation``
column: one row per unit per program, sorted by uscc then program, every value already formatted
as the CSV text (``eligible`` true/false, ``amount`` yuan with 2 decimals, ``layoff_rate`` with 4).

Why it exists:
- it is the ORACLE the DuckDB screening engine is compared against, so it is written plainly:
  groupby / merge / boolean masks, one named mask per rule id, no cleverness. It deliberately
  does not import ``wengang.core.sizing`` or the engine: an oracle sharing code with the thing it
  checks would share its bugs;
- it is the baseline of the speed benchmark ("a plain pandas implementation of the same two
  programs"), so it is vectorised the way an ordinary analyst would write it, not tuned.

Money is integer fen from the moment it is read (yuan text split at the decimal point, never a
float); ratios and thresholds are exact fractions; every comparison and rounding is done in
integers. Points the reference interpretation leaves open are decided in comments marked
``INTERPRETATION``; the same list is in ``INTERPRETATIONS`` below for the benchmark report.

Usage::

    python bench/pandas_reference.py FEED_DIR --as-of 2020-04-15 --out result.csv \\
        [--set monthly_benefit=1585] [--set layoff_strategy=layoff_separations] ...
"""

from __future__ import annotations

import argparse
import re
import sys
import time
from dataclasses import dataclass
from datetime import date
from decimal import Decimal, InvalidOperation
from fractions import Fraction
from pathlib import Path

import numpy as np
import pandas as pd

# ---------------------------------------------------------------------------------------------
# Programs and fixed facts of the 2020 policy (国办发〔2020〕6号)
# ---------------------------------------------------------------------------------------------
ASSESSMENT_YEAR = 2019  # Y; the refund year is Y + 1 = 2020
INCLUSIVE = "inclusive-2020"
DIFFICULT = "difficult-2020"
ALLOWED_UNIT_TYPES = ("enterprise", "individual_business")
SMALL_UNIT_MAX_BASELINE = 30  # units with ≤ 30 insured at the baseline may lay off up to 20%
SMALL_UNIT_LAYOFF_THRESHOLD = Fraction(1, 5)
SME_LAYOFF_THRESHOLD = Fraction(55, 1000)  # 5.5% for medium/small/micro/sme
DIFFICULT_BENEFIT_MONTHS = 6  # option A: 6 × monthly UI benefit × year-end headcount
SME_SIZES = ("medium", "small", "micro", "sme")  # everything else (large, unknown) is "large-like"
LAYOFF_STRATEGIES = ("net_headcount", "layoff_separations", "benefit_claimants")

RESULT_COLUMNS = ["uscc", "program", "eligible", "amount", "size", "route", "layoff_rate", "failed"]

INTERPRETATIONS = [
    "Y = 2019; months of Y are the contribution rows whose month starts with '2019-'.",
    ("no_arrears looks at every contribution row from the unit's first row up to and including "
     "the month of as_of; rows for months after as_of's month are ignored."),
    "paid_12_months counts distinct months of Y with due > 0 and paid >= due; it needs all 12.",
    ("paid_on is not used: a month's paid amount counts whatever date it was paid on (the feed "
     "is a snapshot taken on or before as_of)."),
    ("Baseline = insured of 2018-12, else insured of the first month of Y present, else 0 (no "
     "row at all: the rate is then 0 and the 20% threshold applies)."),
    ("Year-end headcount = insured of 2019-12; a unit without a 2019-12 row counts 0 insured at "
     "year end (such a unit fails paid_12_months anyway)."),
    ("The layoff threshold depends on the baseline for every strategy: baseline <= 30 -> 0.20; "
     "otherwise large and unknown sizes -> registered_unemployment_rate; SME sizes -> 0.055. "
     "Pass when the exact rate <= threshold (compared as integers, no float)."),
    ("layoff_rate is reported as the exact fraction rounded half-up to 4 decimals; 0 where the "
     "divisor is 0. benefit_claimants divides by the mean insured over the rows of Y present."),
    "Separations count for Y when 2019-01-01 <= separated_on <= 2019-12-31.",
    ("Size: employees = mean insured over the rows of Y present (no row -> unknown); revenue and"
     " assets from the tax row of year 2019 (absent row or empty cell -> unknown), compared in "
     "fen against the table's 10k-yuan bounds. Kleene three-valued logic: upper test false -> "
     "large; upper true and a micro test true -> micro; else both medium bounds -> medium; else "
     "both small bounds -> small; else sme; upper test unknown -> unknown."),
    ("Industry from industry_code: the 2-digit division picks the row (4-digit codes by their "
     "first 2 digits), except division 70 where only 7010 (development) and 7020 (property "
     "management) have rows; 70, 7030, 7040, 7090, an empty or any unmapped code -> 'other'."),
    ("Ratio: large and unknown -> ratio_large; medium/small/micro/sme -> ratio_sme. Base = sum "
     "over rows of Y of min(paid, due). Amount = ratio x base rounded half-up to the fen."),
    ("credit_list: rows with list = serious_dishonesty only; listed_on <= as_of and (removed_on "
     "empty or removed_on > as_of)."),
    ("environment: severity = major and 2019-01-01 <= penalty_on <= as_of; general penalties and"
     " penalties before Y never exclude."),
    ("registration: fails when there is no registry row (including when registry.csv is absent) "
     "or status != active."),
    ("abnormal_list: only with exclude_abnormal; fails when the registry row says abnormal = "
     "true (empty or no registry row -> not listed)."),
    ("difficulty_certificate: some row with valid_from <= as_of <= valid_to (both inclusive); an"
     " empty valid_to means open-ended. certified_by is not checked."),
    ("Both programs check unit_type, paid_12_months, no_arrears, layoff_rate, credit_list, "
     "environment, registration, abnormal_list; difficult-2020 adds difficulty_certificate."),
    ("difficult-2020 amount = 6 x monthly_benefit (fen) x year-end headcount, exact; route "
     "application when eligible."),
    ("Stacking: eligible for both -> keep the larger amount; tie -> inclusive kept. The other "
     "row gets failed = 'stacking', eligible false, amount 0.00, route none."),
    ("Route (inclusive): eligible, size in medium/small/micro/sme, a non-empty bank_account or "
     "si_account, and is_labour_dispatch known false -> automatic; an empty is_labour_dispatch "
     "is not 'known not a dispatch firm' -> application. Not eligible -> none."),
    ("Output has one row per unit of units.csv; contribution/other rows of USCCs not in "
     "units.csv are ignored."),
    ("Input strictness: unknown columns, duplicate keys, malformed money/dates/months/booleans "
     "and empty required cells (uscc, unit_type, month, insured, due, paid, ...) raise "
     "ValueError."),
]

# ---------------------------------------------------------------------------------------------
# Enterprise size: 工信部联企业〔2011〕300号, as DOMAIN.md tabulates it (written out here again on
# purpose; see the module docstring). Employees in persons; revenue and assets in 10k yuan.
# Each test is (input, bound). "upper": SME if ANY passes (input < bound). "medium"/"small": the
# class needs ALL lower bounds (input >= bound). "micro": micro if ANY passes (input < bound).
# ---------------------------------------------------------------------------------------------
E, R, A = "employees", "revenue", "assets"
SIZE_TABLE: dict[str, dict[str, list[tuple[str, int]]]] = {
    "agriculture": {"upper": [(R, 20000)], "medium": [(R, 500)], "small": [(R, 50)],
                    "micro": [(R, 50)]},
    "industry": {"upper": [(E, 1000), (R, 40000)], "medium": [(E, 300), (R, 2000)],
                 "small": [(E, 20), (R, 300)], "micro": [(E, 20), (R, 300)]},
    "construction": {"upper": [(R, 80000), (A, 80000)], "medium": [(R, 6000), (A, 5000)],
                     "small": [(R, 300), (A, 300)], "micro": [(R, 300), (A, 300)]},
    "wholesale": {"upper": [(E, 200), (R, 40000)], "medium": [(E, 20), (R, 5000)],
                  "small": [(E, 5), (R, 1000)], "micro": [(E, 5), (R, 1000)]},
    "retail": {"upper": [(E, 300), (R, 20000)], "medium": [(E, 50), (R, 500)],
               "small": [(E, 10), (R, 100)], "micro": [(E, 10), (R, 100)]},
    "transport": {"upper": [(E, 1000), (R, 30000)], "medium": [(E, 300), (R, 3000)],
                  "small": [(E, 20), (R, 200)], "micro": [(E, 20), (R, 200)]},
    "warehousing": {"upper": [(E, 200), (R, 30000)], "medium": [(E, 100), (R, 1000)],
                    "small": [(E, 20), (R, 100)], "micro": [(E, 20), (R, 100)]},
    "postal": {"upper": [(E, 1000), (R, 30000)], "medium": [(E, 300), (R, 2000)],
               "small": [(E, 20), (R, 100)], "micro": [(E, 20), (R, 100)]},
    "accommodation_catering": {"upper": [(E, 300), (R, 10000)], "medium": [(E, 100), (R, 2000)],
                               "small": [(E, 10), (R, 100)], "micro": [(E, 10), (R, 100)]},
    "information_transmission": {"upper": [(E, 2000), (R, 100000)],
                                 "medium": [(E, 100), (R, 1000)],
                                 "small": [(E, 10), (R, 100)], "micro": [(E, 10), (R, 100)]},
    "software_it": {"upper": [(E, 300), (R, 10000)], "medium": [(E, 100), (R, 1000)],
                    "small": [(E, 10), (R, 50)], "micro": [(E, 10), (R, 50)]},
    "real_estate_development": {"upper": [(R, 200000), (A, 10000)],
                                "medium": [(R, 1000), (A, 5000)],
                                "small": [(R, 100), (A, 2000)], "micro": [(R, 100), (A, 2000)]},
    "property_management": {"upper": [(E, 1000), (R, 5000)], "medium": [(E, 300), (R, 1000)],
                            "small": [(E, 100), (R, 500)], "micro": [(E, 100), (R, 500)]},
    "leasing_business_services": {"upper": [(E, 300), (A, 120000)],
                                  "medium": [(E, 100), (A, 8000)],
                                  "small": [(E, 10), (A, 100)], "micro": [(E, 10), (A, 100)]},
    "other": {"upper": [(E, 300)], "medium": [(E, 100)], "small": [(E, 10)], "micro": [(E, 10)]},
}
FEN_PER_10K_YUAN = 10_000 * 100


def _divisions(first: int, last: int, group: str) -> dict[str, str]:
    return {f"{d:02d}": group for d in range(first, last + 1)}


# GB/T 4754-2017 divisions → size-table row.
DIVISION_TO_INDUSTRY: dict[str, str] = {
    **_divisions(1, 5, "agriculture"),
    **_divisions(6, 46, "industry"),  # mining 06–12, manufacturing 13–43, utilities 44–46
    **_divisions(47, 50, "construction"),
    "51": "wholesale",
    "52": "retail",
    **_divisions(53, 58, "transport"),
    "59": "warehousing",
    "60": "postal",
    "61": "accommodation_catering",
    "62": "accommodation_catering",
    "63": "information_transmission",
    "64": "information_transmission",
    "65": "software_it",
    "71": "leasing_business_services",
    "72": "leasing_business_services",
}
# Division 70 (real estate) is split by 4-digit class; other 70xx classes fall to "other".
REAL_ESTATE_CLASSES = {"7010": "real_estate_development", "7020": "property_management"}

# ---------------------------------------------------------------------------------------------
# Feed files: columns FEEDS.md allows, and the ones this oracle needs (a subset; other columns
# are the importer's business and are not validated here beyond "known name").
# ---------------------------------------------------------------------------------------------
FEED_COLUMNS: dict[str, tuple[set[str], list[str]]] = {
    # feed: (allowed columns, required columns)
    "units": (
        {"uscc", "name", "unit_type", "region_code", "industry_code", "registered_on",
         "ui_insured_since", "is_labour_dispatch", "legal_rep_name", "legal_rep_id",
         "contact_phone", "clerk_name", "clerk_phone", "bank_name", "bank_account", "si_account"},
        ["uscc", "unit_type", "industry_code", "is_labour_dispatch"],
    ),
    "contributions": ({"uscc", "month", "insured", "due", "paid", "paid_on"},
                      ["uscc", "month", "insured", "due", "paid"]),
    "separations": ({"uscc", "person", "separated_on", "reason", "claims_benefit"},
                    ["uscc", "person", "separated_on", "reason", "claims_benefit"]),
    "tax": ({"uscc", "year", "revenue", "total_assets"}, ["uscc", "year"]),
    "registry": ({"uscc", "status", "abnormal", "restructured_on", "restructure_kind"},
                 ["uscc", "status"]),
    "credit": ({"uscc", "list", "listed_on", "removed_on"}, ["uscc", "list", "listed_on"]),
    "environment": ({"uscc", "penalty_on", "severity"}, ["uscc", "penalty_on", "severity"]),
    "difficulty": ({"uscc", "certified_by", "valid_from", "valid_to"},
                   ["uscc", "valid_from"]),
}
FEED_KEYS = {
    "units": ["uscc"],
    "contributions": ["uscc", "month"],
    "separations": ["uscc", "person", "separated_on"],
    "tax": ["uscc", "year"],
    "registry": ["uscc"],
    "credit": ["uscc", "listed_on"],
    "environment": ["uscc", "penalty_on"],
    "difficulty": ["uscc", "valid_from"],
}
# Cells that must not be empty (beyond the key columns).
NOT_EMPTY = {
    "units": ["unit_type"],
    "contributions": ["insured", "due", "paid"],
    "separations": ["reason", "claims_benefit"],
    "registry": ["status"],
    "credit": ["list"],
    "environment": ["severity"],
}
OPTIONAL_FEEDS = ("separations", "tax", "registry", "credit", "environment", "difficulty")

_MONEY = r"^([+-]?)(\d+)(?:\.(\d{1,2}))?$"
_MONEY_TEXT = r"[+-]?\d+(\.\d{1,2})?"
_MONTH_TEXT = r"\d{4}-(0[1-9]|1[0-2])"
_TRUE = {"true", "1", "是"}
_FALSE = {"false", "0", "否"}


# ---------------------------------------------------------------------------------------------
# Parameters
# ---------------------------------------------------------------------------------------------
@dataclass(frozen=True)
class Parameters:
    """Screening parameters with FEEDS.md defaults; ratios and rates kept as exact fractions."""

    as_of: date
    monthly_benefit_fen: int
    registered_unemployment_rate: Fraction
    exclude_abnormal: bool
    layoff_strategy: str
    ratio_large: Fraction
    ratio_sme: Fraction

    @property
    def as_of_month(self) -> str:
        return f"{self.as_of.year:04d}-{self.as_of.month:02d}"


def _fraction(name: str, value: object) -> Fraction:
    """An exact fraction from ``"0.055"``, a ``Decimal``, an int or a float (via its repr)."""
    if isinstance(value, Fraction):
        return value
    try:
        result = Fraction(Decimal(str(value).strip()))
    except (InvalidOperation, ValueError) as exc:
        raise ValueError(f"parameter {name}: not a number: {value!r}") from exc
    if result < 0:
        raise ValueError(f"parameter {name}: must not be negative: {value!r}")
    return result


def _bool_param(name: str, value: object) -> bool:
    if isinstance(value, bool):
        return value
    text = str(value).strip().lower()
    if text in _TRUE:
        return True
    if text in _FALSE:
        return False
    raise ValueError(f"parameter {name}: not a boolean: {value!r}")


def _yuan_param_to_fen(name: str, value: object) -> int:
    match = re.match(_MONEY, str(value).strip())
    if match is None or match.group(1) == "-":
        raise ValueError(f"parameter {name}: expected yuan with at most 2 decimals: {value!r}")
    return int(match.group(2)) * 100 + int((match.group(3) or "0").ljust(2, "0"))


# ---------------------------------------------------------------------------------------------
# Reading the feed folder
# ---------------------------------------------------------------------------------------------
def read_feed(feed_dir: Path, feed: str) -> pd.DataFrame | None:
    """Read ``FEED_DIR/<feed>.csv`` as text columns (empty cell → missing); None if absent."""
    path = Path(feed_dir) / f"{feed}.csv"
    allowed, required = FEED_COLUMNS[feed]
    if not path.exists():
        if feed in OPTIONAL_FEEDS:
            return None
        raise ValueError(f"{path}: required feed file is missing")
    frame = pd.read_csv(path, dtype=str, keep_default_na=False, na_values=[""],
                        encoding="utf-8-sig")
    unknown = sorted(set(frame.columns) - allowed)
    if unknown:
        raise ValueError(f"{path}: unknown columns {unknown}")
    missing = [column for column in required if column not in frame.columns]
    if missing:
        raise ValueError(f"{path}: missing columns {missing}")
    for column in FEED_KEYS[feed] + NOT_EMPTY.get(feed, []):
        empty = frame[column].isna()
        if empty.any():
            raise ValueError(f"{path}: empty {column} in row {int(empty.idxmax()) + 2}")
    duplicated = frame.duplicated(FEED_KEYS[feed])
    if duplicated.any():
        raise ValueError(f"{path}: repeated key {FEED_KEYS[feed]} in row "
                         f"{int(duplicated.idxmax()) + 2}")
    return frame


def empty_feed(feed: str) -> pd.DataFrame:
    """A missing optional feed means "the department reported nothing": zero rows."""
    _, required = FEED_COLUMNS[feed]
    return pd.DataFrame({column: pd.Series([], dtype=str) for column in required})


def yuan_to_fen(values: pd.Series, what: str) -> pd.Series:
    """Yuan text (≤ 2 decimals) → integer fen from the digits, never a float; empty stays missing.

    ``"1234.5"`` → digits ``12345`` with 1 decimal → 12345 × 10^(2−1) = 123450 fen. (Only
    vectorised string operations: a regex ``extract`` would run per row in Python.)
    """
    text = values.str.strip()
    bad = text.notna() & ~text.str.fullmatch(_MONEY_TEXT).fillna(False).astype(bool)
    if bad.any():
        raise ValueError(f"{what}: not yuan with at most 2 decimals: {values[bad].iloc[0]!r}")
    unsigned = text.str.lstrip("+-")
    point = unsigned.str.find(".")
    decimals = (unsigned.str.len() - point - 1).where(point >= 0, 0).astype("Int64")
    digits = unsigned.str.replace(".", "", regex=False).astype("Int64")
    fen = digits * 10 ** (2 - decimals)
    return fen.where(~text.str.startswith("-").fillna(False).astype(bool), -fen)


def to_date(values: pd.Series, what: str) -> pd.Series:
    """ISO ``YYYY-MM-DD`` text → datetime64 (empty stays NaT; anything else is an error)."""
    try:
        return pd.to_datetime(values, format="%Y-%m-%d", errors="raise")
    except (ValueError, TypeError) as exc:
        raise ValueError(f"{what}: not an ISO date: {exc}") from exc


def to_bool(values: pd.Series, what: str) -> pd.Series:
    """true/false, 1/0, 是/否 → nullable boolean (empty stays missing)."""
    text = values.str.strip().str.lower()
    bad = text.notna() & ~text.isin(_TRUE | _FALSE)
    if bad.any():
        raise ValueError(f"{what}: not a boolean: {values[bad].iloc[0]!r}")
    result = text.isin(_TRUE).astype("boolean")
    result[text.isna()] = pd.NA
    return result


def to_int(values: pd.Series, what: str) -> pd.Series:
    """Digits → nullable integer; anything else is an error."""
    if not values.dropna().str.fullmatch(r"\d+").all():
        raise ValueError(f"{what}: not a non-negative integer")
    return values.astype("Int64")


# ---------------------------------------------------------------------------------------------
# Screening
# ---------------------------------------------------------------------------------------------
def screen_2020(
    feed_dir: Path,
    *,
    as_of: date,
    monthly_benefit_yuan: str = "1585",
    registered_unemployment_rate: object = "0.055",
    exclude_abnormal: object = False,
    layoff_strategy: str = "net_headcount",
    ratio_large: object = "0.5",
    ratio_sme: object = "1.0",
) -> pd.DataFrame:
    """Screen a CSV feed folder for inclusive-2020 and difficult-2020; return the result rows.

    ``monthly_benefit_yuan`` is the region's monthly UI benefit in yuan (FEEDS.md gives no default;
    1,585 is the 2021 national average, DOMAIN.md). Values may be strings as ``--set`` gives them.
    """
    if layoff_strategy not in LAYOFF_STRATEGIES:
        raise ValueError(f"parameter layoff_strategy: one of {LAYOFF_STRATEGIES}, "
                         f"not {layoff_strategy!r}")
    params = Parameters(
        as_of=as_of,
        monthly_benefit_fen=_yuan_param_to_fen("monthly_benefit", monthly_benefit_yuan),
        registered_unemployment_rate=_fraction("registered_unemployment_rate",
                                               registered_unemployment_rate),
        exclude_abnormal=_bool_param("exclude_abnormal", exclude_abnormal),
        layoff_strategy=layoff_strategy,
        ratio_large=_fraction("ratio_large", ratio_large),
        ratio_sme=_fraction("ratio_sme", ratio_sme),
    )
    feeds = {feed: read_feed(Path(feed_dir), feed) for feed in FEED_COLUMNS}
    feeds = {feed: frame if frame is not None else empty_feed(feed)
             for feed, frame in feeds.items()}
    facts = unit_facts(feeds, params)
    inclusive = inclusive_rows(facts, params)
    difficult = difficult_rows(facts, params)
    inclusive, difficult = apply_stacking(inclusive, difficult)
    return format_result(pd.concat([inclusive, difficult]), facts)


def unit_facts(feeds: dict[str, pd.DataFrame], params: Parameters) -> pd.DataFrame:
    """One row per unit (index uscc): every rule's pass/fail and the numbers the amounts need."""
    y = ASSESSMENT_YEAR
    as_of = pd.Timestamp(params.as_of)
    year_start, year_end_day = pd.Timestamp(y, 1, 1), pd.Timestamp(y, 12, 31)

    units = feeds["units"].set_index("uscc")
    facts = pd.DataFrame(index=units.index)

    # --- contributions --------------------------------------------------------------------
    contributions = feeds["contributions"][["uscc", "month", "insured", "due", "paid"]].copy()
    bad_month = ~contributions["month"].str.fullmatch(_MONTH_TEXT)
    if bad_month.any():
        raise ValueError(f"contributions.month: not YYYY-MM: "
                         f"{contributions['month'][bad_month].iloc[0]!r}")
    contributions["insured"] = to_int(contributions["insured"], "contributions.insured")
    contributions["due_fen"] = yuan_to_fen(contributions["due"], "contributions.due")
    contributions["paid_fen"] = yuan_to_fen(contributions["paid"], "contributions.paid")
    of_year = contributions[contributions["month"].str.startswith(f"{y}-")]

    # paid_12_months: each of the 12 months of Y has a row with due > 0 and paid >= due.
    paid_in_full = of_year[(of_year["due_fen"] > 0) & (of_year["paid_fen"] >= of_year["due_fen"])]
    months_paid_in_full = paid_in_full.groupby("uscc")["month"].nunique()
    facts["paid_12_months"] = months_paid_in_full.reindex(facts.index, fill_value=0) == 12

    # no_arrears. INTERPRETATION: every row from the unit's first row up to and including the
    # month of as_of counts; rows for later months are ignored (not yet due on the screening date).
    # paid_on is not looked at (here or in paid_12_months): the feed is the agency's snapshot.
    considered = contributions[contributions["month"] <= params.as_of_month]
    in_arrears = considered.loc[considered["paid_fen"] < considered["due_fen"], "uscc"]
    facts["no_arrears"] = ~facts.index.isin(in_arrears.unique())

    # Headcounts. INTERPRETATION: baseline = December Y-1, else the first month of Y present,
    # else 0; year-end = December Y, else 0 (no December row: nobody known insured at year end).
    december_before = contributions[contributions["month"] == f"{y - 1}-12"]
    december_before = december_before.set_index("uscc")["insured"]
    first_of_year = of_year.sort_values("month").groupby("uscc")["insured"].first()
    baseline = december_before.reindex(facts.index)
    baseline = baseline.fillna(first_of_year.reindex(facts.index)).fillna(0)
    december = of_year[of_year["month"] == f"{y}-12"].set_index("uscc")["insured"]
    facts["baseline"] = baseline.astype("int64")
    facts["year_end"] = december.reindex(facts.index).fillna(0).astype("int64")
    insured_of_year = of_year.groupby("uscc")["insured"].agg(["sum", "count"])
    facts["insured_sum"] = insured_of_year["sum"].reindex(facts.index).fillna(0).astype("int64")
    facts["insured_months"] = (insured_of_year["count"].reindex(facts.index).fillna(0)
                               .astype("int64"))

    # Base of the inclusive amount: Σ over months of Y of min(paid, due).
    of_year_base = np.minimum(of_year["paid_fen"], of_year["due_fen"])
    base = of_year_base.groupby(of_year["uscc"]).sum()
    facts["base_fen"] = base.reindex(facts.index).fillna(0).astype("int64")

    # --- size (needs tax) ------------------------------------------------------------------
    facts["size"] = classify_size(units, facts, feeds["tax"])

    # --- layoff_rate -----------------------------------------------------------------------
    numerator, denominator = layoff_fraction(facts, feeds["separations"], params,
                                             year_start, year_end_day)
    facts["layoff_num"], facts["layoff_den"] = numerator, denominator
    # Threshold: 0.20 where baseline ≤ 30 (for every strategy: "same thresholds"); otherwise the
    # registered unemployment rate for large/unknown, 0.055 for the SME sizes.
    small_unit = facts["baseline"] <= SMALL_UNIT_MAX_BASELINE
    sme = facts["size"].isin(SME_SIZES)
    rur = params.registered_unemployment_rate
    threshold_num = np.where(small_unit, SMALL_UNIT_LAYOFF_THRESHOLD.numerator,
                             np.where(sme, SME_LAYOFF_THRESHOLD.numerator, rur.numerator))
    threshold_den = np.where(small_unit, SMALL_UNIT_LAYOFF_THRESHOLD.denominator,
                             np.where(sme, SME_LAYOFF_THRESHOLD.denominator, rur.denominator))
    # rate ≤ threshold  ⇔  num / den ≤ t_num / t_den  ⇔  num × t_den ≤ t_num × den (den > 0).
    facts["layoff_rate"] = numerator * threshold_den <= threshold_num * denominator

    # --- exclusions --------------------------------------------------------------------------
    facts["unit_type"] = units["unit_type"].isin(ALLOWED_UNIT_TYPES)

    credit = feeds["credit"]
    listed_on = to_date(credit["listed_on"], "credit.listed_on")
    removed_on = to_date(credit.get("removed_on", pd.Series(pd.NA, index=credit.index,
                                                            dtype=str)), "credit.removed_on")
    active_listing = ((credit["list"] == "serious_dishonesty") & (listed_on <= as_of)
                      & (removed_on.isna() | (removed_on > as_of)))
    facts["credit_list"] = ~facts.index.isin(credit.loc[active_listing, "uscc"].unique())

    environment = feeds["environment"]
    penalty_on = to_date(environment["penalty_on"], "environment.penalty_on")
    major_penalty = ((environment["severity"] == "major") & (penalty_on >= year_start)
                     & (penalty_on <= as_of))
    facts["environment"] = ~facts.index.isin(environment.loc[major_penalty, "uscc"].unique())

    registry = feeds["registry"].set_index("uscc")
    status = registry["status"].reindex(facts.index)
    facts["registration"] = status == "active"  # no registry row → NaN → fails
    if "abnormal" in registry.columns:
        abnormal = to_bool(registry["abnormal"], "registry.abnormal").reindex(facts.index)
        abnormal = abnormal.fillna(False).astype(bool)
    else:
        abnormal = pd.Series(False, index=facts.index)
    facts["abnormal_list"] = ~(abnormal & params.exclude_abnormal)

    difficulty = feeds["difficulty"]
    valid_from = to_date(difficulty["valid_from"], "difficulty.valid_from")
    valid_to = to_date(difficulty.get("valid_to", pd.Series(pd.NA, index=difficulty.index,
                                                            dtype=str)), "difficulty.valid_to")
    valid_on_as_of = (valid_from <= as_of) & (valid_to.isna() | (as_of <= valid_to))
    facts["difficulty_certificate"] = facts.index.isin(difficulty.loc[valid_on_as_of, "uscc"])

    # --- route inputs --------------------------------------------------------------------------
    has_account = pd.Series(False, index=facts.index)
    for column in ("bank_account", "si_account"):
        if column in units.columns:
            has_account |= units[column].fillna("").str.strip() != ""
    dispatch = to_bool(units["is_labour_dispatch"], "units.is_labour_dispatch")
    known_not_dispatch = (~dispatch).fillna(False).astype(bool)
    facts["automatic_route_ok"] = has_account & known_not_dispatch
    return facts


def layoff_fraction(facts: pd.DataFrame, separations: pd.DataFrame, params: Parameters,
                    year_start: pd.Timestamp, year_end_day: pd.Timestamp
                    ) -> tuple[pd.Series, pd.Series]:
    """The layoff rate as an exact fraction (numerator, denominator > 0) per unit."""
    if params.layoff_strategy == "net_headcount":
        # max(0, (baseline − year_end) ÷ baseline)
        numerator = (facts["baseline"] - facts["year_end"]).clip(lower=0)
        denominator = facts["baseline"]
    else:
        separated_on = to_date(separations["separated_on"], "separations.separated_on")
        in_year = (separated_on >= year_start) & (separated_on <= year_end_day)
        if params.layoff_strategy == "layoff_separations":
            # separations in Y with reason layoff ÷ baseline
            counted = in_year & (separations["reason"] == "layoff")
            denominator = facts["baseline"]
            scale = 1
        else:
            # separations in Y with claims_benefit ÷ mean insured over the months of Y
            # = claimants × months ÷ Σ insured.
            claims = to_bool(separations["claims_benefit"], "separations.claims_benefit")
            counted = in_year & claims.fillna(False).astype(bool)
            denominator = facts["insured_sum"]
            scale = facts["insured_months"]
        per_unit = separations.loc[counted].groupby("uscc").size()
        numerator = per_unit.reindex(facts.index, fill_value=0).astype("int64") * scale
    # 0 where the divisor is 0.
    zero_divisor = denominator == 0
    numerator = numerator.where(~zero_divisor, 0).astype("int64")
    denominator = denominator.where(~zero_divisor, 1).astype("int64")
    return numerator, denominator


def industry_of(industry_code: pd.Series) -> pd.Series:
    """GB/T 4754-2017 code → size-table row (see INTERPRETATIONS for 70xx and unmapped codes)."""
    code = industry_code.fillna("").str.strip()
    industry = code.str[:2].map(DIVISION_TO_INDUSTRY).fillna("other")
    real_estate = code.str[:2] == "70"
    industry[real_estate] = code[real_estate].map(REAL_ESTATE_CLASSES).fillna("other")
    return industry


def classify_size(units: pd.DataFrame, facts: pd.DataFrame, tax: pd.DataFrame) -> pd.Series:
    """Size class per unit with three-valued (Kleene) logic over possibly missing inputs."""
    tax_of_year = tax[tax["year"].str.strip() == str(ASSESSMENT_YEAR)].set_index("uscc")
    revenue_fen = (yuan_to_fen(tax_of_year["revenue"], "tax.revenue")
                   if "revenue" in tax_of_year.columns
                   else pd.Series(pd.NA, index=tax_of_year.index, dtype="Int64"))
    assets_fen = (yuan_to_fen(tax_of_year["total_assets"], "tax.total_assets")
                  if "total_assets" in tax_of_year.columns
                  else pd.Series(pd.NA, index=tax_of_year.index, dtype="Int64"))
    # Employees = mean insured over the months of Y: Σ / count, NA where no row of Y. (At most 12
    # integers: the float quotient is correctly rounded and cannot cross an integer bound.)
    months = facts["insured_months"].astype("Int64")
    employees = (facts["insured_sum"].astype("Int64") / months.where(months > 0)).astype("Float64")
    inputs = {
        E: employees,
        R: revenue_fen.reindex(facts.index).astype("Int64"),
        A: assets_fen.reindex(facts.index).astype("Int64"),
    }

    industry = industry_of(units["industry_code"].reindex(facts.index))
    size = pd.Series("unknown", index=facts.index, dtype=object)
    for name in industry.unique():  # one row of the table at a time, over its units only
        in_industry = industry == name
        of_industry = {key: value[in_industry] for key, value in inputs.items()}
        size[in_industry] = _size_of_industry(SIZE_TABLE[name], of_industry)
    return size


def _size_of_industry(row: dict[str, list[tuple[str, int]]], inputs: dict[str, pd.Series]
                      ) -> np.ndarray:
    """Size classes of units of one industry, from nullable inputs (NA = unknown)."""

    def below(test: tuple[str, int]) -> pd.Series:
        """input < bound, NA where the input is missing (nullable boolean)."""
        name, bound = test
        value = inputs[name]
        return value < (bound if name == E else bound * FEN_PER_10K_YUAN)

    def any_of(tests: list[tuple[str, int]]) -> pd.Series:  # Kleene OR
        result = below(tests[0])
        for test in tests[1:]:
            result = result | below(test)
        return result

    def all_at_least(tests: list[tuple[str, int]]) -> pd.Series:  # Kleene AND of input ≥ bound
        result = ~below(tests[0])
        for test in tests[1:]:
            result = result & ~below(test)
        return result

    def is_true(mask: pd.Series) -> pd.Series:
        return mask.fillna(False).astype(bool)

    def is_false(mask: pd.Series) -> pd.Series:
        return (~mask).fillna(False).astype(bool)

    upper, micro = any_of(row["upper"]), any_of(row["micro"])
    medium, small = all_at_least(row["medium"]), all_at_least(row["small"])
    return np.select(
        [
            is_false(upper),  # every upper test fails → large
            is_true(upper) & is_true(micro),  # any micro test true → micro
            is_true(upper) & is_true(medium),  # every medium bound reached → medium
            is_true(upper) & is_true(small) & is_false(medium),  # every small bound → small
            is_true(upper),  # SME, but the exact class cannot be decided
        ],
        ["large", "micro", "medium", "small", "sme"],
        default="unknown",  # even the upper test cannot be decided
    )


def half_up(numerator: pd.Series, denominator: int) -> pd.Series:
    """numerator ÷ denominator rounded half-up (numerator ≥ 0), in integers."""
    return (2 * numerator + denominator) // (2 * denominator)


def inclusive_rows(facts: pd.DataFrame, params: Parameters) -> pd.DataFrame:
    rules = ["unit_type", "paid_12_months", "no_arrears", "layoff_rate", "credit_list",
             "environment", "registration", "abnormal_list"]
    rows = _program_rows(facts, INCLUSIVE, rules)
    large_like = ~facts["size"].isin(SME_SIZES)
    amount_large = half_up(facts["base_fen"] * params.ratio_large.numerator,
                           params.ratio_large.denominator)
    amount_sme = half_up(facts["base_fen"] * params.ratio_sme.numerator,
                         params.ratio_sme.denominator)
    rows["amount_fen"] = np.where(rows["eligible"], np.where(large_like, amount_large, amount_sme),
                                  0)
    automatic = rows["eligible"] & ~large_like & facts["automatic_route_ok"]
    rows["route"] = np.where(automatic, "automatic",
                             np.where(rows["eligible"], "application", "none"))
    return rows


def difficult_rows(facts: pd.DataFrame, params: Parameters) -> pd.DataFrame:
    rules = ["unit_type", "paid_12_months", "no_arrears", "layoff_rate", "credit_list",
             "environment", "registration", "abnormal_list", "difficulty_certificate"]
    rows = _program_rows(facts, DIFFICULT, rules)
    amount = DIFFICULT_BENEFIT_MONTHS * params.monthly_benefit_fen * facts["year_end"]
    rows["amount_fen"] = np.where(rows["eligible"], amount, 0)
    rows["route"] = np.where(rows["eligible"], "application", "none")
    return rows


def _program_rows(facts: pd.DataFrame, program: str, rules: list[str]) -> pd.DataFrame:
    """eligible and the sorted ';'-joined failed rule ids for one program."""
    rows = pd.DataFrame(index=facts.index)
    rows["program"] = program
    failed = pd.Series("", index=facts.index, dtype=object)
    for rule in sorted(rules):
        failed = failed + np.where(facts[rule], "", rule + ";")
    rows["failed"] = failed.str.rstrip(";")
    rows["eligible"] = rows["failed"] == ""
    return rows


def apply_stacking(inclusive: pd.DataFrame, difficult: pd.DataFrame
                   ) -> tuple[pd.DataFrame, pd.DataFrame]:
    """Eligible for both: keep the larger amount (tie: inclusive); the other fails ``stacking``."""
    both = inclusive["eligible"] & difficult["eligible"]
    keep_inclusive = inclusive["amount_fen"] >= difficult["amount_fen"]
    for rows, loses in ((inclusive, both & ~keep_inclusive), (difficult, both & keep_inclusive)):
        rows.loc[loses, ["eligible", "amount_fen", "route", "failed"]] = [
            False, 0, "none", "stacking"]
    return inclusive, difficult


def format_result(rows: pd.DataFrame, facts: pd.DataFrame) -> pd.DataFrame:
    """The contract's text columns, sorted by uscc then program."""
    rows = rows.join(facts[["size", "layoff_num", "layoff_den"]])
    rows.index.name = "uscc"
    rows = rows.reset_index()
    fen = rows["amount_fen"].astype("int64")
    rate = (2 * rows["layoff_num"] * 10_000 + rows["layoff_den"]) // (2 * rows["layoff_den"])
    result = pd.DataFrame({
        "uscc": rows["uscc"].astype(str),
        "program": rows["program"],
        "eligible": np.where(rows["eligible"].astype(bool), "true", "false"),
        "amount": (fen // 100).astype(str) + "." + (fen % 100).astype(str).str.zfill(2),
        "size": rows["size"],
        "route": rows["route"],
        "layoff_rate": (rate // 10_000).astype(str) + "."
                       + (rate % 10_000).astype(str).str.zfill(4),
        "failed": rows["failed"],
    })
    return result.sort_values(["uscc", "program"]).reset_index(drop=True)[RESULT_COLUMNS]


# ---------------------------------------------------------------------------------------------
# CLI
# ---------------------------------------------------------------------------------------------
SETTABLE = {
    "monthly_benefit": "monthly_benefit_yuan",
    "monthly_benefit_yuan": "monthly_benefit_yuan",
    "registered_unemployment_rate": "registered_unemployment_rate",
    "exclude_abnormal": "exclude_abnormal",
    "layoff_strategy": "layoff_strategy",
    "ratio_large": "ratio_large",
    "ratio_sme": "ratio_sme",
}


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(
        description="Plain pandas reference screening of inclusive-2020 and difficult-2020.")
    parser.add_argument("feed_dir", type=Path)
    parser.add_argument("--as-of", required=True, type=date.fromisoformat)
    parser.add_argument("--out", required=True, type=Path, help="result CSV to write")
    parser.add_argument("--set", dest="settings", action="append", default=[],
                        metavar="NAME=VALUE",
                        help=f"parameter override; names: {', '.join(sorted(SETTABLE))}")
    args = parser.parse_args(argv)
    overrides: dict[str, str] = {"monthly_benefit_yuan": "1585"}
    for setting in args.settings:
        name, sep, value = setting.partition("=")
        if not sep or name.strip() not in SETTABLE:
            parser.error(f"--set {setting!r}: expected NAME=VALUE with NAME in "
                         f"{sorted(SETTABLE)}")
        overrides[SETTABLE[name.strip()]] = value.strip()
    started = time.perf_counter()
    try:
        result = screen_2020(args.feed_dir, as_of=args.as_of, **overrides)
    except ValueError as error:
        print(f"error: {error}", file=sys.stderr)
        return 1
    result.to_csv(args.out, index=False)
    elapsed = time.perf_counter() - started
    units = len(result) // 2
    print(f"{units} units screened in {elapsed:.1f} s → {args.out}", file=sys.stderr)
    return 0


if __name__ == "__main__":
    sys.exit(main())
