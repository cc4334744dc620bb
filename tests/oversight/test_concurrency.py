"""Writers append at the same moment: the head lock queues them, so the chain never forks.

Each thread has its own connection (Django connections are per thread). On PostgreSQL it is a
real race: the head row's lock makes each writer wait for the one before. SQLite's in-memory
test database (shared cache) refuses a second writer outright instead of waiting as a database
file does (busy timeout), so there the writers take turns, as in ``tests/cases``.
"""

import threading

import pytest
from django.db import connection, connections

from wengang.oversight import audit
from wengang.oversight.models import AuditHead, AuditRecord

pytestmark = pytest.mark.django_db(transaction=True)

WRITERS, EACH = 4, 15


def test_simultaneous_appends_make_one_unbroken_chain():
    audit.record("test.first")  # the head row exists before the race
    racing = connection.vendor == "postgresql"
    barrier = threading.Barrier(WRITERS if racing else 1)
    errors = []

    def write(name: str) -> None:
        try:
            barrier.wait()
            for n in range(EACH):
                audit.record("test.race", actor=name, details={"n": n})
        except Exception as error:  # noqa: BLE001 (the test reports what each thread got)
            errors.append(error)
        finally:
            connections.close_all()

    threads = [threading.Thread(target=write, args=(f"writer-{i}",)) for i in range(WRITERS)]
    for thread in threads:
        thread.start()
        if not racing:
            thread.join(timeout=120)
    for thread in threads:
        thread.join(timeout=120)
    assert errors == []
    total = 1 + WRITERS * EACH
    assert list(AuditRecord.objects.in_chain_order().values_list("seq", flat=True)) == list(
        range(1, total + 1))
    assert AuditHead.objects.get().seq == total
    result = audit.verify()
    assert result.ok and result.records == total
