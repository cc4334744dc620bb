"""Staff login through the government single sign-on (OpenID Connect), when configured.

``/console/login/sso/`` sends the browser to the provider; its answer comes back to
``/console/login/sso/callback/``, where ``accounts.oidc`` maps it to an existing staff account
(state, nonce and PKCE are checked by mozilla-django-oidc). Without configuration both answer
404, and the login page offers no such button.
"""

from django.conf import settings
from django.http import Http404, HttpRequest, HttpResponse
from django.urls import reverse
from mozilla_django_oidc.views import (
    OIDCAuthenticationCallbackView,
    OIDCAuthenticationRequestView,
)

from wengang.accounts.models import Role

from .access import public


def _require_configured() -> None:
    if not settings.WENGANG_OIDC:
        raise Http404("single sign-on is not configured")


class StaffCallback(OIDCAuthenticationCallbackView):
    @property
    def success_url(self) -> str:
        """Where a staff login lands (a ``next`` from the request is not followed)."""
        return reverse("web:review-tasks" if self.user.role == Role.DEPARTMENT
                       else "web:console-home")


@public
def start(request: HttpRequest) -> HttpResponse:
    _require_configured()
    return OIDCAuthenticationRequestView.as_view()(request)


@public
def callback(request: HttpRequest) -> HttpResponse:
    _require_configured()
    return StaffCallback.as_view()(request)
