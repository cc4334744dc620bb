"""With the database unreachable, pages that need it answer 503 with Retry-After (not a 500),
and pages that do not need it still work: a real connection refused, in a fresh process."""

import json
import os
import socket
import subprocess
import sys
import textwrap

PROBE = textwrap.dedent("""
    import json, django
    django.setup()
    from django.test import Client
    client = Client(HTTP_HOST="127.0.0.1")
    answers = {}
    for path in ("/publicity/", "/"):
        response = client.get(path)
        answers[path] = [response.status_code, response.get("Retry-After"),
                         response.get("Content-Security-Policy", ""),
                         response.content.decode()[:2000]]
    client.cookies["sessionid"] = "a" * 32  # a logged-in user: the session is in the database
    response = client.get("/portal/")
    answers["/portal/"] = [response.status_code, response.get("Retry-After"), "", ""]
    print(json.dumps(answers))
""")


def _closed_port() -> int:
    with socket.socket() as s:  # bound then closed: nothing listens there
        s.bind(("127.0.0.1", 0))
        return s.getsockname()[1]


def test_an_unreachable_database_gives_a_clean_503(tmp_path):
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WENGANG_", "DATABASE_"))}
    env.update(DATABASE_URL=f"postgres://postgres@127.0.0.1:{_closed_port()}/wengang",
               WENGANG_DATA_DIR=str(tmp_path), DJANGO_SETTINGS_MODULE="wengang.settings")
    done = subprocess.run([sys.executable, "-c", PROBE], env=env, capture_output=True, text=True,
                          timeout=120, check=False)
    assert done.returncode == 0, done.stderr
    answers = json.loads(done.stdout.strip().splitlines()[-1])

    status, retry_after, csp, body = answers["/publicity/"]
    assert (status, retry_after) == (503, "30")
    assert "系统暂时无法访问" in body and "temporarily unavailable" in body
    assert "Traceback" not in body
    assert "default-src 'self'" in csp  # the outage page is still served with the headers
    assert answers["/portal/"][:2] == [503, "30"]
    assert answers["/"][0] == 200  # the policy page needs no database
    assert "database unavailable: GET /publicity/" in done.stderr


SESSION = textwrap.dedent("""
    import django
    django.setup()
    from importlib import import_module
    from django.conf import settings
    from django.contrib.auth import BACKEND_SESSION_KEY, HASH_SESSION_KEY, SESSION_KEY
    from django.core.management import call_command
    from wengang.accounts.models import Role, User
    call_command("migrate", verbosity=0)
    user = User.objects.create(username="outage-officer", role=Role.AGENCY, region_code="360100")
    store = import_module(settings.SESSION_ENGINE).SessionStore()
    store.update({SESSION_KEY: str(user.pk), HASH_SESSION_KEY: user.get_session_auth_hash(),
                  BACKEND_SESSION_KEY: settings.AUTHENTICATION_BACKENDS[0]})
    store.create()
    print(store.session_key)
""")
READ_ONLY_PROBE = textwrap.dedent("""
    import json, sys
    import wengang.settings as configured
    # The same database, opened read-only: reads work, the session's save after the view fails.
    configured.DATABASES["default"].update(NAME=f"file:{sys.argv[1]}?mode=ro", OPTIONS={"uri": True})
    import django
    django.setup()
    from django.test import Client
    client = Client(HTTP_HOST="127.0.0.1", raise_request_exception=False)
    client.cookies["sessionid"] = sys.argv[2]
    response = client.get("/")
    print(json.dumps([response.status_code, response.get("Retry-After")]))
""")


def test_a_session_that_cannot_be_saved_after_the_view_is_a_503_not_a_400(tmp_path):
    # Found by the soak test: the database stopped between a view and the session's save
    # (every request renews it); Django's SessionInterrupted made that a 400 "session deleted".
    database = tmp_path / "db.sqlite3"
    env = {k: v for k, v in os.environ.items() if not k.startswith(("WENGANG_", "DATABASE_"))}
    env.update(DATABASE_URL=f"sqlite:///{database}", WENGANG_DATA_DIR=str(tmp_path),
               DJANGO_SETTINGS_MODULE="wengang.settings")
    made = subprocess.run([sys.executable, "-c", SESSION], env=env, capture_output=True,
                          text=True, timeout=600, check=True)
    session_key = made.stdout.strip().splitlines()[-1]

    done = subprocess.run([sys.executable, "-c", READ_ONLY_PROBE, str(database), session_key],
                          env=env, capture_output=True, text=True, timeout=120, check=False)

    assert done.returncode == 0, done.stderr
    assert json.loads(done.stdout.strip().splitlines()[-1]) == [503, "30"]
    assert "database unavailable: GET /: attempt to write a readonly database" in done.stderr
