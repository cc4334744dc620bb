"""Two instances on this machine, as a province runs them: an internet one and an intranet one,
each its own process, database, data directory and spool, exchanging files only.

An enterprise logs in (SMS code) and confirms on the internet instance → export → the gateway
(here: a copy that moves files from one spool to the other) → import on the intranet, which
applies it through the workflow → the intranet opens joint review → export → gateway → import
on the internet → the portal shows the new status. Replays are refused on the way. A trainee
logs in on the internet instance (resident ID + SMS code) and sees their subsidy; an appeal
filed there crosses inward, and the intranet's answer crosses back. The trainee's subsidy
enters publicity: the internet's public list shows the row as a single instance does, an
objection to it crosses inward, and the row leaves when the list closes; the enterprise's
request for a new account shows there as pending, then refused.

Databases: SQLite files in a temporary folder; with DATABASE_URL naming PostgreSQL database
NAME, the databases NAME_in (intranet) and NAME_out (internet) on that server, made afresh.
"""

import json
import os
import re
import shutil
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.parse
import urllib.request
from http.cookiejar import CookieJar
from pathlib import Path

import pytest

from .conftest import KEY
from .pages import cells
from .world import OWN_USCC, PERSON_ID, PERSON_PHONE, TODAY

pytestmark = pytest.mark.django_db  # runs on PostgreSQL too (-m django_db); its own databases

WENGANG = Path(sys.executable).parent / "wengang"
REPO = Path(__file__).resolve().parents[2]
FIELD_KEY = "6b" * 32
"""Both instances' ``WENGANG_FIELD_KEY``: the internet finds a person by the blind index of the
resident ID entered, which the intranet computed with the same key."""


def _database_urls(tmp_path: Path) -> dict[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return {zone: f"sqlite:///{tmp_path / zone / 'db.sqlite3'}" for zone in ("intranet", "internet")}
    import psycopg

    server, name = url.rsplit("/", 1)
    # Named after the test database's, so runs against different databases never collide.
    names = {"intranet": f"{name}_in", "internet": f"{name}_out"}
    with psycopg.connect(f"{server}/postgres", autocommit=True) as connection:
        for name in names.values():
            connection.execute(f"DROP DATABASE IF EXISTS {name} WITH (FORCE)")
            connection.execute(f"CREATE DATABASE {name}")
    return {zone: f"{server}/{name}" for zone, name in names.items()}


class Instance:
    """One zone: its environment, its commands, and (when started) its web server."""

    def __init__(self, zone: str, root: Path, database_url: str) -> None:
        self.zone, self.root = zone, root
        self.spool = root / "spool"
        self.env = {key: value for key, value in os.environ.items()
                    if not key.startswith(("WENGANG_", "DJANGO_", "DATABASE_URL"))}
        self.env.update(WENGANG_ZONE=zone, WENGANG_DATA_DIR=str(root), DATABASE_URL=database_url,
                        WENGANG_ZONE_SPOOL=str(self.spool), WENGANG_ZONE_KEY=KEY,
                        WENGANG_FIELD_KEY=FIELD_KEY,
                        WENGANG_TODAY=TODAY.isoformat(), PYTHONPATH=str(REPO))
        self.server: subprocess.Popen | None = None
        self.port = 0

    def run(self, *args: str, ok: tuple[int, ...] = (0,), zone: str | None = None) -> str:
        env = {**self.env, "WENGANG_ZONE": zone or self.zone}
        done = subprocess.run([str(WENGANG), *args], env=env, cwd=REPO, capture_output=True,
                              text=True, timeout=600, check=False)
        assert done.returncode in ok, f"{self.zone} {args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def shell(self, code: str, *, zone: str | None = None) -> str:
        """Python in this instance's Django (``wengang manage shell -c``); ``zone``: as if
        this database were served by another kind of instance."""
        return self.run("manage", "shell", "--no-imports", "-c", code, zone=zone)

    def serve(self) -> None:
        with socket.socket() as probe:
            probe.bind(("127.0.0.1", 0))
            self.port = probe.getsockname()[1]
        self.server = subprocess.Popen(
            [str(WENGANG), "manage", "runserver", f"127.0.0.1:{self.port}", "--noreload"],
            env=self.env, cwd=REPO, stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL)
        deadline = time.monotonic() + 120
        while time.monotonic() < deadline:
            try:
                with socket.create_connection(("127.0.0.1", self.port), timeout=1):
                    return
            except OSError:
                time.sleep(0.5)
        raise AssertionError(f"{self.zone} server did not start")

    def stop(self) -> None:
        if self.server is not None:
            self.server.terminate()
            self.server.wait(timeout=30)

    def url(self, path: str) -> str:
        return f"http://127.0.0.1:{self.port}{path}"


class Browser:
    """Cookies and CSRF tokens, as a phone's browser keeps them; redirects are followed."""

    def __init__(self) -> None:
        self.opener = urllib.request.build_opener(urllib.request.HTTPCookieProcessor(CookieJar()))

    def get(self, url: str) -> tuple[int, str]:
        try:
            with self.opener.open(url, timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()

    def post(self, url: str, fields: dict) -> tuple[int, str]:
        _status, page = self.get(url)
        token = re.search(r'name="csrfmiddlewaretoken" value="([^"]+)"', page).group(1)
        data = urllib.parse.urlencode({**fields, "csrfmiddlewaretoken": token}).encode()
        try:
            with self.opener.open(urllib.request.Request(url, data=data), timeout=60) as response:
                return response.status, response.read().decode()
        except urllib.error.HTTPError as error:
            return error.code, error.read().decode()


def gateway(source: Instance, target: Instance) -> list[str]:
    """The one-way file gateway: move every finished message file from out/ to the other in/."""
    (target.spool / "in").mkdir(parents=True, exist_ok=True)
    moved = []
    for path in sorted((source.spool / "out").glob("*.json")):
        shutil.copy(path, target.spool / "in" / path.name)
        path.unlink()
        moved.append(path.name)
    return moved


def test_two_instances_exchange_a_confirmation_and_a_decision(tmp_path):
    urls = _database_urls(tmp_path)
    intranet = Instance("intranet", tmp_path / "intranet", urls["intranet"])
    internet = Instance("internet", tmp_path / "internet", urls["internet"])
    try:
        for instance in (intranet, internet):
            instance.run("manage", "migrate", "--no-input", "-v", "0")
        ids = json.loads(intranet.shell(
            "import json; from tests.zones.world import seed; print(json.dumps(seed()))"))
        case = ids["own_case"]

        # The intranet's first export: letters, cases, the publicity list.
        assert "已写入 3 条outward消息" in intranet.run("zones", "export")
        assert gateway(intranet, internet) == [f"outward-{n:012d}.json" for n in (1, 2, 3)]
        assert "已处理 3 条" in internet.run("zones", "import")

        internet.serve()
        intranet.serve()
        browser = Browser()
        # Each zone serves its own pages only.
        assert browser.get(internet.url("/console/login/"))[0] == 404
        assert browser.get(internet.url("/admin/"))[0] == 404
        assert browser.get(intranet.url("/portal/login/"))[0] == 404
        assert browser.get(intranet.url("/publicity/"))[0] == 404
        assert browser.get(intranet.url("/console/login/"))[0] == 200
        status, listing = browser.get(internet.url("/publicity/"))
        assert status == 200 and "南昌公示电子有限公司" in listing

        # The enterprise logs in with the SMS code and confirms on the internet instance.
        status, _page = browser.post(internet.url("/portal/login/"), {"uscc": OWN_USCC})
        assert status == 200
        code = re.findall(r"验证码为 ([0-9]{6})", internet.run("manage", "sms_outbox"))[0]
        status, home = browser.post(internet.url("/portal/login/code/"), {"code": code})
        assert status == 200 and "南昌测试机械有限公司" in home
        confirm = internet.url(f"/portal/cases/{case}/confirm/")
        _status, form = browser.get(confirm)
        version = re.search(r'name="version" value="([0-9]+)"', form).group(1)
        status, page = browser.post(confirm, {
            "insured": "25", "signatory_name": "王小明", "agree": "on",
            "amount_fen": "1000000", "version": version})
        assert status == 200 and "已提交，等待内网审核" in page

        # Inward: the confirmation crosses and is applied by the intranet's workflow.
        assert "已写入 1 条inward消息" in internet.run("zones", "export")
        assert gateway(internet, intranet) == ["inward-000000000001.json"]
        assert "已处理 1 条" in intranet.run("zones", "import")
        assert "已申请" in intranet.run("cases", "show", str(case))
        # The gateway delivers the same file again: refused, nothing changes.
        shutil.copy(intranet.spool / "in" / "applied" / "inward-000000000001.json",
                    intranet.spool / "in" / "inward-000000000001.json")
        replay = intranet.run("zones", "import", ok=(3,))
        assert "重复投递" in replay and "已处理 0 条" in replay
        # A tampered file: refused for its signature, nothing changes.
        data = (intranet.spool / "in" / "applied" / "inward-000000000001.json").read_bytes()
        (intranet.spool / "in" / "inward-000000000002.json").write_bytes(
            data.replace(b'"sequence":1', b'"sequence":2'))
        assert "签名不符" in intranet.run("zones", "import", ok=(3,))

        # The intranet decides: joint review opens. Outward: the answer and the case.
        intranet.run("cases", "review", "open", "--region", "360102", "--program", "inclusive-2020",
                     "--actor", "officer")
        assert "联审中" in intranet.run("cases", "show", str(case))
        intranet.run("zones", "export")
        gateway(intranet, internet)
        assert "已处理" in internet.run("zones", "import")
        _status, page = browser.get(internet.url(f"/portal/cases/{case}/"))
        assert "联审中" in page and "内网已受理" in page and "提交部门联审" in page

        # Importing the same outward spool twice changes nothing the second time.
        for path in (internet.spool / "in" / "applied").glob("outward-*.json"):
            shutil.copy(path, internet.spool / "in" / path.name)
        again = internet.run("zones", "import", ok=(3,))
        assert "已处理 0 条" in again
        assert browser.get(internet.url(f"/portal/cases/{case}/"))[1].count("联审中") >= 1

        # A trainee logs in on the internet instance and sees their subsidy; no ID number there.
        trainee = Browser()
        status, _page = trainee.post(internet.url("/me/login/"), {"resident_id": PERSON_ID})
        assert status == 200
        outbox = internet.run("manage", "sms_outbox")
        code = re.findall(rf"{PERSON_PHONE}\s+.*验证码为 ([0-9]{{6}})", outbox)[0]
        status, me = trainee.post(internet.url("/me/login/code/"), {"code": code})
        assert status == 200 and "576.00" in me and "张*丰" in me and PERSON_ID not in me

        # An appeal filed on the internet crosses inward; the intranet's answer crosses back.
        appeal = internet.url(f"/portal/cases/{case}/appeal/")
        status, _page = browser.post(appeal, {"reason": "2019 年参保人数应为 26 人"})
        assert status == 200
        assert "已写入 1 条inward消息" in internet.run("zones", "export")
        gateway(internet, intranet)
        assert "已处理 1 条" in intranet.run("zones", "import")
        intranet.shell(
            "from wengang.accounts.models import User\nfrom wengang.web.models import Appeal\n"
            "officer = User.objects.get(username='officer')\n"
            "Appeal.objects.visible_to(officer).answer(Appeal.objects.get().pk, actor=officer, "
            "answer='已按 26 人重新核定')")
        intranet.run("zones", "export")
        gateway(intranet, internet)
        assert "已处理 2 条" in internet.run("zones", "import")  # the filing's result, the answer
        _status, page = browser.get(appeal)
        assert "已答复" in page and "已按 26 人重新核定" in page

        # The trainee's subsidy enters publicity; the enterprise asks for a new account online.
        person_case = ids["person_case"]
        batch = int(intranet.shell("from tests.zones.world import publish_person_case\n"
                                   f"print(publish_person_case({person_case}))"))
        status, _page = browser.post(internet.url("/portal/account/"), {
            "account_number": "6228480000009999", "bank_name": "中国农业银行南昌分行",
            "holder_name": "南昌测试机械有限公司"})
        assert status == 200
        internet.run("zones", "export")
        gateway(internet, intranet)
        assert "已处理 1 条" in intranet.run("zones", "import")
        intranet.run("zones", "export")
        gateway(intranet, internet)
        internet.run("zones", "import")
        # The public row as a single instance shows it: the intranet's database served as one.
        # (A search: the list's count is kept a minute, and the first page showed one list.)
        single = intranet.shell("from django.test import Client\n"
                                "print(Client(HTTP_HOST='localhost').get('/publicity/?q=张')"
                                ".content.decode())", zone="single")
        _status, listing = browser.get(internet.url("/publicity/?q=%E5%BC%A0"))
        assert cells(listing, person_case) == cells(single, person_case) != []
        assert "张*丰" in cells(listing, person_case) and PERSON_ID not in listing
        _status, page = browser.get(internet.url("/portal/account/"))
        assert "****9999" in page and "待核实" in page and "6228480000009999" not in page
        # An objection to the trainee's row crosses inward and holds the subsidy.
        status, _page = Browser().post(internet.url(f"/publicity/{person_case}/objection/"), {
            "objector_name": "李四", "objector_contact": "13912345678", "reason": "未参加该培训"})
        assert status == 200
        internet.run("zones", "export")
        gateway(internet, intranet)
        assert "已处理 1 条" in intranet.run("zones", "import")
        assert "暂缓" in intranet.run("cases", "show", str(person_case))
        # The list closes and the officer refuses the account change: both cross outward.
        intranet.shell(
            "from datetime import date\nfrom wengang.accounts.models import User\n"
            "from wengang.cases import services\nfrom wengang.cases.models import PublicityBatch\n"
            "from wengang.payments import services as payments\n"
            "from wengang.payments.models import AccountChange\n"
            "officer = User.objects.get(username='officer')\n"
            f"services.close_publicity(PublicityBatch.objects.get(pk={batch}), actor=officer, "
            "today=date(2020, 5, 11))\n"
            "payments.decide_account_change(AccountChange.objects.get(), actor=officer, "
            "approve=False, note='开户许可证与单位名称不符', today=date(2020, 5, 11))")
        intranet.run("zones", "export")
        gateway(intranet, internet)
        internet.run("zones", "import")
        _status, listing = browser.get(internet.url("/publicity/?q=%E5%BC%A0"))
        assert cells(listing, person_case) == [] and "张*丰" not in listing
        _status, page = browser.get(internet.url("/portal/account/"))
        assert "不予变更" in page and "开户许可证与单位名称不符" in page
    finally:
        internet.stop()
        intranet.stop()
