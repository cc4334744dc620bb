"""Service-officer tasks (服务专员): restructured, merged or split units a person handles. The
console roles read their region's tasks; an officer (agency, service officer) takes one and
closes it with what was done — ``cases.service_officers`` checks role and region again."""

from datetime import date, datetime

from django.http import HttpRequest
from ninja import Field, Query, Router, Schema

from wengang.cases import services
from wengang.cases.models import ServiceOfficerTask
from wengang.cases.service_officers import OFFICERS
from wengang.web.access import CONSOLE_ROLES

from .auth import allow, user_of
from .errors import NotFound
from .models import Scope
from .pages import PageIn, page_of
from .schemas import ACTION_ERRORS, ERRORS, ObjectId, Page, Text

router = Router(tags=["service tasks 服务专员"])


class ServiceTaskOut(Schema):
    id: int
    uscc: str
    unit_name: str
    region_code: str
    restructure_kind: str
    restructured_on: date
    facts: dict = Field(description="what the officer needs to handle it")
    status: str
    status_label: str
    assigned_to: str | None
    created_at: datetime
    done_at: datetime | None
    note: str


class ServiceTaskPage(Page):
    items: list[ServiceTaskOut]


class ServiceTaskFilters(Schema):
    status: ServiceOfficerTask.Status | None = None


class CompleteIn(Schema):
    note: Text(2000, min_length=1, description="what was done, e.g. 合并后由存续企业申请，已告知")


def _task(task: ServiceOfficerTask) -> dict:
    return {"id": task.pk, "uscc": task.unit.uscc, "unit_name": task.unit.name,
            "region_code": task.unit.region_code, "restructure_kind": task.restructure_kind,
            "restructured_on": task.restructured_on, "facts": task.facts,
            "status": task.status, "status_label": str(task.get_status_display()),
            "assigned_to": task.assigned_to.username if task.assigned_to else None,
            "created_at": task.created_at, "done_at": task.done_at, "note": task.note}


def _tasks(request: HttpRequest):
    return ServiceOfficerTask.objects.visible_to(user_of(request)).select_related(
        "unit", "assigned_to")


def _task_for(request: HttpRequest, task_id: int) -> ServiceOfficerTask:
    task = _tasks(request).filter(pk=task_id).first()
    if task is None:
        raise NotFound("服务专员任务", "service task")
    return task


@router.get("/service-tasks", response={200: ServiceTaskPage, **ERRORS},
            operation_id="list_service_tasks",
            summary="Service-officer tasks of your region (restructured units), open first")
@allow(*CONSOLE_ROLES, scope=Scope.CASES_READ)
def list_service_tasks(request: HttpRequest, filters: Query[ServiceTaskFilters],
                       paging: Query[PageIn]):
    tasks = _tasks(request)
    if filters.status:
        tasks = tasks.filter(status=filters.status)
    return page_of(tasks.order_by("-status", "restructured_on", "id"), paging, _task)


@router.post("/service-tasks/{task_id}/take", response={200: ServiceTaskOut, **ACTION_ERRORS},
             operation_id="take_service_task", summary="Take an open task yourself")
@allow(*OFFICERS, scope=Scope.CASES_DECIDE)
def take_service_task(request: HttpRequest, task_id: ObjectId):
    task = _task_for(request, task_id)
    services.assign_service_task(task, actor=user_of(request), officer=user_of(request))
    return _task(_task_for(request, task.pk))


@router.post("/service-tasks/{task_id}/completion",
             response={200: ServiceTaskOut, **ACTION_ERRORS},
             operation_id="complete_service_task", summary="Close a task with what was done")
@allow(*OFFICERS, scope=Scope.CASES_DECIDE)
def complete_service_task(request: HttpRequest, task_id: ObjectId, body: CompleteIn):
    task = _task_for(request, task_id)
    services.complete_service_task(task, actor=user_of(request), note=body.note)
    return _task(_task_for(request, task.pk))
