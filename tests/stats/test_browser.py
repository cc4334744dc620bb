"""The dashboards in a real browser (Playwright + Debian's chromium): charts drawn from the local
ECharts with no CSP violation or script error, a table behind each chart; screenshots saved to
``var/artifacts/stats-*.png``.
"""

import pytest

from tests.web.test_browser import (  # noqa: F401 (fixtures)
    PHONE,
    browser,
    open_page,
    shot,
    staff_login,
)
from wengang.accounts.models import Department, Role, User
from wengang.stats.refresh import refresh

from .conftest import NANCHANG

pytestmark = pytest.mark.django_db(transaction=True)
DESKTOP = {"viewport": {"width": 1280, "height": 900}}


def _charts_drawn(page, slugs: tuple[str, ...]) -> None:
    for slug in slugs:
        chart = page.locator(f'[data-stats-chart="stats-chart-{slug}"] svg')
        chart.wait_for()
        assert chart.locator("path, rect").count() > 0, slug


def test_leaders_and_the_agency_see_their_dashboards(scenario, open_page):  # noqa: F811
    refresh()
    page = open_page(**DESKTOP)
    staff_login(page, scenario.officer)
    page.wait_for_url("**/console/")
    page.click("header nav >> text=统计")
    page.wait_for_url("**/stats/")
    _charts_drawn(page, ("region", "program", "week", "size", "industry"))
    assert "¥14,500.00" in page.inner_text(".tiles")
    page.click("#region summary")  # the chart's table view
    assert "青山湖区" in page.inner_text("#region table")
    shot(page, "stats-1-overview")

    page.click(".stats-tabs >> text=经办运行")
    page.wait_for_url("**/stats/operations/")
    _charts_drawn(page, ("pipeline", "time_to_money", "steps", "channels", "compliance"))
    shot(page, "stats-2-operations")

    page.goto("/stats/?region=360102")
    _charts_drawn(page, ("region",))
    assert "东湖区" in page.inner_text("h1")
    shot(page, "stats-3-county")


def test_a_department_reviewer_sees_its_deadlines(scenario, open_page):  # noqa: F811
    refresh()
    tax = User.objects.create_user("tax-reviewer", password=None, role=Role.DEPARTMENT,
                                   region_code=NANCHANG, department=Department.TAX)
    page = open_page(**DESKTOP)
    staff_login(page, tax)
    page.goto("/stats/departments/")
    _charts_drawn(page, ("compliance",))
    assert "本部门待办联审任务" in page.inner_text("main")
    shot(page, "stats-4-departments")


def test_anyone_on_a_phone_sees_the_public_figures(scenario, open_page):  # noqa: F811
    refresh()
    page = open_page(**PHONE)
    page.goto("/")
    page.click("header nav >> text=返还数据")
    page.wait_for_url("**/stats/public/")
    _charts_drawn(page, ("region",))
    assert "¥18,500.00" in page.inner_text(".tiles")
    assert page.evaluate("document.documentElement.scrollWidth") <= 360  # no sideways scrolling
    shot(page, "stats-5-public-phone")


def test_the_training_subsidies_have_their_own_dashboard(training, open_page):  # noqa: F811
    refresh()
    page = open_page(**DESKTOP)
    staff_login(page, training.officer)
    page.wait_for_url("**/console/")
    page.goto("/stats/")
    page.click(".stats-tabs >> text=培训补贴")
    page.wait_for_url("**/stats/training/")
    _charts_drawn(page, ("training_region", "training_program", "training_subject",
                         "training_week"))
    assert "¥6,152.00" in page.inner_text(".tiles")
    page.click("#training_subject summary")  # the chart's table view
    assert "四级（中级工）" in page.inner_text("#training_subject table")
    assert "培训甲" not in page.inner_text("main")  # totals only, never a person
    shot(page, "stats-6-training")
