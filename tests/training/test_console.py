"""A trainee's case in the staff console: the queue and the case page show the person masked in
lists, the claim items on the case page, and only to staff of the person's region."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from wengang.accounts.models import Role, User
from wengang.cases.loading_persons import load_person_screening
from wengang.cases.models import Case
from wengang.core.clock import clock

from .builder import person_id, write_training_feeds
from .test_flow import CERT, CERTIFICATES, CITY, screen

pytestmark = pytest.mark.django_db


@pytest.fixture
def loaded(tmp_path) -> Case:
    folder = write_training_feeds(tmp_path / "feeds", CERTIFICATES)
    result = screen(folder, tmp_path / "persons.csv", programs=[CERT], as_of=date(2024, 6, 1))
    with clock.frozen(date(2024, 6, 3)):
        load_person_screening(result)
    return Case.objects.select_related("person").get(person__name="学员A")


def client_of(name: str, region: str) -> Client:
    client = Client()
    client.force_login(User.objects.create_user(name, password=None, role=Role.AGENCY,
                                                region_code=region))
    return client


def test_the_queue_lists_a_person_case_masked(loaded):
    with clock.frozen(date(2024, 6, 3)):
        page = client_of("officer", CITY).get(reverse("web:console-queue"), {"program": CERT})
    assert page.status_code == 200
    assert {c.pk for c in page.context["page"]} == set(Case.objects.values_list("pk", flat=True))
    html = page.content.decode()
    number = person_id("A")
    assert "学*A" in html and number[:6] + "********" + number[-4:] in html
    assert "学员A" not in html and number not in html and "13700137000" not in html


def test_the_case_page_shows_the_person_and_the_claim_items(loaded):
    with clock.frozen(date(2024, 6, 3)):
        page = client_of("officer", CITY).get(reverse("web:console-case", args=[loaded.pk]))
    assert page.status_code == 200
    html = page.content.decode()
    assert "学员A" in html and "ZS-1" in html and "ZS-2" in html
    assert [i.record for i in page.context["claim_items"]] == ["ZS-1", "ZS-2"]
    assert person_id("A") not in html and "6214830791234567" not in html


def test_staff_of_another_city_neither_list_nor_open_a_person_case(loaded):
    with clock.frozen(date(2024, 6, 3)):
        other = client_of("officer-jdz", "360200")
        assert list(other.get(reverse("web:console-queue")).context["page"]) == []
        assert other.get(reverse("web:console-case", args=[loaded.pk])).status_code == 404
