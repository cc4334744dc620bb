"""The dirty city: a known list of faults, injected into the text of the feeds, and its answer key.

Every kind of problem the feed contract calls an error is represented (bad check characters,
impossible dates, bad months, negative money, more than two decimals, unknown enum values,
repeated keys, units missing from ``units``, bad region codes and phones, an unknown column …).
Each injected cell is recorded in ``faults.csv`` as (file, row, column, kind, value), where row
is the spreadsheet row (the header is row 1), so a test can check that the importer reports
every one. Faults never cascade: a unit whose own USCC is broken is left out of the other feeds.
"""

import csv
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

import numpy as np
import polars as pl

from wengang.core.ids import resident_id_check_char, uscc_check_char

from .identifiers import USCC_ALPHABET
from .output import as_text, file_name
from .population import Population
from .spec import CitySpec

UNKNOWN_COLUMN = ("registry", "remark")   # feed given an extra column that the contract lacks


@dataclass(frozen=True)
class Fault:
    file: str
    row: int          # spreadsheet row: the header is row 1, the first data row 2
    column: str
    kind: str
    value: str


def _const(text: str) -> Callable[[str, "DirtyPlan"], str]:
    return lambda value, plan: text


def _flip_check(value: str, plan: "DirtyPlan") -> str:
    return value[:17] + USCC_ALPHABET[(USCC_ALPHABET.index(value[17]) + 1) % 31]


def _letter_o(value: str, plan: "DirtyPlan") -> str:
    body = value[:10] + "O" + value[11:17]             # O is not in the USCC alphabet
    return body + uscc_check_char(value[:10] + "0" + value[11:17])


def _flip_id_check(value: str, plan: "DirtyPlan") -> str:
    right = value[17]
    return value[:17] + ("0" if right == "X" else str((int(right) + 1) % 10) if right != "9"
                         else "X")


def _february_30(value: str, plan: "DirtyPlan") -> str:
    first17 = value[:10] + "0230" + value[14:17]
    return first17 + resident_id_check_char(first17)


def _previous_month(value: str, plan: "DirtyPlan") -> str:
    year, month = int(value[:4]), int(value[5:7])
    return f"{year - (month == 1)}-{(month - 2) % 12 + 1:02d}"


Where = Callable[[pl.DataFrame, str], pl.Expr] | None
_FILLED: Where = lambda text, column: pl.col(column).is_not_null()
# The first row of a unit insured during the window: a month earlier precedes its insurance.
_FIRST_OF_NEW_UNIT: Where = lambda text, column: (
    (pl.col("uscc") != pl.col("uscc").shift(1)).fill_null(True)
    & (pl.col("month") != pl.col("month").min()))

# (feed, column, kind, make the bad value from the good one, which rows may take the fault)
FAULTS: tuple[tuple[str, str, str, Callable[[str, "DirtyPlan"], str], Where], ...] = (
    ("units", "uscc", "uscc_check", _flip_check, _FILLED),
    ("units", "uscc", "uscc_format", _letter_o, _FILLED),
    ("units", "name", "value_missing", _const(""), _FILLED),
    ("units", "unit_type", "enum_value", _const("company"), _FILLED),
    ("units", "region_code", "region_code", _const("36010"), _FILLED),
    ("units", "region_code", "region_code", _const("990102"), _FILLED),
    ("units", "industry_code", "industry_code", _const("701"), _FILLED),
    ("units", "registered_on", "date_invalid", lambda v, p: v[:4] + "-02-30", _FILLED),
    ("units", "ui_insured_since", "date_format", lambda v, p: v.replace("-", "/"), _FILLED),
    ("units", "is_labour_dispatch", "bool_value", _const("yes"), _FILLED),
    ("units", "legal_rep_id", "resident_id_check", _flip_id_check, _FILLED),
    ("units", "legal_rep_id", "resident_id_birth_date", _february_30, _FILLED),
    ("units", "contact_phone", "phone_format", lambda v, p: v[:10], _FILLED),
    ("units", "clerk_phone", "phone_format", lambda v, p: "0791-" + v[3:], _FILLED),
    ("units", "bank_account", "digits_format", lambda v, p: v[:4] + "-" + v[4:], _FILLED),
    ("contributions", "month", "month_format", lambda v, p: v[:5] + "13", _FILLED),
    ("contributions", "month", "month_format", lambda v, p: v.replace("-", "/"), _FILLED),
    ("contributions", "paid", "money_negative", _const("-120.00"), _FILLED),
    ("contributions", "due", "money_decimals", lambda v, p: v + "5", _FILLED),
    ("contributions", "due", "value_missing", _const(""), _FILLED),
    ("contributions", "insured", "count_format", lambda v, p: v + ".5", _FILLED),
    ("contributions", "month", "month_before_insured", _previous_month, _FIRST_OF_NEW_UNIT),
    ("contributions", "paid_on", "date_invalid", lambda v, p: f"{p.year}-04-31", None),
    ("separations", "reason", "enum_value", _const("fired"), _FILLED),
    ("separations", "claims_benefit", "bool_value", _const("maybe"), _FILLED),
    ("separations", "separated_on", "date_invalid", lambda v, p: f"{p.year}-06-31", _FILLED),
    ("separations", "separated_on", "date_in_future", _const("2098-01-01"), _FILLED),
    ("separations", "uscc", "unit_unknown", lambda v, p: p.stranger, _FILLED),
    ("tax", "revenue", "money_negative", _const("-5.00"), _FILLED),
    ("tax", "total_assets", "money_decimals", lambda v, p: v + "1", _FILLED),
    ("tax", "year", "year_format", lambda v, p: v[2:], _FILLED),
    ("registry", "status", "enum_value", _const("closed"), _FILLED),
    ("registry", "abnormal", "bool_value", _const("是的"), _FILLED),
    ("registry", "restructured_on", "date_invalid", lambda v, p: f"{p.year}-13-01", _FILLED),
    ("credit", "list", "enum_value", _const("blacklist"), _FILLED),
    ("credit", "listed_on", "date_format", lambda v, p: v.replace("-", ""), _FILLED),
    ("environment", "severity", "enum_value", _const("minor"), _FILLED),
    ("environment", "uscc", "unit_unknown", lambda v, p: p.stranger, _FILLED),
    ("difficulty", "certified_by", "enum_value", _const("mof"), _FILLED),
    ("difficulty", "valid_to", "date_invalid", lambda v, p: f"{p.year + 1}-02-30", _FILLED),
    ("difficulty", "valid_to", "date_order", lambda v, p: f"{p.year - 3}-01-01", _FILLED),
)
# Rows appended at the end of a feed: a copy of a row (the key repeats), and a row for a unit
# that is not in the units file.
APPENDED = (("units", "key_duplicate"), ("contributions", "key_duplicate"),
            ("contributions", "unit_unknown"), ("tax", "key_duplicate"))
# A repeated key is reported against the key's columns, joined with "+" (as the importer does).
KEYS = {"units": ("uscc",), "contributions": ("uscc", "month"), "tax": ("uscc", "year")}


class DirtyPlan:
    """Chooses where each fault goes, rewrites those cells, and remembers what it did."""

    def __init__(self, spec: CitySpec, population: Population, file_format: str) -> None:
        self.year = spec.year
        self.faults: list[Fault] = []
        self._format = file_format
        self._rng = spec.rng("faults")
        self._first_rows: dict[str, pl.DataFrame] = {}
        # Units whose own USCC gets broken: chosen now, so the other feeds can leave them out.
        count = len(population)
        self._broken_units = self._rng.choice(count, size=2, replace=False)
        self.orphans = population.uscc.gather(self._broken_units)
        self.stranger = _stranger(population.uscc, spec.region_code)
        self._faulted_units: list[str] = []   # units whose own row has a fault

    @property
    def unknown_column(self) -> tuple[str, str]:
        return UNKNOWN_COLUMN

    def drop_orphans(self, frame: pl.DataFrame) -> pl.DataFrame:
        """Leave out rows of the units whose USCC is broken in the units file."""
        return frame.filter(~pl.col("uscc").is_in(self.orphans.implode()))

    def apply(self, feed: str, frame: pl.DataFrame, offset: int) -> pl.DataFrame:
        """The chunk as text with this feed's faults injected (they all go into the first chunk)."""
        text = as_text(frame)
        if feed == UNKNOWN_COLUMN[0]:
            text = text.with_columns(pl.lit("核实").alias(UNKNOWN_COLUMN[1]))
            if offset == 0:
                self._record(feed, 1, UNKNOWN_COLUMN[1], "column_unknown", UNKNOWN_COLUMN[1])
        if offset > 0:
            return text
        # In the units file the broken-USCC faults go to the units left out of the other feeds.
        used: set[int] = {int(row) for row in self._broken_units} if feed == "units" else set()
        broken = iter(int(row) for row in self._broken_units)
        for target, column, kind, make, where in FAULTS:
            if target != feed:
                continue
            if feed == "units" and column == "uscc":
                row = next(broken)
            else:
                row = self._choose_row(text, column, where, used)
            used.add(row)
            if feed == "units":
                self._faulted_units.append(frame.item(row, "uscc"))
            value = make(text.item(row, column) or "", self)
            text = text.with_columns(text.get_column(column).scatter(row, value or None))
            self._record(feed, row + 2, column, kind, value)
        spare = [row for row in range(min(text.height, 50)) if row not in used]
        self._first_rows[feed] = text[spare[0]] if spare else text[:1]
        return text

    def appended(self, feed: str, rows_written: int) -> pl.DataFrame | None:
        """Rows to append after the last chunk: repeated keys and units not in the units file."""
        rows = []
        for target, kind in APPENDED:
            if target != feed or feed not in self._first_rows:
                continue
            row = self._first_rows[feed]
            if kind == "unit_unknown":
                row = row.with_columns(pl.lit(self.stranger).alias("uscc"))
            rows.append(row)
            columns = KEYS[feed] if kind == "key_duplicate" else ("uscc",)
            self._record(feed, rows_written + len(rows) + 1, "+".join(columns), kind,
                         " | ".join(row.item(0, column) for column in columns))
        return pl.concat(rows) if rows else None

    def write_answer_key(self, out_dir: Path) -> Path:
        path = out_dir / "faults.csv"
        with open(path, "w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle, lineterminator="\n")
            writer.writerow(["file", "row", "column", "kind", "value"])
            for fault in sorted(self.faults, key=lambda f: (f.file, f.row, f.column)):
                writer.writerow([fault.file, fault.row, fault.column, fault.kind, fault.value])
        return path

    def _choose_row(self, text: pl.DataFrame, column: str, where: Where,
                    used: set[int]) -> int:
        allowed = pl.lit(True) if where is None else where(text, column)
        # A fault in a unit's own row can hide a fault that relies on it (e.g. a month before a
        # ui_insured_since that no longer reads as a date): keep those units out.
        allowed = allowed & ~pl.col("uscc").is_in(pl.Series(self._faulted_units,
                                                            dtype=pl.String).implode())
        if column in ("paid", "revenue"):                 # "-0.00" would not be negative
            allowed = allowed & (pl.col(column) != "0.00")
        candidates = np.flatnonzero(text.select(allowed.fill_null(False)).to_series().to_numpy())
        candidates = np.setdiff1d(candidates, list(used))
        if len(candidates) == 0:                          # e.g. nobody restructured: any row
            candidates = np.setdiff1d(np.arange(text.height), list(used))
        return int(self._rng.choice(candidates))

    def _record(self, feed: str, row: int, column: str, kind: str, value: str) -> None:
        self.faults.append(Fault(file_name(feed, self._format), row, column, kind, value))


def _stranger(known: pl.Series, region_code: str) -> str:
    """A valid USCC that belongs to no unit of the city."""
    serial = 0
    while True:
        first17 = f"91{region_code}MA3{serial:05d}K"[:17]
        code = first17 + uscc_check_char(first17)
        if not known.is_in([code]).any():
            return code
        serial += 1

