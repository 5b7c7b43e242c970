"""Values checked against a chart's schema in a child process with a time limit: a costly `pattern`
holds Python's interpreter lock for minutes (no thread can stop it), a killed process frees it."""

from __future__ import annotations

import contextlib
import logging
import math
import multiprocessing
import signal
import threading
from multiprocessing.connection import Connection
from multiprocessing.process import BaseProcess

from desktop.profiles.values import ONLY_YAML, ValuesProblem, schema_problems

log = logging.getLogger(__name__)
SCHEMA_SECONDS = 5.0  # one check of one layer's values
START_SECONDS = 60.0  # the child's start (a Python and jsonschema imported), on a busy machine
Answer = list[tuple[int, str]]


STOPPED = f"the chart's schema could not be checked (its checker stopped); {ONLY_YAML}"


def too_slow(seconds: float) -> str:
    took = f"the chart's schema took longer than {seconds:g} s to check"
    return f"{took} and was stopped (a costly pattern?); {ONLY_YAML}"


class SchemaChecks:
    """One child at a time, started at the first check, killed and started anew after a check that
    ran out of time; thread-safe (checks wait for each other)."""

    def __init__(self, seconds: float = SCHEMA_SECONDS) -> None:
        self.seconds = seconds
        self._lock = threading.Lock()
        self._process: BaseProcess | None = None
        self._connection: Connection | None = None
        self._closed = False

    def problems(self, text: str, schema_text: str, limit: int = 50) -> list[ValuesProblem]:
        with self._lock:
            for attempt in range(2):  # a child that died between checks is started once more
                try:
                    connection = self._started()
                    connection.send((text, schema_text, limit, self.seconds))
                    if not connection.poll(self.seconds):
                        self._stop()
                        return [ValuesProblem(0, too_slow(self.seconds))]
                    answer: Answer = connection.recv()
                except (EOFError, OSError) as exc:
                    self._stop()
                    if attempt:
                        log.warning("the schema checker stopped: %s", exc)
                        return [ValuesProblem(0, STOPPED)]
                    continue
                return [ValuesProblem(line, message) for line, message in answer]
        raise AssertionError("unreachable")

    def close(self) -> None:
        """End the child now, a check under way included (it then reads as stopped); none starts after."""
        self._closed = True
        process = self._process
        if process is not None:
            with contextlib.suppress(ValueError):  # already closed by the checking thread
                process.kill()
        with self._lock:
            self._stop()

    def _started(self) -> Connection:
        if self._connection is not None and self._process is not None and self._process.is_alive():
            return self._connection
        self._stop()
        if self._closed:
            raise OSError("the window is closing")
        # spawn, not fork: the window's process has threads (a fork could copy a lock one of them holds)
        context = multiprocessing.get_context("spawn")
        ours, theirs = context.Pipe()
        process = context.Process(target=serve, args=(theirs,), name="chartkeeper-schema-check", daemon=True)
        process.start()
        theirs.close()
        self._process, self._connection = process, ours
        if not ours.poll(START_SECONDS) or ours.recv() != "ready":
            raise OSError(f"the schema checker did not start within {START_SECONDS:g} s")
        return ours

    def _stop(self) -> None:
        process, connection = self._process, self._connection
        self._process = self._connection = None
        if connection is not None:
            connection.close()
        if process is not None:
            process.kill()
            process.join(5)
            with contextlib.suppress(ValueError):
                process.close()


def serve(connection: Connection) -> None:
    """The child: a check per request until the window's end of the pipe closes. Each check also
    carries an alarm a little past its limit, so the kernel ends a check nobody waits for any more
    (the window gone mid-check)."""
    import jsonschema  # noqa: F401  # imported before "ready": the first check's time is the check's

    connection.send("ready")
    while True:
        try:
            text, schema_text, limit, seconds = connection.recv()
        except (EOFError, OSError):
            return
        if hasattr(signal, "alarm"):
            signal.signal(signal.SIGALRM, signal.SIG_DFL)  # its default: end the process
            signal.alarm(math.ceil(seconds) + 2)
        try:
            found = schema_problems(text, schema_text, limit)
        except Exception as exc:  # a bug here, reported as the check's one problem, not a dead checker
            found = [ValuesProblem(0, f"the chart's schema could not be checked ({exc}); {ONLY_YAML}")]
        if hasattr(signal, "alarm"):
            signal.alarm(0)
        try:
            connection.send([(problem.line, problem.message) for problem in found])
        except (EOFError, OSError):
            return
