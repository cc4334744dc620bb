"""The OpenAPI document, checked by schemathesis: generated requests to every operation, as an
officer, a department and anonymously, get no server error and no answer outside the document.
Also: the docs page is served from our own static files and needs no inline script."""

import re

import pytest
import schemathesis
from django.conf import settings
from django.core.signals import request_finished, request_started
from django.db import close_old_connections
from hypothesis import HealthCheck, given
from hypothesis import settings as hypothesis_settings
from schemathesis.checks import not_a_server_error
from schemathesis.specs.openapi.checks import (
    content_type_conformance,
    response_schema_conformance,
    status_code_conformance,
)

from wengang.wsgi import application

from .conftest import ALL_SCOPES, bearer

pytestmark = pytest.mark.django_db
CHECKS = [not_a_server_error, status_code_conformance, content_type_conformance,
          response_schema_conformance]
EXAMPLES = 12


@pytest.fixture
def callers(world, token_for):
    return {"anonymous": {},
            "admin": bearer(token_for(world.users["admin"], ALL_SCOPES)),
            "agency": bearer(token_for(world.users["agency"], ALL_SCOPES)),
            "department": bearer(token_for(world.users["department"], ALL_SCOPES))}


@pytest.fixture
def test_transaction_kept():
    """Keep the test's database transaction across requests, as Django's test client does.

    Schemathesis calls the WSGI application itself, which fires the request signals; their
    ``close_old_connections`` would close the connection holding the test's transaction.
    """
    for signal in (request_started, request_finished):
        signal.disconnect(close_old_connections)
    yield
    for signal in (request_started, request_finished):
        signal.connect(close_old_connections)


def test_generated_requests_get_no_server_error_and_match_the_document(world, callers,
                                                                      test_transaction_kept):
    schema = schemathesis.openapi.from_wsgi("/api/openapi.json", application)
    operations = [result.ok() for result in schema.get_all_operations()]
    assert len(operations) >= 12
    for operation in operations:
        @given(case=operation.as_strategy())
        @hypothesis_settings(max_examples=EXAMPLES, deadline=None, database=None,
                             derandomize=True, suppress_health_check=list(HealthCheck))
        def check(case):
            for headers in callers.values():
                case.call_and_validate(headers=headers, checks=CHECKS)

        check()


def test_the_document_is_openapi_3_1_and_public(client):
    response = client.get("/api/openapi.json")
    assert response.status_code == 200
    assert response.json()["openapi"].startswith("3.1")


def test_the_docs_page_loads_only_our_own_files_and_no_inline_script(client):
    response = client.get("/api/docs")
    assert response.status_code == 200
    html = response.content.decode()
    sources = re.findall(r'(?:src|href)="([^"]+)"', html)
    assert sources and all(s.startswith(settings.STATIC_URL) for s in sources), sources
    scripts = re.findall(r"<script([^>]*)>(.*?)</script>", html, re.DOTALL)
    # The one script without src is data (type="application/json"), which a browser never runs.
    assert all("src=" in attrs or ('type="application/json"' in attrs) for attrs, _ in scripts)
    assert "script-src 'self'" in response["Content-Security-Policy"]
    assert "unsafe-inline" not in response["Content-Security-Policy"]
