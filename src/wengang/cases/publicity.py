"""Publicity (公示): publish approved cases, take objections, resolve them, close the period.

    batch = open_publicity(actor=officer, region_code="360100", program="inclusive-2020")
    objection = file_objection(case, objector_name="王某", objector_contact="139…", reason="…")
    resolve_objection(objection, actor=officer, uphold=False, note="核实无误")
    close_publicity(batch, actor=officer)         # on the first day after the period

Opening a batch also writes the public list's rows (``write_listing`` → ``PublicityListing``):
what the public pages and the public API show and search, one indexed table.

Where the region lets review and publicity overlap (随审随公示, ``review_publicity_overlap``),
cases still in joint review are published too: they stay in review on the list, an objection
holds them like any other, and they become payable only once every department has agreed and
the period has ended without an open objection (``workflow.settle_published``).

A period of n working days includes its first day (``calendar.period_end``): five working days
from Wednesday 29 April 2020 end on Friday 8 May. Objections are taken from the first to the
last day; each puts its case on hold until resolved. At the close, cases without open
objections become payable; a held case becomes payable when its last objection is dismissed.
"""

from datetime import date

from django.db import transaction

from wengang.accounts.models import User
from wengang.core.clock import clock
from wengang.core.workdays import WorkCalendar

from . import workflow
from .calendar import period_end, period_start, work_calendar
from .errors import (
    NothingToDo,
    ObjectionAlreadyResolved,
    PreconditionFailed,
    PublicityNotRunning,
    PublicityRunning,
    ReasonRequired,
)
from .models import (
    Action,
    Case,
    Channel,
    HoldKind,
    Objection,
    PublicityBatch,
    PublicityItem,
    PublicityListing,
    State,
    mask_name,
)
from .parameters import parameters_for


def open_publicity(*, actor: User, region_code: str, program: str = "",
                   case_ids: list[int] | None = None, start_on: date | None = None,
                   today: date | None = None, calendar: WorkCalendar | None = None,
                   channel: str = Channel.CONSOLE, request_id: str = "") -> PublicityBatch:
    """Publish the approved cases of a region (and program) for the region's publicity period."""
    workflow.require_role(actor, Action.PUBLICITY_STARTED)
    workflow.require_region(actor, region_code)
    today = today or clock.today()
    calendar = calendar or work_calendar()
    start = period_start(calendar, start_on or today)
    if start < today:
        raise PreconditionFailed(f"公示开始日 {start} 早于今天 {today}",
                                 f"publicity cannot start in the past ({start} < {today})")
    params = parameters_for(region_code, program)
    cases = Case.objects.in_region(region_code)
    if program:
        cases = cases.for_program(program)
    if case_ids is not None:
        cases = cases.filter(pk__in=case_ids)
    ids = list(cases.approved().priority_first().values_list("pk", flat=True))
    in_review = []
    if params.review_publicity_overlap:  # 随审随公示: published once, while review runs
        in_review = list(cases.in_state(State.IN_REVIEW).filter(publicity_items__isnull=True)
                         .priority_first().values_list("pk", flat=True))
    if not ids and not in_review:
        raise NothingToDo(f"{region_code} 没有待公示的已审核案件",
                          f"no approved case in {region_code} waits for publicity")
    with transaction.atomic():
        batch = PublicityBatch.objects.create(
            region_code=region_code, program=program, start_on=start,
            end_on=period_end(calendar, start, params.publicity_days),
            workdays=params.publicity_days, opened_by=actor, opened_at=clock.now())
        moved = workflow.start_publicity_many(ids, actor=actor, batch=batch, channel=channel,
                                              request_id=request_id)
        moved += workflow.publish_in_review_many(in_review, actor=actor, batch=batch,
                                                 channel=channel, request_id=request_id)
        if not moved:
            raise NothingToDo(f"{region_code} 没有待公示的已审核案件",
                              f"no approved case in {region_code} waits for publicity")
        PublicityItem.objects.bulk_create([PublicityItem(batch=batch, case_id=pk) for pk in moved],
                                          batch_size=1000)
        write_listing(batch)
    return batch


_LISTING_CHUNK = 2000


def write_listing(batch: PublicityBatch) -> int:
    """Write the public list's rows of ``batch`` (``PublicityListing``): one per item that has
    none yet, as the case is that day; return how many were written.

    Called in the transaction that publishes the batch, so the public page never shows a
    batch without its rows. A unit is listed by its name and code, a person by the masked
    name only (the public never sees a resident ID or a full name).
    """
    pending = (Case.objects.filter(publicity_items__batch=batch)
               .exclude(pk__in=PublicityListing.objects.filter(batch=batch).values("case_id"))
               .order_by("pk")
               .values_list("pk", "unit__name", "unit__uscc", "person__name", "program",
                            "amount_fen"))
    rows = [PublicityListing(batch=batch, case_id=pk, program=program, amount_fen=amount_fen,
                             name=unit_name if unit_name is not None else mask_name(person_name),
                             code=uscc or "")
            for pk, unit_name, uscc, person_name, program, amount_fen
            in pending.iterator(chunk_size=_LISTING_CHUNK)]
    PublicityListing.objects.bulk_create(rows, batch_size=_LISTING_CHUNK)
    return len(rows)


def _running_item(case: Case, today: date) -> PublicityItem | None:
    item = (PublicityItem.objects.filter(case=case).select_related("batch")
            .order_by("-batch_id").first())
    if item is None or item.batch.status != PublicityBatch.Status.OPEN:
        return None
    if not item.batch.start_on <= today <= item.batch.end_on:
        return None
    return item


def file_objection(case: Case, *, objector_name: str, objector_contact: str, reason: str,
                   actor: User | None = None, channel: str = Channel.PUBLIC,
                   request_id: str = "", today: date | None = None) -> Objection:
    """Record an objection from the public; the case goes on hold until it is resolved.

    ``actor`` is the officer who records an objection received by phone or letter; a member of
    the public filing online has no account (``actor=None``).
    """
    if actor is not None:
        workflow.require_actor_for_case(actor, case, Action.OBJECTION_FILED)
    if not reason.strip() or not objector_name.strip() or not objector_contact.strip():
        raise ReasonRequired("公示异议（须有姓名、联系方式和理由） / an objection (name, contact, reason)")
    today = today or clock.today()
    with transaction.atomic():
        current = Case.objects.select_for_update().get(pk=case.pk)
        item = _running_item(current, today)
        if item is None:
            raise PublicityNotRunning(current.pk)
        if not (current.state == State.ON_HOLD and current.hold_kind == HoldKind.OBJECTION):
            workflow.hold_for_objection(current, actor=actor, objector_label=f"公众：{objector_name}",
                                        reason=reason, channel=channel, request_id=request_id)
        return Objection.objects.create(
            case=current, batch=item.batch, objector_name=objector_name,
            objector_contact=objector_contact, reason=reason, filed_at=clock.now(),
            filed_by=actor, channel=channel)


def resolve_objection(objection: Objection, *, actor: User, uphold: bool, note: str,
                      channel: str = Channel.CONSOLE, request_id: str = "",
                      today: date | None = None) -> Objection:
    """Decide an objection: upheld → the case is rejected; dismissed → released when no other
    objection is open (back into publicity, or payable if the period has ended)."""
    case = objection.case
    workflow.require_actor_for_case(actor, case, Action.RELEASED)
    if not note.strip():
        raise ReasonRequired("处理公示异议 / resolving an objection")
    today = today or clock.today()
    with transaction.atomic():
        locked = Objection.objects.select_for_update().get(pk=objection.pk)
        if locked.status != Objection.Status.OPEN:
            raise ObjectionAlreadyResolved(locked.pk, str(locked.get_status_display()))
        current = Case.objects.select_for_update().get(pk=locked.case_id)
        locked.status = Objection.Status.UPHELD if uphold else Objection.Status.DISMISSED
        locked.resolved_at = clock.now()
        locked.resolved_by = actor
        locked.resolution = note
        locked.save(update_fields=["status", "resolved_at", "resolved_by", "resolution"])
        held = current.state == State.ON_HOLD and current.hold_kind == HoldKind.OBJECTION
        if uphold:
            if held:
                workflow.reject_on_objection(current, actor=actor,
                                             reason=f"公示异议成立：{note}", channel=channel,
                                             request_id=request_id)
            (Objection.objects.filter(case=current, status=Objection.Status.OPEN)
             .update(status=Objection.Status.MOOT, resolved_at=clock.now(), resolved_by=actor,
                     resolution="同一案件的其他异议已成立，案件不予通过"))
        elif held and not Objection.objects.filter(case=current,
                                                   status=Objection.Status.OPEN).exists():
            workflow.release(current, actor=actor, reason=f"公示异议不成立：{note}",
                             channel=channel, request_id=request_id, today=today,
                             kind=HoldKind.OBJECTION)
    objection.refresh_from_db()
    return objection


def close_publicity(batch: PublicityBatch, *, actor: User, today: date | None = None,
                    channel: str = Channel.CONSOLE, request_id: str = "") -> int:
    """After the last day, make every case still in publicity payable; return how many.

    Cases published while still in review stay in review: they become payable when it agrees.
    """
    workflow.require_role(actor, Action.MADE_PAYABLE)
    workflow.require_region(actor, batch.region_code)
    today = today or clock.today()
    with transaction.atomic():
        locked = PublicityBatch.objects.select_for_update().get(pk=batch.pk)
        if locked.status != PublicityBatch.Status.OPEN:
            raise NothingToDo(f"公示批次 {locked.pk} 已结束", f"publicity batch {locked.pk} is closed")
        if today <= locked.end_on:
            raise PublicityRunning(locked.pk, locked.end_on)
        ids = list(Case.objects.filter(publicity_items__batch=locked, state=State.IN_PUBLICITY)
                   .values_list("pk", flat=True))
        moved = workflow.make_payable_many(ids, actor=actor, batch=locked, channel=channel,
                                           request_id=request_id, today=today)
        locked.status = PublicityBatch.Status.CLOSED
        locked.closed_at = clock.now()
        locked.closed_by = actor
        locked.save(update_fields=["status", "closed_at", "closed_by"])
    batch.refresh_from_db()
    return len(moved)
