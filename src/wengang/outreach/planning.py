"""Which notices to send: derived from case events, set-based, in SQL.

``plan`` first records, through ``cases.workflow``, the events that outreach itself causes —
the notice of every screened case (automatic → notified, application → awaiting it, with its
deadline) and every application reminder now due — then ``derive`` turns events into notices:
one ``INSERT … SELECT … ON CONFLICT DO NOTHING`` per topic and channel, so a million events cost
a few statements, and running it twice (or twice at once) adds nothing (the unique key
``notice_one_per_unit_event_channel``). Only news still true is told: a case event yields a
notice while the case is still in the state the event left it (an approval overtaken by
publicity is not sent next to the publicity notice).

A person's case (a trainee's skills-training subsidy) is told to the person, not to a unit:
that they are eligible and that the money is paid (``PERSON_TOPICS``), in their in-site inbox
and to the phone on their record — one text per person × case × event, held by the key
``notice_one_per_person_event_channel``. The unit topics join the case's unit, so they never
reach a person's case, and the person topics never a unit's.
"""

from collections.abc import Iterable
from dataclasses import dataclass
from datetime import date, datetime

from django.conf import settings
from django.db import connection, transaction

from wengang.cases import workflow
from wengang.cases.models import Action, Case, CaseEvent, Person, State, Unit, region_prefix
from wengang.cases.models import Channel as CaseChannel
from wengang.core.clock import clock
from wengang.payments.models import Receivable

from .models import PERSON_TOPICS, Channel, Contact, Notice, OptOut, Recipient, Status, Topic


@dataclass(frozen=True)
class Source:
    """The case event a topic is told from (``state_after``: only that outcome of it)."""

    action: Action
    state_after: State
    due_on: str = "NULL"
    reason: str = "''"


SOURCES: dict[Topic, Source] = {
    Topic.ELIGIBLE_AUTOMATIC: Source(Action.NOTIFIED, State.NOTIFIED),
    Topic.ELIGIBLE_APPLICATION: Source(Action.NOTIFIED, State.AWAITING_APPLICATION, "c.apply_by"),
    Topic.REMINDER: Source(Action.REMINDED, State.AWAITING_APPLICATION, "c.apply_by"),
    Topic.APPROVED: Source(Action.APPROVED, State.APPROVED),
    Topic.IN_PUBLICITY: Source(Action.PUBLICITY_STARTED, State.IN_PUBLICITY),
    Topic.PAID: Source(Action.PAID, State.PAID),
    Topic.PAYMENT_FAILED: Source(Action.PAYMENT_FAILED, State.PAYMENT_FAILED, reason="e.reason"),
    Topic.REJECTED: Source(Action.REJECTED, State.REJECTED, reason="e.reason"),
    Topic.PERSON_ELIGIBLE: Source(Action.NOTIFIED, State.NOTIFIED),
    Topic.PERSON_PAID: Source(Action.PAID, State.PAID),
}
"""Case events per topic. The clawback notice comes from a receivable (``payments``) instead."""

PERSON_PHONE_CHANNELS = frozenset({Channel.SMS, Channel.OUTBOX})
"""Where a person is reached besides the inbox: the phone on their record (no call lists, no
WeChat or e-mail addresses are kept for persons)."""

DEFAULT_CHANNELS = (Channel.INBOX, Channel.OUTBOX)
"""The embedded default: the in-site inbox plus an outbox file; the demo needs no gateway."""


@dataclass(frozen=True)
class PlanSummary:
    notified: int
    reminded: int
    notices: int


# --- SQL -------------------------------------------------------------------------------------
# Only table and column names are interpolated (from the models); every value is bound.

_COLUMNS = ("unit_id, case_id, event_id, topic, channel, recipient, address, language, "
            "amount_fen, due_on, reason, status, attempts, next_attempt_at, lease, text, "
            "gateway_message_id, error, created_at")


@dataclass(frozen=True)
class _Recipients:
    """Who a channel reaches: SELECT-list SQL and params, then JOIN SQL and params."""

    select: str
    select_params: list
    join: str = ""
    join_params: tuple = ()


def _recipients_sql(channel: str) -> _Recipients:
    if channel == Channel.INBOX:
        return _Recipients("%s, '', %s", [Recipient.UNIT, settings.LANGUAGE_CODE])
    if channel in (Channel.SMS, Channel.OUTBOX, Channel.CALL):
        # The contact, and the clerk where the feed has one with another number.
        phones = ("(SELECT %s AS recipient, u2.id AS unit_id, u2.contact_phone AS address "
                  f"FROM {Unit._meta.db_table} u2 WHERE u2.contact_phone <> '' "
                  "UNION ALL SELECT %s, u3.id, u3.clerk_phone "
                  f"FROM {Unit._meta.db_table} u3 WHERE u3.clerk_phone <> '' "
                  "AND u3.clerk_phone <> u3.contact_phone)")
        return _Recipients("ct.recipient, ct.address, %s", [settings.LANGUAGE_CODE],
                           f" JOIN {phones} ct ON ct.unit_id = u.id",
                           (Recipient.CONTACT, Recipient.CLERK))
    return _Recipients("ct.recipient, ct.address, ct.language", [],
                       f" JOIN {Contact._meta.db_table} ct ON ct.unit_id = u.id AND ct.channel = %s",
                       (channel,))


def _filters_sql(channel: str, region_code: str | None) -> tuple[str, list]:
    sql = (f" AND NOT EXISTS (SELECT 1 FROM {OptOut._meta.db_table} o "
           "WHERE o.unit_id = u.id AND o.channel = %s)")
    params: list = [channel]
    if region_code:
        prefix = region_prefix(region_code)
        sql += " AND u.region_code LIKE %s"
        params.append(prefix + "%")
    return sql, params


def event_notices_sql(topic: Topic, channel: str, region_code: str | None,
                      now: datetime) -> tuple[str, list]:
    """Notices of ``topic`` on ``channel`` for every case event still true, not yet noticed."""
    source = SOURCES[topic]
    who = _recipients_sql(channel)
    filters, filter_params = _filters_sql(channel, region_code)
    at = connection.ops.adapt_datetimefield_value(now)
    sql = (f"INSERT INTO {Notice._meta.db_table} ({_COLUMNS}) "
           f"SELECT u.id, c.id, e.id, %s, %s, {who.select}, c.amount_fen, {source.due_on}, "
           f"{source.reason}, %s, 0, %s, '', '', '', '', %s "
           f"FROM {CaseEvent._meta.db_table} e "
           f"JOIN {Case._meta.db_table} c ON c.id = e.case_id "
           f"JOIN {Unit._meta.db_table} u ON u.id = c.unit_id{who.join} "
           "WHERE e.action = %s AND e.state_after = %s AND c.state = %s"
           f"{filters} ORDER BY e.id ON CONFLICT DO NOTHING")
    return sql, [topic.value, channel, *who.select_params, Status.PENDING, at, at,
                 *who.join_params, source.action.value, source.state_after.value,
                 source.state_after.value, *filter_params]


def person_notices_sql(topic: Topic, channel: str, region_code: str | None,
                       now: datetime) -> tuple[str, list] | None:
    """Notices of a person topic on ``channel`` for every person case event still true, not
    yet noticed; ``None`` for a channel that cannot reach a person."""
    if channel != Channel.INBOX and channel not in PERSON_PHONE_CHANNELS:
        return None
    source = SOURCES[topic]
    if channel == Channel.INBOX:
        who, where = "%s, '', %s", ""
    else:
        who, where = "%s, p.phone, %s", " AND p.phone <> ''"
    params_region: list = []
    if region_code:
        where += " AND p.region_code LIKE %s"
        params_region.append(region_prefix(region_code) + "%")
    at = connection.ops.adapt_datetimefield_value(now)
    sql = (f"INSERT INTO {Notice._meta.db_table} (person_id, {_COLUMNS.removeprefix('unit_id, ')}) "
           f"SELECT p.id, c.id, e.id, %s, %s, {who}, c.amount_fen, {source.due_on}, "
           f"{source.reason}, %s, 0, %s, '', '', '', '', %s "
           f"FROM {CaseEvent._meta.db_table} e "
           f"JOIN {Case._meta.db_table} c ON c.id = e.case_id "
           f"JOIN {Person._meta.db_table} p ON p.id = c.person_id "
           f"WHERE e.action = %s AND e.state_after = %s AND c.state = %s{where} "
           "ORDER BY e.id ON CONFLICT DO NOTHING")
    return sql, [topic.value, channel, Recipient.PERSON, settings.LANGUAGE_CODE, Status.PENDING,
                 at, at, source.action.value, source.state_after.value,
                 source.state_after.value, *params_region]


def clawback_notices_sql(channel: str, region_code: str | None,
                         now: datetime) -> tuple[str, list]:
    """Clawback notices: one per receivable's case, with its amount, reason and due date."""
    who = _recipients_sql(channel)
    filters, filter_params = _filters_sql(channel, region_code)
    at = connection.ops.adapt_datetimefield_value(now)
    sql = (f"INSERT INTO {Notice._meta.db_table} ({_COLUMNS}) "
           f"SELECT u.id, c.id, NULL, %s, %s, {who.select}, r.amount_fen, r.due_on, "
           "r.reason, %s, 0, %s, '', '', '', '', %s "
           f"FROM {Receivable._meta.db_table} r "
           f"JOIN {Case._meta.db_table} c ON c.id = r.case_id "
           f"JOIN {Unit._meta.db_table} u ON u.id = c.unit_id{who.join} "
           f"WHERE 1 = 1{filters} ORDER BY r.id ON CONFLICT DO NOTHING")
    return sql, [Topic.CLAWBACK.value, channel, *who.select_params, Status.PENDING, at, at,
                 *who.join_params, *filter_params]


# --- services --------------------------------------------------------------------------------

def derive(*, channels: Iterable[str] = DEFAULT_CHANNELS, region_code: str | None = None,
           topics: Iterable[Topic] = tuple(Topic), now: datetime | None = None) -> int:
    """Add the notices that case events (and receivables) call for; return how many were added."""
    now = now or clock.now()
    added = 0
    with transaction.atomic(), connection.cursor() as cursor:
        for channel in channels:
            for topic in topics:
                if topic == Topic.CLAWBACK:
                    statement = clawback_notices_sql(channel, region_code, now)
                elif topic in PERSON_TOPICS:
                    statement = person_notices_sql(Topic(topic), channel, region_code, now)
                else:
                    statement = event_notices_sql(Topic(topic), channel, region_code, now)
                if statement is None:
                    continue
                sql, params = statement
                cursor.execute(sql, params)
                added += max(cursor.rowcount, 0)
    return added


def plan(*, channels: Iterable[str] = DEFAULT_CHANNELS, region_code: str | None = None,
         today: date | None = None, now: datetime | None = None) -> PlanSummary:
    """Notify every screened case, record the reminders due today, derive their notices.

    One transaction: the workflow events and the notices that tell them commit together, so
    a case is never "notified" without its notice waiting to go out — and the in-site inbox
    is always among the channels: it is the unit's record of what it was told, whatever
    other channel reaches it (or none: a unit with no phone on record).
    """
    channels = [Channel.INBOX, *(c for c in channels if c != Channel.INBOX)]
    today = today or clock.today()
    screened = Case.objects.filter(state=State.SCREENED)
    if region_code:
        screened = screened.in_region(region_code)
    with transaction.atomic():
        notified = workflow.notify_many(screened, actor=None, channel=CaseChannel.SYSTEM,
                                        today=today)
        due = workflow.reminders_due(on=today, region_code=region_code)
        reminded = workflow.record_reminders(due.values_list("pk", flat=True),
                                             channel=CaseChannel.SYSTEM, today=today)
        notices = derive(channels=channels, region_code=region_code, now=now)
    return PlanSummary(notified=notified, reminded=len(reminded), notices=notices)
