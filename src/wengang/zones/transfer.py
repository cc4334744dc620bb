"""Export the outbox to the spool, import the other zone's spool: in order, once, signed.

    export(progress=…)   intranet: collect changes first; both: number waiting messages
                         1, 2, 3 … and write one file each into <spool>/out/
    import_(progress=…)  read <spool>/in/ by sequence: verify, apply, record, archive

The gateway (网闸/光闸, or a copy on one machine) carries files from one zone's ``out/`` to the
other's ``in/``; it may deliver late, twice, or out of order. The importer therefore:

- refuses a file whose signature, format or direction is wrong (``quarantine/`` with a reason
  file, Chinese and English; the sequence stays open for the genuine message);
- refuses a sequence already applied (a replay or a second delivery): quarantine, nothing
  changes;
- stops at a gap (sequence n+2 while n+1 is missing), applies nothing after it and reports
  which sequences it waits for: the missing file may still come; nothing is ever skipped;
- applies each message in one transaction together with the record of its sequence
  (``ReceivedMessage``), so a crash between the two is impossible and a sequence applies once.
  A message refused for its content (an unknown case, a rule of the workflow) is recorded as
  refused in that transaction, changes nothing else, and its file goes to quarantine; an inward
  submission's answer goes back outward either way.

One importer at a time per spool (an exclusive lock file in ``in/``).
"""

import fcntl
import shutil
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path

from django.conf import settings
from django.db import IntegrityError, transaction
from django.db.models import Max

from wengang.cases.errors import CaseError
from wengang.core.clock import clock
from wengang.core.errors import CoreError

from . import INTERNET, INTRANET, zone
from . import inward as inward_appliers
from . import outward as outward_appliers
from .envelope import INWARD, OUTWARD, Message, ZoneError, decode, encode, sha256, spooled
from .envelope import write_atomically as write_file
from .keys import direction_keys
from .models import OutboundMessage, ReceivedMessage

SENDS = {INTERNET: INWARD, INTRANET: OUTWARD}
RECEIVES = {INTERNET: OUTWARD, INTRANET: INWARD}
APPLIERS = {INWARD: inward_appliers.APPLIERS, OUTWARD: outward_appliers.APPLIERS}


def spool() -> Path:
    return Path(settings.WENGANG_ZONE_SPOOL)


def _direction(table: dict[str, str], verb: str) -> str:
    current = zone()
    if current not in table:
        raise ZoneError(f"单实例部署（WENGANG_ZONE={current}）不{verb}区间消息",
                        f"a single instance (WENGANG_ZONE={current}) does not {verb} zone messages",
                        code="zone_single")
    return table[current]


@dataclass
class ExportSummary:
    direction: str
    collected: dict[str, int] = field(default_factory=dict)
    written: list[int] = field(default_factory=list)


def export(*, out_dir: Path | None = None, resend_from: int | None = None,
           progress: Callable[[str, int, int], None] | None = None) -> ExportSummary:
    """Number the waiting messages and write their files (``resend_from``: write again every
    message from that sequence on, for files lost at the gateway)."""
    direction = _direction(SENDS, "导出 / export")
    keys = direction_keys()
    out_dir = out_dir or spool() / "out"
    summary = ExportSummary(direction)
    if direction == OUTWARD:
        summary.collected = outward_appliers.collect(
            progress=(lambda done, total: progress("collect", done, total)) if progress else None)
    with transaction.atomic():
        waiting = list(OutboundMessage.objects.select_for_update()
                       .filter(direction=direction, sequence__isnull=True).order_by("pk"))
        last = (OutboundMessage.objects.filter(direction=direction)
                .aggregate(last=Max("sequence"))["last"] or 0)
        for offset, message in enumerate(waiting, start=1):
            message.sequence = last + offset
            message.save(update_fields=["sequence"])
    pending = OutboundMessage.objects.filter(direction=direction, sequence__isnull=False)
    pending = (pending.filter(sequence__gte=resend_from) if resend_from is not None
               else pending.filter(exported_at__isnull=True))
    pending = list(pending.order_by("sequence"))
    for done, record in enumerate(pending, start=1):
        message = Message(direction=direction, sequence=record.sequence, kind=record.kind,
                          created_at=record.created_at.isoformat(), payload=record.payload)
        write_file(out_dir, message.file_name, encode(message, keys[direction]))
        OutboundMessage.objects.filter(pk=record.pk).update(exported_at=clock.now())
        summary.written.append(record.sequence)
        if progress:
            progress("write", done, len(pending))
    return summary


@dataclass
class ImportSummary:
    direction: str
    applied: list[int] = field(default_factory=list)
    refused: list[tuple[int, str]] = field(default_factory=list)
    """Sequences recorded as refused for their content (their file is in quarantine)."""
    quarantined: list[tuple[str, str]] = field(default_factory=list)
    """Files refused before applying (signature, format, replay): name and reason."""
    waiting_for: tuple[int, int] | None = None
    """A gap: the first and last missing sequence; files after it wait."""


def last_received(direction: str) -> int:
    return (ReceivedMessage.objects.filter(direction=direction)
            .aggregate(last=Max("sequence"))["last"] or 0)


@contextmanager
def _exclusive(folder: Path) -> Iterator[None]:
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as handle:
        try:
            fcntl.flock(handle, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            raise ZoneError(f"另一个导入正在处理 {folder}", f"another import is reading {folder}",
                            code="zone_busy") from None
        yield


def _move(path: Path, folder: Path) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / path.name
    if target.exists():  # a second copy of the same name: keep both
        target = folder / f"{path.stem}.{clock.now():%Y%m%dT%H%M%S%f}{path.suffix}"
    shutil.move(path, target)
    return target


def quarantine(path: Path, in_dir: Path, error: CaseError | CoreError) -> str:
    target = _move(path, in_dir / "quarantine")
    code = getattr(error, "code", "")
    reason = f"{error.zh}\n{error.en}\n({code}) {clock.now().isoformat()}\n"
    target.with_name(target.name + ".reason.txt").write_text(reason, encoding="utf-8")
    return f"{error.zh} / {error.en}"


def _apply(message: Message, data: bytes, appliers: dict, keys: dict) -> tuple[bool, str]:
    """Apply and record one message in one transaction; ``(applied, answer or reason)``."""
    with transaction.atomic():
        try:
            with transaction.atomic():  # a refusal rolls back everything the applier did
                applier = appliers.get(message.kind)
                if applier is None:
                    raise ZoneError(f"未知的消息类型 {message.kind}", f"unknown kind {message.kind}",
                                    code="zone_unknown_kind")
                answer, applied = applier(message, keys), True
        except (CaseError, CoreError) as error:  # a ZoneError is a CoreError
            answer, applied = f"{error.zh} / {error.en}", False
        ReceivedMessage.objects.create(
            direction=message.direction, sequence=message.sequence, kind=message.kind,
            outcome=ReceivedMessage.Outcome.APPLIED if applied else ReceivedMessage.Outcome.REFUSED,
            reason="" if applied else answer, sha256=sha256(data), received_at=clock.now())
        if message.direction == INWARD and "submission" in message.payload:
            outward_appliers.submission_result(message.payload["submission"], accepted=applied,
                                               reason=answer)
    return applied, answer


def import_(*, in_dir: Path | None = None,
            progress: Callable[[int, int], None] | None = None) -> ImportSummary:
    direction = _direction(RECEIVES, "导入 / import")
    keys = direction_keys()
    in_dir = in_dir or spool() / "in"
    summary = ImportSummary(direction)
    appliers = APPLIERS[direction]
    with _exclusive(in_dir):
        files = spooled(in_dir, direction)
        last = last_received(direction)
        for done, (number, path) in enumerate(files, start=1):
            if progress:
                progress(done, len(files))
            data = path.read_bytes()
            try:
                message = decode(data, keys[direction], direction=direction)
                if message.sequence != number:
                    raise ZoneError(f"文件名序号 {number} 与消息序号 {message.sequence} 不符",
                                    f"file name says {number}, the message {message.sequence}",
                                    code="zone_malformed")
                if message.sequence <= last:
                    record = ReceivedMessage.objects.filter(direction=direction,
                                                            sequence=message.sequence).first()
                    same = record is not None and record.sha256 == sha256(data)
                    raise ZoneError(
                        f"序号 {message.sequence} 已处理（{'重复投递' if same else '重放，内容不同'}），未作任何更改",
                        f"sequence {message.sequence} was already applied ("
                        f"{'a second delivery' if same else 'a replay with other content'}); "
                        "nothing changed", code="zone_replay")
            except ZoneError as error:
                summary.quarantined.append((path.name, quarantine(path, in_dir, error)))
                continue
            if message.sequence > last + 1:
                summary.waiting_for = (last + 1, message.sequence - 1)
                break
            try:
                applied, answer = _apply(message, data, appliers, keys)
            except IntegrityError:  # another importer recorded it first (a second spool)
                summary.quarantined.append((path.name, quarantine(path, in_dir, ZoneError(
                    f"序号 {message.sequence} 已由另一导入处理", f"sequence {message.sequence} was "
                    "applied by another import", code="zone_replay"))))
                continue
            last = message.sequence
            if applied:
                _move(path, in_dir / "applied")
                summary.applied.append(message.sequence)
            else:
                quarantine(path, in_dir, ZoneError(answer, "refused for its content (see above)",
                                                   code="zone_refused"))
                summary.refused.append((message.sequence, answer))
    return summary
