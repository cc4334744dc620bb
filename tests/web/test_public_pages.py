"""Public pages: the current publicity list (search, Excel), and the rate-limited objection form."""

import io

import pytest
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook

from wengang.cases.models import Case, Objection, State
from wengang.cases.publicity import write_listing
from wengang.web.public import OBJECTIONS_PER_HOUR

pytestmark = pytest.mark.django_db


def test_the_list_shows_cases_in_a_running_publicity_only(world):
    page = Client().get(reverse("web:public-publicity")).content.decode()
    assert world.published_case.unit.name in page and "119,450.00" in page
    assert world.own_case.unit.name not in page


@pytest.mark.parametrize(("query", "found"), [
    ("测试单位", True), ("no such unit", False),
])
def test_search_by_name(world, query, found):
    page = Client().get(reverse("web:public-publicity"), {"q": query}).content.decode()
    assert (world.published_case.unit.name in page) is found


def test_search_by_code_answers_htmx_with_the_table_only(world):
    response = Client().get(reverse("web:public-publicity"),
                            {"q": world.published_case.unit.uscc[:10].lower()},
                            headers={"HX-Request": "true"})
    text = response.content.decode()
    assert world.published_case.unit.uscc in text and "<html" not in text


def test_the_excel_download_lists_the_same_cases(world):
    response = Client().get(reverse("web:public-publicity-xlsx"))
    assert response["Content-Type"].startswith("application/vnd.openxmlformats")
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0).to_python()
    assert rows[0][:4] == ["单位名称", "统一社会信用代码", "政策项目", "返还金额（元）"]
    assert len(rows) == 2 and rows[1][1] == world.published_case.unit.uscc
    assert rows[1][3] == 119450.0


def _object(client, case, name="王某"):
    return client.post(reverse("web:public-objection", kwargs={"pk": case.pk}),
                       {"objector_name": name, "objector_contact": "13900000000",
                        "reason": "该企业已停业"})


def test_an_objection_puts_the_case_on_hold(world):
    response = _object(Client(), world.published_case)
    assert response.status_code == 302
    case = Case.objects.get(pk=world.published_case.pk)
    assert case.state == State.ON_HOLD and Objection.objects.get().objector_name == "王某"


def test_objections_from_one_address_are_limited_per_hour(world, make_case):
    cases = [world.published_case]
    from wengang.cases.models import PublicityItem
    batch = PublicityItem.objects.get(case=world.published_case).batch
    for _ in range(OBJECTIONS_PER_HOUR):
        case = make_case(State.IN_PUBLICITY, route="automatic")
        PublicityItem.objects.create(batch=batch, case=case)
        cases.append(case)
    write_listing(batch)
    client = Client()
    for case in cases[:OBJECTIONS_PER_HOUR]:
        assert _object(client, case).status_code == 302
    refused = _object(client, cases[-1])
    assert refused.status_code == 200 and "操作过于频繁" in refused.content.decode()
    assert Objection.objects.count() == OBJECTIONS_PER_HOUR
    assert Case.objects.get(pk=cases[-1].pk).state == State.IN_PUBLICITY
    assert _object(Client(REMOTE_ADDR="198.51.100.7"), cases[-1]).status_code == 302


def test_a_case_not_in_publicity_takes_no_objection(world):
    assert _object(Client(), world.own_case).status_code == 404
