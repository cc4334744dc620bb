"""A fake SMS gateway: a real HTTP server on 127.0.0.1 for tests, benchmarks and rehearsals.

It speaks the generic JSON protocol of ``channels.JsonSmsGateway`` (checking the signature) and
behaves like a real gateway in the ways that matter: it remembers idempotency keys (a repeated
key is the same message, answered with the same id, never sent twice), and it can be told to
misbehave, request by request: ``"500"`` (fail before taking the message), ``"timeout"`` (take
the message, then answer too late — the case the idempotency key exists for), ``"slow"``
(answer after ``slow_seconds``, within the time-out). ``receipts()`` gives the signed delivery
receipts it would post back, to replay (twice, if you like) against our callback.

    python -m wengang.outreach.fakes --port 8025 --secret s3cret   # serve until interrupted
"""

import argparse
import json
import threading
import time
from collections import Counter
from datetime import UTC, datetime
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from .signing import sign


class FakeSmsGateway:
    def __init__(self, *, secret: str = "fake-secret", script: list[str] | None = None,
                 slow_seconds: float = 0.2, late_seconds: float = 1.5, port: int = 0) -> None:
        self.secret = secret
        self.script = list(script or [])
        self.slow_seconds, self.late_seconds = slow_seconds, late_seconds
        self.accepted: dict[str, dict] = {}  # idempotency key → the message as first taken
        self.sent_to_phone: Counter[str] = Counter()
        self.requests = 0
        self.bad_signatures = 0
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", port), self._handler())
        self._server.daemon_threads = True
        self._thread: threading.Thread | None = None

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}/sms"

    def start(self) -> "FakeSmsGateway":
        self._thread = threading.Thread(target=self._server.serve_forever, daemon=True)
        self._thread.start()
        return self

    def stop(self) -> None:
        self._server.shutdown()
        self._server.server_close()

    def __enter__(self) -> "FakeSmsGateway":  # noqa: PYI034 — start() returns self
        return self.start()

    def __exit__(self, *exc) -> None:
        self.stop()

    def _next_mode(self) -> str:
        with self._lock:
            self.requests += 1
            return self.script.pop(0) if self.script else "ok"

    def _take(self, message: dict) -> str:
        """Take a message once per idempotency key; return its gateway message id."""
        key = message["idempotency_key"]
        with self._lock:
            if key not in self.accepted:
                self.accepted[key] = message | {"message_id": f"fake-{len(self.accepted) + 1}"}
                self.sent_to_phone[message["phone"]] += 1
            return self.accepted[key]["message_id"]

    def receipts(self, *, failed: frozenset[str] = frozenset()) -> list[tuple[dict[str, str], bytes]]:
        """Signed receipt requests (headers, body) for every message taken; keys in ``failed``
        are reported undelivered."""
        with self._lock:
            items = [{"idempotency_key": key, "message_id": m["message_id"],
                      "status": "failed" if key in failed else "delivered",
                      "error": "UNDELIV 关机" if key in failed else ""}
                     for key, m in self.accepted.items()]
        body = json.dumps({"receipts": items}, ensure_ascii=False).encode()
        timestamp = str(int(datetime.now(UTC).timestamp()))
        return [({"X-Wengang-Timestamp": timestamp,
                  "X-Wengang-Signature": sign(self.secret, timestamp, body)}, body)]

    def _handler(self):
        gateway = self

        class Handler(BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"  # keep-alive, as a real gateway
            # Headers and body go out in two writes: without this, Nagle's algorithm holds the
            # body for the client's delayed ACK (40 ms a request).
            disable_nagle_algorithm = True

            def log_message(self, *args) -> None:
                pass

            def _answer(self, status: int, payload: dict) -> None:
                body = json.dumps(payload).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                self.end_headers()
                self.wfile.write(body)

            def do_POST(self) -> None:
                body = self.rfile.read(int(self.headers.get("Content-Length", 0)))
                expected = sign(gateway.secret, self.headers.get("X-Wengang-Timestamp", ""), body)
                if self.headers.get("X-Wengang-Signature") != expected:
                    gateway.bad_signatures += 1
                    return self._answer(401, {"error": "bad signature"})
                mode = gateway._next_mode()
                if mode == "500":
                    return self._answer(500, {"error": "internal error"})
                message_id = gateway._take(json.loads(body))
                if mode == "timeout":
                    time.sleep(gateway.late_seconds)
                    try:
                        self._answer(200, {"message_id": message_id})
                    except OSError:
                        pass
                    return
                if mode == "slow":
                    time.sleep(gateway.slow_seconds)
                self._answer(200, {"message_id": message_id})

        return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--port", type=int, default=8025)
    parser.add_argument("--secret", default="fake-secret")
    args = parser.parse_args()
    fake = FakeSmsGateway(secret=args.secret, port=args.port)
    print(fake.url, flush=True)
    fake._server.serve_forever()


if __name__ == "__main__":
    main()
