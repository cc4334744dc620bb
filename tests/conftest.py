"""Shared fixtures. Database tests run on SQLite or PostgreSQL, whichever DATABASE_URL names."""

import pytest
from django.core.cache import cache
from django.test import override_settings


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (per-process memory in tests): a rendered card, a
    cached count or a letter in force of another test, whose ids the database may give out
    again, must not show. The tests' changes are made in their own process, so its cache is
    one for all that reads it (``WENGANG_CACHE_SHARED``, as Redis is in production)."""
    with override_settings(WENGANG_CACHE_SHARED=True):
        cache.clear()
        yield
        cache.clear()
