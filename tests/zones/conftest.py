"""Fixtures of the exchange tests: the shared key, a fixed day, one zone's spool, the world."""

from datetime import datetime
from importlib import import_module
from pathlib import Path

import pytest

from wengang.core.clock import CHINA, clock
from wengang.zones.envelope import Message, encode, write_atomically
from wengang.zones.keys import direction_keys

from .world import TODAY, seed

KEY = "5a" * 32


@pytest.fixture(autouse=True)
def zone_key(monkeypatch):
    monkeypatch.setenv("WENGANG_ZONE_KEY", KEY)
    for name in ("WENGANG_ZONE_KEY_INWARD", "WENGANG_ZONE_KEY_OUTWARD"):
        monkeypatch.delenv(name, raising=False)


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
