"""A local HTTP server on 127.0.0.1 for testing live clients: real sockets, canned answers, every request recorded.

    def answer(request: StubRequest) -> StubResponse:
        if request.path == "/v1/me/playlists":
            return StubResponse(json={"items": [], "next": None})
        return StubResponse(status=404, json={"error": {"status": 404, "message": "no such page"}})

    with StubServer(answer) as server:
        client.prefix = server.url + "/v1/"
        ...
        assert [r.path for r in server.requests] == ["/v1/me/playlists"]
"""

from __future__ import annotations

import json
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from http.server import BaseHTTPRequestHandler, ThreadingHTTPServer
from typing import Any
from urllib.parse import parse_qs, urlsplit


@dataclass(frozen=True)
class StubRequest:
    """One request as the server received it."""

    method: str
    path: str  # without the query string
    query: dict[str, str]  # last value of each parameter
    headers: dict[str, str]
    body: bytes


@dataclass(frozen=True)
class StubResponse:
    """What to answer: a JSON document (or raw bytes), a status, headers, and an optional delay before answering."""

    status: int = 200
    json: Any = None
    body: bytes | None = None  # sent as is when given (e.g. malformed JSON)
    headers: dict[str, str] = field(default_factory=dict)
    delay: float = 0.0  # seconds to wait before answering (to provoke client timeouts)
    hang_up: bool = False  # close the connection without answering (a server going down mid-request)

    def payload(self) -> bytes:
        if self.body is not None:
            return self.body
        return b"" if self.json is None else json.dumps(self.json).encode("utf-8")


Handler = Callable[[StubRequest], StubResponse]


class StubServer:
    """Serves ``handler``'s answers on ``http://127.0.0.1:<free port>`` in a background thread."""

    def __init__(self, handler: Handler):
        self.handler = handler
        self.requests: list[StubRequest] = []
        self._lock = threading.Lock()
        self._server = ThreadingHTTPServer(("127.0.0.1", 0), self._request_handler_class())
        self._server.daemon_threads = True
        self._thread = threading.Thread(target=self._server.serve_forever, args=(0.05,), daemon=True)  # quick shutdown

    @property
    def url(self) -> str:
        host, port = self._server.server_address[:2]
        return f"http://{host}:{port}"

    def paths(self) -> list[str]:
        """The paths requested so far, in order."""
        with self._lock:
            return [request.path for request in self.requests]

    def __enter__(self) -> StubServer:
        self._thread.start()
        return self

    def __exit__(self, *exc_info) -> None:
        self._server.shutdown()
        self._server.server_close()
        self._thread.join()

    def _record_and_answer(self, request: StubRequest) -> StubResponse:
        with self._lock:
            self.requests.append(request)
        return self.handler(request)

    def _request_handler_class(self) -> type[BaseHTTPRequestHandler]:
        server = self

        class RequestHandler(BaseHTTPRequestHandler):
            def _handle(self) -> None:
                parts = urlsplit(self.path)
                length = int(self.headers.get("Content-Length") or 0)
                request = StubRequest(
                    method=self.command,
                    path=parts.path,
                    query={key: values[-1] for key, values in parse_qs(parts.query).items()},
                    headers={key.lower(): value for key, value in self.headers.items()},
                    body=self.rfile.read(length) if length else b"",
                )
                response = server._record_and_answer(request)
                if response.hang_up:
                    self.close_connection = True
                    return
                if response.delay:
                    time.sleep(response.delay)
                payload = response.payload()
                try:
                    self.send_response(response.status)
                    self.send_header("Content-Type", "application/json; charset=utf-8")
                    self.send_header("Content-Length", str(len(payload)))
                    for name, value in response.headers.items():
                        self.send_header(name, value)
                    self.end_headers()
                    self.wfile.write(payload)
                except (BrokenPipeError, ConnectionResetError):
                    pass  # the client gave up (a timeout test)

            do_GET = do_POST = do_PUT = do_DELETE = _handle

            def log_message(self, format: str, *args: Any) -> None:
                pass  # keep test output clean

        return RequestHandler
