"""Production serving (`deploy/serve-prod.sh`): refuses to start without its secrets, then
serves with DEBUG off, hashed and compressed static files, the task worker alongside, and
stops both processes together."""

import os
import re
import secrets
import signal
import socket
import subprocess
import sys
import time
import urllib.error
import urllib.request
from pathlib import Path

import pytest

ROOT = Path(__file__).resolve().parents[2]
SCRIPT = ROOT / "deploy" / "serve-prod.sh"
WENGANG = Path(sys.executable).with_name("wengang")
SECRETS = ("WENGANG_SECRET_KEY", "DATABASE_URL", "WENGANG_FIELD_KEY", "WENGANG_AUDIT_KEY")


def _environment(tmp_path: Path, **extra: str) -> dict[str, str]:
    env = {k: v for k, v in os.environ.items()
           if k not in SECRETS and not k.startswith(("WENGANG_", "DJANGO_"))}
    env.update(WENGANG_DATA_DIR=str(tmp_path / "data"), WENGANG_VENV=str(WENGANG.parent.parent),
               **extra)
    return env


def _secrets(tmp_path: Path) -> dict[str, str]:
    return {"WENGANG_SECRET_KEY": secrets.token_urlsafe(50),
            "DATABASE_URL": f"sqlite:///{tmp_path / 'prod.sqlite3'}",
            "WENGANG_FIELD_KEY": secrets.token_hex(32), "WENGANG_AUDIT_KEY": secrets.token_hex(32)}


def test_production_refuses_to_start_without_its_secrets_and_names_them(tmp_path):
    partial = _secrets(tmp_path)
    del partial["WENGANG_FIELD_KEY"], partial["DATABASE_URL"]
    done = subprocess.run(["bash", str(SCRIPT)], env=_environment(tmp_path, **partial),
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode == 2
    assert "not set: DATABASE_URL WENGANG_FIELD_KEY" in done.stderr
    assert "未设置" in done.stderr
    assert not (tmp_path / "data" / "static").exists()  # nothing was done


def test_production_settings_refuse_a_missing_database_url(tmp_path):
    env = _environment(tmp_path, WENGANG_DEBUG="0", WENGANG_SECRET_KEY="k" * 50,
                       DJANGO_SETTINGS_MODULE="wengang.settings")
    done = subprocess.run([sys.executable, "-c", "import django; django.setup()"], env=env,
                          capture_output=True, text=True, timeout=60, check=False)
    assert done.returncode != 0
    assert "DATABASE_URL must be set when WENGANG_DEBUG=0" in done.stderr


def test_production_refuses_a_database_whose_schema_is_behind(tmp_path):
    done = subprocess.run(["bash", str(SCRIPT)], env=_environment(tmp_path, **_secrets(tmp_path)),
                          capture_output=True, text=True, timeout=120, check=False)
    assert done.returncode == 3
    assert "wengang manage migrate" in done.stderr


def _free_port() -> int:
    with socket.socket() as s:
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def _get(url: str, **headers: str):
    request = urllib.request.Request(url, headers=headers)
    try:
        with urllib.request.urlopen(request, timeout=10) as response:
            return response.status, response.headers, response.read()
    except urllib.error.HTTPError as error:
        return error.code, error.headers, error.read()


def _descendants(pid: int) -> list[str]:
    out = subprocess.run(["ps", "-ww", "-eo", "pid=,ppid=,args="], capture_output=True,
                         text=True, check=True).stdout
    rows = [line.split(None, 2) for line in out.splitlines() if line.strip()]
    found, frontier = [], {str(pid)}
    while frontier:
        children = [r for r in rows if r[1] in frontier]
        found += [r[2] for r in children]
        frontier = {r[0] for r in children}
    return found


@pytest.mark.slow
def test_serve_prod_serves_pages_and_static_files_and_stops_cleanly(tmp_path):
    port = _free_port()
    env = _environment(tmp_path, **_secrets(tmp_path), WENGANG_BIND=f"127.0.0.1:{port}",
                       WENGANG_WORKERS="2", WENGANG_HTTPS="0")
    subprocess.run([str(WENGANG), "manage", "migrate", "--verbosity", "0"], env=env, check=True,
                   timeout=300)
    server = subprocess.Popen(["bash", str(SCRIPT)], env=env, stdout=subprocess.PIPE,
                              stderr=subprocess.STDOUT, text=True, start_new_session=True)
    base = f"http://127.0.0.1:{port}"
    try:
        deadline = time.monotonic() + 240
        while time.monotonic() < deadline:
            try:
                status, headers, body = _get(base + "/publicity/")
                break
            except OSError:
                assert server.poll() is None, server.stdout.read()
                time.sleep(1)
        else:
            pytest.fail("the server did not answer in time")
        assert status == 200
        assert "default-src 'self'" in headers["Content-Security-Policy"]
        children = " ".join(_descendants(server.pid))
        assert "gunicorn" in children and "manage task_worker" in children

        stylesheet = re.search(rb'href="(/static/web/site\.[0-9a-f]{12}\.css)"', body)
        assert stylesheet, "static files are named by their hash"
        status, headers, _css = _get(base + stylesheet.group(1).decode(),
                                     **{"Accept-Encoding": "gzip"})
        assert status == 200 and headers["Content-Encoding"] == "gzip"
        assert "immutable" in headers["Cache-Control"]

        status, _headers, body = _get(base + "/no-such-page/")
        assert status == 404 and b"Traceback" not in body and b"URLconf" not in body
    finally:
        os.killpg(server.pid, signal.SIGTERM)
        server.wait(timeout=60)
    assert server.returncode == 0
    assert _descendants(server.pid) == []
