"""Fixtures of the exchange tests: the shared key, a fixed day, one zone's spool, the world,
the internet copy."""

from datetime import datetime
from importlib import import_module
from pathlib import Path

import pytest
from django.test import Client

from wengang.accounts.models import Role, User
from wengang.cases.models import State
from wengang.core.clock import CHINA, clock
from wengang.zones.envelope import OUTWARD, Message, encode, write_atomically
from wengang.zones.keys import direction_keys

from .payloads import OWN, PUBLISHED, case_payload, letters_payload
from .world import OWN_USCC, PUBLISHED_USCC, TODAY, seed

KEY = "5a" * 32


@pytest.fixture(autouse=True)
def zone_key(monkeypatch):
    monkeypatch.setenv("WENGANG_ZONE_KEY", KEY)
    for name in ("WENGANG_ZONE_KEY_INWARD", "WENGANG_ZONE_KEY_OUTWARD"):
        monkeypatch.delenv(name, raising=False)


@pytest.fixture(autouse=True)
def fresh_cache(settings, request):
    """The public list's counts are kept a minute (``ListingPaginator``), keyed by its query,
    which is the same in every test of the day: each test's world gets a cache of its own."""
    settings.CACHES = {"default": {"BACKEND": "django.core.cache.backends.locmem.LocMemCache",
                                   "LOCATION": request.node.nodeid}}


@pytest.fixture(autouse=True)
def fixed_today():
    with clock.frozen(datetime(TODAY.year, TODAY.month, TODAY.day, 10, tzinfo=CHINA)):
        yield TODAY


@pytest.fixture
def spool(settings, tmp_path) -> Path:
    # The URLconf is built once per process, for the zone of that moment (``routing.mount``):
    # build it now, as a single instance, so that the other tests of this process see every page.
    import_module(settings.ROOT_URLCONF)
    settings.WENGANG_ZONE_SPOOL = tmp_path / "spool"
    return settings.WENGANG_ZONE_SPOOL


@pytest.fixture
def intranet(settings, spool) -> Path:
    settings.WENGANG_ZONE = "intranet"
    return spool


@pytest.fixture
def internet(settings, spool) -> Path:
    settings.WENGANG_ZONE = "internet"
    return spool


@pytest.fixture
def world(db) -> dict:
    return seed()


def signed(direction: str, sequence: int, kind: str, payload: dict) -> bytes:
    message = Message(direction=direction, sequence=sequence, kind=kind,
                      created_at="2020-04-30T10:00:00+08:00", payload=payload)
    return encode(message, direction_keys()[direction])


def deliver(spool: Path, direction: str, sequence: int, kind: str, payload: dict) -> Path:
    """What the gateway does: put a signed message file into the receiving zone's in/."""
    return write_atomically(spool / "in", f"{direction}-{sequence:012d}.json",
                            signed(direction, sequence, kind, payload))


@pytest.fixture
def mirrored(internet, db) -> Client:
    """The internet copy after the intranet's first export; the enterprise logged in."""
    from wengang.zones.transfer import import_

    deliver(internet, OUTWARD, 1, "commitment_texts", letters_payload())
    deliver(internet, OUTWARD, 2, "cases", {"cases": [
        case_payload(OWN, OWN_USCC, "南昌测试机械有限公司", State.AWAITING_APPLICATION),
        case_payload(PUBLISHED, PUBLISHED_USCC, "南昌公示电子有限公司", State.IN_PUBLICITY,
                     route="automatic", approved_on="2020-04-20")]})
    deliver(internet, OUTWARD, 3, "publicity", {
        "id": 77, "region_code": "360100", "program": "inclusive-2020", "start_on": "2020-04-29",
        "end_on": "2020-05-08", "workdays": 5, "opened_at": "2020-04-28T09:00:00+08:00",
        "status": "open", "closed_at": None, "cases": [PUBLISHED],
        "listing": [[PUBLISHED, "南昌公示电子有限公司", PUBLISHED_USCC, "inclusive-2020", 1_000_000]]})
    assert import_().applied == [1, 2, 3]
    client = Client()
    client.force_login(User.objects.create_user(OWN_USCC, password=None, role=Role.ENTERPRISE,
                                                region_code="360102", uscc=OWN_USCC))
    return client
