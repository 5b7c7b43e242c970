"""The desktop app's sync thread, without Qt: jobs, progress, cancel, schedule and stopping."""

from __future__ import annotations

import random
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop.cancellation import CancelToken
from desktop.catalog.archives import ChartRef, cached_archive
from desktop.catalog.charts import search_charts
from desktop.catalog.db import open_catalog
from desktop.catalog.registries import get_registry
from desktop.catalog.sync_records import list_runs
from desktop.errors import AuthError, OperationCancelled
from desktop.jobs.job import JobEvent
from desktop.jobs.worker import BackgroundWorker
from desktop.operations.sync_run import SyncResult
from desktop.profiles.model import Layer, Profile
from desktop.registry import RegistryDraft
from desktop.secrets import CredentialStore
from desktop.settings import TenantSettings
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_archive, publish_charts, simple_index
from tests.support.repo_server import Fault, RepoServer

MakeRepo = Callable[..., RepoServer]


class Recorder:
    def __init__(self) -> None:
        self.events: list[tuple] = []
        self.finished = threading.Event()

    def sync_started(self, registry_id: int, trigger: str) -> None:
        self.events.append(("started", registry_id, trigger))

    def sync_progress(self, registry_id: int, phase: str, done: int, total: int | None) -> None:
        self.events.append(("progress", registry_id, phase))

    def sync_finished(self, result: SyncResult) -> None:
        self.events.append(("finished", result.registry.id, result.status))
        self.finished.set()

    def catalog_changed(self) -> None:
        self.events.append(("changed",))

    def job_event(self, job_id: int, event: JobEvent) -> None:
        self.events.append(("job", job_id, type(event).__name__))


@pytest.fixture
def recorder() -> Recorder:
    return Recorder()


@pytest.fixture
def worker(catalog_path: Path, credentials: CredentialStore, recorder: Recorder) -> Iterator[BackgroundWorker]:
    worker = BackgroundWorker(catalog_path, credentials, recorder)
    worker.start(schedule=False)
    yield worker
    assert worker.stop()


def test_register_then_sync_reports_progress(
    worker: BackgroundWorker, recorder: Recorder, make_repo: MakeRepo, catalog_path: Path
) -> None:
    repo = make_repo()
    repo.put("/index.yaml", simple_index({"a": ["1.0.0"]}))
    result = worker.register(RegistryDraft("r", repo.url), CancelToken()).future.result(10)
    assert result.ok and ("changed",) in recorder.events
    repo.put("/index.yaml", simple_index({"a": ["1.0.0", "1.1.0"]}))
    synced = worker.sync(result.registry.id).result(10)
    assert synced.status == "updated" and synced.diff.added == [("a", "1.1.0")]
    kinds = [event[0] for event in recorder.events]
    assert kinds.index("started") < kinds.index("progress") < kinds.index("finished")
    reader = open_catalog(catalog_path, readonly=True)
    assert [h.version for h in search_charts(reader, "a")] == ["1.1.0"]
    reader.close()


def test_a_registration_error_comes_back_through_the_future(worker: BackgroundWorker, make_repo: MakeRepo) -> None:
    repo = make_repo(auth=("u", "p"))
    repo.put("/index.yaml", simple_index({"a": ["1.0.0"]}))
    with pytest.raises(AuthError, match="requires a login"):
        worker.register(RegistryDraft("r", repo.url), CancelToken()).future.result(10)


def test_cancel_stops_a_sync_waiting_on_a_silent_server(
    worker: BackgroundWorker, make_repo: MakeRepo, recorder: Recorder, catalog_path: Path
) -> None:
    repo = make_repo()
    repo.put("/index.yaml", simple_index({"a": ["1.0.0"]}))
    registry = worker.register(RegistryDraft("r", repo.url), CancelToken()).future.result(10).registry
    silent = socket.socket()
    silent.bind(("127.0.0.1", 0))
    silent.listen()
    port = silent.getsockname()[1]
    db = open_catalog(catalog_path)
    db.execute("UPDATE registries SET endpoint = ? WHERE id = ?", (f"http://127.0.0.1:{port}", registry.id))
    db.close()
    future = worker.sync(registry.id)
    time.sleep(0.3)
    worker.cancel_sync(registry.id)
    assert future.result(5).status == "cancelled"  # a bound well under the 30 s timeout, not a timing
    silent.close()
    reader = open_catalog(catalog_path, readonly=True)
    assert list_runs(reader, registry.id)[0].status == "cancelled"
    assert search_charts(reader, "a")  # the snapshot is still there
    reader.close()


def test_cancel_stops_a_slow_download(worker: BackgroundWorker, make_repo: MakeRepo) -> None:
    repo = make_repo(gzip_responses=False)
    repo.put("/index.yaml", simple_index({"a": ["1.0.0"]}))
    registry = worker.register(RegistryDraft("r", repo.url), CancelToken()).future.result(10).registry
    repo.put("/index.yaml", simple_index({f"c{i}": ["1.0.0"] for i in range(2000)}))
    repo.faults["/index.yaml"] = Fault(bytes_per_second=50_000)
    future = worker.sync(registry.id)
    time.sleep(0.5)
    worker.cancel_sync(registry.id)
    assert future.result(3).status == "cancelled"


def test_the_schedule_syncs_due_registries_at_start(
    catalog_path: Path, credentials: CredentialStore, make_repo: MakeRepo, recorder: Recorder
) -> None:
    repo = make_repo()
    repo.put("/index.yaml", simple_index({"a": ["1.0.0"]}))
    db = open_catalog(catalog_path)
    engine = CatalogHarness(db, credentials, clock=lambda: time.time() - 2 * 86400)
    engine.register(RegistryDraft("stale", repo.url))
    engine.register(RegistryDraft("manual", repo.url, sync_enabled=False))
    db.close()
    worker = BackgroundWorker(catalog_path, credentials, recorder)
    worker.start(schedule=True)
    try:
        assert recorder.finished.wait(10)
        started = [event for event in recorder.events if event[0] == "started"]
        assert [event[2] for event in started] == ["schedule"]
        reader = open_catalog(catalog_path, readonly=True)
        assert started[0][1] == get_registry(reader, "stale").id
        reader.close()
    finally:
        assert worker.stop()


def test_stopping_during_a_sync_is_clean(
    catalog_path: Path, credentials: CredentialStore, make_repo: MakeRepo, recorder: Recorder
) -> None:
    repo = make_repo(gzip_responses=False)
    repo.put("/index.yaml", simple_index({"a": ["1.0.0"]}))
    worker = BackgroundWorker(catalog_path, credentials, recorder)
    worker.start(schedule=False)
    registry = worker.register(RegistryDraft("r", repo.url), CancelToken()).future.result(10).registry
    repo.put("/index.yaml", simple_index({f"c{i}": ["1.0.0"] for i in range(3000)}))
    repo.faults["/index.yaml"] = Fault(bytes_per_second=100_000)
    future = worker.sync(registry.id)
    time.sleep(0.3)
    assert worker.stop(timeout=5)  # a bound, not a timing: the status below says the download was cut short
    assert future.result(1).status == "cancelled"
    reader = open_catalog(catalog_path, readonly=True)
    assert reader.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
    assert [h.name for h in search_charts(reader, "a")] == ["r/a"]
    assert list_runs(reader, registry.id)[0].status == "cancelled"
    reader.close()


def test_a_cancelled_registration_stores_nothing(
    worker: BackgroundWorker, make_repo: MakeRepo, catalog_path: Path
) -> None:
    repo = make_repo(gzip_responses=False)
    repo.put("/index.yaml", simple_index({f"c{i}": ["1.0.0"] for i in range(3000)}))
    repo.faults["/index.yaml"] = Fault(bytes_per_second=100_000)
    token = CancelToken()
    future = worker.register(RegistryDraft("r", repo.url), token).future
    time.sleep(0.3)
    token.cancel()
    with pytest.raises(OperationCancelled):
        future.result(5)
    reader = open_catalog(catalog_path, readonly=True)
    assert reader.execute("SELECT COUNT(*) FROM registries").fetchone()[0] == 0
    reader.close()


def test_icons_are_kept_after_registration_and_after_each_sync(
    worker: BackgroundWorker, make_repo: MakeRepo, catalog_path: Path
) -> None:
    from desktop.catalog.icons import chart_icon
    from tests.integration.test_chart_icons import png
    from tests.support.charts import chart_entry, index_yaml

    repo = make_repo()
    repo.put("/a.png", png(1, 1))
    repo.put("/b.png", png(2, 2))
    repo.put("/index.yaml", index_yaml({"a": [chart_entry("a", "1.0.0", icon="a.png")]}))
    registry = worker.register(RegistryDraft("r", repo.url), CancelToken()).future.result(10).registry
    reader = open_catalog(catalog_path, readonly=True)
    try:
        deadline = time.monotonic() + 10
        while chart_icon(reader, registry.id, "a") is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert chart_icon(reader, registry.id, "a").data == png(1, 1)  # type: ignore[union-attr]
        repo.put("/index.yaml", index_yaml({"a": [chart_entry("a", "1.1.0", icon="b.png")]}))
        assert worker.sync(registry.id).result(10).ok
        deadline = time.monotonic() + 10
        while chart_icon(reader, registry.id, "a").data != png(2, 2) and time.monotonic() < deadline:  # type: ignore[union-attr]
            time.sleep(0.05)
        assert chart_icon(reader, registry.id, "a").data == png(2, 2)  # type: ignore[union-attr]
    finally:
        reader.close()


def test_a_damaged_page_met_by_the_schedule_leaves_the_writer_serving(
    catalog_path: Path, credentials: CredentialStore, make_repo: MakeRepo, recorder: Recorder
) -> None:
    """The schedule's look at the catalog used to run unguarded on the writer thread: one damaged
    page there ended the thread, and every write the window asked for after it waited forever."""
    repo = make_repo()
    repo.put("/index.yaml", simple_index({"a": ["1.0.0"]}))
    db = open_catalog(catalog_path)
    CatalogHarness(db, credentials).register(RegistryDraft("r", repo.url))
    (page,) = db.execute("SELECT pageno FROM dbstat WHERE name = 'sync_state'").fetchone()
    db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    db.close()
    with open(catalog_path, "r+b") as file:  # what `dd if=/dev/urandom … seek=PAGE-1 conv=notrunc` does
        file.seek((page - 1) * 4096)
        file.write(random.Random(8).randbytes(4096))
    worker = BackgroundWorker(catalog_path, credentials, recorder)
    worker.start(schedule=True)
    try:
        saved = worker.save_settings(TenantSettings(sync_interval_hours=2)).result(10)
        assert saved.sync_interval_hours == 2
    finally:
        assert worker.stop()


class FlakyKeyring:
    """An in-memory keyring whose reads fail, while `broken` is set, with an error no keyring library
    documents: the real Secret Service cannot be made to fail that way."""

    def __init__(self) -> None:
        self.passwords: dict[tuple[str, str], str] = {}
        self.broken = False
        self.failed = threading.Event()

    def set_password(self, service: str, account: str, password: str) -> None:
        self.passwords[(service, account)] = password

    def get_password(self, service: str, account: str) -> str | None:
        if self.broken:
            self.failed.set()
            raise ValueError("a keyring backend's own bug")
        return self.passwords.get((service, account))

    def delete_password(self, service: str, account: str) -> None:
        self.passwords.pop((service, account), None)


def test_keeping_offline_runs_again_after_a_run_that_failed_unexpectedly(
    catalog_path: Path, make_repo: MakeRepo, recorder: Recorder
) -> None:
    """A run that failed with an unexpected error left the worker believing one still ran: nothing
    pinned or used by a profile was fetched for the rest of the session."""
    repo = make_repo(auth=("ana", "s3cret"))
    publish_charts(repo, {"web": {"1.0.0": chart_archive("web", "1.0.0")}})
    keyring = FlakyKeyring()
    worker = BackgroundWorker(catalog_path, CredentialStore(keyring), recorder)
    worker.start(schedule=False)
    reader = open_catalog(catalog_path, readonly=True)
    try:
        draft = RegistryDraft("r", repo.url, username="ana", password="s3cret")
        registry = worker.register(draft, CancelToken()).future.result(10).registry
        keyring.broken = True
        layer = Layer(registry.uid, registry.name, registry.endpoint, "web", "1.0.0")
        worker.save_profile(Profile(uid="", name="edge", layers=(layer,))).result(10)  # then keeps it offline
        assert keyring.failed.wait(10)
        keyring.broken = False
        worker.keep_offline()
        ref = ChartRef(registry.uid, "web", "1.0.0")
        deadline = time.monotonic() + 10  # a bounded wait, not a timing
        while cached_archive(reader, ref) is None and time.monotonic() < deadline:
            time.sleep(0.05)
        assert cached_archive(reader, ref) is not None
    finally:
        reader.close()
        assert worker.stop()


def test_accepting_removals_while_a_sync_runs_applies_them_after_it(
    worker: BackgroundWorker, recorder: Recorder, make_repo: MakeRepo
) -> None:
    """Accept Removals asked for while the schedule's sync of the same registry ran used to be
    handed that sync's result: held again, the user's word lost."""
    repo = make_repo(gzip_responses=False)
    repo.put("/index.yaml", simple_index({f"c{i}": ["1.0.0", "1.1.0"] for i in range(10)}))
    registry = worker.register(RegistryDraft("r", repo.url), CancelToken()).future.result(10).registry
    shrunk = simple_index({"c0": ["1.0.0", "1.1.0"]})
    repo.put("/index.yaml", shrunk)
    repo.faults["/index.yaml"] = Fault(bytes_per_second=len(shrunk) * 2)  # half a second on the wire
    running = worker.sync(registry.id, "schedule")
    accepted = worker.sync(registry.id, "manual", accept_removals=True)
    assert running.result(10).status == "held"
    result = accepted.result(10)
    assert result.status == "updated" and len(result.diff.removed) == 18
