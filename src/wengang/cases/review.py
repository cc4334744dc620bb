"""Joint review (部门联审): open batches, record department decisions, settle, chase overdue tasks.

    batches = open_review_batches(actor=officer, region_code="360100", program="inclusive-2020")
    record_decision(task, actor=tax_reviewer)                              # agree to all
    record_decision(task, actor=tax_reviewer, objections={case.pk: "有欠税"})

Cases ready for review (automatic cases not yet reviewed, applied cases, returned cases) are
grouped by priority and by reviewer list (which may depend on size): one batch per group, one
task per department, due in working days (default 3; priority 1). When the last department has
decided, the batch settles: cases nobody objected to are approved, the others go back to the
agency with every department's reason (or are rejected, where the region says so). A batch
without departments (e.g. small and micro firms in a city that dropped joint review) is approved
by the agency itself (``approve_batch``).
"""

from collections import defaultdict
from collections.abc import Mapping
from datetime import date

from django.db import transaction
from django.db.models import QuerySet

from wengang.accounts.models import Department, Role, User
from wengang.core.clock import clock
from wengang.core.workdays import WorkCalendar

from . import workflow
from .calendar import deadline_after, work_calendar
from .errors import NothingToDo, NotInBatch, ReasonRequired, TaskAlreadyDecided, WrongRole
from .models import (
    Action,
    Case,
    Channel,
    ReviewBatch,
    ReviewItem,
    ReviewObjection,
    ReviewTask,
    State,
)
from .parameters import parameters_for


def open_review_batches(*, actor: User, region_code: str, program: str,
                        case_ids: list[int] | None = None, limit: int | None = None,
                        today: date | None = None, calendar: WorkCalendar | None = None,
                        channel: str = Channel.CONSOLE, request_id: str = "") -> list[ReviewBatch]:
    """Send the cases ready for review to the departments; return the batches opened.

    ``case_ids`` picks cases; ``limit`` caps the number (priority cases first).
    """
    workflow.require_role(actor, Action.REVIEW_STARTED)
    workflow.require_region(actor, region_code)
    today = today or clock.today()
    calendar = calendar or work_calendar()
    training = Case.objects.for_program(program).training().exists()
    params = parameters_for(region_code, program, training=training)
    ready = Case.objects.ready_for_review().in_region(region_code).for_program(program)
    if case_ids is not None:
        ready = ready.filter(pk__in=case_ids)
    ready = ready.priority_first()
    if limit is not None:
        ready = ready[:limit]
    groups: dict[tuple[bool, tuple[str, ...]], list[int]] = defaultdict(list)
    for pk, priority, size in ready.values_list("pk", "priority", "size"):
        groups[(priority, params.reviewers_for(size))].append(pk)
    if not groups:
        raise NothingToDo(f"{region_code} 的 {program} 没有待联审的案件",
                          f"no case of {program} in {region_code} is ready for review")
    batches = []
    now = clock.now()
    with transaction.atomic():
        for (priority, departments), ids in sorted(groups.items(), key=lambda g: (not g[0][0], g[0][1])):
            due_on = deadline_after(calendar, today, params.review_days_for(priority=priority))
            batch = ReviewBatch.objects.create(
                region_code=region_code, program=program, priority=priority,
                departments=list(departments), opened_on=today, due_on=due_on, opened_by=actor,
                opened_at=now)
            moved = workflow.start_review_many(ids, actor=actor, channel=channel,
                                               request_id=request_id, batch_id=batch.pk)
            if not moved:
                batch.delete()
                continue
            ReviewItem.objects.bulk_create([ReviewItem(batch=batch, case_id=pk) for pk in moved],
                                           batch_size=1000)
            ReviewTask.objects.bulk_create([
                ReviewTask(batch=batch, department=department, due_on=due_on)
                for department in departments
            ])
            batches.append(batch)
    return batches


def _require_reviewer(actor: User, task: ReviewTask) -> None:
    department = actor.review_department if actor is not None else None
    if actor is None or department is None or not actor.is_active:
        raise WrongRole("联审", str(actor.role) if actor else "system",
                        (str(Role.DEPARTMENT), str(Role.FINANCE)))
    if department != task.department:
        raise WrongRole(f"{Department(task.department).label}的联审",
                        f"{actor.role}/{department}", (str(task.department),))
    workflow.require_region(actor, task.batch.region_code)


def record_decision(task: ReviewTask, *, actor: User, objections: Mapping[int, str] | None = None,
                    note: str = "", today: date | None = None, channel: str = Channel.CONSOLE,
                    request_id: str = "") -> ReviewTask:
    """A department agrees to the whole batch, or objects to named cases with a reason each.

    The batch row is locked first, so two departments deciding at the same moment settle the
    batch exactly once.
    """
    _require_reviewer(actor, task)
    objections = {int(pk): reason.strip() for pk, reason in (objections or {}).items()}
    if any(not reason for reason in objections.values()):
        raise ReasonRequired("联审异议 / a review objection")
    today = today or clock.today()
    with transaction.atomic():
        batch = ReviewBatch.objects.select_for_update().get(pk=task.batch_id)
        locked = ReviewTask.objects.select_for_update().get(pk=task.pk)
        if locked.status != ReviewTask.Status.PENDING:
            raise TaskAlreadyDecided(locked.pk, str(locked.get_status_display()))
        in_batch = set(ReviewItem.objects.filter(batch=batch, case_id__in=list(objections))
                       .values_list("case_id", flat=True))
        outside = sorted(set(objections) - in_batch)
        if outside:
            raise NotInBatch(batch.pk, outside)
        locked.status = ReviewTask.Status.OBJECTED if objections else ReviewTask.Status.AGREED
        locked.decided_at = clock.now()
        locked.decided_by = actor
        locked.note = note
        locked.save(update_fields=["status", "decided_at", "decided_by", "note"])
        ReviewObjection.objects.bulk_create([
            ReviewObjection(task=locked, case_id=pk, reason=reason)
            for pk, reason in sorted(objections.items())
        ])
        if not batch.tasks.pending().exists():
            _settle(batch, actor=actor, today=today, channel=channel, request_id=request_id)
    task.refresh_from_db()
    return task


def _settle(batch: ReviewBatch, *, actor: User, today: date, channel: str,
            request_id: str) -> None:
    """Approve the cases nobody objected to; return (or reject) the others with the reasons."""
    reasons: dict[int, list[str]] = defaultdict(list)
    for case_id, department, reason in (ReviewObjection.objects.filter(task__batch=batch)
                                        .values_list("case_id", "task__department", "reason")
                                        .order_by("task__department")):
        reasons[case_id].append(f"{Department(department).label}：{reason}")
    item_case_ids = list(batch.items.values_list("case_id", flat=True))
    approve_ids = [pk for pk in item_case_ids if pk not in reasons]
    reject = parameters_for(batch.region_code, batch.program).reject_on_objection
    approved, sent_back = workflow.settle_many(
        approve_ids=approve_ids, return_reasons={pk: "；".join(r) for pk, r in reasons.items()},
        reject=reject, actor=actor, channel=channel, request_id=request_id, today=today)
    workflow.settle_published(approved, actor=actor, channel=channel, request_id=request_id,
                              today=today)
    items = batch.items
    items.filter(case_id__in=approved).update(outcome=ReviewItem.Outcome.APPROVED)
    items.filter(case_id__in=sent_back).update(
        outcome=ReviewItem.Outcome.REJECTED if reject else ReviewItem.Outcome.RETURNED)
    items.filter(outcome=ReviewItem.Outcome.PENDING).update(outcome=ReviewItem.Outcome.LEFT)
    batch.status = ReviewBatch.Status.SETTLED
    batch.settled_at = clock.now()
    batch.save(update_fields=["status", "settled_at"])


def approve_batch(batch: ReviewBatch, *, actor: User, today: date | None = None,
                  channel: str = Channel.CONSOLE, request_id: str = "") -> int:
    """The agency approves a batch that needs no department (its reviewer list is empty)."""
    workflow.require_role(actor, Action.APPROVED, roles=workflow.AGENCY_DECIDERS)
    workflow.require_region(actor, batch.region_code)
    with transaction.atomic():
        locked = ReviewBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != ReviewBatch.Status.OPEN:
            raise NothingToDo(f"联审批次 {locked.pk} 已办结", f"review batch {locked.pk} is settled")
        pending = [t.get_department_display() for t in locked.tasks.all()]
        if pending:
            raise NothingToDo(f"联审批次 {locked.pk} 由各部门审核（{'、'.join(map(str, pending))}），办结后自动通过",
                              f"review batch {locked.pk} is decided by its departments")
        _settle(locked, actor=actor, today=today or clock.today(), channel=channel,
                request_id=request_id)
    return locked.items.filter(outcome=ReviewItem.Outcome.APPROVED).count()


def overdue_tasks(*, today: date | None = None, region_code: str | None = None) -> QuerySet:
    """Pending review tasks past their due date, priority batches first."""
    tasks = ReviewTask.objects.overdue(today or clock.today()).select_related("batch")
    if region_code:
        tasks = tasks.in_region(region_code)
    return tasks.priority_first()


def escalate_overdue(*, today: date | None = None, region_code: str | None = None) -> list[ReviewTask]:
    """Mark each overdue task escalated today (once a day); return the tasks escalated.

    Sending the reminder to the department (SMS, in-site message) is outreach's job: it reads
    the tasks with ``escalated_on`` = today.
    """
    today = today or clock.today()
    tasks = list(overdue_tasks(today=today, region_code=region_code)
                 .exclude(escalated_on=today))
    for task in tasks:
        task.escalated_on = today
        task.escalations += 1
    ReviewTask.objects.bulk_update(tasks, ["escalated_on", "escalations"])
    return tasks


def cases_in(batch: ReviewBatch, *, state: State | None = None) -> QuerySet:
    cases = Case.objects.filter(review_items__batch=batch)
    return cases.filter(state=state) if state else cases
