"""The soak test's payments: every PAY_EVERY seconds some cases become payable and are paid
through the real services — budget, batch, approval, bank file, the bank's return, reconciliation.

    DATABASE_URL=… .venv/bin/python bench/soak/payer.py --every 15 --cases 25   # until SIGTERM
    DATABASE_URL=… .venv/bin/python bench/soak/payer.py --settle                # finish, once

Cases are made payable directly (state ``payable``, as prepare.py puts cases in publicity): the
soak exercises paying under faults, not the publicity that would lead there. The bank is a
function here (``payments.demo.simulated_return``: every transfer paid), its files written
beside the batches' in ``--out``. Each round first finishes what an earlier round left (a draft
to approve, an approved batch to export, an exported one to reconcile), so a round cut short by
the database restart is completed by the next; a database error ends the round, not the
process. One JSON line a round on stdout.
"""

import argparse
import json
import os
import signal
import time
from datetime import date
from pathlib import Path

os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wengang.settings")

import django

django.setup()

from django.db import InterfaceError, OperationalError, close_old_connections, transaction

from wengang.accounts.models import Role, User
from wengang.cases.errors import CaseError
from wengang.cases.models import Case, Channel, State
from wengang.core.errors import CoreError
from wengang.payments import services
from wengang.payments.demo import DEMO_PAYING_ACCOUNT, simulated_return
from wengang.payments.models import PayingAccount, PaymentBatch

REGION = "360100"
NEVER_FAILS = 10**9
S = PaymentBatch.Status


def people() -> tuple[User, User]:
    agency = User.objects.get(username="load-agency-001")
    finance, created = User.objects.get_or_create(
        username="soak-finance", defaults={"role": Role.FINANCE, "region_code": REGION})
    if created:
        finance.set_unusable_password()
        finance.save()
    holder, number, bank = DEMO_PAYING_ACCOUNT
    PayingAccount.objects.get_or_create(region_code=REGION, active=True, defaults={
        "holder_name": holder, "account_number": number, "bank_name": bank})
    return agency, finance


def finish(agency: User, finance: User, out: Path) -> dict[str, int]:
    """Approve, export and reconcile every batch not yet reconciled."""
    done = {"approved": 0, "exported": 0, "paid": 0}
    for batch in PaymentBatch.objects.filter(status=S.DRAFT).order_by("pk"):
        services.approve_batch(batch, actor=finance)
        done["approved"] += 1
    for batch in PaymentBatch.objects.filter(status=S.APPROVED).order_by("pk"):
        services.export_batch(batch, actor=agency, out_dir=out, channel=Channel.SYSTEM)
        done["exported"] += 1
    for batch in PaymentBatch.objects.filter(status=S.EXPORTED).order_by("pk"):
        answer = simulated_return(batch, fail_every=NEVER_FAILS)
        path = out / f"batch-{batch.pk}-{int(time.time() * 1000)}.pain002.xml"
        path.write_bytes(answer)
        report = services.apply_return(answer, name=path.name, actor=agency, channel=Channel.SYSTEM)
        done["paid"] += report.paid_count
    return done


def more(agency: User, finance: User, count: int) -> int:
    """Make ``count`` notified automatic cases payable, fund them and batch them."""
    with transaction.atomic():
        chosen = list(Case.objects.automatic().filter(state__in=[State.SCREENED, State.NOTIFIED],
                                                      program="inclusive-2020")
                      .order_by("pk").values_list("pk", flat=True)[:count])
        Case.objects.filter(pk__in=chosen).update(state=State.PAYABLE, approved_on=date(2020, 4, 15))
    payable = Case.objects.in_region(REGION).payable().for_program("inclusive-2020")
    needed = payable.amount_fen_total()
    if needed:
        services.allocate(region_code=REGION, program="inclusive-2020", year=2020,
                          amount_fen=needed, actor=finance, note="浸泡测试 / soak test")
        services.build_batches(actor=agency, region_code=REGION, program="inclusive-2020",
                               channel=Channel.SYSTEM)
    return len(chosen)


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--every", type=float, default=15.0)
    parser.add_argument("--cases", type=int, default=25)
    parser.add_argument("--out", type=Path, default=Path("var-soak/run/bank"))
    parser.add_argument("--settle", action="store_true", help="finish what is open, then stop")
    args = parser.parse_args()
    args.out.mkdir(parents=True, exist_ok=True)
    running = True

    def stop(*_):
        nonlocal running
        running = False

    signal.signal(signal.SIGTERM, stop)
    while True:
        entry: dict = {"t": time.time()}
        try:
            agency, finance = people()
            entry.update(finish(agency, finance, args.out))
            if not args.settle:
                entry["made_payable"] = more(agency, finance, args.cases)
                entry.update({f"then_{k}": v for k, v in finish(agency, finance, args.out).items()})
        except (OperationalError, InterfaceError) as error:
            entry["database_error"] = (str(error).splitlines() or [type(error).__name__])[0]
        except (CaseError, CoreError) as error:  # a rule refused it: say which, go on
            entry["refused"] = f"{error.zh} / {error.en}"
        print(json.dumps(entry, ensure_ascii=False), flush=True)
        close_old_connections()
        if args.settle or not running:
            return
        deadline = time.time() + args.every
        while running and time.time() < deadline:
            time.sleep(0.5)


if __name__ == "__main__":
    main()
