"""Two officers approve one case at the same moment: one succeeds, the other gets a conflict.

Each thread has its own database connection (Django connections are per thread), so this is a
real race between two transactions. On PostgreSQL the second transaction blocks on the row lock
(``select_for_update``) until the first commits, then sees the new version and refuses. SQLite
has no row locks; the same scenario there ends in the same clear conflict, either from the
version check or from SQLite's own lock ("database is locked", mapped to ``ConcurrentChange``).
Both tests run on both databases; where the databases differ, the assertion says which.
"""

import threading
import time

import pytest
from django.db import connection, connections, transaction

from wengang.cases import workflow
from wengang.cases.errors import ConcurrentChange
from wengang.cases.models import Action, Case, CaseEvent, State

pytestmark = pytest.mark.django_db(transaction=True)


def _in_thread(target, results, name):
    def run():
        try:
            results[name] = target()
        except Exception as error:  # noqa: BLE001 (the test inspects what each thread got)
            results[name] = error
        finally:
            connections.close_all()
    thread = threading.Thread(target=run, name=name)
    thread.start()
    return thread


def test_two_simultaneous_approvals_give_one_success_and_one_conflict(make_case, people):
    case = make_case(State.IN_REVIEW)
    copies = [Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)]  # both read version 1
    barrier = threading.Barrier(2)
    results = {}

    def approve(copy):
        def go():
            barrier.wait()
            return workflow.approve(copy, actor=people.agency, reason="同时审核")
        return go

    if connection.vendor == "postgresql":
        threads = [_in_thread(approve(copy), results, f"officer-{i}")
                   for i, copy in enumerate(copies)]
    else:  # SQLite serialises writers: the second runs once the first has committed
        barrier = threading.Barrier(1)
        threads = []
        for i, copy in enumerate(copies):
            threads.append(_in_thread(approve(copy), results, f"officer-{i}"))
            threads[-1].join(timeout=30)
    for thread in threads:
        thread.join(timeout=30)
    outcomes = sorted(type(r).__name__ for r in results.values())
    assert outcomes == ["Case", "ConcurrentChange"], results
    conflict = next(r for r in results.values() if isinstance(r, ConcurrentChange))
    assert conflict.code == "conflict" and "刷新" in conflict.zh
    assert Case.objects.get(pk=case.pk).state == State.APPROVED
    assert CaseEvent.objects.filter(case=case, action=Action.APPROVED).count() == 1


def test_the_second_approval_waits_for_the_first_and_then_refuses(make_case, people):
    """The first officer's transaction holds the case; the second cannot slip in between."""
    case = make_case(State.IN_REVIEW)
    first_copy, second_copy = Case.objects.get(pk=case.pk), Case.objects.get(pk=case.pk)
    approved_inside = threading.Event()
    may_commit = threading.Event()
    results = {}

    def first():
        with transaction.atomic():
            done = workflow.approve(first_copy, actor=people.agency)
            approved_inside.set()
            may_commit.wait(timeout=30)
        return done

    one = _in_thread(first, results, "first")
    assert approved_inside.wait(timeout=30)
    started = time.monotonic()
    two = _in_thread(lambda: workflow.approve(second_copy, actor=people.agency), results, "second")
    time.sleep(0.5)
    if connection.vendor == "postgresql":
        assert two.is_alive(), "the second approval must wait on the row lock"
    may_commit.set()
    one.join(timeout=30)
    two.join(timeout=30)
    assert isinstance(results["first"], Case), results
    assert isinstance(results["second"], ConcurrentChange), results
    if connection.vendor == "postgresql":
        assert time.monotonic() - started >= 0.5  # it waited for the first commit
    assert CaseEvent.objects.filter(case=case, action=Action.APPROVED).count() == 1
    assert Case.objects.get(pk=case.pk).version == case.version + 1
