"""The tamper-evident audit log: an append-only chain of records, each MAC'd with HMAC-SM3.

    record n:  mac_n = HMAC-SM3(key, [seq_n, at_n, actor_n, action_n, target_n, source_n,
                                      source_id_n, mac_{n-1}, details_n])   (JSON, ``record_mac``)

Whoever can write to the database but does not hold the key cannot edit, delete, insert or
reorder a record without breaking the chain at that record; ``verify`` walks it and names the
first broken link. Cutting records off the end leaves a consistent shorter chain: the head row
(locked and moved with every append) shows it, and so do the daily anchors (the day's last
``seq`` and ``mac``) kept off-site — which also catch an insider who holds the key and rewrites
the whole chain after the anchor was taken.

What is recorded, and how it cannot be skipped:

- **Case events** are *absorbed*: ``absorb`` chains every ``CaseEvent`` not chained yet (an
  anti-join, not a cursor: PostgreSQL may commit ids out of order). The workflow writes events
  in three ways (``create``, ``bulk_create`` and a set-based ``INSERT … SELECT`` that moves
  100,000 cases in one statement) and the loader and late claims in two more; a ``post_save``
  signal sees only the first, and a hook in any one place misses the others. Reading the
  event table misses none, and the table is itself append-only in the database, so an event
  cannot change between its commit and its absorption. ``wengang audit sync`` absorbs, and
  ``wengang scheduler`` runs it every few minutes (``scheduler``); ``verify`` and ``anchor``
  absorb first.
- **Exports** of payment batches (the bank files) are absorbed the same way.
- **Logins, failed logins, PII disclosures and admin changes** are appended by signal
  receivers (``receivers``) in the transaction that makes them.

The key comes from ``WENGANG_AUDIT_KEY`` (64 hex digits); in development one is generated once
into the data directory, as ``cases.sealing`` does for account numbers.
"""

import hmac
import json
from collections.abc import Callable, Iterable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from datetime import UTC, date, datetime, time, timedelta
from functools import cache
from json.encoder import encode_basestring as _quote  # C; keeps non-ASCII, as ours
from pathlib import Path

from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF
from django.core.serializers.json import DjangoJSONEncoder
from django.db import connection, transaction
from django.db.models import Exists, F, OuterRef

from wengang.cases.models import CaseEvent
from wengang.core.clock import CHINA, clock
from wengang.core.keys import hex_key
from wengang.payments.models import PaymentBatch

from .errors import AnchorFileInvalid, AuditKeyError, ChainHeadMissing
from .models import GENESIS_MAC, AuditHead, AuditRecord

KEY_ENV = "WENGANG_AUDIT_KEY"
ANCHOR_FORMAT = "wengang-audit-anchors/1"
_BATCH = 5000


# --- key and MAC ---------------------------------------------------------------------------

@dataclass(frozen=True)
class _Key:
    mac: crypto_hmac.HMAC
    """An HMAC-SM3 context under the chain key; ``copy()`` it per record (cheaper than new)."""
    key_id: str


def _read_master_key() -> bytes:
    from django.conf import settings

    return hex_key(KEY_ENV, dev_file=Path(settings.DATA_DIR) / "audit_key", error=AuditKeyError,
                   use_zh="无法写入或核验审计日志", use_en="the audit log cannot be written or verified")


@cache
def _key() -> _Key:
    if not default_backend().hash_supported(hashes.SM3()):
        raise AuditKeyError("当前 OpenSSL 不支持 SM3，无法写入审计日志",
                            "this OpenSSL lacks SM3: the audit log cannot be written")
    key = HKDF(algorithm=hashes.SM3(), length=32, salt=None,
               info=b"wengang audit chain").derive(_read_master_key())
    return _Key(mac=crypto_hmac.HMAC(key, hashes.SM3()),
                key_id=hmac.new(key, b"key id", "sha256").hexdigest()[:8])


def reset_key() -> None:
    """Forget the cached key (tests that change ``WENGANG_AUDIT_KEY``)."""
    _key.cache_clear()


def canonical_json(value: object) -> str:
    """Sorted keys, no spaces, UTF-8 kept: one text per value, so a MAC never depends on layout."""
    return json.dumps(value, cls=DjangoJSONEncoder, ensure_ascii=False, sort_keys=True,
                      separators=(",", ":"))


def moment(at: datetime) -> str:
    """A record's time as the MAC covers it: ISO 8601 in UTC, to the microsecond."""
    return at.astimezone(UTC).isoformat(timespec="microseconds")


def record_mac(seq: int, when: str, actor: str, action: str, target: str, details: str,
               source: str, source_id: int | None, prev_mac: str, *, key: _Key | None = None) -> str:
    """The MAC of one record: every field and the previous MAC, as one JSON array.

    Built by hand with the JSON encoder's own string quoting (what ``json.dumps`` would give,
    at a fifth of the cost: a million records are verified in one go). ``details``, already
    canonical JSON, goes in last as a value, not re-quoted: the eight quoted or numeric
    fields before it parse unambiguously, so the bytes still say exactly one thing.
    """
    mac = (key or _key()).mac.copy()
    mac.update(f'[{seq},{_quote(when)},{_quote(actor)},{_quote(action)},{_quote(target)},'
               f'{_quote(source)},{"null" if source_id is None else int(source_id)},'
               f'{_quote(prev_mac)},{details}]'.encode())
    return mac.finalize().hex()


# --- appending -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Entry:
    """What to record; the chain adds the sequence number, the time and the MACs."""

    action: str
    actor: str = ""
    target: str = ""
    details: dict = field(default_factory=dict)
    source: str = ""
    source_id: int | None = None


@contextmanager
def _locked_head() -> Iterator[AuditHead]:
    """The head row, locked for the rest of the transaction: appends queue here, never fork.

    The UPDATE comes before the read: it takes PostgreSQL's row lock and SQLite's write lock at
    once, so no second writer can read the same head in between.
    """
    with transaction.atomic():
        if not AuditHead.objects.filter(pk=1).update(seq=F("seq")):
            if AuditRecord.objects.exists():
                raise ChainHeadMissing("审计链头记录缺失，但已有审计记录：请先核验（wengang audit verify）",
                                       "the audit chain's head row is missing although records "
                                       "exist: run `wengang audit verify`")
            AuditHead.objects.create(pk=1, key_id=_key().key_id)
        head = AuditHead.objects.select_for_update().get(pk=1)
        if head.key_id != _key().key_id:
            raise AuditKeyError(f"审计链由密钥 {head.key_id} 写入，当前密钥为 {_key().key_id}",
                                f"the audit chain was written under key {head.key_id}; the "
                                f"current key is {_key().key_id}")
        yield head


def _chain(head: AuditHead, entries: Iterable[Entry], at: datetime) -> list[AuditRecord]:
    """Build the records of ``entries`` on top of ``head`` and move the head (not saved)."""
    key, when = _key(), moment(at)
    records = []
    for entry in entries:
        seq = head.seq + 1
        details = canonical_json(entry.details)
        mac = record_mac(seq, when, entry.actor, entry.action, entry.target, details, entry.source,
                         entry.source_id, head.mac, key=key)
        records.append(AuditRecord(seq=seq, at=at, actor=entry.actor, action=entry.action,
                                   target=entry.target, details=details, source=entry.source,
                                   source_id=entry.source_id, prev_mac=head.mac, mac=mac))
        head.seq, head.mac = seq, mac
    return records


_COLUMNS = ("seq", "at", "actor", "action", "target", "details", "source", "source_id",
            "prev_mac", "mac")


def _insert(records: list[AuditRecord]) -> None:
    """Insert chained records with one prepared statement: for a million-event load the ORM's
    ``bulk_create`` spends several times longer building SQL than the database spends writing."""
    at = connection.ops.adapt_datetimefield_value
    sql = (f"INSERT INTO {AuditRecord._meta.db_table} ({', '.join(_COLUMNS)}) "
           f"VALUES ({', '.join(['%s'] * len(_COLUMNS))})")
    with connection.cursor() as cursor:
        cursor.executemany(sql, [(r.seq, at(r.at), r.actor, r.action, r.target, r.details, r.source,
                                  r.source_id, r.prev_mac, r.mac) for r in records])


def append(entry: Entry) -> AuditRecord:
    """Chain one record; it commits or rolls back with the caller's transaction."""
    with _locked_head() as head:
        (record,) = _chain(head, [entry], clock.now())
        _insert([record])
        head.save()
    return record


def record(action: str, *, actor: str = "", target: str = "", details: dict | None = None) -> AuditRecord:
    """Shorthand of ``append`` for an action taken now."""
    return append(Entry(action=action, actor=actor, target=target, details=details or {}))


# --- absorbing rows other apps write -------------------------------------------------------

def _pending(model, source: str):
    chained = AuditRecord.objects.filter(source=source, source_id=OuterRef("pk"))
    return model.objects.filter(~Exists(chained)).order_by("pk")


_EVENT_FIELDS = ("pk", "case_id", "at", "actor__username", "actor_label", "action",
                 "state_before", "state_after", "reason", "channel", "request_id", "run_id",
                 "amount_before_fen", "amount_after_fen", "data")
_EVENT_DETAILS = ("at", "state_before", "state_after", "reason", "channel", "request_id", "run_id",
                  "amount_before_fen", "amount_after_fen", "data")


def _event_entry(row: dict) -> Entry:
    """A case event as the chain records it: who, what, on which case, and all it says."""
    return Entry(action=f"case.{row['action']}",
                 actor=row["actor__username"] or row["actor_label"] or "system",
                 target=f"case:{row['case_id']}", source="case_event", source_id=row["pk"],
                 details={key: row[key] for key in _EVENT_DETAILS})


def _case_event_entries(after: int) -> list[Entry]:
    rows = _pending(CaseEvent, "case_event").filter(pk__gt=after).values(*_EVENT_FIELDS)[:_BATCH]
    return [_event_entry(row) for row in rows]


def _export_entries(after: int) -> list[Entry]:
    rows = (_pending(PaymentBatch, "payment_export").filter(pk__gt=after, exported_at__isnull=False)
            .values("pk", "exported_at", "program", "payment_count", "total_fen", "csv_sha256",
                    "xml_sha256")[:_BATCH])
    return [Entry(action="payment_batch.exported", actor="system", target=f"payment_batch:{row['pk']}",
                  source="payment_export", source_id=row["pk"],
                  details={k: v for k, v in row.items() if k != "pk"})
            for row in rows]


_SOURCES: tuple[Callable[[int], list[Entry]], ...] = (_case_event_entries, _export_entries)


def absorb() -> int:
    """Chain every case event and payment export not chained yet; return how many.

    One transaction per batch of ``_BATCH`` rows: a million events from a load never hold the
    head for minutes, and logins and other records interleave.
    """
    count = 0
    for entries_after in _SOURCES:
        after = 0
        while True:
            with _locked_head() as head:
                entries = entries_after(after)
                if not entries:
                    break
                _insert(_chain(head, entries, clock.now()))
                head.save()
            count += len(entries)
            after = entries[-1].source_id
    return count


# --- verifying -----------------------------------------------------------------------------

@dataclass(frozen=True)
class Anchor:
    """The chain's head at the end of a day (China time): kept off-site, it pins the past."""

    day: date
    seq: int
    mac: str

    def as_dict(self) -> dict:
        return {"day": self.day.isoformat(), "seq": self.seq, "mac": self.mac}


@dataclass(frozen=True)
class Break:
    """The first broken link: which record, what is wrong, in both languages."""

    seq: int
    code: str
    zh: str
    en: str

    def __str__(self) -> str:
        return f"{self.zh} / {self.en}"


@dataclass(frozen=True)
class Verification:
    records: int
    head_seq: int
    anchors: list[Anchor]
    broken: Break | None

    @property
    def ok(self) -> bool:
        return self.broken is None


def _moment_sql() -> str:
    """The record time as text, made by the database: parsing a million datetimes only to
    print them again would be a fifth of verifying. SQLite holds the text Django wrote (UTC,
    ``YYYY-MM-DD HH:MM:SS[.ffffff]``), finished in ``_rows``."""
    if connection.vendor == "postgresql":
        return "to_char(at AT TIME ZONE 'UTC', 'YYYY-MM-DD\"T\"HH24:MI:SS.US\"+00:00\"')"
    return "CAST(at AS TEXT)"


def _rows(chunk: int) -> Iterator[tuple]:
    """Every record in chain order, its time as ``moment`` text.

    A plain (on PostgreSQL, server-side) cursor rather than the ORM, whose per-row converters
    would double the time of verifying a million records.
    """
    sqlite = connection.vendor == "sqlite"
    columns = (f"seq, {_moment_sql()}, actor, action, target, details, source, source_id, "
               "prev_mac, mac")
    with connection.chunked_cursor() as cursor:
        cursor.execute(f"SELECT {columns} FROM {AuditRecord._meta.db_table} ORDER BY seq")
        while rows := cursor.fetchmany(chunk):
            if sqlite:
                rows = [(r[0], f"{r[1][:10]}T{r[1][11:19]}{r[1][19:] or '.000000'}+00:00", *r[2:])
                        for r in rows]
            yield from rows


def verify(*, anchors: Iterable[Anchor] = (), chunk: int = 20_000) -> Verification:
    """Walk the chain from its first record; stop at the first broken link.

    Checks, per record: the sequence has no gap (a deleted or renumbered record), ``prev_mac``
    is the previous record's MAC (a reordered or inserted one), the MAC matches the content (an
    edited one). Then the head matches the last record (records cut off the end), and each
    given anchor is in the chain unchanged (a truncated or rewritten past).
    """
    key = _key()
    head = AuditHead.objects.filter(pk=1).first()
    if head is not None and head.key_id != key.key_id:
        raise AuditKeyError(f"审计链由密钥 {head.key_id} 写入，当前密钥为 {key.key_id}",
                            f"the audit chain was written under key {head.key_id}; the "
                            f"current key is {key.key_id}")
    pinned = {a.seq: a for a in anchors}
    days: dict[date, tuple[int, str]] = {}
    day, day_start, day_end = None, "~", ""  # moments of one format compare as text
    previous, expected, broken = GENESIS_MAC, 1, None
    for seq, when, actor, action, target, details, source, source_id, prev_mac, mac in _rows(chunk):
        if seq != expected:
            broken = Break(expected, "missing",
                           f"第 {expected} 号审计记录缺失（下一条为第 {seq} 号）：记录被删除或改号",
                           f"audit record {expected} is missing (the next is {seq}): deleted or "
                           "renumbered")
            break
        if prev_mac != previous:
            broken = Break(seq, "link", f"第 {seq} 号审计记录与前一条不相接：记录被插入、删除或调换了顺序",
                           f"audit record {seq} does not link to the one before: a record was "
                           "inserted, deleted or reordered")
            break
        if record_mac(seq, when, actor, action, target, details, source, source_id, prev_mac,
                      key=key) != mac:
            broken = Break(seq, "mac", f"第 {seq} 号审计记录的内容与其 MAC 不符：记录被改动",
                           f"audit record {seq} does not match its MAC: it was edited")
            break
        anchor = pinned.get(seq)
        if anchor is not None and anchor.mac != mac:
            broken = Break(seq, "anchor", f"第 {seq} 号审计记录与 {anchor.day} 的锚点不符：链被改写",
                           f"audit record {seq} differs from the anchor of {anchor.day}: the "
                           "chain was rewritten")
            break
        if not day_start <= when < day_end:  # a new day (China time): convert once per day
            day = datetime.fromisoformat(when).astimezone(CHINA).date()
            start = datetime.combine(day, time.min, tzinfo=CHINA)
            day_start, day_end = moment(start), moment(start + timedelta(days=1))
        days[day] = (seq, mac)
        previous, expected = mac, expected + 1
    last = expected - 1
    if broken is None:
        head_seq, head_mac = (head.seq, head.mac) if head else (0, GENESIS_MAC)
        if (head_seq, head_mac) != (last, previous):
            broken = Break(last + 1, "head",
                           f"审计链止于第 {last} 号，链头却记为第 {head_seq} 号：第 {last + 1} 号起的"
                           "记录被截去，或链头被改",
                           f"the audit chain ends at record {last} but its head says {head_seq}: "
                           f"records from {last + 1} on were cut off, or the head was altered")
    if broken is None and (beyond := [a for a in pinned.values() if a.seq > last]):
        anchor = min(beyond, key=lambda a: a.seq)
        broken = Break(last + 1, "anchor",
                       f"{anchor.day} 的锚点为第 {anchor.seq} 号，审计链却止于第 {last} 号：第 "
                       f"{last + 1} 号起的记录被截去",
                       f"the anchor of {anchor.day} is record {anchor.seq} but the chain ends at "
                       f"{last}: records from {last + 1} on were cut off")
    return Verification(records=last, head_seq=head.seq if head else 0,
                        anchors=sorted((Anchor(d, seq, mac) for d, (seq, mac) in days.items()),
                                       key=lambda a: a.seq),
                        broken=broken)


def check_case_events(*, chunk: int = 20_000) -> Break | None:
    """Compare every chained case event with the event table; ``None`` when all agree.

    The chain proves its own records; this proves the case history against it. An event
    edited or deleted after it was chained (its table's triggers turned off) no longer gives
    the details its record holds: the first such record is named.
    """
    events = (CaseEvent.objects.order_by("pk").values(*_EVENT_FIELDS).iterator(chunk_size=chunk))
    current = next(events, None)
    chained = (AuditRecord.objects.filter(source="case_event").order_by("source_id")
               .values_list("seq", "source_id", "details").iterator(chunk_size=chunk))
    for seq, event_id, details in chained:
        while current is not None and current["pk"] < event_id:
            current = next(events, None)  # not chained yet: ``absorb`` takes it
        if current is None or current["pk"] != event_id:
            return Break(seq, "event_missing", f"第 {seq} 号审计记录所记的案件事件 #{event_id} 已被删除",
                         f"the case event {event_id} of audit record {seq} was deleted")
        if canonical_json(_event_entry(current).details) != details:
            return Break(seq, "event_changed",
                         f"第 {seq} 号审计记录所记的案件事件 #{event_id} 已被改动",
                         f"the case event {event_id} of audit record {seq} was changed")
    return None


# --- anchor files --------------------------------------------------------------------------

def write_anchors(path: Path, anchors: list[Anchor]) -> None:
    """Write the daily anchors as JSON, for keeping off-site (another system, paper, a notary)."""
    document = {"format": ANCHOR_FORMAT, "key_id": _key().key_id,
                "anchors": [a.as_dict() for a in anchors]}
    path.write_text(json.dumps(document, ensure_ascii=False, indent=1) + "\n", encoding="utf-8")


def read_anchors(path: Path) -> list[Anchor]:
    try:
        document = json.loads(path.read_text(encoding="utf-8"))
        if document.get("format") != ANCHOR_FORMAT:
            raise ValueError(f"format {document.get('format')!r}")
        return [Anchor(date.fromisoformat(a["day"]), int(a["seq"]), str(a["mac"]))
                for a in document["anchors"]]
    except (OSError, ValueError, KeyError, TypeError, AttributeError) as error:
        raise AnchorFileInvalid(f"锚点文件 {path} 无法读取：{error}",
                                f"the anchor file {path} cannot be read: {error}") from None
