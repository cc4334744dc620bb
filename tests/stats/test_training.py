"""The training subsidies (培训补贴): every figure of the built city (conftest.py, ``training``)
equals the hand count; the refunds and the training subsidies never change each other's figures;
the page shows totals only, to the console roles, within the viewer's region."""

import io
import json
import re
from datetime import date
from decimal import Decimal

import pytest
from click.testing import CliRunner
from django.test import Client
from django.urls import reverse
from python_calamine import CalamineWorkbook

from tests.training.builder import write_training_feeds
from tests.web.person_builder import person_user
from wengang.accounts.models import Department, Role
from wengang.api.tokens import create_token
from wengang.cases.loading_persons import load_person_screening
from wengang.cases.models import ClaimItem
from wengang.cli import main
from wengang.core.clock import clock
from wengang.screening import folder_source
from wengang.screening.persons import screen_persons
from wengang.stats import kpis, training_figures
from wengang.stats.models import (
    TrainingBeneficiaries,
    TrainingCount,
    TrainingPaymentDay,
    TrainingReceivableCount,
    TrainingSubjectCount,
)
from wengang.stats.refresh import refresh

from .conftest import (
    CERTIFICATE,
    CHANGJIANG,
    DONGHU,
    JIANGXI,
    JINGDEZHEN,
    NANCHANG,
    ONJOB,
    ONLINE,
    QINGSHANHU,
    TRAINEE_NAMES,
    logged_in,
    officer_user,
)

pytestmark = pytest.mark.django_db


@pytest.fixture(params=["alone", "beside the refunds"])
def counted(request, training):
    """The training city, alone or beside the refunds' scenario: every figure below must be the
    same both ways (a refund never changes a training figure)."""
    if request.param != "alone":
        request.getfixturevalue("scenario")
    refresh()
    return training


def test_the_city_headline_equals_the_hand_count(counted):
    figures = training_figures.headline(NANCHANG)
    # Eligible: O1 C1 O2 O3 C2 J1 (O4 was screened out); paid: O1 C1 O2 (paid again after the
    # bank returned it) J1; O3's only payment was returned, C2 is not paid yet.
    assert (figures.eligible, figures.paid) == (6, 4)
    assert figures.eligible_fen == 57_600 + 350_000 + 57_600 + 48_000 + 100_000 + 150_000
    assert figures.paid_fen == figures.net_fen == 57_600 + 350_000 + 57_600 + 150_000 == 615_200
    assert figures.average_fen == 153_800
    assert figures.beneficiary_rate == Decimal("0.6667")  # 4 ÷ 6
    # Distinct persons: P1 (two subsidies) counts once; P6 was not eligible.
    assert (figures.persons, figures.persons_paid) == (4, 2)
    assert (figures.units, figures.units_paid) == (1, 1)
    # Receivables: O1 576.00 repaid in full; J1 500.00 with 200.00 repaid.
    assert (figures.receivables, figures.receivable_fen, figures.recovered_fen) == (
        2, 107_600, 77_600)
    assert (figures.open, figures.outstanding_fen) == (1, 30_000)


def test_the_province_adds_its_cities_and_a_county_is_its_own(counted):
    province = training_figures.headline(JIANGXI)
    assert (province.eligible, province.paid, province.paid_fen) == (7, 5, 765_200)
    assert (province.persons, province.persons_paid) == (5, 3)
    assert training_figures.headline(None) == province
    donghu = training_figures.headline(DONGHU)
    assert (donghu.eligible, donghu.paid, donghu.paid_fen, donghu.persons) == (3, 3, 465_200, 2)
    jingdezhen = training_figures.headline(JINGDEZHEN)
    assert (jingdezhen.paid, jingdezhen.paid_fen, jingdezhen.units) == (1, 150_000, 0)


def _table(rows):
    return {row.key: (row.eligible, row.paid, row.paid_fen, row.receivable_fen, row.recovered_fen)
            for row in rows}


@pytest.mark.parametrize(("scope", "by", "expected"), [
    (NANCHANG, "program", {CERTIFICATE: (2, 1, 350_000, 0, 0),
                           ONJOB: (1, 1, 150_000, 50_000, 20_000),
                           ONLINE: (3, 2, 115_200, 57_600, 57_600)}),
    (NANCHANG, "region", {DONGHU: (3, 3, 465_200, 57_600, 57_600),
                          QINGSHANHU: (3, 1, 150_000, 50_000, 20_000)}),
    (JIANGXI, "region", {NANCHANG: (6, 4, 615_200, 107_600, 77_600),
                         JINGDEZHEN: (1, 1, 150_000, 0, 0)}),
    # O2 was paid at 00:30 on Monday 18 May China time (still Sunday in UTC): that week.
    (NANCHANG, "week", {"2020-05-11": (0, 2, 207_600, 0, 0), "2020-05-18": (0, 1, 57_600, 0, 0),
                        "2024-06-03": (0, 1, 350_000, 0, 0)}),
])
def test_each_breakdown_equals_the_hand_count(counted, scope, by, expected):
    assert _table(training_figures.breakdown(scope, by)) == expected


def test_by_subject_a_person_counts_under_each_level_once_in_the_total(counted):
    rows = training_figures.breakdown(NANCHANG, "subject")
    # (eligible beneficiaries, paid, items, paid items, amount paid), in the page's order.
    assert [(row.key, row.eligible, row.paid, row.items, row.paid_items, row.paid_fen)
            for row in rows] == [
        ("course_completion", 3, 2, 3, 2, 115_200),   # O1 O2 paid; O3 returned (O4 not eligible)
        ("certificate-5", 1, 0, 1, 0, 0),             # C2 payable
        ("certificate-4", 1, 1, 1, 1, 150_000),       # C1's level 4 …
        ("certificate-3", 1, 1, 1, 1, 200_000),       # … and its level 3: P1 under both
        ("roster_month", 1, 1, 3, 3, 150_000),        # U1: three person-months
    ]
    assert [row.label for row in rows] == [
        "线上培训课程", "技能等级证书 · 五级（初级工）", "技能等级证书 · 四级（中级工）",
        "技能等级证书 · 三级（高级工）", "以工代训人月"]
    assert sum(row.paid_fen for row in rows) == training_figures.headline(NANCHANG).paid_fen
    assert rows[2].average_fen == 150_000 and rows[1].beneficiary_rate == 0


def test_the_refresh_fills_each_table_with_one_row_per_group(counted):
    assert TrainingCount.objects.filter(region_code=DONGHU, program=ONLINE).get().cases == 3
    assert set(TrainingBeneficiaries.objects.values_list("region_code", "beneficiary", "paid")) == {
        (DONGHU, "person", 2), (QINGSHANHU, "person", 0), (QINGSHANHU, "unit", 1),
        (CHANGJIANG, "person", 1)}
    assert TrainingSubjectCount.objects.filter(level=4).count() == 2  # C1 (东湖), C3 (昌江)
    assert TrainingPaymentDay.objects.count() == 5
    assert TrainingReceivableCount.objects.count() == 2
    refresh()  # again: replaced, not added
    assert TrainingPaymentDay.objects.count() == 5


def test_a_training_payment_never_changes_a_refund_figure(scenario, request):
    def refund_figures():
        return (kpis.headline(NANCHANG), kpis.headline(JIANGXI), kpis.receivables(JIANGXI),
                kpis.by_channel(JIANGXI), kpis.pipeline(JIANGXI), kpis.time_to_money(JIANGXI),
                *(kpis.breakdown(JIANGXI, by) for by in kpis.DIMENSIONS),
                *(kpis.breakdown(NANCHANG, by) for by in kpis.DIMENSIONS))

    refunds_only = refresh()
    before = refund_figures()
    assert training_figures.headline(JIANGXI) == training_figures.TrainingHeadline()  # nothing yet
    request.getfixturevalue("training")
    rollup = refresh()
    assert refund_figures() == before
    assert rollup.cases == refunds_only.cases == 8
    assert training_figures.headline(JIANGXI).paid == 5
    assert "¥14,500.00" in logged_in(scenario.officer).get(reverse("stats:overview")).content.decode()


def test_the_command_line_refreshes_and_prints_them_on_a_line_of_their_own(training):
    runner = CliRunner()
    refreshed = runner.invoke(main, ["stats", "refresh"], catch_exceptions=False)
    assert refreshed.exit_code == 0, refreshed.output
    assert "0 件案件 cases" in refreshed.output  # the refund cases: none here
    shown = runner.invoke(main, ["stats", "--region", NANCHANG], catch_exceptions=False,
                          terminal_width=200)
    assert shown.exit_code == 0, shown.output
    assert ("已发放 paid 4 人次 of 6 (2 人 persons, 1 家 units), 6,152.00 元"
            in " ".join(shown.output.split()))


def test_the_public_figures_leave_the_training_subsidies_out(counted):
    html = Client().get(reverse("stats:public"), {"region": NANCHANG}).content.decode()
    assert "¥6,152.00" not in html


# --- the page ---------------------------------------------------------------------------------

def _chart_data(html: str, slug: str) -> dict:
    found = re.search(rf'<script id="stats-chart-{slug}" type="application/json">(.*?)</script>',
                      html, re.DOTALL)
    assert found, f"no chart data for {slug}"
    return json.loads(found.group(1))


TRAINING_CHARTS = ("training_region", "training_program", "training_subject", "training_week")


def test_the_page_shows_the_headline_and_every_chart_with_a_table(counted):
    response = logged_in(counted.officer).get(reverse("stats:training"))
    assert response.status_code == 200
    html = response.content.decode()
    assert "¥6,152.00" in html      # paid 615,200 fen
    assert "66.67%" in html          # 4 ÷ 6
    assert "¥1,076.00" in html and "¥776.00" in html  # receivables raised, recovered
    for slug in TRAINING_CHARTS:
        assert f'data-stats-chart="stats-chart-{slug}"' in html
        assert reverse("stats:chart-xlsx", kwargs={"chart": slug}) in html
    region = _chart_data(html, "training_region")
    assert region["labels"] == ["东湖区", "青山湖区"]
    assert region["series"][0]["values"] == [4652.0, 1500.0]
    assert _chart_data(html, "training_week")["series"][1]["values"] == [2076.0, 2652.0, 6152.0]
    assert f'href="{reverse("stats:training")}"' in html  # in the statistics navigation


def test_the_page_names_no_person(counted):
    html = logged_in(counted.officer).get(reverse("stats:training")).content.decode()
    for label, name in TRAINEE_NAMES.items():
        assert name not in html and name[0] + "*" not in html, label
    for number in counted.resident_ids.values():
        assert number not in html and number[-4:] not in html
    assert "以工代训测试单位" not in html and counted.unit.uscc not in html


def test_the_overview_links_to_the_training_page(counted):
    html = logged_in(counted.officer).get(reverse("stats:overview")).content.decode()
    assert reverse("stats:training") in html and "¥6,152.00" not in html


def test_a_county_officer_sees_only_its_county(counted):
    county = logged_in(officer_user("donghu", Role.AGENCY, DONGHU))
    html = county.get(reverse("stats:training")).content.decode()
    assert "¥4,652.00" in html and "¥6,152.00" not in html
    assert _chart_data(html, "training_region")["labels"] == ["东湖区"]
    for region in (NANCHANG, QINGSHANHU, JINGDEZHEN):
        assert county.get(reverse("stats:training"), {"region": region}).status_code == 404
    sheet = CalamineWorkbook.from_filelike(io.BytesIO(county.get(
        reverse("stats:chart-xlsx", kwargs={"chart": "training_region"})).content))
    assert [row[0] for row in sheet.get_sheet_by_index(0).to_python()][-1] == "东湖区"


def test_a_city_officer_narrows_to_a_county(counted):
    response = logged_in(counted.officer).get(reverse("stats:training"), {"region": QINGSHANHU})
    assert response.status_code == 200
    assert _chart_data(response.content.decode(), "training_region")["labels"] == ["青山湖区"]
    assert logged_in(counted.officer).get(reverse("stats:training"),
                                        {"region": JINGDEZHEN}).status_code == 404


def test_the_api_gives_the_training_figures_of_a_region_and_the_kpis_leave_them_out(counted):
    def get(user, path, **query):
        secret = create_token(user, name="报表脚本", scopes=["stats:read"])[1]
        return Client().get(path, query, headers={"Authorization": f"Bearer {secret}"})

    answer = get(counted.officer, "/api/stats/training")
    assert answer.status_code == 200, answer.content
    figures = answer.json()
    assert figures["region"] == NANCHANG and figures["region_name"] == "南昌市"
    assert {k: figures["headline"][k] for k in ("eligible", "paid", "paid_fen", "persons",
                                                 "persons_paid", "units", "units_paid")} == {
        "eligible": 6, "paid": 4, "paid_fen": 615_200, "persons": 4, "persons_paid": 2,
        "units": 1, "units_paid": 1}
    assert figures["receivables"]["amount_fen"] == 107_600
    assert figures["receivables"]["recovered_fen"] == 77_600
    assert [(row["program"], row["eligible"], row["paid"], row["paid_fen"])
            for row in figures["programs"]] == [(CERTIFICATE, 2, 1, 350_000),
                                                (ONJOB, 1, 1, 150_000), (ONLINE, 3, 2, 115_200)]
    # Another fund's money: the refunds' figures do not count it.
    assert get(counted.officer, "/api/stats/kpis").json()["headline"]["paid_fen"] == (
        kpis.headline(NANCHANG).paid_fen)
    county = officer_user("donghu-api", Role.AGENCY, DONGHU)
    assert get(county, "/api/stats/training").json()["headline"]["paid_fen"] == 465_200
    assert get(county, "/api/stats/training", region=QINGSHANHU).status_code == 404
    assert get(counted.officer, "/api/stats/training", region=JINGDEZHEN).status_code == 404


@pytest.mark.parametrize("role", ["enterprise", "person", "department", "anonymous"])
def test_no_one_outside_the_console_sees_the_page(counted, role):
    if role == "anonymous":
        client = Client()
    elif role == "person":
        client = logged_in(person_user(counted.persons["P1"]))
    elif role == "enterprise":
        client = logged_in(officer_user(f"ent-{counted.unit.uscc}", Role.ENTERPRISE, QINGSHANHU,
                               uscc=counted.unit.uscc))
    else:
        client = logged_in(officer_user("tax", Role.DEPARTMENT, department=Department.TAX))
    for url in (reverse("stats:training"),
                reverse("stats:chart-xlsx", kwargs={"chart": "training_subject"})):
        response = client.get(url)
        assert response.status_code in (302, 403), (role, url)
        if response.status_code == 302:
            assert response["Location"].startswith("/console/login/")


def test_each_chart_downloads_as_excel_with_the_same_numbers(counted):
    client = logged_in(counted.officer)
    response = client.get(reverse("stats:chart-xlsx", kwargs={"chart": "training_subject"}))
    assert response.status_code == 200
    assert 'filename="stats-training_subject-360100-2020-05-20.xlsx"' in (
        response["Content-Disposition"])
    rows = CalamineWorkbook.from_filelike(io.BytesIO(response.content)).get_sheet_by_index(0)
    rows = rows.to_python()
    header = rows.index(next(r for r in rows if r and r[0] == "补贴事项"))
    body = {row[0]: row[1:] for row in rows[header + 1:]}
    # eligible, paid, items, paid items, amount (yuan), average, rate
    assert body["技能等级证书 · 四级（中级工）"] == [1, 1, 1, 1, 1500.0, 1500.0, 1.0]
    assert body["线上培训课程"][:5] == [3, 2, 3, 2, 1152.0]
    assert body["技能等级证书 · 五级（初级工）"][-2:] == ["", 0.0]  # no average: none paid
    program = CalamineWorkbook.from_filelike(io.BytesIO(client.get(
        reverse("stats:chart-xlsx", kwargs={"chart": "training_program"})).content))
    rows = program.get_sheet_by_index(0).to_python()
    assert rows[-1][:4] == ["2020年线上职业技能培训补贴", 3, 2, 1152.0]


def test_the_page_speaks_english_too(counted):
    client = logged_in(counted.officer)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    html = client.get(reverse("stats:training")).content.decode()
    assert "Training subsidies" in html and "By subject" in html


def test_the_certificate_level_is_the_one_the_certificates_feed_gives(tmp_path, db):
    """Screened and loaded for real: each item keeps its certificate's level, and each
    certificate lands under its own level."""
    folder = write_training_feeds(tmp_path / "feeds", {
        "trainees": [{"id": "A"}, {"id": "B"}],
        "certificates": [
            {"id": "ZS-1", "person": "A", "level": 4, "issued_on": "2024-03-01"},
            {"id": "ZS-2", "person": "A", "level": 3, "occupation": "4-01-02-01",
             "issued_on": "2024-05-01"},
            {"id": "ZS-3", "person": "B", "level": 5, "issued_on": "2024-03-15"}]})
    with screen_persons(folder_source(folder), programs=[CERTIFICATE], as_of=date(2024, 6, 1),
                        region_code=NANCHANG) as run:
        run.write(tmp_path / "persons.csv")
    officer = officer_user("loader", Role.AGENCY)
    with clock.frozen(date(2024, 6, 3)):
        load_person_screening(tmp_path / "persons.csv", actor=officer)
        refresh()
    assert dict(ClaimItem.objects.values_list("record", "level")) == {
        "ZS-1": 4, "ZS-2": 3, "ZS-3": 5}
    assert {row.key: (row.eligible, row.items, row.eligible_fen)
            for row in training_figures.breakdown(NANCHANG, "subject")} == {
        "certificate-3": (1, 1, 200_000), "certificate-4": (1, 1, 150_000),
        "certificate-5": (1, 1, 100_000)}
    headline = training_figures.headline(NANCHANG)
    assert (headline.eligible, headline.persons, headline.paid) == (2, 2, 0)
