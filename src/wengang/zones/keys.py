"""The keys of the exchange, from the environment only (never the database, never a file the
other zone's gateway could carry).

``WENGANG_ZONE_KEY`` (64 hex digits) is shared by both instances; each direction signs with its
own key derived from it (``envelope.direction_key``). ``WENGANG_ZONE_KEY_INWARD`` and
``WENGANG_ZONE_KEY_OUTWARD`` (64 hex digits each), when set, replace the derived key of that
direction, so a province can rotate or hold them apart.
"""

import os

from .envelope import INWARD, OUTWARD, ZoneError, direction_key, parse_key, require_sm3


def direction_keys() -> dict[str, bytes]:
    require_sm3()
    keys: dict[str, bytes] = {}
    for direction in (INWARD, OUTWARD):
        own = os.environ.get(f"WENGANG_ZONE_KEY_{direction.upper()}", "")
        if own:
            keys[direction] = parse_key(own, name=f"WENGANG_ZONE_KEY_{direction.upper()}")
            continue
        master = os.environ.get("WENGANG_ZONE_KEY", "")
        if not master:
            raise ZoneError("未设置 WENGANG_ZONE_KEY（两个实例须使用同一密钥）",
                            "WENGANG_ZONE_KEY is not set (both instances need the same key)",
                            code="zone_key")
        keys[direction] = direction_key(parse_key(master, name="WENGANG_ZONE_KEY"), direction)
    return keys
