"""API tokens: shown once, stored as a hash, scoped, expiring, revocable, last use recorded."""

import hashlib
from datetime import timedelta

import pytest
from django.core.management import call_command
from django.core.management.base import CommandError
from django.test import Client
from django.utils import timezone

from wengang.api.errors import TokenExpired, TokenInvalid, TokenRefused, TokenRevoked
from wengang.api.models import ApiToken
from wengang.api.tokens import authenticate, create_token, revoke_token

from .conftest import bearer

pytestmark = pytest.mark.django_db


def test_a_token_is_stored_only_as_its_hash(world):
    token, secret = create_token(world.users["department"], name="税务联审系统",
                                 scopes=["review:read"])
    stored = ApiToken.objects.get(pk=token.pk)
    assert secret.startswith(f"wg_{stored.key_id}_")
    assert stored.key_hash == hashlib.sha256(secret.encode()).hexdigest()
    assert secret not in repr(stored.__dict__)


def test_a_token_acts_for_its_user_within_its_scopes(world):
    _token, secret = create_token(world.users["department"], name="t",
                                 scopes=["review:decide", "review:read"])
    principal = authenticate(secret)
    assert principal.user == world.users["department"]
    assert principal.has_scope("review:read")
    assert not principal.has_scope("cases:read")


@pytest.mark.parametrize("secret", ["", "wg", "wg_0000000000000000_x", "Bearer x", "wg_a_b_c"])
def test_a_malformed_or_unknown_token_is_invalid(world, secret):
    with pytest.raises(TokenInvalid):
        authenticate(secret)


def test_a_token_with_a_wrong_secret_is_invalid(world):
    _token, secret = create_token(world.users["agency"], name="t", scopes=["cases:read"])
    with pytest.raises(TokenInvalid) as refused:
        authenticate(secret[:-2] + ("AA" if not secret.endswith("AA") else "BB"))
    assert refused.value.code == "token_invalid"


def test_a_token_expires(world):
    now = timezone.now()
    token, secret = create_token(world.users["agency"], name="t", scopes=["cases:read"],
                                 lifetime=timedelta(days=1), now=now)
    assert authenticate(secret, now=now + timedelta(hours=23)).token == token
    with pytest.raises(TokenExpired) as refused:
        authenticate(secret, now=now + timedelta(days=1))
    assert refused.value.code == "token_expired"
    assert token.key_id in refused.value.zh and token.key_id in refused.value.en


def test_a_revoked_token_is_refused_at_once(world):
    token, secret = create_token(world.users["agency"], name="t", scopes=["cases:read"])
    authenticate(secret)
    revoke_token(token, actor=world.users["admin"])
    with pytest.raises(TokenRevoked):
        authenticate(secret)
    stored = ApiToken.objects.get(pk=token.pk)
    assert stored.revoked_by == world.users["admin"]
    first = stored.revoked_at
    revoke_token(stored)
    assert ApiToken.objects.get(pk=token.pk).revoked_at == first


def test_the_token_of_a_deactivated_user_is_refused(world):
    user = world.users["agency"]
    _token, secret = create_token(user, name="t", scopes=["cases:read"])
    user.is_active = False
    user.save()
    with pytest.raises(TokenInvalid):
        authenticate(secret)


def test_last_use_is_recorded_at_most_once_a_minute(world):
    now = timezone.now()
    token, secret = create_token(world.users["agency"], name="t", scopes=["cases:read"], now=now)
    assert token.last_used_at is None
    authenticate(secret, ip="10.0.0.1", now=now + timedelta(seconds=5))
    stored = ApiToken.objects.get(pk=token.pk)
    assert (stored.last_used_at, stored.last_used_ip) == (now + timedelta(seconds=5), "10.0.0.1")
    authenticate(secret, ip="10.0.0.2", now=now + timedelta(seconds=30))
    assert ApiToken.objects.get(pk=token.pk).last_used_ip == "10.0.0.1"
    authenticate(secret, ip="10.0.0.3", now=now + timedelta(seconds=70))
    assert ApiToken.objects.get(pk=token.pk).last_used_ip == "10.0.0.3"


def test_a_call_through_the_api_records_the_last_use(world):
    token, secret = create_token(world.users["agency"], name="t", scopes=["cases:read"])
    response = Client(REMOTE_ADDR="10.1.2.3").get("/api/cases", headers=bearer(secret))
    assert response.status_code == 200
    assert ApiToken.objects.get(pk=token.pk).last_used_ip == "10.1.2.3"


@pytest.mark.parametrize(("actor", "scopes", "days"), [
    ("enterprise", ["cases:read"], 30),     # enterprises act in person, never by token
    ("agency", [], 30),
    ("agency", ["cases:write"], 30),
    ("agency", ["cases:read"], 400),
    ("agency", ["cases:read"], 0),
])
def test_tokens_that_may_not_be_made_are_refused_and_nothing_is_stored(world, actor, scopes, days):
    with pytest.raises(TokenRefused) as refused:
        create_token(world.users[actor], name="t", scopes=scopes, lifetime=timedelta(days=days))
    assert refused.value.zh and refused.value.en
    assert not ApiToken.objects.exists()


def test_the_command_creates_shows_the_secret_once_lists_and_revokes(world, capsys):
    call_command("api_token", "create", "tax", "--name", "税务联审系统", "--scope", "review:read",
                 "--scope", "review:decide", "--days", "30")
    out = capsys.readouterr().out
    secret = out.strip().splitlines()[-1]
    token = ApiToken.objects.get()
    assert secret.startswith(f"wg_{token.key_id}_")
    assert token.scopes == ["review:decide", "review:read"]
    assert authenticate(secret).user.username == "tax"

    call_command("api_token", "list")
    listed = capsys.readouterr().out
    assert token.key_id in listed and secret not in listed

    call_command("api_token", "revoke", token.key_id)
    with pytest.raises(TokenRevoked):
        authenticate(secret)


@pytest.mark.parametrize("argv", [
    ["create", "nobody", "--name", "x", "--scope", "cases:read"],
    ["create", "ent-x", "--name", "x", "--scope", "cases:read"],
    ["revoke", "0000000000000000"],
])
def test_the_command_refuses_clearly(world, argv):
    if argv[1] == "ent-x":
        argv = [argv[0], world.users["enterprise"].username, *argv[2:]]
    with pytest.raises(CommandError) as refused:
        call_command("api_token", *argv)
    assert "/" in str(refused.value)  # Chinese / English
    assert not ApiToken.objects.exists()
