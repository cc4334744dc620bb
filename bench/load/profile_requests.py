"""CPU cost per request of the load test's pages, measured in-process (no network, no locust).

    set -a; . var-load/secrets.env; set +a
    DATABASE_URL=postgres://postgres@127.0.0.1:5432/wg_load WENGANG_DEBUG=0 WENGANG_HTTPS=0 \\
        WENGANG_TODAY=2020-04-20 WENGANG_DATA_DIR=var-load/data \\
        WENGANG_REDIS_URL=redis://127.0.0.1:6379/7 \\
        .venv/bin/python bench/load/profile_requests.py --rounds 300 [--profile status]

On a shared machine throughput moves with the neighbours' load; the CPU time one request takes
in the server process (``time.process_time``) hardly does. This calls the WSGI application that
gunicorn serves (``wengang.wsgi``, every middleware, the real database and session store) with
requests as locust sends them, and prints per endpoint the CPU and wall milliseconds per request
(median and mean) and the SQL statements per request. PostgreSQL's own CPU is not included.

Scenarios: ``status`` (portal home, case page), ``confirm`` (letter page, then the signed POST
answered by the case's card, as htmx posts it; ``--confirm prg``: without JS, the POST redirected
and the case page after; one confirmation each; it uses up cases awaiting confirmation, as
run.sh does), ``public`` (publicity search and pages), ``officer`` (queue pages). ``--profile NAME`` writes a cProfile of
that scenario's loop to ``LOAD_DIR/results/profile-NAME.prof`` (``python -m pstats``).
"""

import argparse
import cProfile
import io
import os
import re
import statistics
import time
from collections import defaultdict
from http.cookies import SimpleCookie
from pathlib import Path
from urllib.parse import urlencode

_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_HIDDEN = re.compile(r'name="(amount_fen|version|insured|letter)" value="([0-9a-f]+)"')
HOST = "127.0.0.1:8150"


class Browser:
    """One client of the WSGI application: its cookies, and what each request cost."""

    def __init__(self, app, costs: dict, queries: list):
        self.app, self.costs, self.queries = app, costs, queries
        self.cookies: dict[str, str] = {}

    def request(self, method: str, path: str, name: str, data: dict | None = None,
                expect: int = 200, headers: dict[str, str] | None = None) -> str:
        body = urlencode(data or {}).encode()
        query = ""
        if "?" in path:  # as a browser sends it: percent-encoded UTF-8
            path, query = path.split("?", 1)
            query = urlencode([tuple(pair.split("=", 1)) for pair in query.split("&") if pair])
        environ = {
            "REQUEST_METHOD": method, "PATH_INFO": path, "QUERY_STRING": query,
            "SERVER_NAME": "127.0.0.1", "SERVER_PORT": "8150", "SERVER_PROTOCOL": "HTTP/1.1",
            "REMOTE_ADDR": "127.0.0.1", "HTTP_HOST": HOST, "wsgi.url_scheme": "http",
            "wsgi.input": io.BytesIO(body), "wsgi.errors": io.StringIO(), "wsgi.version": (1, 0),
            "wsgi.multithread": False, "wsgi.multiprocess": True, "wsgi.run_once": False,
            "HTTP_COOKIE": "; ".join(f"{k}={v}" for k, v in self.cookies.items()),
            "HTTP_USER_AGENT": "profile_requests", "HTTP_ACCEPT_ENCODING": "gzip, deflate",
        }
        if method == "POST":
            environ.update(CONTENT_TYPE="application/x-www-form-urlencoded",
                           CONTENT_LENGTH=str(len(body)),
                           HTTP_REFERER=f"http://{HOST}/portal/")
        environ.update({"HTTP_" + k.upper().replace("-", "_"): v for k, v in (headers or {}).items()})
        status: list[str] = []
        answered: list[tuple[str, str]] = []

        def start_response(s, h, exc_info=None):
            status.append(s)
            answered.extend(h)

        before = len(self.queries)
        cpu, wall = time.process_time(), time.perf_counter()
        result = self.app(environ, start_response)
        content = b"".join(result)
        if hasattr(result, "close"):
            result.close()  # request_finished: what gunicorn does
        self.costs[name].append((time.process_time() - cpu, time.perf_counter() - wall,
                                 len(self.queries) - before))
        code = int(status[0].split()[0])
        if code != expect:
            raise SystemExit(f"{method} {path} ({name}): HTTP {code}, expected {expect}")
        for header, value in answered:
            if header.lower() == "set-cookie":
                for morsel in SimpleCookie(value).values():
                    self.cookies[morsel.key] = morsel.value
        return content.decode("utf-8", "replace")


def _sessions(count: int, role: str, skip: int = 0):
    """Log ``count`` people in as sessions.py does: (session key, awaiting case id)."""
    from importlib import import_module

    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.db.models import Exists, OuterRef

    from wengang.accounts.models import Role, User
    from wengang.cases.models import Case, State

    engine = import_module(settings.SESSION_ENGINE)

    def session(user) -> str:
        store = engine.SessionStore()
        store.update({SESSION_KEY: str(user.pk),
                      BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0],
                      HASH_SESSION_KEY: user.get_session_auth_hash()})
        store.create()
        return store.session_key

    if role == "staff":
        staff = User.objects.filter(role=Role.AGENCY, username__startswith="load-agency-")
        return [(session(user), None) for user in staff.order_by("pk")[:count]]
    rows = []
    # Cases awaiting confirmation, those of units with a user first (then the same users serve
    # code of another version, to compare); a unit's user is made as sessions.py makes it.
    awaiting = (Case.objects.filter(state=State.AWAITING_APPLICATION)
                .annotate(has_user=Exists(User.objects.filter(uscc=OuterRef("unit__uscc"))))
                .order_by("-has_user", "-id").values_list("id", "unit__uscc", "unit__region_code"))
    seen: set[str] = set()
    for case_id, uscc, region in awaiting.iterator(chunk_size=2000):
        if uscc in seen:
            continue
        seen.add(uscc)
        if len(seen) <= skip:  # another run's, at the same time (``--skip``)
            continue
        user = User.objects.filter(uscc=uscc, role=Role.ENTERPRISE).first()
        if user is None:
            user = User(username=uscc, role=Role.ENTERPRISE, uscc=uscc, region_code=region)
            user.set_unusable_password()
            user.save()
        rows.append((session(user), case_id))
        if len(rows) == count:
            break
    return rows


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--rounds", type=int, default=300)
    parser.add_argument("--scenarios", default="status,confirm,public,officer")
    parser.add_argument("--profile", default="", help="a scenario to cProfile")
    parser.add_argument("--confirm", choices=("htmx", "prg"), default="htmx",
                        help="the confirmation as htmx posts it (2 requests), or without JS "
                             "(Post/Redirect/Get: 3 requests)")
    parser.add_argument("--skip", type=int, default=0,
                        help="leave the first SKIP enterprises to another run at the same time "
                             "(concurrent A/B of two versions of the code)")
    parser.add_argument("--make-users", type=int, default=0,
                        help="only make (log in) this many enterprises, for later runs")
    parser.add_argument("--out", type=Path, default=Path(os.environ.get("LOAD_DIR", "var-load")))
    args = parser.parse_args()
    os.environ.setdefault("DJANGO_SETTINGS_MODULE", "wengang.settings")
    import django
    django.setup()
    from django.db import connection

    from wengang.wsgi import application

    queries: list[str] = []

    def count(execute, sql, params, many, context):
        queries.append(sql)
        return execute(sql, params, many, context)

    if args.make_users:
        print(f"{len(_sessions(args.make_users, 'enterprise'))} enterprises logged in")
        return
    scenarios = [s for s in args.scenarios.split(",") if s]
    enterprise = (_sessions(args.rounds + 20, "enterprise", args.skip)
                  if {"status", "confirm"} & set(scenarios) else [])
    staff = _sessions(5, "staff") if "officer" in scenarios else []
    searches = ["南昌压测企业1", "南昌压测企业23", "压测企业45", "9136010", "91360102", "有限公司", "企业7"]
    connection.close()  # as a forked worker starts: its own connection on the first request

    def status(costs, warm: int):
        for i in range(args.rounds + warm):
            key, case_id = enterprise[i % warm]  # as locust's users: each looks again and again
            b = Browser(application, costs if i >= warm else defaultdict(list), queries)
            b.cookies["sessionid"] = key
            b.request("GET", "/portal/", "portal home (status)")
            b.request("GET", f"/portal/cases/{case_id}/", "portal case page")

    def confirm(costs, warm: int):
        for i in range(args.rounds + warm):
            key, case_id = enterprise.pop()
            b = Browser(application, costs if i >= warm else defaultdict(list), queries)
            b.cookies["sessionid"] = key
            page = b.request("GET", f"/portal/cases/{case_id}/confirm/", "confirm: letter page")
            token = _CSRF.search(page).group(1)
            htmx = args.confirm == "htmx"
            b.request("POST", f"/portal/cases/{case_id}/confirm/", "confirm: POST (signed)",
                      {**dict(_HIDDEN.findall(page)), "signatory_name": "张经办", "agree": "on",
                       "csrfmiddlewaretoken": token}, expect=200 if htmx else 302,
                      headers={"HX-Request": "true"} if htmx else None)
            if not htmx:
                b.request("GET", f"/portal/cases/{case_id}/", "confirm: case page after")

    def public(costs, warm: int):
        b = Browser(application, costs, queries)
        for i in range(args.rounds + warm):
            b.costs = costs if i >= warm else defaultdict(list)
            b.request("GET", f"/publicity/?q={searches[i % len(searches)]}", "publicity search")
            b.request("GET", f"/publicity/?page={1 + i % 7}", "publicity page")

    def officer(costs, warm: int):
        filters = ("", "state=awaiting_application", "program=inclusive-2020", "state=applied",
                   "program=difficult-2020&state=awaiting_application")
        b = Browser(application, costs, queries)
        b.cookies["sessionid"] = staff[0][0]
        for i in range(args.rounds + warm):
            b.costs = costs if i >= warm else defaultdict(list)
            b.request("GET", f"/console/cases/?{filters[i % 5]}&page={1 + i % 3}",
                      "console queue page")

    print(f"{args.rounds} rounds per scenario; ms per request: CPU 10th percentile (the least "
          "disturbed by neighbours) / median / mean, wall median; SQL statements per request")
    print("| endpoint | CPU p10 | CPU p50 | CPU mean | wall p50 | SQL |")
    print("|---|---:|---:|---:|---:|---:|")
    with connection.execute_wrapper(count):
        for name in scenarios:
            costs: dict[str, list] = defaultdict(list)
            run = {"status": status, "confirm": confirm, "public": public, "officer": officer}[name]
            if name == args.profile:
                profiler = cProfile.Profile(time.process_time)  # CPU, not waiting
                profiler.runcall(run, costs, 20)
                (args.out / "results").mkdir(parents=True, exist_ok=True)
                profiler.dump_stats(args.out / "results" / f"profile-{name}.prof")
            else:
                run(costs, 20)
            for endpoint, rows in costs.items():
                cpu = [r[0] * 1000 for r in rows]
                wall = [r[1] * 1000 for r in rows]
                sql = statistics.mean(r[2] for r in rows)
                p10 = statistics.quantiles(cpu, n=10)[0]
                print(f"| {endpoint} | {p10:.2f} | {statistics.median(cpu):.2f} | "
                      f"{statistics.mean(cpu):.2f} | {statistics.median(wall):.2f} | {sql:.1f} |")


if __name__ == "__main__":
    main()
