"""Records every process must see change at once, kept in the shared cache by generation.

The letter in force and the signed-in user are read on each request of every confirmation and
change rarely. Each is kept with the generation it was read under; a change to it starts a new
generation (``renew``) at once, and again once the change commits — another process may have
kept the old record, the one it could still read, under the first — so every process reads it
again at its next use. A record is kept only once what was read has committed: one saved in a
transaction that is then rolled back (no signal) is never served.

Only where one cache serves every process (Redis: ``WENGANG_CACHE_SHARED``). Django's
local-memory cache is each process's own: a change made in another process (a gunicorn worker,
the command line, the two-zone import) would not renew it, so there every read goes to the
database.
"""

import copy
from collections.abc import Callable
from uuid import uuid4

from django.conf import settings
from django.core.cache import cache
from django.db import transaction


def kept[T](key: str, generation: str, read: Callable[[], T], *, seconds: int,
            keep: Callable[[T], bool] = lambda value: True) -> T:
    """What ``read()`` gave under the current value of the ``generation`` key, else ``read()``
    now, kept for ``seconds`` if ``keep(value)``. One cache round trip when it is kept."""
    if not settings.WENGANG_CACHE_SHARED:
        return read()
    found = cache.get_many([generation, key])
    current = found.get(generation)
    if current is None:  # never set, or evicted: entries of any earlier one never match
        fresh = uuid4().hex
        current = fresh if cache.add(generation, fresh, timeout=None) else cache.get(generation)
    elif key in found and found[key][0] == current:
        return found[key][1]
    value = read()
    if not keep(value):
        return value
    snapshot = copy.copy(value)  # as read: the caller may change its object before the commit
    transaction.on_commit(lambda: cache.set(key, (current, snapshot), timeout=seconds))
    return value


def renew(*generations: str) -> None:
    """A new value for each ``generation`` key now, and again once the transaction commits."""
    if not settings.WENGANG_CACHE_SHARED or not generations:
        return

    def new() -> None:
        cache.set_many({generation: uuid4().hex for generation in generations}, timeout=None)

    new()
    transaction.on_commit(new)
