"""Secret keys: only from the environment, except on a development machine.

    key = hex_key("WENGANG_FIELD_KEY", dev_file=data_dir / "field_key", error=FieldKeyError,
                  use_zh="无法加密账号", use_en="account numbers cannot be sealed")

A 32-byte key is given as 64 hex digits. Production (``WENGANG_DEBUG=0``) without the variable
refuses to start the work; a development machine generates one once into ``dev_file`` (readable
by its owner only), so a fresh checkout runs with no configuration and no key is ever written
in the source.
"""

import os
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
    try:
        key = bytes.fromhex(text)
    except ValueError:
        key = b""
    if len(key) != 32:
        raise error(f"{env} 应为 64 位十六进制数字（32 字节）", f"{env} must be 64 hex digits (32 bytes)")
    return key
