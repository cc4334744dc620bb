"""Shared fixtures. Database tests run on SQLite or PostgreSQL, whichever DATABASE_URL names."""

import pytest
from django.core.cache import cache


@pytest.fixture(autouse=True)
def empty_cache():
    """Each test starts with an empty cache (per-process memory in tests): a rendered card, a
    cached count or a letter in force of another test, whose ids the database may give out
    again, must not show."""
    cache.clear()
    yield
    cache.clear()
