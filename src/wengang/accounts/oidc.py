"""Staff single sign-on through an OpenID Connect provider (optional; ``settings.WENGANG_OIDC``).

The provider proves who the person is (and answers for the second factor); wengang decides
what they may do. So a login maps to an existing, active staff account by the username claim
(``WENGANG_OIDC_USERNAME_CLAIM``) and never creates one: role, region and department stay with
the administrator who made the account. Enterprises log in with their SMS code only.
"""

import logging

import requests
from django.conf import settings
from mozilla_django_oidc.auth import OIDCAuthenticationBackend

from .models import Role

LOGGER = logging.getLogger(__name__)


class StaffOIDCBackend(OIDCAuthenticationBackend):
    def authenticate(self, request, **kwargs):
        """A provider that refuses the code or cannot be reached fails the login, not the page."""
        try:
            return super().authenticate(request, **kwargs)
        except requests.RequestException as error:
            LOGGER.warning("single sign-on failed at the provider: %s", error)
            return None

    def _username(self, claims: dict) -> str:
        value = claims.get(settings.WENGANG_OIDC_USERNAME_CLAIM)
        return value.strip() if isinstance(value, str) else ""

    def verify_claims(self, claims: dict) -> bool:
        return bool(self._username(claims))

    def filter_users_by_claims(self, claims: dict):
        return (self.UserModel.objects.filter(username=self._username(claims), is_active=True)
                .exclude(role=Role.ENTERPRISE))

    def create_user(self, claims: dict):
        return None  # accounts are made by an administrator, with a role and a region
