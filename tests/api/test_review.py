"""Joint review through the API: a department's machine fetches its tasks and agrees or objects;
the decision goes through ``cases.review`` (the batch settles when the last department decides)."""

import pytest

from wengang.cases.models import CaseEvent, ReviewObjection, ReviewTask, State

from .conftest import bearer

pytestmark = pytest.mark.django_db


@pytest.fixture
def tax(world, token_for):
    return bearer(token_for(world.users["department"], ["review:read", "review:decide"]))


@pytest.fixture
def market(world, token_for):
    from wengang.accounts.models import Department, Role, User

    user = User.objects.create_user("market", password=None, role=Role.DEPARTMENT,
                                    region_code="360100", department=Department.MARKET)
    return bearer(token_for(user, ["review:read", "review:decide"]))


def decide(client, task, headers, objections=None):
    return client.post(f"/api/review/tasks/{task.pk}/decision",
                       {"objections": objections or {}, "note": "按期办理"},
                       content_type="application/json", headers=headers)


def test_a_department_fetches_only_its_own_tasks_of_its_region(world, client, tax):
    tasks = client.get("/api/review/tasks", headers=tax).json()
    assert [t["id"] for t in tasks] == [world.tax_task.pk]   # not market's, not Jingdezhen's
    assert tasks[0]["overdue"] is True  # due 29 April, today is the 30th
    assert client.get("/api/review/tasks?status=agreed", headers=tax).json() == []
    detail = client.get(f"/api/review/tasks/{world.tax_task.pk}", headers=tax).json()
    assert [c["id"] for c in detail["cases"]] == [world.review_case.pk]
    assert client.get(f"/api/review/tasks/{world.other_task.pk}", headers=tax).status_code == 404
    assert client.get(f"/api/review/tasks/{world.market_task.pk}", headers=tax).status_code == 404


def test_objections_return_the_case_once_every_department_has_decided(world, client, tax, market):
    objected = decide(client, world.tax_task, tax, {world.review_case.pk: "2019年有欠税"})
    assert objected.status_code == 200, objected.content
    assert objected.json()["status"] == "objected"
    assert ReviewObjection.objects.get().reason == "2019年有欠税"
    world.review_case.refresh_from_db()
    assert world.review_case.state == State.IN_REVIEW  # market has not decided yet

    assert decide(client, world.market_task, market).json()["status"] == "agreed"
    world.review_case.refresh_from_db()
    assert world.review_case.state == State.RETURNED
    event = CaseEvent.objects.filter(case=world.review_case).last()
    assert (event.channel, event.actor.username) == ("api", "market")
    shown = client.get(f"/api/review/tasks/{world.tax_task.pk}", headers=tax).json()
    assert shown["cases"][0]["objection"] == "2019年有欠税"


def test_agreement_of_every_department_approves(world, client, tax, market):
    decide(client, world.tax_task, tax)
    decide(client, world.market_task, market)
    world.review_case.refresh_from_db()
    assert world.review_case.state in (State.APPROVED, State.IN_PUBLICITY)


@pytest.mark.parametrize(("objections", "status", "code"), [
    ({"999999": "不在本批次"}, 409, "not_in_batch"),
    ({"REVIEW": "  "}, 409, "reason_required"),
    ({"abc": "x"}, 422, "invalid_request"),
])
def test_a_refused_decision_says_why_and_changes_nothing(world, client, tax, objections, status,
                                                           code):
    objections = {(str(world.review_case.pk) if k == "REVIEW" else k): v
                  for k, v in objections.items()}
    response = decide(client, world.tax_task, tax, objections)
    assert response.status_code == status, response.content
    body = response.json()
    assert body["code"] == code and body["message_zh"] and body["message_en"]
    assert ReviewTask.objects.get(pk=world.tax_task.pk).status == "pending"
    assert not ReviewObjection.objects.exists()


def test_a_task_is_decided_once(world, client, tax):
    assert decide(client, world.tax_task, tax).status_code == 200
    again = decide(client, world.tax_task, tax, {world.review_case.pk: "改变主意"})
    assert again.status_code == 409
    assert again.json()["code"] == "task_decided"
    assert ReviewTask.objects.get(pk=world.tax_task.pk).status == "agreed"


def test_the_console_lists_the_regions_batches(world, session_for):
    body = session_for("agency").get("/api/review/batches").json()
    assert [b["id"] for b in body["items"]] == [world.review_batch.pk]
    assert body["items"][0]["cases"] == 1
    assert {t["department"] for t in body["items"][0]["tasks"]} == {"tax", "market"}
    everything = session_for("admin").get("/api/review/batches").json()
    assert everything["count"] == 2
