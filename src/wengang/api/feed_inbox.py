"""The department machine channel for feeds: push one file, validated with the region's set.

Each region keeps a feed inbox: the latest accepted file of each feed. A pushed file is checked
together with the other files of the inbox, exactly as ``wengang import`` checks a folder (so
a tax file naming units that the units feed lacks is refused). A file with any problem is
refused with the whole bilingual report and leaves the inbox and the snapshot store untouched.
An accepted file replaces that feed in the inbox; once every required feed is there, the set is
imported as a snapshot (content-addressed: the same data twice is the same snapshot).

    push = push_feed(user, name="tax.csv", data=upload, token=token)   # raises FeedPushRejected

Each department sends only its own feeds (FEEDS.md, "from").
"""

import fcntl
import shutil
import tempfile
from collections.abc import Iterable
from contextlib import contextmanager
from datetime import datetime
from pathlib import Path

import pyarrow as pa
import pyarrow.compute as pc
from django.conf import settings
from django.utils import timezone

from wengang.accounts.models import Department, Role, User
from wengang.core.clock import clock
from wengang.feeds import FEEDS, FeedSetInvalid, ValidationReport, import_feed_set
from wengang.feeds.contract import FORMATS, feed_for_file_stem
from wengang.feeds.engine import Engine
from wengang.feeds.progress import Steps
from wengang.feeds.readers import scan_file
from wengang.feeds.validation import validate

from .errors import FeedNotYours, FeedUnknown, Forbidden
from .models import ApiToken, FeedPush

AGENCY = "agency"
FEED_SENDERS: dict[str, frozenset[str]] = {
    "units": frozenset({AGENCY}),
    "contributions": frozenset({AGENCY, Department.TAX}),
    "separations": frozenset({AGENCY}),
    "tax": frozenset({Department.TAX}),
    "registry": frozenset({Department.MARKET}),
    "credit": frozenset({Department.NDRC}),
    "environment": frozenset({Department.ENVIRONMENT}),
    "difficulty": frozenset({Department.NDRC, Department.MIIT, Department.SASAC}),
    # The person-level feeds of skills training (docs/feeds.md §6) come from the HR bureau's
    # side: the employment service (trainees), the training platforms, the skill assessment
    # bodies, the training fund ledger and the agency (on-the-job rosters). None of these is a
    # department of joint review, so each sends as an agency-role system user whose token has
    # only ``feeds:push`` (docs/api.md).
    "trainees": frozenset({AGENCY}),
    "course_completions": frozenset({AGENCY}),
    "certificates": frozenset({AGENCY}),
    "training_rosters": frozenset({AGENCY}),
    "paid_subsidies": frozenset({AGENCY}),
}
"""Who sends each feed (FEEDS.md, docs/feeds.md): the UI agency (and the HR bureau's training
systems), or a department of joint review."""


class FeedPushRejected(FeedSetInvalid):
    """A pushed file with problems: ``report`` lists them, ``push`` records the attempt."""

    def __init__(self, push: FeedPush, report: ValidationReport) -> None:
        self.push = push
        super().__init__(report)


def feeds_for(user: User) -> tuple[str, ...]:
    """The feeds ``user`` may push: the agency's, or their department's."""
    if user.role == Role.AGENCY:
        sender = AGENCY
    elif user.role == Role.DEPARTMENT:
        sender = user.department
    else:
        return ()
    return tuple(name for name, senders in FEED_SENDERS.items() if sender in senders)


def inbox_dir(region_code: str) -> Path:
    root = Path(getattr(settings, "WENGANG_FEED_INBOX_DIR", settings.DATA_DIR / "feed_inbox"))
    return root / region_code


def missing_feeds(region_code: str) -> list[str]:
    """Required feeds the region's inbox does not hold yet."""
    held = {path.stem for path in _files(inbox_dir(region_code))}
    return [name for name, feed in FEEDS.items() if feed.required and name not in held]


def push_feed(user: User, *, name: str, data: Iterable[bytes], token: ApiToken | None = None,
              now: datetime | None = None) -> FeedPush:
    """Check the file ``name`` with the region's inbox; keep it (and import) only when valid."""
    name = Path(name).name  # only the name says which feed: no path from a client is used
    feed = feed_for_file_stem(Path(name).stem)
    suffix = Path(name).suffix.lower().lstrip(".")
    if feed is None or suffix not in FORMATS:
        raise FeedUnknown(name, tuple(FEEDS))
    mine = feeds_for(user)
    if feed.name not in mine:
        raise FeedNotYours(feed.name, mine)
    if not user.region_code:
        raise Forbidden("您的账户没有设置行政区划，不能报送数据",
                        "your account has no region: it cannot push feeds")
    inbox = inbox_dir(user.region_code)
    inbox.mkdir(parents=True, exist_ok=True)
    with _locked(inbox), tempfile.TemporaryDirectory(prefix=".push-", dir=inbox.parent) as tmp:
        staging = Path(tmp)
        for path in _files(inbox):
            if path.stem != feed.name:
                shutil.copy2(path, staging / path.name)
        pushed = staging / f"{feed.name}.{suffix}"
        with pushed.open("wb") as out:
            for chunk in data:
                out.write(chunk)
        record = FeedPush(user=user, token=token, region_code=user.region_code, feed=feed.name,
                          file_name=name[:200], sha256=scan_file(pushed, blank_lines=False).sha256,
                          at=now or timezone.now())
        waiting = [n for n, f in FEEDS.items()
                   if f.required and not any(p.stem == n for p in _files(staging))]
        report = _problems(staging, ignore_missing=waiting)
        if not report.ok:
            record.outcome, record.problems = FeedPush.Outcome.REJECTED, len(report)
            record.save()
            raise FeedPushRejected(record, report)
        if not waiting:
            try:
                record.snapshot_id = import_feed_set(staging, settings.WENGANG_SNAPSHOT_DIR).id
            except FeedSetInvalid as invalid:  # the data changed meanwhile: same answer
                record.outcome, record.problems = FeedPush.Outcome.REJECTED, len(invalid.report)
                record.save()
                raise FeedPushRejected(record, invalid.report) from None
        for path in _files(inbox):
            if path.stem == feed.name:
                path.unlink()
        shutil.move(pushed, inbox / pushed.name)
        record.outcome = FeedPush.Outcome.ACCEPTED
        record.save()
    return record


def _problems(folder: Path, *, ignore_missing: list[str]) -> ValidationReport:
    """Validate ``folder`` as an import would, except that ``ignore_missing`` may be absent."""
    with Engine() as engine, Steps() as steps:
        report = validate(folder, engine, today=clock.today(), steps=steps).report
    if not ignore_missing:
        return report
    # A required feed that another department has not sent yet is not this file's problem.
    def kept(table):
        absent = pc.and_(pc.equal(table["code"], "feed_missing"),
                         pc.is_in(table["feed"], value_set=pa.array(ignore_missing)))
        return table.filter(pc.invert(pc.fill_null(absent, False)))

    return ValidationReport(kept(report.table), totals=kept(report.totals), source=folder)


def _files(folder: Path) -> list[Path]:
    if not folder.is_dir():
        return []
    return sorted(path for path in folder.iterdir()
                  if path.is_file() and not path.name.startswith((".", "~$")))


@contextmanager
def _locked(inbox: Path):
    """One push at a time per region: two would each validate against a set the other changes."""
    with (inbox / ".lock").open("w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)
        try:
            yield
        finally:
            fcntl.flock(lock, fcntl.LOCK_UN)
