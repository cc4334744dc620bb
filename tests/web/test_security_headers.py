"""Every page carries the strict CSP and the other security headers, and runs no inline script."""

import re

import pytest
from django.test import Client
from django.urls import reverse

from .test_authorization import ACTORS, RULES

pytestmark = pytest.mark.django_db
INLINE_SCRIPT = re.compile(r"<script(?![^>]*\bsrc=)(?![^>]*type=\"application/json\")[^>]*>")


@pytest.mark.parametrize("actor", ACTORS)
def test_every_page_has_the_csp_header_and_no_inline_script(world, actor):
    client = Client()
    if world.users[actor] is not None:
        client.force_login(world.users[actor])
    checked = 0
    for name, rule in RULES.items():
        response = client.get(reverse(name, kwargs=rule.kwargs(world)))
        csp = response.headers.get("Content-Security-Policy", "")
        assert "default-src 'self'" in csp and "script-src 'self'" in csp, name
        assert "frame-ancestors 'none'" in csp and "object-src 'none'" in csp, name
        assert response.headers["X-Frame-Options"] == "DENY"
        assert response.headers["X-Content-Type-Options"] == "nosniff"
        assert response.headers["Referrer-Policy"] == "same-origin"
        if response.status_code == 200 and response["Content-Type"].startswith("text/html"):
            assert not INLINE_SCRIPT.search(response.content.decode()), name
            assert "unsafe-inline" not in csp
            checked += 1
    assert checked >= 3


def test_pages_load_scripts_only_from_our_own_static_files(world):
    page = Client().get(reverse("web:public-home")).content.decode()
    sources = re.findall(r'<script[^>]*src="([^"]+)"', page)
    assert sources and all(src.startswith("/static/") for src in sources)
    assert "cdn" not in page.lower()
