"""Sending as background work: enqueued through the Django tasks API, run by the db worker."""

import pytest
from django.core.management import call_command

from wengang.outreach.models import Channel, Dispatch, Notice, Status
from wengang.outreach.planning import plan
from wengang.outreach.tasks import enqueue_sending

pytestmark = pytest.mark.django_db(transaction=True)


@pytest.mark.parametrize("backend", ["django_tasks_db.DatabaseBackend",
                                     "django.tasks.backends.immediate.ImmediateBackend"])
def test_a_queued_sending_run_sends_and_reports_progress(make_case, settings, backend):
    settings.TASKS = {"default": {"BACKEND": backend}}
    for _ in range(3):
        make_case()
    plan(channels=[Channel.INBOX])

    dispatch = enqueue_sending(Channel.INBOX)
    assert dispatch.task_id
    if backend.startswith("django_tasks_db"):
        assert Dispatch.objects.get(pk=dispatch.pk).finished_at is None  # waits for the worker
        call_command("db_worker", "--batch", "--no-reload", "--no-startup-delay")

    dispatch.refresh_from_db()
    assert (dispatch.due, dispatch.sent, dispatch.done) == (3, 3, 3)
    assert dispatch.finished_at is not None
    assert set(Notice.objects.values_list("status", flat=True)) == {Status.DELIVERED}
