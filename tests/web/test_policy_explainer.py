"""The public policy explainer: no login, numbers and 文号 from the policy files."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from wengang.core.clock import clock
from wengang.policy import load_policy
from wengang.web.explainer import program_day, show

pytestmark = pytest.mark.django_db


def test_anyone_reads_every_program_with_its_references():
    response = Client().get(reverse("web:public-policy"))
    assert response.status_code == 200
    text = response.content.decode()
    policy = load_policy()
    for program in policy.programs.values():
        assert program.name in text and program.legal_basis[0] in text
    assert "人社部发〔2019〕23号" in text and "一分钟办完" in text


def test_the_values_shown_are_the_policy_values_of_the_day():
    program = load_policy().programs["difficult-2019"]
    text = Client().get(reverse("web:public-policy")).content.decode()
    card = text.split('id="program-difficult-2019"')[1].split("</article>")[0]
    # 2019's program, read on 30 April 2020 (the web tests' day): its last day's values.
    assert "2019-12-31" in card
    assert "¥1,585.00" in card and "4.5%" in card
    assert program.rules[0].description in card


@pytest.mark.parametrize(("value", "unit", "shown"), [
    (0.045, "fraction", "4.5%"), (1, "fraction", "100%"), (0.5, "fraction", "50%"),
    (1585, "yuan", "¥1,585.00"), (1585.5, "yuan", "¥1,585.50"), (True, "bool", "是"),
    (("enterprise",), "list", "enterprise"), (None, "count", "（未设定）"), (12, "count", "12"),
])
def test_values_read_as_people_write_them(value, unit, shown):
    assert show(value, unit) == shown


@pytest.mark.parametrize(("today", "shown"), [
    (date(2020, 1, 1), date(2020, 1, 1)), (date(2020, 12, 31), date(2020, 12, 31)),
    (date(2021, 1, 1), date(2020, 12, 31)), (date(2019, 12, 31), date(2020, 12, 31))])
def test_the_day_shown_is_today_inside_the_refund_year(today, shown):
    assert program_day(2020, today) == shown


def test_a_region_shows_its_local_values_and_a_bad_one_is_refused():
    response = Client().get(reverse("web:public-policy"), {"region": "360100"})
    assert response.status_code == 200 and "360100" in response.content.decode()
    bad = Client().get(reverse("web:public-policy"), {"region": "999999"})
    assert bad.status_code == 400 and 'class="error"' in bad.content.decode()


def test_the_page_reads_in_english():
    client = Client()
    client.cookies["django_language"] = "en"
    with clock.frozen(date(2020, 4, 30)):
        text = client.get(reverse("web:public-policy")).content.decode()
    assert load_policy().programs["difficult-2019"].name_en in text
