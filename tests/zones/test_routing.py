"""Each zone serves its own pages, decided from the access rule every view declares."""

import pytest
from django.http import Http404
from django.test import RequestFactory
from django.urls import URLPattern, URLResolver

from wengang.urls import urlpatterns as project
from wengang.web import urls as web_urls
from wengang.zones.routing import for_zone, not_here, serves


def _web(name: str) -> URLPattern:
    return next(p for p in web_urls.urlpatterns if p.name == name)


@pytest.mark.parametrize("name, internet, intranet", [
    ("public-home", True, False),
    ("public-objection", True, False),
    ("enterprise-login", True, False),
    ("portal-confirm", True, False),
    ("portal-account", True, False),
    ("staff-login", False, True),
    ("staff-totp", False, True),
    ("console-home", False, True),
    ("console-case", False, True),
    ("review-tasks", False, True),
    ("feed-upload", False, True),
    ("console-payments", False, True),
    ("logout", True, True),
])
def test_a_page_is_served_by_its_zone(name, internet, intranet):
    pattern = _web(name)
    assert (serves(pattern, "internet"), serves(pattern, "intranet"), serves(pattern, "single")) == (
        internet, intranet, True)


def _flatten(patterns, prefix=""):
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            yield from _flatten(pattern.url_patterns, prefix + str(pattern.pattern))
        else:
            yield prefix + str(pattern.pattern), pattern


def test_the_internet_mounts_no_admin_no_api_and_no_staff_view():
    served = [(route, p) for route, p in _flatten(for_zone(project, "internet"))
              if p.callback is not not_here]
    assert served and not [r for r, _p in served if r.startswith(("admin/", "api/", "console/"))]
    kinds = {getattr(p.callback, "access", None).kind for r, p in served
             if getattr(p.callback, "access", None) is not None}
    assert kinds <= {"public", "enterprise", "person"}


def test_the_intranet_serves_no_portal_and_no_public_page_but_keeps_their_names():
    routes = dict(_flatten(for_zone(project, "intranet")))
    for route in ("portal/", "portal/cases/<int:pk>/confirm/", "publicity/", "policy/"):
        assert routes[route].callback is not_here
    assert routes["portal/"].name == "portal-home"  # shared templates can still link to it
    assert routes["console/"].callback is not not_here
    with pytest.raises(Http404):
        not_here(RequestFactory().get("/portal/"))


def test_a_single_instance_serves_everything_as_before():
    assert for_zone(project, "single") is project
