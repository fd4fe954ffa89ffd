"""A receiver of outbound webhooks for the tests: a real HTTP server on 127.0.0.1 that
verifies every delivery with the `standardwebhooks` library and answers as scripted."""

from __future__ import annotations

import threading
import time
from collections.abc import Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer

from standardwebhooks import Webhook


@dataclass
class Received:
    webhook_id: str
    body: bytes
    verified: bool
    # When it arrived (`time.perf_counter`, comparable within this process).
    at: float = field(default_factory=time.perf_counter)


@dataclass
class Receiver:
    port: int
    secret: str = ""
    # Status codes to answer, in turn; the last one repeats.
    script: list[int] = field(default_factory=lambda: [200])
    received: list[Received] = field(default_factory=list)
    lock: threading.Lock = field(default_factory=threading.Lock)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.port}/hook"

    def answer(self, webhook_id: str, body: bytes, headers: dict[str, str]) -> int:
        try:
            Webhook(self.secret).verify(body, headers)
            verified = True
        except Exception:
            verified = False
        with self.lock:
            self.received.append(Received(webhook_id, body, verified))
            n = len(self.received)
        return self.script[min(n, len(self.script)) - 1]


@contextmanager
def receiving(script: list[int] | None = None) -> Iterator[Receiver]:
    receiver: Receiver | None = None

    class Handler(BaseHTTPRequestHandler):
        def do_POST(self) -> None:
            assert receiver is not None
            length = int(self.headers.get("content-length", "0"))
            body = self.rfile.read(length)
            if len(body) < length:
                # The sender died mid-request (a killed worker): no delivery arrived, as a
                # real receiver would see it. The attempt is made again, whole.
                self.send_response(400)
                self.send_header("content-length", "0")
                self.end_headers()
                return
            headers = {k.lower(): v for k, v in self.headers.items()}
            status = receiver.answer(headers.get("webhook-id", ""), body, headers)
            self.send_response(status)
            if 300 <= status < 400:
                self.send_header("location", f"http://127.0.0.1:{receiver.port}/elsewhere")
            self.send_header("content-length", "0")
            self.end_headers()

        def log_message(self, format: str, *args: object) -> None:
            return

    class Server(ThreadingHTTPServer):
        # Many deliveries may arrive at once (a restarted worker catching up): the standard
        # library's backlog of 5 would drop connections a real receiver accepts.
        request_queue_size = 256
        daemon_threads = True

    server = Server(("127.0.0.1", 0), Handler)
    receiver = Receiver(port=server.server_address[1], script=script or [200])
    thread = threading.Thread(target=server.serve_forever, daemon=True)
    thread.start()
    try:
        yield receiver
    finally:
        server.shutdown()
        server.server_close()
