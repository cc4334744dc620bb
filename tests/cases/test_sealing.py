"""Account numbers at rest: sealed for their unit, found by keyed digest, shown masked."""

import os
import secrets

import pytest

from wengang.cases import sealing
from wengang.cases.errors import FieldKeyError
from wengang.cases.models import Unit

OWNER = "91360102MA35ABCD1X"
OTHER = "91360102MA35ABCD2X"


@pytest.fixture
def fresh_keys():
    """Keys are read once per process; a test that changes the key starts and ends afresh."""
    sealing.reset_keys()
    yield
    sealing.reset_keys()


def test_a_sealed_account_opens_only_for_its_unit():
    sealed = sealing.seal_account("6222000011112222", owner=OWNER)
    assert "6222000011112222" not in sealed.sealed and sealed.sealed.startswith("sm4gcm1:")
    assert sealed.masked == "****2222"
    assert sealing.open_account(sealed.sealed, owner=OWNER) == "6222000011112222"
    with pytest.raises(FieldKeyError) as raised:
        sealing.open_account(sealed.sealed, owner=OTHER)
    assert raised.value.code == "field_key" and OTHER in raised.value.zh


def test_the_same_number_seals_differently_but_digests_the_same():
    first = sealing.seal_account("6222000011112222", owner=OWNER)
    second = sealing.seal_account("6222000011112222", owner=OTHER)
    other = sealing.seal_account("6222000011113333", owner=OWNER)
    assert first.sealed != second.sealed  # a fresh nonce each time
    assert first.digest == second.digest == sealing.account_digest("6222000011112222")
    assert other.digest != first.digest and len(first.digest) == 64


def test_an_altered_sealed_account_is_refused():
    sealed = sealing.seal_account("6222000011112222", owner=OWNER).sealed
    scheme, key_id, text = sealed.split(":")
    flipped = text[:20] + ("A" if text[20] != "A" else "B") + text[21:]  # a ciphertext byte
    for bad in (f"{scheme}:{key_id}:{flipped}", "not sealed", f"{scheme}:{key_id}:%%%"):
        with pytest.raises(FieldKeyError):
            sealing.open_account(bad, owner=OWNER)


def test_an_empty_account_seals_to_nothing():
    assert sealing.seal_account("", owner=OWNER) == sealing.SealedAccount("", "", "")
    assert sealing.open_account("", owner=OWNER) == ""


def test_an_account_sealed_under_another_key_is_refused_by_name(monkeypatch, fresh_keys):
    monkeypatch.setenv(sealing.KEY_ENV, secrets.token_hex(32))
    sealed = sealing.seal_account("6222000011112222", owner=OWNER).sealed
    monkeypatch.setenv(sealing.KEY_ENV, secrets.token_hex(32))
    sealing.reset_keys()
    with pytest.raises(FieldKeyError) as raised:
        sealing.open_account(sealed, owner=OWNER)
    assert "另一密钥" in raised.value.zh and "another key" in raised.value.en


@pytest.mark.parametrize("key", ["abc", secrets.token_hex(31), secrets.token_hex(33), "z" * 64])
def test_a_malformed_key_is_refused(monkeypatch, fresh_keys, key):
    monkeypatch.setenv(sealing.KEY_ENV, key)
    with pytest.raises(FieldKeyError) as raised:
        sealing.seal_account("6222000011112222", owner=OWNER)
    assert "64" in raised.value.en


def test_production_without_a_key_refuses_to_seal(monkeypatch, fresh_keys):
    monkeypatch.delenv(sealing.KEY_ENV, raising=False)
    monkeypatch.setenv("WENGANG_DEBUG", "0")
    with pytest.raises(FieldKeyError) as raised:
        sealing.seal_account("6222000011112222", owner=OWNER)
    assert sealing.KEY_ENV in raised.value.en


def test_development_generates_a_private_key_in_the_data_dir(monkeypatch, fresh_keys, settings,
                                                             tmp_path):
    monkeypatch.delenv(sealing.KEY_ENV, raising=False)
    monkeypatch.setenv("WENGANG_DEBUG", "1")
    settings.DATA_DIR = tmp_path
    sealed = sealing.seal_account("6222000011112222", owner=OWNER).sealed
    key_file = tmp_path / "field_key"
    assert len(bytes.fromhex(key_file.read_text())) == 32
    assert os.stat(key_file).st_mode & 0o777 == 0o600
    sealing.reset_keys()  # a restart reads the same key back
    assert sealing.open_account(sealed, owner=OWNER) == "6222000011112222"


def test_units_sharing_an_account_are_found_by_digest(make_case):
    shared = [make_case(bank_account="6222000099998888").unit for _ in range(2)]
    make_case(bank_account="6222000099997777")
    assert set(Unit.objects.sharing_account("6222000099998888")) == set(shared)
    assert shared[0].account_number() == "6222000099998888"
