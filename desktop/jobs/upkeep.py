"""Work nobody waits on, in the background pool: keeping the charts that profiles and pins use
offline, and fetching the icons of a registry's new or changed charts (and, once after start, all)."""

from __future__ import annotations

import logging
import math
import sqlite3
import threading
import time
from collections.abc import Callable
from concurrent.futures import Future

from desktop.cancellation import CancelToken
from desktop.catalog.registries import list_registries
from desktop.errors import OperationCancelled, UserError
from desktop.jobs.job import JobRunner, WorkerListener
from desktop.operations.chart_files import keep_offline
from desktop.operations.chart_icons import IconReport, fetch_icons
from desktop.operations.services import Services

log = logging.getLogger(__name__)
ICON_PACE = 0.01  # seconds between icons in the background
ICON_CATCH_UP_DELAY = 10.0  # seconds after start: the window's first moments are the user's


class Upkeep:
    """`stopping`: set as the worker stops; what starts then does nothing."""

    def __init__(
        self,
        services: Callable[[], Services],
        listener: WorkerListener,
        jobs: JobRunner,
        stopping: threading.Event,
    ) -> None:
        self._services = services
        self._listener = listener
        self._jobs = jobs
        self._stopping = stopping
        self._lock = threading.Lock()
        self._keeping_offline = False
        self._keep_offline_again = False
        self._icons_at: float | None = None

    def started(self) -> None:
        self._icons_at = time.monotonic() + ICON_CATCH_UP_DELAY

    def icons_due(self, db: sqlite3.Connection) -> float:
        """On the writer thread: once, ICON_CATCH_UP_DELAY after `started`, fetch the icons the command
        line left to the window (it never waits on icon hosts); the seconds until then."""
        if self._icons_at is None:
            return math.inf
        left = self._icons_at - time.monotonic()
        if left > 0:
            return left
        self._icons_at = None
        for registry in list_registries(db):
            self.fetch_icons(registry.id)
        return math.inf

    def keep_offline(self) -> None:
        """Fetch every pinned or profile-used version not yet cached; asked for while that runs, it
        runs once more after (a registry that cannot be reached is tried again after its next sync)."""
        with self._lock:
            if self._keeping_offline:
                self._keep_offline_again = True
                return
            self._keeping_offline = True

        def run() -> None:
            while True:
                try:
                    report = keep_offline(self._services(), cancel=None)
                except UserError as exc:  # the worker is closing, say
                    log.info("keeping charts offline stopped: %s", exc.message)
                except Exception:  # a bug: logged; the next call must still run, so the flag below is reset
                    log.exception("keeping charts offline failed")
                else:
                    if report.fetched:
                        self._listener.catalog_changed()
                with self._lock:
                    if not self._keep_offline_again or self._stopping.is_set():
                        self._keeping_offline = False
                        return
                    self._keep_offline_again = False

        self._jobs.submit(run, None, background=True)

    def fetch_icons(self, registry_id: int) -> Future[IconReport]:
        """The icons of a registry's new or changed charts."""
        outcome: Future[IconReport] = Future()

        def run() -> IconReport:
            cancel = CancelToken()
            if self._stopping.is_set():
                cancel.cancel()
            try:
                report = fetch_icons(self._services(), registry_id, cancel, pace=ICON_PACE)
            except OperationCancelled:
                return IconReport()
            if report.fetched:
                self._listener.catalog_changed()
            return report

        self._jobs.submit(run, outcome, background=True)
        return outcome
