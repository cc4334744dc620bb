"""Joint review: the region's batches (console), a department's tasks and its decision.

The department's machine channel reads its tasks here (``review:read``) and records agree or
object (``review:decide``); ``cases.review.record_decision`` checks department and region again.
"""

from django.db.models import Count
from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from wengang.cases import services
from wengang.cases.models import Channel, ReviewBatch, ReviewTask
from wengang.cases.review import cases_in
from wengang.core.clock import clock
from wengang.core.money import fen_to_yuan
from wengang.web.access import BATCH_ROLES, DECIDER_ROLES, REVIEWER_ROLES

from .auth import allow, user_of
from .errors import NotFound
from .models import Scope
from .pages import PageIn, page_of
from .schemas import (
    ACTION_ERRORS,
    ERRORS,
    DecisionIn,
    ObjectId,
    ReviewBatchOut,
    ReviewBatchPage,
    ReviewTaskDetailOut,
    TaskOut,
)

router = Router(tags=["review 部门联审"])


class OpenBatchIn(Schema):
    program: str = Field(min_length=1, max_length=32, description="e.g. inclusive-2020")


class TaskFilters(Schema):
    status: ReviewTask.Status | None = None


def _task(task: ReviewTask) -> dict:
    return {"id": task.pk, "batch_id": task.batch_id, "department": task.department,
            "status": task.status, "due_on": task.due_on,
            "overdue": task.status == ReviewTask.Status.PENDING and task.due_on < clock.today(),
            "decided_at": task.decided_at, "note": task.note}


def _batch(batch) -> dict:
    return {"id": batch.pk, "region_code": batch.region_code, "program": batch.program,
            "priority": batch.priority, "departments": batch.departments,
            "opened_on": batch.opened_on, "due_on": batch.due_on, "status": batch.status,
            "cases": batch.n, "tasks": [_task(task) for task in batch.tasks.all()]}


def _task_for(request: HttpRequest, task_id: int) -> ReviewTask:
    task = ReviewTask.objects.for_reviewer(user_of(request)).filter(pk=task_id).first()
    if task is None:
        raise NotFound("联审任务", "review task")
    return task


@router.get("/review/batches", response={200: ReviewBatchPage, **ERRORS},
            operation_id="list_review_batches", summary="Review batches of your region")
@allow(*BATCH_ROLES, scope=Scope.REVIEW_READ)
def list_review_batches(request: HttpRequest, paging: Query[PageIn]):
    batches = (ReviewBatch.objects.visible_to(user_of(request)).prefetch_related("tasks").annotate(n=Count("items"))
               .order_by("status", "-priority", "due_on", "id"))
    return page_of(batches, paging, _batch)


@router.post("/review/batches", response={200: list[ReviewBatchOut], **ACTION_ERRORS},
             operation_id="open_review_batches",
             summary="Send the region's cases ready for review to the departments (as the console)")
@allow(*DECIDER_ROLES, scope=Scope.CASES_DECIDE)
def open_review_batches(request: HttpRequest, body: OpenBatchIn):
    user = user_of(request)
    opened = services.open_review_batches(actor=user, region_code=user.region_code,
                                          program=body.program, channel=Channel.API)
    batches = (ReviewBatch.objects.filter(pk__in=[b.pk for b in opened])
               .prefetch_related("tasks").annotate(n=Count("items")).order_by("id"))
    return [_batch(batch) for batch in batches]


@router.get("/review/tasks", response={200: list[TaskOut], **ERRORS},
            operation_id="list_review_tasks",
            summary="Your department's review tasks in your region, priority and due first")
@allow(*REVIEWER_ROLES, scope=Scope.REVIEW_READ)
def list_review_tasks(request: HttpRequest, filters: Query[TaskFilters]):
    tasks = ReviewTask.objects.for_reviewer(user_of(request)).select_related("batch")
    if filters.status:
        tasks = tasks.filter(status=filters.status)
    return [_task(task) for task in tasks.order_by("status", "-batch__priority", "due_on", "id")]


@router.get("/review/tasks/{task_id}", response={200: ReviewTaskDetailOut, **ERRORS},
            operation_id="get_review_task",
            summary="A review task with the batch's cases and your objections")
@allow(*REVIEWER_ROLES, scope=Scope.REVIEW_READ)
def get_review_task(request: HttpRequest, task_id: ObjectId):
    task = _task_for(request, task_id)
    objected = dict(task.objections.values_list("case_id", "reason"))
    cases = [{"id": case.pk, "uscc": case.unit.uscc, "unit_name": case.unit.name,
              "region_code": case.unit.region_code, "size": case.size,
              "amount_fen": case.amount_fen, "amount_yuan": fen_to_yuan(case.amount_fen),
              "objection": objected.get(case.pk)}
             for case in cases_in(task.batch).select_related("unit").order_by("pk")]
    return {**_task(task), "program": task.batch.program, "region_code": task.batch.region_code,
            "cases": cases}


@router.post("/review/tasks/{task_id}/decision", response={200: TaskOut, **ACTION_ERRORS},
             operation_id="decide_review_task",
             summary="Agree to the whole batch, or object to named cases with a reason each")
@allow(*REVIEWER_ROLES, scope=Scope.REVIEW_DECIDE)
def decide_review_task(request: HttpRequest, task_id: ObjectId, decision: DecisionIn):
    task = _task_for(request, task_id)
    decided = services.record_decision(task, actor=user_of(request),
                                       objections=decision.objections, note=decision.note,
                                       channel=Channel.API)
    return _task(decided)
