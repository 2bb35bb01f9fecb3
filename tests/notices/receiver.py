"""A webhook receiver on 127.0.0.1 (free port) that checks signatures and records every delivery id.

`block` holds the response to chosen requests (by arrival order, from 1) until the receiver closes: the
sender then waits mid-delivery, after the agency got the notice but before it could mark it delivered.
"""

from __future__ import annotations

import json
import threading
import time
from dataclasses import dataclass
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any

from collectguard.notices import signing


@dataclass(frozen=True)
class Delivery:
    id: str
    attempt: int
    verified: bool
    body: dict[str, Any]


class Receiver:
    def __init__(self, secret: str, *, block: frozenset[int] = frozenset(), status: int = 200) -> None:
        self.secret = secret
        self.block = block
        self.status = status
        self.deliveries: list[Delivery] = []
        self._seen = threading.Condition()
        self._release = threading.Event()
        self.server = ThreadingHTTPServer(("127.0.0.1", 0), self._handler())
        self.server.daemon_threads = True
        self.url = f"http://127.0.0.1:{self.server.server_address[1]}/hooks/stop"
        self._thread = threading.Thread(target=self.server.serve_forever, daemon=True)
        self._thread.start()

    @property
    def ids(self) -> list[str]:
        with self._seen:
            return [d.id for d in self.deliveries]

    def wait_for(self, count: int, timeout: float = 15.0) -> None:
        with self._seen:
            if not self._seen.wait_for(lambda: len(self.deliveries) >= count, timeout):
                raise AssertionError(f"receiver saw {len(self.deliveries)} deliveries, expected {count}")

    def close(self) -> None:
        self._release.set()
        self.server.shutdown()
        self.server.server_close()

    def _handler(self) -> type[BaseHTTPRequestHandler]:
        outer = self

        class Handler(BaseHTTPRequestHandler):
            def do_POST(self) -> None:
                raw = self.rfile.read(int(self.headers.get("Content-Length", "0")))
                headers = {k: v for k, v in self.headers.items()}
                ok = signing.verify(outer.secret, headers, raw, now=time.time(), tolerance_s=600)
                with outer._seen:
                    outer.deliveries.append(Delivery(headers.get(signing.DELIVERY, ""),
                                                     int(headers.get(signing.ATTEMPT, "0")), ok, json.loads(raw)))
                    n = len(outer.deliveries)
                    outer._seen.notify_all()
                if n in outer.block:
                    outer._release.wait()
                    return
                code = outer.status if ok else 401
                self.send_response(code)
                self.send_header("Content-Length", "0")
                self.end_headers()

            def log_message(self, *args: Any) -> None:
                pass

            def handle(self) -> None:
                try:
                    super().handle()
                except (BrokenPipeError, ConnectionResetError):
                    pass

        return Handler
