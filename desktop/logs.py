"""Logging to a file in the log folder, rotated by size; HTTP libraries kept quiet (their lines carry URLs)."""

from __future__ import annotations

import contextlib
import logging
import os
from pathlib import Path

_FORMAT = "%(asctime)s %(levelname)s %(threadName)s %(name)s: %(message)s"
MAX_LOG_BYTES = 2_000_000
KEPT_LOGS = 3


def _rotate(log_file: Path) -> None:
    """Once the log passes MAX_LOG_BYTES, shift it to .1 (and .1 to .2 …) before appending."""
    try:
        if log_file.stat().st_size < MAX_LOG_BYTES:
            return
    except FileNotFoundError:
        return
    for index in range(KEPT_LOGS - 1, 0, -1):
        with contextlib.suppress(FileNotFoundError):
            os.replace(f"{log_file}.{index}", f"{log_file}.{index + 1}")
    os.replace(log_file, f"{log_file}.1")


def configure_logging(log_file: Path, level: int = logging.INFO) -> None:
    root = logging.getLogger()
    if any(getattr(h, "baseFilename", None) == str(log_file) for h in root.handlers):
        return
    log_file.parent.mkdir(parents=True, exist_ok=True)
    _rotate(log_file)
    handler = logging.FileHandler(log_file, encoding="utf-8", delay=True)
    handler.setFormatter(logging.Formatter(_FORMAT))
    root.addHandler(handler)
    root.setLevel(level)
    for noisy in ("httpx", "httpcore", "hpack"):
        logging.getLogger(noisy).setLevel(logging.WARNING)
