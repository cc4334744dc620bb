"""Cases through the API: the queue's filters and pages, masked personal data, events; an
enterprise reads only its own unit's cases."""

from datetime import date

import pytest

from tests.web.conftest import COUNTY, OTHER_CITY
from tests.web.person_builder import make_person, make_person_case
from wengang.cases.models import Case, State

pytestmark = pytest.mark.django_db


def ids(response) -> list[int]:
    assert response.status_code == 200, response.content
    return [item["id"] for item in response.json()["items"]]


def test_an_officer_lists_the_cases_of_the_region_priority_first(world, session_for, make_case):
    urgent = make_case(State.SCREENED, priority=True)
    response = session_for("agency").get("/api/cases")
    assert ids(response)[0] == urgent.pk
    assert set(ids(response)) == {world.own_case.pk, world.published_case.pk,
                                  world.review_case.pk, urgent.pk}
    assert response.json()["count"] == 4


def test_personal_data_is_masked_in_the_list(world, session_for):
    item = session_for("agency").get("/api/cases").json()["items"][0]
    assert item["contact_phone_masked"].startswith("138") and "****" in item["contact_phone_masked"]
    assert item["account_masked"] == "****2222"
    raw = session_for("agency").get("/api/cases").content.decode()
    assert "6222000011112222" not in raw and world.own_case.unit.contact_phone not in raw


@pytest.mark.parametrize(("query", "expected"), [
    ("state=awaiting_application", {"own"}),
    ("state=in_publicity", {"published"}),
    (f"region={COUNTY}", {"own", "published", "review", "risky"}),
    ("risk=true", {"risky"}),
    ("priority=true", {"risky"}),
    ("size=medium", {"risky"}),
    ("industry=13", {"own", "published", "review", "risky"}),
    ("industry=14", set()),
    ("due_by=2020-05-29", {"own"}),
    ("due_by=2020-05-28", set()),
    ("program=inclusive-2019", set()),
])
def test_the_queue_filters(world, session_for, make_case, query, expected):
    risky = make_case(State.SCREENED, risk="shared_account", priority=True)
    Case.objects.filter(pk=risky.pk).update(size="medium")  # make_case fixes the size
    names = {world.own_case.pk: "own", world.published_case.pk: "published",
             world.review_case.pk: "review", risky.pk: "risky"}
    response = session_for("agency").get(f"/api/cases?{query}")
    assert {names[pk] for pk in ids(response)} == expected


def test_a_region_outside_ones_own_is_not_found(world, session_for):
    response = session_for("agency").get(f"/api/cases?region={OTHER_CITY}")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


def test_a_code_no_region_has_is_not_found_even_for_an_admin(world, session_for):
    """An admin sees every region; a well-formed code that names none is still not found."""
    response = session_for("admin").get("/api/cases?region=339974")
    assert response.status_code == 404
    assert response.json()["code"] == "not_found"


@pytest.mark.parametrize("query", ["region=3601", "state=paid_twice", "page=0", "page_size=501",
                                   "due_by=someday"])
def test_bad_filters_are_refused_with_the_fields_named(world, session_for, query):
    response = session_for("agency").get(f"/api/cases?{query}")
    assert response.status_code == 422
    body = response.json()
    assert body["code"] == "invalid_request" and body["detail"]


def test_pages(world, session_for, make_case):
    for _ in range(3):
        make_case(State.SCREENED)
    client = session_for("agency")
    first = client.get("/api/cases?page_size=4").json()
    second = client.get("/api/cases?page_size=4&page=2").json()
    assert first["count"] == second["count"] == 6
    assert len(first["items"]) == 4 and len(second["items"]) == 2
    assert not {i["id"] for i in first["items"]} & {i["id"] for i in second["items"]}
    assert client.get("/api/cases?page_size=4&page=3").json()["items"] == []


def test_an_enterprise_reads_only_its_own_cases(world, session_for):
    client = session_for("enterprise")
    assert ids(client.get("/api/cases")) == [world.own_case.pk]
    assert client.get(f"/api/cases/{world.other_case.pk}").status_code == 404
    assert client.get(f"/api/cases/{world.published_case.pk}").status_code == 404
    other = session_for("other_enterprise")
    assert ids(other.get("/api/cases")) == [world.other_case.pk]
    assert other.get(f"/api/cases/{world.own_case.pk}").status_code == 404


def test_a_case_has_its_explanation_and_events(world, session_for):
    from wengang.cases import services

    services.hold(world.own_case, actor=world.users["agency"], reason="共用银行账户")
    staff = session_for("agency").get(f"/api/cases/{world.own_case.pk}").json()
    assert staff["reasons"][0]["passed"] is True
    assert staff["amount_fen"] == 11_945_000 and staff["amount_yuan"] == "119450.00"
    event = staff["events"][-1]
    assert (event["action"], event["actor"], event["channel"], event["reason"]) == (
        "held", "officer", "console", "共用银行账户")
    assert (event["state_before"], event["state_after"]) == ("awaiting_application", "on_hold")

    mine = session_for("enterprise").get(f"/api/cases/{world.own_case.pk}").json()
    assert [e["action"] for e in mine["events"]] == [e["action"] for e in staff["events"]]
    assert all(e["actor"] is None and e["channel"] is None for e in mine["events"])
    assert mine["events"][-1]["reason"] == "共用银行账户"


def test_a_case_id_too_large_for_the_database_is_refused_not_looked_up(world, session_for):
    response = session_for("agency").get(f"/api/cases/{2**63}")
    assert response.status_code == 422


def test_apply_by_is_a_date(world, session_for):
    item = session_for("enterprise").get("/api/cases").json()["items"][0]
    assert date.fromisoformat(item["apply_by"]) == world.own_case.apply_by


def test_a_persons_subsidy_case_is_listed_with_the_name_masked(world, session_for):
    trainee, _number = make_person(name="李四光")
    case = make_person_case(trainee, world.own_case.opened_by_run)  # no unit: a person's
    client = session_for("agency")
    (row,) = [item for item in client.get("/api/cases").json()["items"] if item["id"] == case.pk]
    assert row["uscc"] == "" and row["unit_name"] == case.person.name_masked
    assert row["region_code"] == case.person.region_code
    assert case.person.name not in client.get("/api/cases").content.decode()
    assert client.get(f"/api/cases/{case.pk}").status_code == 200
