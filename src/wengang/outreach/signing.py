"""The HMAC signature our gateways and their receipts carry (no Django: the fake gateway uses it)."""

import hashlib
import hmac


def sign(secret: str, timestamp: str, body: bytes) -> str:
    """HMAC-SHA256 over ``timestamp`` + newline + body, hex.

    The timestamp is signed too, so a captured request cannot be replayed later with a new one.
    """
    return hmac.new(secret.encode(), timestamp.encode() + b"\n" + body, hashlib.sha256).hexdigest()
