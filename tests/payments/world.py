"""Build payable cases directly in the database (for fixtures and the crash-test worker)."""

import itertools
from datetime import date, datetime

from tests.screening.builder import make_uscc
from wengang.cases.models import (
    AccountKind,
    Case,
    ScreeningRun,
    State,
    Unit,
    sealed_account_fields,
)
from wengang.core.clock import CHINA, clock

TODAY = date(2020, 5, 11)  # a Monday after the May Day holiday of 2020
CITY = "360100"  # 南昌市
COUNTY = "360102"  # 东湖区, inside 南昌
OTHER_COUNTY = "360111"  # 青山湖区, inside 南昌
PROGRAM = "inclusive-2020"

_numbers = itertools.count(1)


def screening_run() -> ScreeningRun:
    return ScreeningRun.objects.create(
        result_sha256="0" * 64, record_sha256="0" * 64, result_path="/dev/null",
        as_of=date(2020, 4, 15), region_code=CITY, programs=[PROGRAM], input_kind="folder",
        input_path="/dev/null", code_version="test",
        screened_at=datetime(2020, 4, 15, 10, tzinfo=CHINA), rows=0, record={})


def new_case(run: ScreeningRun, *, state: str = State.PAYABLE, amount_fen: int = 100_000,
             region_code: str = COUNTY, account: str = "6222000011112222",
             name: str | None = None, unit: Unit | None = None, program: str = PROGRAM,
             number: int | None = None) -> Case:
    """A case in ``state`` (payable by default) whose unit has ``account`` on record."""
    now = clock.now()
    if unit is None:
        number = number or next(_numbers)
        uscc = make_uscc(number, region_code)
        unit = Unit.objects.create(
            uscc=uscc, name=name or f"测试单位{number}", unit_type="enterprise",
            region_code=region_code, industry_code="13", size="small", bank_name="中国银行",
            contact_phone=f"138{number % 10**8:08d}", updated_at=now,
            **sealed_account_fields(account, AccountKind.BANK, owner=uscc))
    return Case.objects.create(
        unit=unit, program=program, program_kind=program.split("-")[0], refund_year=2020,
        state=state, route="automatic", size="small", eligible=True, amount_fen=amount_fen,
        explanation="符合条件：测试", opened_by_run=run, screening_run=run,
        approved_on=date(2020, 4, 20), payable_on=date(2020, 5, 9), state_changed_at=now,
        created_at=now, updated_at=now, **unit.account_fields())
