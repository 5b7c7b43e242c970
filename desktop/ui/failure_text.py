"""The one way the window turns an error into the text a user reads: what failed, what to do, and for
a bug where the log is."""

from __future__ import annotations

import logging
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.errors import OperationCancelled, bug_message
from desktop.failures import known_failure

if TYPE_CHECKING:
    from desktop.ui.context import AppContext

log = logging.getLogger(__name__)


def failure_text(context: AppContext, error: BaseException, what: str, *, cancelled: str | None = None) -> str:
    """`what` is what failed, as a sentence starts ("The export", "Saving the settings"). A cancel says
    nothing changed (or `cancelled`); the user's own problem is its one line saying what to do (the
    machine's faults too: the catalog busy, a full disk); anything else is a bug: logged with its
    traceback, and the one bug line naming the log."""
    paths = context.paths
    return failure_line(error, what, catalog=paths.catalog, log_file=paths.log_file, cancelled=cancelled)


def failure_line(
    error: BaseException, what: str, *, catalog: Path | None, log_file: Path | None, cancelled: str | None = None
) -> str:
    """`failure_text` before the window has its context (the catalog's recovery at start-up)."""
    if isinstance(error, OperationCancelled):
        return cancelled or f"{what} was cancelled; nothing was changed."
    known = known_failure(error, catalog)
    if known is not None:
        return known.message
    log.error("%s failed", what, exc_info=error)
    return bug_message(log_file or "the log")
