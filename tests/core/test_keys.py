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
