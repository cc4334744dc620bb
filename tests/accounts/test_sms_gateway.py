"""The HTTP SMS gateway, against a real local HTTP server standing in for the operator's."""

import json
import threading
from datetime import datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Self

import pytest

from tests.screening.builder import make_uscc
from wengang.accounts import login
from wengang.accounts.errors import GatewayError
from wengang.accounts.models import SmsCode
from wengang.accounts.sms import HttpGateway, OutboxGateway, UnconfiguredGateway, default_gateway
from wengang.cases.models import Unit
from wengang.core.clock import CHINA

T0 = datetime(2020, 4, 30, 9, 0, tzinfo=CHINA)


class FakeSmsServer:
    """Answers ``status`` to every POST and keeps what it received."""

    def __init__(self, status: int = 200) -> None:
        self.status = status
        self.received: list[dict] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self):
                length = int(self.headers["Content-Length"])
                outer.received.append({"content_type": self.headers["Content-Type"],
                                       "body": json.loads(self.rfile.read(length))})
                self.send_response(outer.status)
                self.end_headers()

            def log_message(self, *args):
                pass

        self.server = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.url = f"http://127.0.0.1:{self.server.server_port}/sms"
        self.thread = threading.Thread(target=self.server.serve_forever, daemon=True)

    def __enter__(self) -> Self:
        self.thread.start()
        return self

    def __exit__(self, *exc) -> None:
        self.server.shutdown()
        self.server.server_close()


def test_the_gateway_posts_phone_and_text_as_json():
    with FakeSmsServer() as server:
        HttpGateway(server.url).send("13800380012", "【稳岗通】验证码 123456")
    assert server.received == [{"content_type": "application/json",
                                "body": {"phone": "13800380012", "text": "【稳岗通】验证码 123456"}}]


@pytest.mark.django_db
def test_a_refused_message_changes_nothing_and_says_why():
    unit = Unit.objects.create(uscc=make_uscc(1), name="单位", unit_type="enterprise",
                               region_code="360102", contact_phone="13800380012", updated_at=T0)
    with FakeSmsServer(status=503) as server, pytest.raises(GatewayError) as refused:
        login.request_code(unit.uscc, ip="203.0.113.9", now=T0, gateway=HttpGateway(server.url))
    assert "HTTP 503" in str(refused.value) and "短信发送失败" in str(refused.value)
    assert len(server.received) == 1 and SmsCode.objects.count() == 0


def test_an_unreachable_gateway_is_a_gateway_error():
    with FakeSmsServer() as server:
        url = server.url
    with pytest.raises(GatewayError):
        HttpGateway(url, timeout=2).send("13800380012", "x")


@pytest.mark.parametrize(("url", "outbox", "expected"), [
    ("http://127.0.0.1:9/sms", True, HttpGateway),   # a configured gateway always wins
    ("", True, OutboxGateway),                        # development and demo
    ("", False, UnconfiguredGateway),                 # production without a gateway refuses
])
def test_the_gateway_comes_from_settings(settings, url, outbox, expected):
    settings.WENGANG_SMS_URL, settings.WENGANG_SMS_OUTBOX = url, outbox
    assert type(default_gateway()) is expected


def test_production_without_a_gateway_refuses_to_send():
    with pytest.raises(GatewayError):
        UnconfiguredGateway().send("13800380012", "x")
