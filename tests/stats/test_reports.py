"""Reports: the publicity notice and the monthly report, as PDF (Chinese text read back) and Excel."""

import io
import re
from datetime import date

import pytest
from django.test import Client
from django.urls import reverse
from pypdf import PdfReader
from python_calamine import CalamineWorkbook

from wengang.accounts.models import Role, User
from wengang.cases.models import PublicityBatch, PublicityItem
from wengang.core.clock import clock
from wengang.stats import reports
from wengang.stats.refresh import refresh

from .conftest import JINGDEZHEN, NANCHANG

pytestmark = pytest.mark.django_db


def pdf_text(body: bytes) -> str:
    """The text of every page, with the line breaks and spaces layout put in taken out."""
    assert body.startswith(b"%PDF-")
    text = "".join(page.extract_text() for page in PdfReader(io.BytesIO(body)).pages)
    return re.sub(r"\s+", "", text)


def _sheet(body: bytes) -> list[list]:
    return CalamineWorkbook.from_filelike(io.BytesIO(body)).get_sheet_by_index(0).to_python()


@pytest.fixture
def publicity(scenario) -> PublicityBatch:
    batch = PublicityBatch.objects.create(
        region_code=NANCHANG, program="inclusive-2020", start_on=date(2020, 4, 29),
        end_on=date(2020, 5, 8), workdays=5, opened_by=scenario.officer, opened_at=clock.now())
    for label in ("A", "C"):
        PublicityItem.objects.create(batch=batch, case=scenario.cases[label])
    return batch


def test_the_publicity_notice_pdf_reads_back_in_chinese(scenario, publicity):
    text = pdf_text(reports.publicity_pdf(publicity))
    assert "南昌市2020年失业保险稳岗返还拟返还单位名单公示" in text
    assert "以下2家单位符合2020年失业保险稳岗返还（普惠性）条件" in text
    assert "拟返还金额合计11,000.00元" in text
    assert "公示期自2020-04-29至2020-05-08（5个工作日）" in text
    for label, amount in (("A", "1,000.00"), ("C", "10,000.00")):
        case = scenario.cases[label]
        assert f"{case.unit.name}{case.unit.uscc}{amount}" in text
    assert "统计测试单位B" not in text
    assert "南昌市社会保险经办机构2020年4月29日" in text


def test_the_publicity_notice_as_excel(scenario, publicity):
    rows = _sheet(reports.publicity_xlsx(publicity))
    assert rows[0][0] == "南昌市2020年失业保险稳岗返还拟返还单位名单公示"
    body = [row for row in rows if row and isinstance(row[0], float)]
    assert [(row[1], row[3]) for row in body] == [("统计测试单位A", 1000.0),
                                                  ("统计测试单位C", 10000.0)]


def test_the_monthly_report_pdf_carries_the_figures(scenario):
    refresh()
    text = pdf_text(reports.monthly_pdf(NANCHANG, date(2020, 5, 1)))
    assert "南昌市失业保险稳岗返还工作进展月报（2020年5月）" in text
    assert "报告期：2020-05-01至2020-05-31；统计截至：2020-05-20" in text
    assert "本月到账金额（元）14,500.00" in text
    assert "受益率（已拨付÷符合条件）66.67%" in text
    assert "筛查至到账用时中位数（天）23.5" in text
    assert "东湖区432.0" not in text  # tables are formatted, not raw numbers
    assert "东湖区434,500.00" in text  # eligible 4, paid 3, 4,500.00 yuan
    assert "税务" in text and "联审时限执行情况（按部门）" in text


def test_a_month_before_the_money_shows_none_paid_that_month(scenario):
    refresh()
    rows = _sheet(reports.monthly_xlsx(NANCHANG, date(2020, 4, 1)))
    figures = {row[0]: row[1] for row in rows if len(row) > 1}
    assert figures["本月到账单位"] == "0"
    assert figures["累计到账单位（截至月末）"] == "0"
    assert figures["符合条件单位（截至统计日）"] == "6"


def test_the_report_downloads_are_scoped(scenario, publicity):
    refresh()
    client = Client()
    client.force_login(scenario.officer)
    response = client.get(reverse("stats:monthly-pdf", kwargs={"month": "2020-05"}))
    assert response.status_code == 200 and response["Content-Type"] == "application/pdf"
    assert "南昌市" in pdf_text(response.content)
    assert client.get(reverse("stats:monthly-xlsx", kwargs={"month": "2020-13"})).status_code == 404
    other = User.objects.create_user("jdz", password=None, role=Role.AGENCY, region_code=JINGDEZHEN)
    client.force_login(other)
    assert client.get(reverse("stats:publicity-pdf", kwargs={"pk": publicity.pk})).status_code == 404
    jdz = pdf_text(client.get(reverse("stats:monthly-pdf", kwargs={"month": "2020-05"})).content)
    assert "景德镇市失业保险稳岗返还工作进展月报" in jdz and "东湖区" not in jdz


def test_the_monthly_report_follows_the_readers_language_but_the_notice_stays_chinese(
        scenario, publicity):
    refresh()
    client = Client()
    client.force_login(scenario.officer)
    client.post("/i18n/setlang/", {"language": "en", "next": "/"})
    english = pdf_text(client.get(reverse("stats:monthly-pdf", kwargs={"month": "2020-05"})).content)
    assert "job-stabilizationrefundprogressreport,2020-05" in english
    assert "Paidthismonth(yuan)14,500.00" in english
    notice = pdf_text(client.get(reverse("stats:publicity-pdf", kwargs={"pk": publicity.pk})).content)
    assert "南昌市2020年失业保险稳岗返还拟返还单位名单公示" in notice
