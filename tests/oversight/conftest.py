"""Oversight tests build on the case fixtures (a fixed day, people of every role, cases in any
state); ``tamper`` edits the audit tables behind the application's back, as an attacker with
database access would."""

import importlib

import pytest
from django.db import connection

from tests.cases.conftest import (  # noqa: F401 (fixtures, used by name)
    fixed_today,
    make_case,
    people,
    policy_read_once,
    run,
)

_guards = importlib.import_module("wengang.oversight.migrations.0002_audit_append_only")
_event_guard = importlib.import_module(
    "wengang.cases.migrations.0002_append_only_events_and_commitment_text")
_TABLES = ("oversight_auditrecord", "oversight_audithead", "cases_caseevent")
_SQLITE_DOWN = [*_guards.SQLITE_DOWN, _event_guard.SQLITE_DOWN]
_SQLITE_UP = [*_guards.SQLITE_UP, _event_guard.SQLITE_UP]


@pytest.fixture
def tamper(db):
    """Run raw SQL with the append-only triggers (audit chain, case events) off, then put them
    back."""
    def run_sql(*statements: str) -> None:
        with connection.cursor() as cursor:
            if connection.vendor == "postgresql":
                # Deferred foreign-key checks still pending would make ALTER TABLE refuse.
                cursor.execute("SET CONSTRAINTS ALL IMMEDIATE")
                for table in _TABLES:
                    cursor.execute(f"ALTER TABLE {table} DISABLE TRIGGER USER")
            else:
                for statement in _SQLITE_DOWN:
                    cursor.execute(statement)
            for statement in statements:
                cursor.execute(statement)
            if connection.vendor == "postgresql":
                for table in _TABLES:
                    cursor.execute(f"ALTER TABLE {table} ENABLE TRIGGER USER")
                cursor.execute("SET CONSTRAINTS ALL DEFERRED")
            else:
                for statement in _SQLITE_UP:
                    cursor.execute(statement)
    return run_sql
