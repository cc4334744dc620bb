"""The web tests' small city (people of every role, cases at each step), plus API tokens and an
empty feed inbox and snapshot store of the test's own."""

import pytest
from django.test import Client

from tests.web.conftest import (  # noqa: F401  (fixtures)
    World,
    commitment_text,
    fixed_today,
    make_case,
    run,
    world,
)
from wengang.accounts.models import User
from wengang.api.models import Scope
from wengang.api.tokens import create_token

ALL_SCOPES = tuple(Scope.values)


@pytest.fixture(autouse=True)
def own_stores(settings, tmp_path):
    settings.WENGANG_FEED_INBOX_DIR = tmp_path / "inbox"
    settings.WENGANG_SNAPSHOT_DIR = tmp_path / "snapshots"
    return settings


def bearer(secret: str) -> dict[str, str]:
    return {"Authorization": f"Bearer {secret}"}


@pytest.fixture
def token_for(db):
    """A token secret for ``user`` with ``scopes`` (all by default)."""
    def make(user: User, scopes=ALL_SCOPES, **options) -> str:
        return create_token(user, name="test", scopes=scopes, **options)[1]
    return make


@pytest.fixture
def session_for(world):  # noqa: F811  (the fixture imported above)
    def make(actor: str) -> Client:
        client = Client()
        if world.users[actor] is not None:
            client.force_login(world.users[actor])
        return client
    return make
