"""The busiest day, as locust users (run through `bench/load/run.sh SCENARIO`).

Scenarios, one user class each (``run.sh`` picks it by name):

- ``StatusUser``   a logged-in enterprise looks at its cases: the portal home (status of every
                   case, with the timeline) and a case's page;
- ``ConfirmUser``  a logged-in enterprise confirms its case: the page with the commitment letter
                   and the form, then the POST (htmx) with the facts shown and its signatory,
                   answered by the case's updated card (``LOAD_CONFIRM=prg``: without JS, the
                   redirect to the case page followed, as such a browser does); each session
                   confirms one case, then the user takes the next session;
- ``OfficerUser``  an agency officer pages through the case queue of the city (all cases, or
                   awaiting application, or by program) and opens cases;
- ``PublicUser``   the public searches the publicity list by name or code and pages through it;
- ``LoginUser``    an enterprise logs in for real: USCC → SMS code (read from the fake gateway)
                   → portal home, each from its own loopback address (the per-address limit on
                   codes is 20 an hour, as for people behind different connections).

Sessions of the first three come from ``sessions.py`` (the login is measured by LoginUser).
Environment: ``LOAD_DIR`` (prepare.py's folder), ``LOAD_SMS`` (the fake gateway's URL).
"""

import csv
import functools
import itertools
import os
import random
import re
import threading
import time
from pathlib import Path

import requests
from locust import FastHttpUser, HttpUser, task
from requests.adapters import HTTPAdapter

LOAD_DIR = Path(os.environ.get("LOAD_DIR", "var-load"))
SMS = os.environ.get("LOAD_SMS", "http://127.0.0.1:8190")
_CSRF = re.compile(r'name="csrfmiddlewaretoken" value="([^"]+)"')
_ERRORS = re.compile(r'class="errorlist[^"]*"[^>]*>\s*<li>([^<]+)')
_REFUSAL = re.compile(r'class="error" role="alert"><p>([^<]+)')  # web/form_errors.html
_HIDDEN = re.compile(r'name="(amount_fen|version|insured|letter)" value="([0-9a-f]+)"')
_lock = threading.Lock()


def _rows(name: str) -> list[dict]:
    path = LOAD_DIR / name
    if not path.exists():
        return []
    with path.open() as handle:
        return list(csv.DictReader(handle))


_enterprise = iter(_rows("enterprise_sessions.csv"))
_staff = itertools.cycle(_rows("staff_sessions.csv") or [{}])


@functools.cache
def _units() -> list[dict]:
    """The city's units (700,000 rows): read by the scenarios that pick any unit, when first
    needed, so the others do not spend locust's CPU parsing them."""
    return _rows("users.csv")


_SEARCHES = ["南昌压测企业1", "南昌压测企业23", "压测企业45", "9136010", "91360102", "有限公司", "企业7"]


def _next(rows):
    with _lock:
        return next(rows)


class _Enterprise(FastHttpUser):
    abstract = True

    def take_session(self) -> None:
        row = _next(_enterprise)  # StopIteration: every prepared session used; run sessions.py
        self.case_id = int(row["case_id"])
        self.client.cookiejar.clear()
        self.session_key = row["session_key"]

    def get(self, path: str, name: str):
        return self.client.get(path, name=name, headers={"Cookie": self._cookies()})

    def _cookies(self) -> str:
        csrf = getattr(self, "csrf", "")
        return f"sessionid={self.session_key}" + (f"; csrftoken={csrf}" if csrf else "")


class StatusUser(_Enterprise):
    def on_start(self) -> None:
        self.take_session()

    @task(3)
    def home(self) -> None:
        self.get("/portal/", "portal home (status)")

    @task(1)
    def case(self) -> None:
        self.get(f"/portal/cases/{self.case_id}/", "portal case page")


class ConfirmUser(_Enterprise):
    """What a phone's browser does: the letter page, then one tap. The form posts with htmx
    (``HX-Request``), and the answer is the case's updated card, swapped in place: two requests
    a confirmation. ``LOAD_CONFIRM=prg`` models a browser without JS instead: the POST is
    answered by a redirect, then the case page is fetched (three requests)."""

    without_js = os.environ.get("LOAD_CONFIRM", "htmx") == "prg"

    def on_start(self) -> None:
        self.take_session()

    @task
    def confirm(self) -> None:
        url = f"/portal/cases/{self.case_id}/confirm/"
        with self.client.get(url, name="confirm: letter page",
                             headers={"Cookie": self._cookies()}, catch_response=True) as page:
            token = _CSRF.search(page.text or "")
            cookie = next((c.value for c in self.client.cookiejar if c.name == "csrftoken"), None)
            if token is None or cookie is None:
                page.failure("no confirmation form")
                self.take_session()
                return
        self.csrf = cookie
        fields = dict(_HIDDEN.findall(page.text))
        headers = {"Cookie": self._cookies(), "Referer": self.host + url}
        if not self.without_js:  # as htmx sends them
            headers.update({"HX-Request": "true", "HX-Target": "confirm",
                            "HX-Current-URL": self.host + url})
        with self.client.post(
                url, name="confirm: POST (signed)",
                data={**fields, "signatory_name": "张经办", "agree": "on",
                      "csrfmiddlewaretoken": token.group(1)},
                headers=headers, allow_redirects=False, catch_response=True) as response:
            if self.without_js:
                if response.status_code != 302:
                    response.failure(f"not confirmed: HTTP {response.status_code}")
            elif response.status_code != 200 or "HX-Push-Url" not in response.headers:
                # A refusal is answered with the letter again (200, no new address).
                said = _REFUSAL.search(response.text or "")
                response.failure(f"not confirmed: HTTP {response.status_code}"
                                 + (f": {said.group(1)}" if said else ""))
        if self.without_js:
            self.get(f"/portal/cases/{self.case_id}/", "confirm: case page after")
        self.csrf = ""
        self.take_session()


class OfficerUser(FastHttpUser):
    FILTERS = ("", "state=awaiting_application", "program=inclusive-2020",
               "state=applied", "program=difficult-2020&state=awaiting_application")

    def on_start(self) -> None:
        self.cookie = f"sessionid={_next(_staff)['session_key']}"

    @task(4)
    def queue(self) -> None:
        query = random.choice(self.FILTERS)
        page = random.choice([1, 1, 1, 2, 3, random.randint(4, 200)])
        self.client.get(f"/console/cases/?{query}&page={page}", name="console queue page",
                        headers={"Cookie": self.cookie})

    @task(1)
    def case(self) -> None:
        unit = random.choice(_units())
        self.client.get(f"/console/cases/{unit['case_id']}/", name="console case page",
                        headers={"Cookie": self.cookie})


class PublicUser(FastHttpUser):
    @task(3)
    def search(self) -> None:
        self.client.get(f"/publicity/?q={random.choice(_SEARCHES)}", name="publicity search")

    @task(1)
    def browse(self) -> None:
        page = random.choice([1, 1, 1, 2, 3, random.randint(4, 400)])  # as people browse
        self.client.get(f"/publicity/?page={page}", name="publicity page")


class _SourceAddress(HTTPAdapter):
    """Connect from one loopback address (127.x.y.z all reach 127.0.0.1's server)."""

    def __init__(self, address: str):
        self.address = address
        super().__init__()

    def init_poolmanager(self, *args, **kwargs):
        kwargs["source_address"] = (self.address, 0)
        return super().init_poolmanager(*args, **kwargs)


_addresses = (f"127.{a}.{b}.{c}" for a in range(1, 255) for b in range(256)
              for c in range(1, 255))


class LoginUser(HttpUser):
    """The whole login of an enterprise, each from a new address and for a new unit."""

    @task
    def login(self) -> None:
        unit = random.choice(_units())
        session = self.client
        session.cookies.clear()
        session.mount("http://", _SourceAddress(_next(_addresses)))
        page = session.get("/portal/login/", name="login: page")
        token = _CSRF.search(page.text)
        if token is None:
            return
        sent = session.post("/portal/login/", name="login: request code",
                            data={"uscc": unit["uscc"], "csrfmiddlewaretoken": token.group(1)},
                            headers={"Referer": self.host + "/portal/login/"},
                            allow_redirects=False)
        if sent.status_code != 302:
            return
        code = None
        for _ in range(20):  # the message arrives once the server's gateway call returned
            answer = requests.get(f"{SMS}/codes/{unit['phone']}", timeout=5)
            if answer.status_code == 200:
                code = answer.text
                break
            time.sleep(0.05)
        if code is None:
            return
        page = session.get("/portal/login/code/", name="login: code page")
        token = _CSRF.search(page.text)
        if token is None:
            return
        with session.post("/portal/login/code/", name="login: verify code → portal",
                          data={"code": code, "csrfmiddlewaretoken": token.group(1)},
                          headers={"Referer": self.host + "/portal/login/code/"},
                          catch_response=True) as response:
            if not response.url.endswith("/portal/"):
                said = _ERRORS.search(response.text)
                response.failure(f"not logged in: {said.group(1) if said else response.url}")
