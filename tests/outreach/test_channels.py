"""Each adapter against a real local server shaped like its gateway."""

import base64
import hashlib
import hmac
import json
import socketserver
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from urllib.parse import parse_qsl, quote, urlsplit

import pytest

from wengang.outreach.channels import (
    CloudSmsGateway,
    EmailGateway,
    Message,
    OutboxFileGateway,
    WechatGateway,
    from_environment,
)
from wengang.outreach.errors import ChannelNotConfigured, GatewayRejected, GatewayUnavailable

MESSAGE = Message(idempotency_key="wg-notice-7", address="13800000001", subject="稳岗返还：已拨付",
                  text="【稳岗返还】已拨付 1,000.00 元", template_code="SMS_123",
                  params={"amount": "1,000.00"}, link="https://wg.example.cn/outreach/c/7")


class Server:
    """A local HTTP server answering each POST with ``answer(path, query, headers, body)``."""

    def __init__(self, answer):
        self.requests: list[tuple[str, dict, bytes]] = []
        outer = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"

            def log_message(self, *args):
                pass

            def do_POST(self):
                body = self.rfile.read(int(self.headers["Content-Length"]))
                parts = urlsplit(self.path)
                outer.requests.append((parts.path, dict(parse_qsl(parts.query)), body))
                status, payload = answer(parts.path, dict(parse_qsl(parts.query)), self.headers, body)
                data = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Length", str(len(data)))
                self.end_headers()
                self.wfile.write(data)

        self.httpd = ThreadingHTTPServer(("127.0.0.1", 0), Handler)
        self.httpd.daemon_threads = True
        threading.Thread(target=self.httpd.serve_forever, daemon=True).start()
        self.url = f"http://127.0.0.1:{self.httpd.server_address[1]}"

    def close(self):
        self.httpd.shutdown()
        self.httpd.server_close()


def cloud_signature(params: dict[str, str], secret: str) -> str:
    """The cloud SMS RPC signature, written out from its documentation."""
    def enc(value):
        return quote(value, safe="-_.~")
    query = "&".join(f"{enc(k)}={enc(v)}" for k, v in sorted(params.items()) if k != "Signature")
    to_sign = "POST&%2F&" + enc(query)
    return base64.b64encode(hmac.new((secret + "&").encode(), to_sign.encode(),
                                     hashlib.sha1).digest()).decode()


@pytest.mark.parametrize(("code", "outcome"), [
    ("OK", "accepted"), ("isv.BUSINESS_LIMIT_CONTROL", GatewayUnavailable),
    ("isv.MOBILE_NUMBER_ILLEGAL", GatewayRejected),
])
def test_the_cloud_shaped_sms_adapter(code, outcome):
    def answer(path, query, headers, body):
        params = dict(parse_qsl(body.decode()))
        assert params["Signature"] == cloud_signature(params, "cloud-secret")
        return 200, {"Code": code, "Message": "msg", "BizId": "biz-1", "RequestId": "r"}

    server = Server(answer)
    try:
        gateway = CloudSmsGateway(server.url + "/", key="AK", secret="cloud-secret", sign_name="稳岗通")
        if outcome == "accepted":
            assert gateway.send(MESSAGE).message_id == "biz-1"
        else:
            with pytest.raises(outcome):
                gateway.send(MESSAGE)
        sent = dict(parse_qsl(server.requests[0][2].decode()))
        assert (sent["Action"], sent["PhoneNumbers"], sent["TemplateCode"], sent["OutId"],
                sent["SignName"]) == ("SendSms", "13800000001", "SMS_123", "wg-notice-7", "稳岗通")
        assert json.loads(sent["TemplateParam"]) == {"amount": "1,000.00"}
    finally:
        server.close()


@pytest.mark.parametrize(("errcode", "outcome"), [
    (0, "accepted"), (-1, GatewayUnavailable), (45009, GatewayUnavailable),
    (43004, GatewayRejected),
])
def test_the_wechat_template_message_adapter(errcode, outcome):
    server = Server(lambda *_: (200, {"errcode": errcode, "errmsg": "x", "msgid": 4242}))
    try:
        gateway = WechatGateway(server.url, access_token="TOKEN")
        if outcome == "accepted":
            assert gateway.send(MESSAGE).message_id == "4242"
        else:
            with pytest.raises(outcome):
                gateway.send(MESSAGE)
        path, query, body = server.requests[0]
        sent = json.loads(body)
        assert (path, query) == ("/cgi-bin/message/template/send", {"access_token": "TOKEN"})
        assert (sent["touser"], sent["client_msg_id"], sent["url"]) == (
            "13800000001", "wg-notice-7", MESSAGE.link)
        assert sent["data"]["remark"]["value"] == MESSAGE.text
    finally:
        server.close()


def test_an_http_error_status_is_retried_or_rejected():
    for status, error in ((503, GatewayUnavailable), (429, GatewayUnavailable),
                          (400, GatewayRejected)):
        server = Server(lambda *_, status=status: (status, {}))
        try:
            with pytest.raises(error):
                WechatGateway(server.url, access_token="T").send(MESSAGE)
        finally:
            server.close()


class SmtpServer(socketserver.ThreadingTCPServer):
    """Just enough SMTP to take mail: HELO/EHLO, MAIL, RCPT, DATA, QUIT (and refuse a box)."""

    daemon_threads = True
    allow_reuse_address = True

    def __init__(self, refuse: str = ""):
        self.messages: list[tuple[str, bytes]] = []
        self.refuse = refuse
        super().__init__(("127.0.0.1", 0), SmtpHandler)
        threading.Thread(target=self.serve_forever, daemon=True).start()


class SmtpHandler(socketserver.StreamRequestHandler):
    def reply(self, line: str):
        self.wfile.write(line.encode() + b"\r\n")

    def handle(self):
        self.reply("220 fake ESMTP")
        recipient = ""
        while line := self.rfile.readline():
            command = line.decode().strip()
            verb = command.split(" ", 1)[0].upper()
            if verb in ("EHLO", "HELO"):
                self.reply("250 fake")
            elif verb == "MAIL":
                self.reply("250 OK")
            elif verb == "RCPT":
                recipient = command.split(":", 1)[1].strip("<> ")
                self.reply("550 no such box" if recipient == self.server.refuse else "250 OK")
            elif verb == "DATA":
                self.reply("354 go on")
                data = b""
                while (chunk := self.rfile.readline()) != b".\r\n":
                    data += chunk
                self.server.messages.append((recipient, data))
                self.reply("250 queued")
            elif verb == "QUIT":
                self.reply("221 bye")
                return
            else:
                self.reply("250 OK")


def smtp_mailer(port: int) -> dict:
    return {"default": {"BACKEND": "django.core.mail.backends.smtp.EmailBackend",
                        "OPTIONS": {"host": "127.0.0.1", "port": port, "timeout": 2}}}


@pytest.fixture
def smtp(settings):
    server = SmtpServer(refuse="nobody@example.cn")
    settings.MAILERS = smtp_mailer(server.server_address[1])
    yield server
    server.shutdown()
    server.server_close()


def test_email_goes_through_django_mail_with_the_key_in_the_message_id(smtp):
    message = Message(**{**MESSAGE.__dict__, "address": "hr@example.cn"})
    accepted = EmailGateway(from_email="notice@wg.example.cn").send(message)
    (recipient, data), = smtp.messages
    assert recipient == "hr@example.cn"
    assert b"X-Wengang-Idempotency-Key: wg-notice-7" in data
    assert "wg-notice-7" in accepted.message_id


def test_a_refused_mailbox_is_rejected(smtp):
    message = Message(**{**MESSAGE.__dict__, "address": "nobody@example.cn"})
    with pytest.raises(GatewayRejected):
        EmailGateway(from_email="notice@wg.example.cn").send(message)


def test_a_mail_server_that_is_down_is_retried(settings):
    settings.MAILERS = smtp_mailer(9)
    with pytest.raises(GatewayUnavailable):
        EmailGateway().send(Message(**{**MESSAGE.__dict__, "address": "hr@example.cn"}))


def test_the_outbox_file_writes_each_message_once(tmp_path):
    path = tmp_path / "out.jsonl"
    OutboxFileGateway(path).send(MESSAGE)
    OutboxFileGateway(path).send(MESSAGE)  # a retry after a crash: a new process, same key
    lines = path.read_text(encoding="utf-8").splitlines()
    assert len(lines) == 1 and json.loads(lines[0])["text"] == MESSAGE.text


def test_an_unconfigured_gateway_says_which_variable_to_set(monkeypatch):
    monkeypatch.delenv("WENGANG_OUTREACH_SMS_URL", raising=False)
    with pytest.raises(ChannelNotConfigured) as error:
        from_environment("sms")
    assert "WENGANG_OUTREACH_SMS_URL" in str(error.value)


def test_a_keep_alive_connection_the_gateway_closed_is_reopened_at_once():
    """A gateway that drops idle connections without saying so costs no message a retry."""
    class ClosesAfterEachAnswer(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"
        answered = 0

        def log_message(self, *args):
            pass

        def do_POST(self):
            self.rfile.read(int(self.headers["Content-Length"]))
            type(self).answered += 1
            data = json.dumps({"errcode": 0, "msgid": type(self).answered}).encode()
            self.send_response(200)
            self.send_header("Content-Length", str(len(data)))
            self.end_headers()
            self.wfile.write(data)
            self.close_connection = True  # and no "Connection: close" header: a silent close

    httpd = ThreadingHTTPServer(("127.0.0.1", 0), ClosesAfterEachAnswer)
    threading.Thread(target=httpd.serve_forever, daemon=True).start()
    try:
        gateway = WechatGateway(f"http://127.0.0.1:{httpd.server_address[1]}", access_token="T")
        assert [gateway.send(MESSAGE).message_id for _ in range(3)] == ["1", "2", "3"]
    finally:
        httpd.shutdown()
        httpd.server_close()


@pytest.mark.django_db
def test_a_wechat_contact_gets_its_template_message_end_to_end(make_case):
    from wengang.cases.models import Action, State
    from wengang.outreach.models import Channel, Contact, Notice, Status
    from wengang.outreach.planning import derive
    from wengang.outreach.sending import send_pending

    from .conftest import NOON, at, options

    case = make_case(State.APPROVED, action=Action.APPROVED, amount_fen=250_050)
    Contact.objects.create(unit=case.unit, channel=Channel.WECHAT, address="oOPENID123")
    make_case(State.APPROVED, action=Action.APPROVED)  # no WeChat contact: no message
    assert derive(channels=[Channel.WECHAT], now=NOON) == 1
    server = Server(lambda *_: (200, {"errcode": 0, "errmsg": "ok", "msgid": 77}))
    try:
        send_pending(Channel.WECHAT, gateway=WechatGateway(server.url, access_token="T"),
                     options=options(), now=at(NOON))
    finally:
        server.close()
    (_, _, body), = server.requests
    sent = json.loads(body)
    notice = Notice.objects.get()
    assert sent["touser"] == "oOPENID123" and sent["client_msg_id"] == notice.idempotency_key
    assert "2,500.50元已通过部门联审" in sent["data"]["remark"]["value"]
    assert (notice.status, notice.gateway_message_id) == (Status.SENT, "77")
