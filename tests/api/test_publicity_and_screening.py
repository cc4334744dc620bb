"""Publicity (the console's batches; the current list for everyone) and screening runs."""

from datetime import date, datetime

import pytest
from django.test import Client

from tests.web.conftest import OTHER_CITY
from wengang.accounts.models import Role, User
from wengang.cases.models import PublicityBatch, ScreeningRun, State
from wengang.core.clock import CHINA, clock

pytestmark = pytest.mark.django_db


def test_anyone_reads_the_current_publicity_list_without_logging_in(world, client):
    body = client.get("/api/public/publicity").json()
    assert [i["case_id"] for i in body["items"]] == [world.published_case.pk]
    item = body["items"][0]
    assert item["amount_yuan"] == "119450.00"
    assert set(item) == {"case_id", "unit_name", "uscc", "program", "program_name", "amount_fen",
                         "amount_yuan", "start_on", "end_on"}  # nothing personal


def test_the_public_list_is_searched_by_name_or_code(world, client):
    unit = world.published_case.unit
    assert client.get(f"/api/public/publicity?q={unit.uscc[:10]}").json()["count"] == 1
    assert client.get(f"/api/public/publicity?q={unit.name}").json()["count"] == 1
    assert client.get("/api/public/publicity?q=不存在的单位").json()["count"] == 0


def test_the_public_list_shows_only_running_periods(world, client):
    with clock.frozen(date(2020, 5, 9)):
        assert client.get("/api/public/publicity").json()["items"] == []


def test_the_console_lists_publicity_batches_of_the_region(world, session_for, make_case):
    other = PublicityBatch.objects.create(
        region_code=OTHER_CITY, program="inclusive-2020", start_on=date(2020, 4, 29),
        end_on=date(2020, 5, 8), workdays=5, opened_by=world.users["other_agency"],
        opened_at=clock.now())
    mine = session_for("agency").get("/api/publicity/batches").json()["items"]
    assert [b["id"] for b in mine] == [world.publicity_batch.pk]
    assert (mine[0]["cases"], mine[0]["open_objections"]) == (1, 0)
    theirs = session_for("other_agency").get("/api/publicity/batches").json()["items"]
    assert [b["id"] for b in theirs] == [other.pk]


def test_screening_runs_of_the_region_with_a_summary(world, session_for, make_case):
    run = world.own_case.screening_run
    ScreeningRun.objects.filter(pk=run.pk).update(summary={"opened": 5, "rows": 9})
    make_case(State.SCREENED, region_code=OTHER_CITY)  # same run, another city: not counted
    listed = session_for("agency").get("/api/screening/runs").json()
    assert [r["id"] for r in listed["items"]] == [run.pk]
    summary = session_for("agency").get(f"/api/screening/runs/{run.pk}").json()
    assert summary["load"] == {"opened": 5, "rows": 9}
    assert sum(row["cases"] for row in summary["cases"]) == 3  # own, published, in review
    assert sum(row["amount_fen"] for row in summary["cases"]) == 3 * 11_945_000
    assert session_for("other_agency").get(f"/api/screening/runs/{run.pk}").status_code == 404


def test_a_county_officer_does_not_see_the_citys_runs(world, session_for):
    county = User.objects.create_user("county", password=None, role=Role.AGENCY,
                                      region_code="360102")
    client = Client()
    client.force_login(county)
    assert client.get("/api/screening/runs").json()["count"] == 0
    ScreeningRun.objects.create(
        result_sha256="2" * 64, record_sha256="3" * 64, result_path="/dev/null",
        as_of=date(2020, 4, 15), region_code="360102", programs=["inclusive-2020"],
        input_kind="folder", input_path="/dev/null", code_version="test",
        screened_at=datetime(2020, 4, 16, 10, tzinfo=CHINA), rows=1, record={}, uscc="X")
    runs = client.get("/api/screening/runs").json()["items"]
    assert [r["single_unit"] for r in runs] == [True]
