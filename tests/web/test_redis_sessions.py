"""Sessions and the shared cache in Redis (``WENGANG_REDIS_URL``), as production keeps them:
one client per connection pool, the idle timeout renewed by one EXPIRE, a session ended
elsewhere refused. Against the machine's Redis, database 7, keys under a prefix of their own."""

import uuid

import pytest
from django.contrib.sessions.backends.base import UpdateError
from django.core.cache import caches
from django.test import override_settings

from wengang.web.redis_cache import RedisCache
from wengang.web.sessions import SessionStore

REDIS = "redis://127.0.0.1:6379/7"
IDLE_SECONDS = 1800


@pytest.fixture
def redis_cache():
    prefix = f"wengang-test-{uuid.uuid4().hex[:8]}"
    settings = {"default": {"BACKEND": "wengang.web.redis_cache.RedisCache",
                            "LOCATION": REDIS, "KEY_PREFIX": prefix}}
    with override_settings(CACHES=settings, SESSION_ENGINE="wengang.web.sessions",
                           SESSION_COOKIE_AGE=IDLE_SECONDS):
        cache = caches["default"]
        yield cache
        client = cache._cache.get_client(write=True)
        for key in client.scan_iter(f"{prefix}:*"):
            client.delete(key)


def test_the_cache_keeps_one_client_per_connection_pool():
    cache = RedisCache(f"{REDIS},redis://127.0.0.1:6379/8", {})
    writer = cache._cache.get_client(write=True)
    assert cache._cache.get_client(write=True) is writer
    assert writer.connection_pool is cache._cache._get_connection_pool(write=True)
    reader = cache._cache.get_client(write=False)  # the replica: a pool and client of its own
    assert reader is not writer and reader.connection_pool is not writer.connection_pool


def test_the_cache_stores_and_reads_through_redis(redis_cache):
    redis_cache.set("card", {"version": 3}, 60)
    assert redis_cache.get("card") == {"version": 3}
    redis_cache.delete("card")
    assert redis_cache.get("card") is None


def test_an_unchanged_session_is_renewed_for_the_whole_idle_timeout(redis_cache):
    session = SessionStore()
    session["_auth_user_id"] = "7"
    session.create()
    client = redis_cache._cache.get_client(write=True)
    key = redis_cache.make_key(session.cache_key)
    client.expire(key, 5)  # as if the user had been idle for almost 30 minutes
    again = SessionStore(session.session_key)
    assert again["_auth_user_id"] == "7"
    again.save()  # what the middleware does on every request
    assert client.ttl(key) > IDLE_SECONDS - 5
    assert SessionStore(session.session_key)["_auth_user_id"] == "7"


def test_a_session_ended_elsewhere_is_refused_not_recreated(redis_cache):
    session = SessionStore()
    session["_auth_user_id"] = "7"
    session.create()
    open_tab = SessionStore(session.session_key)
    open_tab.load()
    SessionStore(session.session_key).delete()  # logged out in another tab
    with pytest.raises(UpdateError):
        open_tab.save()
    assert not redis_cache.has_key(open_tab.cache_key)
