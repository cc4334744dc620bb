"""The policy browser: programs, parameters by date with units and 文号, and the value in force
in a region after the province's and the city's overrides."""

from decimal import Decimal

import pytest
from django.test import Client
from django.urls import reverse

pytestmark = pytest.mark.django_db


@pytest.fixture
def overrides(tmp_path, monkeypatch):
    """Jiangxi lowers the SME ratio from 2020; Nanchang lowers it again from March."""
    regions = tmp_path / "policy" / "regions"
    regions.mkdir(parents=True)
    (regions / "360000.yaml").write_text(
        'region: "360000"\nname: 江西省\nreference: 赣人社发〔2020〕1号\nprograms:\n'
        "  inclusive-2020:\n    ratio_sme:\n      2020-01-01: 0.8\n", encoding="utf-8")
    (regions / "360100.yaml").write_text(
        'region: "360100"\nname: 南昌市\nreference: 洪人社发〔2020〕2号\nprograms:\n'
        "  inclusive-2020:\n    ratio_sme:\n      2020-03-01: 0.7\n"
        '  "*":\n    exclude_abnormal:\n      2020-01-01: true\n', encoding="utf-8")
    monkeypatch.setenv("WENGANG_POLICY_DIR", str(tmp_path / "policy"))


def _client(world, who: str = "agency") -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


def _rows(page) -> dict:
    return {row.parameter.name: row for row in page.context["rows"]}


def test_programs_are_listed_with_their_legal_basis(world):
    text = _client(world, "auditor").get(reverse("web:policy-programs")).content.decode()
    assert "2020年失业保险稳岗返还（普惠性）" in text and "国办发〔2020〕6号" in text


@pytest.mark.parametrize(("query", "ratio", "source"), [
    ({"region": "360100", "on": "2020-02-15"}, Decimal("0.8"), "360000"),   # before the city's
    ({"region": "360100", "on": "2020-04-15"}, Decimal("0.7"), "360100"),
    ({"region": "360200", "on": "2020-04-15"}, Decimal("0.8"), "360000"),   # another city
    ({"region": "", "on": "2020-04-15"}, Decimal("1.0"), "national"),
])
def test_the_value_in_force_follows_the_nearest_region_and_the_date(world, overrides, query,
                                                                    ratio, source):
    page = _client(world).get(reverse("web:policy-program",
                                      kwargs={"program_id": "inclusive-2020"}), query)
    row = _rows(page)["ratio_sme"]
    assert (row.in_force, row.in_force_from) == (ratio, source)
    assert row.parameter.reference == "国办发〔2020〕6号" and row.parameter.ceiling


def test_a_parameter_shows_its_unit_meaning_national_values_and_each_region_s_own(world, overrides):
    page = _client(world).get(reverse("web:policy-program", kwargs={"program_id": "inclusive-2020"}),
                              {"region": "360102", "on": "2020-04-15"})
    rows = _rows(page)
    assert [o.region.region_code for o in rows["ratio_sme"].overrides] == ["360000", "360100"]
    assert [o.region.region_code for o in rows["exclude_abnormal"].overrides] == ["360100"]
    assert rows["exclude_abnormal"].in_force is True
    assert rows["ratio_sme"].unit == "比例（0–1）"
    text = page.content.decode()
    assert "中小微企业返还比例" in text and "洪人社发〔2020〕2号" in text


def test_the_english_page_gives_the_english_meaning(world):
    client = _client(world)
    client.cookies["django_language"] = "en"
    page = client.get(reverse("web:policy-program", kwargs={"program_id": "inclusive-2020"}))
    assert _rows(page)["ratio_sme"].description.startswith("refund ratio for SMEs")


def test_a_day_before_the_program_s_parameters_says_so_in_both_languages(world):
    page = _client(world).get(reverse("web:policy-program", kwargs={"program_id": "inclusive-2024"}),
                              {"region": "360100", "on": "2010-01-01"})
    assert page.status_code == 200
    assert "没有有效取值" in page.context["problem"] and "no value in force" in page.context["problem"]


def test_an_unknown_program_is_not_found(world):
    response = _client(world).get(reverse("web:policy-program", kwargs={"program_id": "nope-1999"}))
    assert response.status_code == 404
