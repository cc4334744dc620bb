"""Channels: how a rendered notice leaves the system (one adapter per kind of gateway).

Every adapter has one synchronous ``send(message) -> Accepted`` (so login codes could use the
SMS adapters as they are) and raises ``GatewayUnavailable`` (worth retrying: 5xx, time-out,
refused connection) or ``GatewayRejected`` (the gateway said no). Each message carries its
``idempotency_key``, the same on every attempt: a gateway that took a message whose answer we
never got (a time-out) takes the retry as the same message. HTTP adapters keep one connection
per thread (keep-alive): the sender runs several threads.

``from_environment(channel)`` builds the configured adapter (see docs/outreach.md).
"""

import base64
import hashlib
import hmac
import http.client
import json
import os
import smtplib
import threading
import uuid
from dataclasses import dataclass, field
from datetime import UTC, datetime
from email.utils import make_msgid
from pathlib import Path
from typing import Protocol
from urllib.parse import quote, urlencode, urlsplit

from django.conf import settings
from django.core.mail import EmailMessage

from .errors import ChannelNotConfigured, GatewayRejected, GatewayUnavailable
from .models import Channel
from .signing import sign

TIMEOUT_SECONDS = 5.0


@dataclass(frozen=True)
class Message:
    """One rendered notice for one address."""

    idempotency_key: str
    address: str
    subject: str
    text: str
    template_code: str = ""
    params: dict[str, str] = field(default_factory=dict)
    link: str = ""


@dataclass(frozen=True)
class Accepted:
    """The gateway took the message; ``delivered``: it is in the recipient's hands already."""

    message_id: str
    delivered: bool = False


class Gateway(Protocol):
    name: str

    def send(self, message: Message) -> Accepted: ...


class _Http:
    """POSTs over one keep-alive connection per thread; maps failures to our two errors."""

    def __init__(self, name: str, url: str, timeout: float) -> None:
        self.name, self.url, self.timeout = name, url, timeout
        parts = urlsplit(url)
        self._https = parts.scheme == "https"
        self._host, self._port = parts.hostname or "", parts.port
        self._path = parts.path or "/"
        self._local = threading.local()

    def _connection(self) -> http.client.HTTPConnection:
        conn = getattr(self._local, "conn", None)
        if conn is None:
            kind = http.client.HTTPSConnection if self._https else http.client.HTTPConnection
            conn = self._local.conn = kind(self._host, self._port, timeout=self.timeout)
        return conn

    def post(self, body: bytes, headers: dict[str, str], *, query: str = "") -> tuple[int, bytes]:
        path = f"{self._path}?{query}" if query else self._path
        conn = self._connection()
        reused = conn.sock is not None
        try:
            conn.request("POST", path, body=body, headers=headers)
            response = conn.getresponse()
            data = response.read()
        except TimeoutError:
            self._drop()
            raise GatewayUnavailable(self.name, "time-out") from None
        except (http.client.RemoteDisconnected, ConnectionResetError, BrokenPipeError) as error:
            self._drop()
            if not reused:
                raise GatewayUnavailable(self.name, type(error).__name__) from error
            # The server closed an idle keep-alive connection: say it again on a new one
            # (safe: the idempotency key makes it the same message).
            return self.post(body, headers, query=query)
        except (OSError, http.client.HTTPException) as error:
            self._drop()
            raise GatewayUnavailable(self.name, type(error).__name__) from error
        if response.status >= 500 or response.status == 429:
            raise GatewayUnavailable(self.name, f"HTTP {response.status}")
        if response.status >= 400:
            raise GatewayRejected(self.name, f"HTTP {response.status} {data[:200]!r}")
        return response.status, data

    def _drop(self) -> None:
        conn = getattr(self._local, "conn", None)
        if conn is not None:
            conn.close()
            self._local.conn = None


def _json(gateway: str, data: bytes) -> dict:
    try:
        answer = json.loads(data or b"{}")
    except ValueError:
        # The gateway took the request but garbled its answer: retrying with the same
        # idempotency key is safe and tells us the message id.
        raise GatewayUnavailable(gateway, "unreadable answer") from None
    if not isinstance(answer, dict):
        raise GatewayUnavailable(gateway, "unreadable answer")
    return answer


class JsonSmsGateway:
    """A generic SMS gateway: ``POST {"phone", "text", "template_code", "params", …}`` as JSON.

    Signed with ``X-Wengang-Timestamp`` and ``X-Wengang-Signature`` (``sign``), keyed by
    ``X-Wengang-Key``; the ``Idempotency-Key`` header (and body field) names the message.
    Answers 2xx ``{"message_id": …}``; 4xx rejects, 5xx/429 and time-outs are retried.
    """

    def __init__(self, url: str, *, key: str, secret: str, sign_name: str = "",
                 timeout: float = TIMEOUT_SECONDS, name: str = "sms-json") -> None:
        self.name = name
        self.key, self.secret, self.sign_name = key, secret, sign_name
        self._http = _Http(name, url, timeout)

    def send(self, message: Message) -> Accepted:
        body = json.dumps({"phone": message.address, "text": message.text,
                           "template_code": message.template_code, "params": message.params,
                           "sign_name": self.sign_name,
                           "idempotency_key": message.idempotency_key},
                          ensure_ascii=False).encode()
        timestamp = str(int(datetime.now(UTC).timestamp()))
        _, data = self._http.post(body, {
            "Content-Type": "application/json; charset=utf-8", "X-Wengang-Key": self.key,
            "X-Wengang-Timestamp": timestamp, "X-Wengang-Signature": sign(self.secret, timestamp, body),
            "Idempotency-Key": message.idempotency_key})
        answer = _json(self.name, data)
        return Accepted(str(answer.get("message_id") or message.idempotency_key))


class CloudSmsGateway:
    """An SMS API shaped like the widely used cloud one (``Action=SendSms``, RPC signature).

    Form-encoded ``PhoneNumbers``, ``SignName``, ``TemplateCode``, ``TemplateParam`` (JSON) and
    ``OutId`` (our idempotency key, echoed in receipts), signed HMAC-SHA1 over the sorted,
    percent-encoded parameters with ``secret&``. ``{"Code": "OK", "BizId": …}`` is success;
    throttling codes are retried, other codes reject.
    """

    RETRY_CODES = frozenset({"isv.BUSINESS_LIMIT_CONTROL", "Throttling.User", "SignatureNonceUsed",
                             "ServiceUnavailable", "InternalError"})

    def __init__(self, url: str, *, key: str, secret: str, sign_name: str,
                 timeout: float = TIMEOUT_SECONDS, name: str = "sms-cloud") -> None:
        self.name = name
        self.key, self.secret, self.sign_name = key, secret, sign_name
        self._http = _Http(name, url, timeout)

    @staticmethod
    def _encode(value: str) -> str:
        return quote(value, safe="-_.~")

    def signature(self, params: dict[str, str]) -> str:
        canonical = "&".join(f"{self._encode(k)}={self._encode(v)}" for k, v in sorted(params.items()))
        to_sign = f"POST&{self._encode('/')}&{self._encode(canonical)}"
        digest = hmac.new(f"{self.secret}&".encode(), to_sign.encode(), hashlib.sha1).digest()
        return base64.b64encode(digest).decode()

    def send(self, message: Message) -> Accepted:
        params = {
            "AccessKeyId": self.key, "Action": "SendSms", "Format": "JSON",
            "PhoneNumbers": message.address, "SignName": self.sign_name,
            "TemplateCode": message.template_code,
            "TemplateParam": json.dumps(message.params, ensure_ascii=False),
            "OutId": message.idempotency_key, "RegionId": "cn-hangzhou",
            "SignatureMethod": "HMAC-SHA1", "SignatureNonce": uuid.uuid4().hex,
            "SignatureVersion": "1.0", "Timestamp": datetime.now(UTC).strftime("%Y-%m-%dT%H:%M:%SZ"),
            "Version": "2017-05-25"}
        params["Signature"] = self.signature(params)
        _, data = self._http.post(urlencode(params).encode(),
                                  {"Content-Type": "application/x-www-form-urlencoded"})
        answer = _json(self.name, data)
        code = str(answer.get("Code", ""))
        if code == "OK":
            return Accepted(str(answer.get("BizId", "")))
        error = f"{code} {answer.get('Message', '')}".strip()
        if code in self.RETRY_CODES:
            raise GatewayUnavailable(self.name, error)
        raise GatewayRejected(self.name, error)


class WechatGateway:
    """WeChat official-account template messages (``/cgi-bin/message/template/send``).

    ``client_msg_id`` is WeChat's own guard against sending one message twice; errcode -1
    (busy) and 45009 (quota) are retried, other codes reject.
    """

    RETRY_CODES = frozenset({-1, 45009})

    def __init__(self, url: str, *, access_token: str, timeout: float = TIMEOUT_SECONDS,
                 name: str = "wechat") -> None:
        self.name = name
        self.access_token = access_token
        self._http = _Http(name, url.rstrip("/") + "/cgi-bin/message/template/send", timeout)

    def send(self, message: Message) -> Accepted:
        body = json.dumps({
            "touser": message.address, "template_id": message.template_code,
            "url": message.link, "client_msg_id": message.idempotency_key,
            "data": {"first": {"value": message.subject}, "remark": {"value": message.text},
                     **{k: {"value": v} for k, v in message.params.items()}}},
            ensure_ascii=False).encode()
        _, data = self._http.post(body, {"Content-Type": "application/json; charset=utf-8"},
                                  query=urlencode({"access_token": self.access_token}))
        answer = _json(self.name, data)
        code = int(answer.get("errcode", 0))
        if code == 0:
            return Accepted(str(answer.get("msgid", "")))
        error = f"errcode {code} {answer.get('errmsg', '')}".strip()
        if code in self.RETRY_CODES:
            raise GatewayUnavailable(self.name, error)
        raise GatewayRejected(self.name, error)


class EmailGateway:
    """E-mail through Django's mail settings (``EMAIL_HOST`` …); the key is in the Message-ID."""

    name = "email"

    def __init__(self, *, from_email: str | None = None) -> None:
        self.from_email = from_email or settings.DEFAULT_FROM_EMAIL

    def send(self, message: Message) -> Accepted:
        message_id = make_msgid(idstring=message.idempotency_key, domain="wengang")
        mail = EmailMessage(message.subject, message.text, self.from_email, [message.address],
                            headers={"Message-ID": message_id,
                                     "X-Wengang-Idempotency-Key": message.idempotency_key})
        try:
            mail.send(fail_silently=False)
        except smtplib.SMTPRecipientsRefused as error:
            raise GatewayRejected(self.name, f"recipient refused {message.address}") from error
        except (smtplib.SMTPException, OSError) as error:
            raise GatewayUnavailable(self.name, type(error).__name__) from error
        return Accepted(message_id)


class InboxGateway:
    """The in-site inbox: the notice row itself is the message, in the enterprise's hands now."""

    name = "inbox"

    def send(self, message: Message) -> Accepted:
        return Accepted(message.idempotency_key, delivered=True)


class OutboxFileGateway:
    """Appends each message as a JSON line to a file: the embedded default, no gateway needed.

    An operator (or the demo) hands the file on; a key already written is not written again.
    """

    name = "outbox"

    def __init__(self, path: Path) -> None:
        self.path = path
        self._lock = threading.Lock()
        self._written: set[str] | None = None

    def _keys(self) -> set[str]:
        if self._written is None:
            self._written = set()
            if self.path.exists():
                with self.path.open(encoding="utf-8") as lines:
                    self._written = {json.loads(line)["key"] for line in lines if line.strip()}
        return self._written

    def send(self, message: Message) -> Accepted:
        with self._lock:
            if message.idempotency_key not in self._keys():
                self.path.parent.mkdir(parents=True, exist_ok=True)
                line = json.dumps({"key": message.idempotency_key, "to": message.address,
                                   "subject": message.subject, "text": message.text,
                                   "at": datetime.now(UTC).isoformat()}, ensure_ascii=False)
                with self.path.open("a", encoding="utf-8") as out:
                    out.write(line + "\n")
                self._written.add(message.idempotency_key)
        return Accepted(message.idempotency_key)


def outbox_path() -> Path:
    return Path(os.environ.get("WENGANG_OUTREACH_OUTBOX", settings.DATA_DIR / "outbox" / "notices.jsonl"))


def _env(channel: str, name: str) -> str:
    value = os.environ.get(name, "")
    if not value:
        raise ChannelNotConfigured(channel, name)
    return value


def gateway_timeout() -> float:
    """Seconds a gateway may take to answer one message (``WENGANG_OUTREACH_TIMEOUT``)."""
    return float(os.environ.get("WENGANG_OUTREACH_TIMEOUT", TIMEOUT_SECONDS))


def from_environment(channel: str) -> Gateway:
    """The adapter configured for ``channel`` (environment variables: docs/outreach.md)."""
    timeout = gateway_timeout()
    if channel == Channel.INBOX:
        return InboxGateway()
    if channel == Channel.OUTBOX:
        return OutboxFileGateway(outbox_path())
    if channel == Channel.SMS:
        url = _env(channel, "WENGANG_OUTREACH_SMS_URL")
        kind = os.environ.get("WENGANG_OUTREACH_SMS_KIND", "json")
        options = {"key": os.environ.get("WENGANG_OUTREACH_SMS_KEY", ""),
                   "secret": _env(channel, "WENGANG_OUTREACH_SMS_SECRET"),
                   "sign_name": os.environ.get("WENGANG_OUTREACH_SMS_SIGN_NAME", "稳岗通"),
                   "timeout": timeout}
        return CloudSmsGateway(url, **options) if kind == "cloud" else JsonSmsGateway(url, **options)
    if channel == Channel.WECHAT:
        return WechatGateway(_env(channel, "WENGANG_OUTREACH_WECHAT_URL"),
                             access_token=_env(channel, "WENGANG_OUTREACH_WECHAT_TOKEN"),
                             timeout=timeout)
    if channel == Channel.EMAIL:
        return EmailGateway()
    raise ChannelNotConfigured(channel, "—（外呼名单请用 wengang notify calls / use call lists）")
