"""A user's operation as a job (its id, future and cancel token), the typed events it reports, and the
runner that puts any operation on a pool as one."""

from __future__ import annotations

import itertools
import time
from collections.abc import Callable
from concurrent.futures import Future
from dataclasses import dataclass
from typing import Any, Generic, Protocol, TypeVar

from desktop.cancellation import CancelToken
from desktop.errors import OperationCancelled
from desktop.jobs.futures import fail_if_pending, reporting, resolve_if_pending
from desktop.jobs.pool import DaemonPool
from desktop.jobs.writer import USER, CatalogWriter
from desktop.operations.helm_import import ImportOutcome
from desktop.operations.services import Services
from desktop.operations.sync_run import SyncResult

T = TypeVar("T")
PROGRESS_INTERVAL = 0.1  # seconds between two download progress events of one job


@dataclass(frozen=True)
class Progress:
    """How far a job's phase ("download", "verify", "push", …) is: `done` of `total` (None: unknown)."""

    phase: str
    done: int
    total: int | None


@dataclass(frozen=True)
class ImportStarted:
    """Import from Helm: how many repositories it will register."""

    count: int


@dataclass(frozen=True)
class ImportWorking:
    """Import from Helm: the repository being registered now."""

    name: str


@dataclass(frozen=True)
class ImportDone:
    """Import from Helm: one repository's outcome."""

    outcome: ImportOutcome


JobEvent = Progress | ImportStarted | ImportWorking | ImportDone


class WorkerListener(Protocol):
    """Called on worker threads; implementations must hand over to their own thread."""

    def sync_started(self, registry_id: int, trigger: str) -> None: ...

    def sync_progress(self, registry_id: int, phase: str, done: int, total: int | None) -> None: ...

    def sync_finished(self, result: SyncResult) -> None: ...

    def catalog_changed(self) -> None: ...

    def job_event(self, job_id: int, event: JobEvent) -> None: ...


@dataclass(frozen=True)
class Job(Generic[T]):
    """A user's operation in the background: its id (for its `job_event`s), its result, its cancel."""

    id: int
    future: Future[T]
    cancel: CancelToken


ProgressCallback = Callable[[str, int, int | None], None]


class JobRunner:
    """Runs operations as jobs on the pools (the user's, or the background one for work nobody waits on),
    or queued on the catalog writer when they have no network step."""

    def __init__(
        self,
        services: Callable[[], Services],
        listener: WorkerListener,
        writer: CatalogWriter,
        pools: tuple[DaemonPool, DaemonPool],
    ) -> None:
        self._services = services
        self._listener = listener
        self._writer = writer
        self._pool, self._background = pools
        self._ids = itertools.count(1)

    def new(self, cancel: CancelToken | None = None, *, abandon_on_cancel: bool = False) -> Job[Any]:
        """A job not yet started. `abandon_on_cancel`: a cancel fails its future at once (a fetch
        still blocked where a cancel cannot reach is abandoned: it then stores nothing)."""
        job: Job[Any] = Job(next(self._ids), Future(), cancel or CancelToken())
        if abandon_on_cancel:
            job.cancel.on_cancel(lambda: fail_if_pending(job.future, OperationCancelled()))
        return job

    def run(
        self,
        operation: Callable[..., T],
        *args: Any,
        cancel: CancelToken | None = None,
        cancellable: bool = False,
        progress: bool = False,
        changes_catalog: bool = False,
        abandon_on_cancel: bool = False,
        **kwargs: Any,
    ) -> Job[T]:
        """`operation(services, *args, **kwargs)` on the user's pool as a job. `cancellable`: it is given
        the job's token as `cancel=`; `progress`: a `progress=(phase, done, total)` callback whose calls
        reach the listener as `Progress` events; `changes_catalog`: the listener hears it after."""
        job: Job[T] = self.new(cancel, abandon_on_cancel=abandon_on_cancel)
        if cancellable:
            kwargs["cancel"] = job.cancel
        if progress:
            kwargs["progress"] = self.progress_of(job)
        self.submit(lambda: operation(self._services(), *args, **kwargs), job.future, changes_catalog=changes_catalog)
        return job

    def progress_of(self, job: Job[Any]) -> ProgressCallback:
        """A progress callback telling `job`'s listener, downloads at most every PROGRESS_INTERVAL."""
        last = [0.0]

        def progress(phase: str, done: int, total: int | None) -> None:
            now = time.monotonic()
            if phase == "download" and now - last[0] < PROGRESS_INTERVAL:
                return
            last[0] = now
            self._listener.job_event(job.id, Progress(phase, done, total))

        return progress

    def tell(self, job: Job[Any], event: JobEvent) -> None:
        self._listener.job_event(job.id, event)

    def submit(
        self,
        action: Callable[[], T],
        outcome: Future[T] | None,
        *,
        changes_catalog: bool = False,
        background: bool = False,
    ) -> None:
        """Run `action` on a pool thread: the user's pool, or (`background`) the one for work nobody
        waits on — icons, keeping charts offline, the schedule's syncs — so that never delays what
        the user asked for (a chart's files behind a hundred icons)."""

        def run() -> None:
            value = action()
            if outcome is not None:
                resolve_if_pending(outcome, value)
            if changes_catalog:
                self._listener.catalog_changed()

        (self._background if background else self._pool).submit(reporting(run, outcome))

    def write(self, operation: Callable[[Services], T]) -> Future[T]:
        """An operation with no network step, queued on the writer thread now: what the user saved
        as the window closes is written before the worker stops (it drains its queue)."""
        outcome: Future[T] = Future()

        def run() -> None:
            resolve_if_pending(outcome, operation(self._services()))
            self._listener.catalog_changed()

        try:
            self._writer.put(USER, reporting(run, outcome))
        except OperationCancelled as exc:  # closing: the caller hears it through the future, as from any job
            fail_if_pending(outcome, exc)
        return outcome
