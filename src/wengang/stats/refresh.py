"""Rebuild this deployment's summary tables from cases, payments, notices, tasks, receivables.

Each table is one grouped query (``GROUP BY`` in the database, never a loop over cases); the
answers, a few thousand rows, replace the local rows in one transaction, so a dashboard reads
either the old numbers or the new ones. Run it after bulk steps (a screening load, a bank
return) and on a timer: ``wengang stats refresh``, or the ``refresh_stats`` task.

The refund tables count the job-stabilisation refunds only: a skills-training subsidy (a case
of ``program_kind`` training, paid to a person or for 以工代训) is another fund's money and
another question, and the headline figures add programs up — its cases, payments and
receivables are left out of them (``CaseQuerySet.refunds``). They are counted apart, in the
``Training*`` tables (``training_*`` below, ``CaseQuerySet.training``), in the same snapshot and
transaction: a refund never changes a training figure, nor a training payment a refund figure.
"""

import time
from collections import defaultdict
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from datetime import date

from django.db import connection, transaction
from django.db.models import Case as Choose
from django.db.models import (
    Count,
    Exists,
    F,
    OuterRef,
    Q,
    Sum,
    Value,
    When,
)
from django.db.models.functions import Coalesce, Substr, TruncDate

from wengang import zones
from wengang.cases.models import TRAINING, Case, ClaimItem, ReviewTask
from wengang.core.clock import clock
from wengang.outreach.models import Notice
from wengang.outreach.models import Status as NoticeStatus
from wengang.payments.models import Payment, Receivable, ReceivableEntry

from .errors import StatsError
from .models import (
    LOCAL,
    SUMMARY_MODELS,
    CaseCount,
    NoticeCount,
    PaymentCount,
    PaymentDay,
    ReceivableCount,
    ReviewCount,
    Rollup,
    StateCount,
    TimeToMoney,
    TrainingBeneficiaries,
    TrainingCount,
    TrainingPaymentDay,
    TrainingReceivableCount,
    TrainingSubjectCount,
)

REACHED = (NoticeStatus.SENT, NoticeStatus.DELIVERED)
"""A notice the gateway took (sent) or confirmed (delivered): the enterprise was reached."""
BATCH = 5000


def _zero(expression):
    return Coalesce(expression, Value(0))


def case_counts() -> list[CaseCount]:
    reached = Notice.objects.filter(unit=OuterRef("unit_id"), case=OuterRef("pk"),
                                    status__in=REACHED)
    eligible = Q(eligible=True)
    rows = (Case.objects.refunds().order_by()
            .values(region=F("unit__region_code"), industry=Substr("unit__industry_code", 1, 2),
                    program_id=F("program"), size_id=F("size"))
            .annotate(n=Count("id"), n_eligible=Count("id", filter=eligible),
                      n_reached=Count("id", filter=eligible & Q(Exists(reached))),
                      fen=_zero(Sum("amount_fen", filter=eligible)),
                      people=_zero(Sum("insured", filter=eligible))))
    return [CaseCount(region_code=r["region"], program=r["program_id"], size=r["size_id"],
                      industry=r["industry"] or "", cases=r["n"], eligible=r["n_eligible"],
                      reached=r["n_reached"], eligible_fen=r["fen"], insured=r["people"])
            for r in rows]


def state_counts() -> list[StateCount]:
    rows = (Case.objects.refunds().order_by()
            .values("program", "state", region=F("unit__region_code"))
            .annotate(n=Count("id"), fen=_zero(Sum("amount_fen", filter=Q(eligible=True)))))
    return [StateCount(region_code=r["region"], program=r["program"], state=r["state"],
                       cases=r["n"], eligible_fen=r["fen"]) for r in rows]


def _successful(payments):
    """Payments the bank confirmed (one it returned is ``failed``: never counted as paid)."""
    return payments.filter(status=Payment.Status.PAID, settled_at__isnull=False)


def _paid_payments():
    return (_successful(Payment.objects.order_by())
            .exclude(case__program_kind=TRAINING)
            .annotate(paid_day=TruncDate("settled_at")))


_PAID_SUMS = {"n": Count("id"), "gross": Sum("gross_fen"), "net": Sum("amount_fen"),
              "people": _zero(Sum("case__insured"))}


def payment_counts() -> list[PaymentCount]:
    rows = (_paid_payments()
            .values(region=F("unit__region_code"), program=F("case__program"),
                    case_size=F("case__size"), industry=Substr("unit__industry_code", 1, 2))
            .annotate(**_PAID_SUMS))
    return [PaymentCount(region_code=r["region"], program=r["program"], size=r["case_size"],
                         industry=r["industry"] or "", payments=r["n"], gross_fen=r["gross"],
                         net_fen=r["net"], insured=r["people"]) for r in rows]


def payment_days() -> list[PaymentDay]:
    """By the day the money arrived in China (``TruncDate`` in the Asia/Shanghai zone)."""
    rows = (_paid_payments()
            .values("paid_day", region=F("unit__region_code"), program=F("case__program"))
            .annotate(**_PAID_SUMS))
    return [PaymentDay(region_code=r["region"], program=r["program"], paid_on=r["paid_day"],
                       payments=r["n"], gross_fen=r["gross"], net_fen=r["net"],
                       insured=r["people"]) for r in rows]


def time_to_money() -> list[TimeToMoney]:
    """Days screening → approved → payable → paid, grouped by the four dates in the database.

    Cases sharing the same four dates form one group, so Python sees a few thousand groups,
    not a million cases. A missing date (a case made payable without an approval date, say)
    collapses its step to zero days rather than guessing.
    """
    rows = (_paid_payments()
            .values("paid_day", region=F("unit__region_code"), program=F("case__program"),
                    screened=F("case__opened_by_run__as_of"), approved=F("case__approved_on"),
                    payable=F("case__payable_on"))
            .annotate(n=Count("id")))
    histogram: dict[tuple[str, str, int], list[int]] = defaultdict(lambda: [0, 0, 0, 0])
    for r in rows:
        paid: date = r["paid_day"]
        payable: date = r["payable"] or paid
        approved: date = r["approved"] or payable
        screened: date = r["screened"] or approved
        n = r["n"]
        bucket = histogram[(r["region"], r["program"], (paid - screened).days)]
        bucket[0] += n
        bucket[1] += n * (approved - screened).days
        bucket[2] += n * (payable - approved).days
        bucket[3] += n * (paid - payable).days
    return [TimeToMoney(region_code=region, program=program, days=days, payments=n,
                        to_approved_days=a, to_payable_days=b, to_paid_days=c)
            for (region, program, days), (n, a, b, c) in sorted(histogram.items())]


def review_counts(today: date) -> list[ReviewCount]:
    """Each department's tasks against their deadlines on ``today``.

    Decided on or before the due day: on time; after it: late. Still pending: in time through
    the due day itself, overdue from the day after (as ``ReviewTask.objects.overdue``).
    """
    pending = Q(status=ReviewTask.Status.PENDING)
    rows = (ReviewTask.objects.order_by().annotate(decided_on=TruncDate("decided_at"))
            .values("department", region=F("batch__region_code"))
            .annotate(n=Count("id"),
                      n_on_time=Count("id", filter=~pending & Q(decided_on__lte=F("due_on"))),
                      n_late=Count("id", filter=~pending & Q(decided_on__gt=F("due_on"))),
                      n_pending=Count("id", filter=pending & Q(due_on__gte=today)),
                      n_overdue=Count("id", filter=pending & Q(due_on__lt=today))))
    return [ReviewCount(region_code=r["region"], department=r["department"], tasks=r["n"],
                        on_time=r["n_on_time"], late=r["n_late"], pending=r["n_pending"],
                        overdue=r["n_overdue"]) for r in rows]


def notice_counts() -> list[NoticeCount]:
    # Refunds only, as above: a trainee's notices (no unit, no unit region) are not counted.
    rows = (Notice.objects.exclude(case__program_kind=TRAINING).order_by()
            .values("channel", "status", region=F("unit__region_code")).annotate(n=Count("id")))
    return [NoticeCount(region_code=r["region"], channel=r["channel"], status=r["status"],
                        notices=r["n"]) for r in rows]


def receivable_counts() -> list[ReceivableCount]:
    """Receivables of the refunds, and what their entries recovered (repaid or offset) or wrote
    off (``_receivables``)."""
    return _receivables(ReceivableCount, training=False, region=F("unit__region_code"))


def _receivables(model, *, training: bool, region):
    """Receivables of the refunds or of the training subsidies, one row per county × program.

    Two grouped queries rather than one join: joining entries would count a receivable's
    amount once per entry. ``region`` is the county column (an expression over the
    receivable's beneficiary).
    """
    def kind(queryset, prefix: str = ""):
        where = {f"{prefix}case__program_kind": TRAINING}
        return queryset.filter(**where) if training else queryset.exclude(**where)

    raised = (kind(Receivable.objects.order_by())
              .values(region_code=region, program_id=F("case__program"))
              .annotate(n=Count("id"), fen=Sum("amount_fen"),
                        n_open=Count("id", filter=Q(amount_fen__gt=F("settled_fen"))),
                        outstanding=Sum(F("amount_fen") - F("settled_fen"))))
    Kind = ReceivableEntry.Kind
    entry_region = (Coalesce("receivable__unit__region_code", "receivable__person__region_code")
                    if training else F("receivable__unit__region_code"))
    entries = {(r["region_code"], r["program_id"]): r for r in (
        kind(ReceivableEntry.objects.order_by(), "receivable__")
        .values(region_code=entry_region, program_id=F("receivable__case__program"))
        .annotate(recovered=_zero(Sum("amount_fen", filter=Q(kind__in=[Kind.REPAYMENT,
                                                                      Kind.OFFSET]))),
                  written_off=_zero(Sum("amount_fen", filter=Q(kind=Kind.WRITE_OFF)))))}
    rows = []
    for r in raised:
        entry = entries.get((r["region_code"], r["program_id"]), {})
        rows.append(model(
            region_code=r["region_code"], program=r["program_id"], receivables=r["n"],
            amount_fen=r["fen"], recovered_fen=entry.get("recovered", 0),
            written_off_fen=entry.get("written_off", 0), open=r["n_open"],
            outstanding_fen=r["outstanding"]))
    return rows


# The training subsidies. A case's county is its beneficiary's: the person's, or the unit's
# for 以工代训 (exactly one of the two is set: ``case_one_beneficiary``).

def _beneficiary(prefix: str = ""):
    """``person`` or ``unit``: who the case pays."""
    return Choose(When(**{f"{prefix}person__isnull": False}, then=Value("person")),
                  default=Value("unit"))


def _county(prefix: str = ""):
    return Coalesce(f"{prefix}unit__region_code", f"{prefix}person__region_code")


def _paid_case(case_ref: str = "pk"):
    """The case has a successful payment (at most one: ``payment_one_success_per_case``)."""
    return Exists(_successful(Payment.objects.filter(case=OuterRef(case_ref))))


def training_counts() -> list[TrainingCount]:
    eligible = Q(eligible=True)
    rows = (Case.objects.training().order_by()
            .values("program", region=_county(), kind=_beneficiary())
            .annotate(n=Count("id"), n_eligible=Count("id", filter=eligible),
                      fen=_zero(Sum("amount_fen", filter=eligible))))
    return [TrainingCount(region_code=r["region"], program=r["program"], beneficiary=r["kind"],
                          cases=r["n"], eligible=r["n_eligible"], eligible_fen=r["fen"])
            for r in rows]


def training_beneficiaries() -> list[TrainingBeneficiaries]:
    """Distinct persons and units: a person with two subsidies is one person here."""
    eligible, paid = Q(eligible=True), Q(eligible=True) & Q(_paid_case())
    rows = (Case.objects.training().order_by()
            .values(region=_county(), kind=_beneficiary())
            .annotate(persons=Count("person", distinct=True, filter=eligible),
                      units=Count("unit", distinct=True, filter=eligible),
                      paid_persons=Count("person", distinct=True, filter=paid),
                      paid_units=Count("unit", distinct=True, filter=paid)))
    return [TrainingBeneficiaries(region_code=r["region"], beneficiary=r["kind"],
                                  eligible=r["persons"] + r["units"],
                                  paid=r["paid_persons"] + r["paid_units"]) for r in rows]


def training_subjects() -> list[TrainingSubjectCount]:
    """Claim items of eligible cases by subject and certificate level, and the paid ones."""
    paid = Q(_paid_case("case_id"))
    rows = (ClaimItem.objects.filter(case__program_kind=TRAINING, case__eligible=True).order_by()
            .values("program", "subject", region=_county("case__"), grade=Coalesce("level", 0))
            .annotate(cases=Count("case", distinct=True),
                      paid_cases=Count("case", distinct=True, filter=paid),
                      n=Count("id"), n_paid=Count("id", filter=paid), fen=Sum("amount_fen"),
                      paid_fen=_zero(Sum("amount_fen", filter=paid))))
    return [TrainingSubjectCount(region_code=r["region"], program=r["program"],
                                 subject=r["subject"], level=r["grade"], eligible=r["cases"],
                                 paid=r["paid_cases"], items=r["n"], paid_items=r["n_paid"],
                                 eligible_fen=r["fen"], paid_fen=r["paid_fen"]) for r in rows]


def training_payment_days() -> list[TrainingPaymentDay]:
    """By the day the money arrived in China, as ``payment_days``."""
    rows = (_successful(Payment.objects.order_by()).filter(case__program_kind=TRAINING)
            .annotate(paid_day=TruncDate("settled_at"))
            .values("paid_day", region=_county(), program=F("case__program"))
            .annotate(n=Count("id"), gross=Sum("gross_fen"), net=Sum("amount_fen")))
    return [TrainingPaymentDay(region_code=r["region"], program=r["program"],
                               paid_on=r["paid_day"], payments=r["n"], gross_fen=r["gross"],
                               net_fen=r["net"]) for r in rows]


def training_receivables() -> list[TrainingReceivableCount]:
    return _receivables(TrainingReceivableCount, training=True, region=_county())


STEPS = ((CaseCount, "案件 / cases"), (StateCount, "案件状态 / case states"),
         (PaymentCount, "拨付 / payments"), (PaymentDay, "每日拨付 / payments by day"),
         (TimeToMoney, "到账用时 / time to money"), (ReviewCount, "联审时限 / review deadlines"),
         (NoticeCount, "告知 / notices"), (ReceivableCount, "追回 / receivables"),
         (TrainingCount, "培训补贴案件 / training cases"),
         (TrainingBeneficiaries, "培训补贴对象 / trainees and units"),
         (TrainingSubjectCount, "培训补贴事项 / training items"),
         (TrainingPaymentDay, "培训补贴发放 / training payments"),
         (TrainingReceivableCount, "培训补贴追回 / training receivables"))


REFRESH_LOCK = 0x5747_5354  # "WGST": the PostgreSQL advisory lock one refresh holds


@contextmanager
def _one_at_a_time() -> Iterator[None]:
    """Hold a session-level advisory lock on PostgreSQL while a refresh runs.

    Taken outside the counting transaction, so the second refresh's snapshot begins after the
    first has committed (a lock taken inside it would leave the second counting stale rows).
    SQLite lets one writer at a time anyway.
    """
    if connection.vendor != "postgresql":
        yield
        return
    with connection.cursor() as cursor:
        cursor.execute("SELECT pg_advisory_lock(%s)", [REFRESH_LOCK])
    try:
        yield
    finally:
        with connection.cursor() as cursor:
            cursor.execute("SELECT pg_advisory_unlock(%s)", [REFRESH_LOCK])


def refresh(*, today: date | None = None,
            progress: Callable[[str, float], None] | None = None) -> Rollup:
    """Recount this deployment's own data into the summary tables; return the local rollup.

    All counts come from one snapshot (one transaction, REPEATABLE READ on PostgreSQL): a bank
    return reconciled half-way through cannot make the paid count disagree with the states.
    ``progress(label, done)`` is told each step (``done`` from 0 to 1) for a progress bar.
    """
    if zones.internet():
        raise StatsError("外网实例不计算统计：公开统计由内网计算，随交换同步（wengang zones import）",
                         "the internet instance counts no statistics: the intranet computes the "
                         "public figures and the exchange brings them (wengang zones import)",
                         code="stats_internet")
    today = today or clock.today()
    started = time.perf_counter()
    counters = {CaseCount: case_counts, StateCount: state_counts, PaymentCount: payment_counts,
                PaymentDay: payment_days, TimeToMoney: time_to_money,
                ReviewCount: lambda: review_counts(today), NoticeCount: notice_counts,
                ReceivableCount: receivable_counts, TrainingCount: training_counts,
                TrainingBeneficiaries: training_beneficiaries, TrainingSubjectCount: training_subjects,
                TrainingPaymentDay: training_payment_days,
                TrainingReceivableCount: training_receivables}
    outermost = not connection.in_atomic_block
    with _one_at_a_time(), transaction.atomic():
        if outermost and connection.vendor == "postgresql":
            with connection.cursor() as cursor:
                cursor.execute("SET TRANSACTION ISOLATION LEVEL REPEATABLE READ")
        computed = {}
        for number, (model, label) in enumerate(STEPS):
            if progress:
                progress(label, number / (len(STEPS) + 1))
            computed[model] = counters[model]()
        if progress:
            progress("写入汇总表 / writing the summary tables", len(STEPS) / (len(STEPS) + 1))
        rollup, _created = Rollup.objects.get_or_create(
            source=LOCAL, defaults={"as_of": today, "computed_at": clock.now()})
        for model in SUMMARY_MODELS:
            model.objects.filter(source=LOCAL).delete()
            model.objects.bulk_create(computed[model], batch_size=BATCH)
        rollup.as_of, rollup.computed_at = today, clock.now()
        rollup.cases = sum(row.cases for row in computed[CaseCount])
        rollup.seconds = round(time.perf_counter() - started, 3)
        rollup.save()
    if progress:
        progress("完成 / done", 1.0)
    return rollup
