"""Account and resident ID numbers at rest: sealed with SM4-GCM, found again by a keyed SM3
digest (a blind index), shown masked. Sealing keys rotate; the index key does not.

    sealed = seal_account("6222000011112222", owner="91360102MA35XXXX0X")
    sealed.masked                          # ****2222 — what people see
    sealed.digest                          # HMAC-SM3: equal accounts, equal digests (search)
    open_account(sealed.sealed, owner=…)   # the number, for the bank file only
    seal_resident_id("360102199001011234", owner=…)   # the same for a person's ID number

A stolen database or backup yields no numbers, and whoever can write to the database cannot
move one unit's value onto another unit's record to redirect a refund: the owner's USCC (and,
for ID numbers, the kind) is the cipher's associated data, so a moved ciphertext no longer
opens (``FieldKeyError``). The digest is keyed, so it cannot be reversed by hashing every
possible number.

Keys come only from the environment (in development, ``WENGANG_FIELD_KEY`` is generated once
into the data directory, like the secret key):

- ``WENGANG_FIELD_KEY`` (64 hex digits), the root field key. It keys the blind indexes (one
  derived key per kind of number) and derives the original sealing key. The index key is never
  rotated: digests are how records are found, and an exported payment's digest is frozen
  (payments migration 0002).
- ``WENGANG_FIELD_KEYS`` (optional): the sealing keyring, ``id:hex,id:hex``; the **first**
  seals, all open. Unset: the original key seals. To rotate, put a new key first and keep the
  old ones (by ``id:hex``, or the original key by its bare id, e.g. ``k2027:…,3f2a9c1e``), run
  ``wengang oversight rotate-keys``, then drop the old entries: they are retired.

Sealed text names its scheme and key, ``sm4gcm1:<key id>:<base64 nonce‖ciphertext‖tag>``, so a
value is opened by the key that sealed it, and one sealed under a key no longer in the ring is
refused by name instead of failing as noise.
"""

import base64
import hmac
import os
from dataclasses import dataclass
from functools import cache
from pathlib import Path

from cryptography.exceptions import InvalidTag
from cryptography.hazmat.backends import default_backend
from cryptography.hazmat.primitives import hashes
from cryptography.hazmat.primitives import hmac as crypto_hmac
from cryptography.hazmat.primitives.ciphers import Cipher, algorithms, modes
from cryptography.hazmat.primitives.kdf.hkdf import HKDF

from wengang.core.ids import mask_account, mask_resident_id
from wengang.core.keys import hex_key, keyring

from .errors import FieldKeyError

KEY_ENV = "WENGANG_FIELD_KEY"
KEYRING_ENV = "WENGANG_FIELD_KEYS"
SCHEME = "sm4gcm1"
_NONCE_BYTES = 12
_TAG_BYTES = 16


@dataclass(frozen=True)
class Kind:
    """A kind of sealed number: how it is bound, indexed, masked and named in errors."""

    name: str
    aad_prefix: str
    """Prefixed to the owner as associated data (empty for accounts, as first sealed)."""
    label_zh: str
    label_en: str

    def aad(self, owner: str) -> bytes:
        return f"{self.aad_prefix}{owner}".encode("ascii")


ACCOUNT = Kind("account", "", "账号", "account number")
RESIDENT_ID = Kind("resident_id", "resident_id:", "身份证号码", "resident ID number")


@dataclass(frozen=True)
class Sealed:
    """What is stored for one number: never the number itself."""

    sealed: str
    digest: str
    masked: str


SealedAccount = Sealed  # the name account callers knew first


@dataclass(frozen=True)
class _Keys:
    current: str
    """The id of the key that seals."""
    ciphers: dict[str, bytes]
    """Every sealing key in the ring, by id: each opens what it sealed."""
    index: dict[str, bytes]
    """The blind-index key of each kind."""


def _read_root_key() -> bytes:
    from django.conf import settings

    # The deployment's mode decides, as settings reads it (Django's test runner turns
    # ``settings.DEBUG`` off, not the development machine's data directory).
    return hex_key(KEY_ENV, dev_file=Path(settings.DATA_DIR) / "field_key", error=FieldKeyError,
                   use_zh="无法加密账号与身份证号码",
                   use_en="account and ID numbers cannot be sealed")


def _derive(root: bytes, info: bytes, length: int) -> bytes:
    return HKDF(algorithm=hashes.SM3(), length=length, salt=None, info=info).derive(root)


@cache
def _keys() -> _Keys:
    if not default_backend().hash_supported(hashes.SM3()):
        raise FieldKeyError("当前 OpenSSL 不支持 SM3/SM4，无法加密账号与身份证号码",
                            "this OpenSSL lacks SM3/SM4: account and ID numbers cannot be sealed")
    root = _read_root_key()
    # The derivation accounts were first sealed with: original sealing key and account index.
    material = _derive(root, b"wengang account numbers", 48)
    original, account_index = material[:16], material[16:]
    original_id = hmac.new(account_index, b"key id", "sha256").hexdigest()[:8]
    ring = _ring(original_id, original)
    return _Keys(current=ring[0][0], ciphers=dict(ring),
                 index={ACCOUNT.name: account_index,
                        RESIDENT_ID.name: _derive(root, b"wengang resident id index", 32)})


def _ring(original_id: str, original: bytes) -> list[tuple[str, bytes]]:
    """The sealing keys, current first: ``WENGANG_FIELD_KEYS``, else the original key alone.

    Keys given as ``id:hex`` are derived down to SM4's 16 bytes with HKDF-SM3; the original key
    is named by its bare id."""
    entries = keyring(KEYRING_ENV, error=FieldKeyError, named={original_id: original})
    if not entries:
        return [(original_id, original)]
    return [(key_id, key if key_id == original_id else _derive(key, b"wengang field sealing", 16))
            for key_id, key in entries]


def reset_keys() -> None:
    """Forget the cached keys (tests that change the key settings)."""
    _keys.cache_clear()


def current_key_id() -> str:
    """The id of the key that seals now (``rotate-keys`` re-seals everything else under it)."""
    return _keys().current


def sealed_prefix() -> str:
    """The start of every value sealed under the current key (to find the others in SQL)."""
    return f"{SCHEME}:{current_key_id()}:"


def _digest(kind: Kind, number: str) -> str:
    mac = crypto_hmac.HMAC(_keys().index[kind.name], hashes.SM3())
    mac.update(number.encode("ascii"))
    return mac.finalize().hex()


def _seal_text(kind: Kind, number: str, owner: str) -> str:
    keys = _keys()
    nonce = os.urandom(_NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(keys.ciphers[keys.current]), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(kind.aad(owner))
    body = encryptor.update(number.encode("ascii")) + encryptor.finalize() + encryptor.tag
    return f"{SCHEME}:{keys.current}:{base64.b64encode(nonce + body).decode('ascii')}"


def _open(kind: Kind, sealed: str, owner: str) -> str:
    if not sealed:
        return ""
    keys = _keys()
    try:
        scheme, key_id, text = sealed.split(":")
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise FieldKeyError(f"{kind.label_zh}密文格式不正确",
                            f"a sealed {kind.label_en} is malformed") from None
    if scheme != SCHEME or key_id not in keys.ciphers:
        raise FieldKeyError(f"{kind.label_zh}由另一密钥（{scheme}:{key_id}）加密，不在当前密钥环中"
                            f"（{', '.join(keys.ciphers)}）",
                            f"the {kind.label_en} was sealed under another key ({scheme}:{key_id}),"
                            f" not in the keyring ({', '.join(keys.ciphers)})")
    nonce, body, tag = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:-_TAG_BYTES], raw[-_TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(keys.ciphers[key_id]), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(kind.aad(owner))
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode("ascii")
    except InvalidTag:
        raise FieldKeyError(f"{kind.label_zh}密文无法用单位 {owner} 解开：已被改动或属于其他单位",
                            f"the sealed {kind.label_en} does not open for unit {owner}: altered, "
                            "or it belongs to another unit") from None


def reseal(kind: Kind, sealed: str, *, owner: str) -> str:
    """``sealed`` under the current key: opened with the key that sealed it, sealed again."""
    if not sealed or sealed.startswith(sealed_prefix()):
        return sealed
    return _seal_text(kind, _open(kind, sealed, owner), owner)


# --- account numbers -----------------------------------------------------------------------

def account_digest(number: str) -> str:
    """The keyed digest (HMAC-SM3, hex) of an account number: equal numbers, equal digests."""
    return _digest(ACCOUNT, number)


def seal_account(number: str, *, owner: str) -> Sealed:
    """Seal ``number`` for the unit ``owner`` (its USCC); an empty number seals to empty."""
    if not number:
        return Sealed("", "", "")
    return Sealed(_seal_text(ACCOUNT, number, owner), account_digest(number), mask_account(number))


def open_account(sealed: str, *, owner: str) -> str:
    """The account number sealed for ``owner``; refuses an unknown key, owner or altered text."""
    return _open(ACCOUNT, sealed, owner)


# --- resident ID numbers -------------------------------------------------------------------

def _normal_id(number: str) -> str:
    return number.strip().upper()  # the check character X is written either way


def resident_id_digest(number: str) -> str:
    """The blind index of a resident ID number (its own key: it never equals an account's)."""
    return _digest(RESIDENT_ID, _normal_id(number))


def seal_resident_id(number: str, *, owner: str) -> Sealed:
    """Seal a person's resident ID number for the unit ``owner``. Validate it first
    (``core.ids.validate_resident_id``): sealing takes any text."""
    number = _normal_id(number)
    if not number:
        return Sealed("", "", "")
    return Sealed(_seal_text(RESIDENT_ID, number, owner), resident_id_digest(number),
                  mask_resident_id(number))


def open_resident_id(sealed: str, *, owner: str) -> str:
    """The resident ID number sealed for ``owner``."""
    return _open(RESIDENT_ID, sealed, owner)
