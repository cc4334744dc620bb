"""gunicorn settings for `deploy/serve-prod.sh` (docs/deployment.md); every value from the
environment so one file serves a laptop, the load test and a city's server."""

import os
from pathlib import Path

bind = os.environ.get("WENGANG_BIND", "127.0.0.1:8100")
# Sync workers, one request each at a time: Django's ORM is synchronous, and a worker per
# request in flight keeps a slow query from stalling others. 2 × cores + 1 is gunicorn's rule
# of thumb; docs/deployment.md has what the load test measured.
workers = int(os.environ.get("WENGANG_WORKERS", str(2 * (os.cpu_count() or 1) + 1)))
threads = int(os.environ.get("WENGANG_THREADS", "1"))  # > 1: gthread workers (then WENGANG_DB_POOL)
timeout = int(os.environ.get("WENGANG_WORKER_TIMEOUT", "30"))
graceful_timeout = 20
keepalive = 5
# Recycle workers now and then (memory held by a large export is given back).
max_requests = int(os.environ.get("WENGANG_MAX_REQUESTS", "20000"))
max_requests_jitter = max_requests // 10
# Import the app once before forking: less memory, and a broken setting fails at start, once.
preload_app = True


def when_ready(server) -> None:
    """Before the workers fork: load what Django loads on a first request (the URLconf, which
    imports every view, and the templates' libraries), so no worker spends its first seconds
    importing it, each for itself, while requests queue behind it."""
    from django.db import connections
    from django.template import engines
    from django.urls import get_resolver

    _ = get_resolver().url_patterns, engines["django"].engine.template_libraries
    connections.close_all()  # a connection opened here must not be shared by the forks
accesslog = os.environ.get("WENGANG_ACCESS_LOG") or None  # "-" for stdout; off by default
errorlog = "-"
loglevel = os.environ.get("WENGANG_LOG_LEVEL", "info")
proc_name = "wengang"
# gunicorn's control socket (`gunicornc`) beside the instance's data, not one per user's home:
# two instances on one machine (portal and console, a load test) must not share it.
control_socket = str(Path(os.environ.get("WENGANG_DATA_DIR", "var")).resolve() / "gunicorn.ctl")
