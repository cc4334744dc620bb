"""Invariants the database itself keeps, and the domain queries of the managers."""

from datetime import date

import pytest
from django.db import IntegrityError, connection, transaction

from wengang.cases import workflow
from wengang.cases.errors import AppendOnly
from wengang.cases.models import Case, CaseEvent, State, Unit

pytestmark = pytest.mark.django_db


def test_a_unit_has_one_case_per_program_and_refund_year(make_case):
    case = make_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        make_case(unit=case.unit)
    make_case(unit=case.unit, program="difficult-2020")  # another program is fine


@pytest.mark.parametrize(("field", "value"), [
    ("amount_fen", -1),
    ("state", "paid_twice"),
    ("route", "none"),
])
def test_the_database_refuses_impossible_values(make_case, field, value):
    case = make_case()
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(**{field: value})


def test_an_approved_case_must_have_its_approval_date(make_case):
    case = make_case(State.APPROVED)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(approved_on=None)


def test_a_held_case_must_say_where_it_came_from(make_case):
    case = make_case(State.ON_HOLD)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(held_from="")


def test_a_closed_case_must_say_why(make_case):
    case = make_case(State.WITHDRAWN)
    with pytest.raises(IntegrityError), transaction.atomic():
        Case.objects.filter(pk=case.pk).update(closed_reason="")


def test_the_database_refuses_to_change_an_event(make_case, people):
    case = workflow.notify(make_case(), actor=people.agency)
    with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
        cursor.execute("UPDATE cases_caseevent SET reason = 'rewritten' WHERE case_id = %s", [case.pk])
    assert CaseEvent.objects.get(case=case).reason == ""


def test_deleting_an_event_is_refused(make_case, people):
    """PostgreSQL refuses DELETE in a trigger; on SQLite the ORM refuses it (the test flush
    needs DELETE there, see migration 0002)."""
    case = workflow.notify(make_case(), actor=people.agency)
    if connection.vendor == "postgresql":
        with pytest.raises(IntegrityError), transaction.atomic(), connection.cursor() as cursor:
            cursor.execute("DELETE FROM cases_caseevent WHERE case_id = %s", [case.pk])
    with pytest.raises(AppendOnly):
        CaseEvent.objects.filter(case=case).delete()
    assert CaseEvent.objects.filter(case=case).count() == 1


def test_payable_cases_of_a_region_priority_first(make_case):
    plain = make_case(State.PAYABLE)
    urgent = make_case(State.PAYABLE, priority=True)
    make_case(State.PAYABLE, region_code="360202")  # another city
    make_case(State.APPROVED)
    assert list(Case.objects.payable().in_region("360100").priority_first()) == [urgent, plain]
    assert list(Case.objects.payable().in_region("360102").order_by("pk")) == [plain, urgent]
    assert Case.objects.payable().in_region("360000").count() == 3  # the province sees all
    assert Case.objects.payable().in_region("360100").amount_fen_total() == 200_000


def test_what_each_user_may_see(make_case, people):
    mine = make_case(region_code="360102")
    other_county = make_case(region_code="360111")
    other_city = make_case(region_code="360202")
    assert set(Case.objects.visible_to(people.agency)) == {mine, other_county}
    assert set(Case.objects.visible_to(people.county_agency)) == {mine}
    assert list(Case.objects.visible_to(people.enterprise_for(other_city))) == [other_city]


def test_applications_expire_after_their_deadline_day(make_case):
    late = make_case(State.AWAITING_APPLICATION, apply_by=date(2020, 4, 28))
    make_case(State.AWAITING_APPLICATION, apply_by=date(2020, 4, 29))
    assert list(Case.objects.application_expired(date(2020, 4, 29))) == [late]


def test_ready_for_review_means_automatic_unreviewed_applied_or_returned(make_case):
    ready = {make_case(), make_case(State.NOTIFIED), make_case(State.APPLIED, route="application"),
             make_case(State.RETURNED, route="application")}
    make_case(route="application"), make_case(State.AWAITING_APPLICATION, route="application")
    assert set(Case.objects.ready_for_review()) == ready


def test_a_unit_masks_what_it_shows(make_case):
    unit = make_case().unit
    assert unit.account_masked == "****2222" and unit.masked_phone.startswith("138****")
    assert str(unit).endswith(f"（{unit.uscc}）")
    assert Unit.objects.in_region("360100").count() == 1


def test_a_fresh_database_has_the_2020_commitment_letter():
    import hashlib

    from wengang.cases.models import CommitmentText

    text = CommitmentText.objects.get(version="2020-1")
    assert "承诺" in text.title and "如有虚报" in text.text
    assert text.sha256 == hashlib.sha256(text.text.encode("utf-8")).hexdigest()
