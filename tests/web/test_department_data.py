"""Department review shows what the department's own data says about each unit of its batch."""

import csv

import pytest
from django.test import Client
from django.urls import reverse

from tests.cases.builders import ResultRow, UnitRow, write_feeds, write_result
from wengang.accounts.models import Department, Role, User
from wengang.cases import services
from wengang.cases.loading import load_screening

from .conftest import CITY

pytestmark = pytest.mark.django_db

CLEAN, ABNORMAL = UnitRow(501), UnitRow(502)


@pytest.fixture
def batch(world, tmp_path):
    """A batch of two screened units; the market feed lists one as abnormal, tax knows one."""
    feeds = write_feeds(tmp_path / "feeds", [CLEAN, ABNORMAL])
    registry = feeds / "registry.csv"
    rows = list(csv.reader(registry.open(encoding="utf-8")))
    for row in rows:
        if row[0] == ABNORMAL.uscc:
            row[2] = "true"
    with registry.open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows(rows)
    with (feeds / "tax.csv").open("w", encoding="utf-8", newline="") as handle:
        csv.writer(handle).writerows([["uscc", "year", "revenue", "total_assets"],
                                      [CLEAN.uscc, "2019", "8800000.00", "5200000.50"],
                                      [CLEAN.uscc, "2018", "1.00", "1.00"]])
    load_screening(write_result(tmp_path / "r.csv", [ResultRow(CLEAN), ResultRow(ABNORMAL)],
                                feeds=feeds, created_at="2020-04-20T10:00:00+08:00"),
                   force=True)
    (opened,) = services.open_review_batches(actor=world.users["agency"], region_code=CITY,
                                             program="inclusive-2020")
    return opened


def _reviewer(department: str) -> Client:
    client = Client()
    client.force_login(User.objects.create_user(f"r-{department}", password=None,
                                                 role=Role.DEPARTMENT, region_code=CITY,
                                                 department=department))
    return client


def _facts(client: Client, batch, department: str) -> dict[str, list]:
    task = batch.tasks.get(department=department)
    page = client.get(reverse("web:review-task", kwargs={"pk": task.pk}))
    assert page.context["facts_problem"] == ""
    by_case = page.context["facts"]
    return {case.unit.uscc: [(f.text, f.concern) for f in by_case.get(case.pk, [])]
            for case in page.context["cases"]}


def test_the_market_reviewer_sees_registry_status_and_the_abnormal_list(batch):
    assert "market" in batch.departments
    facts = _facts(_reviewer(Department.MARKET), batch, "market")
    assert facts[CLEAN.uscc] == [("登记状态：存续", False)]
    assert facts[ABNORMAL.uscc] == [("登记状态：存续", False), ("列入经营异常名录", True)]


def test_the_tax_reviewer_sees_the_assessment_year_s_revenue_and_assets(batch):
    facts = _facts(_reviewer(Department.TAX), batch, "tax")
    assert facts[CLEAN.uscc] == [("营业收入 8800000.00 元，资产总额 5200000.50 元（2019 年）", False)]
    assert facts[ABNORMAL.uscc] == []  # tax has no row for it: shown as "无记录"


def test_a_batch_whose_run_record_is_gone_says_so_and_still_opens(world):
    client = Client()
    client.force_login(world.users["department"])
    page = client.get(reverse("web:review-task", kwargs={"pk": world.tax_task.pk}))
    assert page.status_code == 200
    assert "运行记录不完整" in page.context["facts_problem"]
