"""Risk flags: each at, just below and just above its threshold; flags never change eligibility."""

import csv
from datetime import date
from pathlib import Path

import pytest

from tests.screening.builder import Unit, write_feeds
from wengang.screening import folder_source, screen

AS_OF = date(2020, 4, 15)


def _risks(tmp_path: Path, units: list[Unit]) -> dict[str, dict]:
    write_feeds(tmp_path, units, year=2019, as_of=AS_OF.isoformat())
    run = screen(folder_source(tmp_path), programs=["inclusive-2020"], as_of=AS_OF, region_code="360100")
    run.write(tmp_path / "out.csv")
    with (tmp_path / "out.csv").open(encoding="utf-8", newline="") as handle:
        return {row["uscc"]: row for row in csv.DictReader(handle)}


def _distinct(number: int, **facts) -> Unit:
    """A unit sharing nothing with the others unless told to."""
    return Unit(number, bank_account=f"62220000{number:08d}", legal_rep_id=None, **facts)


@pytest.mark.parametrize(("sharing", "flagged"), [(2, False), (3, True), (4, True)])
def test_a_bank_account_shared_by_three_units_is_flagged(tmp_path, sharing, flagged):
    units = [Unit(n, bank_account="6222000099990000") for n in range(1, sharing + 1)] + [_distinct(99)]
    rows = _risks(tmp_path, units)
    assert ("shared_bank_account" in rows[units[0].uscc]["risk"]) is flagged
    assert rows[units[-1].uscc]["risk"] == ""
    if flagged:
        assert f"银行账户与其他 {sharing - 1} 家单位共用" in rows[units[0].uscc]["explanation"]


@pytest.mark.parametrize(("sharing", "flagged"), [(4, False), (5, True)])
def test_a_phone_on_five_units_is_flagged(tmp_path, sharing, flagged):
    units = [_distinct(n, contact_phone="13900000000") for n in range(1, sharing + 1)]
    rows = _risks(tmp_path, units)
    assert all(("shared_phone" in rows[u.uscc]["risk"]) is flagged for u in units)


@pytest.mark.parametrize(("sharing", "flagged"), [(4, False), (5, True)])
def test_a_legal_representative_of_five_units_is_flagged(tmp_path, sharing, flagged):
    units = [Unit(n, bank_account=f"62220000{n:08d}", legal_rep_id="360102198001010013")
             for n in range(1, sharing + 1)]
    rows = _risks(tmp_path, units)
    assert all(("legal_rep_many_units" in rows[u.uscc]["risk"]) is flagged for u in units)


@pytest.mark.parametrize(("september", "december", "flagged"), [
    (10, 13, False),   # +30%: not more than 30%
    (10, 14, True),    # +40%
    (9, 13, False),    # too small a base to mean anything
    (100, 131, True),
])
def test_a_fourth_quarter_headcount_jump_is_flagged(tmp_path, september, december, flagged):
    unit = _distinct(1, insured=september, year_end=december)
    rows = _risks(tmp_path, [unit])
    assert ("headcount_jump_q4" in rows[unit.uscc]["risk"]) is flagged


@pytest.mark.parametrize(("registered_on", "premium", "flagged"), [
    ("2019-01-01", "41.67", True),    # 15 months old, premium base 50,004 yuan
    ("2019-01-01", "41.66", False),   # base 49,992 yuan: below 50,000
    ("2018-10-15", "41.67", False),   # exactly 18 months before the screening date
    ("2018-10-16", "41.67", True),
])
def test_a_young_unit_with_a_large_premium_base_is_flagged(tmp_path, registered_on, premium, flagged):
    unit = _distinct(1, insured=100, premium=premium, registered_on=registered_on)
    rows = _risks(tmp_path, [unit])
    assert ("young_unit_large_base" in rows[unit.uscc]["risk"]) is flagged


def test_risk_flags_never_change_eligibility_or_amount(tmp_path):
    shared = [Unit(n, bank_account="6222000099990000", contact_phone="13900000000",
                   legal_rep_id="360102198001010013") for n in range(1, 6)]
    rows = _risks(tmp_path, shared)
    for unit in shared:
        row = rows[unit.uscc]
        assert row["risk"] == "legal_rep_many_units;shared_bank_account;shared_phone"
        assert row["eligible"] == "true" and row["amount"] == "6000.00"
