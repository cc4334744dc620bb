"""The message file: HMAC-SM3 signature, direction, atomic write, order, sealed fields."""

import json

import pytest

from wengang.zones.envelope import (
    INWARD,
    OUTWARD,
    Message,
    ZoneError,
    decode,
    direction_key,
    encode,
    open_field,
    parse_key,
    seal_field,
    spooled,
    write_atomically,
)

MASTER = parse_key("5a" * 32, name="test")
IN_KEY, OUT_KEY = direction_key(MASTER, INWARD), direction_key(MASTER, OUTWARD)


def _message(**changes) -> Message:
    fields = {"direction": INWARD, "sequence": 7, "kind": "confirmation",
              "created_at": "2020-04-30T10:00:00+08:00",
              "payload": {"case": 1, "signatory_name": "王小明", "amount_fen": 1_000_000}}
    return Message(**{**fields, **changes})


def test_a_signed_message_reads_back_exactly():
    message = decode(encode(_message(), IN_KEY), IN_KEY, direction=INWARD)
    assert (message.sequence, message.kind, message.sender) == (7, "confirmation", "internet")
    assert message.payload["signatory_name"] == "王小明"


def test_each_direction_has_its_own_key():
    assert IN_KEY != OUT_KEY and len(IN_KEY) == 32
    with pytest.raises(ZoneError) as refused:
        decode(encode(_message(), IN_KEY), OUT_KEY, direction=INWARD)
    assert refused.value.code == "zone_signature"


@pytest.mark.parametrize("change", [
    lambda d: d["payload"].update(amount_fen=1_000_001),   # one fen more
    lambda d: d.update(sequence=8),
    lambda d: d.update(kind="objection"),
    lambda d: d.update(created_at="2020-04-30T10:00:01+08:00"),
])
def test_any_change_breaks_the_signature(change):
    document = json.loads(encode(_message(), IN_KEY))
    change(document)
    with pytest.raises(ZoneError) as refused:
        decode(json.dumps(document, ensure_ascii=False).encode(), IN_KEY, direction=INWARD)
    assert refused.value.code == "zone_signature"
    assert "签名不符" in refused.value.zh and "signature" in refused.value.en


def test_a_message_of_the_other_direction_is_refused_even_if_signed():
    outward = encode(_message(direction=OUTWARD), OUT_KEY)
    with pytest.raises(ZoneError) as refused:
        decode(outward, OUT_KEY, direction=INWARD)
    assert refused.value.code == "zone_direction"


@pytest.mark.parametrize("data", [b"not json", b"[]", b'{"format": "wengang-zone/1"}', "\xff".encode("latin-1")])
def test_malformed_files_are_refused_with_a_reason(data):
    with pytest.raises(ZoneError) as refused:
        decode(data, IN_KEY, direction=INWARD)
    assert refused.value.code == "zone_malformed"


@pytest.mark.parametrize("sequence, ok", [(0, False), (1, True), (-1, False)])
def test_sequences_start_at_one(sequence, ok):
    data = encode(_message(sequence=sequence), IN_KEY)
    if ok:
        assert decode(data, IN_KEY, direction=INWARD).sequence == 1
    else:
        with pytest.raises(ZoneError):
            decode(data, IN_KEY, direction=INWARD)


def test_keys_must_be_64_hex_digits():
    for text in ("", "5a" * 31, "5a" * 32 + "0", "zz" * 32):
        with pytest.raises(ZoneError) as refused:
            parse_key(text, name="WENGANG_ZONE_KEY")
        assert "64" in refused.value.zh
    assert len(parse_key("5A" * 32, name="k")) == 32


def test_files_are_written_whole_and_listed_by_sequence(tmp_path):
    for sequence in (10, 2, 1):
        write_atomically(tmp_path, f"inward-{sequence:012d}.json", b"{}")
    (tmp_path / ".inward-000000000011.json.tmp").write_bytes(b"{")  # a write in progress
    (tmp_path / "outward-000000000003.json").write_bytes(b"{}")      # the other direction
    (tmp_path / "notes.txt").write_text("x")
    assert [number for number, _path in spooled(tmp_path, INWARD)] == [1, 2, 10]
    # Our writes left no temporary file behind: the only one is the write "in progress".
    assert [p.name for p in tmp_path.iterdir() if p.name.endswith(".tmp")] == [
        ".inward-000000000011.json.tmp"]


def test_a_sealed_field_opens_only_with_its_key():
    token = seal_field(IN_KEY, "6222000011112222")
    assert "6222000011112222" not in token
    assert open_field(IN_KEY, token) == "6222000011112222"
    with pytest.raises(ZoneError):
        open_field(OUT_KEY, token)
    with pytest.raises(ZoneError):
        open_field(IN_KEY, token[:-4] + "AAAA")
