"""Screening runs in the console: start one from a snapshot (background work, progress polled),
its summary read from the result file, and what changed since the previous run."""

from datetime import date, datetime
from pathlib import Path

import pytest
from django.core.management import call_command
from django.db.models import Sum
from django.test import Client
from django.urls import reverse
from django.utils.html import escape

from tests.cases.builders import UnitRow, write_feeds
from wengang.cases.models import Case, ScreeningRun
from wengang.core.clock import CHINA, clock
from wengang.feeds import import_feed_set
from wengang.web.models import ScreeningJob
from wengang.web.run_reports import run_difference, run_summary
from wengang.web.tasks import start_screening

from .conftest import CITY

pytestmark = pytest.mark.django_db
IMMEDIATE = "django.tasks.backends.immediate.ImmediateBackend"
HEADER = "uscc,program,eligible,amount,size,route,layoff_rate,failed,explanation,risk\n"


def _client(world, who: str = "agency") -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


@pytest.fixture
def stores(settings, tmp_path):
    settings.WENGANG_SNAPSHOT_DIR = tmp_path / "snapshots"
    settings.WENGANG_RUNS_DIR = tmp_path / "runs"
    return settings


@pytest.fixture
def city_snapshot(stores, tmp_path):
    """Three paying units of 东湖区 and, to change later, a fourth with a month unpaid."""
    def make(name: str, *, fourth_pays_all: bool):
        units = [UnitRow(900 + n, insured=10 + n) for n in range(3)]
        units.append(UnitRow(903, insured=8, months_paid=12 if fourth_pays_all else 11))
        return import_feed_set(write_feeds(tmp_path / name, units), stores.WENGANG_SNAPSHOT_DIR)
    return make


def _start(client: Client, snapshot_id: str):
    return client.post(reverse("web:console-screening-start"), {
        "snapshot": snapshot_id, "programs": ["inclusive-2020"], "as_of": "2020-04-15"})


def test_an_officer_starts_a_run_and_it_is_screened_and_loaded_into_cases(world, city_snapshot,
                                                                          settings):
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE}}
    snapshot = city_snapshot("feeds", fourth_pays_all=True)
    response = _start(_client(world), snapshot.id)

    job = ScreeningJob.objects.exclude(pk=world.screening_job.pk).get()
    assert response.status_code == 302
    assert response["Location"] == reverse("web:console-screening-job", kwargs={"pk": job.pk})
    assert (job.status, job.done, job.started_by, job.region_code) == (
        "done", 1.0, world.users["agency"], CITY)
    assert job.run.snapshot_id == snapshot.id and job.run.loaded_at is not None
    opened = Case.objects.filter(opened_by_run=job.run)
    assert opened.count() == 4

    page = _client(world).get(reverse("web:console-run", kwargs={"pk": job.run.pk}))
    (row,) = page.context["summary"].programs
    # The summary is read from the result file; the cases were loaded from it another way.
    assert (row.program, row.units, row.eligible) == ("inclusive-2020", 4, 4)
    assert row.amount_fen == opened.aggregate(total=Sum("amount_fen"))["total"]
    assert page.context["previous"] == world.own_case.screening_run  # the fixture's, earlier
    assert "/dev/null" in page.context["difference_problem"]  # whose result file is no file


@pytest.mark.django_db(transaction=True)  # the worker closes connections between tasks
def test_the_page_polls_a_queued_run_until_the_worker_has_finished_it(world, city_snapshot,
                                                                     settings):
    settings.TASKS = {"default": {"BACKEND": "django_tasks_db.DatabaseBackend"}}
    snapshot = city_snapshot("feeds", fourth_pays_all=True)
    client = _client(world, "supervisor")
    job_url = _start(client, snapshot.id)["Location"]

    waiting = client.get(job_url, HTTP_HX_REQUEST="true")
    assert waiting.templates[0].name == "web/console/job_progress.html"
    assert 'hx-trigger="every 1s"' in waiting.content.decode()
    assert waiting.context["job"].status == "queued"

    call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay")
    finished = client.get(job_url, HTTP_HX_REQUEST="true")
    job = finished.context["job"]
    assert job.status == "done" and job.percent == 100
    text = finished.content.decode()
    assert "hx-trigger" not in text  # polling stops
    assert reverse("web:console-run", kwargs={"pk": job.run.pk}) in text


def test_a_run_that_fails_says_why_in_both_languages_and_changes_nothing(world, stores, settings):
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE}}
    stores.WENGANG_SNAPSHOT_DIR.mkdir(parents=True)
    cases = Case.objects.count()
    # The snapshot vanished between the form and the worker (the form offered it).
    job = start_screening(actor=world.users["agency"], snapshot_id="f" * 64,
                          programs=["inclusive-2020"], as_of=date(2020, 4, 15))
    job.refresh_from_db()
    assert job.status == "failed" and job.run is None and job.finished_at is not None
    assert "快照" in job.error and "snapshot" in job.error
    assert Case.objects.count() == cases
    page = _client(world).get(reverse("web:console-screening-job", kwargs={"pk": job.pk}))
    assert escape(job.error) in page.content.decode()


def test_an_unknown_snapshot_is_refused_by_the_form(world, stores):
    response = _start(_client(world), "e" * 64)
    assert response.status_code == 400
    assert "snapshot" in response.context["form"].errors
    assert ScreeningJob.objects.count() == 1  # the world's own


def test_a_second_run_shows_what_changed_since_the_first(world, city_snapshot, settings):
    settings.TASKS = {"default": {"BACKEND": IMMEDIATE}}
    client = _client(world)
    _start(client, city_snapshot("before", fourth_pays_all=True).id)
    with clock.frozen(date(2020, 5, 6)):
        _start(client, city_snapshot("after", fourth_pays_all=False).id)
    first, second = ScreeningRun.objects.filter(snapshot_id__gt="").order_by("screened_at")

    page = client.get(reverse("web:console-run", kwargs={"pk": second.pk}))
    assert page.context["previous"] == first
    (change,) = page.context["difference"].programs
    assert (change.newly_eligible, change.no_longer_eligible, change.amount_changed) == (0, 1, 0)
    (unit,) = page.context["difference"].units
    lost = Case.objects.get(unit__uscc=unit.uscc)
    # 12 months × 500.00 yuan paid in 2019, refunded at the 2020 SME ratio of 100%.
    assert (unit.change, unit.before_fen, unit.after_fen) == ("no_longer_eligible", 600_000, 0)
    assert lost.state == "withdrawn"  # the loader withdrew it: the page and the cases agree


def _result(path: Path, rows: list[str]) -> Path:
    path.write_text(HEADER + "".join(f"{row},0.0000,,,\n" for row in rows), encoding="utf-8")
    return path


def test_the_difference_is_set_based_over_both_result_files(tmp_path):
    before = _result(tmp_path / "before.csv", [
        "A,inclusive-2020,true,100.00,small,automatic", "B,inclusive-2020,true,50.00,small,automatic",
        "C,inclusive-2020,false,0.00,small,none", "E,inclusive-2020,true,7.00,small,automatic"])
    after = _result(tmp_path / "after.csv", [
        "A,inclusive-2020,true,120.00,small,automatic", "B,inclusive-2020,false,0.00,small,none",
        "C,inclusive-2020,true,30.00,micro,application", "D,inclusive-2020,true,10.00,small,automatic",
        "E,inclusive-2020,true,7.00,small,automatic"])
    difference = run_difference(after, before)
    (program,) = difference.programs
    assert (program.newly_eligible, program.no_longer_eligible, program.amount_changed,
            program.amount_delta_fen) == (2, 1, 1, 2000 - 5000 + 3000 + 1000)
    assert {(u.uscc, u.change, u.before_fen, u.after_fen) for u in difference.units} == {
        ("A", "amount_changed", 10000, 12000), ("B", "no_longer_eligible", 5000, 0),
        ("C", "newly_eligible", 0, 3000), ("D", "newly_eligible", 0, 1000)}

    summary = run_summary(after)
    (row,) = summary.programs
    assert (row.units, row.eligible, row.amount_fen, row.automatic, row.application) == (
        5, 4, 16700, 3, 1)
    assert [(b.value, b.eligible, b.amount_fen) for b in summary.by_route] == [
        ("application", 1, 3000), ("automatic", 3, 13700), ("none", 0, 0)]


def test_a_run_whose_result_file_is_gone_says_so(world, run):
    run.result_path = "/nonexistent/result.csv"
    run.save()
    page = _client(world).get(reverse("web:console-run", kwargs={"pk": run.pk}))
    assert page.status_code == 200
    problem = page.context["summary_problem"]
    assert "找不到结果文件" in problem and "result file not found" in problem


def test_runs_of_another_region_are_neither_listed_nor_shown(world, run):
    other = ScreeningRun.objects.create(
        result_sha256="2" * 64, record_sha256="3" * 64, result_path="/dev/null",
        as_of=date(2020, 4, 15), region_code="360200", programs=["inclusive-2020"],
        input_kind="folder", input_path="/dev/null", code_version="test",
        screened_at=datetime(2020, 4, 15, 11, tzinfo=CHINA), rows=0, record={})
    client = _client(world)
    listed = {r.pk for r in client.get(reverse("web:console-runs")).context["page"]}
    assert listed == {run.pk}
    assert client.get(reverse("web:console-run", kwargs={"pk": other.pk})).status_code == 404
