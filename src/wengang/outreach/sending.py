"""Sending: pick up due notices, render, hand them to a channel, settle each by its answer.

Resumable and safe to run in several workers: a batch is claimed with a lease (an UPDATE that
only one worker wins per row); a worker that dies leaves its lease to expire and another picks
the notices up, sending them with the same idempotency keys. Gateway errors worth retrying
back off exponentially (``RetryPolicy``) up to a number of attempts, then fail; a rejection fails
at once. SMS and calls wait out quiet hours (``QuietHours``); every gateway has a rate limit
(``RateLimiter``). A unit that opted out after planning is suppressed, not sent.
"""

import math
import os
import threading
import time as time_module
import uuid
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from datetime import datetime, time, timedelta

from django.db import connection, transaction

from wengang.core.clock import CHINA, clock

from . import templates
from .channels import TIMEOUT_SECONDS, Accepted, Gateway, Message, from_environment, gateway_timeout
from .errors import GatewayRejected, GatewayUnavailable
from .models import Channel, Dispatch, Notice, NoticeTemplate, OptOut, Status

QUIET_CHANNELS = frozenset({Channel.SMS, Channel.CALL})
LOCAL_CHANNELS = frozenset({Channel.INBOX, Channel.OUTBOX})
"""Written here (the in-site inbox, the outbox file): no gateway to spare, so no rate limit."""


@dataclass(frozen=True)
class RetryPolicy:
    """Exponential back-off: ``base × factor^(n-1)`` after the n-th failed attempt, capped."""

    max_attempts: int = 5
    base: timedelta = timedelta(seconds=30)
    factor: int = 2
    cap: timedelta = timedelta(hours=1)

    def delay(self, attempts: int) -> timedelta:
        return min(self.cap, self.base * self.factor ** (attempts - 1))


@dataclass(frozen=True)
class QuietHours:
    """No SMS at night: from ``start`` (inclusive) to ``end`` (exclusive), China time."""

    start: time = time(21, 0)
    end: time = time(8, 0)

    def contains(self, moment: datetime) -> bool:
        local = moment.astimezone(CHINA).time()
        if self.start <= self.end:
            return self.start <= local < self.end
        return local >= self.start or local < self.end

    def ends_after(self, moment: datetime) -> datetime:
        """The first moment after ``moment`` when sending may resume."""
        local = moment.astimezone(CHINA)
        end = datetime.combine(local.date(), self.end, tzinfo=CHINA)
        return end if end > local else end + timedelta(days=1)

    @classmethod
    def parse(cls, text: str) -> "QuietHours":
        """``"21:00-08:00"``; ``""`` for none."""
        if not text:
            return cls(time(0), time(0))
        start, _, end = text.partition("-")
        return cls(time.fromisoformat(start.strip()), time.fromisoformat(end.strip()))


class RateLimiter:
    """A token bucket: at most ``per_second`` sends a second on average, bursts of ``burst``.

    Thread-safe; the clock and the sleep come in as arguments so tests need not wait.
    """

    def __init__(self, per_second: float, *, burst: int | None = None,
                 monotonic: Callable[[], float] = time_module.monotonic,
                 sleep: Callable[[float], None] = time_module.sleep) -> None:
        self.per_second = per_second
        self.burst = burst if burst is not None else max(1, int(per_second))
        self._monotonic, self._sleep = monotonic, sleep
        self._tokens = float(self.burst)
        self._last = monotonic()
        self._lock = threading.Lock()

    def wait_time(self) -> float:
        """Take a token if one is there (0.0), else say how long until one is."""
        with self._lock:
            now = self._monotonic()
            self._tokens = min(self.burst, self._tokens + (now - self._last) * self.per_second)
            self._last = now
            # A hair's tolerance: refilling by exactly the wait computed below must give a
            # whole token despite float rounding, or the caller would sleep ever smaller waits.
            if self._tokens >= 1 - 1e-9:
                self._tokens = max(0.0, self._tokens - 1)
                return 0.0
            return (1 - self._tokens) / self.per_second

    def acquire(self) -> None:
        while (wait := self.wait_time()) > 0:
            self._sleep(wait)


@dataclass(frozen=True)
class Options:
    """How a sending run behaves; ``from_environment`` reads the deployment's choices."""

    retry: RetryPolicy = RetryPolicy()
    quiet: QuietHours = QuietHours()
    rate_per_second: float = 50.0
    workers: int = 8
    batch: int = 500
    link_base: str = "http://127.0.0.1:8000"
    timeout: float = TIMEOUT_SECONDS
    """Seconds a gateway may take to answer one message (``WENGANG_OUTREACH_TIMEOUT``)."""

    @classmethod
    def from_environment(cls) -> "Options":
        return cls(
            retry=RetryPolicy(max_attempts=int(os.environ.get("WENGANG_OUTREACH_MAX_ATTEMPTS", "5"))),
            quiet=QuietHours.parse(os.environ.get("WENGANG_OUTREACH_QUIET_HOURS", "21:00-08:00")),
            rate_per_second=float(os.environ.get("WENGANG_OUTREACH_RATE", "50")),
            workers=int(os.environ.get("WENGANG_OUTREACH_WORKERS", "8")),
            link_base=os.environ.get("WENGANG_OUTREACH_LINK_BASE", "http://127.0.0.1:8000"),
            timeout=gateway_timeout())

    def lease(self) -> timedelta:
        """How long a claimed batch stays this run's: the longest its sending can take — each
        message waiting its turn under the rate limit, and each worker's share of it timing out
        one after another — and a minute to record the answers. Another run takes the batch over
        only after that (this one died), so a slow gateway or a low rate never has a notice
        sent twice by two live runs (defaults: 10 s + 63 × 5 s + 60 s = 6.4 min)."""
        sending = self.batch / self.rate_per_second + math.ceil(self.batch / self.workers) * self.timeout
        return timedelta(seconds=math.ceil(sending) + 60)


def short_link(base: str, case_id: int, *, person: bool = False) -> str:
    """A short link to the case on the portal (``outreach:short-link`` redirects it), or on
    the persons' portal (``outreach:person-short-link``)."""
    return f"{base.rstrip('/')}/outreach/{'p' if person else 'c'}/{_base36(case_id)}"


def _base36(number: int) -> str:
    digits = "0123456789abcdefghijklmnopqrstuvwxyz"
    text = ""
    while True:
        number, rest = divmod(number, 36)
        text = digits[rest] + text
        if not number:
            return text


class Renderer:
    """Renders notices, reading each template version once per run."""

    def __init__(self, channel: str, link_base: str) -> None:
        self.form = templates.form_for(channel)
        self.link_base = link_base
        self._templates: dict[tuple[str, str], NoticeTemplate] = {}
        self._programs: dict[tuple[str, str], str] = {}

    def template(self, notice: Notice) -> NoticeTemplate:
        key = (notice.topic, notice.language)
        if key not in self._templates:
            self._templates[key] = templates.current(notice.topic, self.form, notice.language)
        return self._templates[key]

    def message(self, notice: Notice) -> Message:
        case = notice.case
        beneficiary = notice.unit if notice.unit_id else notice.person
        program_key = (case.program_kind, notice.language)
        if program_key not in self._programs:
            self._programs[program_key] = templates.program_name(*program_key)
        person = notice.person_id is not None
        facts = templates.Facts(
            unit=notice.unit.name if not person else "", program=self._programs[program_key],
            year=case.refund_year, amount_fen=notice.amount_fen,
            link=short_link(self.link_base, case.pk, person=person), due_on=notice.due_on,
            reason=notice.reason, account=case.account_masked or beneficiary.account_masked,
            name=notice.person.name_masked if person else "")
        template = self.template(notice)
        notice.template = template
        notice.text = templates.render(template, facts)
        return Message(idempotency_key=notice.idempotency_key, address=notice.address,
                       subject=template.subject, text=notice.text,
                       template_code=template.sms_template_code or notice.topic,
                       params=facts.placeholders(), link=facts.link)


def settle_sql() -> str:
    """One notice's outcome, by id: run with ``executemany`` (one round trip per batch).

    The status stays delivered when a delivery receipt overtook the gateway's answer
    (``receipts.apply`` set ``delivered_at`` while the send was in flight).
    """
    return (f"UPDATE {Notice._meta.db_table} SET "
            "status = CASE WHEN delivered_at IS NOT NULL THEN %s ELSE %s END, "
            "delivered_at = COALESCE(delivered_at, %s), attempts = %s, next_attempt_at = %s, "
            "lease = '', template_id = %s, text = %s, gateway_message_id = %s, error = %s, "
            "sent_at = %s WHERE id = %s")


def _claim(channel: str, now: datetime, size: int, lease: timedelta) -> list[Notice]:
    ids = list(Notice.objects.on(channel).due(now).values_list("pk", flat=True)[:size])
    if not ids:
        return []
    token = uuid.uuid4().hex
    Notice.objects.filter(pk__in=ids, status=Status.PENDING, next_attempt_at__lte=now).update(
        lease=token, next_attempt_at=now + lease)
    return list(Notice.objects.filter(lease=token, status=Status.PENDING)
                .select_related("case", "unit", "person").order_by("pk"))


def _defer_quiet(channel: str, now: datetime, quiet: QuietHours) -> int:
    """At night, move every due notice of a quiet channel to the morning (not an attempt)."""
    return Notice.objects.on(channel).due(now).update(next_attempt_at=quiet.ends_after(now))


def send_pending(channel: str, *, gateway: Gateway | None = None, options: Options | None = None,
                 now: Callable[[], datetime] | None = None, limit: int | None = None,
                 dispatch: Dispatch | None = None,
                 progress: Callable[[Dispatch], None] | None = None) -> Dispatch:
    """Send every notice of ``channel`` due now (up to ``limit``); return the run's tally.

    Notices scheduled for a retry later are left for a later run (``wengang notify send`` or
    the background task, run periodically).
    """
    options = options or Options.from_environment()
    gateway = gateway or from_environment(channel)
    now = now or clock.now
    limiter = None if channel in LOCAL_CHANNELS else RateLimiter(options.rate_per_second)
    started = now()
    if dispatch is None:
        dispatch = Dispatch.objects.create(channel=channel, started_at=started)
    dispatch.due = Notice.objects.on(channel).due(started).count()
    dispatch.save(update_fields=["due"])
    if channel in QUIET_CHANNELS and options.quiet.contains(started):
        dispatch.deferred = _defer_quiet(channel, started, options.quiet)
    else:
        renderer = Renderer(channel, options.link_base)
        with ThreadPoolExecutor(max_workers=options.workers) as pool:
            while limit is None or dispatch.done < limit:
                size = options.batch if limit is None else min(options.batch, limit - dispatch.done)
                moment = now()
                if channel in QUIET_CHANNELS and options.quiet.contains(moment):
                    dispatch.deferred += _defer_quiet(channel, moment, options.quiet)
                    break
                batch = _claim(channel, moment, size, options.lease())
                if not batch:
                    break
                _send_batch(batch, channel=channel, gateway=gateway, pool=pool, limiter=limiter,
                            renderer=renderer, retry=options.retry, now=now, dispatch=dispatch)
                dispatch.save()
                if progress is not None:
                    progress(dispatch)
    dispatch.finished_at = now()
    dispatch.save()
    return dispatch


def _send_batch(batch: list[Notice], *, channel: str, gateway: Gateway, pool: ThreadPoolExecutor,
                limiter: RateLimiter | None, renderer: Renderer, retry: RetryPolicy,
                now: Callable[[], datetime], dispatch: Dispatch) -> None:
    opted_out = set(OptOut.objects.filter(channel=channel, unit_id__in={n.unit_id for n in batch})
                    .values_list("unit_id", flat=True))
    to_send = [n for n in batch if n.unit_id not in opted_out]

    def attempt(message: Message) -> Accepted | Exception:
        if limiter is not None:
            limiter.acquire()
        try:
            return gateway.send(message)
        except (GatewayUnavailable, GatewayRejected) as error:
            return error
        except Exception as error:  # noqa: BLE001 — an adapter bug must not lose the batch: retry later
            return GatewayUnavailable(gateway.name, f"{type(error).__name__}: {error}")

    answers = list(pool.map(attempt, [renderer.message(n) for n in to_send]))
    moment = now()
    for notice in batch:
        if notice.unit_id in opted_out:
            notice.status, notice.error = Status.SUPPRESSED, "已退订 / opted out"
            dispatch.suppressed += 1
    for notice, answer in zip(to_send, answers, strict=True):
        notice.attempts += 1
        if isinstance(answer, Accepted):
            notice.status, notice.sent_at, notice.error = Status.SENT, moment, ""
            notice.gateway_message_id = answer.message_id[:64]
            if answer.delivered:
                notice.status, notice.delivered_at = Status.DELIVERED, moment
            dispatch.sent += 1
        elif isinstance(answer, GatewayRejected) or notice.attempts >= retry.max_attempts:
            notice.status, notice.error = Status.FAILED, str(answer)[:255]
            dispatch.failed += 1
        else:
            notice.status, notice.error = Status.PENDING, str(answer)[:255]
            notice.next_attempt_at = moment + retry.delay(notice.attempts)
            dispatch.retried += 1
    settle(batch)


def settle(notices: list[Notice]) -> None:
    """Write the outcome fields of ``notices`` (as set in memory) in one round trip."""
    adapt = connection.ops.adapt_datetimefield_value
    rows = [(Status.DELIVERED, n.status, adapt(n.delivered_at), n.attempts,
             adapt(n.next_attempt_at), n.template_id, n.text, n.gateway_message_id, n.error,
             adapt(n.sent_at), n.pk) for n in notices]
    with transaction.atomic(), connection.cursor() as cursor:
        cursor.executemany(settle_sql(), rows)
