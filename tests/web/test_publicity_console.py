"""Publicity in the console: publish approved cases, resolve objections, close the period."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from wengang.cases import services
from wengang.cases.models import Case, Objection, PublicityBatch, State
from wengang.core.clock import clock

pytestmark = pytest.mark.django_db


def _client(world, who: str = "agency") -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


def _objection(world) -> Objection:
    return services.file_objection(world.published_case, objector_name="王某",
                                   objector_contact="13900000000", reason="该企业已停业")


def test_an_officer_publishes_the_approved_cases(world, make_case):
    approved = make_case(State.APPROVED, route="automatic")
    response = _client(world).post(reverse("web:console-publicity-open"),
                                   {"program": "inclusive-2020"})
    batch = PublicityBatch.objects.latest("pk")
    assert response["Location"] == reverse("web:console-publicity-batch", kwargs={"pk": batch.pk})
    assert Case.objects.get(pk=approved.pk).state == State.IN_PUBLICITY
    assert (batch.start_on, batch.end_on) == (date(2020, 4, 30), date(2020, 5, 9))


def test_dismissing_an_objection_puts_the_case_back_in_publicity(world):
    objection = _objection(world)
    client = _client(world)
    page = client.get(reverse("web:console-publicity-batch",
                              kwargs={"pk": world.publicity_batch.pk})).content.decode()
    assert "该企业已停业" in page and 'name="outcome"' in page
    client.post(reverse("web:console-objection-resolve", kwargs={"pk": objection.pk}),
                {"outcome": "dismiss", "note": "核实企业仍正常经营"})
    objection.refresh_from_db()
    assert objection.status == Objection.Status.DISMISSED
    assert Case.objects.get(pk=world.published_case.pk).state == State.IN_PUBLICITY


def test_upholding_an_objection_rejects_the_case(world):
    objection = _objection(world)
    _client(world).post(reverse("web:console-objection-resolve", kwargs={"pk": objection.pk}),
                        {"outcome": "uphold", "note": "核实已停业"})
    assert Case.objects.get(pk=world.published_case.pk).state == State.REJECTED


def test_an_objection_without_a_note_is_not_resolved(world):
    objection = _objection(world)
    response = _client(world).post(reverse("web:console-objection-resolve",
                                           kwargs={"pk": objection.pk}), {"outcome": "dismiss"},
                                   follow=True)
    assert "请选择处理结果并填写处理意见" in response.content.decode()
    assert Objection.objects.get(pk=objection.pk).status == Objection.Status.OPEN


def test_an_auditor_sees_objections_but_cannot_resolve_them(world):
    objection = _objection(world)
    client = _client(world, "auditor")
    page = client.get(reverse("web:console-publicity-batch",
                              kwargs={"pk": world.publicity_batch.pk})).content.decode()
    assert "该企业已停业" in page and 'name="outcome"' not in page
    response = client.post(reverse("web:console-objection-resolve", kwargs={"pk": objection.pk}),
                           {"outcome": "dismiss", "note": "x"})
    assert response.status_code == 403
    assert Objection.objects.get(pk=objection.pk).status == Objection.Status.OPEN


def test_a_supervisor_resolves_an_objection_as_the_agency_may(world):
    objection = _objection(world)
    client = _client(world, "supervisor")
    page = client.get(reverse("web:console-publicity-batch",
                              kwargs={"pk": world.publicity_batch.pk})).content.decode()
    assert 'name="outcome"' in page
    client.post(reverse("web:console-objection-resolve", kwargs={"pk": objection.pk}),
                {"outcome": "dismiss", "note": "经核实企业正常经营"})
    objection.refresh_from_db()
    assert (objection.status, objection.resolved_by) == (Objection.Status.DISMISSED,
                                                        world.users["supervisor"])


@pytest.mark.parametrize(("today", "closed"), [
    (date(2020, 5, 8), False),   # the last day of the period
    (date(2020, 5, 9), True),    # the first day after it
])
def test_the_period_closes_only_after_its_last_day(world, today, closed):
    with clock.frozen(today):
        response = _client(world).post(reverse("web:console-publicity-close",
                                               kwargs={"pk": world.publicity_batch.pk}),
                                       follow=True)
    state = Case.objects.get(pk=world.published_case.pk).state
    if closed:
        assert state == State.PAYABLE and "1 件转为待拨付" in response.content.decode()
    else:
        assert state == State.IN_PUBLICITY and "才结束" in response.content.decode()
