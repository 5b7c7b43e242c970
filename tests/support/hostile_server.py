"""A deliberately misbehaving HTTP(S) server on 127.0.0.x, written on raw sockets so it can do what a
well-behaved server library never would: cut a close-delimited body short, lie about its length,
dribble its headers or body, stall, reset the connection, send absurd header values."""

from __future__ import annotations

import contextlib
import socket
import ssl
import struct
import threading
import time
from dataclasses import dataclass, field


@dataclass
class Behaviour:
    """What to answer on one path. `body` is sent as the answer's content, then the fault applies."""

    body: bytes = b""
    status: str = "200 OK"
    headers: dict[str, str] = field(default_factory=dict)
    close_delimited_cut: int | None = None  # HTTP/1.0, no Content-Length: send this much, then close
    declared_length: int | None = None  # a Content-Length that disagrees with the body
    drip_headers: float | None = None  # seconds between header bytes
    drip_body: float | None = None  # seconds between body bytes
    stall: bool = False  # read the request, answer nothing
    reset_after: int | None = None  # send this much of the body, then reset the connection (RST)


class HostileServer:
    def __init__(self, host: str = "127.0.0.1", tls: ssl.SSLContext | None = None) -> None:
        self.host = host
        self.tls = tls
        self.paths: dict[str, Behaviour] = {}
        self.requests: list[str] = []
        self.headers: list[dict[str, str]] = []  # each request's headers, names in lower case
        self._listener: socket.socket | None = None
        self._stopping = threading.Event()
        self._threads: list[threading.Thread] = []
        self._connections: list[socket.socket] = []

    @property
    def url(self) -> str:
        assert self._listener is not None
        return f"{'https' if self.tls else 'http'}://{self.host}:{self._listener.getsockname()[1]}"

    def start(self) -> HostileServer:
        listener = socket.create_server((self.host, 0))
        listener.settimeout(0.1)
        self._listener = listener
        thread = threading.Thread(target=self._accept, name="hostile-server", daemon=True)
        thread.start()
        self._threads.append(thread)
        return self

    def stop(self) -> None:
        self._stopping.set()
        for connection in list(self._connections):
            with contextlib.suppress(OSError):
                connection.close()
        if self._listener is not None:
            self._listener.close()
        for thread in self._threads:
            thread.join(timeout=5)

    def _accept(self) -> None:
        assert self._listener is not None
        while not self._stopping.is_set():
            try:
                connection, _ = self._listener.accept()
            except TimeoutError:
                continue
            except OSError:
                return
            thread = threading.Thread(target=self._serve, args=(connection,), daemon=True)
            thread.start()
            self._threads.append(thread)

    def _serve(self, raw: socket.socket) -> None:
        connection = raw
        try:
            if self.tls is not None:
                connection = self.tls.wrap_socket(raw, server_side=True)
            self._connections.append(connection)
            connection.settimeout(10)
            request = b""
            while b"\r\n\r\n" not in request:
                chunk = connection.recv(4096)
                if not chunk:
                    return
                request += chunk
            path = request.split(b" ", 2)[1].decode("latin-1").split("?")[0]
            self.requests.append(path)
            self.headers.append(_headers(request))
            behaviour = self.paths.get(path)
            if behaviour is None:
                # It closes the connection after answering, so it says so, as every answer here does: a
                # client reusing it would meet a reset (a bundle's `latest.sig` lookup met one).
                self._send_all(
                    connection, b"HTTP/1.1 404 Not Found\r\nContent-Length: 9\r\nConnection: close\r\n\r\nnot found"
                )
                return
            self._answer(connection, behaviour)
        except OSError:
            return
        finally:
            with contextlib.suppress(OSError):
                connection.close()

    def _answer(self, connection: socket.socket, behaviour: Behaviour) -> None:
        if behaviour.stall:
            self._stopping.wait(120)
            return
        body = behaviour.body
        version = "HTTP/1.0" if behaviour.close_delimited_cut is not None else "HTTP/1.1"
        lines = [f"{version} {behaviour.status}"]
        headers = {"Content-Type": "text/yaml", **behaviour.headers}
        if behaviour.close_delimited_cut is None:
            headers.setdefault("Content-Length", str(behaviour.declared_length or len(body)))
            headers["Connection"] = "close"
        lines += [f"{key}: {value}" for key, value in headers.items()]
        head = ("\r\n".join(lines) + "\r\n\r\n").encode("latin-1")
        if behaviour.drip_headers is not None:
            self._drip(connection, head, behaviour.drip_headers)
        else:
            self._send_all(connection, head)
        if behaviour.close_delimited_cut is not None:
            self._send_all(connection, body[: behaviour.close_delimited_cut])
            return
        if behaviour.reset_after is not None:
            self._send_all(connection, body[: behaviour.reset_after])
            time.sleep(0.05)
            connection.setsockopt(socket.SOL_SOCKET, socket.SO_LINGER, struct.pack("ii", 1, 0))
            return
        if behaviour.drip_body is not None:
            self._drip(connection, body, behaviour.drip_body)
            return
        self._send_all(connection, body)

    def _drip(self, connection: socket.socket, data: bytes, interval: float) -> None:
        for offset in range(len(data)):
            if self._stopping.is_set():
                return
            self._send_all(connection, data[offset : offset + 1])
            if self._stopping.wait(interval):
                return

    @staticmethod
    def _send_all(connection: socket.socket, data: bytes) -> None:
        with contextlib.suppress(OSError):
            connection.sendall(data)


def _headers(request: bytes) -> dict[str, str]:
    lines = request.split(b"\r\n\r\n", 1)[0].decode("latin-1").split("\r\n")[1:]
    return {name.strip().lower(): value.strip() for name, _, value in (line.partition(":") for line in lines)}
