"""Build small screening results (with run record and units feed) for case tests.

A result is written as ``wengang screen`` writes it: the FEEDS.md columns plus ``risk``, sorted
by uscc and program, with ``<stem>.run.json`` beside it naming the feed folder and the SHA-256
of every file, so the loader's checks pass exactly as in production.
"""

import csv
import hashlib
import json
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from tests.screening.builder import make_uscc
from wengang.policy import PolicySet, load_policy


@dataclass
class UnitRow:
    number: int
    region_code: str = "360102"
    industry_code: str = "13"
    is_labour_dispatch: bool = False
    bank_account: str | None = "6222000011112222"
    si_account: str | None = None
    restructured_on: str | None = None
    restructure_kind: str | None = None
    name: str | None = None
    contact_phone: str | None = None
    insured: int | None = 12
    """Insured at the end of 2019 (and every month); ``None``: no contribution rows at all."""
    baseline: int | None = None
    """Insured in December 2018 (the layoff-rate baseline); default: ``insured``."""
    monthly_due: str = "500.00"
    months_paid: int = 12
    """Months of 2019 paid in full; the others are paid half (arrears)."""
    certified: bool = False
    """Holds a difficulty certificate valid on the screening date (difficult-2020)."""

    @property
    def uscc(self) -> str:
        return make_uscc(self.number, self.region_code)


@dataclass
class ResultRow:
    unit: UnitRow
    program: str = "inclusive-2020"
    eligible: bool = True
    amount: str = "1000.00"
    size: str = "small"
    route: str | None = None  # default: automatic when eligible, none otherwise
    layoff_rate: str = "0.0000"
    failed: str = ""
    explanation: str = ""
    risk: str = ""


@cache
def _policy() -> PolicySet:
    return load_policy()


def sha256_of(path: Path) -> str:
    return hashlib.sha256(path.read_bytes()).hexdigest()


def _write_csv(path: Path, header: list[str], rows: list[list]) -> None:
    with path.open("w", newline="", encoding="utf-8") as handle:
        writer = csv.writer(handle)
        writer.writerow(header)
        writer.writerows(["" if v is None else v for v in row] for row in rows)


def write_feeds(folder: Path, units: list[UnitRow]) -> Path:
    """The feeds the loader reads (units, registry) plus the contributions file screening needs."""
    folder.mkdir(parents=True, exist_ok=True)
    _write_csv(folder / "units.csv",
               ["uscc", "name", "unit_type", "region_code", "industry_code", "registered_on",
                "ui_insured_since", "is_labour_dispatch", "legal_rep_name", "contact_phone",
                "bank_name", "bank_account", "si_account"],
               [[u.uscc, u.name or f"测试单位{u.number}", "enterprise", u.region_code,
                 u.industry_code, "2010-01-01", "2010-01-01", str(u.is_labour_dispatch).lower(),
                 "张三", u.contact_phone or f"138{u.number:08d}", "中国银行", u.bank_account,
                 u.si_account] for u in units])
    _write_csv(folder / "registry.csv",
               ["uscc", "status", "abnormal", "restructured_on", "restructure_kind"],
               [[u.uscc, "active", "false", u.restructured_on, u.restructure_kind] for u in units])
    _write_csv(folder / "contributions.csv", ["uscc", "month", "insured", "due", "paid"],
               [row for u in units for row in _contributions(u)])
    _write_csv(folder / "difficulty.csv", ["uscc", "certified_by", "valid_from", "valid_to"],
               [[u.uscc, "miit", "2020-01-01", "2020-12-31"] for u in units if u.certified])
    return folder


def _contributions(unit: UnitRow) -> list[list]:
    """December 2018 to March 2020, premiums due and paid; the headcount of ``unit``."""
    if unit.insured is None:
        return []
    due = unit.monthly_due
    half = f"{float(due) / 2:.2f}"
    months = ["2018-12"] + [f"2019-{m:02d}" for m in range(1, 13)] + ["2020-01", "2020-02", "2020-03"]
    rows = []
    for month in months:
        insured = unit.baseline if month == "2018-12" and unit.baseline is not None else unit.insured
        paid = half if month.startswith("2019") and int(month[5:]) > unit.months_paid else due
        rows.append([unit.uscc, month, insured, due, paid])
    return rows


def write_result(path: Path, rows: list[ResultRow], *, feeds: Path,
                 created_at: str = "2020-04-15T10:00:00+08:00", as_of: str = "2020-04-15",
                 region_code: str = "360100",
                 programs: tuple[str, ...] = ("inclusive-2020", "difficult-2020"),
                 priority: dict[tuple[int, str], bool] | None = None) -> Path:
    """Write the result CSV and its run record; ``priority`` adds the optional column."""
    path.parent.mkdir(parents=True, exist_ok=True)
    header = ["uscc", "program", "eligible", "amount", "size", "route", "layoff_rate", "failed",
              "explanation", "risk"] + (["priority"] if priority is not None else [])
    body = []
    for r in sorted(rows, key=lambda r: (r.unit.uscc, r.program)):
        route = r.route or ("automatic" if r.eligible else "none")
        explanation = r.explanation or ("符合条件：测试" if r.eligible else "不符合条件：测试")
        line = [r.unit.uscc, r.program, str(r.eligible).lower(),
                r.amount if r.eligible else "0.00", r.size, route, r.layoff_rate, r.failed,
                explanation, r.risk]
        if priority is not None:
            line.append(str(priority.get((r.unit.number, r.program), False)).lower())
        body.append(line)
    _write_csv(path, header, body)
    policy = _policy()
    record = {
        "created_at": created_at,
        "code_version": "test",
        "as_of": as_of,
        "region_code": region_code,
        "settings": {},
        "inputs": {"kind": "folder", "path": str(feeds), "snapshot_id": None,
                   "sha256": {p.stem: sha256_of(p) for p in sorted(feeds.glob("*.csv"))}},
        "programs": {p: {"policy_file": f"{p}.yaml",
                         "policy_sha256": policy.program(p).source_sha256} for p in programs},
        "output": {"path": path.name, "rows": len(body), "sha256": sha256_of(path)},
    }
    path.with_name(path.stem + ".run.json").write_text(json.dumps(record, ensure_ascii=False))
    return path
