"""A fake SMS gateway for the load test: a real HTTP server on 127.0.0.1, as the one
``accounts.sms.HttpGateway`` posts to (``POST {"phone", "text"}`` → 2xx).

    .venv/bin/python bench/load/sms_gateway.py --port 8190

It keeps the last login code sent to each phone; the load test's enterprises read theirs with
``GET /codes/<phone>`` (404 until one arrives), as a person reads the message on the phone.
"""

import argparse
import json
import re
import threading
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

_CODE = re.compile(r"验证码为 ([0-9]{6})")


class Outbox:
    def __init__(self) -> None:
        self.codes: dict[str, str] = {}
        self.received = 0
        self.lock = threading.Lock()


def handler(outbox: Outbox) -> type[BaseHTTPRequestHandler]:
    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            try:
                message = json.loads(self.rfile.read(length))
                phone, text = message["phone"], message["text"]
            except (ValueError, KeyError, TypeError):
                self._answer(400, b"phone and text expected")
                return
            found = _CODE.search(text)
            with outbox.lock:
                outbox.received += 1
                if found:
                    outbox.codes[phone] = found.group(1)
            self._answer(200, b"{}")

        def do_GET(self) -> None:
            if self.path == "/stats":
                self._answer(200, json.dumps({"received": outbox.received}).encode())
                return
            phone = self.path.removeprefix("/codes/")
            with outbox.lock:
                code = outbox.codes.get(phone)
            self._answer(200, code.encode()) if code else self._answer(404)

        def log_message(self, *args) -> None:  # one line per message would cost the test CPU
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, default=8190)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(Outbox()))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
