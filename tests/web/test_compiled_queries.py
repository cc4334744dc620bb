"""The confirmation's hot reads compiled once per process (``cases.compiled``): the very
statement the ORM runs, the same rows as the same model instances, an enterprise's case only
ever its own, the row lock only inside a transaction, a case read back as ``refresh_from_db``
reads it."""

import threading

import pytest
from django.db import NotSupportedError, connection
from django.db.models import Count
from django.db.transaction import TransactionManagementError, atomic
from django.http import Http404
from django.test.utils import CaptureQueriesContext

from wengang.accounts.models import Role, User
from wengang.cases import services, workflow
from wengang.cases.compiled import CompiledQuery
from wengang.cases.models import Case, CaseEvent
from wengang.web import access, portal

pytestmark = pytest.mark.django_db


def _fields(instance) -> dict:
    return {f.attname: getattr(instance, f.attname) for f in type(instance)._meta.concrete_fields}


def _statements(read) -> list[str]:
    with CaptureQueriesContext(connection) as captured:
        read()
    return [query["sql"] for query in captured.captured_queries]


def test_an_enterprises_case_is_read_by_the_statement_the_orm_runs(world):
    user, case = world.users["enterprise"], world.own_case
    compiled = _statements(lambda: access.get_case_for(user, case.pk))
    orm = _statements(lambda: next(iter(access._visible_case(user, case.pk))))
    assert compiled == orm and len(orm) == 1 and "unit" in orm[0]


def test_an_enterprises_case_is_the_case_the_orm_gives_with_its_unit(
        world, django_assert_num_queries):
    user, case = world.users["enterprise"], world.own_case
    read = access.get_case_for(user, case.pk)
    expected = Case.objects.select_related("unit").get(pk=case.pk)
    assert _fields(read) == _fields(expected) and read._state.adding is False
    with django_assert_num_queries(0):  # the unit came with it, as with select_related
        assert _fields(read.unit) == _fields(expected.unit)


@pytest.mark.parametrize("whose", ["another unit's", "none"])
def test_an_enterprise_never_reads_a_case_not_its_own(world, whose):
    user = world.users["enterprise"]
    pk = world.other_case.pk if whose == "another unit's" else 10**9
    with pytest.raises(Http404):
        access.get_case_for(user, pk)


def test_an_enterprise_with_another_code_reads_nothing_of_the_first(world):
    """The code is the statement's parameter, not part of what is kept between calls."""
    own = world.own_case
    assert access.get_case_for(world.users["enterprise"], own.pk) == own
    stranger = User(username="x", role=Role.ENTERPRISE, uscc=world.other_case.unit.uscc)
    with pytest.raises(Http404):
        access.get_case_for(stranger, own.pk)
    assert access.get_case_for(stranger, world.other_case.pk) == world.other_case
    nobody = User(username="y", role=Role.ENTERPRISE, uscc="")
    with pytest.raises(Http404):
        access.get_case_for(nobody, own.pk)


def test_a_value_of_another_type_takes_the_orms_path(world):
    user, case = world.users["enterprise"], world.own_case
    assert access._enterprise_case.first(user.uscc, str(case.pk)) == case


def test_staff_read_cases_through_the_orm_as_before(world):
    agency = world.users["agency"]
    assert access.get_case_for(agency, world.own_case.pk) == world.own_case
    with pytest.raises(Http404):
        access.get_case_for(agency, world.other_case.pk)  # outside the officer's region


def test_the_card_reads_the_events_the_orm_reads(world):
    case = world.own_case
    services.withdraw(case, actor=world.users["agency"], reason="单位注销")

    def shown(events) -> list:  # only what was read: a deferred field would be read now
        return [({name: getattr(e, name) for name in ("id", "case_id", "at", "action", "reason")},
                 e.get_deferred_fields()) for e in events]

    read = portal._card_events(case.pk)
    expected = list(CaseEvent.objects.for_case(case).only("at", "action", "reason"))
    assert read and shown(read) == shown(expected)


def test_the_row_lock_is_taken_only_inside_a_transaction_as_the_orm_takes_it(world):
    pk = world.own_case.pk
    with atomic():
        compiled = _statements(lambda: workflow._case_locked.first(pk))
        orm = _statements(lambda: list(Case.objects.select_for_update().filter(pk=pk)))
    assert compiled == orm
    assert ("FOR UPDATE" in compiled[0]) == connection.features.has_select_for_update


@pytest.mark.django_db(transaction=True)
@pytest.mark.parametrize("compiled_first", [True, False])
def test_the_row_lock_outside_a_transaction_is_refused_as_the_orm_refuses_it(compiled_first):
    """Refused whether the statement was compiled already or is compiled now, where the
    database has row locks; read as the ORM reads it where it has none (SQLite)."""
    if compiled_first:
        with atomic():
            workflow._case_locked.first(1)
    else:
        workflow._case_locked.statements().clear()

    def outcome(read) -> str:
        try:
            read()
        except TransactionManagementError:
            return "refused"
        return "read"

    expected = "refused" if connection.features.has_select_for_update else "read"
    assert outcome(lambda: list(Case.objects.select_for_update().filter(pk=1))) == expected
    assert outcome(lambda: workflow._case_locked.first(1)) == expected


@pytest.mark.django_db(transaction=True)
def test_each_thread_runs_a_statement_compiled_on_its_own_connection():
    from django.db import connections

    def compiled_on() -> object:
        """The connection the statement run in this thread was compiled with."""
        with atomic():
            workflow._case_locked.first(1)
        return workflow._case_locked.statements()["default"].compiler.connection

    def in_another_thread() -> None:
        try:
            result["connection"] = compiled_on()
        finally:
            connections.close_all()  # that thread's own

    result = {}
    mine = compiled_on()
    other = threading.Thread(target=in_another_thread)
    other.start()
    other.join(30)
    assert mine is connections["default"] and result["connection"] is not mine


def test_a_case_read_back_is_what_refresh_from_db_gives(world):
    case = access.get_case_for(world.users["enterprise"], world.own_case.pk)
    twin = Case.objects.select_related("unit").get(pk=case.pk)
    Case.objects.filter(pk=case.pk).update(insured=case.insured + 5, version=case.version + 1)
    workflow._reload(case)
    twin.refresh_from_db()
    assert _fields(case) == _fields(twin) and case.insured == world.own_case.insured + 5
    assert not Case.unit.is_cached(case) and not Case.unit.is_cached(twin)


def test_a_case_no_longer_stored_is_not_read_back(world):
    case = Case(pk=10**9)
    with pytest.raises(Case.DoesNotExist):
        workflow._reload(case)
    with pytest.raises(Case.DoesNotExist), atomic():
        workflow._lock(case)


@pytest.mark.parametrize("build, placeholders", [
    (lambda pk: Case.objects.filter(pk=pk).annotate(n=Count("events")), (-5,)),
    (lambda pk: Case.objects.filter(pk=pk) | Case.objects.filter(unit_id=pk), (-5,)),
    (lambda pk: Case.objects.prefetch_related("events").filter(pk=pk), (-5,)),
])
def test_only_plain_querysets_with_each_value_in_one_place_are_compiled(world, build,
                                                                      placeholders):
    with pytest.raises(NotSupportedError):
        CompiledQuery(build, *placeholders)(world.own_case.pk)
