"""Logging to a private file in the log folder, rotated by size; HTTP libraries kept quiet (their lines
carry URLs); a log that cannot be written (disk full, read-only) never disturbs the user."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import stat
from pathlib import Path
from typing import Any

from desktop.files import PRIVATE_FILE

_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"
MAX_LOG_BYTES = 2_000_000
KEPT_LOGS = 3


def _rotate(log_file: Path) -> None:
    """Once the log passes MAX_LOG_BYTES, shift it to .1 (and .1 to .2 …) before appending."""
    try:
        if log_file.stat().st_size < MAX_LOG_BYTES:
            return
    except OSError:
        return
    for index in range(KEPT_LOGS - 1, 0, -1):
        with contextlib.suppress(OSError):
            os.replace(f"{log_file}.{index}", f"{log_file}.{index + 1}")
    with contextlib.suppress(OSError):
        os.replace(log_file, f"{log_file}.1")


def _private_opener(path: str, flags: int) -> int:
    """Open the log 0600, and only when it is a regular file: opening a named pipe left in its
    place for writing would wait for a reader forever (O_NONBLOCK makes that fail at once)."""
    descriptor = os.open(path, flags | getattr(os, "O_NONBLOCK", 0), PRIVATE_FILE)
    try:
        if not stat.S_ISREG(os.fstat(descriptor).st_mode):
            raise OSError(errno.EINVAL, "the log is not a regular file", path)
        os.set_blocking(descriptor, True)
    except BaseException:
        os.close(descriptor)
        raise
    return descriptor


class PrivateFileHandler(logging.FileHandler):
    """A log file created 0600. When a line cannot be written (the disk is full, the folder is
    read-only) it is dropped without a word: the user's command goes on, and logging's own
    "--- Logging error ---" report with its traceback is never printed at them."""

    def _open(self) -> Any:
        return open(self.baseFilename, self.mode, encoding=self.encoding, errors=self.errors, opener=_private_opener)

    def emit(self, record: logging.LogRecord) -> None:
        try:  # opening the file happens here, outside the handler's own error handling
            super().emit(record)
        except Exception:
            self.handleError(record)

    def handleError(self, record: logging.LogRecord) -> None:
        # A stream left holding a half-written line would keep failing: reopen it next time.
        if self.stream is not None:
            with contextlib.suppress(OSError, ValueError):
                self.stream.close()
            self.stream = None

    def flush(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().flush()

    def close(self) -> None:
        with contextlib.suppress(OSError, ValueError):
            super().close()


def configure_logging(log_file: Path, level: int = logging.INFO) -> None:
    # No handler anywhere in this process prints its own failures at the user.
    logging.raiseExceptions = False
    root = logging.getLogger()
    if any(getattr(h, "baseFilename", None) == str(log_file) for h in root.handlers):
        return
    with contextlib.suppress(OSError):
        log_file.parent.mkdir(mode=0o700, parents=True, exist_ok=True)
    _rotate(log_file)
    handler = PrivateFileHandler(log_file, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "hpack"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
