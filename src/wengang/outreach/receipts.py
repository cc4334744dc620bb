"""Delivery receipts: the gateway tells us, later, whether a message reached the phone.

A receipt is matched by our idempotency key (``wg-notice-<id>``, echoed by the gateways) or by
the gateway's message id. Receipts are idempotent (gateways repeat them): a delivered notice
stays delivered; a failure is recorded only for a notice that was sent and not yet delivered.
A receipt may overtake the answer to the send itself: it then marks the notice delivered and
the sender keeps it so (``sending.settle_sql``).
"""

import hmac
import json
from dataclasses import dataclass
from datetime import UTC, datetime

from django.db.models import Q

from wengang.core.clock import clock

from .errors import ReceiptInvalid, SignatureInvalid
from .models import Notice, Status
from .signing import sign

MAX_SKEW_SECONDS = 300
"""A signed receipt older (or newer) than this is refused: it may be a replay."""


@dataclass(frozen=True)
class Receipt:
    key: str
    """Our idempotency key, or the gateway's message id."""
    delivered: bool
    error: str = ""


def verify(*, gateway: str, secret: str, timestamp: str, signature: str, body: bytes,
           now: datetime | None = None) -> None:
    """Refuse a receipt not signed with ``secret`` (``channels.sign``) within the time window."""
    try:
        age = abs(int((now or datetime.now(UTC)).timestamp()) - int(timestamp))
    except ValueError:
        raise SignatureInvalid(gateway) from None
    if age > MAX_SKEW_SECONDS or not hmac.compare_digest(sign(secret, timestamp, body), signature):
        raise SignatureInvalid(gateway)


def parse(gateway: str, body: bytes) -> list[Receipt]:
    """Read receipts in either shape: ours (``{"receipts": [...]}`` or one object), or the
    cloud SMS one (a list of ``{"out_id", "biz_id", "success", "err_code", "err_msg"}``)."""
    try:
        data = json.loads(body)
    except ValueError:
        raise ReceiptInvalid(gateway, "not JSON") from None
    items = data.get("receipts", [data]) if isinstance(data, dict) else data
    if not isinstance(items, list):
        raise ReceiptInvalid(gateway, "expected a list of receipts")
    receipts = []
    for item in items:
        if not isinstance(item, dict):
            raise ReceiptInvalid(gateway, "a receipt is not an object")
        if "success" in item:  # the cloud shape
            key = item.get("out_id") or item.get("biz_id")
            delivered = bool(item["success"])
            error = "" if delivered else f"{item.get('err_code', '')} {item.get('err_msg', '')}"
        else:
            key = item.get("idempotency_key") or item.get("message_id")
            if item.get("status") not in ("delivered", "failed"):
                raise ReceiptInvalid(gateway, f"status {item.get('status')!r}")
            delivered = item["status"] == "delivered"
            error = str(item.get("error", ""))
        if not key:
            raise ReceiptInvalid(gateway, "a receipt names no message")
        receipts.append(Receipt(str(key), delivered, error.strip()[:255]))
    return receipts


def _matching(keys: list[str]):
    ids = [int(k.removeprefix("wg-notice-")) for k in keys
           if k.startswith("wg-notice-") and k.removeprefix("wg-notice-").isdigit()]
    return Notice.objects.filter(Q(pk__in=ids) | Q(gateway_message_id__in=keys))


def apply(receipts: list[Receipt]) -> int:
    """Record the receipts; return how many notices changed."""
    now = clock.now()
    delivered = [r.key for r in receipts if r.delivered]
    changed = 0
    if delivered:
        changed += (_matching(delivered).filter(status=Status.SENT)
                    .update(status=Status.DELIVERED, delivered_at=now))
        # In flight (the send's own answer not recorded yet): the sender will keep it delivered.
        changed += (_matching(delivered).filter(status=Status.PENDING, delivered_at__isnull=True)
                    .update(delivered_at=now))
    for receipt in receipts:
        if not receipt.delivered:
            changed += (_matching([receipt.key]).filter(status=Status.SENT)
                        .update(status=Status.FAILED, error=receipt.error or "未送达 / undelivered"))
    return changed
