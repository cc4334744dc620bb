"""Persons checked during a spot check: recorded by the assigned auditor with a valid ID number,
sealed, found again across units by exact number, shown masked."""

import pytest

from wengang.accounts.models import Role, User
from wengang.cases.models import State
from wengang.core.errors import IdentifierError
from wengang.core.ids import resident_id_check_char
from wengang.oversight import findings, persons, sampling
from wengang.oversight.errors import FindingInvalid, NotAllowed, ReasonRequired
from wengang.oversight.models import CheckedPerson, Method, Outcome

pytestmark = pytest.mark.django_db

CITY = "360100"


def resident_id(serial: int, born: str = "19900101") -> str:
    first17 = f"360102{born}{serial:03d}"
    return first17 + resident_id_check_char(first17)


GHOST = resident_id(7)


@pytest.fixture
def two_findings(people, make_case):
    """Two sampled units with a finding each, assigned to ``people.auditor``."""
    for _ in range(2):
        make_case(State.PAID)
    plan = sampling.plan_spot_check(actor=people.agency, auditor=people.auditor,
                                    program="inclusive-2020", refund_year=2020, region_code=CITY,
                                    method=Method.SIMPLE, size=2, seed=3)
    return [findings.record_finding(people.auditor, item.pk, outcome=Outcome.CONFIRMED,
                                    note="抽查") for item in plan.items.order_by("draw")]


def test_the_same_person_on_two_units_lists_is_found_by_exact_number(people, two_findings):
    for finding in two_findings:
        persons.record_person(people.auditor, finding.pk, resident_id=GHOST.lower(), name="李四",
                              employed=False, note="未见本人，无考勤和工资记录")
    persons.record_person(people.auditor, two_findings[0].pk, resident_id=resident_id(8),
                          name="王五", employed=True)
    seen = persons.named(people.auditor, GHOST)
    assert len(seen) == 2 and {s.case_id for s in seen} == {f.item.case_id for f in two_findings}
    assert all(s.resident_id == "360102********" + GHOST[-4:] for s in seen)
    assert persons.named(people.auditor, resident_id(9)) == []
    assert persons.named(people.other_agency, GHOST) == []  # another city's staff see nothing


def test_a_person_is_recorded_once_per_finding(people, two_findings):
    persons.record_person(people.auditor, two_findings[0].pk, resident_id=GHOST, name="李四",
                          employed=True)
    with pytest.raises(FindingInvalid, match="已记录过"):
        persons.record_person(people.auditor, two_findings[0].pk, resident_id=GHOST, name="李四",
                              employed=True)
    assert CheckedPerson.objects.count() == 1


@pytest.mark.parametrize("number, code", [
    (GHOST[:17] + ("0" if GHOST[17] != "0" else "1"), "resident_id_check"),  # check character off
    (resident_id(7, born="20200430"), "resident_id_birth_date"),  # born the day after today
    (GHOST[:17], "resident_id_format"),
])
def test_an_invalid_id_number_is_refused_and_nothing_is_stored(people, two_findings, number, code):
    with pytest.raises(IdentifierError) as refused:
        persons.record_person(people.auditor, two_findings[0].pk, resident_id=number, name="李四",
                              employed=True)
    assert refused.value.code == code and number not in str(refused.value)
    assert not CheckedPerson.objects.exists()


def test_born_today_is_accepted(people, two_findings):
    """The birth-date rule at its edge: born on the fixed day (29 April 2020) is possible."""
    persons.record_person(people.auditor, two_findings[0].pk, name="新生",
                          resident_id=resident_id(1, born="20200429"), employed=True)
    assert CheckedPerson.objects.count() == 1


def test_only_the_assigned_auditor_records_and_a_missing_employee_needs_a_note(people,
                                                                             two_findings):
    other = User.objects.create_user("auditor2", password=None, role=Role.AUDITOR, region_code=CITY)
    with pytest.raises(FindingInvalid):  # not in its sample: it cannot even see the finding
        persons.record_person(other, two_findings[0].pk, resident_id=GHOST, name="李四",
                              employed=True)
    with pytest.raises(NotAllowed):
        persons.record_person(people.agency, two_findings[0].pk, resident_id=GHOST, name="李四",
                              employed=True)
    with pytest.raises(ReasonRequired):
        persons.record_person(people.auditor, two_findings[0].pk, resident_id=GHOST, name="李四",
                              employed=False, note=" ")
    assert not CheckedPerson.objects.exists()
