"""Outward: what the intranet tells the internet, and how the internet keeps its copy.

``collect`` (intranet) turns what changed since the last export into outward messages:
commitment letters, cases (a whole snapshot of what the portal shows: state, amount,
explanation, dates, the masked account, the unit's public details — or the person's blind
index, masked name and ID, phone and masked account, and the claim items — the events of its
timeline), notices, publicity lists opened or closed (units' and persons' rows, as the public
list shows them), answers to appeals filed on the internet, and account changes (the masked
account, the status, its dates and the officer's note), and the public figures page's summary
tables after each statistics refresh (counts and sums by county only). A case is sent whole
each time one of its events is new, an account change each time its status is, so an update
that arrives twice, or after a lost one, leaves the right copy.

The appliers (internet) write that copy into the same tables the portal reads, under the
intranet's ids, so a case has one number in both zones. This is replication, not a decision:
the intranet's workflow moved the state; the copy is written with a queryset update (which
``Case.save``'s guard against state changes outside the workflow does not see) by this module
only. What the internet database never receives: full account or ID numbers (sealed values
and account digests stay inside; a person's ID travels only as its blind index, which the
person login looks up), persons' full names, certificate and course numbers, review tasks and
other departments' data, screening inputs, risk flags, payments.
"""

from collections.abc import Callable
from datetime import date, datetime
from decimal import Decimal

from django.db import OperationalError, connection, models, transaction
from django.db.models import Exists, Max, OuterRef

from wengang.accounts.errors import LoginRefused
from wengang.accounts.login import (  # the one way an enterprise or a person user is made
    _enterprise_user,
    _person_user,
)
from wengang.accounts.models import Role, User
from wengang.cases.models import (
    Case,
    CaseEvent,
    ClaimItem,
    CommitmentText,
    Person,
    PublicityBatch,
    PublicityItem,
    PublicityListing,
    Unit,
)
from wengang.core.clock import clock
from wengang.outreach.models import Channel as NoticeChannel
from wengang.outreach.models import Notice
from wengang.payments.models import AccountChange
from wengang.stats.models import LOCAL, CaseCount, PaymentCount, Rollup
from wengang.stats.rollup import rows_of, table_of
from wengang.web.models import Appeal

from .envelope import OUTWARD, Message, ZoneError
from .models import AppealLink, ExportCursor, OutboundMessage, SentAccountChange, Submission

CASES_PER_MESSAGE = 500
ACCOUNT_CHANGES_PER_MESSAGE = 500
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
UNIT_FIELDS = ("name", "unit_type", "region_code", "size", "contact_phone", "bank_name",
               "account_kind", "account_masked")
"""The contact phone goes out because the internet instance sends the SMS login code."""
PERSON_FIELDS = ("phone", "region_code", "account_kind", "account_masked", "resident_id_masked")
"""With the blind index (``resident_id_digest``: the person login finds the person by it) and
the masked name; the phone for the SMS login code, as a unit's contact phone."""
ITEM_FIELDS = ("program", "subject", "amount_fen", "dated", "explanation", "created_at", "run_id")
"""A claim item as /me/ shows it: not its record (a certificate or course number) or key."""
EVENT_FIELDS = ("at", "action", "state_before", "state_after", "reason", "channel",
                "amount_before_fen", "amount_after_fen", "actor_label")
NOTICE_FIELDS = ("topic", "channel", "recipient", "language", "amount_fen", "due_on", "reason",
                 "status", "attempts", "next_attempt_at", "text", "created_at", "sent_at",
                 "delivered_at")
BATCH_FIELDS = ("region_code", "program", "start_on", "end_on", "workdays", "opened_at",
                "status", "closed_at")
LISTING_FIELDS = ("case_id", "name", "code", "program", "amount_fen")
"""A row of the public list as written when the list opened: a unit by its name and code, a
person by the masked name only (``publicity.write_listing``)."""
ACCOUNT_CHANGE_FIELDS = ("bank_name", "account_kind", "account_masked", "status", "requested_at",
                         "channel", "verifiable_from", "decided_at", "decision_note")
"""What the portal's account pages show of a request: not the number (in clear, sealed or its
digest), the holder's name, or who asked or decided."""
PUBLIC_FIGURES = (CaseCount, PaymentCount)
"""The summary tables the public figures page reads (``stats.views.public_figures``): eligible
and paid, counted by county, program, size and industry — no unit, no person."""


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


LOCK_WAIT = "200ms"
"""How long an export waits for the transactions writing a table it reads by id (below)."""


def _settled_last(model: type[models.Model]) -> int:
    """The highest id of ``model`` under which no row can still appear (0: none, or not now).

    A row's id is drawn when it is inserted, but the row shows only once its transaction
    commits: on PostgreSQL a row can commit after one with a higher id that an export has
    already passed, and would never go out. Taking the table in SHARE mode waits until every
    transaction that inserted into it has ended (and holds new inserts for one indexed max());
    one still running after ``LOCK_WAIT`` leaves the table to the next export rather than keep
    confirmations queued behind the lock. SQLite has one writer at a time: ids commit in order.
    """
    with transaction.atomic():
        if connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute(f"SET LOCAL lock_timeout = '{LOCK_WAIT}'")
                try:
                    with transaction.atomic():
                        cursor.execute(f"LOCK TABLE {model._meta.db_table} IN SHARE MODE")
                except OperationalError:  # lock_timeout: a writer is still at work
                    return 0
        return model.objects.aggregate(last=Max("pk"))["last"] or 0


def _emit(kind: str, payload: dict) -> None:
    OutboundMessage.objects.create(direction=OUTWARD, kind=kind, payload=payload,
                                   created_at=clock.now())


def case_snapshot(case: Case, events: list[CaseEvent], items: list[ClaimItem] = ()) -> dict:
    """A unit's case with the unit's public details, or a person's with the person's masked
    ones and the claim items."""
    beneficiary = (
        {"unit": {"uscc": case.unit.uscc, **_pick(case.unit, UNIT_FIELDS)}} if case.unit_id
        else {"person": {"resident_id_digest": case.person.resident_id_digest,
                         "name": case.person.name_masked, **_pick(case.person, PERSON_FIELDS)},
              "items": [{"id": i.pk, **_pick(i, ITEM_FIELDS)} for i in items]})
    return {"id": case.pk, **_pick(case, CASE_FIELDS), **beneficiary,
            "events": [{"id": e.pk, **_pick(e, EVENT_FIELDS)} for e in events]}


def _notice(notice: Notice) -> dict:
    owner = ({"uscc": notice.unit.uscc} if notice.unit_id
             else {"person": notice.person.resident_id_digest})
    return {"id": notice.pk, **owner, "case": notice.case_id, "event": notice.event_id,
            **_pick(notice, NOTICE_FIELDS)}


def collect(*, progress: Callable[[int, int], None] | None = None) -> dict[str, int]:
    """Write outward messages for everything changed since the last collection."""
    counts = {"commitment_texts": 0, "cases": 0, "notices": 0, "publicity": 0,
              "appeal_answers": 0, "account_changes": 0, "public_figures": 0}
    last = _settled_last(CommitmentText)
    with transaction.atomic():
        cursor = _cursor("commitment_text")
        texts = list(CommitmentText.objects.filter(pk__gt=cursor.position, pk__lte=last)
                     .order_by("pk"))
        if texts:
            _emit("commitment_texts", {"texts": [
                {"version": t.version, "title": t.title, "text": t.text, "sha256": t.sha256,
                 "valid_from": t.valid_from.isoformat(), "program": t.program} for t in texts]})
            cursor.position = texts[-1].pk
            cursor.save(update_fields=["position"])
            counts["commitment_texts"] = len(texts)

    cursor = _cursor("case_event")
    last = _settled_last(CaseEvent)
    case_ids = sorted(set(CaseEvent.objects.filter(pk__gt=cursor.position, pk__lte=last)
                          .values_list("case_id", flat=True)))
    for start in range(0, len(case_ids), CASES_PER_MESSAGE):
        chunk = case_ids[start:start + CASES_PER_MESSAGE]
        cases = list(Case.objects.filter(pk__in=chunk).select_related("unit", "person")
                     .order_by("pk"))
        events: dict[int, list[CaseEvent]] = {}
        for event in CaseEvent.objects.filter(case_id__in=chunk).order_by("at", "id"):
            events.setdefault(event.case_id, []).append(event)
        items: dict[int, list[ClaimItem]] = {}
        for item in ClaimItem.objects.filter(case_id__in=[c.pk for c in cases if c.person_id]
                                             ).order_by("dated", "id"):
            items.setdefault(item.case_id, []).append(item)
        snapshots = [case_snapshot(case, events.get(case.pk, []), items.get(case.pk, []))
                     for case in cases]
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
            # An open list goes with its rows as published that day; a closed one without: its
            # rows leave the internet copy.
            rows = (PublicityListing.objects.filter(batch=batch).order_by("case_id")
                    if wanted == 1 else PublicityListing.objects.none())
            _emit("publicity", {"id": batch.pk, **_pick(batch, BATCH_FIELDS),
                                "cases": list(rows.values_list("case_id", flat=True)),
                                "listing": [list(row) for row in rows.values_list(*LISTING_FIELDS)]})
            cursor.position = wanted
            cursor.save(update_fields=["position"])
        counts["publicity"] += 1

    # A unit reads its inbox on the portal; a person's messages page lists every channel.
    last = _settled_last(Notice)
    for name, wanted in (("notice", Notice.objects.filter(unit__isnull=False,
                                                          channel=NoticeChannel.INBOX)),
                         ("person_notice", Notice.objects.filter(person__isnull=False))):
        cursor = _cursor(name)
        while True:
            notices = list(wanted.filter(pk__gt=cursor.position, pk__lte=last)
                           .select_related("unit", "person").order_by("pk")[:NOTICES_PER_MESSAGE])
            if not notices:
                break
            with transaction.atomic():
                _emit("notices", {"notices": [_notice(n) for n in notices]})
                cursor.position = notices[-1].pk
                cursor.save(update_fields=["position"])
            counts["notices"] += len(notices)

    with transaction.atomic():
        answered = list(AppealLink.objects.select_for_update(of=("self",))
                        .filter(answer_sent_at__isnull=True, appeal__status=Appeal.Status.ANSWERED)
                        .select_related("appeal").order_by("pk"))
        for link in answered:
            _emit("appeal_answer", {"appeal": link.internet_appeal, "case": link.appeal.case_id,
                                    "answer": link.appeal.answer,
                                    "answered_at": link.appeal.answered_at.isoformat()})
        AppealLink.objects.filter(pk__in=[link.pk for link in answered]).update(
            answer_sent_at=clock.now())
        counts["appeal_answers"] = len(answered)

    counts["account_changes"] = _collect_account_changes()
    counts["public_figures"] = _collect_public_figures()
    return counts


def _collect_public_figures() -> int:
    """The public figures of the last statistics refresh, once per refresh (0 or 1 message)."""
    with transaction.atomic():
        # Locked: a refresh under way commits its rows with this row, so it waits until they
        # are read here, and the message holds one refresh's figures, never half of two.
        local = Rollup.objects.select_for_update().filter(source=LOCAL).first()
        cursor = _cursor("public_figures")
        stamp = int(local.computed_at.timestamp() * 1_000_000) if local else 0
        if stamp <= cursor.position:
            return 0
        _emit("public_figures", {
            "as_of": local.as_of.isoformat(), "computed_at": local.computed_at.isoformat(),
            "cases": local.cases,
            "tables": {model._meta.model_name: table_of(model.objects.filter(source=LOCAL))
                       for model in PUBLIC_FIGURES}})
        cursor.position = stamp
        cursor.save(update_fields=["position"])
    return 1


def _collect_account_changes() -> int:
    """Each account change whose status was not sent yet (a new request, then its decision),
    once the internet has its unit or person: one of their cases' events was collected."""
    collected = CaseEvent.objects.filter(pk__lte=_cursor("case_event").position)
    unsent = list(AccountChange.objects
                  .exclude(Exists(SentAccountChange.objects.filter(change=OuterRef("pk"),
                                                                   status=OuterRef("status"))))
                  .select_related("unit", "person").order_by("pk"))
    sent = 0
    for start in range(0, len(unsent), ACCOUNT_CHANGES_PER_MESSAGE):
        chunk = unsent[start:start + ACCOUNT_CHANGES_PER_MESSAGE]
        # By the few payees of the chunk (indexed), not a join over every event collected.
        units = set(collected.filter(case__unit_id__in={c.unit_id for c in chunk if c.unit_id})
                    .values_list("case__unit_id", flat=True).distinct())
        persons = set(collected.filter(case__person_id__in={c.person_id for c in chunk
                                                            if c.person_id})
                      .values_list("case__person_id", flat=True).distinct())
        ready = [c for c in chunk if c.unit_id in units or c.person_id in persons]
        if not ready:
            continue
        with transaction.atomic():
            _emit("account_changes", {"account_changes": [account_change_snapshot(change)
                                                          for change in ready]})
            now = clock.now()
            for change in ready:
                SentAccountChange.objects.update_or_create(
                    change=change, defaults={"status": change.status, "sent_at": now})
        sent += len(ready)
    return sent


def account_change_snapshot(change: AccountChange) -> dict:
    """A unit's (by USCC) or a person's (by blind index) request as the portal lists it."""
    owner = ({"uscc": change.unit.uscc} if change.unit_id
             else {"person": change.person.resident_id_digest})
    return {"id": change.pk, **owner, **_pick(change, ACCOUNT_CHANGE_FIELDS)}


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


def _mirror_beneficiaries(model: type[Unit] | type[Person], key: str, rows: list[dict],
                          names: tuple[str, ...]) -> dict:
    """The units (by USCC) or persons (by blind index) of ``rows``, with the fields ``names``,
    created or brought up to date; by key. No sealed value comes: nothing here opens."""
    now = clock.now()
    found = {getattr(b, key): b for b in model.objects.filter(
        **{f"{key}__in": {r[key] for r in rows}})}
    new, changed = [], []
    for data in rows:
        values = _parsed(model, data, names)
        record = found.get(data[key])
        if record is None:
            record = found[data[key]] = model(**{key: data[key]}, updated_at=now, **values)
            new.append(record)
        elif record.pk is not None and any(getattr(record, name) != value
                                           for name, value in values.items()):
            for name, value in values.items():
                setattr(record, name, value)
            record.updated_at = now
            changed.append(record)
    model.objects.bulk_create(new)
    model.objects.bulk_update(changed, [*names, "updated_at"])
    return {getattr(b, key): b for b in model.objects.filter(**{f"{key}__in": list(found)})}


def _mirror_items(rows: list[dict], persons: dict[str, Person]) -> None:
    """A person case's claim items as the intranet has them now (added, changed, removed).

    Only what /me/ shows: the record and the duplicate key stay inside (``item_key`` here is
    the item's number, unique as the constraint wants)."""
    rows = [data for data in rows if "person" in data]
    if not rows:
        return
    existing = ClaimItem.objects.in_bulk([i["id"] for data in rows for i in data["items"]])
    new, changed = [], []
    for data in rows:
        person = persons[data["person"]["resident_id_digest"]]
        for item in data["items"]:
            values = {**_parsed(ClaimItem, item, ITEM_FIELDS), "case_id": data["id"],
                      "person": person}
            if item["id"] in existing:
                for name, value in values.items():
                    setattr(existing[item["id"]], name, value)
                changed.append(existing[item["id"]])
            else:
                new.append(ClaimItem(pk=item["id"], record="", item_key=f"zone:{item['id']}",
                                     **values))
    ClaimItem.objects.filter(case_id__in=[data["id"] for data in rows]).exclude(
        pk__in=[i["id"] for data in rows for i in data["items"]]).delete()
    ClaimItem.objects.bulk_create(new)
    ClaimItem.objects.bulk_update(changed, [*ITEM_FIELDS, "case_id", "person"])


def mirror_cases(message: Message, keys: dict[str, bytes]) -> str:
    """Set-based: a message of 500 cases is a handful of statements, not thousands."""
    rows = message.payload["cases"]
    units = _mirror_beneficiaries(Unit, "uscc", [data["unit"] for data in rows
                                                 if data.get("unit")], UNIT_FIELDS)
    persons = _mirror_beneficiaries(
        Person, "resident_id_digest", [data["person"] for data in rows if data.get("person")],
        ("name", *PERSON_FIELDS))  # the name as sent: masked
    ids = [data["id"] for data in rows]
    existing = Case.objects.in_bulk(ids)
    new, changed = [], []
    for data in rows:
        beneficiary = ({"unit": units[data["unit"]["uscc"]], "person": None} if data.get("unit")
                       else {"unit": None,
                             "person": persons[data["person"]["resident_id_digest"]]})
        values = {**_parsed(Case, data, CASE_FIELDS), **beneficiary}
        case = existing.get(data["id"])
        if case is None:
            new.append(Case(pk=data["id"], **values))
            continue
        for name, value in values.items():
            setattr(case, name, value)
        changed.append(case)
    Case.objects.bulk_create(new)
    Case.objects.bulk_update(changed, [*CASE_FIELDS, "unit", "person"])
    known = set(CaseEvent.objects.filter(case_id__in=ids).values_list("pk", flat=True))
    CaseEvent.objects.bulk_create([
        CaseEvent(pk=event["id"], case_id=data["id"], **_parsed(CaseEvent, event, EVENT_FIELDS))
        for data in rows for event in data["events"] if event["id"] not in known])
    _mirror_items(rows, persons)
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
    if data["status"] == PublicityBatch.Status.CLOSED:
        # Off the public page, and out of this copy: no masked name stays here longer than its
        # list runs (the intranet keeps the record).
        PublicityListing.objects.filter(batch_id=data["id"]).delete()
        PublicityItem.objects.filter(batch_id=data["id"]).delete()
        return f"公示批次 {data['id']}（{data['status']}）"
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
    units = {u.uscc: u for u in Unit.objects.filter(
        uscc__in={n["uscc"] for n in notices if "uscc" in n})}
    persons = {p.resident_id_digest: p for p in Person.objects.filter(
        resident_id_digest__in={n["person"] for n in notices if "person" in n})}
    events = set(CaseEvent.objects.filter(pk__in=[n["event"] for n in notices if n["event"]])
                 .values_list("pk", flat=True))
    for data in notices:
        if "uscc" in data and data["uscc"] not in units:
            raise ZoneError(f"外网没有参保单位 {data['uscc']}", f"no unit {data['uscc']} on the "
                            "internet", code="zone_unknown_unit")
        if "uscc" not in data and data.get("person") not in persons:
            raise ZoneError(f"外网没有个人 {str(data.get('person'))[:12]}…（须先收到其案件）",
                            f"no person {str(data.get('person'))[:12]}… on the internet (their "
                            "case must come first)", code="zone_unknown_person")
        owner = ({"unit": units[data["uscc"]], "person": None} if "uscc" in data
                 else {"unit": None, "person": persons[data["person"]]})
        values = {**_parsed(Notice, data, NOTICE_FIELDS), **owner,
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
        if submission.kind == Submission.Kind.APPEAL and data["status"] != "accepted":
            # The intranet never saw it: answer it here with the reason, so the enterprise
            # knows, and may appeal again (one open appeal per case).
            Appeal.objects.answer(submission.message.payload["appeal"], actor=_mirror_user(),
                                  answer=f"内网未受理：{data['reason']}")
    return f"提交 {submission.pk}：{submission.get_status_display()}"


def apply_appeal_answer(message: Message, keys: dict[str, bytes]) -> str:
    """The intranet's answer to an appeal filed here, recorded by the same manager method that
    answers it on a single instance (once: an answered appeal refuses a second answer)."""
    data = message.payload
    if not Appeal.objects.filter(pk=data["appeal"], case_id=data["case"]).exists():
        raise ZoneError(f"外网没有案件 {data['case']} 的复核申请 {data['appeal']}",
                        f"no appeal {data['appeal']} on case {data['case']} on the internet",
                        code="zone_unknown_appeal")
    Appeal.objects.answer(data["appeal"], actor=_mirror_user(), answer=data["answer"])
    # When the officer answered, not when the gateway delivered it.
    Appeal.objects.filter(pk=data["appeal"]).update(
        answered_at=datetime.fromisoformat(data["answered_at"]))
    return f"复核申请 {data['appeal']} 已答复"


def _portal_user(payee: Unit | Person) -> User:
    """The beneficiary's own portal account here, named as the requester of the copy: whether
    they asked online or an officer recorded it at the counter stays on the intranet."""
    make, key = ((_enterprise_user, payee.uscc) if isinstance(payee, Unit)
                 else (_person_user, payee.resident_id_digest))
    try:
        return make(key)
    except LoginRefused:  # a disabled login is still theirs: its requests are listed
        return (User.objects.get(role=Role.ENTERPRISE, uscc=key) if isinstance(payee, Unit)
                else User.objects.get(role=Role.PERSON, resident_id_digest=key))


def mirror_account_changes(message: Message, keys: dict[str, bytes]) -> str:
    """Units' and persons' account changes as the intranet has them now (whole, by the
    intranet's ids: a later status replaces an earlier one), for the portal's account pages.
    Decided by the intranet's inactive account; nothing here opens or pays."""
    rows = message.payload["account_changes"]
    units = {u.uscc: u for u in Unit.objects.filter(
        uscc__in={r["uscc"] for r in rows if "uscc" in r})}
    persons = {p.resident_id_digest: p for p in Person.objects.filter(
        resident_id_digest__in={r["person"] for r in rows if "person" in r})}
    existing = AccountChange.objects.in_bulk([r["id"] for r in rows])
    decider = _mirror_user()
    new, changed = [], []
    for data in rows:
        payee = units.get(data["uscc"]) if "uscc" in data else persons.get(data.get("person"))
        if payee is None:
            owner = data.get("uscc") or f"{str(data.get('person'))[:12]}…"
            raise ZoneError(f"外网没有账户变更 {data['id']} 的申请人 {owner}（须先收到其案件）",
                            f"no payee {owner} of account change {data['id']} on the internet "
                            "(their case must come first)", code="zone_unknown_payee")
        values = {**_parsed(AccountChange, data, ACCOUNT_CHANGE_FIELDS),
                  "unit": payee if isinstance(payee, Unit) else None,
                  "person": payee if isinstance(payee, Person) else None,
                  "decided_by": None if data["status"] == AccountChange.Status.PENDING
                  else decider}
        change = existing.get(data["id"])
        if change is None:
            new.append(AccountChange(pk=data["id"], requested_by=_portal_user(payee),
                                     holder_name="", **values))
            continue
        for name, value in values.items():
            setattr(change, name, value)
        changed.append(change)
    AccountChange.objects.bulk_create(new)
    AccountChange.objects.bulk_update(changed, [*ACCOUNT_CHANGE_FIELDS, "unit", "person",
                                                "decided_by"])
    return f"{len(rows)} 项账户变更"


def mirror_public_figures(message: Message, keys: dict[str, bytes]) -> str:
    """The intranet's public figures as this instance's own (it counts nothing itself)."""
    data = message.payload
    computed_at = datetime.fromisoformat(data["computed_at"])
    held = Rollup.objects.select_for_update().filter(source=LOCAL).first()
    if held is not None and held.computed_at >= computed_at:
        return "统计不比已有的新，未更改 / figures not newer than those held: unchanged"
    name = f"outward #{message.sequence}"
    rows = {model: rows_of(model, data["tables"].get(model._meta.model_name), name=name,
                           source=LOCAL, within=None) for model in PUBLIC_FIGURES}
    for model, instances in rows.items():
        model.objects.filter(source=LOCAL).delete()
        model.objects.bulk_create(instances, batch_size=5000)
    Rollup.objects.update_or_create(source=LOCAL, defaults={
        "as_of": date.fromisoformat(data["as_of"]), "computed_at": computed_at,
        "cases": data["cases"], "imported_at": clock.now()})
    count = sum(map(len, rows.values()))
    return f"公开统计 {count} 行 / public figures: {count} rows"


APPLIERS: dict[str, Callable[[Message, dict[str, bytes]], str]] = {
    "commitment_texts": mirror_commitment_texts, "cases": mirror_cases,
    "publicity": mirror_publicity, "notices": mirror_notices,
    "submission_result": apply_submission_result, "appeal_answer": apply_appeal_answer,
    "account_changes": mirror_account_changes, "public_figures": mirror_public_figures,
}
