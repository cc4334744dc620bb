"""The dashboards: what each user sees, every chart with its table and its Excel file."""

import io
import json
import re

import pytest
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook

from wengang.accounts.models import Department, Role
from wengang.stats.refresh import refresh

from .conftest import DONGHU, JINGDEZHEN, NANCHANG, logged_in, officer_user

pytestmark = pytest.mark.django_db


@pytest.fixture
def counted(scenario):
    refresh()
    return scenario


def _chart_data(html: str, slug: str) -> dict:
    found = re.search(rf'<script id="stats-chart-{slug}" type="application/json">(.*?)</script>',
                      html, re.DOTALL)
    assert found, f"no chart data for {slug}"
    return json.loads(found.group(1))


def test_the_overview_shows_the_headline_and_every_chart_with_a_table(counted):
    response = logged_in(counted.officer).get(reverse("stats:overview"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "¥14,500.00" in html          # paid 1,450,000 fen
    assert "66.67%" in html               # beneficiary rate 4 ÷ 6
    assert "23.5" in html                 # median days to money
    for slug in ("region", "program", "week", "size", "industry"):
        assert f'data-stats-chart="stats-chart-{slug}"' in html
        assert reverse("stats:chart-xlsx", kwargs={"chart": slug}) in html
    region = _chart_data(html, "region")
    assert region["labels"] == ["东湖区", "青山湖区"]
    assert region["series"][0]["values"] == [4500.0, 10000.0]
    assert "<script>" not in html  # charts come from the static file (CSP)


def test_the_operational_view_shows_pipeline_time_to_money_and_receivables(counted):
    html = logged_in(counted.officer).get(reverse("stats:operations")).content.decode()
    assert _chart_data(html, "pipeline")["series"][0]["values"] == [1, 4, 1, 1]
    steps = _chart_data(html, "steps")
    assert steps["series"][0]["values"] == [0.2421, 0.5053, 0.2526]
    assert "¥250.00" in html  # receivables outstanding


def test_a_chart_downloads_as_excel_with_the_same_numbers(counted):
    response = logged_in(counted.officer).get(reverse("stats:chart-xlsx", kwargs={"chart": "program"}))
    assert response.status_code == 200
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    rows = sheet.to_python()
    header = rows.index(next(r for r in rows if r and r[0] == "政策项目"))
    body = {row[0]: row[1:4] for row in rows[header + 1:]}
    assert body == {"2020年困难企业稳岗返还": [1, 1, 3000.0],
                    "2020年失业保险稳岗返还（普惠性）": [5, 3, 11500.0]}


def test_an_unknown_chart_is_not_found(counted):
    assert logged_in(counted.officer).get("/stats/charts/colour.xlsx").status_code == 404


def test_a_city_officer_cannot_look_into_another_city(counted):
    client = logged_in(counted.officer)
    assert client.get(reverse("stats:overview"), {"region": JINGDEZHEN}).status_code == 404
    assert client.get(reverse("stats:overview"), {"region": "99"}).status_code == 404
    assert client.get(reverse("stats:overview"), {"region": "360199"}).status_code == 404  # unknown
    response = client.get(reverse("stats:overview"), {"region": DONGHU})
    assert response.status_code == 200
    assert _chart_data(response.content.decode(), "region")["labels"] == ["东湖区"]


def test_a_province_sees_its_cities(counted):
    province = officer_user("jx", Role.SUPERVISOR, "360000")
    html = logged_in(province).get(reverse("stats:overview")).content.decode()
    assert _chart_data(html, "region")["labels"] == ["南昌市", "景德镇市"]


def test_a_department_reviewer_sees_only_its_own_department(counted):
    tax = officer_user("tax", Role.DEPARTMENT, department=Department.TAX)
    client = logged_in(tax)
    html = client.get(reverse("stats:departments")).content.decode()
    assert _chart_data(html, "compliance")["labels"] == ["税务"]
    assert client.get(reverse("stats:overview")).status_code == 403
    assert client.get(reverse("stats:chart-xlsx", kwargs={"chart": "region"})).status_code == 403
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(client.get(
        reverse("stats:chart-xlsx", kwargs={"chart": "compliance"})).content)).get_sheet_by_index(0)
    assert [row[0] for row in sheet.to_python()][-1] == "税务"


def test_the_agency_sees_every_department(counted):
    html = logged_in(counted.officer).get(reverse("stats:departments")).content.decode()
    assert _chart_data(html, "compliance")["labels"] == ["财政", "市场监管", "税务"]


def test_a_staff_user_without_a_region_sees_nothing(counted):
    stray = officer_user("stray", Role.SUPERVISOR, "")
    assert logged_in(stray).get(reverse("stats:overview")).status_code == 404


def test_pages_before_any_refresh_say_so(scenario):
    html = logged_in(scenario.officer).get(reverse("stats:overview")).content.decode()
    assert "尚未生成统计数据" in html


def test_the_refresh_button_recounts(scenario, settings):
    settings.TASKS = {"default": {"BACKEND": "django.tasks.backends.immediate.ImmediateBackend"}}
    client = logged_in(scenario.officer)
    response = client.post(reverse("stats:refresh"), {"next": "/stats/operations/"})
    assert response.status_code == 302 and response["Location"] == "/stats/operations/"
    assert "¥14,500.00" in client.get(reverse("stats:overview")).content.decode()
    elsewhere = client.post(reverse("stats:refresh"), {"next": "https://evil.example/"})
    assert elsewhere["Location"] == reverse("stats:overview")


def test_only_deciders_refresh(scenario):
    from wengang.stats.models import Rollup

    auditor = officer_user("auditor", Role.AUDITOR)
    assert logged_in(auditor).post(reverse("stats:refresh")).status_code == 403
    assert not Rollup.objects.exists()


def test_the_pages_speak_english_too(counted):
    client = logged_in(counted.officer)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(reverse("stats:overview")).content.decode()
    assert "Beneficiary rate" in html and "By region" in html


def test_pages_show_new_numbers_after_a_refresh_and_not_before(counted):
    from wengang.cases.models import Case

    client = logged_in(counted.officer)
    assert "¥14,500.00" in client.get(reverse("stats:overview")).content.decode()
    Case.objects.filter(pk=counted.cases["D"].pk).update(eligible=False)  # re-screened out
    html = client.get(reverse("stats:overview")).content.decode()
    assert "符合条件 6 家" in html  # still the counted figures: nothing recounted yet
    refresh()
    html = client.get(reverse("stats:overview")).content.decode()
    assert "符合条件 5 家" in html and "80.00%" in html  # 4 paid ÷ 5 eligible


def test_the_public_sees_the_headline_figures_without_logging_in(counted):
    client = Client()
    html = client.get(reverse("stats:public")).content.decode()
    assert "¥18,500.00" in html and "71.43%" in html  # everything held: 5 paid of 7 eligible
    assert _chart_data(html, "region")["labels"] == ["江西省"]
    html = client.get(reverse("stats:public"), {"region": NANCHANG}).content.decode()
    assert "¥14,500.00" in html and "东湖区" in html
    assert "统计测试单位" not in html  # no unit is named
    assert client.get(reverse("stats:public"), {"region": "360199"}).status_code == 404
