"""Outward: what the intranet tells the internet, and how the internet keeps its copy.

``collect`` (intranet) turns what changed since the last export into outward messages:
commitment letters, cases (a whole snapshot of what the portal shows: state, amount,
explanation, dates, the masked account, the unit's public details, the events of its timeline),
inbox notices, publicity lists opened or closed. A case is sent whole each time one of its
events is new, so an update that arrives twice, or after a lost one, leaves the right copy.

The appliers (internet) write that copy into the same tables the portal reads, under the
intranet's ids, so a case has one number in both zones. This is replication, not a decision:
the intranet's workflow moved the state; the copy is written with a queryset update (which
``Case.save``'s guard against state changes outside the workflow does not see) by this module
only. What the internet database never receives: full account or ID numbers (sealed values
and digests stay inside), review tasks and other departments' data, screening inputs, risk
flags, payments.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from django.db import models, transaction
from django.db.models import Max

from wengang.accounts.models import Role, User
from wengang.cases.models import (
    Case,
    CaseEvent,
    CommitmentText,
    PublicityBatch,
    PublicityItem,
    PublicityListing,
    Unit,
)
from wengang.core.clock import clock
from wengang.outreach.models import Channel as NoticeChannel
from wengang.outreach.models import Notice

from .envelope import OUTWARD, Message, ZoneError
from .models import ExportCursor, OutboundMessage, Submission

CASES_PER_MESSAGE = 500
NOTICES_PER_MESSAGE = 1000
MIRROR_USER = "zone-intranet"
"""The inactive account the internet copy names where the intranet named an officer (who opened
a publicity list): officers' names stay on the intranet."""

CASE_FIELDS = (
    "program", "program_kind", "refund_year", "state", "route", "size", "priority", "eligible",
    "amount_fen", "insured", "layoff_rate", "failed", "explanation", "version",
    "state_changed_at", "apply_by", "remind_on", "reminded_on", "approved_on", "payable_on",
    "closed_reason", "held_from", "hold_kind", "created_at", "updated_at", "account_kind",
    "account_masked", "opened_by_run_id", "screening_run_id")
UNIT_FIELDS = ("name", "unit_type", "region_code", "size", "contact_phone", "account_kind",
               "account_masked")
"""The contact phone goes out because the internet instance sends the SMS login code."""
EVENT_FIELDS = ("at", "action", "state_before", "state_after", "reason", "channel",
                "amount_before_fen", "amount_after_fen", "actor_label")
NOTICE_FIELDS = ("topic", "channel", "recipient", "language", "amount_fen", "due_on", "reason",
                 "status", "attempts", "next_attempt_at", "text", "created_at", "sent_at",
                 "delivered_at")
BATCH_FIELDS = ("region_code", "program", "start_on", "end_on", "workdays", "opened_at",
                "status", "closed_at")


def _json(value):
    if isinstance(value, (date, datetime)):
        return value.isoformat()
    if isinstance(value, Decimal):
        return str(value)
    return value


def _pick(record: models.Model, names: tuple[str, ...]) -> dict:
    return {name: _json(getattr(record, name)) for name in names}


def _parsed(model: type[models.Model], data: dict, names: tuple[str, ...]) -> dict:
    """``data``'s values as the model's fields want them (ISO dates back to dates …)."""
    values = {}
    for name in names:
        field = model._meta.get_field(name.removesuffix("_id") if name.endswith("_id") else name)
        value = data.get(name)
        values[name] = value if name.endswith("_id") or value is None else field.to_python(value)
    return values


# --- intranet: collecting ----------------------------------------------------------------------

def _cursor(name: str) -> ExportCursor:
    return ExportCursor.objects.get_or_create(name=name)[0]


def _emit(kind: str, payload: dict) -> None:
    OutboundMessage.objects.create(direction=OUTWARD, kind=kind, payload=payload,
                                   created_at=clock.now())


def case_snapshot(case: Case, events: list[CaseEvent]) -> dict:
    return {"id": case.pk, **_pick(case, CASE_FIELDS),
            "unit": {"uscc": case.unit.uscc, **_pick(case.unit, UNIT_FIELDS)},
            "events": [{"id": e.pk, **_pick(e, EVENT_FIELDS)} for e in events]}


def collect(*, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Write outward messages for everything changed since the last collection."""
    counts = {"commitment_texts": 0, "cases": 0, "skipped_persons": 0, "notices": 0,
              "publicity": 0}
    with transaction.atomic():
        cursor = _cursor("commitment_text")
        texts = list(CommitmentText.objects.filter(pk__gt=cursor.position).order_by("pk"))
        if texts:
            _emit("commitment_texts", {"texts": [
                {"version": t.version, "title": t.title, "text": t.text, "sha256": t.sha256,
                 "valid_from": t.valid_from.isoformat(), "program": t.program} for t in texts]})
            cursor.position = texts[-1].pk
            cursor.save(update_fields=["position"])
            counts["commitment_texts"] = len(texts)

    cursor = _cursor("case_event")
    last = CaseEvent.objects.aggregate(last=Max("pk"))["last"] or 0
    case_ids = sorted(set(CaseEvent.objects.filter(pk__gt=cursor.position, pk__lte=last)
                          .values_list("case_id", flat=True)))
    for start in range(0, len(case_ids), CASES_PER_MESSAGE):
        chunk = case_ids[start:start + CASES_PER_MESSAGE]
        cases = list(Case.objects.filter(pk__in=chunk).select_related("unit").order_by("pk"))
        events: dict[int, list[CaseEvent]] = {}
        for event in CaseEvent.objects.filter(case_id__in=chunk).order_by("at", "id"):
            events.setdefault(event.case_id, []).append(event)
        snapshots = []
        for case in cases:
            if case.unit_id is None:  # a person's subsidy: not on the enterprise portal
                counts["skipped_persons"] += 1
                continue
            snapshots.append(case_snapshot(case, events.get(case.pk, [])))
        if snapshots:
            with transaction.atomic():
                _emit("cases", {"cases": snapshots})
        counts["cases"] += len(snapshots)
        if progress:
            progress(start + len(chunk), len(case_ids))
    if last > cursor.position:
        cursor.position = last
        cursor.save(update_fields=["position"])

    for batch in PublicityBatch.objects.order_by("pk"):
        cursor = _cursor(f"publicity:{batch.pk}")
        wanted = 2 if batch.status == PublicityBatch.Status.CLOSED else 1
        if cursor.position >= wanted:
            continue
        with transaction.atomic():
            # Units' cases only (persons' are not copied); the list rows as published that day.
            _emit("publicity", {"id": batch.pk, **_pick(batch, BATCH_FIELDS),
                                "cases": list(PublicityItem.objects.filter(
                                    batch=batch, case__unit__isnull=False).order_by("case_id")
                                    .values_list("case_id", flat=True)),
                                "listing": [list(row) for row in PublicityListing.objects.filter(
                                    batch=batch, case__unit__isnull=False).order_by("case_id")
                                    .values_list("case_id", "name", "code", "program",
                                                 "amount_fen")]})
            cursor.position = wanted
            cursor.save(update_fields=["position"])
        counts["publicity"] += 1

    cursor = _cursor("notice")
    while True:
        notices = list(Notice.objects.filter(pk__gt=cursor.position, channel=NoticeChannel.INBOX)
                       .select_related("unit").order_by("pk")[:NOTICES_PER_MESSAGE])
        if not notices:
            break
        with transaction.atomic():
            _emit("notices", {"notices": [
                {"id": n.pk, "uscc": n.unit.uscc, "case": n.case_id, "event": n.event_id,
                 **_pick(n, NOTICE_FIELDS)} for n in notices]})
            cursor.position = notices[-1].pk
            cursor.save(update_fields=["position"])
        counts["notices"] += len(notices)
    return counts


def submission_result(submission_id: int, *, accepted: bool, reason: str) -> None:
    """The intranet's answer to one inward submission (written with the received record)."""
    _emit("submission_result", {"submission": submission_id,
                                "status": "accepted" if accepted else "refused", "reason": reason})


# --- internet: the copy ------------------------------------------------------------------------

def _mirror_user() -> User:
    user = User.objects.filter(username=MIRROR_USER).first()
    if user is None:
        user = User(username=MIRROR_USER, role=Role.AGENCY, is_active=False,
                    first_name="内网")
        user.set_unusable_password()
        user.save()
    return user


def _mirror_units(rows: list[dict]) -> dict[str, Unit]:
    """The units of ``rows`` (their public fields), created or brought up to date, by USCC."""
    now = clock.now()
    units = {u.uscc: u for u in Unit.objects.filter(uscc__in={r["uscc"] for r in rows})}
    new, changed = [], []
    for data in rows:
        values = _parsed(Unit, data, UNIT_FIELDS)
        unit = units.get(data["uscc"])
        if unit is None:
            unit = units[data["uscc"]] = Unit(uscc=data["uscc"], updated_at=now, **values)
            new.append(unit)
        elif unit.pk is not None and any(getattr(unit, name) != value
                                         for name, value in values.items()):
            for name, value in values.items():
                setattr(unit, name, value)
            unit.updated_at = now
            changed.append(unit)
    Unit.objects.bulk_create(new)
    Unit.objects.bulk_update(changed, [*UNIT_FIELDS, "updated_at"])
    return {u.uscc: u for u in Unit.objects.filter(uscc__in=list(units))}


def mirror_cases(message: Message, keys: dict[str, bytes]) -> str:
    """Set-based: a message of 500 cases is a handful of statements, not thousands."""
    rows = message.payload["cases"]
    units = _mirror_units([data["unit"] for data in rows])
    ids = [data["id"] for data in rows]
    existing = Case.objects.in_bulk(ids)
    new, changed = [], []
    for data in rows:
        values = {**_parsed(Case, data, CASE_FIELDS), "unit": units[data["unit"]["uscc"]]}
        case = existing.get(data["id"])
        if case is None:
            new.append(Case(pk=data["id"], **values))
            continue
        for name, value in values.items():
            setattr(case, name, value)
        changed.append(case)
    Case.objects.bulk_create(new)
    Case.objects.bulk_update(changed, [*CASE_FIELDS, "unit"])
    known = set(CaseEvent.objects.filter(case_id__in=ids).values_list("pk", flat=True))
    CaseEvent.objects.bulk_create([
        CaseEvent(pk=event["id"], case_id=data["id"], **_parsed(CaseEvent, event, EVENT_FIELDS))
        for data in rows for event in data["events"] if event["id"] not in known])
    return f"{len(rows)} 件案件"


def mirror_commitment_texts(message: Message, keys: dict[str, bytes]) -> str:
    for data in message.payload["texts"]:
        text, _created = CommitmentText.objects.get_or_create(version=data["version"], defaults={
            "title": data["title"], "text": data["text"],
            "valid_from": date.fromisoformat(data["valid_from"]), "program": data["program"]})
        if text.sha256 != data["sha256"]:
            raise ZoneError(f"承诺书 {data['version']} 与内网文本不一致",
                            f"commitment letter {data['version']} differs from the intranet's",
                            code="zone_commitment")
    return f"{len(message.payload['texts'])} 份承诺书"


def _require_cases(ids: list[int]) -> None:
    known = set(Case.objects.filter(pk__in=ids).values_list("pk", flat=True))
    if missing := sorted(set(ids) - known):
        raise ZoneError(f"外网没有案件 {missing[:5]}（须先收到案件更新）",
                        f"no case {missing[:5]} on the internet (its case update must come first)",
                        code="zone_unknown_case")


def mirror_publicity(message: Message, keys: dict[str, bytes]) -> str:
    data = message.payload
    _require_cases(data["cases"])
    user = _mirror_user()
    values = {**_parsed(PublicityBatch, data, BATCH_FIELDS), "opened_by": user,
              "closed_by": user if data["status"] == PublicityBatch.Status.CLOSED else None}
    if not PublicityBatch.objects.filter(pk=data["id"]).update(**values):
        PublicityBatch.objects.create(pk=data["id"], **values)
    known = set(PublicityItem.objects.filter(batch_id=data["id"]).values_list("case_id", flat=True))
    PublicityItem.objects.bulk_create([PublicityItem(batch_id=data["id"], case_id=case_id)
                                       for case_id in data["cases"] if case_id not in known])
    listed = set(PublicityListing.objects.filter(batch_id=data["id"])
                 .values_list("case_id", flat=True))
    PublicityListing.objects.bulk_create([
        PublicityListing(batch_id=data["id"], case_id=case_id, name=name, code=code,
                         program=program, amount_fen=amount_fen)
        for case_id, name, code, program, amount_fen in data["listing"] if case_id not in listed])
    return f"公示批次 {data['id']}（{data['status']}）"


def mirror_notices(message: Message, keys: dict[str, bytes]) -> str:
    notices = message.payload["notices"]
    _require_cases([n["case"] for n in notices if n["case"] is not None])
    units = {u.uscc: u for u in Unit.objects.filter(uscc__in={n["uscc"] for n in notices})}
    events = set(CaseEvent.objects.filter(pk__in=[n["event"] for n in notices if n["event"]])
                 .values_list("pk", flat=True))
    for data in notices:
        if data["uscc"] not in units:
            raise ZoneError(f"外网没有参保单位 {data['uscc']}", f"no unit {data['uscc']} on the "
                            "internet", code="zone_unknown_unit")
        values = {**_parsed(Notice, data, NOTICE_FIELDS), "unit": units[data["uscc"]],
                  "case_id": data["case"], "event_id": data["event"] if data["event"] in events
                  else None}
        if not Notice.objects.filter(pk=data["id"]).update(**values):
            Notice.objects.create(pk=data["id"], **values)
    return f"{len(notices)} 条站内消息"


def apply_submission_result(message: Message, keys: dict[str, bytes]) -> str:
    data = message.payload
    submission = Submission.objects.select_for_update().filter(pk=data["submission"]).first()
    if submission is None:
        raise ZoneError(f"外网没有提交记录 {data['submission']}",
                        f"no submission {data['submission']} on the internet",
                        code="zone_unknown_submission")
    if submission.status == Submission.Status.AWAITING:
        submission.status = (Submission.Status.ACCEPTED if data["status"] == "accepted"
                             else Submission.Status.REFUSED)
        submission.reason = data["reason"]
        submission.decided_at = clock.now()
        submission.save(update_fields=["status", "reason", "decided_at"])
    return f"提交 {submission.pk}：{submission.get_status_display()}"


APPLIERS: dict[str, Callable[[Message, dict[str, bytes]], str]] = {
    "commitment_texts": mirror_commitment_texts, "cases": mirror_cases,
    "publicity": mirror_publicity, "notices": mirror_notices,
    "submission_result": apply_submission_result,
}
