"""The signed-in user of each request, kept in the shared cache instead of read from the database.

Django's ``ModelBackend`` reads the user's row on every request of a session (then checks the
session against the password hash and ``is_active``): a tenth of a portal page's server time.
Here the row of a user without a password (an enterprise or a person: they log in by SMS code)
is kept in the shared cache by generation (``wengang.shared_cache``): every save or delete of a
user — and every ``update()`` of users through the ORM (``UserQuerySet``) — renews that user's
generation, so a user deactivated or deleted, a new password, another role, region or unit takes
effect at the user's very next request, in every process. What ``ModelBackend`` checks is
checked the same way on the kept row. A change that bypasses the ORM (raw SQL) must call
``forget_users``.

``AUTHENTICATION_BACKENDS = ["wengang.accounts.backends.CachedUserBackend"]``; a login names it
(``BACKEND``). Sessions opened under another backend path end at their next request.
"""

from collections.abc import Iterable

from django.contrib.auth.backends import ModelBackend

from wengang.shared_cache import kept, renew

BACKEND = "wengang.accounts.backends.CachedUserBackend"
_USER_SECONDS = 3600  # longer than the session's idle timeout; an idle user only takes room


def _generation(pk: int) -> str:
    return f"user-generation:{pk}"


class CachedUserBackend(ModelBackend):
    """``ModelBackend`` whose ``get_user`` reads the user from the shared cache when it can."""

    def get_user(self, user_id):
        user = signed_in_user(user_id)
        return user if user is not None and self.user_can_authenticate(user) else None


def signed_in_user(pk: int):
    """The user ``pk`` as stored (None if there is none)."""
    from .models import User

    def read():
        return User._default_manager.filter(pk=pk).first()

    # Only users without a password hash: the cache never holds a hash to crack. Staff
    # (password + TOTP) are read each time, as is anyone while the cache is not shared.
    return kept(f"user:{pk}", _generation(pk), read, seconds=_USER_SECONDS,
                keep=lambda user: user is None or not user.has_usable_password())


def forget_users(pks: Iterable[int]) -> None:
    """Each of these users is read again at its next request, in every process."""
    renew(*(_generation(pk) for pk in pks))


def forget_user(sender, instance, **kwargs) -> None:
    """Connected to every save and delete of a user (``AccountsConfig.ready``)."""
    forget_users([instance.pk])
