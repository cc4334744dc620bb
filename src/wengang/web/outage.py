"""A database outage answers 503 with a plain page, not a 500 stack of errors.

While PostgreSQL restarts (or the network to it drops), every view that reads fails with
``OperationalError``/``InterfaceError``. Those are the service being briefly unavailable, not a
bug: the answer is 503 with ``Retry-After``, a short bilingual page that needs no database,
and one log line. Django closes the broken connection at the end of the request, so the next
request connects again by itself. Nothing half-done is left: each change runs in a
transaction, which the failure rolled back.
"""

import logging

from django.contrib.sessions.exceptions import SessionInterrupted
from django.contrib.sessions.middleware import SessionMiddleware as DjangoSessionMiddleware
from django.db import InterfaceError, OperationalError
from django.http import HttpRequest, HttpResponse
from django.utils.deprecation import MiddlewareMixin

RETRY_AFTER_SECONDS = 30
PAGE = """<!doctype html>
<html lang="zh-hans"><head><meta charset="utf-8"><title>系统维护中 / Temporarily unavailable</title></head>
<body><h1>系统暂时无法访问</h1><p>服务正在恢复，请稍后再试；您已提交的事项不会丢失。</p>
<p lang="en">The service is temporarily unavailable. Please try again in a minute; nothing you
submitted before is lost.</p></body></html>
"""
logger = logging.getLogger(__name__)


def unavailable(request: HttpRequest, exception: Exception) -> HttpResponse:
    """The 503 answer to a lost database, logged in one line."""
    logger.error("database unavailable: %s %s: %s", request.method, request.path,
                 str(exception).splitlines()[0] if str(exception) else type(exception).__name__)
    response = HttpResponse(PAGE, status=503, content_type="text/html; charset=utf-8")
    response["Retry-After"] = str(RETRY_AFTER_SECONDS)
    response["Cache-Control"] = "no-store"
    return response


class DatabaseOutageMiddleware(MiddlewareMixin):
    """Turn a lost database connection into 503 Service Unavailable."""

    def process_exception(self, request: HttpRequest, exception: Exception) -> HttpResponse | None:
        if not isinstance(exception, OperationalError | InterfaceError):
            return None
        session = getattr(request, "session", None)
        if session is not None:
            # The session middleware reads the session again on the way out: give it an empty
            # one in memory (never saved: Django saves no session on a 5xx answer), so the
            # user's stored session is untouched and they are still logged in afterwards.
            session.clear()
        return unavailable(request, exception)


class SessionMiddleware(DjangoSessionMiddleware):
    """Django's session middleware, with a lost database answered 503 on the way out too.

    Sessions are saved after the view, on every request (the idle timeout). When the database
    goes away between the view and that save, Django turns the failed save into
    ``SessionInterrupted`` — a 400 "session was deleted" — which is wrong and says nothing: the
    soak test (bench/soak) saw it when the database stopped. It is an outage like any other.
    """

    def process_response(self, request: HttpRequest, response: HttpResponse) -> HttpResponse:
        try:
            return super().process_response(request, response)
        except SessionInterrupted as interrupted:
            # SessionInterrupted ← UpdateError ← the database error that made the save fail.
            update_error = interrupted.__context__
            cause = update_error.__context__ if update_error is not None else None
            if isinstance(cause, OperationalError | InterfaceError):
                return unavailable(request, cause)
            raise
