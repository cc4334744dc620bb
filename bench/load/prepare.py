"""Build the load-test city: a PostgreSQL database of about N cases, ready for `run.sh`.

    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wg_ops_load WENGANG_TODAY=2020-04-20 \\
        .venv/bin/python bench/load/prepare.py --cases 1000000 --out var-load

The database DATABASE_URL names is emptied first (its schema dropped): point it at a scratch
database, never at real data. Steps, each timed:

1. feeds and a screening result for N/1.4 units of Nanchang (about 70 % of unit × program pairs
   eligible, so N cases), with each unit's December head count, written once per size;
2. migrate, then ``load_screening`` (the real loader) → units and cases;
3. ``notify_many`` (the real workflow) → application cases await the enterprise's confirmation;
4. the commitment letter in force, agency officers (password and TOTP secret in
   ``staff.csv``, to log in as them by hand), and an open publicity list of ``--publicity`` cases.
   Publicity cases are put in that state directly, as the tests' fixtures do: the load test
   measures the public search over them, not the workflow that would take them there;
5. ``users.csv`` (what the load test's enterprises are: USCC, phone, awaiting case),
   ``staff.csv`` (username, password, TOTP secret) and ``secrets.env`` (the keys the accounts
   are sealed and the audit chain keyed with, which the server then uses) in ``--out``.
"""

import argparse
import csv
import hashlib
import json
import os
import random
import secrets
import sys
import time
from datetime import date, datetime
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))  # the test builders' USCC maker

REGION = "360100"
COUNTIES = ("360102", "360103", "360111", "360112", "360121")
PROGRAMS = ("difficult-2020", "inclusive-2020")
ELIGIBLE_PER_UNIT = 1.4  # 0.8 inclusive + 0.6 difficult
STAFF_PASSWORD_BYTES = 18


def build(folder: Path, units: int, *, seed: int = 2020) -> Path:
    """Write feeds (units, registry, December head counts) and a result; once per size."""
    from tests.screening.builder import make_uscc
    from wengang.policy import load_policy

    result = folder / "result.csv"
    if result.exists():
        return result
    feeds = folder / "feeds"
    feeds.mkdir(parents=True, exist_ok=True)
    rng = random.Random(seed)
    usccs = sorted(make_uscc(i, rng.choice(COUNTIES)) for i in range(1, units + 1))
    with (feeds / "units.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["uscc", "name", "unit_type", "region_code", "industry_code", "registered_on",
                    "ui_insured_since", "is_labour_dispatch", "legal_rep_name", "contact_phone",
                    "bank_name", "bank_account", "si_account"])
        for i, uscc in enumerate(usccs):
            w.writerow([uscc, f"南昌压测企业{i}有限公司", "enterprise", uscc[2:8],
                        rng.choice(["13", "52", "61", "62", "70", "7010"]), "2012-03-01",
                        "2012-04-01", "false", "王五", f"139{i:08d}", "中国银行南昌分行",
                        f"6222{i:012d}", ""])
    with (feeds / "registry.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["uscc", "status", "abnormal", "restructured_on", "restructure_kind"])
        for uscc in usccs:
            w.writerow([uscc, "active", "false", "", ""])
    headcounts = {uscc: rng.randrange(3, 400) for uscc in usccs}
    with (feeds / "contributions.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["uscc", "month", "insured", "due", "paid"])
        for uscc in usccs:
            w.writerow([uscc, "2019-12", headcounts[uscc], "100.00", "100.00"])
    with result.open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["uscc", "program", "eligible", "amount", "size", "route", "layoff_rate",
                    "failed", "explanation", "risk"])
        for uscc in usccs:
            size = rng.choice(["small", "micro", "medium", "large"])
            inclusive_ok, difficult_ok = rng.random() < 0.8, rng.random() < 0.6
            fen = rng.randrange(10_000, 5_000_000)
            for program, ok in zip(PROGRAMS, (difficult_ok, inclusive_ok), strict=True):
                route = ("none" if not ok else "application"
                         if program.startswith("difficult") or size == "large" else "automatic")
                amount = f"{fen // 100}.{fen % 100:02d}" if ok else "0.00"
                explanation = (f"符合条件：2019年实缴失业保险费 {amount} 元 × 返还比例 100% = {amount} 元；"
                               "2019年足额缴费 12 个月；裁员率 0.00% ≤ 5.5%" if ok
                               else "不符合条件：2019年足额缴费 9 个月，不足 12 个月")
                w.writerow([uscc, program, str(ok).lower(), amount, size, route, "0.0120",
                            "" if ok else "paid_12_months", explanation, ""])
    policy = load_policy()

    def sha(path: Path) -> str:
        return hashlib.sha256(path.read_bytes()).hexdigest()

    record = {"created_at": "2020-04-15T10:00:00+08:00", "code_version": "bench-load",
              "as_of": "2020-04-15", "region_code": REGION, "settings": {},
              "inputs": {"kind": "folder", "path": str(feeds.resolve()), "snapshot_id": None,
                         "sha256": {p.stem: sha(p) for p in sorted(feeds.glob("*.csv"))}},
              "programs": {p: {"policy_sha256": policy.program(p).source_sha256} for p in PROGRAMS},
              "output": {"path": result.name, "rows": len(usccs) * 2, "sha256": sha(result)}}
    result.with_name("result.run.json").write_text(json.dumps(record))
    return result


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--cases", type=int, default=1_000_000)
    parser.add_argument("--publicity", type=int, default=20_000)
    parser.add_argument("--staff", type=int, default=20)
    parser.add_argument("--out", type=Path, default=Path("var-load"))
    parser.add_argument("--keep-cases", action="store_true",
                        help="keep the cases a run stopped after (steps 1–3 done): migrate, "
                             "then steps 4–5 only")
    args = parser.parse_args()
    if not os.environ.get("DATABASE_URL", "").startswith("postgres"):
        sys.exit("DATABASE_URL must name a scratch PostgreSQL database (it is emptied)")
    if not os.environ.get("WENGANG_TODAY"):
        sys.exit("set WENGANG_TODAY (the server's simulated day, e.g. 2020-04-20) for both "
                 "this script and the server")
    units = round(args.cases / ELIGIBLE_PER_UNIT)
    folder = args.out.resolve() / f"units-{units}"
    started = time.perf_counter()

    def done(label: str) -> None:
        nonlocal started
        print(f"{label:40s} {time.perf_counter() - started:7.1f} s", flush=True)
        started = time.perf_counter()

    result = build(folder, units)
    done(f"feeds and result ({units:,} units)")

    # The server's secrets, made once for this database: accounts are sealed and the audit
    # chain keyed with them here, so the server (run.sh reads the same file) can open them.
    secrets_file = args.out / "secrets.env"
    if not secrets_file.exists():
        args.out.mkdir(parents=True, exist_ok=True)
        secrets_file.write_text(f"WENGANG_SECRET_KEY={secrets.token_urlsafe(50)}\n"
                                f"WENGANG_FIELD_KEY={secrets.token_hex(32)}\n"
                                f"WENGANG_AUDIT_KEY={secrets.token_hex(32)}\n")
        secrets_file.chmod(0o600)
    os.environ.update(line.split("=", 1) for line in secrets_file.read_text().split())
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wengang.settings")
    import django
    import pyotp
    django.setup()
    from django.contrib.auth.hashers import make_password
    from django.core.management import call_command
    from django.db import connection, transaction

    from wengang.accounts.models import Role, TOTPDevice, User
    from wengang.cases import services
    from wengang.cases.models import Case, CommitmentText, PublicityBatch, PublicityItem, State
    from wengang.cases.publicity import write_listing
    from wengang.core.clock import clock

    if not args.keep_cases:
        with connection.cursor() as cursor:
            cursor.execute("DROP SCHEMA public CASCADE; CREATE SCHEMA public")
    call_command("migrate", verbosity=0)
    done("migrate")
    if args.keep_cases:
        if User.objects.filter(username__startswith="load-agency-").exists():
            sys.exit("--keep-cases: this database has its staff already: nothing to resume")
    else:
        summary = services.load_screening(result)
        done(f"load_screening ({summary.opened:,} cases)")
        notified = services.notify_many(Case.objects.application(), actor=None)
        done(f"notify_many ({notified:,} awaiting application)")

    today = clock.today()
    CommitmentText.objects.get_or_create(version="2020-load", defaults={
        "title": "稳岗返还承诺书", "valid_from": date(2020, 1, 1),
        "text": "本单位承诺所填信息真实、完整，如有虚假，愿退回全部返还资金并承担相应法律责任。"})
    staff_rows = []
    for number in range(1, args.staff + 1):
        password = secrets.token_urlsafe(STAFF_PASSWORD_BYTES)
        user = User.objects.create(username=f"load-agency-{number:03d}", role=Role.AGENCY,
                                   region_code=REGION, password=make_password(password))
        device = TOTPDevice.objects.create(user=user, secret=pyotp.random_base32(),
                                           created_at=clock.now(), confirmed_at=clock.now())
        staff_rows.append((user.username, password, device.secret))
    publisher = User.objects.get(username="load-agency-001")
    with transaction.atomic():
        batch = PublicityBatch.objects.create(
            region_code=REGION, start_on=date(2020, 4, 16), end_on=date(2020, 4, 24),
            workdays=7, opened_by=publisher, opened_at=datetime(2020, 4, 16, 9, tzinfo=clock.now().tzinfo))
        chosen = list(Case.objects.automatic().filter(state=State.SCREENED)
                      .order_by("id").values_list("id", flat=True)[:args.publicity])
        Case.objects.filter(id__in=chosen).update(state=State.IN_PUBLICITY,
                                                  approved_on=date(2020, 4, 15))
        PublicityItem.objects.bulk_create(PublicityItem(batch=batch, case_id=pk) for pk in chosen)
        write_listing(batch)  # the public list's rows, as open_publicity writes them
    done(f"commitment, {args.staff} staff, publicity of {len(chosen):,}")

    awaiting = (Case.objects.filter(state=State.AWAITING_APPLICATION, apply_by__gte=today)
                .order_by("unit__uscc", "id").values_list("id", "unit__uscc", "unit__contact_phone"))
    with (args.out / "users.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["case_id", "uscc", "phone"])
        w.writerows(awaiting.iterator(chunk_size=20_000))
    with (args.out / "staff.csv").open("w", newline="") as handle:
        csv.writer(handle).writerows([("username", "password", "totp_secret"), *staff_rows])
    (args.out / "staff.csv").chmod(0o600)
    with connection.cursor() as cursor:
        cursor.execute("VACUUM ANALYZE")
    done("users.csv, staff.csv, VACUUM ANALYZE")
    print(f"cases: {Case.objects.count():,}; awaiting application on {today}: "
          f"{Case.objects.filter(state=State.AWAITING_APPLICATION).count():,}")


if __name__ == "__main__":
    main()
