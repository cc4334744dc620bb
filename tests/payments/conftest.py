"""Fixtures for payment tests: a fixed clock, the people who pay, payable cases, a fund."""

from dataclasses import dataclass

import pytest

from wengang.accounts.models import Role, User
from wengang.cases.models import Case, ScreeningRun, State, Unit
from wengang.core.clock import clock
from wengang.payments import services
from wengang.payments.models import PayingAccount

from . import world
from .world import CITY, PROGRAM, TODAY


@pytest.fixture(autouse=True)
def fixed_today():
    with clock.frozen(TODAY):
        yield TODAY


@dataclass
class People:
    agency: User
    agency2: User
    finance: User
    finance2: User
    other_city: User

    def enterprise_for(self, unit: Unit) -> User:
        user, _ = User.objects.get_or_create(
            username=f"ent-{unit.uscc}",
            defaults={"role": Role.ENTERPRISE, "uscc": unit.uscc, "region_code": unit.region_code})
        return user


@pytest.fixture
def people(db) -> People:
    def user(name: str, role: str, region: str = CITY, department: str = "") -> User:
        return User.objects.create_user(name, password=None, role=role, region_code=region,
                                        department=department)

    return People(agency=user("officer", Role.AGENCY), agency2=user("officer2", Role.AGENCY),
                  finance=user("finance", Role.FINANCE, department="finance"),
                  finance2=user("finance2", Role.FINANCE, department="finance"),
                  other_city=user("officer-jdz", Role.AGENCY, "360200"))


@pytest.fixture
def run(db) -> ScreeningRun:
    return world.screening_run()


@pytest.fixture
def make_case(run):
    """A case in ``state`` (payable by default) whose unit has ``account`` on record."""
    def make(state: str = State.PAYABLE, **options) -> Case:
        return world.new_case(run, state=state, **options)
    return make


@pytest.fixture
def paying_account(db) -> PayingAccount:
    return PayingAccount.objects.create(region_code=CITY, holder_name="南昌市社会保险事业管理局",
                                        account_number="36050100000000001234",
                                        bank_name="中国建设银行南昌分行")


@pytest.fixture
def fund(people, paying_account):
    """A budget of 1,000,000.00 yuan for the city's 2020 inclusive refunds."""
    return services.allocate(region_code=CITY, program=PROGRAM, year=2020,
                             amount_fen=100_000_000, actor=people.finance, note="测试预算")


@pytest.fixture
def exported(people, fund, make_case, tmp_path):
    """Three payable cases, built, approved and exported: (batch, cases, export)."""
    cases = [make_case(amount_fen=fen) for fen in (100_000, 250_050, 1)]
    batch = services.build_batches(actor=people.agency, region_code=CITY,
                                   program=PROGRAM).batches[0]
    services.approve_batch(batch, actor=people.finance)
    export = services.export_batch(batch, actor=people.agency, out_dir=tmp_path / "out")
    return export.batch, cases, export
