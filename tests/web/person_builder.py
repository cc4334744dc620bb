"""Persons (trainees) and their training cases for the web tests, made directly (as
``make_case`` makes units' cases: creation, not transitions)."""

import itertools
from datetime import date

from wengang.accounts.models import Role, User
from wengang.cases.models import (
    AccountKind,
    Case,
    ClaimItem,
    Person,
    ScreeningRun,
    item_key,
    sealed_account_fields,
)
from wengang.cases.models.common import sealed_resident_id_fields
from wengang.cases.sealing import resident_id_digest
from wengang.core.clock import clock
from wengang.core.ids import resident_id_check_char

_serials = itertools.count(1)
ITEM_EXPLANATION = ("符合条件：2020-03-02 完成线上培训课程《电工基础》48 学时 ≥ 40 学时；"
                    "补贴标准 12.00 元/学时 × 48 学时 = 576.00 元")


def resident_id(serial: int, region: str = "360102") -> str:
    first17 = f"{region}19900101{serial:03d}"
    return first17 + resident_id_check_char(first17)


def make_person(*, region: str = "360102", name: str = "张三丰",
                phone: str = "13900390012") -> tuple[Person, str]:
    """A person with a social-security card account on record; returns it and its ID number."""
    number = resident_id(next(_serials), region)
    digest = resident_id_digest(number)
    person = Person.objects.create(
        name=name, phone=phone, region_code=region, insured=True, insured_months=36,
        updated_at=clock.now(), **sealed_resident_id_fields(number, owner=digest),
        **sealed_account_fields("6217000012345678", AccountKind.SI, owner=digest))
    return person, number


def make_person_case(person: Person, run: ScreeningRun, *, state: str = "notified",
                     program: str = "training-online-2020", amount_fen: int = 57_600,
                     **fields) -> Case:
    """A training case of ``person`` with one course-completion item of ``amount_fen``."""
    now = clock.now()
    if state in ("approved", "in_publicity", "payable"):
        fields.setdefault("approved_on", date(2020, 4, 20))
    case = Case.objects.create(
        person=person, program=program, program_kind="training", refund_year=2020, state=state,
        route="automatic", size="unknown", eligible=True, amount_fen=amount_fen,
        explanation=ITEM_EXPLANATION, opened_by_run=run, screening_run=run,
        state_changed_at=now, created_at=now, updated_at=now, **person.account_fields(),
        **fields)
    record = f"zxpx/{case.pk:06d}"
    ClaimItem.objects.create(
        case=case, program=program, subject="course_completion", record=record, person=person,
        amount_fen=amount_fen, dated=date(2020, 3, 2),
        item_key=item_key("course_completion", record, person.resident_id_digest),
        explanation=ITEM_EXPLANATION, run=run, created_at=now)
    return case


def person_user(person: Person) -> User:
    return User.objects.create_user(f"person-{person.pk}", password=None, role=Role.PERSON,
                                    region_code=person.region_code,
                                    resident_id_digest=person.resident_id_digest)
