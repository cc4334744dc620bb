"""Service-officer tasks in the console: the service officer takes and completes them; others
of the console see them; another region sees none."""

from datetime import date

import pytest
from django.test import Client
from django.urls import reverse

from wengang.cases.models import ServiceOfficerTask

pytestmark = pytest.mark.django_db


@pytest.fixture
def task(world) -> ServiceOfficerTask:
    case = world.own_case
    return ServiceOfficerTask.objects.create(
        unit=case.unit, restructure_kind="merger", restructured_on=date(2019, 9, 1),
        created_at=case.created_at, run=case.screening_run)


def _client(world, who: str) -> Client:
    client = Client()
    client.force_login(world.users[who])
    return client


def test_the_service_officer_takes_and_completes_a_task(world, task):
    client = _client(world, "service_officer")
    assert [t.pk for t in client.get(reverse("web:console-service-tasks")).context["page"]] == [
        task.pk]
    client.post(reverse("web:console-service-task-take", kwargs={"pk": task.pk}))
    client.post(reverse("web:console-service-task-complete", kwargs={"pk": task.pk}),
                {"note": "合并后由存续企业申请，已告知"})
    task.refresh_from_db()
    assert (task.status, task.assigned_to, task.note) == (
        ServiceOfficerTask.Status.DONE, world.users["service_officer"], "合并后由存续企业申请，已告知")
    home = _client(world, "agency").get(reverse("web:console-home"))
    assert home.context["open_service_tasks"] == 0


def test_a_task_is_not_closed_without_a_note(world, task):
    page = _client(world, "service_officer").post(
        reverse("web:console-service-task-complete", kwargs={"pk": task.pk}), {"note": ""},
        follow=True)
    assert "请填写办理情况。" in [str(m) for m in page.context["messages"]]
    task.refresh_from_db()
    assert task.status == ServiceOfficerTask.Status.OPEN


def test_the_supervisor_sees_tasks_and_another_region_does_not(world, task):
    assert _client(world, "agency").get(reverse("web:console-home")).context[
        "open_service_tasks"] == 1
    supervisor = _client(world, "supervisor")
    assert supervisor.post(reverse("web:console-service-task-complete", kwargs={"pk": task.pk}),
                           {"note": "已办"}).status_code == 403
    other = _client(world, "other_agency")
    assert list(other.get(reverse("web:console-service-tasks")).context["page"]) == []
    assert other.post(reverse("web:console-service-task-take",
                              kwargs={"pk": task.pk})).status_code == 404
    task.refresh_from_db()
    assert (task.status, task.assigned_to) == (ServiceOfficerTask.Status.OPEN, None)
