"""SMS gateways: how a login code reaches the contact phone on record.

``WENGANG_SMS_URL`` names an HTTP endpoint that takes ``POST {"phone": …, "text": …}`` as JSON
and answers 2xx once it has accepted the message. Without it, a development machine
(``WENGANG_SMS_OUTBOX``, on when DEBUG is) writes messages to the outbox table, where the demo and
the tests read them; production without a gateway refuses to send rather than pretend.
"""

import json
import urllib.error
import urllib.request
from typing import Protocol

from django.conf import settings
from django.utils import timezone

from .errors import GatewayError
from .models import SmsOutbox

TIMEOUT_SECONDS = 5


class SmsGateway(Protocol):
    def send(self, phone: str, text: str) -> None: ...


class HttpGateway:
    """Posts each message to the configured endpoint; anything but 2xx is a failure."""

    def __init__(self, url: str, *, timeout: float = TIMEOUT_SECONDS) -> None:
        self.url = url
        self.timeout = timeout

    def send(self, phone: str, text: str) -> None:
        body = json.dumps({"phone": phone, "text": text}, ensure_ascii=False).encode("utf-8")
        request = urllib.request.Request(self.url, data=body, method="POST",
                                         headers={"Content-Type": "application/json"})
        try:
            with urllib.request.urlopen(request, timeout=self.timeout) as response:
                response.read()
        except urllib.error.HTTPError as error:
            raise GatewayError(f"HTTP {error.code}") from error
        except (urllib.error.URLError, TimeoutError, OSError) as error:
            raise GatewayError(type(error).__name__) from error


class OutboxGateway:
    """Keeps messages in ``SmsOutbox`` (development and demo only)."""

    def send(self, phone: str, text: str) -> None:
        SmsOutbox.objects.create(phone=phone, text=text, sent_at=timezone.now())


class UnconfiguredGateway:
    def send(self, phone: str, text: str) -> None:
        raise GatewayError("WENGANG_SMS_URL not set")


def default_gateway() -> SmsGateway:
    if settings.WENGANG_SMS_URL:
        return HttpGateway(settings.WENGANG_SMS_URL)
    return OutboxGateway() if settings.WENGANG_SMS_OUTBOX else UnconfiguredGateway()
