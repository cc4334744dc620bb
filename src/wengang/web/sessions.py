"""Sessions in the shared cache (Redis), renewed with one command per request.

The 30-minute idle timeout renews every session on every request (``SESSION_SAVE_EVERY_REQUEST``).
Django's cache engine does that with a read and a write of the whole session (GET to check it
still exists, then SET of the same data); when nothing in it changed, this engine moves its
expiry instead (one EXPIRE, which also tells whether it still exists). A changed session is
saved as Django saves it. A session ended meanwhile (logout in another tab) is refused the same
way (``UpdateError``): the request answers "session interrupted", nothing is recreated.

``SESSION_ENGINE = "wengang.web.sessions"`` with a Redis cache (``WENGANG_REDIS_URL``).
"""

from django.contrib.sessions.backends import cache
from django.contrib.sessions.backends.base import UpdateError


class SessionStore(cache.SessionStore):
    def save(self, must_create: bool = False) -> None:
        if must_create or self.session_key is None or self.modified:
            super().save(must_create=must_create)
            return
        if not self._cache.touch(self.cache_key, self.get_expiry_age()):
            raise UpdateError
