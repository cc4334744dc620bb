"""``shared_cache``: a record kept by generation is read again after every change, in every
process, and never kept from a transaction that was rolled back."""

import pytest
from django.core.cache import cache
from django.db import transaction

from wengang.shared_cache import kept, renew


class Reads:
    """A record read from "the database": counts its reads, gives the current value."""

    def __init__(self, value: str) -> None:
        self.value, self.count = value, 0

    def __call__(self) -> str:
        self.count += 1
        return self.value


@pytest.fixture
def record() -> Reads:
    return Reads("first")


def _kept(record: Reads) -> str:
    return kept("record:1", "record-generation", record, seconds=60)


@pytest.mark.django_db(transaction=True)
def test_a_record_is_read_once_then_again_after_each_change(record):
    assert [_kept(record), _kept(record)] == ["first", "first"] and record.count == 1
    record.value = "second"
    renew("record-generation")
    assert [_kept(record), _kept(record)] == ["second", "second"] and record.count == 2


@pytest.mark.django_db(transaction=True)
def test_a_record_read_in_a_transaction_rolled_back_is_never_kept(record):
    with pytest.raises(RuntimeError), transaction.atomic():
        record.value = "never committed"
        assert _kept(record) == "never committed"
        raise RuntimeError
    record.value = "first"
    assert _kept(record) == "first" and record.count == 2


@pytest.mark.django_db(transaction=True)
def test_a_change_is_seen_after_its_commit_even_if_another_process_kept_the_old_record(record):
    with transaction.atomic():
        renew("record-generation")  # the change, not committed yet …
        # … another process reads the record as committed (the old one) and keeps it under the
        # new generation (simulated by keeping it here, outside this transaction's view)
        cache.set("record:1", (cache.get("record-generation"), "first"), timeout=60)
        record.value = "second"
    assert _kept(record) == "second"  # the commit renewed the generation again


@pytest.mark.django_db(transaction=True)
def test_an_evicted_generation_never_matches_a_record_kept_under_an_earlier_one(record):
    assert _kept(record) == "first"
    cache.delete("record-generation")  # evicted: a new one starts
    record.value = "second"
    assert _kept(record) == "second" and record.count == 2


@pytest.mark.django_db(transaction=True)
def test_without_a_cache_shared_by_every_process_each_read_goes_to_the_database(record, settings):
    settings.WENGANG_CACHE_SHARED = False  # a local-memory cache: each process's own
    assert [_kept(record), _kept(record)] == ["first", "first"] and record.count == 2
    renew("record-generation")
    assert cache.get("record-generation") is None
