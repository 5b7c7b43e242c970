"""The launch's reachability check against servers that misbehave on purpose: one that accepts and
never answers, and one that dribbles its headers a byte at a time, each cut at the check's bound
as a whole (a per-read timeout alone let the dribbler run on)."""

from __future__ import annotations

import socket
import threading
import time
from collections.abc import Iterator

import pytest

from desktop.net.settings import NetworkSettings
from desktop.operations.reachability import probe
from desktop.registry import Registry


def _registry(port: int) -> Registry:
    return Registry(id=7, uid="u", name="r", endpoint=f"http://127.0.0.1:{port}", sync_enabled=True, username=None)


@pytest.fixture
def dribbler() -> Iterator[int]:
    """Sends `HTTP/1.1 200 OK` one byte each 0.3 s, never finishing its headers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    stop = threading.Event()

    def serve() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                connection, _ = listener.accept()
            except OSError:
                continue
            with connection:
                for byte in b"HTTP/1.1 200 OK\r\nX-Slow: " + b"a" * 1000:
                    if stop.is_set():
                        return
                    try:
                        connection.sendall(bytes([byte]))
                    except OSError:
                        break
                    time.sleep(0.3)

    thread = threading.Thread(target=serve, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    listener.close()
    thread.join(5)


def test_a_server_dribbling_its_headers_is_cut_at_the_bound(dribbler: int) -> None:
    started = time.monotonic()
    reach = probe(_registry(dribbler), NetworkSettings(timeout=30), seconds=1.5)
    assert not reach.answers and reach.detail
    assert time.monotonic() - started < 5  # each byte came within the read timeout: only the whole bound cuts it


def test_a_server_that_never_answers_is_cut_at_the_bound() -> None:
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen(4)
    try:
        started = time.monotonic()
        reach = probe(_registry(listener.getsockname()[1]), NetworkSettings(timeout=30), seconds=1)
        assert not reach.answers and time.monotonic() - started < 4
    finally:
        listener.close()
