"""What-if in the console: a parameter change costed on a snapshot, compared by program, size,
industry and district, with the chart's data and the Excel file of the report."""

import io

import polars as pl
import pytest
from django.test import Client
from django.urls import reverse

from tests.cases.builders import UnitRow, write_feeds
from wengang.feeds import import_feed_set

pytestmark = pytest.mark.django_db


@pytest.fixture
def snapshot(settings, tmp_path):
    settings.WENGANG_SNAPSHOT_DIR = tmp_path / "snapshots"
    settings.WENGANG_WHAT_IF_DIR = tmp_path / "what-if"
    units = [UnitRow(800, insured=10), UnitRow(801, insured=20, region_code="360103"),
             UnitRow(802, insured=5, months_paid=11)]
    return import_feed_set(write_feeds(tmp_path / "feeds", units), settings.WENGANG_SNAPSHOT_DIR)


def _client(world, who: str = "agency") -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


def _simulate(client: Client, snapshot_id: str, changes: str):
    return client.post(reverse("web:console-what-if"), {
        "snapshot": snapshot_id, "programs": ["inclusive-2020"], "as_of": "2020-04-15",
        "changes": changes})


def test_halving_the_sme_ratio_halves_the_refunds_in_every_view(world, snapshot):
    client = _client(world, "supervisor")
    page = _simulate(client, snapshot.id, "ratio_sme=0.5\n")
    assert page.status_code == 200, page.context["form"].errors
    tables = dict(page.context["tables"])
    (program,) = tables["program"]
    label, base_units, new_units, base_fen, new_fen = program
    assert label == "2020年失业保险稳岗返还（普惠性）"
    # Two units paid all of 2019 (12 × 500.00 yuan each): 12,000.00 yuan at 100%, then at 50%.
    assert (base_units, new_units, base_fen, new_fen) == (2, 2, 1_200_000, 600_000)
    assert [row[0] for row in tables["region"]] == ["360102 东湖区", "360103 西湖区"]
    chart = page.context["charts"]["region"]
    assert chart["labels"] == ["360102 东湖区", "360103 西湖区"]
    assert [s["values"] for s in chart["series"]] == [[6000.0, 6000.0], [3000.0, 3000.0]]
    assert page.context["winners_and_losers"] == (0, 0, 2, 600_000)

    download = client.get(reverse("web:console-what-if-xlsx",
                                  kwargs={"token": page.context["token"]}))
    sheet = pl.read_excel(io.BytesIO(b"".join(download.streaming_content)))
    program_row = sheet.filter(pl.col(sheet.columns[0]) == "项目").row(0)
    assert program_row[1:6] == ("inclusive-2020", 2, 2, 12000, 6000)


def test_another_session_cannot_download_the_file(world, snapshot):
    page = _simulate(_client(world), snapshot.id, "ratio_sme=0.5")
    url = reverse("web:console-what-if-xlsx", kwargs={"token": page.context["token"]})
    assert _client(world, "supervisor").get(url).status_code == 404


@pytest.mark.parametrize(("changes", "zh", "en"), [
    ("ratio_large=0.6", "全国上限", "national ceiling"),  # 50% is the ceiling
    ("ratio_sme=1.5", "取值不合法", "invalid value"),
    ("no_such_parameter=1", "所选项目都没有参数", "none of the chosen programs"),
    ("ratio_sme", "参数名=取值", "NAME=VALUE"),
])
def test_a_change_the_policy_refuses_is_explained_in_both_languages(world, snapshot, changes,
                                                                    zh, en):
    page = _simulate(_client(world), snapshot.id, changes)
    assert page.status_code == 400
    text = " ".join(str(e) for errors in page.context["form"].errors.values() for e in errors)
    assert zh in text and en in text
    assert "token" not in page.context


def test_only_programs_that_screen_units_are_offered():
    from wengang.web.display import program_choices

    offered = {program_id for program_id, _ in program_choices()}
    assert {"inclusive-2020", "difficult-2020"} <= offered
    assert not {p for p in offered if p.startswith("training-")}
