"""The truth about reachability at launch (issue 25 item 1): a relaunch with the network gone showed
every registry as a green 'OK · 4 minutes ago'. Now each row reads 'OK as of 15:36 — not checked
since' until a bounded check (one request, no sync, off the UI thread) says whether it answers."""

from __future__ import annotations

import asyncio
import socket
import time
from collections.abc import Callable

from pytestqt.qtbot import QtBot

from desktop.app import RunningApp, build_app
from desktop.cancellation import CancelToken
from desktop.catalog.registries import RegistrySummary
from desktop.catalog.sync_records import SyncState
from desktop.paths import AppPaths
from desktop.registry import Registry, RegistryDraft
from desktop.secrets import CredentialStore
from desktop.timefmt import clock_or_date
from desktop.ui.registry_model import STATUS, registry_status
from tests.support.charts import simple_index
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]


def _status(running: RunningApp, registry: Registry) -> str:
    model = running.window.registries_tab.model
    row = model.row_of(registry.id)
    assert row is not None
    return str(model.data(model.index(row, STATUS)))


def _register(running: RunningApp, repo: RepoServer, name: str) -> Registry:
    repo.put("/index.yaml", simple_index({"web": ["1.0.0"]}))
    return running.context.worker.register(RegistryDraft(name, repo.url), CancelToken()).future.result(10).registry


def _runs(running: RunningApp) -> int:
    return int(running.context.reader.execute("SELECT COUNT(*) FROM sync_runs").fetchone()[0])


def test_an_unchecked_ok_says_as_of_when() -> None:
    registry = Registry(id=1, uid="u", name="r", endpoint="https://charts.example", sync_enabled=True, username=None)
    synced = time.time() - 300
    summary = RegistrySummary(
        registry, SyncState(snapshot_at=synced, last_success_at=synced, last_attempt_at=synced), 1, 1
    )
    unchecked = registry_status(summary, None, now=time.time(), session_start=time.time() - 1)
    assert unchecked.kind == "unchecked"
    assert unchecked.text == f"OK as of {clock_or_date(synced, time.time())} — not checked since"
    fresh = registry_status(summary, None, now=time.time(), session_start=synced - 1)  # synced this session
    assert fresh.text == "OK"


def test_a_relaunch_checks_which_registries_answer_without_syncing(
    qt_loop: object, app_paths: AppPaths, credentials: CredentialStore, qtbot: QtBot, make_repo: MakeRepo
) -> None:
    answering, gone, silent = make_repo(), make_repo(), make_repo()
    first = build_app(app_paths, schedule=False, credentials=credentials)
    registries = {
        name: _register(first, repo, name) for name, repo in (("up", answering), ("gone", gone), ("silent", silent))
    }
    first.window.close()
    first.shut_down()
    gets = len(answering.requests_for("/index.yaml"))
    gone.stop()  # refuses at once
    port = silent.port
    silent.stop()
    listener = socket.socket()  # accepts and never answers: the check waits out its bound
    listener.setsockopt(socket.SOL_SOCKET, socket.SO_REUSEADDR, 1)
    listener.bind(("127.0.0.1", port))
    listener.listen(8)
    asyncio.set_event_loop(None)
    try:
        second = build_app(app_paths, schedule=False, credentials=credentials)
    finally:
        asyncio.set_event_loop(qt_loop)  # type: ignore[arg-type]
    try:
        second.window.show()
        runs = _runs(second)
        assert _status(second, registries["silent"]).endswith(" — not checked since")
        assert _status(second, registries["silent"]).startswith("OK as of ")
        qtbot.waitUntil(
            lambda: _status(second, registries["gone"]).startswith("Offline: using snapshot of"), timeout=10000
        )
        qtbot.waitUntil(lambda: _status(second, registries["up"]) == "OK", timeout=10000)
        assert _status(second, registries["silent"]).startswith("OK as of ")  # still waiting for its answer
        qtbot.waitUntil(lambda: _status(second, registries["silent"]).startswith("Offline:"), timeout=20000)
        tab = second.window.registries_tab
        assert tab.offline_banner.isVisibleTo(second.window)
        assert "2 registries use their snapshots" in tab.offline_text.text()
        assert _runs(second) == runs  # checked, not synced
        assert len(answering.requests_for("/index.yaml")) == gets  # no index fetched: a knock, not a sync
    finally:
        listener.close()
        second.window.close()
        second.shut_down()
