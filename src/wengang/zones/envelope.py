"""Zone messages as files: the signed envelope and the spool directory (no Django here).

A message crosses from one zone to the other as one JSON file, so that a one-way file gateway
(网闸/光闸) can carry it; nothing connects the two zones over the network::

    {"format": "wengang-zone/1", "direction": "inward", "sender": "internet",
     "sequence": 42, "kind": "confirmation", "created_at": "2020-04-30T10:12:00+08:00",
     "payload": {...}, "signature": "<HMAC-SM3 hex>"}

The signature is HMAC-SM3 over the canonical JSON of every other field (keys sorted, no
spaces, UTF-8), with the key of the direction (``direction_key``). The file is named by its
sequence (``inward-000000000042.json``) and written atomically (a temporary name in the same
directory, fsync, rename): a reader never sees half a message. Sequences are strictly
increasing per direction, from 1; the receiver applies them in order (``transfer``).
"""

import base64
import hashlib
import hmac
import json
import os
import re
from dataclasses import dataclass
from pathlib import Path

from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from wengang.core.errors import CoreError

FORMAT = "wengang-zone/1"
INWARD, OUTWARD = "inward", "outward"
"""Inward: internet → intranet (confirmations, objections, account changes, late claims).
Outward: intranet → internet (case updates, notices, publicity lists, submission results)."""
SENDER = {INWARD: "internet", OUTWARD: "intranet"}
FILE_NAME = re.compile(r"^(inward|outward)-([0-9]{12})\.json$")
FIELDS = ("format", "direction", "sender", "sequence", "kind", "created_at", "payload")


class ZoneError(CoreError):
    """A zone message refused or a zone misconfigured: what, where, why (Chinese / English)."""

    code = "zone"


@dataclass(frozen=True)
class Message:
    direction: str
    sequence: int
    kind: str
    created_at: str
    payload: dict
    sender: str = ""

    @property
    def file_name(self) -> str:
        return file_name(self.direction, self.sequence)

    def body(self) -> dict:
        return {"format": FORMAT, "direction": self.direction,
                "sender": self.sender or SENDER[self.direction], "sequence": self.sequence,
                "kind": self.kind, "created_at": self.created_at, "payload": self.payload}


def file_name(direction: str, sequence: int) -> str:
    return f"{direction}-{sequence:012d}.json"


def canonical(body: dict) -> bytes:
    return json.dumps(body, ensure_ascii=False, sort_keys=True, separators=(",", ":")).encode()


def require_sm3() -> None:
    if not default_backend().hash_supported(hashes.SM3()):
        raise ZoneError("当前 OpenSSL 不支持 SM3，无法签名区间消息",
                        "this OpenSSL lacks SM3: zone messages cannot be signed", code="zone_key")


def parse_key(text: str, *, name: str) -> bytes:
    """A key given as 64 hex digits (32 bytes)."""
    if not re.fullmatch(r"[0-9a-fA-F]{64}", text or ""):
        raise ZoneError(f"{name} 须为 64 位十六进制数字（32 字节）",
                        f"{name} must be 64 hex digits (32 bytes)", code="zone_key")
    return bytes.fromhex(text)


def direction_key(master: bytes, direction: str) -> bytes:
    """One key per direction, derived from the shared master key (HKDF-SM3): a message signed
    for one direction never verifies in the other."""
    require_sm3()
    return HKDF(algorithm=hashes.SM3(), length=32, salt=None,
                info=f"wengang-zone/{direction}".encode()).derive(master)


def sign(body: dict, key: bytes) -> str:
    mac = crypto_hmac.HMAC(key, hashes.SM3())
    mac.update(canonical(body))
    return mac.finalize().hex()


def encode(message: Message, key: bytes) -> bytes:
    body = message.body()
    return canonical({**body, "signature": sign(body, key)})


def decode(data: bytes, key: bytes, *, direction: str) -> Message:
    """The message in ``data`` if it is well formed, of ``direction`` and signed with ``key``."""
    try:
        document = json.loads(data.decode("utf-8"))
    except (UnicodeDecodeError, json.JSONDecodeError) as error:
        raise ZoneError(f"不是有效的 JSON：{error}", f"not valid JSON: {error}",
                        code="zone_malformed") from None
    if not isinstance(document, dict) or set(document) != {*FIELDS, "signature"}:
        raise ZoneError("消息字段不完整或有多余字段", "the message's fields are missing or extra",
                        code="zone_malformed")
    body = {name: document[name] for name in FIELDS}
    expected = sign(body, key)
    if not isinstance(document["signature"], str) or not hmac.compare_digest(
            expected, document["signature"]):
        raise ZoneError("签名不符：消息被改动，或密钥不一致", "the signature does not match: the "
                        "message was altered, or the keys differ", code="zone_signature")
    if body["format"] != FORMAT:
        raise ZoneError(f"不支持的消息格式 {body['format']}", f"unsupported format {body['format']}",
                        code="zone_malformed")
    if body["direction"] != direction or body["sender"] != SENDER[direction]:
        raise ZoneError(f"方向不符：应为 {direction}（发送方 {SENDER[direction]}）",
                        f"wrong direction: expected {direction} from {SENDER[direction]}",
                        code="zone_direction")
    sequence = body["sequence"]
    if not isinstance(sequence, int) or isinstance(sequence, bool) or sequence < 1:
        raise ZoneError("序号须为正整数", "the sequence must be a positive integer",
                        code="zone_malformed")
    if not isinstance(body["payload"], dict) or not isinstance(body["kind"], str):
        raise ZoneError("消息类型或内容格式错误", "kind or payload malformed", code="zone_malformed")
    return Message(direction=direction, sequence=sequence, kind=body["kind"],
                   created_at=str(body["created_at"]), payload=body["payload"],
                   sender=body["sender"])


def write_atomically(folder: Path, name: str, data: bytes) -> Path:
    """Write ``folder/name`` so that a reader sees the whole file or none of it."""
    folder.mkdir(parents=True, exist_ok=True)
    target = folder / name
    temporary = folder / f".{name}.tmp"
    with open(temporary, "wb") as handle:
        handle.write(data)
        handle.flush()
        os.fsync(handle.fileno())
    os.replace(temporary, target)
    return target


def spooled(folder: Path, direction: str) -> list[tuple[int, Path]]:
    """The message files of ``direction`` waiting in ``folder``, by sequence (temporary files
    and anything else are left alone)."""
    if not folder.is_dir():
        return []
    found = []
    for path in folder.iterdir():
        match = FILE_NAME.match(path.name)
        if match and match.group(1) == direction and path.is_file():
            found.append((int(match.group(2)), path))
    return sorted(found)


def sha256(data: bytes) -> str:
    return hashlib.sha256(data).hexdigest()


# --- sealed fields -----------------------------------------------------------------------------
# An account number an enterprise enters on the internet portal must reach the intranet, but
# neither the internet database (its outbox) nor the spool file may hold it in clear: it travels
# sealed with SM4-GCM under a key derived from the inward key, opened only by the intranet.

def _sm4_key(key: bytes) -> bytes:
    return HKDF(algorithm=hashes.SM3(), length=16, salt=None,
                info=b"wengang-zone/sealed-field").derive(key)


def seal_field(key: bytes, text: str) -> str:
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    nonce = os.urandom(12)
    encryptor = Cipher(algorithms.SM4(_sm4_key(key)), modes.GCM(nonce)).encryptor()
    sealed = encryptor.update(text.encode()) + encryptor.finalize()
    return base64.b64encode(nonce + encryptor.tag + sealed).decode()


def open_field(key: bytes, token: str) -> str:
    from cryptography.exceptions import InvalidTag
    from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes

    try:
        raw = base64.b64decode(token, validate=True)
        nonce, tag, sealed = raw[:12], raw[12:28], raw[28:]
        decryptor = Cipher(algorithms.SM4(_sm4_key(key)), modes.GCM(nonce, tag)).decryptor()
        return (decryptor.update(sealed) + decryptor.finalize()).decode()
    except (ValueError, InvalidTag):
        raise ZoneError("加密字段无法解开", "a sealed field cannot be opened",
                        code="zone_sealed") from None
