"""An event committed after a later one still goes out.

A case event's id is drawn when it is inserted, but the event shows only once its transaction
commits. On PostgreSQL a long transaction (a screening load, say) can hold an early id while a
confirmation inserts and commits a later one: an export that passed the later id must not leave
the earlier event behind. Each thread has its own connection, so this is a real race. SQLite has
one writer at a time, so there nobody overtakes: the slow transaction commits before the export
can write, and the same assertions hold.
"""

import threading

import pytest
from django.db import connection, connections, transaction

from wengang.cases.models import Action, Case, CaseEvent
from wengang.core.clock import clock
from wengang.zones.envelope import OUTWARD, decode
from wengang.zones.keys import direction_keys
from wengang.zones.transfer import export

pytestmark = pytest.mark.django_db(transaction=True)


def _event(case_id: int, reason: str) -> CaseEvent:
    state = Case.objects.get(pk=case_id).state
    return CaseEvent.objects.create(case_id=case_id, at=clock.now(), action=Action.REMINDED,
                                    state_before=state, state_after=state, channel="system",
                                    reason=reason)


def _cases_sent(folder, sequences: list[int]) -> dict[int, list[str]]:
    """Each case sent in these messages, with the reasons of its events."""
    key = direction_keys()[OUTWARD]
    sent = {}
    for sequence in sequences:
        message = decode((folder / f"outward-{sequence:012d}.json").read_bytes(), key,
                         direction=OUTWARD)
        if message.kind == "cases":
            sent |= {c["id"]: [e["reason"] for e in c["events"]] for c in message.payload["cases"]}
    return sent


def test_an_event_committed_after_a_later_one_is_still_exported(intranet, world):
    export()
    slow_case, quick_case = world["own_case"], world["published_case"]
    inserted, may_commit, failures, slow_ids = threading.Event(), threading.Event(), [], []

    def slow_transaction():
        try:
            with transaction.atomic():
                slow_ids.append(_event(slow_case, "慢事务").pk)
                inserted.set()
                may_commit.wait(timeout=30)
        except Exception as error:  # noqa: BLE001 (the test reports what the thread got)
            failures.append(error)
        finally:
            connections.close_all()

    thread = threading.Thread(target=slow_transaction)
    thread.start()
    assert inserted.wait(timeout=30)
    postgres = connection.vendor == "postgresql"
    if postgres:
        quick = _event(quick_case, "快事务")  # a later id, committed first
        assert quick.pk > slow_ids[0]
    else:  # SQLite: the export could not write before the slow transaction ends
        may_commit.set()
        thread.join(timeout=30)
    first = export()
    may_commit.set()
    thread.join(timeout=30)
    assert not failures
    second = export()

    first_sent = _cases_sent(intranet / "out", first.written)
    second_sent = _cases_sent(intranet / "out", second.written)
    sent = {**first_sent, **second_sent}
    assert slow_case in sent and sent[slow_case][-1] == "慢事务", "the earlier event never went out"
    if postgres:
        # The first export waited for the slow transaction, then left the events to the next.
        assert first_sent == {} and second_sent[quick_case][-1] == "快事务"
    assert export().written == []  # nothing left behind, nothing sent twice
