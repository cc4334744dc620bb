"""Deployment keys: from the environment; generated once on a development machine only."""

import pytest

from wengang.core.errors import CoreError
from wengang.core.keys import hex_key


class KeyError_(CoreError):
    code = "test_key"


def _key(tmp_path):
    return hex_key("WG_TEST_KEY", dev_file=tmp_path / "k", error=KeyError_,
                   use_zh="无法测试", use_en="nothing can be tested")


def test_a_development_machine_generates_the_key_once_readable_by_its_owner(tmp_path, monkeypatch):
    monkeypatch.delenv("WG_TEST_KEY", raising=False)
    monkeypatch.setenv("WENGANG_DEBUG", "1")
    first = _key(tmp_path)
    assert len(first) == 32 and _key(tmp_path) == first
    assert (tmp_path / "k").stat().st_mode & 0o777 == 0o600


def test_production_without_the_variable_refuses_and_writes_nothing(tmp_path, monkeypatch):
    monkeypatch.delenv("WG_TEST_KEY", raising=False)
    monkeypatch.setenv("WENGANG_DEBUG", "0")
    with pytest.raises(KeyError_) as raised:
        _key(tmp_path)
    assert "WG_TEST_KEY" in raised.value.en and "无法测试" in raised.value.zh
    assert not (tmp_path / "k").exists()


@pytest.mark.parametrize(("text", "ok"), [("ab" * 32, True), ("ab" * 31, False), ("ab" * 33, False),
                                          ("zz" * 32, False)])
def test_the_variable_must_hold_64_hex_digits(tmp_path, monkeypatch, text, ok):
    monkeypatch.setenv("WG_TEST_KEY", text)
    monkeypatch.setenv("WENGANG_DEBUG", "0")
    if ok:
        assert _key(tmp_path) == bytes.fromhex(text)
    else:
        with pytest.raises(KeyError_, match="64"):
            _key(tmp_path)


def _ring(monkeypatch, text, named=None):
    from wengang.core.keys import keyring

    monkeypatch.setenv("WG_TEST_KEYS", text)
    return keyring("WG_TEST_KEYS", error=KeyError_, named=named)


def test_a_keyring_lists_its_keys_current_first_and_may_keep_a_known_key_by_id(monkeypatch):
    known = bytes(32)
    ring = _ring(monkeypatch, f" k2:{'ab' * 32} , orig ", named={"orig": known})
    assert ring == [("k2", bytes.fromhex("ab" * 32)), ("orig", known)]
    monkeypatch.delenv("WG_TEST_KEYS")
    from wengang.core.keys import keyring

    assert keyring("WG_TEST_KEYS", error=KeyError_) == []


@pytest.mark.parametrize(("text", "words"), [
    ("k2:" + "ab" * 31, "64 hex"), ("k2:" + "ab" * 33, "64 hex"), ("k2:" + "zz" * 32, "64 hex"),
    ("k 2:" + "ab" * 32, "key id"), ("k" * 17 + ":" + "ab" * 32, "key id"),
    ("k2:" + "ab" * 32 + ",k2:" + "cd" * 32, "twice"), ("other", "no key"),
    ("orig:" + "ab" * 32, "existing key"),
])
def test_a_malformed_keyring_is_refused_without_echoing_key_material(monkeypatch, text, words):
    with pytest.raises(KeyError_) as raised:
        _ring(monkeypatch, text, named={"orig": bytes(32)})
    assert words in raised.value.en and "abab" not in str(raised.value)
    assert "WG_TEST_KEYS" in raised.value.zh


def test_a_key_id_of_sixteen_characters_is_the_longest_allowed(monkeypatch):
    assert _ring(monkeypatch, "k" * 16 + ":" + "ab" * 32)[0][0] == "k" * 16
