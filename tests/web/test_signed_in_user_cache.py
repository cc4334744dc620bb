"""The signed-in user kept in the shared cache (``accounts.backends``): one statement fewer on
every page, and every change to a user — deactivated, deleted, a new password, another role,
region or unit, saved or updated in bulk — takes effect at that user's very next request."""

import pytest
from django.core.cache import cache
from django.db import connection, transaction
from django.test import Client
from django.test.utils import CaptureQueriesContext
from django.urls import reverse

from wengang.accounts.backends import signed_in_user
from wengang.accounts.models import Role, User
from wengang.cases.models import LateClaim

pytestmark = pytest.mark.django_db

HOME = reverse("web:portal-home")


@pytest.fixture
def browse(django_capture_on_commit_callbacks):
    """A GET as production serves it: what the request read is kept once it commits (tests run
    in a transaction that never does)."""
    def get(client: Client, url: str = HOME):
        with django_capture_on_commit_callbacks(execute=True):
            return client.get(url)
    return get


@pytest.fixture
def enterprise(world) -> Client:
    client = Client()
    client.force_login(world.users["enterprise"])
    return client


def _reads_user(queries) -> bool:
    return any('"accounts_user"' in q["sql"] for q in queries)


def test_the_user_is_read_at_the_first_request_then_kept(enterprise, browse, world):
    with CaptureQueriesContext(connection) as first:
        assert browse(enterprise).status_code == 200
    with CaptureQueriesContext(connection) as again:
        assert browse(enterprise).status_code == 200
    assert _reads_user(first.captured_queries) and not _reads_user(again.captured_queries)
    assert len(again.captured_queries) == len(first.captured_queries) - 2  # the user; the events


def test_the_kept_user_is_the_stored_row(world, django_capture_on_commit_callbacks):
    for user in world.users.values():
        if user is None:
            continue
        with django_capture_on_commit_callbacks(execute=True):
            signed_in_user(user.pk)
        kept = signed_in_user(user.pk)
        stored = User.objects.get(pk=user.pk)
        assert kept is not stored
        assert {f.attname: getattr(kept, f.attname) for f in User._meta.concrete_fields} == (
            {f.attname: getattr(stored, f.attname) for f in User._meta.concrete_fields})


def _deactivate(user: User) -> None:
    user.is_active = False
    user.save()


def _deactivate_in_bulk(user: User) -> None:
    User.objects.filter(pk=user.pk).update(is_active=False)


def _deactivate_by_bulk_update(user: User) -> None:
    user.is_active = False
    User.objects.bulk_update([user], ["is_active"])


def _new_password(user: User) -> None:
    user.set_password("a new password of theirs")
    user.save()


def _delete(user: User) -> None:
    LateClaim.objects.filter(filed_by=user).delete()  # what protects a user from deletion
    user.delete()


@pytest.mark.parametrize("change", [_deactivate, _deactivate_in_bulk, _deactivate_by_bulk_update,
                                    _new_password, _delete])
def test_a_user_deactivated_deleted_or_with_a_new_password_is_signed_out_at_once(
        enterprise, browse, world, change):
    assert browse(enterprise).status_code == 200  # now kept
    change(User.objects.get(pk=world.users["enterprise"].pk))
    response = browse(enterprise)
    assert response.status_code == 302 and response["Location"].startswith(
        reverse("web:enterprise-login"))


def test_an_enterprise_moved_to_another_unit_sees_that_unit_at_once(enterprise, browse, world):
    own, other = world.own_case, world.other_case
    assert f"case-{own.pk}" in browse(enterprise).content.decode()
    User.objects.filter(pk=world.users["enterprise"].pk).update(uscc=other.unit.uscc)
    page = browse(enterprise).content.decode()
    assert f"case-{other.pk}" in page and f"case-{own.pk}" not in page
    assert browse(enterprise, reverse("web:portal-case", kwargs={"pk": own.pk})).status_code == 404


def test_an_officer_given_another_region_or_role_is_held_to_it_at_once(world, browse):
    officer = world.users["agency"]
    client = Client()
    client.force_login(officer)
    case_page = reverse("web:console-case", kwargs={"pk": world.own_case.pk})
    assert browse(client, case_page).status_code == 200
    officer.region_code = "360200"  # Jingdezhen: the Nanchang case is no longer theirs
    officer.save()
    assert browse(client, case_page).status_code == 404
    User.objects.filter(pk=officer.pk).update(region_code="360100", role=Role.DEPARTMENT,
                                              department="tax")
    assert browse(client, case_page).status_code == 403  # reviewers have no console


def test_a_user_kept_by_another_worker_before_the_change_committed_is_not_served(
        world, django_capture_on_commit_callbacks):
    """Between the change and its commit another worker can read only the old row, and keeps
    it under the generation the change started: the commit starts another."""
    user = world.users["enterprise"]
    with django_capture_on_commit_callbacks(execute=True):
        old = User.objects.get(pk=user.pk)
        user.is_active = False
        user.save()
        generation = cache.get(f"user-generation:{user.pk}")
        cache.set(f"user:{user.pk}", (generation, old))  # the other worker
    assert signed_in_user(user.pk).is_active is False


def test_a_user_read_in_a_transaction_rolled_back_is_not_kept(world):
    """Rolling back fires no signal: what the transaction read is kept only once committed."""
    user = world.users["enterprise"]
    with pytest.raises(RuntimeError), transaction.atomic():
        User.objects.filter(pk=user.pk).update(is_active=False)
        assert signed_in_user(user.pk).is_active is False
        raise RuntimeError("rolled back")
    assert signed_in_user(user.pk).is_active is True


def test_an_entry_without_its_generation_is_not_served(world, django_capture_on_commit_callbacks):
    """A generation evicted from the cache (or never set) matches no entry kept before."""
    user = world.users["enterprise"]
    with django_capture_on_commit_callbacks(execute=True):
        signed_in_user(user.pk)
    stale = User.objects.get(pk=user.pk)
    stale.role = Role.ADMIN
    cache.set(f"user:{user.pk}", (None, stale))
    cache.delete(f"user-generation:{user.pk}")
    assert signed_in_user(user.pk).role == Role.ENTERPRISE


def test_a_user_with_a_password_is_read_each_time_and_never_kept(
        world, browse, django_capture_on_commit_callbacks, django_assert_num_queries):
    """Staff log in with a password: the cache never holds a hash that could be cracked."""
    officer = world.users["agency"]
    officer.set_password("the officer's own password")
    officer.save()
    client = Client()
    client.force_login(officer)
    queue = reverse("web:console-queue")
    for _ in range(2):
        with CaptureQueriesContext(connection) as statements:
            assert browse(client, queue).status_code == 200
        assert _reads_user(statements.captured_queries)
    with django_capture_on_commit_callbacks(execute=True):
        assert signed_in_user(officer.pk).check_password("the officer's own password")
    assert cache.get(f"user:{officer.pk}") is None


def test_without_a_shared_cache_the_user_is_read_at_every_request(enterprise, browse, settings):
    """A cache of each process's own (no Redis) would not hear of a change made in another."""
    settings.WENGANG_CACHE_SHARED = False
    for _ in range(2):
        with CaptureQueriesContext(connection) as statements:
            assert browse(enterprise).status_code == 200
        assert _reads_user(statements.captured_queries)
