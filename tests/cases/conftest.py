"""Fixtures for case tests: a fixed clock, people of every role, and cases in any state."""

import itertools
from dataclasses import dataclass
from datetime import date, datetime
from functools import cache

import pytest

from wengang.accounts.models import Department, Role, User
from wengang.cases import late_claims, loading
from wengang.cases.models import (
    APPROVED_STATES,
    CLOSED_STATES,
    AccountKind,
    Case,
    ClosedReason,
    CommitmentText,
    HoldKind,
    ScreeningRun,
    State,
    Unit,
    sealed_account_fields,
)
from wengang.core.clock import CHINA, clock
from wengang.policy import load_policy

from .builders import make_uscc

TODAY = date(2020, 4, 29)  # a Wednesday before the May Day holiday of 2020
CITY = "360100"  # 南昌市
COUNTY = "360102"  # 东湖区, inside 南昌
OTHER_CITY = "360200"  # 景德镇市


@pytest.fixture(autouse=True)
def fixed_today():
    """Every case test runs on a known day; the clock is the only source of "today"."""
    with clock.frozen(TODAY):
        yield TODAY


@cache
def shipped_policy():
    return load_policy()


@pytest.fixture(autouse=True)
def policy_read_once(monkeypatch):
    """Reading every policy file costs half a second; the files do not change during tests."""
    monkeypatch.setattr(loading, "load_policy", shipped_policy)
    monkeypatch.setattr(late_claims, "load_policy", shipped_policy)


@dataclass
class People:
    agency: User
    other_agency: User
    county_agency: User
    reviewers: dict[str, User]
    auditor: User

    def enterprise_for(self, case: Case) -> User:
        user, _ = User.objects.get_or_create(
            username=f"ent-{case.unit.uscc}",
            defaults={"role": Role.ENTERPRISE, "uscc": case.unit.uscc,
                      "region_code": case.unit.region_code})
        return user


@pytest.fixture
def people(db) -> People:
    def user(name: str, role: str, region: str, department: str = "") -> User:
        # No password: hashing one costs most of a second, and nobody logs in here.
        return User.objects.create_user(name, password=None, role=role, region_code=region,
                                        department=department)

    return People(
        agency=user("officer", Role.AGENCY, CITY),
        other_agency=user("officer-jdz", Role.AGENCY, OTHER_CITY),
        county_agency=user("officer-dh", Role.AGENCY, COUNTY),
        reviewers={d: user(f"rev-{d}", Role.FINANCE if d == Department.FINANCE else Role.DEPARTMENT,
                           CITY, d) for d in Department.values},
        auditor=user("auditor", Role.AUDITOR, CITY),
    )


_numbers = itertools.count(1)


@pytest.fixture
def run(db) -> ScreeningRun:
    return ScreeningRun.objects.create(
        result_sha256="0" * 64, record_sha256="0" * 64, result_path="/dev/null",
        as_of=date(2020, 4, 15), region_code=CITY, programs=["inclusive-2020", "difficult-2020"],
        input_kind="folder", input_path="/dev/null", code_version="test",
        screened_at=datetime(2020, 4, 15, 10, tzinfo=CHINA), rows=0, record={})


@pytest.fixture
def make_case(run):
    """Make a case directly in any state, with the fields that state requires."""
    def make(state: str = State.SCREENED, *, route: str = "automatic", priority: bool = False,
             region_code: str = COUNTY, program: str = "inclusive-2020", amount_fen: int = 100_000,
             size: str = "small", bank_account: str = "6222000011112222",
             held_from: str = State.IN_PUBLICITY, hold_kind: str = HoldKind.RISK,
             apply_by: date | None = None, closed_reason: str = ClosedReason.AGENCY_WITHDREW,
             unit: Unit | None = None, insured: int | None = 12) -> Case:
        now = clock.now()
        if unit is None:
            number = next(_numbers)
            uscc = make_uscc(number, region_code)
            unit = Unit.objects.create(
                uscc=uscc, name=f"测试单位{number}", unit_type="enterprise",
                region_code=region_code, industry_code="13", size=size,
                contact_phone=f"138{number:08d}", updated_at=now,
                **sealed_account_fields(bank_account, AccountKind.BANK, owner=uscc))
        fields = {}
        if state in APPROVED_STATES or (state == State.ON_HOLD and held_from in APPROVED_STATES):
            fields["approved_on"] = date(2020, 4, 20)
        if state == State.ON_HOLD:
            fields.update(held_from=held_from, hold_kind=hold_kind)
        if state in CLOSED_STATES:
            fields["closed_reason"] = closed_reason
        if state == State.AWAITING_APPLICATION:
            fields["apply_by"] = apply_by or date(2020, 5, 29)
        return Case.objects.create(
            unit=unit, program=program, program_kind=program.split("-")[0], refund_year=2020,
            state=state, route=route, size=size, priority=priority, eligible=True,
            amount_fen=amount_fen, insured=insured, explanation="符合条件：测试",
            opened_by_run=run, screening_run=run, state_changed_at=now, created_at=now,
            updated_at=now, **unit.account_fields(), **fields)
    return make


@pytest.fixture
def commitment_text(db) -> CommitmentText:
    """The text migration 0002 seeds (version 2020-1); recreated if a transactional test's
    flush emptied the table."""
    text, _ = CommitmentText.objects.get_or_create(
        version="2020-1", defaults={"title": "失业保险稳岗返还承诺书", "text": "本单位郑重承诺……",
                                    "valid_from": date(2020, 1, 1)})
    return text
