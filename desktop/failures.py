"""The machine's faults that reach a face from anywhere, as the user's line (not a bug's)."""

from __future__ import annotations

import errno
import sqlite3
from pathlib import Path

from desktop.errors import UserError


def known_failure(error: BaseException, catalog: Path | None) -> UserError | None:
    """`error` itself when it is the user's to fix; else the catalog busy, damaged, read-only or its
    disk full (SQLite's errors), a disk that filled under another file; None for a bug."""
    if isinstance(error, UserError):
        return error
    if isinstance(error, sqlite3.Error):
        from desktop.catalog.db import catalog_failure

        return catalog_failure(error, catalog)
    if isinstance(error, OSError) and error.errno in (errno.ENOSPC, errno.EDQUOT, errno.EROFS) and error.filename:
        from desktop.files import write_error

        return write_error(error, Path(error.filename))
    return None
