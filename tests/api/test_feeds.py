"""The department machine channel for feeds: each department pushes its own files; a bad file
gets the whole bilingual report and nothing is kept or imported; a complete set is imported."""

from pathlib import Path

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client

from tests.feeds.builders import PERSON_FEEDS, UNIT_A, person_rows, valid_rows, write_feed
from wengang.accounts.models import Department, Role, User
from wengang.api.feed_inbox import inbox_dir
from wengang.api.models import FeedPush
from wengang.feeds import list_snapshots, open_snapshot

from .conftest import bearer

pytestmark = pytest.mark.django_db
CITY = "360100"


@pytest.fixture
def sender(world, token_for):
    """A client pushing as ``role``/``department`` of the city, through a feeds:push token."""
    def make(role: str, department: str = "") -> Client:
        user = User.objects.create_user(f"{role}-{department or 'x'}-push", password=None,
                                        role=role, region_code=CITY, department=department)
        client = Client()
        client.defaults.update({"HTTP_AUTHORIZATION": bearer(token_for(user, ["feeds:push"]))
                                ["Authorization"]})
        return client
    return make


def upload(tmp_path: Path, name: str, records=None, *, raw: bytes | None = None):
    if raw is None:
        feed = name.split(".")[0]
        records = valid_rows()[feed] if records is None else records
        raw = write_feed(tmp_path / name, records).read_bytes()
    return {"file": SimpleUploadedFile(name, raw)}


def push(client: Client, tmp_path: Path, name: str, records=None, **kwargs):
    return client.post("/api/feeds/push", upload(tmp_path, name, records, **kwargs))


def test_departments_push_their_feeds_and_the_complete_set_is_imported(sender, tmp_path, settings):
    agency, market, tax = (sender(Role.AGENCY), sender(Role.DEPARTMENT, Department.MARKET),
                           sender(Role.DEPARTMENT, Department.TAX))
    first = push(agency, tmp_path, "units.csv")
    assert first.status_code == 201, first.content
    assert first.json()["waiting_for"] == ["contributions", "registry"]
    assert first.json()["snapshot_id"] == ""
    assert push(tax, tmp_path, "contributions.csv").status_code == 201
    assert list_snapshots(settings.WENGANG_SNAPSHOT_DIR) == []

    last = push(market, tmp_path, "registry.csv")
    assert last.status_code == 201, last.content
    body = last.json()
    assert body["outcome"] == "accepted" and body["waiting_for"] == []
    snapshot = open_snapshot(settings.WENGANG_SNAPSHOT_DIR, body["snapshot_id"])
    assert snapshot.present == ("units", "contributions", "registry")
    assert snapshot.feeds["registry"].rows == len(valid_rows()["registry"])
    assert sorted(p.name for p in inbox_dir(CITY).iterdir() if not p.name.startswith(".")) == [
        "contributions.csv", "registry.csv", "units.csv"]
    assert FeedPush.objects.filter(outcome="accepted").count() == 3


def test_a_bad_file_gets_the_bilingual_report_and_nothing_is_kept(sender, tmp_path, settings):
    tax = sender(Role.DEPARTMENT, Department.TAX)
    assert push(sender(Role.AGENCY), tmp_path, "units.csv").status_code == 201
    rows = valid_rows()["tax"]
    rows[0]["revenue"] = "12,000.005"
    rows.append({"uscc": "91360102MA35K8XN0X", "year": "2019", "revenue": "1", "total_assets": "1"})
    response = push(tax, tmp_path, "tax.csv", rows)
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "feed_set_invalid"
    assert "未导入任何数据" in body["message_zh"] and "nothing was imported" in body["message_en"]
    codes = {problem["code"] for problem in body["listed"]}
    assert "money_format" in codes and ({"uscc_check", "unit_unknown"} & codes)
    assert body["problems"] == len(body["listed"]) >= 2
    problem = next(p for p in body["listed"] if p["code"] == "money_format")
    assert (problem["file"], problem["row"], problem["column"]) == ("tax.csv", 2, "revenue")
    assert problem["reason_zh"] and problem["reason_en"]
    assert not (inbox_dir(CITY) / "tax.csv").exists()
    assert list_snapshots(settings.WENGANG_SNAPSHOT_DIR) == []
    refused = FeedPush.objects.get(pk=body["push_id"])
    assert (refused.outcome, refused.problems, refused.feed) == ("rejected", body["problems"], "tax")


def test_a_bad_file_does_not_replace_the_accepted_one(sender, tmp_path):
    tax = sender(Role.DEPARTMENT, Department.TAX)
    assert push(tax, tmp_path, "tax.csv").status_code == 201
    kept = (inbox_dir(CITY) / "tax.csv").read_bytes()
    assert push(tax, tmp_path, "tax.csv", raw=b"uscc,year\n" + UNIT_A.encode() + b",20x9\n"
                ).status_code == 422
    assert (inbox_dir(CITY) / "tax.csv").read_bytes() == kept


def test_a_new_feed_is_checked_against_the_others(sender, tmp_path):
    """Tax rows about a unit the units feed does not have are refused (unit_unknown)."""
    assert push(sender(Role.AGENCY), tmp_path, "units.csv", valid_rows()["units"][1:]
                ).status_code == 201
    response = push(sender(Role.DEPARTMENT, Department.TAX), tmp_path, "tax.csv")
    assert response.status_code == 422
    assert {p["code"] for p in response.json()["listed"]} == {"unit_unknown"}


@pytest.mark.parametrize(("role", "department", "name"), [
    (Role.DEPARTMENT, Department.TAX, "units.csv"),
    (Role.DEPARTMENT, Department.MARKET, "tax.csv"),
    (Role.AGENCY, "", "registry.csv"),
    (Role.DEPARTMENT, Department.ENVIRONMENT, "credit.csv"),
    (Role.DEPARTMENT, Department.TAX, "trainees.csv"),
    (Role.DEPARTMENT, Department.FINANCE, "paid_subsidies.csv"),
])
def test_a_department_pushes_only_its_own_feeds(sender, tmp_path, role, department, name):
    response = push(sender(role, department), tmp_path, name)
    assert response.status_code == 403
    assert response.json()["code"] == "feed_not_yours"
    assert not FeedPush.objects.exists()
    assert not inbox_dir(CITY).exists()


@pytest.mark.parametrize("name", ["payroll.csv", "units.txt", "../units", "units"])
def test_a_file_that_is_no_feed_is_refused_by_name(sender, tmp_path, name):
    response = push(sender(Role.AGENCY), tmp_path, name, raw=b"uscc\n")
    assert response.status_code == 400
    assert response.json()["code"] == "feed_unknown"
    assert not FeedPush.objects.exists()


def test_a_client_path_never_reaches_the_disk(sender, tmp_path):
    response = push(sender(Role.DEPARTMENT, Department.TAX), tmp_path, "tax.csv",
                    raw=b"uscc,year,revenue,total_assets\n")
    assert response.status_code == 201
    evil = {"file": SimpleUploadedFile("../../tax.csv", b"uscc,year,revenue,total_assets\n")}
    client = sender(Role.DEPARTMENT, Department.NDRC)
    assert client.post("/api/feeds/push", evil).status_code == 403  # ndrc does not send tax
    assert sorted(p.name for p in inbox_dir(CITY).parent.rglob("*.csv")) == ["tax.csv"]


def test_the_inbox_says_what_may_be_pushed_and_what_is_missing(sender, tmp_path):
    agency = sender(Role.AGENCY)
    push(agency, tmp_path, "units.csv")
    body = agency.get("/api/feeds").json()
    assert body["may_push"] == ["units", "contributions", "separations", *PERSON_FEEDS]
    assert body["waiting_for"] == ["contributions", "registry"]
    assert [p["feed"] for p in body["pushes"]] == ["units"]


def test_the_agency_pushes_the_person_level_feeds(sender, tmp_path):
    """The HR bureau's training systems send as agency users (docs/feeds.md §6)."""
    agency, rows = sender(Role.AGENCY), person_rows()
    for feed in ("trainees", "course_completions", "certificates", "paid_subsidies"):
        response = push(agency, tmp_path, f"{feed}.csv", rows[feed])
        assert response.status_code == 201, response.content
        assert response.json()["outcome"] == "accepted"
    assert sorted(p.stem for p in inbox_dir(CITY).glob("*.csv")) == [
        "certificates", "course_completions", "paid_subsidies", "trainees"]
