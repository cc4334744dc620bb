"""The steps around the crash tests, each in its own process on ``DATABASE_URL``.

    python -m tests.payments.crash_worker setup                 migrate; people, fund, account
    python -m tests.payments.crash_worker prepare N             N new payable cases → approved batch
    python -m tests.payments.crash_worker write-return ID PATH  the bank's answer (every 7th fails)
    python -m tests.payments.crash_worker check                 the invariants, as JSON

The steps that are killed are the real commands (``wengang payments batch export`` and
``wengang payments reconcile``); these only set the scene and look at the result.
"""

import json
import os
import sys
from collections import Counter
from pathlib import Path


def setup() -> None:
    from django.core.management import call_command

    from wengang.accounts.models import Role, User
    from wengang.payments import services
    from wengang.payments.models import PayingAccount

    from .world import CITY, PROGRAM, screening_run

    call_command("migrate", verbosity=0)
    User.objects.create_user("officer", password=None, role=Role.AGENCY, region_code=CITY)
    finance = User.objects.create_user("finance", password=None, role=Role.FINANCE,
                                       region_code=CITY, department="finance")
    screening_run()
    PayingAccount.objects.create(region_code=CITY, holder_name="南昌市社会保险事业管理局",
                                 account_number="36050100000000001234", bank_name="建设银行")
    services.allocate(region_code=CITY, program=PROGRAM, year=2020, amount_fen=10**12,
                      actor=finance)


def prepare(count: str) -> None:
    from django.db import transaction

    from wengang.accounts.models import User
    from wengang.cases.models import Case, ScreeningRun
    from wengang.payments import services

    from .world import CITY, PROGRAM, new_case

    run = ScreeningRun.objects.get()
    start = Case.objects.count() + 1
    with transaction.atomic():
        for number in range(start, start + int(count)):
            new_case(run, number=number, amount_fen=10_000 + number * 37,
                     account=f"6222{number:012d}")
    batch = services.build_batches(actor=User.objects.get(username="officer"), region_code=CITY,
                                   program=PROGRAM).batches[0]
    services.approve_batch(batch, actor=User.objects.get(username="finance"))
    print(batch.pk)


def write_return(batch_id: str, path: str) -> None:
    from tests.payments.returns import csv_return, outcome_rows, pain002_return
    from wengang.payments.models import PaymentBatch

    batch = PaymentBatch.objects.get(pk=batch_id)
    rows = outcome_rows(batch)
    rows = [(e2e, fen, "账户已销户" if i % 7 == 0 else "") for i, (e2e, fen, _) in enumerate(rows)]
    write = pain002_return if int(batch_id) % 2 else csv_return
    Path(path).write_bytes(write(batch, rows))


def check() -> None:
    """Counts that must agree whatever moment a process was killed."""
    from django.db.models import Count

    from wengang.cases.models import Case, CaseEvent
    from wengang.payments.ledger import check_ledger
    from wengang.payments.models import Budget, Payment, PaymentBatch, ReturnFile

    expected = {"pending": "in_payment", "exported": "in_payment", "paid": "paid",
                "failed": "payment_failed"}
    mismatched = [pk for pk, status, state in Payment.objects.values_list(
        "pk", "status", "case__state") if expected[status] != state]
    events = Counter(CaseEvent.objects.filter(action__in=["paid", "payment_failed"])
                     .values_list("case_id", flat=True))
    print(json.dumps({
        "cases": Case.objects.count(),
        "cases_without_payment": Case.objects.filter(payments__isnull=True).count(),
        "payments_per_case_max": max(Case.objects.annotate(n=Count("payments"))
                                     .values_list("n", flat=True), default=0),
        "paid_twice": Payment.objects.filter(status="paid").values("case_id")
        .annotate(n=Count("pk")).filter(n__gt=1).count(),
        "settled_events_per_case_max": max(events.values(), default=0),
        "status_mismatches": len(mismatched),
        "payments": dict(Counter(Payment.objects.values_list("status", flat=True))),
        "batches": {str(pk): [status, xml] for pk, status, xml in
                    PaymentBatch.objects.values_list("pk", "status", "xml_sha256")},
        "return_files": ReturnFile.objects.count(),
        "ledger_problems": [p for b in Budget.objects.all() for p in check_ledger(b).problems],
    }))


def main() -> None:
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wengang.settings")
    import django

    django.setup()
    command, *args = sys.argv[1:]
    {"setup": setup, "prepare": prepare, "write-return": write_return, "check": check}[command](*args)


if __name__ == "__main__":
    main()
