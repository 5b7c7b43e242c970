"""A real static Helm repository server on 127.0.0.x for tests: HTTP or HTTPS, basic or bearer auth, ETag and
Last-Modified, gzip, redirects, and faults (dropped connections, slow bodies, odd statuses)."""

from __future__ import annotations

import base64
import contextlib
import email.utils
import gzip
import hashlib
import http.server
import socket
import ssl
import threading
import time
from collections.abc import Callable
from dataclasses import dataclass, field
from typing import Any

from tests.support.quiet_server import QuietHTTPServer


@dataclass
class Recorded:
    method: str
    path: str
    headers: dict[str, str]


@dataclass
class Fault:
    """How to misbehave on one path."""

    status: int | None = None  # answer this status with `body`
    body: bytes = b""
    content_type: str = "text/plain"
    headers: dict[str, str] = field(default_factory=dict)
    truncate_after: int | None = None  # send this many body bytes of a longer Content-Length, then close
    bytes_per_second: float | None = None  # trickle the body
    raw_gzip: bytes | None = None  # send these bytes as a gzip body, whatever they are


class RepoServer:
    """Serves `files` (path → bytes). Start with `start()`; `url` is the base URL."""

    def __init__(
        self,
        *,
        host: str = "127.0.0.1",
        tls_context: ssl.SSLContext | None = None,
        auth: tuple[str, str] | None = None,
        bearer: str | None = None,
        gzip_responses: bool = True,
    ) -> None:
        self.host = host
        self.tls_context = tls_context
        self.auth = auth
        self.bearer = bearer  # only `Authorization: Bearer <this>` is let in (basic is refused)
        self.gzip_responses = gzip_responses
        self.files: dict[str, bytes] = {}
        self.modified: dict[str, float] = {}
        self.redirects: dict[str, tuple[int, str]] = {}
        self.faults: dict[str, Fault] = {}
        self.requests: list[Recorded] = []
        self.etags = True
        self._lock = threading.Lock()
        self._httpd: QuietHTTPServer | None = None
        self._thread: threading.Thread | None = None
        self._port = 0

    # --- content --------------------------------------------------------------------------

    def put(self, path: str, content: bytes, *, modified: float | None = None) -> None:
        with self._lock:
            self.files[path] = content
            self.modified[path] = modified if modified is not None else time.time()

    def requests_for(self, path: str) -> list[Recorded]:
        return [r for r in self.requests if r.path.split("?")[0] == path]

    # --- lifecycle ------------------------------------------------------------------------

    @property
    def port(self) -> int:
        return self._port

    @property
    def url(self) -> str:
        scheme = "https" if self.tls_context else "http"
        return f"{scheme}://{self.host}:{self.port}"

    def start(self, port: int = 0) -> RepoServer:
        handler = _make_handler(self)
        httpd = QuietHTTPServer((self.host, port), handler)
        if self.tls_context is not None:
            httpd.socket = self.tls_context.wrap_socket(httpd.socket, server_side=True)
        self._httpd = httpd
        self._port = httpd.server_address[1]
        self._thread = threading.Thread(
            target=httpd.serve_forever, args=(0.05,), name=f"repo-server-{self.port}", daemon=True
        )
        self._thread.start()
        return self

    def stop(self) -> None:
        if self._httpd is not None:
            self._httpd.stop()
            self._httpd = None
        if self._thread is not None:
            self._thread.join(timeout=5)

    def restart(self) -> None:
        """Stop and start again on the same port (for 'the server came back')."""
        self.stop()
        self.start(self._port)


def _make_handler(server: RepoServer) -> type[http.server.BaseHTTPRequestHandler]:
    class Handler(http.server.BaseHTTPRequestHandler):
        protocol_version = "HTTP/1.1"

        def log_message(self, format: str, *args: Any) -> None:
            pass

        def do_GET(self) -> None:
            headers = {k.lower(): v for k, v in self.headers.items()}
            server.requests.append(Recorded("GET", self.path, headers))
            path = self.path.split("?")[0]
            if server.auth is not None and not self._authorized(headers):
                self._send(401, b"unauthorized", {"WWW-Authenticate": 'Basic realm="charts"'})
                return
            if server.bearer is not None and headers.get("authorization") != f"Bearer {server.bearer}":
                self._send(401, b"unauthorized", {"WWW-Authenticate": 'Bearer realm="charts"'})
                return
            if path in server.redirects:
                status, location = server.redirects[path]
                self._send(status, b"", {"Location": location})
                return
            fault = server.faults.get(path)
            if fault is not None and fault.status is not None:
                self._send(fault.status, fault.body, {"Content-Type": fault.content_type, **fault.headers})
                return
            with server._lock:
                content = server.files.get(path)
                modified = server.modified.get(path, 0.0)
            if content is None:
                self._send(404, b"404 page not found", {"Content-Type": "text/plain"})
                return
            etag = '"' + hashlib.sha1(content).hexdigest() + '"'
            last_modified = email.utils.formatdate(modified, usegmt=True)
            if server.etags and headers.get("if-none-match") == etag:
                self._send(304, b"", {"ETag": etag})
                return
            since = headers.get("if-modified-since")
            if since and "if-none-match" not in headers:
                parsed = email.utils.parsedate_to_datetime(since).timestamp()
                if int(modified) <= parsed:
                    self._send(304, b"", {})
                    return
            extra = {"Last-Modified": last_modified, "Content-Type": "text/yaml"}
            if server.etags:
                extra["ETag"] = etag
            if fault is not None and fault.raw_gzip is not None:
                self._send(200, fault.raw_gzip, {**extra, "Content-Encoding": "gzip"})
                return
            if server.gzip_responses and "gzip" in headers.get("accept-encoding", ""):
                content = gzip.compress(content, compresslevel=5)
                extra["Content-Encoding"] = "gzip"
            self._send(200, content, extra, fault)

        def _authorized(self, headers: dict[str, str]) -> bool:
            assert server.auth is not None
            expected = "Basic " + base64.b64encode(f"{server.auth[0]}:{server.auth[1]}".encode()).decode()
            return headers.get("authorization") == expected

        def _send(self, status: int, body: bytes, headers: dict[str, str], fault: Fault | None = None) -> None:
            self.send_response(status)
            for key, value in headers.items():
                self.send_header(key, value)
            self.send_header("Content-Length", str(len(body)))
            self.end_headers()
            if status == 304 or not body:
                return
            if fault is not None and fault.truncate_after is not None:
                self.wfile.write(body[: fault.truncate_after])
                self.wfile.flush()
                self.close_connection = True
                with contextlib.suppress(OSError):
                    self.connection.shutdown(socket.SHUT_RDWR)
                return
            if fault is not None and fault.bytes_per_second:
                _trickle(self.wfile.write, body, fault.bytes_per_second)
                return
            self.wfile.write(body)

    return Handler


def _trickle(write: Callable[[bytes], Any], body: bytes, rate: float) -> None:
    chunk = max(1, int(rate / 20))
    for offset in range(0, len(body), chunk):
        try:
            write(body[offset : offset + chunk])
        except OSError:
            return
        time.sleep(chunk / rate)
