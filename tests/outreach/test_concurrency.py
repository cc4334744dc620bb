"""Two planning runs at once still give one notice per unit × event × channel."""

import threading

import pytest
from django.db import connection

from wengang.outreach.models import Channel, Notice
from wengang.outreach.planning import derive, plan

from .conftest import NOON


@pytest.mark.django_db(transaction=True)
def test_concurrent_derivations_add_each_notice_once(make_case):
    for _ in range(30):
        make_case()
    plan(channels=[Channel.INBOX], now=NOON)  # notifies the cases: 30 inbox notices
    Notice.objects.all().delete()
    start, added, errors = threading.Barrier(2), [], []

    def derive_in_thread():
        try:
            start.wait()
            added.append(derive(channels=[Channel.INBOX, Channel.SMS], now=NOON))
        except Exception as error:  # noqa: BLE001 — reported below
            errors.append(error)
        finally:
            connection.close()

    threads = [threading.Thread(target=derive_in_thread) for _ in range(2)]
    for thread in threads:
        thread.start()
    for thread in threads:
        thread.join()

    if connection.vendor == "sqlite":
        # SQLite has one writer: the test database (shared-cache memory) refuses the second
        # outright instead of waiting, and its transaction changes nothing; run it again.
        assert all("locked" in str(error) for error in errors)
        added.extend(derive(channels=[Channel.INBOX, Channel.SMS], now=NOON) for _ in errors)
    else:
        assert errors == []
    assert sum(added) == 60  # each notice counted by the run that added it, none twice
    assert Notice.objects.count() == 60
    assert derive(channels=[Channel.INBOX, Channel.SMS], now=NOON) == 0
