"""Feed uploads in the browser: the API's push path, with the bilingual report on the page."""

import pytest
from django.core.files.uploadedfile import SimpleUploadedFile
from django.test import Client
from django.urls import reverse

from tests.feeds.builders import valid_rows, write_feed
from wengang.accounts.models import Department, Role, User
from wengang.api.feed_inbox import inbox_dir
from wengang.api.models import FeedPush
from wengang.feeds import list_snapshots

from .conftest import CITY

pytestmark = pytest.mark.django_db


@pytest.fixture(autouse=True)
def own_stores(settings, tmp_path):
    settings.WENGANG_FEED_INBOX_DIR = tmp_path / "inbox"
    settings.WENGANG_SNAPSHOT_DIR = tmp_path / "snapshots"


def _client(user) -> Client:
    client = Client()
    client.force_login(user)
    return client


def _upload(client: Client, tmp_path, name: str, records=None):
    feed = name.split(".")[0]
    path = write_feed(tmp_path / name, valid_rows()[feed] if records is None else records)
    return client.post(reverse("web:feed-upload"),
                       {"file": SimpleUploadedFile(name, path.read_bytes())})


def test_the_agency_and_the_market_department_complete_a_set_and_it_is_imported(world, tmp_path,
                                                                                settings):
    agency = _client(world.users["agency"])
    market = _client(User.objects.create_user("market", password=None, role=Role.DEPARTMENT,
                                              region_code=CITY, department=Department.MARKET))
    first = _upload(agency, tmp_path, "units.csv")
    assert first.status_code == 302
    assert "还缺：contributions、registry" in agency.get(first["Location"]).content.decode()
    assert _upload(agency, tmp_path, "contributions.csv").status_code == 302
    assert list_snapshots(settings.WENGANG_SNAPSHOT_DIR) == []

    assert _upload(market, tmp_path, "registry.csv").status_code == 302
    (snapshot,) = list_snapshots(settings.WENGANG_SNAPSHOT_DIR)
    assert FeedPush.objects.get(feed="registry").snapshot_id == snapshot.id
    page = market.get(reverse("web:feed-upload"))
    assert [p.feed for p in page.context["pushes"]] == ["registry"]  # one's own pushes
    assert page.context["waiting"] == []


def test_a_bad_file_is_refused_with_the_bilingual_report_and_nothing_is_kept(world, tmp_path):
    agency = _client(world.users["agency"])
    rows = valid_rows()["units"]
    rows[0]["region_code"] = "3601"
    rows[1]["contact_phone"] = "12345"
    response = _upload(agency, tmp_path, "units.csv", rows)
    assert response.status_code == 422
    text = response.content.decode()
    assert "数据校验未通过：2 个问题，未导入任何数据" in text and "nothing was imported" in text
    assert "行政区划代码不正确" in text and "not a GB/T 2260 region code" in text
    assert "手机号码格式不正确" in text and "not an 11-digit mobile number" in text
    assert {code for _f, _c, code, _n in response.context["report"].counts()} == {
        "region_code", "phone_format"}
    assert FeedPush.objects.get().outcome == "rejected"
    assert not inbox_dir(CITY).exists() or not any(inbox_dir(CITY).glob("units.*"))


def test_a_department_cannot_upload_another_department_s_feed(world, tmp_path):
    response = _upload(_client(world.users["department"]), tmp_path, "units.csv")  # tax
    assert response.status_code == 400
    error = response.context["form"].errors["file"][0]
    assert "不由您所在的部门报送" in error and "not your department's" in error
    assert not FeedPush.objects.exists()


def test_a_file_that_is_no_feed_is_refused_in_both_languages(world, tmp_path):
    response = _client(world.users["agency"]).post(
        reverse("web:feed-upload"), {"file": SimpleUploadedFile("notes.txt", b"hello")})
    assert response.status_code == 400
    error = response.context["form"].errors["file"][0]
    assert "不是约定的数据文件" in error and "no feed of the contract" in error
