"""Department review pages and the officer's review batches."""

import pytest
from django.test import Client
from django.urls import reverse

from wengang.cases.models import ReviewBatch, ReviewObjection, ReviewTask, State

pytestmark = pytest.mark.django_db


def _client(world, who: str) -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


def test_a_reviewer_sees_its_own_tasks_with_due_dates_and_overdue_marks(world):
    page = _client(world, "department").get(reverse("web:review-tasks")).content.decode()
    assert f"#{world.review_batch.pk}" in page and f"#{world.other_batch.pk}" not in page
    assert "2020-04-29" in page and "已逾期" in page  # due 29 April, today is 30 April


def test_a_reviewer_objects_to_a_named_case_with_a_reason(world):
    case = world.review_case
    response = _client(world, "department").post(
        reverse("web:review-task", kwargs={"pk": world.tax_task.pk}),
        {"decision": "object", f"object_{case.pk}": "1", f"reason_{case.pk}": "2019年有欠税"})
    assert response.status_code == 302
    task = ReviewTask.objects.get(pk=world.tax_task.pk)
    assert task.status == ReviewTask.Status.OBJECTED and task.decided_by == world.users["department"]
    assert ReviewObjection.objects.get(task=task).reason == "2019年有欠税"


def test_an_objection_without_a_reason_is_refused_and_nothing_changes(world):
    case = world.review_case
    page = _client(world, "department").post(
        reverse("web:review-task", kwargs={"pk": world.tax_task.pk}),
        {"decision": "object", f"object_{case.pk}": "1", f"reason_{case.pk}": " "})
    assert "须填写理由" in page.content.decode()
    assert ReviewTask.objects.get(pk=world.tax_task.pk).status == ReviewTask.Status.PENDING


def test_object_without_ticking_a_case_asks_for_one(world):
    page = _client(world, "department").post(
        reverse("web:review-task", kwargs={"pk": world.tax_task.pk}), {"decision": "object"})
    assert "请勾选有异议的案件" in page.content.decode()
    assert ReviewTask.objects.get(pk=world.tax_task.pk).status == ReviewTask.Status.PENDING


def test_when_the_last_department_agrees_the_batch_settles(world):
    for task, who in ((world.tax_task, "department"),):
        _client(world, who).post(reverse("web:review-task", kwargs={"pk": task.pk}),
                                 {"decision": "agree"})
    world.users["finance"].department = "market"
    world.users["finance"].save()
    _client(world, "finance").post(reverse("web:review-task", kwargs={"pk": world.market_task.pk}),
                                   {"decision": "agree"})
    world.review_case.refresh_from_db()
    assert world.review_case.state == State.APPROVED
    assert ReviewBatch.objects.get(pk=world.review_batch.pk).status == ReviewBatch.Status.SETTLED


def test_an_officer_opens_review_batches_and_lands_on_the_first(world, make_case):
    applied = make_case(State.APPLIED)
    response = _client(world, "agency").post(reverse("web:console-open-batches"),
                                             {"program": "inclusive-2020"})
    batch = ReviewBatch.objects.latest("pk")
    assert response["Location"] == reverse("web:console-batch", kwargs={"pk": batch.pk})
    applied.refresh_from_db()
    assert applied.state == State.IN_REVIEW
    page = _client(world, "agency").get(response["Location"]).content.decode()
    assert applied.unit.name in page


def test_nothing_to_review_is_said_plainly(world):
    response = _client(world, "agency").post(reverse("web:console-open-batches"),
                                             {"program": "difficult-2020"}, follow=True)
    assert "没有待联审的案件" in response.content.decode()
