"""Which pages each zone serves, decided from the access rule every view declares
(``web.access``: public, enterprise, staff …), so a page added later lands in the right zone.

- internet: public pages, the enterprise (and person) portal and their logins — no console,
  no review, no staff login, no admin, no API;
- intranet: the console, review, staff login, admin, API — no public pages, no portal;
- single: everything.

A route of the other zone keeps its name but answers 404 ("not on this instance"): its view
never runs, and templates shared by both zones can still build the link (the base page's
menu, say) without failing.
"""

from django.http import Http404, HttpRequest, HttpResponse
from django.urls import URLPattern, URLResolver

from . import INTERNET, INTRANET, SINGLE
from . import zone as current_zone

PORTAL_KINDS = ("enterprise", "person")
INTERNET_ONLY_NAMES = ("public-", "portal-", "enterprise-", "person-")
INTRANET_ONLY_NAMES = ("staff-", "admin-")
BOTH_ZONES = ("set_language",)
"""Django's own views both zones serve (choosing the language)."""


def not_here(request: HttpRequest, *args, **kwargs) -> HttpResponse:
    raise Http404("此页面不在本实例提供（内外网分区部署） / this page is not served by this "
                  "instance (two-zone deployment)")


def serves(pattern: URLPattern, zone: str) -> bool:
    """Whether ``zone`` serves ``pattern``'s view."""
    if zone == SINGLE or pattern.name in BOTH_ZONES:
        return True
    access = getattr(pattern.callback, "access", None)
    kind = access.kind if access is not None else "staff"  # an unmarked view: the safe side
    name = pattern.name or ""
    if zone == INTERNET:
        return ((kind == "public" and not name.startswith(INTRANET_ONLY_NAMES))
                or kind in PORTAL_KINDS)
    if zone == INTRANET:
        return kind not in PORTAL_KINDS and not name.startswith(INTERNET_ONLY_NAMES)
    return False


INTRANET_ONLY_PREFIXES = ("admin/", "api/")
"""Whole sections the internet instance does not mount at all: the admin and the staff API."""


def for_zone(patterns: list, zone: str) -> list:
    """``patterns`` with the routes ``zone`` does not serve answering 404 (includes too)."""
    if zone == SINGLE:
        return patterns
    kept = []
    for pattern in patterns:
        if isinstance(pattern, URLResolver):
            if zone == INTERNET and str(pattern.pattern).startswith(INTRANET_ONLY_PREFIXES):
                continue
            kept.append(URLResolver(pattern.pattern, for_zone(list(pattern.url_patterns), zone),
                                    pattern.default_kwargs, pattern.app_name, pattern.namespace))
        elif serves(pattern, zone):
            kept.append(pattern)
        else:
            kept.append(URLPattern(pattern.pattern, not_here, name=pattern.name))
    return kept


def mount(patterns: list) -> list:
    """The project's URLconf as this instance's zone (``WENGANG_ZONE``) serves it."""
    return for_zone(patterns, current_zone())
