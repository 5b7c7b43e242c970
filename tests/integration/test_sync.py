"""Sync against a real server: conditional GET, gzip, atomic replacement, history, due times."""

from __future__ import annotations

import os
import signal
import socket
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop.catalog.charts import get_chart_version, search_charts
from desktop.catalog.db import open_catalog
from desktop.catalog.registries import get_registry
from desktop.catalog.sync_records import list_runs, mark_interrupted_runs, run_changes, sync_state
from desktop.jobs.schedule import due_registries
from desktop.registry import Registry, RegistryDraft
from tests.conftest import ROOT
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_entry, index_yaml, simple_index
from tests.support.repo_server import Fault, RepoServer

DAY = 24 * 60 * 60

MakeRepo = Callable[..., RepoServer]


def _register(engine: CatalogHarness, repo: RepoServer, body: bytes, name: str = "repo") -> Registry:
    repo.put("/index.yaml", body)
    return engine.register(RegistryDraft(name, repo.url)).registry


def _snapshot(engine: CatalogHarness, registry: Registry) -> list[tuple[str, str]]:
    return engine.db.execute(
        "SELECT chart, version FROM chart_versions WHERE registry_id = ? ORDER BY chart, rank", (registry.id,)
    ).fetchall()


def test_an_unchanged_index_costs_one_304(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    registry = _register(engine, repo, simple_index({"a": ["1.0.0"]}))
    before = len(repo.requests)
    result = engine.sync(registry)
    assert (result.status, result.http_status, result.bytes) == ("unchanged", 304, 0)
    assert len(repo.requests) == before + 1
    assert repo.requests[-1].headers["if-none-match"].startswith('"')


def test_last_modified_alone_also_gives_a_304(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.etags = False
    registry = _register(engine, repo, simple_index({"a": ["1.0.0"]}))
    result = engine.sync(registry)
    assert (result.status, result.http_status) == ("unchanged", 304)
    assert "if-modified-since" in repo.requests[-1].headers


def test_gzip_is_asked_for_and_used(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    body = simple_index({f"chart-{i}": ["1.0.0", "1.1.0"] for i in range(200)})
    registry = _register(engine, repo, body)
    run = list_runs(engine.db, registry.id)[0]
    assert "gzip" in repo.requests[-1].headers["accept-encoding"]
    assert 0 < run.bytes < len(body) / 3


def test_the_same_index_regenerated_writes_no_snapshot(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    registry = _register(engine, repo, simple_index({"a": ["1.0.0"]}, generated="2026-01-01T00:00:00Z"))
    state_before = sync_state(engine.db, registry.id)
    changes_before = engine.db.total_changes
    repo.put("/index.yaml", simple_index({"a": ["1.0.0"]}, generated="2026-02-02T00:00:00Z"))
    result = engine.sync(registry)
    assert (result.status, result.http_status) == ("unchanged", 200)
    assert result.bytes > 0
    state_after = sync_state(engine.db, registry.id)
    assert state_after.snapshot_at == state_before.snapshot_at
    assert state_after.last_success_at is not None and state_after.last_success_at >= state_before.last_success_at  # type: ignore[operator]
    # Only bookkeeping rows were written: the run (insert + update) and the sync state (two updates).
    assert engine.db.total_changes - changes_before == 4


def test_changes_are_counted_and_listed(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    registry = _register(
        engine,
        repo,
        index_yaml(
            {
                "a": [chart_entry("a", "1.0.0"), chart_entry("a", "0.9.0")],
                "b": [chart_entry("b", "2.0.0")],
                "c": [chart_entry("c", "3.0.0")],
            }
        ),
    )
    repo.put(
        "/index.yaml",
        index_yaml(
            {
                "a": [
                    chart_entry("a", "1.1.0"),
                    chart_entry("a", "1.0.0", description="Now better"),
                    chart_entry("a", "0.9.0"),
                ],
                "c": [chart_entry("c", "3.0.0")],
                "d": [chart_entry("d", "0.1.0")],
            }
        ),
    )
    result = engine.sync(registry)
    assert result.status == "updated"
    assert sorted(result.diff.added) == [("a", "1.1.0"), ("d", "0.1.0")]
    assert result.diff.removed == [("b", "2.0.0")]
    assert result.diff.changed == [("a", "1.0.0")]
    run = list_runs(engine.db, registry.id)[0]
    assert (run.added, run.removed, run.changed) == (2, 1, 1)
    assert run_changes(engine.db, run.id) == [
        ("added", "a", "1.1.0"),
        ("changed", "a", "1.0.0"),
        ("removed", "b", "2.0.0"),
        ("added", "d", "0.1.0"),
    ]
    assert get_chart_version(engine.db, registry, "a", "1.0.0").meta["description"] == "Now better"
    assert _snapshot(engine, registry) == [
        ("a", "1.1.0"),
        ("a", "1.0.0"),
        ("a", "0.9.0"),
        ("c", "3.0.0"),
        ("d", "0.1.0"),
    ]


@pytest.mark.parametrize(
    "fault",
    [Fault(truncate_after=200), Fault(status=503, body=b"maintenance"), Fault(status=200, body=b"<html>login</html>")],
)
def test_a_failed_sync_keeps_the_previous_snapshot(engine: CatalogHarness, make_repo: MakeRepo, fault: Fault) -> None:
    repo = make_repo(gzip_responses=False)
    registry = _register(engine, repo, simple_index({"keep": ["1.0.0", "1.1.0"]}))
    repo.put("/index.yaml", simple_index({"new": ["9.9.9"]}) + b"#" * 1000)
    repo.faults["/index.yaml"] = fault
    result = engine.sync(registry)
    assert result.status == "failed" and result.error
    assert _snapshot(engine, registry) == [("keep", "1.1.0"), ("keep", "1.0.0")]
    assert [h.name for h in search_charts(engine.db, "keep")] == ["repo/keep"]
    state = sync_state(engine.db, registry.id)
    assert (state.last_error, state.consecutive_failures) == (result.error, 1)
    run = list_runs(engine.db, registry.id)[0]
    assert (run.status, run.error) == ("failed", result.error)


def test_a_stopped_server_fails_the_sync_and_the_snapshot_stays(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    registry = _register(engine, repo, simple_index({"offline": ["1.0.0"]}))
    repo.stop()
    result = engine.sync(registry)
    assert result.status == "failed"
    assert "Connection refused" in (result.error or "")
    assert [h.name for h in search_charts(engine.db, "offline")] == ["repo/offline"]


def test_a_registry_is_due_a_day_after_its_last_success(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    now = [1_000_000.0]
    engine.clock = lambda: now[0]
    on = _register(engine, repo, simple_index({"a": ["1.0.0"]}), "on")
    repo.put("/index.yaml", simple_index({"a": ["1.0.0"]}))
    off = engine.register(RegistryDraft("off", repo.url, sync_enabled=False)).registry
    assert due(engine.db, now[0]) == []
    now[0] += DAY - 1
    assert due(engine.db, now[0]) == []
    now[0] += 1
    assert due(engine.db, now[0]) == ["on"]
    engine.sync(on, "schedule")
    assert due(engine.db, now[0]) == []
    assert off.name not in due(engine.db, now[0] + 10 * DAY)
    # A restart does not reset the clock: it lives in the catalog.
    reopened = open_catalog(Path(engine.db.execute("PRAGMA database_list").fetchone()[2]))
    assert due(reopened, now[0] + DAY) == ["on"]
    reopened.close()


def due(db: sqlite3.Connection, now: float) -> list[str]:
    return [registry.name for registry in due_registries(db, now, DAY)[0]]


def test_sync_with_synchronization_off_still_works_when_asked(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.put("/index.yaml", simple_index({"a": ["1.0.0"]}))
    registry = engine.register(RegistryDraft("manual", repo.url, sync_enabled=False)).registry
    repo.put("/index.yaml", simple_index({"a": ["1.0.0", "1.1.0"]}))
    assert engine.sync(registry).diff.added == [("a", "1.1.0")]
    assert search_charts(engine.db, "a") == []  # not searchable: Palette's rule for synchronization off
    assert get_chart_version(engine.db, registry, "a", "1.1.0").version == "1.1.0"


def test_interrupted_runs_are_marked_interrupted(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    registry = _register(engine, repo, simple_index({"a": ["1.0.0"]}))
    engine.db.execute(
        "INSERT INTO sync_runs (registry_id, trigger, started_at, status) VALUES (?, 'manual', 1, 'running')",
        (registry.id,),
    )
    assert mark_interrupted_runs(engine.db) == 1
    assert list_runs(engine.db, registry.id)[-1].status == "interrupted"


def test_history_reads_a_dead_process_run_as_interrupted_and_a_live_one_as_running(
    engine: CatalogHarness, make_repo: MakeRepo
) -> None:
    """A read-only command (history after a kill -9, before anything wrote) tells the truth without
    writing; another Chartkeeper's live sync still reads as running."""
    repo = make_repo()
    registry = _register(engine, repo, simple_index({"a": ["1.0.0"]}))
    live = subprocess.Popen([sys.executable, "-c", "import time; time.sleep(60)"])
    dead = subprocess.Popen([sys.executable, "-c", "pass"])
    dead.wait()
    try:
        host = socket.gethostname()
        for started, process in ((2, dead), (3, live)):
            engine.db.execute(
                "INSERT INTO sync_runs (registry_id, trigger, started_at, status, owner)"
                " VALUES (?, 'manual', ?, 'running', ?)",
                (registry.id, started, f"{host}:{process.pid}:"),
            )
        runs = {run.started_at: run for run in list_runs(engine.db, registry.id)}
        assert (runs[3].status, runs[2].status) == ("running", "interrupted")
        assert runs[2].error is not None and "stopped" in runs[2].error
        statuses = engine.db.execute("SELECT status FROM sync_runs WHERE started_at IN (2, 3)").fetchall()
        assert statuses == [("running",), ("running",)]  # reading wrote nothing
    finally:
        live.kill()
        live.wait()


@pytest.mark.slow
def test_killing_a_sync_midway_leaves_a_whole_snapshot(make_repo: MakeRepo, home: Path, secret_service: object) -> None:
    """SIGKILL the CLI at many moments of a large sync: every time, the catalog holds either the
    old snapshot or the new one, whole, and stays searchable."""
    old = simple_index({f"old-{i}": [f"1.{j}.0" for j in range(10)] for i in range(300)})
    new = simple_index({f"new-{i}": [f"2.{j}.0" for j in range(10)] for i in range(1500)})
    repo = make_repo()
    repo.put("/index.yaml", old)
    env = {**os.environ, "CHARTKEEPER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    command = [sys.executable, "-m", "desktop"]
    subprocess.run([*command, "registry", "add", "big", repo.url], env=env, check=True, capture_output=True)
    repo.put("/index.yaml", new)
    started = time.monotonic()
    full = subprocess.run([*command, "registry", "sync", "big", "--accept-removals"], env=env, capture_output=True)
    duration = time.monotonic() - started
    assert full.returncode == 0, full.stderr
    repo.put("/index.yaml", old)
    subprocess.run([*command, "registry", "sync", "big", "--accept-removals"], env=env, check=True, capture_output=True)
    repo.put("/index.yaml", new)
    outcomes = set()
    catalog = home / "data" / "catalog.sqlite3"
    for attempt in range(12):
        process = subprocess.Popen(
            [*command, "registry", "sync", "big", "--accept-removals"],
            env=env,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.DEVNULL,
        )
        time.sleep(duration * (0.15 + attempt * 0.1))  # from the download to past the commit
        process.send_signal(signal.SIGKILL)
        process.wait()
        db = open_catalog(catalog)
        try:
            assert db.execute("PRAGMA integrity_check").fetchone()[0] == "ok"
            registry = get_registry(db, "big")
            count = db.execute("SELECT COUNT(*) FROM chart_versions WHERE registry_id = ?", (registry.id,)).fetchone()[
                0
            ]
            charts = db.execute("SELECT COUNT(*) FROM charts WHERE registry_id = ?", (registry.id,)).fetchone()[0]
            assert (count, charts) in ((3000, 300), (15000, 1500))
            assert search_charts(db, "old-1" if count == 3000 else "new-1")
            outcomes.add(count)
            if count == 15000:  # the sync finished: put the old index back for the next attempt
                subprocess.run([*command, "registry", "sync", "big", "--accept-removals"], env=env, capture_output=True)
                repo.put("/index.yaml", old)
                subprocess.run(
                    [*command, "registry", "sync", "big", "--accept-removals"], env=env, check=True, capture_output=True
                )
                repo.put("/index.yaml", new)
        finally:
            db.close()
    assert 3000 in outcomes  # at least one kill landed before the commit


def test_an_unreachable_registry_is_offline_a_refusing_one_is_not(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    registry = _register(engine, repo, simple_index({"a": ["1.0.0"]}))
    repo.faults["/index.yaml"] = Fault(status=500, body=b"boom")
    engine.sync(registry)
    assert not sync_state(engine.db, registry.id).offline
    repo.stop()
    result = engine.sync(registry)
    assert result.error_kind == "network"
    state = sync_state(engine.db, registry.id)
    assert state.offline and state.consecutive_failures == 2
    repo.restart()
    repo.faults.clear()
    assert engine.sync(registry).ok
    assert not sync_state(engine.db, registry.id).offline


def test_editing_keeps_the_snapshot_and_checks_a_new_endpoint(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    from dataclasses import replace

    from desktop.errors import UserError

    repo = make_repo(auth=("ana", "pw"))
    repo.put("/index.yaml", simple_index({"a": ["1.0.0"]}))
    registry = engine.register(RegistryDraft("r", repo.url, username="ana", password="pw")).registry
    draft = RegistryDraft("renamed", repo.url, sync_enabled=False, username="ana", keep_password=True)
    edited = engine.update(registry, draft)
    assert (edited.name, edited.sync_enabled, edited.uid) == ("renamed", False, registry.uid)
    assert engine.credentials.get_password(registry.uid) == "pw"
    assert _snapshot(engine, edited) == [("a", "1.0.0")]
    with pytest.raises(UserError, match="Nothing at"):
        engine.update(edited, replace(draft, endpoint=repo.url + "/moved"))
    assert get_registry(engine.db, "renamed").endpoint == repo.url  # nothing saved when the check fails
    with pytest.raises(UserError, match="refused the username or password"):
        engine.update(edited, replace(draft, password="wrong", keep_password=False))
    assert engine.credentials.get_password(registry.uid) == "pw"
