"""Service-officer tasks (服务专员): restructured, merged or split units handled in person.

The loader opens a task for each restructured unit with a case (registry feed:
``restructured_on``, ``restructure_kind``), once per restructuring, with the facts the officer
needs. Officers take a task and close it with a note of what they did.
"""

from django.db import transaction

from wengang.accounts.models import Role, User
from wengang.core.clock import clock

from . import workflow
from .errors import NothingToDo, ReasonRequired, WrongRole
from .models import ServiceOfficerTask

ASSIGNERS = (Role.AGENCY, Role.SUPERVISOR)
OFFICERS = (Role.AGENCY, Role.SERVICE_OFFICER)
"""Who handles the task: an agency officer, or a service officer (服务专员, DOMAIN.md actors)."""


def _require(actor: User, task: ServiceOfficerTask, roles: tuple[str, ...]) -> None:
    if actor is None or actor.role not in roles or not actor.is_active:
        raise WrongRole("服务专员任务", str(actor.role) if actor else "system",
                        tuple(str(role) for role in roles))
    workflow.require_region(actor, task.unit.region_code)


def assign_service_task(task: ServiceOfficerTask, *, actor: User, officer: User) -> ServiceOfficerTask:
    """Give the task to an officer of the unit's region (an officer may take it themselves)."""
    taking_it = actor is not None and officer is not None and actor.pk == officer.pk
    _require(actor, task, OFFICERS if taking_it else ASSIGNERS)
    _require(officer, task, OFFICERS)
    with transaction.atomic():
        locked = ServiceOfficerTask.objects.select_for_update().get(pk=task.pk)
        if locked.status != ServiceOfficerTask.Status.OPEN:
            raise NothingToDo(f"服务专员任务 {locked.pk} 已办结", f"service task {locked.pk} is done")
        locked.assigned_to = officer
        locked.save(update_fields=["assigned_to"])
    return locked


def complete_service_task(task: ServiceOfficerTask, *, actor: User, note: str) -> ServiceOfficerTask:
    """Close the task with what was done (e.g. "合并后由存续企业申请，已告知")."""
    _require(actor, task, OFFICERS)
    if not note.strip():
        raise ReasonRequired("办结服务专员任务 / closing a service task")
    with transaction.atomic():
        locked = ServiceOfficerTask.objects.select_for_update().get(pk=task.pk)
        if locked.status != ServiceOfficerTask.Status.OPEN:
            raise NothingToDo(f"服务专员任务 {locked.pk} 已办结", f"service task {locked.pk} is done")
        locked.status = ServiceOfficerTask.Status.DONE
        locked.done_at = clock.now()
        locked.note = note
        locked.assigned_to = locked.assigned_to or actor
        locked.save(update_fields=["status", "done_at", "note", "assigned_to"])
    return locked
