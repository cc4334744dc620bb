"""Fixtures for outreach tests: a fixed day, units with phones, cases with their events."""

import itertools
from datetime import date, datetime

import pytest

from tests.screening.builder import make_uscc
from wengang.cases.models import (
    AccountKind,
    Action,
    Case,
    CaseEvent,
    ScreeningRun,
    State,
    Unit,
    sealed_account_fields,
)
from wengang.core.clock import CHINA, clock
from wengang.outreach.sending import Options, QuietHours, RetryPolicy

TODAY = date(2020, 4, 29)  # a Wednesday before the May Day holiday of 2020
CITY = "360100"
COUNTY = "360102"
OTHER_COUNTY = "360111"
NOON = datetime(2020, 4, 29, 12, 0, tzinfo=CHINA)

_numbers = itertools.count(1)


@pytest.fixture(autouse=True)
def fixed_today():
    """Noon of a working day: quiet hours and retry times must not depend on when tests run."""
    with clock.frozen(NOON):
        yield TODAY


@pytest.fixture(autouse=True)
def own_outbox(tmp_path, monkeypatch):
    """Each test writes its own outbox file (other engineers share the data directory)."""
    monkeypatch.setenv("WENGANG_OUTREACH_OUTBOX", str(tmp_path / "outbox.jsonl"))
    return tmp_path / "outbox.jsonl"


@pytest.fixture
def run(db) -> ScreeningRun:
    return ScreeningRun.objects.create(
        result_sha256="0" * 64, record_sha256="0" * 64, result_path="/dev/null",
        as_of=date(2020, 4, 15), region_code=CITY, programs=["inclusive-2020"],
        input_kind="folder", input_path="/dev/null", code_version="test",
        screened_at=datetime(2020, 4, 15, 10, tzinfo=CHINA), rows=0, record={})


@pytest.fixture
def make_case(run):
    """A case in ``state`` of a new unit (contact phone; clerk phone if given), with the event
    that brought it there when ``action`` is given."""
    def make(state: str = State.SCREENED, *, route: str = "automatic", amount_fen: int = 100_000,
             region_code: str = COUNTY, clerk_phone: str = "", action: str | None = None,
             reason: str = "", apply_by: date | None = None, remind_on: date | None = None,
             name: str | None = None, contact_phone: str | None = None) -> Case:
        number = next(_numbers)
        uscc = make_uscc(number, region_code)
        now = clock.now()
        unit = Unit.objects.create(
            uscc=uscc, name=name or f"测试单位{number}", unit_type="enterprise",
            region_code=region_code, industry_code="13", size="small",
            contact_phone=f"138{number:08d}" if contact_phone is None else contact_phone,
            clerk_phone=clerk_phone, updated_at=now,
            **sealed_account_fields("6222000011112222", AccountKind.BANK, owner=uscc))
        fields = {}
        if state in (State.APPROVED, State.IN_PUBLICITY, State.PAYABLE, State.PAID,
                     State.PAYMENT_FAILED, State.IN_PAYMENT):
            fields["approved_on"] = date(2020, 4, 20)
        if state == State.REJECTED:
            fields["closed_reason"] = "agency_rejected"
        case = Case.objects.create(
            unit=unit, program="inclusive-2020", program_kind="inclusive", refund_year=2020,
            state=state, route=route, size="small", eligible=True, amount_fen=amount_fen,
            explanation="符合条件：测试", opened_by_run=run, screening_run=run,
            state_changed_at=now, created_at=now, updated_at=now, apply_by=apply_by,
            remind_on=remind_on, **unit.account_fields(), **fields)
        if action is not None:
            CaseEvent.objects.create(case=case, at=now, action=action, state_before="",
                                     state_after=state, reason=reason, channel="system")
        return case
    return make


def options(**overrides) -> Options:
    """Sending options for tests: fast, deterministic, no quiet hours unless asked."""
    values = {"retry": RetryPolicy(max_attempts=5), "quiet": QuietHours.parse(""),
              "rate_per_second": 10_000, "workers": 4, "batch": 100,
              "link_base": "https://wg.example.cn"}
    return Options(**(values | overrides))


def at(moment: datetime):
    """A fixed "now" for ``send_pending``."""
    return lambda: moment


__all__ = ["CITY", "COUNTY", "NOON", "OTHER_COUNTY", "TODAY", "Action", "at", "options"]
