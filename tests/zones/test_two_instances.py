"""Two instances on this machine, as a province runs them: an internet one and an intranet one,
each its own process, database, data directory and spool, exchanging files only.

An enterprise logs in (SMS code) and confirms on the internet instance → export → the gateway
(here: a copy that moves files from one spool to the other) → import on the intranet, which
applies it through the workflow → the intranet opens joint review → export → gateway → import
on the internet → the portal shows the new status. Replays are refused on the way.

Databases: SQLite files in a temporary folder; with DATABASE_URL naming PostgreSQL, the
databases wg_zones_in (intranet) and wg_zones_out (internet) on that server, made afresh.
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
from .world import OWN_USCC, TODAY

pytestmark = pytest.mark.django_db  # runs on PostgreSQL too (-m django_db); its own databases

WENGANG = Path(sys.executable).parent / "wengang"
REPO = Path(__file__).resolve().parents[2]


def _database_urls(tmp_path: Path) -> dict[str, str]:
    url = os.environ.get("DATABASE_URL", "")
    if not url.startswith("postgres"):
        return {zone: f"sqlite:///{tmp_path / zone / 'db.sqlite3'}" for zone in ("intranet", "internet")}
    import psycopg

    server = url.rsplit("/", 1)[0]
    names = {"intranet": "wg_zones_in", "internet": "wg_zones_out"}
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
                        WENGANG_TODAY=TODAY.isoformat(), PYTHONPATH=str(REPO))
        self.server: subprocess.Popen | None = None
        self.port = 0

    def run(self, *args: str, ok: tuple[int, ...] = (0,)) -> str:
        done = subprocess.run([str(WENGANG), *args], env=self.env, cwd=REPO, capture_output=True,
                              text=True, timeout=600, check=False)
        assert done.returncode in ok, f"{self.zone} {args}: {done.returncode}\n{done.stdout}\n{done.stderr}"
        return done.stdout

    def shell(self, code: str) -> str:
        """Python in this instance's Django (``wengang manage shell -c``)."""
        return self.run("manage", "shell", "--no-imports", "-c", code)

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
    finally:
        internet.stop()
        intranet.stop()
