"""The soak test's users: plain threads with `requests`, every answer written to a log.

    driver.run(base, city, log_path, stop_at, users=…)

Each line of the log is one request as JSON: ``t`` (seconds since the epoch), ``kind``,
``status`` (0: no HTTP answer: refused, reset, timed out), ``retry_after``, ``case`` and, for
a confirmation, ``ack`` (the server said it was done: 302 to the case page). The checks
(``checks.py``) read only this log and the database, never the driver's memory.

Kinds of user (weights in ``MIX``):

- ``confirm``   an enterprise opens its confirmation page and signs (POST). A confirmation
                that got no acknowledgement (503, no answer) is tried again later with the same
                case, as a person presses the button again: the second try must not confirm twice;
- ``status``    an enterprise looks at its portal home and a case page;
- ``officer``   an agency officer pages through the console's case queue (htmx partial too);
- ``api``       a machine reads the case list and a case through the REST API (a token);
- ``objection`` the public files an objection to a case in publicity, each from its own
                loopback address (the per-address limit is 5 an hour);
- ``public``    the public browses the publicity list.
"""

import csv
import itertools
import json
import random
import re
import threading
import time
from pathlib import Path

import requests
from requests.adapters import HTTPAdapter

CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
HIDDEN = re.compile(r'name="(amount_fen|version|insured|letter)" value="([0-9a-f]+)"')
MIX = {"confirm": 3, "status": 3, "officer": 2, "api": 1, "objection": 1, "public": 1}
TIMEOUT = 20


class SourceAddress(HTTPAdapter):
    """Connect from one loopback address (127.x.y.z all reach the server on 127.0.0.1)."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


class Log:
    def __init__(self, path: Path):
        self._handle = path.open("a", buffering=1)
        self._lock = threading.Lock()

    def write(self, **entry) -> None:
        with self._lock:
            self._handle.write(json.dumps(entry) + "\n")

    def close(self) -> None:
        self._handle.close()


class Work:
    """What is left to do, shared by the threads: sessions to confirm with, retries."""

    def __init__(self, city: Path, publicity: list[int], api_token: str = ""):
        self.api_token = api_token
        with (city / "enterprise_sessions.csv").open() as handle:
            self.enterprises = [(row["session_key"], int(row["case_id"]))
                                for row in csv.DictReader(handle)]
        with (city / "staff_sessions.csv").open() as handle:
            self.staff = [row["session_key"] for row in csv.DictReader(handle)]
        self.fresh = iter(self.enterprises)
        self.retry: list[tuple[str, int]] = []
        self.publicity = publicity
        self.addresses = (f"127.{a}.{b}.{c}" for a in range(10, 255) for b in range(256)
                          for c in range(1, 255))
        self.lock = threading.Lock()

    def confirmation(self) -> tuple[str, int] | None:
        """A confirmation to try: an unacknowledged one again first, else a new session."""
        with self.lock:
            if self.retry:
                return self.retry.pop(0)
            return next(self.fresh, None)

    def address(self) -> str:
        with self.lock:
            return next(self.addresses)


def _request(log: Log, kind: str, session: requests.Session, method: str, url: str,
             case: int | None = None, **kwargs) -> requests.Response | None:
    started = time.time()
    try:
        response = session.request(method, url, timeout=TIMEOUT, allow_redirects=False, **kwargs)
    except requests.RequestException as error:
        log.write(t=started, kind=kind, status=0, error=type(error).__name__, case=case,
                  ms=round((time.time() - started) * 1000))
        return None
    log.write(t=started, kind=kind, status=response.status_code, case=case,
              retry_after=response.headers.get("Retry-After"),
              ms=round((time.time() - started) * 1000))
    return response


def confirm(base: str, work: Work, log: Log) -> None:
    taken = work.confirmation()
    if taken is None:
        public(base, work, log)  # every prepared enterprise has confirmed
        return
    key, case = taken
    session = requests.Session()
    session.cookies.set("sessionid", key)
    page = _request(log, "confirm-page", session, "GET", f"{base}/portal/cases/{case}/confirm/",
                    case=case)
    if page is None or page.status_code >= 500:
        with work.lock:
            work.retry.append(taken)
        return
    if page.status_code != 200:  # no longer open to confirm (an earlier try went through)
        log.write(t=time.time(), kind="confirm-not-open", status=page.status_code, case=case)
        return
    token = CSRF.search(page.text)
    if token is None:  # no form: already confirmed (an earlier try went through after all)
        log.write(t=time.time(), kind="confirm-done-before", status=page.status_code, case=case)
        return
    posted = _request(log, "confirm-post", session, "POST", f"{base}/portal/cases/{case}/confirm/",
                      case=case, data={**dict(HIDDEN.findall(page.text)), "signatory_name": "张经办",
                                       "agree": "on", "csrfmiddlewaretoken": token.group(1)},
                      headers={"Referer": f"{base}/portal/"})
    if posted is not None and posted.status_code == 302 and "/confirm" not in posted.headers.get(
            "Location", "/confirm"):
        log.write(t=time.time(), kind="ack", status=302, case=case)
    else:
        with work.lock:
            work.retry.append(taken)


def status(base: str, work: Work, log: Log) -> None:
    key, case = random.choice(work.enterprises)
    session = requests.Session()
    session.cookies.set("sessionid", key)
    _request(log, "status-home", session, "GET", f"{base}/portal/")
    _request(log, "status-case", session, "GET", f"{base}/portal/cases/{case}/", case=case)


OFFICER_FILTERS = ("", "state=awaiting_application", "state=applied", "program=inclusive-2020")


def officer(base: str, work: Work, log: Log) -> None:
    session = requests.Session()
    session.cookies.set("sessionid", random.choice(work.staff))
    query = f"{random.choice(OFFICER_FILTERS)}&page={random.choice([1, 1, 2, 5])}"
    _request(log, "officer-queue", session, "GET", f"{base}/console/cases/?{query}")
    # The same list as htmx asks for it (a partial in place of the page).
    _request(log, "officer-htmx", session, "GET", f"{base}/console/cases/?{query}",
             headers={"HX-Request": "true"})
    _, case = random.choice(work.enterprises)
    _request(log, "officer-case", session, "GET", f"{base}/console/cases/{case}/", case=case)


def api(base: str, work: Work, log: Log) -> None:
    session = requests.Session()
    session.headers["Authorization"] = f"Bearer {work.api_token}"
    _request(log, "api-cases", session, "GET", f"{base}/api/cases?page={random.randint(1, 5)}")
    _, case = random.choice(work.enterprises)
    _request(log, "api-case", session, "GET", f"{base}/api/cases/{case}", case=case)


def objection(base: str, work: Work, log: Log) -> None:
    case = random.choice(work.publicity)
    session = requests.Session()
    session.mount("http://", SourceAddress(work.address()))
    page = _request(log, "objection-page", session, "GET", f"{base}/publicity/{case}/objection/",
                    case=case)
    token = CSRF.search(page.text) if page is not None and page.status_code == 200 else None
    if token is None:
        return
    _request(log, "objection-post", session, "POST", f"{base}/publicity/{case}/objection/",
             case=case, data={"objector_name": "李群众", "objector_contact": "13900000000",
                              "reason": "该企业去年已停产，请核实。",
                              "csrfmiddlewaretoken": token.group(1)},
             headers={"Referer": f"{base}/publicity/"})


def public(base: str, work: Work, log: Log) -> None:
    session = requests.Session()
    _request(log, "public-list", session, "GET", f"{base}/publicity/?page={random.randint(1, 5)}")


USERS = {"confirm": confirm, "status": status, "officer": officer, "api": api, "objection": objection,
         "public": public}


def run(base: str, city: Path, log_path: Path, stop_at: float, *, users: int = 8,
        publicity: list[int], api_token: str, pause: float = 0.2, seed: int = 2020) -> None:
    """Run ``users`` threads until ``stop_at`` (time.time()); each picks a kind by ``MIX``."""
    work = Work(city, publicity, api_token)
    log = Log(log_path)
    kinds = list(itertools.chain.from_iterable([k] * w for k, w in MIX.items()))

    def user(number: int) -> None:
        rng = random.Random(seed + number)
        while time.time() < stop_at:
            USERS[rng.choice(kinds)](base, work, log)
            time.sleep(pause)

    threads = [threading.Thread(target=user, args=(n,), daemon=True) for n in range(users)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()
    log.close()
