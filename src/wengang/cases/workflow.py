"""The one state machine of a case: the only code that changes ``Case.state``.

Every transition is a typed function that checks, in this order, the actor's role, the actor's
region (an enterprise: its own unit), then — inside ``transaction.atomic()`` with the case row
locked (``select_for_update``) — that nobody changed the case since the caller read it
(``version``), that the current state allows the action and the action's own preconditions.
It then moves the state with a version-checked UPDATE and appends a ``CaseEvent``. Anything
illegal raises a ``CaseError`` with a stable code (``cases.errors``).

The states and who may move them (``TRANSITIONS`` holds this table as data)::

    screened ──notify──> notified (automatic route) ─────────────┐
        └──────notify──> awaiting_application ──apply──> applied ─┤
                              ├─expire / decline─> declined ─late claim─> awaiting_application
    start_review (batch) <────────────────────────────────────────┘  (also from returned)
    in_review ──all departments agree / approve──> approved ──start_publicity──> in_publicity
        └── a department objects ──> returned (or rejected, region option) ──reject──> rejected
    in_publicity ──objection──> on_hold ──dismissed──> in_publicity / payable
                                        └─upheld──> rejected
    in_publicity ──period over──> payable ──batch──> in_payment ──bank return──> paid
                                   payment_failed <──┘ (re-paid in a later batch once the
                                                        account change is verified)
    any open state ──hold (risk)──> on_hold ──release──> where it was
    any open state ──withdraw──> withdrawn;  re-screen: not eligible ──> withdrawn ──> screened

Where review and publicity overlap (随审随公示), a case ``in_review`` is published and stays in
review; once every department agrees it goes on to ``in_publicity`` (list still open) or
straight to ``payable`` (list closed). Two actions leave the state as it is: a reminder before
the application deadline, and a new receiving account (refused once approved).

Bulk steps (a review batch, a publicity list, a re-screen) use ``_move_many``: the same checks,
set-based, one event per case. Deadlines are counted in working days (``cases.calendar``).
"""

import re
from collections.abc import Iterable, Iterator, Mapping, Sequence
from contextlib import contextmanager
from dataclasses import dataclass
from datetime import date
from enum import Enum

from django.db import DEFAULT_DB_ALIAS, OperationalError, connection, transaction
from django.db.backends.utils import CursorWrapper
from django.db.models import F

from wengang.accounts.models import Role, User
from wengang.core import regions
from wengang.core.clock import clock
from wengang.core.errors import RegionError
from wengang.core.ids import mask_account
from wengang.core.workdays import WorkCalendar

from . import unit_screening  # a module: it imports loading, which imports this one
from .calendar import deadline_after, work_calendar
from .compiled import CompiledQuery
from .errors import (
    AccountFrozen,
    AccountInvalid,
    AccountRequired,
    ApplicationExpired,
    ConcurrentChange,
    ConfirmationIneligible,
    FactsChanged,
    IllegalTransition,
    LetterChanged,
    NotOwnUnit,
    OutsideRegion,
    ReasonRequired,
    ReviewPending,
    WrongRole,
)
from .models import (
    CLOSED_STATES,
    UNAPPROVED_OPEN_STATES,
    AccountKind,
    Action,
    Case,
    CaseEvent,
    CaseQuerySet,
    Channel,
    ClosedReason,
    Commitment,
    CommitmentText,
    HoldKind,
    PublicityBatch,
    PublicityItem,
    ReviewItem,
    Route,
    State,
    sealed_account_fields,
)
from .parameters import WorkflowParams, parameters_for

S = State
_OPEN_BEFORE_APPROVAL = frozenset({S.SCREENED, S.NOTIFIED, S.AWAITING_APPLICATION, S.APPLIED,
                                   S.IN_REVIEW, S.RETURNED})
_OPEN = _OPEN_BEFORE_APPROVAL | {S.APPROVED, S.IN_PUBLICITY, S.PAYABLE}
_CHUNK = 5000  # ids per statement: below SQLite's and PostgreSQL's parameter limits


@dataclass(frozen=True)
class Transition:
    """Which states an action leaves from, where it goes, and which roles may take it.

    ``target`` is ``None`` where it depends on the case (notify: the route; release: the state
    the case was held from). ``system`` marks actions a scheduled job may take with no user.
    """

    action: Action
    sources: frozenset[State]
    target: State | None
    roles: tuple[str, ...]
    system: bool = False


AGENCY_DECIDERS = (Role.AGENCY, Role.SUPERVISOR)
"""The agency's decisions: the officer's, and the supervisor's who answers for them (经办主管)."""
IN_PERSON = (Role.AGENCY, Role.SERVICE_OFFICER)
"""Acting for an enterprise met in person: the officer, or the service officer of complex cases."""

TRANSITIONS: dict[Action, Transition] = {t.action: t for t in (
    Transition(Action.NOTIFIED, frozenset({S.SCREENED}), None, (Role.AGENCY,), system=True),
    Transition(Action.APPLIED, frozenset({S.AWAITING_APPLICATION}), S.APPLIED,
               (Role.ENTERPRISE, *IN_PERSON)),
    Transition(Action.DECLINED, frozenset({S.SCREENED, S.NOTIFIED, S.AWAITING_APPLICATION}),
               S.DECLINED, (Role.ENTERPRISE, Role.AGENCY)),
    Transition(Action.EXPIRED, frozenset({S.AWAITING_APPLICATION}), S.DECLINED, (Role.AGENCY,),
               system=True),
    Transition(Action.WITHDRAWN, _OPEN | {S.ON_HOLD}, S.WITHDRAWN,
               (*AGENCY_DECIDERS, Role.ENTERPRISE)),
    Transition(Action.REVIEW_STARTED, frozenset({S.SCREENED, S.NOTIFIED, S.APPLIED, S.RETURNED}),
               S.IN_REVIEW, AGENCY_DECIDERS),
    Transition(Action.APPROVED, frozenset({S.IN_REVIEW}), S.APPROVED,
               (*AGENCY_DECIDERS, Role.DEPARTMENT, Role.FINANCE)),
    Transition(Action.RETURNED, frozenset({S.IN_REVIEW}), S.RETURNED,
               (Role.DEPARTMENT, Role.FINANCE)),
    Transition(Action.REJECTED, frozenset({S.APPLIED, S.IN_REVIEW, S.RETURNED, S.ON_HOLD}),
               S.REJECTED, (*AGENCY_DECIDERS, Role.DEPARTMENT, Role.FINANCE)),
    Transition(Action.PUBLICITY_STARTED, frozenset({S.APPROVED}), S.IN_PUBLICITY, AGENCY_DECIDERS),
    # In review too: where review and publicity overlap (随审随公示), a case in review is published.
    Transition(Action.OBJECTION_FILED, frozenset({S.IN_PUBLICITY, S.IN_REVIEW}), S.ON_HOLD,
               (Role.AGENCY,), system=True),
    Transition(Action.HELD, _OPEN, S.ON_HOLD, AGENCY_DECIDERS),
    Transition(Action.RELEASED, frozenset({S.ON_HOLD}), None, AGENCY_DECIDERS),
    Transition(Action.MADE_PAYABLE, frozenset({S.IN_PUBLICITY}), S.PAYABLE, AGENCY_DECIDERS),
    Transition(Action.LATE_CLAIM_REOPENED, frozenset({S.DECLINED}), S.AWAITING_APPLICATION,
               (Role.AGENCY, Role.ENTERPRISE)),
    Transition(Action.RESCREEN_WITHDRAWN, UNAPPROVED_OPEN_STATES, S.WITHDRAWN, (), system=True),
    Transition(Action.RESCREEN_REOPENED, frozenset({S.WITHDRAWN}), S.SCREENED, (), system=True),
    Transition(Action.REMINDED, frozenset({S.AWAITING_APPLICATION}), S.AWAITING_APPLICATION,
               (Role.AGENCY,), system=True),
    # The state stays; the receiving account changes only before approval (then it is frozen),
    # by an officer who checked the papers: an enterprise gives one when it applies.
    Transition(Action.ACCOUNT_CHANGED, _OPEN_BEFORE_APPROVAL, None, (Role.AGENCY,)),
    Transition(Action.PAYMENT_STARTED, frozenset({S.PAYABLE, S.PAYMENT_FAILED}), S.IN_PAYMENT,
               (Role.AGENCY, Role.FINANCE)),
    Transition(Action.PAYMENT_CANCELLED, frozenset({S.IN_PAYMENT}), None,
               (Role.AGENCY, Role.FINANCE)),
    Transition(Action.PAID, frozenset({S.IN_PAYMENT}), S.PAID, (Role.AGENCY, Role.FINANCE)),
    Transition(Action.PAYMENT_FAILED, frozenset({S.IN_PAYMENT}), S.PAYMENT_FAILED,
               (Role.AGENCY, Role.FINANCE)),
)}

ENTERPRISE_WITHDRAW_SOURCES = frozenset({S.SCREENED, S.NOTIFIED, S.AWAITING_APPLICATION, S.APPLIED})
"""An enterprise may withdraw only before review; later the agency decides."""


# --- who may act ---------------------------------------------------------------------------

def _label(action: Action) -> str:
    return str(action.label)


def require_role(actor: User | None, action: Action, *, roles: Sequence[str] | None = None) -> None:
    """Refuse an actor whose role may not take ``action`` (``None``: a scheduled job)."""
    transition = TRANSITIONS[action]
    allowed = tuple(roles if roles is not None else transition.roles)
    if actor is None:
        if transition.system:
            return
        raise WrongRole(_label(action), "system", tuple(str(r) for r in allowed))
    if actor.role not in allowed or not actor.is_active:
        raise WrongRole(_label(action), str(actor.role), tuple(str(r) for r in allowed))


def require_region(actor: User | None, region_code: str) -> None:
    """Refuse a staff actor whose region does not contain ``region_code``."""
    if actor is None:
        return
    if not actor.region_code:
        raise OutsideRegion("", region_code)
    try:
        inside = regions.contains(actor.region_code, region_code)
    except RegionError:
        inside = False
    if not inside:
        raise OutsideRegion(actor.region_code, region_code)


def require_actor_for_case(actor: User | None, case: Case, action: Action, *,
                           roles: Sequence[str] | None = None) -> None:
    require_role(actor, action, roles=roles)
    if actor is not None and actor.role == Role.ENTERPRISE:
        if not case.unit_id or actor.uscc != case.unit.uscc:
            raise NotOwnUnit(case.unit.uscc if case.unit_id else "")
        return
    require_region(actor, case.beneficiary_region_code)


# --- locking and committing ----------------------------------------------------------------

_SQLITE_LOCKED = re.compile(r"database (table )?is locked")


@contextmanager
def _conflict_on_lock_error(case_id: int) -> Iterator[None]:
    """SQLite has no row locks: a competing writer shows up as "database is locked".

    That is the same conflict PostgreSQL resolves by waiting on the row lock; report it as one.
    """
    try:
        yield
    except OperationalError as error:
        if _SQLITE_LOCKED.search(str(error)):
            raise ConcurrentChange(case_id) from error
        raise


# The case locked, and read back after its change: every single-case transition runs both, so
# their SQL is compiled once per worker thread (``compiled``), not on each call.
_PK_PLACEHOLDER = -(2**62) + 11
_case_locked = CompiledQuery(lambda pk: Case.objects.select_for_update().filter(pk=pk),
                             _PK_PLACEHOLDER)
_case_stored = CompiledQuery(lambda pk: Case._base_manager.filter(pk=pk), _PK_PLACEHOLDER)


def _lock(case: Case) -> Case:
    """Re-read ``case`` under a row lock; refuse if it changed since the caller read it."""
    with _conflict_on_lock_error(case.pk):
        locked = _case_locked.first(case.pk)
    if locked is None:
        raise Case.DoesNotExist("Case matching query does not exist.")
    if locked.version != case.version:
        raise ConcurrentChange(case.pk, str(locked.get_state_display()))
    if Case.unit.is_cached(case):
        locked.unit = case.unit
    if Case.person.is_cached(case):
        locked.person = case.person
    return locked


def _require_state(case: Case, action: Action, sources: Iterable[State] | None = None) -> None:
    allowed = frozenset(sources if sources is not None else TRANSITIONS[action].sources)
    if case.state not in allowed:
        raise IllegalTransition(case.pk, _label(action), str(case.get_state_display()),
                                tuple(str(State(s).label) for s in sorted(allowed)))


def _commit(case: Case, action: Action, *, to: State, actor: User | None, reason: str = "",
            channel: str, request_id: str, fields: Mapping[str, object] | None = None,
            data: dict | None = None, actor_label: str = "",
            amount_before_fen: int | None = None, amount_after_fen: int | None = None) -> Case:
    """Move ``case`` (locked, checked) to ``to``, append its event, return it reloaded."""
    now = clock.now()
    values: dict[str, object] = {"state": to, "version": F("version") + 1,
                                 "state_changed_at": now, "updated_at": now}
    if case.state == S.ON_HOLD and to != S.ON_HOLD:
        values.update(held_from="", hold_kind="")
    if case.state in CLOSED_STATES and to not in CLOSED_STATES:
        values["closed_reason"] = ""
    values.update(fields or {})
    with _conflict_on_lock_error(case.pk):
        updated = Case.objects.filter(pk=case.pk, version=case.version).update(**values)
    if updated != 1:
        raise ConcurrentChange(case.pk, str(case.get_state_display()))
    CaseEvent.objects.create(
        case_id=case.pk, at=now, actor=actor, actor_label=actor_label, action=action,
        state_before=case.state, state_after=to, reason=reason, channel=channel,
        request_id=request_id, data=data, amount_before_fen=amount_before_fen,
        amount_after_fen=amount_after_fen)
    _reload(case)
    case._loaded_state = case.state
    return case


def _reload(case: Case) -> None:
    """``case.refresh_from_db()`` — every field as stored, cached relations dropped — through
    the compiled read (``_case_stored``)."""
    if case.get_deferred_fields():
        case.refresh_from_db()
        return
    stored = _case_stored.first(case.pk, using=case._state.db or DEFAULT_DB_ALIAS)
    if stored is None:
        raise Case.DoesNotExist("Case matching query does not exist.")
    case._prefetched_objects_cache = {}
    for field in Case._meta.fields:
        if field.concrete:
            setattr(case, field.attname, getattr(stored, field.attname))
        if field.is_relation and field.is_cached(case):
            field.delete_cached_value(case)
    for relation in (*Case._meta.related_objects, *Case._meta.private_fields):
        if relation.is_relation and relation.is_cached(case):
            relation.delete_cached_value(case)
    case._state.db = stored._state.db


def _move_many(case_ids: Iterable[int], *, action: Action, to: State, actor: User | None,
               sources: Iterable[State] | None = None, reason: str = "",
               reasons: Mapping[int, str] | None = None, channel: str, request_id: str = "",
               fields: Mapping[str, object] | None = None, actor_label: str = "",
               run_id: int | None = None) -> list[int]:
    """Move every case of ``case_ids`` still in an allowed state; return the ids moved.

    Set-based: rows are locked and moved ``_CHUNK`` at a time, one event each. Cases that left
    the allowed states meanwhile are skipped, not an error: a batch acts on what is still there.
    The caller has already checked the actor's role and region for the whole set.
    """
    allowed = [str(state) for state in (sources if sources is not None
                                        else TRANSITIONS[action].sources)]
    ids = list(case_ids)
    now = clock.now()
    values: dict[str, object] = {"state": to, "state_changed_at": now, "updated_at": now}
    if to not in CLOSED_STATES:
        values["closed_reason"] = ""
    if to != S.ON_HOLD:
        values.update(held_from="", hold_kind="")
    values.update(fields or {})
    event = {"at": connection.ops.adapt_datetimefield_value(now),
             "actor_id": actor.pk if actor else None, "actor_label": actor_label,
             "action": str(action), "state_after": str(to), "reason": reason,
             "channel": str(channel), "request_id": request_id, "run_id": run_id}
    move = _move_chunk if connection.vendor == "postgresql" else _move_chunk_sqlite
    moved: list[int] = []
    with transaction.atomic():
        for start in range(0, len(ids), _CHUNK):
            moved += move(ids[start:start + _CHUNK], allowed=allowed, values=values, event=event,
                          reasons=reasons)
    return moved


_EVENT_COLUMNS = ("case_id", "at", "actor_id", "actor_label", "action", "state_before",
                  "state_after", "reason", "channel", "request_id", "run_id")


def _move_chunk(case_ids: list[int], *, allowed: list[str], values: Mapping[str, object],
                event: Mapping[str, object], reasons: Mapping[int, str] | None) -> list[int]:
    """PostgreSQL: per state the cases leave, one statement moves them and writes their events.

    The UPDATE locks the rows and re-checks the state it names, so a case that moved meanwhile
    is skipped; its RETURNING feeds the events (the state left is the one named). No separate
    locking read, and ids go in as one array, not 5,000 placeholders."""
    assignments, params = _assignments_sql(values)
    sql = (f"WITH moved AS (UPDATE {Case._meta.db_table} SET {assignments} "
           "WHERE id = ANY(%s::bigint[]) AND state = %s RETURNING id) "
           f"INSERT INTO {CaseEvent._meta.db_table} ({', '.join(_EVENT_COLUMNS)}) "
           "SELECT moved.id, %s, %s, %s, %s, %s, %s, COALESCE(r.reason, %s), %s, %s, %s "
           "FROM moved LEFT JOIN unnest(%s::bigint[], %s::text[]) AS r(id, reason) USING (id) "
           "RETURNING case_id")
    given = reasons or {}
    moved: list[int] = []
    with connection.cursor() as cursor:
        for state, ids in _by_state(cursor, case_ids, allowed).items():
            cursor.execute(sql, [*params, ids, state, event["at"], event["actor_id"],
                                 event["actor_label"], event["action"], state,
                                 event["state_after"], event["reason"], event["channel"],
                                 event["request_id"], event["run_id"],
                                 [pk for pk in ids if pk in given],
                                 [given[pk] for pk in ids if pk in given]])
            moved += [case_id for case_id, in cursor.fetchall()]
    return moved


def _by_state(cursor: CursorWrapper, case_ids: list[int],
              allowed: list[str]) -> dict[str, list[int]]:
    """The cases of ``case_ids`` in each allowed state (one state: all of them, unread).

    Several states: the rows are locked as they are read, so none moves between two allowed
    states before its UPDATE (which would skip it)."""
    if len(allowed) == 1:
        return {allowed[0]: case_ids}
    cursor.execute("SELECT state, array_agg(id) FROM (SELECT id, state FROM "
                   f"{Case._meta.db_table} WHERE id = ANY(%s::bigint[]) "
                   "AND state = ANY(%s::text[]) FOR UPDATE) AS locked GROUP BY state",
                   [case_ids, allowed])
    return dict(cursor.fetchall())


def _assignments_sql(values: Mapping[str, object]) -> tuple[str, list]:
    """The SET list of a raw case UPDATE (the version counts up), and its bound values."""
    assignments, params = ["version = version + 1"], []
    for name, value in values.items():
        field = Case._meta.get_field(name)
        assignments.append(f"{field.column} = %s")
        # A choice goes in as its plain value: a driver may adapt an enum member by its name.
        params.append(field.get_db_prep_save(value.value if isinstance(value, Enum) else value,
                                             connection))
    return ", ".join(assignments), params


def _move_chunk_sqlite(case_ids: list[int], *, allowed: list[str], values: Mapping[str, object],
                       event: Mapping[str, object], reasons: Mapping[int, str] | None) -> list[int]:
    """SQLite (no row locks: one writer holds the database): the events first, written by the
    database from the cases' current state, then the cases moved."""
    placeholders = ", ".join(["%s"] * len(case_ids))
    where = f"id IN ({placeholders}) AND state IN ({', '.join(['%s'] * len(allowed))})"
    with connection.cursor() as cursor:
        if reasons is None:
            cursor.execute(
                f"INSERT INTO {CaseEvent._meta.db_table} ({', '.join(_EVENT_COLUMNS)}) "
                "SELECT id, %s, %s, %s, %s, state, %s, %s, %s, %s, %s "
                f"FROM {Case._meta.db_table} WHERE {where} RETURNING case_id",
                [event["at"], event["actor_id"], event["actor_label"], event["action"],
                 event["state_after"], event["reason"], event["channel"], event["request_id"],
                 event["run_id"], *case_ids, *allowed])
            moved = [case_id for case_id, in cursor.fetchall()]
        else:
            cursor.execute(f"SELECT id, state FROM {Case._meta.db_table} WHERE {where}",
                           [*case_ids, *allowed])
            rows = cursor.fetchall()
            cursor.executemany(
                f"INSERT INTO {CaseEvent._meta.db_table} ({', '.join(_EVENT_COLUMNS)}) "
                f"VALUES ({', '.join(['%s'] * len(_EVENT_COLUMNS))})",
                [(pk, event["at"], event["actor_id"], event["actor_label"], event["action"],
                  state, event["state_after"], reasons.get(pk, event["reason"]), event["channel"],
                  event["request_id"], event["run_id"]) for pk, state in rows])
            moved = [pk for pk, _ in rows]
    if moved:
        Case.objects.filter(pk__in=moved).update(version=F("version") + 1, **values)
    return moved


def _today(today: date | None) -> date:
    return today if today is not None else clock.today()


# --- notice and application ----------------------------------------------------------------

def application_window(calendar: WorkCalendar, today: date,
                       params: WorkflowParams) -> dict[str, date | None]:
    """The deadline of an application noticed ``today`` and the day its reminder falls due.

    The deadline is ``application_days`` working days after the notice; the reminder
    ``reminder_days`` working days before the deadline, and none when that is not after the
    notice (the notice itself is the reminder).
    """
    apply_by = deadline_after(calendar, today, params.application_days)
    remind_on = (calendar.add_workdays(apply_by, -params.reminder_days)
                 if params.reminder_days else None)
    return {"apply_by": apply_by,
            "remind_on": remind_on if remind_on is not None and remind_on > today else None}


def reminders_due(*, on: date | None = None, region_code: str | None = None) -> CaseQuerySet:
    """Cases whose application reminder is due ``on`` (today): what outreach sends, priority first."""
    due = Case.objects.reminder_due(_today(on))
    return (due.in_region(region_code) if region_code else due).priority_first()


def record_reminders(case_ids: Iterable[int], *, actor: User | None = None,
                     channel: str = Channel.SYSTEM, request_id: str = "",
                     today: date | None = None) -> list[int]:
    """Record that a reminder was sent to each case still due one; return the ids recorded.

    Outreach calls this once it has sent them (SMS, in-site message …); a case reminded already,
    applied meanwhile or past its deadline is skipped, so a repeated call records nothing twice.
    """
    require_role(actor, Action.REMINDED)
    today = _today(today)
    with transaction.atomic():
        due = Case.objects.reminder_due(today).filter(pk__in=list(case_ids))
        if actor is not None:
            due = due.visible_to(actor)
        ids = list(due.select_for_update(of=("self",)).values_list("pk", flat=True))
        return _move_many(ids, action=Action.REMINDED, to=S.AWAITING_APPLICATION, actor=actor,
                          channel=channel, request_id=request_id, fields={"reminded_on": today},
                          reason="提醒：申请截止日前尚未确认申请",
                          actor_label="" if actor else "申请提醒")


def notify(case: Case, *, actor: User | None, channel: str = Channel.SYSTEM, request_id: str = "",
           today: date | None = None, calendar: WorkCalendar | None = None) -> Case:
    """Record that the enterprise was told: automatic → notified; application → awaiting it.

    An application-route case gets its deadline: ``application_days`` working days after the
    notice (the notice day not counted).
    """
    require_actor_for_case(actor, case, Action.NOTIFIED)
    today = _today(today)
    with transaction.atomic():
        locked = _lock(case)
        _require_state(locked, Action.NOTIFIED)
        if locked.route == Route.AUTOMATIC:
            return _commit(locked, Action.NOTIFIED, to=S.NOTIFIED, actor=actor, channel=channel,
                           request_id=request_id)
        params = parameters_for(locked.beneficiary_region_code, locked.program)
        window = application_window(calendar or work_calendar(), today, params)
        return _commit(locked, Action.NOTIFIED, to=S.AWAITING_APPLICATION, actor=actor,
                       channel=channel, request_id=request_id, fields=window,
                       data={"apply_by": window["apply_by"].isoformat()})


def notify_many(cases, *, actor: User | None, channel: str = Channel.SYSTEM,
                request_id: str = "", today: date | None = None,
                calendar: WorkCalendar | None = None) -> int:
    """Notify every screened case of ``cases`` (a queryset); return how many moved.

    Outreach calls this once it has sent the notices; the CLI step stands in until then.
    """
    require_role(actor, Action.NOTIFIED)
    today = _today(today)
    calendar = calendar or work_calendar()
    screened = cases.filter(state=S.SCREENED)
    if actor is not None:
        screened = screened.visible_to(actor)
    count = len(_move_many(screened.automatic().values_list("pk", flat=True),
                           action=Action.NOTIFIED, to=S.NOTIFIED, actor=actor, channel=channel,
                           request_id=request_id))
    # Application-route cases are units' (person programs are automatic: loading_persons).
    groups = (screened.application().values_list("unit__region_code", "program").distinct()
              .order_by())
    for region_code, program in groups:
        window = application_window(calendar, today, parameters_for(region_code, program))
        ids = screened.application().filter(unit__region_code=region_code, program=program)
        count += len(_move_many(ids.values_list("pk", flat=True), action=Action.NOTIFIED,
                                to=S.AWAITING_APPLICATION, actor=actor, channel=channel,
                                request_id=request_id, fields=window))
    return count


@dataclass(frozen=True)
class Confirmation:
    """The facts an enterprise confirms when it applies (UX: confirm / apply)."""

    size: str
    insured: int
    amount_fen: int
    """The amount shown to the enterprise: the case's, or ``confirmed_amount`` for new facts."""
    signatory_name: str
    account: str = ""
    """The receiving account; empty: the one on record (bank account, else the SI account)."""
    letter_sha256: str = ""
    """The SHA-256 of the commitment letter shown; empty: the letter given is signed as is."""


_ACCOUNT_NUMBER = re.compile(r"[0-9]{6,40}")


def require_letter_shown(case: Case, confirmation: Confirmation,
                         commitment_text: CommitmentText) -> None:
    """The letter signed is the letter shown: one replaced since is refused, never signed unread
    (``apply``, and the internet instance's submission of a confirmation)."""
    if confirmation.letter_sha256 not in ("", commitment_text.sha256):
        raise LetterChanged(case.pk, commitment_text.version)


def confirmed_decision(case: Case, *, size: str,
                       insured: int) -> "unit_screening.UnitDecision | None":
    """What the case becomes with the facts an enterprise confirms (``None``: nothing differs).

    Recomputed on the server, with the same policy and data as the case's screening run
    (``unit_screening.screen_confirmed``): the portal shows its amount before the enterprise
    signs, and ``apply`` requires the same amount.
    """
    if size == case.size and insured == case.insured:
        return None
    return unit_screening.screen_confirmed(
        case, unit_screening.ConfirmedFacts(size=size, insured=insured))


def apply(case: Case, *, actor: User, confirmation: Confirmation, commitment_text: CommitmentText,
          origin: str, channel: str = Channel.ONLINE, read_out: bool = False,
          request_id: str = "", today: date | None = None) -> Case:
    """Confirm the facts and accept the commitment letter: awaiting_application → applied.

    Online by the enterprise itself, or assisted: an officer records it for an enterprise that
    phoned or visited, after reading the commitment out (``read_out`` must be true; the event
    and the commitment are marked as assisted). A size or headcount other than screening found
    recomputes the amount (``confirmed_decision``; before → after in the event); facts that make
    the case ineligible are refused (``ConfirmationIneligible``). The confirmed amount must be
    the one the server computes: a re-screen in between makes the enterprise confirm again, as
    a commitment letter replaced since it was shown does (``LetterChanged``).
    """
    assisted = channel == Channel.ASSISTED
    require_actor_for_case(actor, case, Action.APPLIED,
                           roles=IN_PERSON if assisted else (Role.ENTERPRISE,))
    if assisted and not read_out:
        raise ReasonRequired("代办确认（须向企业宣读承诺书） / assisted confirmation (read out the commitment)")
    if not confirmation.signatory_name.strip():
        raise ReasonRequired(_label(Action.APPLIED))
    if confirmation.account and not _ACCOUNT_NUMBER.fullmatch(confirmation.account):
        raise AccountInvalid(mask_account(confirmation.account))
    require_letter_shown(case, confirmation, commitment_text)
    today = _today(today)
    # Screening the unit again reads files: before the lock; the version check below makes
    # sure the case it was computed from is still the case.
    decision = confirmed_decision(case, size=confirmation.size, insured=confirmation.insured)
    if decision is not None and not decision.eligible:
        raise ConfirmationIneligible(
            case.pk, f"规模 {confirmation.size}，参保 {confirmation.insured} 人",
            decision.failed, decision.explanation)
    with transaction.atomic():
        locked = _lock(case)
        _require_state(locked, Action.APPLIED)
        if locked.apply_by is not None and today > locked.apply_by:
            raise ApplicationExpired(locked.pk, locked.apply_by)
        amount_fen = locked.amount_fen if decision is None else decision.amount_fen
        if confirmation.amount_fen != amount_fen:
            raise FactsChanged(locked.pk, "返还金额（分）", confirmation.amount_fen, amount_fen)
        unit = locked.unit
        if confirmation.account:
            account = sealed_account_fields(confirmation.account, AccountKind.BANK,
                                            owner=unit.uscc)
        elif unit.has_account:
            account = unit.account_fields()
        else:
            raise AccountRequired(locked.pk)
        commitment = Commitment.objects.create(
            case=locked, text=commitment_text, accepted_at=clock.now(), accepted_by=actor,
            channel=channel, origin=origin, read_out=read_out,
            signatory_name=confirmation.signatory_name, confirmed_size=confirmation.size,
            confirmed_insured=confirmation.insured, confirmed_amount_fen=amount_fen, **account)
        data = {"commitment_id": commitment.pk, "commitment_version": commitment_text.version,
                "size": confirmation.size, "insured": confirmation.insured,
                "account": account["account_masked"]}
        fields: dict[str, object] = {**account, "size": confirmation.size,
                                     "insured": confirmation.insured}
        reason = "代办：已宣读承诺书" if assisted else ""
        if decision is not None:
            data["screened"] = {"size": locked.size, "insured": locked.insured,
                                "amount_fen": locked.amount_fen,
                                "explanation": locked.explanation}
            fields.update(amount_fen=amount_fen, explanation=decision.explanation,
                          layoff_rate=decision.layoff_rate)
            reason = "；".join(filter(None, [reason, "按企业确认的规模和参保人数重新测算返还金额"]))
        return _commit(locked, Action.APPLIED, to=S.APPLIED, actor=actor, channel=channel,
                       request_id=request_id, data=data, reason=reason, fields=fields,
                       amount_before_fen=locked.amount_fen, amount_after_fen=amount_fen)


def change_account(case: Case, *, actor: User, account: str, reason: str,
                   channel: str = Channel.CONSOLE, request_id: str = "") -> Case:
    """Give a case another receiving account before it is approved; afterwards it is frozen.

    A change after approval would redirect money the departments and the public have seen
    approved: it goes through the account-change procedure of payments (``AccountFrozen``).
    """
    require_actor_for_case(actor, case, Action.ACCOUNT_CHANGED)
    if not reason.strip():
        raise ReasonRequired(_label(Action.ACCOUNT_CHANGED))
    if not _ACCOUNT_NUMBER.fullmatch(account):
        raise AccountInvalid(mask_account(account))
    with transaction.atomic():
        locked = _lock(case)
        if locked.is_approved:
            raise AccountFrozen(locked.pk, str(locked.get_state_display()))
        _require_state(locked, Action.ACCOUNT_CHANGED)
        fields = sealed_account_fields(account, AccountKind.BANK, owner=locked.account_owner)
        return _commit(locked, Action.ACCOUNT_CHANGED, to=State(locked.state), actor=actor,
                       reason=reason, channel=channel, request_id=request_id, fields=fields,
                       data={"account_before": locked.account_masked,
                             "account_after": fields["account_masked"]})


def decline(case: Case, *, actor: User, reason: str = "", channel: str = Channel.ONLINE,
            request_id: str = "") -> Case:
    """The enterprise says it does not want the refund (or the agency records that it said so)."""
    require_actor_for_case(actor, case, Action.DECLINED)
    with transaction.atomic():
        locked = _lock(case)
        _require_state(locked, Action.DECLINED)
        return _commit(locked, Action.DECLINED, to=S.DECLINED, actor=actor, reason=reason,
                       channel=channel, request_id=request_id,
                       fields={"closed_reason": ClosedReason.ENTERPRISE_DECLINED})


def expire_applications(*, actor: User | None = None, today: date | None = None,
                        region_code: str | None = None, channel: str = Channel.SYSTEM,
                        request_id: str = "") -> int:
    """Decline every application whose deadline passed before ``today``; return how many.

    The unit keeps the right to a late claim within the program's window.
    """
    require_role(actor, Action.EXPIRED)
    if actor is not None and region_code:
        require_region(actor, region_code)
    expired = Case.objects.application_expired(_today(today))
    if region_code:
        expired = expired.in_region(region_code)
    elif actor is not None:
        expired = expired.visible_to(actor)
    return len(_move_many(expired.values_list("pk", flat=True), action=Action.EXPIRED,
                          to=S.DECLINED, actor=actor, channel=channel, request_id=request_id,
                          reason="申请期限届满未申请，可在补报期内补报",
                          fields={"closed_reason": ClosedReason.APPLICATION_EXPIRED},
                          actor_label="" if actor else "到期处理"))


def withdraw(case: Case, *, actor: User, reason: str, channel: str = Channel.CONSOLE,
             request_id: str = "") -> Case:
    """Close a case before payment: the enterprise before review, the agency at any open step."""
    require_actor_for_case(actor, case, Action.WITHDRAWN)
    if not reason.strip():
        raise ReasonRequired(_label(Action.WITHDRAWN))
    by_enterprise = actor.role == Role.ENTERPRISE
    with transaction.atomic():
        locked = _lock(case)
        _require_state(locked, Action.WITHDRAWN,
                       ENTERPRISE_WITHDRAW_SOURCES if by_enterprise else None)
        why = ClosedReason.ENTERPRISE_WITHDREW if by_enterprise else ClosedReason.AGENCY_WITHDREW
        return _commit(locked, Action.WITHDRAWN, to=S.WITHDRAWN, actor=actor, reason=reason,
                       channel=channel, request_id=request_id, fields={"closed_reason": why})


def reopen_for_late_claim(case: Case, *, actor: User | None, reason: str,
                          channel: str = Channel.CONSOLE, request_id: str = "",
                          today: date | None = None,
                          calendar: WorkCalendar | None = None) -> Case:
    """A declined case whose unit files a late claim: back to awaiting_application, new deadline."""
    if actor is not None:
        require_actor_for_case(actor, case, Action.LATE_CLAIM_REOPENED)
    today = _today(today)
    with transaction.atomic():
        locked = _lock(case)
        _require_state(locked, Action.LATE_CLAIM_REOPENED)
        params = parameters_for(locked.beneficiary_region_code, locked.program)
        window = application_window(calendar or work_calendar(), today, params)
        return _commit(locked, Action.LATE_CLAIM_REOPENED, to=S.AWAITING_APPLICATION,
                       actor=actor, reason=reason, channel=channel, request_id=request_id,
                       fields=window | {"reminded_on": None},
                       data={"apply_by": window["apply_by"].isoformat()})


# --- review --------------------------------------------------------------------------------

def start_review_many(case_ids: Sequence[int], *, actor: User, channel: str, request_id: str,
                      batch_id: int) -> list[int]:
    """Put the cases of a new review batch in review (``review.open_review_batch`` calls this)."""
    require_role(actor, Action.REVIEW_STARTED)
    ready = (Case.objects.filter(pk__in=case_ids).ready_for_review().values_list("pk", flat=True))
    return _move_many(list(ready), action=Action.REVIEW_STARTED, to=S.IN_REVIEW, actor=actor,
                      channel=channel, request_id=request_id, reason=f"联审批次 #{batch_id}")


def approve(case: Case, *, actor: User, reason: str = "", channel: str = Channel.CONSOLE,
            request_id: str = "", today: date | None = None) -> Case:
    """Approve one case in review once every department of its batch agreed (or none reviews).

    Batches approve their cases when the last department agrees (``review``); this is the
    agency's own approval, for batches without joint review and for cases approved one by one.
    """
    require_actor_for_case(actor, case, Action.APPROVED, roles=AGENCY_DECIDERS)
    with transaction.atomic():
        locked = _lock(case)
        _require_state(locked, Action.APPROVED)
        item = (ReviewItem.objects.filter(case=locked).select_related("batch")
                .order_by("-batch_id").first())
        if item is not None:
            tasks = list(item.batch.tasks.all())
            waiting = [t.get_department_display() for t in tasks if t.status == t.Status.PENDING]
            objected = [t.get_department_display() for t in tasks
                        if t.objections.filter(case=locked).exists()]
            if waiting or objected:
                raise ReviewPending(locked.pk, [str(d) for d in waiting + objected])
        result = _commit(locked, Action.APPROVED, to=S.APPROVED, actor=actor, reason=reason,
                         channel=channel, request_id=request_id,
                         fields={"approved_on": _today(today)})
        if item is not None:
            ReviewItem.objects.filter(pk=item.pk).update(outcome=ReviewItem.Outcome.APPROVED)
        settle_published([result.pk], actor=actor, channel=channel, request_id=request_id,
                         today=_today(today))
        result.refresh_from_db()
        result._loaded_state = result.state
        return result


def settle_many(*, approve_ids: Sequence[int], return_reasons: Mapping[int, str], reject: bool,
                actor: User, channel: str, request_id: str, today: date) -> tuple[list[int], list[int]]:
    """Settle a review batch: agreed cases approved; objected ones returned (or rejected)."""
    approved = _move_many(approve_ids, action=Action.APPROVED, to=S.APPROVED, actor=actor,
                          sources=[S.IN_REVIEW], channel=channel, request_id=request_id,
                          reason="各联审部门均同意", fields={"approved_on": today})
    if reject:
        sent_back = _move_many(list(return_reasons), action=Action.REJECTED, to=S.REJECTED,
                               actor=actor, sources=[S.IN_REVIEW], reasons=return_reasons,
                               channel=channel, request_id=request_id,
                               fields={"closed_reason": ClosedReason.REVIEW_OBJECTION})
    else:
        sent_back = _move_many(list(return_reasons), action=Action.RETURNED, to=S.RETURNED,
                               actor=actor, sources=[S.IN_REVIEW], reasons=return_reasons,
                               channel=channel, request_id=request_id)
    return approved, sent_back


def reject(case: Case, *, actor: User, reason: str, channel: str = Channel.CONSOLE,
           request_id: str = "") -> Case:
    """The agency refuses the case, with a reason the enterprise will read."""
    require_actor_for_case(actor, case, Action.REJECTED, roles=AGENCY_DECIDERS)
    if not reason.strip():
        raise ReasonRequired(_label(Action.REJECTED))
    with transaction.atomic():
        locked = _lock(case)
        _require_state(locked, Action.REJECTED)
        return _commit(locked, Action.REJECTED, to=S.REJECTED, actor=actor, reason=reason,
                       channel=channel, request_id=request_id,
                       fields={"closed_reason": ClosedReason.AGENCY_REJECTED})


# --- publicity and holds -------------------------------------------------------------------

def start_publicity_many(case_ids: Sequence[int], *, actor: User, batch: PublicityBatch,
                         channel: str, request_id: str) -> list[int]:
    require_role(actor, Action.PUBLICITY_STARTED)
    return _move_many(case_ids, action=Action.PUBLICITY_STARTED, to=S.IN_PUBLICITY, actor=actor,
                      channel=channel, request_id=request_id,
                      reason=f"公示 #{batch.pk}：{batch.start_on} 至 {batch.end_on}")


def publish_in_review_many(case_ids: Sequence[int], *, actor: User, batch: PublicityBatch,
                           channel: str, request_id: str) -> list[int]:
    """Publish cases still in joint review (随审随公示): they stay in review, now on the list."""
    require_role(actor, Action.PUBLICITY_STARTED)
    return _move_many(case_ids, action=Action.PUBLICITY_STARTED, to=S.IN_REVIEW,
                      sources=[S.IN_REVIEW], actor=actor, channel=channel, request_id=request_id,
                      reason=f"随审随公示 #{batch.pk}：{batch.start_on} 至 {batch.end_on}（联审中）")


def settle_published(case_ids: Sequence[int], *, actor: User, channel: str, request_id: str,
                     today: date) -> tuple[list[int], list[int]]:
    """Approved cases that were published during review: where does each go now?

    Back in publicity while its list is open (closing it makes them payable), payable at once
    when the list has closed — review and publicity both done, and no objection open (an
    objection puts a case on hold, and a held case is not approved). Returns (in publicity,
    payable). Cases never published are left approved, for a publicity of their own.
    """
    latest: dict[int, tuple[int, str]] = {}
    for case_id, batch_id, status in (PublicityItem.objects.filter(case_id__in=list(case_ids))
                                      .order_by("batch_id")
                                      .values_list("case_id", "batch_id", "batch__status")):
        latest[case_id] = (batch_id, status)
    running = [pk for pk, (_, status) in latest.items() if status == PublicityBatch.Status.OPEN]
    ended = [pk for pk, (_, status) in latest.items() if status != PublicityBatch.Status.OPEN]
    published = _move_many(running, action=Action.PUBLICITY_STARTED, to=S.IN_PUBLICITY,
                           sources=[S.APPROVED], actor=actor, channel=channel,
                           request_id=request_id, reason="联审通过，继续公示（随审随公示）")
    payable = _move_many(ended, action=Action.MADE_PAYABLE, to=S.PAYABLE, sources=[S.APPROVED],
                         actor=actor, channel=channel, request_id=request_id,
                         fields={"payable_on": today},
                         reason="联审通过，公示已期满无异议（随审随公示）")
    return published, payable


def make_payable_many(case_ids: Sequence[int], *, actor: User, batch: PublicityBatch,
                      channel: str, request_id: str, today: date) -> list[int]:
    require_role(actor, Action.MADE_PAYABLE)
    return _move_many(case_ids, action=Action.MADE_PAYABLE, to=S.PAYABLE, actor=actor,
                      channel=channel, request_id=request_id, fields={"payable_on": today},
                      reason=f"公示 #{batch.pk} 期满无异议")


def hold_for_objection(case: Case, *, actor: User | None, objector_label: str, reason: str,
                       channel: str, request_id: str = "") -> Case:
    """A public objection puts a published case on hold (``publicity.file_objection``)."""
    with transaction.atomic():
        locked = _lock(case)
        _require_state(locked, Action.OBJECTION_FILED)
        return _commit(locked, Action.OBJECTION_FILED, to=S.ON_HOLD, actor=actor,
                       actor_label=objector_label, reason=reason, channel=channel,
                       request_id=request_id,
                       fields={"held_from": locked.state, "hold_kind": HoldKind.OBJECTION})


def hold(case: Case, *, actor: User, reason: str, channel: str = Channel.CONSOLE,
         request_id: str = "") -> Case:
    """Hold a case for a risk check (风险核查); ``release`` puts it back where it was."""
    require_actor_for_case(actor, case, Action.HELD)
    if not reason.strip():
        raise ReasonRequired(_label(Action.HELD))
    with transaction.atomic():
        locked = _lock(case)
        _require_state(locked, Action.HELD)
        return _commit(locked, Action.HELD, to=S.ON_HOLD, actor=actor, reason=reason,
                       channel=channel, request_id=request_id,
                       fields={"held_from": locked.state, "hold_kind": HoldKind.RISK})


def _release_target(case: Case, today: date) -> State:
    """Where a released case goes: where it was, unless that step finished meanwhile.

    Held from publicity and the period is over → payable; held from review and the batch
    settled without it → returned (it needs another round).
    """
    held_from = State(case.held_from)
    if held_from == S.IN_PUBLICITY:
        item = (PublicityItem.objects.filter(case=case).select_related("batch")
                .order_by("-batch_id").first())
        if item is None or item.batch.status == PublicityBatch.Status.CLOSED or today > item.batch.end_on:
            return S.PAYABLE
    if held_from == S.IN_REVIEW:
        item = (ReviewItem.objects.filter(case=case).select_related("batch")
                .order_by("-batch_id").first())
        if item is None or item.batch.status != item.batch.Status.OPEN:
            return S.RETURNED
    return held_from


def release(case: Case, *, actor: User, reason: str, channel: str = Channel.CONSOLE,
            request_id: str = "", today: date | None = None,
            kind: HoldKind = HoldKind.RISK) -> Case:
    """End a hold of ``kind``: the case goes back where it was (see ``_release_target``).

    A hold for a public objection ends only by resolving the objection
    (``publicity.resolve_objection`` passes ``kind=HoldKind.OBJECTION``).
    """
    require_actor_for_case(actor, case, Action.RELEASED)
    today = _today(today)
    with transaction.atomic():
        locked = _lock(case)
        _require_state(locked, Action.RELEASED)
        if locked.hold_kind != kind:
            raise IllegalTransition(locked.pk, _label(Action.RELEASED),
                                    f"{locked.get_state_display()}（{locked.get_hold_kind_display()}）",
                                    (str(S.ON_HOLD.label),))
        target = _release_target(locked, today)
        fields: dict[str, object] = {}
        if target == S.PAYABLE:
            fields["payable_on"] = today
        return _commit(locked, Action.RELEASED, to=target, actor=actor, reason=reason,
                       channel=channel, request_id=request_id, fields=fields,
                       data={"held_from": locked.held_from})


def reject_on_objection(case: Case, *, actor: User, reason: str, channel: str,
                        request_id: str = "") -> Case:
    """An upheld public objection: the held case is rejected (``publicity.resolve_objection``)."""
    require_actor_for_case(actor, case, Action.REJECTED, roles=AGENCY_DECIDERS)
    with transaction.atomic():
        locked = _lock(case)
        _require_state(locked, Action.REJECTED, [S.ON_HOLD])
        return _commit(locked, Action.REJECTED, to=S.REJECTED, actor=actor, reason=reason,
                       channel=channel, request_id=request_id,
                       fields={"closed_reason": ClosedReason.PUBLIC_OBJECTION})


# --- payment (called by ``payments``, set-based) ------------------------------------------

def start_payment_many(case_ids: Sequence[int], *, actor: User, batch_id: int, channel: str,
                       request_id: str) -> list[int]:
    """Put the cases of a new payment batch in payment (``payments.batches`` calls this).

    Only payable cases, and failed ones the caller found re-payable, can move: a case already
    in a batch is skipped, so it cannot enter a second one.
    """
    require_role(actor, Action.PAYMENT_STARTED)
    return _move_many(case_ids, action=Action.PAYMENT_STARTED, to=S.IN_PAYMENT, actor=actor,
                      channel=channel, request_id=request_id, reason=f"拨付批次 #{batch_id}")


def cancel_payment_many(back_to: Mapping[int, State], *, actor: User, batch_id: int,
                        channel: str, request_id: str) -> list[int]:
    """Take the cases of a batch cancelled before export back to where they were."""
    require_role(actor, Action.PAYMENT_CANCELLED)
    moved: list[int] = []
    for target in (S.PAYABLE, S.PAYMENT_FAILED):
        ids = [pk for pk, state in back_to.items() if state == target]
        moved += _move_many(ids, action=Action.PAYMENT_CANCELLED, to=target, actor=actor,
                            sources=[S.IN_PAYMENT], channel=channel, request_id=request_id,
                            reason=f"拨付批次 #{batch_id} 导出前撤销")
    return moved


def settle_payment_many(*, paid_ids: Sequence[int], failed_reasons: Mapping[int, str],
                        actor: User, channel: str, request_id: str) -> tuple[list[int], list[int]]:
    """Record the bank's answer: paid cases are paid; failed ones wait for a verified account."""
    require_role(actor, Action.PAID)
    paid = _move_many(paid_ids, action=Action.PAID, to=S.PAID, actor=actor, channel=channel,
                      request_id=request_id, reason="银行回单确认到账")
    failed = _move_many(list(failed_reasons), action=Action.PAYMENT_FAILED, to=S.PAYMENT_FAILED,
                        actor=actor, reasons=failed_reasons, channel=channel,
                        request_id=request_id)
    return paid, failed


def note_verified_account_many(case_ids: Sequence[int], *, actor: User, reason: str,
                               channel: str, request_id: str = "") -> list[int]:
    """Record on payable and failed cases that their next payment goes to a newly verified
    account (``payments.account_changes``); the state stays."""
    require_role(actor, Action.ACCOUNT_CHANGED)
    moved: list[int] = []
    for state in (S.PAYABLE, S.PAYMENT_FAILED):
        moved += _move_many(case_ids, action=Action.ACCOUNT_CHANGED, to=state, actor=actor,
                            sources=[state], reason=reason, channel=channel,
                            request_id=request_id)
    return moved


# --- re-screening (called by the loader, set-based) ----------------------------------------

def withdraw_ineligible(*, run_id: int, channel: str = Channel.SYSTEM, request_id: str = "") -> int:
    """Withdraw never-approved open cases that the latest run found no longer eligible."""
    ids = (Case.objects.filter(screening_run_id=run_id, eligible=False,
                               state__in=UNAPPROVED_OPEN_STATES).never_approved()
           .values_list("pk", flat=True))
    return len(_move_many(list(ids), action=Action.RESCREEN_WITHDRAWN, to=S.WITHDRAWN,
                          actor=None, actor_label="重新筛查", channel=channel,
                          request_id=request_id, run_id=run_id,
                          reason="重新筛查后不再符合条件，见筛查说明",
                          fields={"closed_reason": ClosedReason.RESCREEN_INELIGIBLE}))


def reopen_eligible(*, run_id: int, channel: str = Channel.SYSTEM, request_id: str = "") -> int:
    """Reopen cases a re-screen had withdrawn once a later run finds them eligible again."""
    ids = (Case.objects.filter(screening_run_id=run_id, eligible=True, state=S.WITHDRAWN,
                               closed_reason=ClosedReason.RESCREEN_INELIGIBLE)
           .values_list("pk", flat=True))
    return len(_move_many(list(ids), action=Action.RESCREEN_REOPENED, to=S.SCREENED,
                          actor=None, actor_label="重新筛查", channel=channel,
                          request_id=request_id, run_id=run_id,
                          reason="重新筛查后符合条件，恢复办理",
                          fields={"apply_by": None, "remind_on": None, "reminded_on": None}))


def timeline(case: Case) -> list[CaseEvent]:
    """The case's events, oldest first."""
    return list(CaseEvent.objects.for_case(case).select_related("actor"))
