"""Build small feed sets for screening tests from a few facts per unit.

A unit is described by what a test cares about (headcounts, unpaid months, a credit listing…);
everything else gets a dull, valid default. Monthly contributions run from December Y-1 to the
month of as_of, with premiums of ``premium`` yuan per insured person per month.
"""

import csv
from dataclasses import dataclass, field
from pathlib import Path

from wengang.core.ids import uscc_check_char

ALPHABET = "0123456789ABCDEFGHJKLMNPQRTUWXY"


def make_uscc(number: int, region: str = "360102") -> str:
    body = ""
    for _ in range(9):
        number, digit = divmod(number, 31)
        body = ALPHABET[digit] + body
    first17 = "91" + region + body
    return first17 + uscc_check_char(first17)


def months(first: str, last: str) -> list[str]:
    year, month = map(int, first.split("-"))
    out = []
    while f"{year:04d}-{month:02d}" <= last:
        out.append(f"{year:04d}-{month:02d}")
        year, month = (year + 1, 1) if month == 12 else (year, month + 1)
    return out


@dataclass
class Unit:
    number: int
    insured: int = 10
    headcounts: dict[str, int] = field(default_factory=dict)  # month → insured, overrides
    year_end: int | None = None  # insured from December Y on
    first_month: str | None = None  # first contribution month (default December Y-1)
    last_month: str | None = None  # last contribution month (default the month of as_of)
    premium: str = "50.00"  # yuan per insured person per month
    underpaid: dict[str, str] = field(default_factory=dict)  # month → paid yuan
    unit_type: str = "enterprise"
    industry_code: str = "13"
    region_code: str = "360102"
    registered_on: str = "2010-01-01"
    is_labour_dispatch: bool = False
    bank_account: str | None = "6222000011112222"
    si_account: str | None = None
    contact_phone: str | None = None
    legal_rep_id: str | None = None
    legal_rep_name: str = "张三"
    revenue: str | None = None
    total_assets: str | None = None
    status: str = "active"
    abnormal: bool = False
    credit: list[tuple[str, str | None]] = field(default_factory=list)
    environment: list[tuple[str, str]] = field(default_factory=list)
    difficulty: list[tuple[str, str]] = field(default_factory=list)
    separations: list[tuple[str, str, bool]] = field(default_factory=list)  # date, reason, claims
    in_registry: bool = True

    @property
    def uscc(self) -> str:
        return make_uscc(self.number, self.region_code)


def _yuan_times(premium: str, count: int) -> str:
    whole, _, cents = premium.partition(".")
    fen = (int(whole) * 100 + int((cents or "0").ljust(2, "0"))) * count
    return f"{fen // 100}.{fen % 100:02d}"


def write_feeds(folder: Path, units: list[Unit], *, year: int, as_of: str,
                tax_year: int | None = None) -> Path:
    """Write units.csv … for the units; optional feeds only when some unit needs them."""
    folder.mkdir(parents=True, exist_ok=True)
    tax_year = tax_year or year

    def write(name: str, header: list[str], rows: list[list]) -> None:
        with (folder / f"{name}.csv").open("w", newline="", encoding="utf-8") as handle:
            writer = csv.writer(handle)
            writer.writerow(header)
            writer.writerows(["" if v is None else v for v in row] for row in rows)

    phone = lambda u: u.contact_phone or f"138{u.number:08d}"
    write("units", ["uscc", "name", "unit_type", "region_code", "industry_code", "registered_on",
                    "ui_insured_since", "is_labour_dispatch", "legal_rep_name", "legal_rep_id",
                    "contact_phone", "bank_name", "bank_account", "si_account"],
          [[u.uscc, f"测试单位{u.number}", u.unit_type, u.region_code, u.industry_code,
            u.registered_on, u.registered_on, str(u.is_labour_dispatch).lower(), u.legal_rep_name,
            u.legal_rep_id, phone(u), "中国银行", u.bank_account, u.si_account] for u in units])
    rows = []
    for u in units:
        for month in months(u.first_month or f"{year - 1}-12", u.last_month or as_of[:7]):
            insured = u.headcounts.get(month, u.year_end if (u.year_end is not None and month >= f"{year}-12") else u.insured)
            due = _yuan_times(u.premium, insured)
            rows.append([u.uscc, month, insured, due, u.underpaid.get(month, due)])
    write("contributions", ["uscc", "month", "insured", "due", "paid"], rows)
    write("registry", ["uscc", "status", "abnormal"],
          [[u.uscc, u.status, str(u.abnormal).lower()] for u in units if u.in_registry])
    if any(u.revenue or u.total_assets for u in units):
        write("tax", ["uscc", "year", "revenue", "total_assets"],
              [[u.uscc, tax_year, u.revenue, u.total_assets] for u in units if u.revenue or u.total_assets])
    if any(u.credit for u in units):
        write("credit", ["uscc", "list", "listed_on", "removed_on"],
              [[u.uscc, "serious_dishonesty", listed, removed] for u in units for listed, removed in u.credit])
    if any(u.environment for u in units):
        write("environment", ["uscc", "penalty_on", "severity"],
              [[u.uscc, day, severity] for u in units for day, severity in u.environment])
    if any(u.difficulty for u in units):
        write("difficulty", ["uscc", "certified_by", "valid_from", "valid_to"],
              [[u.uscc, "miit", start, end] for u in units for start, end in u.difficulty])
    if any(u.separations for u in units):
        write("separations", ["uscc", "person", "separated_on", "reason", "claims_benefit"],
              [[u.uscc, f"P{u.number}-{i}", day, reason, str(claims).lower()]
               for u in units for i, (day, reason, claims) in enumerate(u.separations)])
    return folder
