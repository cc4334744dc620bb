"""Secret keys: only from the environment, except on a development machine.

    key = hex_key("WENGANG_FIELD_KEY", dev_file=data_dir / "field_key", error=FieldKeyError,
                  use_zh="无法加密账号", use_en="account numbers cannot be sealed")
    ring = keyring("WENGANG_FIELD_KEYS", error=FieldKeyError, named={"3f2a9c1e": original})

A 32-byte key is given as 64 hex digits. Production (``WENGANG_DEBUG=0``) without the variable
refuses to start the work; a development machine generates one once into ``dev_file`` (readable
by its owner only), so a fresh checkout runs with no configuration and no key is ever written
in the source.
"""

import os
import re
import secrets
from pathlib import Path

from .errors import CoreError


def hex_key(env: str, *, dev_file: Path, error: type[CoreError], use_zh: str, use_en: str) -> bytes:
    """The key in ``env``; ``error`` (with what cannot be done: ``use_zh`` / ``use_en``) if none."""
    text = os.environ.get(env, "").strip()
    if not text:
        if os.environ.get("WENGANG_DEBUG", "1") != "1":
            raise error(f"未设置 {env}（64 位十六进制密钥），{use_zh}",
                        f"{env} (64 hex digits) must be set when WENGANG_DEBUG=0: {use_en}")
        if not dev_file.exists():
            dev_file.parent.mkdir(parents=True, exist_ok=True)
            dev_file.write_text(secrets.token_hex(32))
            dev_file.chmod(0o600)
        text = dev_file.read_text().strip()
    key = _hex32(text)
    if key is None:
        raise error(f"{env} 应为 64 位十六进制数字（32 字节）", f"{env} must be 64 hex digits (32 bytes)")
    return key


KEY_ID = re.compile(r"^[A-Za-z0-9_-]{1,16}$")
"""A key's name in a keyring: it is written into every value the key seals."""


def _hex32(text: str) -> bytes | None:
    try:
        key = bytes.fromhex(text)
    except ValueError:
        return None
    return key if len(key) == 32 else None


def keyring(env: str, *, error: type[CoreError], named: dict[str, bytes] | None = None
            ) -> list[tuple[str, bytes]]:
    """The keys in ``env`` (``id:hex,id:hex``), in order: the first is the current key.

    An entry may also be the bare id of a key in ``named`` (a key the deployment already has,
    such as one derived from an older single-key setting), to keep it in the ring by name; left
    out, it is retired. Empty when ``env`` is unset. Ids are 1–16 letters, digits, ``_`` or
    ``-`` and unique; keys are 64 hex digits. Anything else is refused naming the entry's place
    (never its key material).
    """
    text = os.environ.get(env, "").strip()
    ring: list[tuple[str, bytes]] = []
    for number, entry in enumerate((e.strip() for e in text.split(",")) if text else (), start=1):
        key_id, _, material = entry.partition(":")
        if not KEY_ID.match(key_id):
            raise error(f"{env} 第 {number} 项的密钥标识不正确（应为 1–16 位字母、数字、_ 或 -）",
                        f"{env} entry {number}: the key id must be 1-16 letters, digits, _ or -")
        if any(key_id == known for known, _ in ring):
            raise error(f"{env} 中密钥标识 {key_id} 重复", f"{env} names key {key_id} twice")
        if material and key_id in (named or {}):
            raise error(f"{env} 第 {number} 项：{key_id} 是已有密钥的标识，只写标识即可，不能另给密钥",
                        f"{env} entry {number}: {key_id} names an existing key; give the id alone")
        if not material:
            if key_id not in (named or {}):
                raise error(f"{env} 第 {number} 项 {key_id} 没有密钥，也不是已有密钥的标识",
                            f"{env} entry {number}: {key_id} has no key and names no known key")
            ring.append((key_id, (named or {})[key_id]))
            continue
        key = _hex32(material)
        if key is None:
            raise error(f"{env} 第 {number} 项（{key_id}）应为 64 位十六进制数字（32 字节）",
                        f"{env} entry {number} ({key_id}) must be 64 hex digits (32 bytes)")
        ring.append((key_id, key))
    return ring
