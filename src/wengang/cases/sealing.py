"""Account numbers at rest: sealed with SM4-GCM, found again by a keyed SM3 digest, shown masked.

    sealed = seal_account("6222000011112222", owner="91360102MA35XXXX0X")
    sealed.masked                          # ****2222 — what people see
    sealed.digest                          # HMAC-SM3: equal accounts, equal digests (duplicates)
    open_account(sealed.sealed, owner=…)   # the number, for the bank file only

A stolen database or backup yields no account numbers, and whoever can write to the database
cannot move one unit's account onto another unit's case to redirect a refund: the owner's USCC
is the cipher's associated data, so a moved ciphertext no longer opens (``FieldKeyError``). The
digest is keyed, so it cannot be reversed by hashing every possible account number.

The key comes only from ``WENGANG_FIELD_KEY`` (64 hex digits); in development (``DEBUG``) one is
generated once into the data directory, like the secret key. Two keys are derived from it, one
per purpose. Sealed text names its algorithm and key (``sm4gcm1:<key id>:<base64>``), so data
sealed under another key is refused by name instead of failing as noise.
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

from wengang.core.ids import mask_account
from wengang.core.keys import hex_key

from .errors import FieldKeyError

KEY_ENV = "WENGANG_FIELD_KEY"
_SCHEME = "sm4gcm1"
_NONCE_BYTES = 12
_TAG_BYTES = 16


@dataclass(frozen=True)
class SealedAccount:
    """What is stored for one account number: never the number itself."""

    sealed: str
    digest: str
    masked: str


@dataclass(frozen=True)
class _Keys:
    cipher: bytes
    digest: bytes
    key_id: str


def _read_master_key() -> bytes:
    from django.conf import settings

    # The deployment's mode decides, as settings reads it (Django's test runner turns
    # ``settings.DEBUG`` off, not the development machine's data directory).
    return hex_key(KEY_ENV, dev_file=Path(settings.DATA_DIR) / "field_key", error=FieldKeyError,
                   use_zh="无法加密账号", use_en="account numbers cannot be sealed")


@cache
def _keys() -> _Keys:
    if not default_backend().hash_supported(hashes.SM3()):
        raise FieldKeyError("当前 OpenSSL 不支持 SM3/SM4，无法加密账号",
                            "this OpenSSL lacks SM3/SM4: account numbers cannot be sealed")
    material = HKDF(algorithm=hashes.SM3(), length=48, salt=None,
                    info=b"wengang account numbers").derive(_read_master_key())
    cipher, digest = material[:16], material[16:]
    key_id = hmac.new(digest, b"key id", "sha256").hexdigest()[:8]
    return _Keys(cipher=cipher, digest=digest, key_id=key_id)


def reset_keys() -> None:
    """Forget the cached keys (tests that change ``WENGANG_FIELD_KEY``)."""
    _keys.cache_clear()


def account_digest(number: str) -> str:
    """The keyed digest (HMAC-SM3, hex) of an account number: equal numbers, equal digests."""
    mac = crypto_hmac.HMAC(_keys().digest, hashes.SM3())
    mac.update(number.encode("ascii"))
    return mac.finalize().hex()


def seal_account(number: str, *, owner: str) -> SealedAccount:
    """Seal ``number`` for the unit ``owner`` (its USCC); an empty number seals to empty."""
    if not number:
        return SealedAccount("", "", "")
    keys = _keys()
    nonce = os.urandom(_NONCE_BYTES)
    encryptor = Cipher(algorithms.SM4(keys.cipher), modes.GCM(nonce)).encryptor()
    encryptor.authenticate_additional_data(owner.encode("ascii"))
    body = encryptor.update(number.encode("ascii")) + encryptor.finalize() + encryptor.tag
    sealed = f"{_SCHEME}:{keys.key_id}:{base64.b64encode(nonce + body).decode('ascii')}"
    return SealedAccount(sealed=sealed, digest=account_digest(number), masked=mask_account(number))


def open_account(sealed: str, *, owner: str) -> str:
    """The account number sealed for ``owner``; refuses another key, owner or altered text."""
    if not sealed:
        return ""
    keys = _keys()
    try:
        scheme, key_id, text = sealed.split(":")
        raw = base64.b64decode(text, validate=True)
    except ValueError:
        raise FieldKeyError("账号密文格式不正确", "a sealed account number is malformed") from None
    if scheme != _SCHEME or key_id != keys.key_id:
        raise FieldKeyError(f"账号由另一密钥（{scheme}:{key_id}）加密，当前密钥为 {keys.key_id}",
                            f"the account was sealed under another key ({scheme}:{key_id}); "
                            f"the current key is {keys.key_id}")
    nonce, body, tag = raw[:_NONCE_BYTES], raw[_NONCE_BYTES:-_TAG_BYTES], raw[-_TAG_BYTES:]
    decryptor = Cipher(algorithms.SM4(keys.cipher), modes.GCM(nonce, tag)).decryptor()
    decryptor.authenticate_additional_data(owner.encode("ascii"))
    try:
        return (decryptor.update(body) + decryptor.finalize()).decode("ascii")
    except InvalidTag:
        raise FieldKeyError(f"账号密文无法用单位 {owner} 解开：已被改动或属于其他单位",
                            f"the sealed account does not open for unit {owner}: altered, or "
                            "it belongs to another unit") from None
