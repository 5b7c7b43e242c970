"""Sockets that a cancel or a deadline can interrupt in every state — resolving the host name,
connecting, the TLS handshake, every read and write — so a dead or hostile server never holds a
download past its limits, and Cancel takes effect at once. Plugged into httpx as httpcore's network
backend."""

from __future__ import annotations

import contextlib
import errno
import ipaddress
import select
import socket
import ssl
import threading
import time
from collections.abc import Iterable
from typing import Any

import httpcore

_SLICE = 0.1  # how often a wait that cannot be woken (name resolution) looks at the cancel flag


class Interrupter:
    """Shared by one client's connections. `abort()` shuts every open socket down (a blocked read
    returns at once); `arm(seconds, reason)` does the same when the deadline passes first, and
    remembers why. One watchdog thread per interrupter, started when first armed."""

    def __init__(self) -> None:
        self._condition = threading.Condition()
        self._sockets: set[socket.socket] = set()
        self._deadline: float | None = None
        self._reason = ""
        self._watchdog: threading.Thread | None = None
        self._closed = False
        self.aborted = False
        self.expired: str | None = None  # why the armed deadline passed, if it did

    # --- deadlines -----------------------------------------------------------------------------

    def arm(self, seconds: float, reason: str) -> None:
        """From now, everything must be done within `seconds`; else sockets are shut and `expired`
        says `reason`."""
        with self._condition:
            self._deadline = time.monotonic() + seconds
            self._reason = reason
            self.expired = None
            if self._watchdog is None:
                self._watchdog = threading.Thread(target=self._watch, name="net-deadline", daemon=True)
                self._watchdog.start()
            self._condition.notify()

    def disarm(self) -> None:
        with self._condition:
            self._deadline = None
            self._condition.notify()

    @property
    def overdue(self) -> str | None:
        """Why the armed deadline has passed (whichever noticed first: the watchdog or a read's own
        timeout, which is clipped to it), or None."""
        if self.expired is not None:
            return self.expired
        deadline = self._deadline
        if deadline is not None and time.monotonic() >= deadline - 0.01:
            return self._reason
        return None

    def remaining(self, timeout: float | None) -> float | None:
        """`timeout`, shortened to what is left before the armed deadline; raises TimeoutError when
        nothing is left, OSError when aborted."""
        if self.aborted:
            raise OSError(errno.ECONNABORTED, "the download was stopped")
        deadline = self._deadline
        if deadline is None:
            return timeout
        left = deadline - time.monotonic()
        if left <= 0:
            raise TimeoutError("deadline passed")
        return left if timeout is None else min(timeout, left)

    def _watch(self) -> None:
        with self._condition:
            while not self._closed:
                if self._deadline is None:
                    self._condition.wait()
                    continue
                left = self._deadline - time.monotonic()
                if left > 0:
                    self._condition.wait(left)
                    continue
                self.expired = self._reason
                self._deadline = None
                self._shutdown_all()

    # --- sockets -------------------------------------------------------------------------------

    def abort(self) -> None:
        """From any thread: stop everything this interrupter's connections are doing."""
        with self._condition:
            self.aborted = True
            self._shutdown_all()

    def reset(self) -> None:
        """Ready for the next request after an abort was dealt with."""
        with self._condition:
            self.aborted = False
            self.expired = None

    def close(self) -> None:
        with self._condition:
            self._closed = True
            self._deadline = None
            self._condition.notify()

    def register(self, sock: socket.socket) -> None:
        with self._condition:
            self._sockets.add(sock)
            if self.aborted:
                self._shutdown(sock)

    def unregister(self, sock: socket.socket) -> None:
        with self._condition:
            self._sockets.discard(sock)

    def _shutdown_all(self) -> None:
        for sock in list(self._sockets):
            self._shutdown(sock)

    @staticmethod
    def _shutdown(sock: socket.socket) -> None:
        """Shut the connection down under whatever is reading it. A TLS socket is shut through a
        duplicate of its descriptor: its own shutdown() would unwrap it under a reading thread."""
        with contextlib.suppress(OSError, ValueError):
            if isinstance(sock, ssl.SSLSocket):
                with socket.fromfd(sock.fileno(), sock.family, sock.type) as raw:
                    raw.shutdown(socket.SHUT_RDWR)
            else:
                sock.shutdown(socket.SHUT_RDWR)


class InterruptibleBackend(httpcore.NetworkBackend):
    """httpcore's plain-socket backend, made interruptible by an `Interrupter`."""

    def __init__(self, interrupter: Interrupter) -> None:
        self._interrupter = interrupter

    def connect_tcp(
        self,
        host: str,
        port: int,
        timeout: float | None = None,
        local_address: str | None = None,
        socket_options: Iterable[Any] | None = None,
    ) -> httpcore.NetworkStream:
        try:
            limit = self._interrupter.remaining(timeout)
            deadline = None if limit is None else time.monotonic() + limit
            addresses = self._resolve(host, port, deadline)
            last_error: OSError = OSError(errno.EHOSTUNREACH, "no address to connect to")
            for family, kind, protocol, _, address in addresses:
                try:
                    sock = self._connect(family, kind, protocol, address, deadline, local_address)
                except TimeoutError:
                    raise
                except OSError as exc:
                    last_error = exc
                    continue
                for option in socket_options or ():
                    sock.setsockopt(*option)
                sock.setsockopt(socket.IPPROTO_TCP, socket.TCP_NODELAY, 1)
                return _Stream(sock, self._interrupter)
            raise last_error
        except TimeoutError as exc:
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except OSError as exc:
            raise httpcore.ConnectError(str(exc)) from exc

    def _resolve(self, host: str, port: int, deadline: float | None) -> list[Any]:
        """getaddrinfo, on a helper thread unless `host` is an address, so a cancel or the deadline
        need not wait for a resolver that hangs."""
        try:
            ipaddress.ip_address(host)
        except ValueError:
            pass
        else:
            # Numeric: glibc's first lookup otherwise loads its resolver configuration (3-10 ms).
            return socket.getaddrinfo(host, port, type=socket.SOCK_STREAM, flags=socket.AI_NUMERICHOST)
        answer: list[Any] = []
        failure: list[BaseException] = []

        def resolve() -> None:
            try:
                answer.extend(socket.getaddrinfo(host, port, type=socket.SOCK_STREAM))
            except BaseException as exc:
                failure.append(exc)

        resolver = threading.Thread(target=resolve, name="resolve", daemon=True)
        resolver.start()
        while resolver.is_alive():
            self._interrupter.remaining(None)  # raises once aborted
            if deadline is not None and time.monotonic() >= deadline:
                raise TimeoutError(f"resolving {host} took too long")
            resolver.join(_SLICE)
        if failure:
            raise failure[0]
        return answer

    def _connect(
        self,
        family: int,
        kind: int,
        protocol: int,
        address: Any,
        deadline: float | None,
        local_address: str | None,
    ) -> socket.socket:
        sock = socket.socket(family, kind, protocol)
        self._interrupter.register(sock)
        try:
            if local_address is not None:
                sock.bind((local_address, 0))
            sock.setblocking(False)
            code = sock.connect_ex(address)
            if code not in (0, errno.EINPROGRESS, errno.EWOULDBLOCK, errno.EALREADY):
                raise OSError(code, errno.errorcode.get(code, "connect failed"))
            while code != 0:
                left = None if deadline is None else deadline - time.monotonic()
                if left is not None and left <= 0:
                    raise TimeoutError("connecting took too long")
                self._interrupter.remaining(None)
                _, writable, failed = select.select([], [sock], [sock], _SLICE if left is None else min(_SLICE, left))
                if writable or failed:
                    code = sock.getsockopt(socket.SOL_SOCKET, socket.SO_ERROR)
                    if code != 0:
                        raise OSError(code, errno.errorcode.get(code, "connect failed"))
                    break
            self._interrupter.remaining(None)
            sock.setblocking(True)
            return sock
        except BaseException:
            self._interrupter.unregister(sock)
            sock.close()
            raise

    def sleep(self, seconds: float) -> None:
        time.sleep(seconds)


class _Stream(httpcore.NetworkStream):
    """One connection; every wait is bounded by the interrupter's deadline and woken by its abort."""

    def __init__(self, sock: socket.socket, interrupter: Interrupter) -> None:
        self._sock = sock
        self._interrupter = interrupter

    def read(self, max_bytes: int, timeout: float | None = None) -> bytes:
        try:
            self._sock.settimeout(self._interrupter.remaining(timeout))
            data = self._sock.recv(max_bytes)
        except TimeoutError as exc:
            raise httpcore.ReadTimeout(str(exc)) from exc
        except (OSError, ValueError) as exc:  # ValueError: a TLS socket closed under the read
            raise httpcore.ReadError(str(exc)) from exc
        if self._interrupter.aborted or self._interrupter.expired:
            raise httpcore.ReadError("the download was stopped")
        return data

    def write(self, buffer: bytes, timeout: float | None = None) -> None:
        try:
            while buffer:
                self._sock.settimeout(self._interrupter.remaining(timeout))
                sent = self._sock.send(buffer)
                buffer = buffer[sent:]
        except TimeoutError as exc:
            raise httpcore.WriteTimeout(str(exc)) from exc
        except (OSError, ValueError) as exc:
            raise httpcore.WriteError(str(exc)) from exc

    def close(self) -> None:
        self._interrupter.unregister(self._sock)
        self._sock.close()

    def start_tls(
        self,
        ssl_context: ssl.SSLContext,
        server_hostname: str | None = None,
        timeout: float | None = None,
    ) -> httpcore.NetworkStream:
        if isinstance(self._sock, ssl.SSLSocket):
            self.close()
            raise httpcore.ConnectError("TLS inside TLS (an https:// proxy) is not supported: use an http:// proxy")
        try:
            self._sock.settimeout(self._interrupter.remaining(timeout))
            # Wrapping detaches the plain socket: the TLS one is registered before the handshake, so
            # a cancel or the deadline can shut the connection under it.
            wrapped = ssl_context.wrap_socket(
                self._sock, server_hostname=server_hostname, do_handshake_on_connect=False
            )
        except OSError as exc:
            self.close()
            raise httpcore.ConnectError(str(exc)) from exc
        self._interrupter.unregister(self._sock)
        self._sock = wrapped
        self._interrupter.register(wrapped)
        try:
            wrapped.do_handshake()
            if self._interrupter.aborted or self._interrupter.expired:
                raise OSError(errno.ECONNABORTED, "the download was stopped")
        except TimeoutError as exc:
            self.close()
            raise httpcore.ConnectTimeout(str(exc)) from exc
        except (OSError, ValueError) as exc:  # ValueError: the socket closed under the handshake
            self.close()
            raise httpcore.ConnectError(str(exc)) from exc
        return _Stream(wrapped, self._interrupter)

    def get_extra_info(self, info: str) -> Any:
        if info == "ssl_object" and isinstance(self._sock, ssl.SSLSocket):
            return self._sock._sslobj  # type: ignore[attr-defined]  # what httpcore's own stream returns
        if info == "client_addr":
            return self._sock.getsockname()
        if info == "server_addr":
            return self._sock.getpeername()
        if info == "socket":
            return self._sock
        if info == "is_readable":
            readable, _, _ = select.select([self._sock], [], [], 0)
            return bool(readable)
        return None
