"""The staff console: today's work, the queue (filters, pages, masked PII), a case page."""

import pytest
from django.test import Client
from django.urls import reverse

from wengang.cases.models import Case, State
from wengang.web.console import PAGE_SIZE

pytestmark = pytest.mark.django_db


def _client(world, who: str = "agency") -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


def test_the_dashboard_counts_today_s_work_in_the_region_and_overdue_reviews(world):
    page = _client(world).get(reverse("web:console-home"))
    assert page.context["awaiting_application"] == 1      # Jingdezhen's is not ours
    assert page.context["in_review"] == 1
    assert [t.pk for t in page.context["overdue_tasks"]] == [world.tax_task.pk,
                                                             world.market_task.pk]


@pytest.mark.parametrize(("query", "expected"), [
    ({}, {"own", "published", "review"}),
    ({"state": "in_publicity"}, {"published"}),
    ({"state": "awaiting_application", "region": "360102"}, {"own"}),
    ({"program": "difficult-2020"}, set()),
    ({"risk": "on"}, set()),
])
def test_the_queue_filters_within_the_region(world, query, expected):
    names = {"own": world.own_case, "published": world.published_case, "review": world.review_case}
    page = _client(world).get(reverse("web:console-queue"), query)
    shown = {case.pk for case in page.context["page"]}
    assert shown == {names[n].pk for n in expected}


def test_a_region_outside_one_s_own_is_not_found(world):
    response = _client(world).get(reverse("web:console-queue"), {"region": "360200"})
    assert response.status_code == 404


def test_the_queue_pages_and_shows_phones_masked(world, make_case):
    for _ in range(PAGE_SIZE):
        make_case(State.NOTIFIED, route="automatic", phone="13912345678")
    client = _client(world)
    first = client.get(reverse("web:console-queue"))
    second = client.get(reverse("web:console-queue"), {"page": 2})
    assert len(first.context["page"]) == PAGE_SIZE and len(second.context["page"]) == 3
    text = first.content.decode()
    assert "139****5678" in text and "13912345678" not in text


def test_the_case_page_shows_facts_explanation_and_events_with_pii_masked(world):
    case = world.own_case
    text = _client(world).get(reverse("web:console-case", kwargs={"pk": case.pk})).content.decode()
    assert case.unit.name in text and "****2222" in text and "6222000011112222" not in text
    assert case.unit.contact_phone not in text and case.unit.masked_phone in text
    assert "裁员率 0.00% ≤ 5.5%" in text


def test_a_county_officer_does_not_see_the_city_s_batches(world):
    from wengang.accounts.models import Role, User

    county = User.objects.create_user("county", password=None, role=Role.AGENCY,
                                      region_code="360102")
    client = Client()
    client.force_login(county)
    assert client.get(reverse("web:console-batch",
                              kwargs={"pk": world.review_batch.pk})).status_code == 404
    assert Case.objects.visible_to(county).filter(pk=world.own_case.pk).exists()


def _reveal(client, case, reason="电话核实经营状况", **headers):
    return client.post(reverse("web:console-reveal", kwargs={"pk": case.pk}), {"reason": reason},
                       headers=headers)


def test_full_phone_and_account_are_shown_only_for_a_recorded_reason(world):
    from wengang.web.models import Disclosure

    case = world.own_case
    client = _client(world, "auditor")
    response = _reveal(client, case, **{"HX-Request": "true"})
    text = response.content.decode()
    assert case.unit.contact_phone in text and "6222000011112222" in text and "<html" not in text
    assert "no-store" in response["Cache-Control"]
    record = Disclosure.objects.get()
    assert (record.user, record.case, record.reason) == (world.users["auditor"], case,
                                                         "电话核实经营状况")


@pytest.mark.parametrize("reason", ["", "看看"])  # none, or shorter than four characters
def test_no_reason_no_full_data(world, reason):
    from wengang.web.models import Disclosure

    response = _reveal(_client(world), world.own_case, reason)
    assert response.status_code == 400 and "6222000011112222" not in response.content.decode()
    assert not Disclosure.objects.exists()


def test_an_officer_of_another_city_cannot_reveal_this_city_s_case(world):
    from wengang.web.models import Disclosure

    assert _reveal(_client(world, "other_agency"), world.own_case).status_code == 404
    assert not Disclosure.objects.exists()


def test_the_queue_exports_its_filtered_cases_to_excel_with_phones_masked(world):
    import io

    from python_calamine import CalamineWorkbook

    response = _client(world).get(reverse("web:console-queue-xlsx"), {"state": "in_publicity"})
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0) \
        .to_python()
    assert rows[0][:3] == ["案件", "单位名称", "统一社会信用代码"]
    assert [int(row[0]) for row in rows[1:]] == [world.published_case.pk]
    assert rows[1][8] == 119450.0 and rows[1][9] == world.published_case.unit.masked_phone


def test_a_region_code_the_table_lacks_is_refused_plainly_even_for_an_admin(world):
    page = _client(world, "admin").get(reverse("web:console-queue"), {"region": "339974"})
    assert page.status_code == 200
    assert "339974" in page.context["form"].errors["region"][0]
