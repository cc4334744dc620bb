"""A fake SMS gateway for the soak test: a real HTTP server on 127.0.0.1 that writes down every
message it is handed (``outreach.channels.JsonSmsGateway``'s JSON POST), one JSON line each.

    .venv/bin/python bench/soak/sms_gateway.py --port 55490 --log var-soak/run/sms.jsonl

The checks then count, per phone and case link, how many distinct idempotency keys arrived (a
notice told twice would be two keys) and how often one key came again (a resend after a killed
worker: the gateway answers with the same message id, as real gateways do).
"""

import argparse
import json
import threading
import time
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer


def handler(log_path: str) -> type[BaseHTTPRequestHandler]:
    lock = threading.Lock()
    log = open(log_path, "a", buffering=1)  # noqa: SIM115 — open for the server's life

    class Handler(BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def _answer(self, status: int, body: bytes = b"") -> None:
            self.send_response(status)
            self.send_header("Content-Type", "application/json")
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            self.wfile.write(body)

        def do_POST(self) -> None:
            length = int(self.headers.get("Content-Length", "0"))
            try:
                message = json.loads(self.rfile.read(length))
                key = message["idempotency_key"]
                entry = {"t": time.time(), "key": key, "phone": message["phone"],
                         "template": message.get("template_code", ""),
                         "link": (message.get("params") or {}).get("link", "")}
            except (ValueError, KeyError, TypeError):
                self._answer(400, b'{"error": "phone, text and idempotency_key expected"}')
                return
            with lock:
                log.write(json.dumps(entry, ensure_ascii=False) + "\n")
            self._answer(200, json.dumps({"message_id": f"fake-{key}"}).encode())

        def log_message(self, *args) -> None:
            pass

    return Handler


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--port", type=int, required=True)
    parser.add_argument("--log", required=True)
    args = parser.parse_args()
    server = ThreadingHTTPServer(("127.0.0.1", args.port), handler(args.log))
    server.daemon_threads = True
    server.serve_forever()


if __name__ == "__main__":
    main()
