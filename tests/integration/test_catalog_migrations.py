"""Catalogs written by earlier schemas, with data in every table, migrated to the current one: nothing
lost, history still attached to its runs (the sync_runs rebuild keeps its foreign keys working), profiles
and pins kept, and a private backup of the old file written first."""

from __future__ import annotations

import socket
import sqlite3
import stat
from pathlib import Path

import pytest

from desktop.catalog.db import SCHEMA_VERSION, open_catalog
from desktop.catalog.migrations import MIGRATIONS
from desktop.catalog.profiles import list_profiles
from desktop.catalog.registries import summaries
from desktop.catalog.sync_records import list_runs, mark_interrupted_runs, run_changes

DOCUMENT = b'[{"name":"nginx","version":"1.2.0","urls":["nginx-1.2.0.tgz"]}]'


LOGIN_NEEDED = next(n for n, m in enumerate(MIGRATIONS, 1) if any("login_needed" in s for s in m))


def write_schema(path: Path, version: int) -> sqlite3.Connection:
    """A catalog as the Chartkeeper of schema `version` left it (WAL mode, its statements, its number)."""
    db = sqlite3.connect(path, isolation_level=None)
    db.execute("PRAGMA journal_mode = WAL")
    db.execute("BEGIN")
    for migration in MIGRATIONS[:version]:
        for statement in migration:
            db.execute(statement)
    db.execute(f"PRAGMA user_version = {version}")
    db.execute("COMMIT")
    return db


def fill(db: sqlite3.Connection, version: int) -> None:
    """Rows in every table that schema `version` has."""
    db.execute("BEGIN")
    db.executemany(
        "INSERT INTO registries (id, uid, name, endpoint, sync_enabled, username, ca_pem, insecure_skip_tls_verify,"
        " created_at) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (1, "uid-stable", "stable", "https://charts.example/stable", 1, None, None, 0, 100.0),
            (2, "uid-private", "private", "https://charts.example/private", 0, "ops", "-----PEM-----", 1, 200.0),
        ],
    )
    db.executemany("INSERT INTO settings (key, value) VALUES (?, ?)", [("timeout", "45"), ("proxy", "")])
    db.executemany(
        "INSERT INTO sync_state (registry_id, etag, last_modified, content_digest, api_version, snapshot_at,"
        " last_success_at, last_attempt_at, last_error, last_error_kind, consecutive_failures)"
        " VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (1, '"etag-1"', "Mon, 01 Jan 2026 00:00:00 GMT", "digest-1", "v1", 300.0, 300.0, 300.0, None, None, 0),
            (2, None, None, None, None, 250.0, 250.0, 400.0, "The registry answered 502", "other", 2),
        ],
    )
    db.executemany(
        "INSERT INTO chart_versions (id, registry_id, chart, version, position, rank, prerelease, deprecated,"
        " app_version, description) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (1, 1, "nginx", "1.2.0", 0, 0, 0, 0, "1.25", "web server"),
            (2, 1, "nginx", "1.1.0", 1, 1, 0, 0, "1.24", "web server"),
            (3, 2, "redis", "7.0.0-rc1", 0, 0, 1, 1, "7.0", "a store"),
        ],
    )
    db.executemany(
        "INSERT INTO charts (registry_id, name, latest_version, latest_stable_version, version_count, app_version,"
        " description, deprecated, search_text, search_text_devel) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (1, "nginx", "1.2.0", "1.2.0", 2, "1.25", "web server", 0, "nginx\tweb server", "nginx\tweb server"),
            (2, "redis", "7.0.0-rc1", None, 1, "7.0", "a store", 1, "redis\ta store", "redis\ta store"),
        ],
    )
    db.executemany(
        "INSERT INTO chart_documents (id, registry_id, name, document_hash, document) VALUES (?, ?, ?, ?, ?)",
        [(1, 1, "nginx", b"\x01" * 16, DOCUMENT), (2, 2, "redis", b"\x02" * 16, b"[]")],
    )
    db.executemany(
        "INSERT INTO sync_runs (id, registry_id, trigger, started_at, finished_at, status, http_status, bytes,"
        " added, removed, changed, skipped, error) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
        [
            (1, 1, "register", 100.0, 101.0, "updated", 200, 5000, 2, 0, 0, 0, None),
            (2, 1, "schedule", 200.0, 201.0, "unchanged", 304, 0, 0, 0, 0, 0, None),
            (3, 2, "manual", 300.0, 302.0, "failed", 502, 0, 0, 0, 0, 0, "The registry answered 502"),
            (4, 2, "manual", 400.0, 400.5, "cancelled", None, 0, 0, 0, 0, 0, "Cancelled."),
            (5, 1, "manual", 500.0, None, "running", None, 0, 0, 0, 0, 0, None),
        ],
    )
    db.executemany(
        "INSERT INTO sync_run_changes (run_id, change, chart, version) VALUES (?, ?, ?, ?)",
        [(1, "added", "nginx", "1.2.0"), (1, "added", "nginx", "1.1.0"), (2, "changed", "nginx", "1.2.0")],
    )
    if version >= 2:
        db.execute(
            "INSERT INTO profiles (id, uid, name, version, description, tags, created_at, updated_at)"
            " VALUES (1, 'uid-web', 'Web Stack', '1.0.0', 'the web tier', '[\"env:prod\"]', 600.0, 610.0)"
        )
        db.executemany(
            "INSERT INTO profile_layers (id, profile_id, position, registry_uid, registry_name, registry_endpoint,"
            " chart, version, namespace, install_priority, values_override) VALUES (?, ?, ?, ?, ?, ?, ?, ?, ?, ?, ?)",
            [
                (1, 1, 0, "uid-stable", "stable", "https://charts.example/stable", "nginx", "1.2.0", "web", 0, "a: 1"),
                (
                    2,
                    1,
                    1,
                    "uid-private",
                    "private",
                    "https://charts.example/private",
                    "redis",
                    "7.0.0-rc1",
                    "db",
                    5,
                    "",
                ),
            ],
        )
        db.execute(
            "INSERT INTO pins (registry_uid, chart, version, pinned_at) VALUES ('uid-stable', 'nginx', '1.2.0', 700.0)"
        )
        db.execute(
            "INSERT INTO chart_archives (id, registry_uid, chart, version, digest, size, fetched_at, used_at, data)"
            " VALUES (1, 'uid-stable', 'nginx', '1.2.0', 'sha256', 4, 700.0, 710.0, x'1f8b0800')"
        )
    if version >= 3:
        db.execute("UPDATE registries SET plain_http = 1, chart_names = '[\"redis\"]' WHERE id = 2")
    if version >= 4:
        db.execute(
            "INSERT INTO removed_versions (registry_id, name, version, removed_at, prerelease, deprecated, app_version,"
            " description, search_text, entry) VALUES (1, 'nginx', '1.0.0', 90.0, 0, 0, '1.23', 'web server',"
            " 'nginx\tweb server', x'7b7d')"
        )
        # A process of this host that is long gone (no pid is this large).
        db.execute("UPDATE sync_runs SET owner = ? WHERE id = 5", (f"{socket.gethostname()}:2147483646:1",))
        db.execute("UPDATE sync_state SET index_had_generated = 1 WHERE registry_id = 1")
    if version >= 5:
        db.execute(
            "INSERT INTO chart_icons (registry_id, chart, url, document_hash, media_type, data, problem, retry,"
            " fetched_at) VALUES (1, 'nginx', 'https://charts.example/nginx.png', x'01', 'image/png', x'89504e47',"
            " NULL, 0, 800.0)"
        )
    if version >= 6:
        db.execute(
            "INSERT INTO registry_origins (registry_id, kind, at, source, upstream_sync)"
            " VALUES (2, 'bundle', 900.0, 'site.tar', 0)"
        )
        db.execute("INSERT INTO profile_origins (profile_id, fingerprint, at) VALUES (1, 'abc', 900.0)")
        db.execute("INSERT INTO bundle_layers (registry_id, digest) VALUES (2, 'sha256:00')")
    if version >= 10:
        db.execute(
            "INSERT INTO chart_provenance (registry_uid, chart, version, data, fetched_at)"
            " VALUES ('uid-stable', 'nginx', '1.2.0', x'2d2d', 950.0)"
        )
    if version >= 11:
        db.execute(
            "INSERT INTO image_blobs (digest, repository, at) VALUES ('sha256:11', 'site/docker.io/nginx', 960.0)"
        )
        db.execute(
            "INSERT INTO profile_images (profile_id, reference, carried_at)"
            " VALUES (1, 'docker.io/library/nginx:1.25', 960.0)"
        )
    db.execute("COMMIT")


def rows(db: sqlite3.Connection, table: str, columns: list[str]) -> list[tuple[object, ...]]:
    names = ", ".join(columns)
    return db.execute(f"SELECT {names} FROM {table} ORDER BY {names}").fetchall()


def contents(db: sqlite3.Connection) -> dict[str, tuple[list[str], list[tuple[object, ...]]]]:
    """Each table → its columns and rows, as this connection's schema has them."""
    tables = [name for (name,) in db.execute("SELECT name FROM sqlite_master WHERE type = 'table' ORDER BY name")]
    found = {}
    for table in tables:
        columns = [row[1] for row in db.execute(f"PRAGMA table_info({table})")]
        found[table] = (columns, rows(db, table, columns))
    return found


@pytest.mark.parametrize("version", range(1, SCHEMA_VERSION))
def test_every_row_survives_the_migration_to_the_current_schema(tmp_path: Path, version: int) -> None:
    path = tmp_path / "catalog.sqlite3"
    old = write_schema(path, version)
    fill(old, version)
    before = contents(old)
    empty = [table for table, (_, table_rows) in before.items() if not table_rows]
    assert empty == [], f"fill() must put rows in every table of schema {version}: extend it for {empty}"
    old.close()

    db = open_catalog(path)
    try:
        assert db.execute("PRAGMA user_version").fetchone()[0] == SCHEMA_VERSION
        for table, (columns, table_rows) in before.items():
            assert rows(db, table, columns) == table_rows, table  # every column that was there, unchanged
        assert db.execute("PRAGMA foreign_key_check").fetchall() == []
        assert db.execute("PRAGMA integrity_check").fetchone() == ("ok",)

        # New columns take their defaults; the new tables start empty.
        if version < 4:
            assert db.execute("SELECT count(*) FROM removed_versions").fetchone() == (0,)
            assert db.execute("SELECT DISTINCT owner FROM sync_runs").fetchall() == [(None,)]
            assert db.execute("SELECT DISTINCT index_had_generated FROM sync_state").fetchall() == [(None,)]
        if version < 7:  # a registry with a username keeps its password: none uses a token
            assert db.execute("SELECT DISTINCT token_auth FROM registries").fetchall() == [(0,)]
            assert {s.registry.name: s.registry.auth for s in summaries(db)}["stable"] in ("none", "basic")
        if version < 3:
            assert db.execute("SELECT DISTINCT plain_http, chart_names FROM registries").fetchall() == [(0, "[]")]
        if version < 9:  # an OCI registry made before base paths reads its endpoint's own path
            assert db.execute("SELECT DISTINCT base_paths FROM registries").fetchall() == [("[]",)]
            assert {s.registry.base_paths for s in summaries(db)} == {()}
        if version < 11:  # image records start empty: nothing was imported with images before
            assert db.execute("SELECT count(*) FROM image_blobs").fetchone() == (0,)
            assert db.execute("SELECT count(*) FROM profile_images").fetchone() == (0,)
        if 6 <= version < LOGIN_NEEDED:  # a bundle's registry made before the flag: no login asked of its exports
            assert db.execute("SELECT DISTINCT login_needed FROM registry_origins").fetchall() == [(0,)]
        if 2 <= version < 7:  # profiles made before variables have none
            assert db.execute("SELECT DISTINCT variables FROM profiles").fetchall() == [("[]",)]

        # History reads as the app reads it, still attached to its runs.
        stable = next(s for s in summaries(db) if s.registry.name == "stable")
        assert stable.state.etag == '"etag-1"'
        # The run an older version left 'running' reads as interrupted before anything is written.
        assert [run.status for run in list_runs(db, 1)] == ["interrupted", "unchanged", "updated"]
        assert db.execute("SELECT status FROM sync_runs WHERE id = 5").fetchone() == ("running",)
        assert run_changes(db, 1) == [("added", "nginx", "1.1.0"), ("added", "nginx", "1.2.0")]
        # A run left running by a process long gone is marked interrupted (the new status exists now).
        assert mark_interrupted_runs(db) == 1
        assert db.execute("SELECT status FROM sync_runs WHERE id = 5").fetchone() == ("interrupted",)
        # The rebuilt sync_runs keeps its foreign keys both ways: removing a run takes its changes,
        # removing a registry takes its runs.
        db.execute("DELETE FROM sync_runs WHERE id = 1")
        assert run_changes(db, 1) == []
        assert db.execute("SELECT count(*) FROM sync_run_changes").fetchone() == (1,)
        db.execute("DELETE FROM registries WHERE id = 2")
        assert db.execute("SELECT count(*) FROM sync_runs WHERE registry_id = 2").fetchone() == (0,)
        if version >= 2:
            profiles = list_profiles(db)
            assert [(p.name, len(p.layers), p.variables) for p in profiles] == [("Web Stack", 2, ())]
            assert db.execute("SELECT chart, version FROM pins").fetchall() == [("nginx", "1.2.0")]
    finally:
        db.close()

    backup = tmp_path / f"catalog.sqlite3.v{version}.bak"
    assert oct(stat.S_IMODE(backup.stat().st_mode)) == "0o600"
    with sqlite3.connect(backup) as saved:
        assert saved.execute("PRAGMA user_version").fetchone()[0] == version
        assert contents(saved) == before  # the file as it was before the migration
    saved.close()
