"""Log the load test's people in ahead of a run: enterprise and staff sessions, as login makes them.

    DATABASE_URL=… .venv/bin/python bench/load/sessions.py --out var-load --enterprises 20000

A logged-in session is what the status, confirmation and queue scenarios start from; the real
login (SMS code through the fake gateway, from distinct loopback addresses) is measured on its
own (`run.sh login`). Each enterprise session belongs to a unit with a case awaiting its
confirmation today, never used by an earlier run (``users.csv`` from ``prepare.py``, minus the
cases no longer awaiting). Each session is made by the configured session engine and holds what
``django.contrib.auth.login`` stores: the user id, backend and session hash.

Writes ``enterprise_sessions.csv`` (session key, case id) and ``staff_sessions.csv``.
"""

import argparse
import csv
import os
from importlib import import_module
from pathlib import Path


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--out", type=Path, default=Path("var-load"))
    parser.add_argument("--enterprises", type=int, default=20_000)
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wengang.settings")
    import django
    django.setup()
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY

    from wengang.accounts.models import Role, User
    from wengang.cases.models import Case, State

    with (args.out / "users.csv").open() as handle:
        candidates = [(int(row["case_id"]), row["uscc"]) for row in csv.DictReader(handle)]
    awaiting = set(Case.objects.filter(state=State.AWAITING_APPLICATION)
                   .values_list("id", flat=True).iterator(chunk_size=50_000))
    chosen: dict[str, int] = {}
    for case_id, uscc in candidates:  # one awaiting case per unit, units in file order
        if case_id in awaiting and uscc not in chosen:
            chosen[uscc] = case_id
            if len(chosen) == args.enterprises:
                break
    existing = set(User.objects.filter(uscc__in=list(chosen)).values_list("uscc", flat=True))
    units = dict(Case.objects.filter(id__in=list(chosen.values()))
                 .values_list("unit__uscc", "unit__region_code"))
    fresh = []
    for uscc in chosen:
        if uscc not in existing:
            user = User(username=uscc, role=Role.ENTERPRISE, uscc=uscc, region_code=units[uscc])
            user.set_unusable_password()
            fresh.append(user)
    User.objects.bulk_create(fresh, batch_size=5_000)
    users = {u.uscc: u for u in User.objects.filter(uscc__in=list(chosen))}
    staff = list(User.objects.filter(role=Role.AGENCY, username__startswith="load-agency-"))

    engine = import_module(settings.SESSION_ENGINE)  # the database, or the cache (Redis)

    def session(user: User) -> str:
        store = engine.SessionStore()
        store.update({SESSION_KEY: str(user.pk),
                      BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                      HASH_SESSION_KEY: user.get_session_auth_hash()})
        store.create()
        return store.session_key

    enterprise_rows = [(session(users[uscc]), case_id) for uscc, case_id in chosen.items()]
    staff_rows = [session(user) for user in staff]
    with (args.out / "enterprise_sessions.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["session_key", "case_id"])
        w.writerows(enterprise_rows)
    with (args.out / "staff_sessions.csv").open("w", newline="") as handle:
        w = csv.writer(handle)
        w.writerow(["session_key"])
        w.writerows((key,) for key in staff_rows)
    print(f"{len(enterprise_rows):,} enterprise sessions ({len(fresh):,} new users), "
          f"{len(staff_rows)} staff sessions ({settings.SESSION_ENGINE}), idle timeout "
          f"{settings.SESSION_COOKIE_AGE} s")


if __name__ == "__main__":
    main()
