"""The API docs page in Debian's chromium under the site's strict CSP: Swagger UI renders every
operation, with no CSP violation and no script error (``open_page`` fails the test on either)."""

import pytest

from tests.web.test_browser import browser, open_page, shot  # noqa: F401  (fixtures)
from wengang.api.api import api

pytestmark = pytest.mark.django_db(transaction=True)


def test_the_docs_page_renders_every_operation_under_the_csp(open_page):  # noqa: F811
    page = open_page()
    violations = []
    page.on("console", lambda m: "Content Security Policy" in m.text and violations.append(m.text))
    page.goto("/api/docs")
    page.wait_for_selector(".opblock", timeout=20_000)
    operations = sum(len(methods) for methods in api.get_openapi_schema()["paths"].values())
    assert page.locator(".opblock").count() == operations
    shot(page, "api-docs")
    assert violations == []
