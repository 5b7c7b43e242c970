"""A home on a read-only mount (or a backup restored read-only), for real: listing, search and show work
from the catalog as it is, with a note that nothing can be saved; commands that write say plainly that
the catalog is read-only. Both states of a WAL catalog: closed cleanly (no -wal/-shm files) and with
changes still in its -wal file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.conftest import CliResult, one_error_line
from tests.support.charts import simple_index
from tests.support.mounts import read_only_view
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]
NOTE = "is read-only (it is on a read-only file system): reading it as it is; nothing can be saved."


def add(run_cli: RunCli, make_repo: MakeRepo, name: str, charts: dict[str, list[str]]) -> None:
    repo = make_repo()
    repo.put("/index.yaml", simple_index(charts))
    added = run_cli("registry", "add", name, repo.url)
    assert added.returncode == 0, added.stderr


def check_reads_and_refused_writes(run_cli: RunCli, view: Path, names: list[str]) -> None:
    listing = run_cli("--home", str(view), "registry", "list", "-o", "json")
    assert listing.returncode == 0, listing.stderr
    assert sorted(r["name"] for r in json.loads(listing.stdout)) == names
    assert NOTE in listing.stderr and "error" not in listing.stderr

    found = run_cli("--home", str(view), "search", "nginx", "-o", "json")
    assert found.returncode == 0, found.stderr
    assert [hit["name"] for hit in json.loads(found.stdout)] == ["stable/nginx"]

    profiles = run_cli("--home", str(view), "profile", "list")
    assert profiles.returncode == 0, profiles.stderr

    shown = run_cli("--home", str(view), "show", "chart", "stable/nginx")
    assert shown.returncode == 0, shown.stderr
    assert yaml.safe_load(shown.stdout)["version"] == "1.2.0"

    for write in (("registry", "sync", "stable"), ("registry", "remove", "stable"), ("profile", "delete", "x")):
        line = one_error_line(run_cli("--home", str(view), *write), alone=False)
        assert "is read-only (it is on a read-only file system): nothing can be saved" in line, write
        assert "move it aside" not in line


def test_a_read_only_home_is_read_and_never_written(run_cli: RunCli, make_repo: MakeRepo, home: Path) -> None:
    add(run_cli, make_repo, "stable", {"nginx": ["1.2.0", "1.1.0"]})
    assert not (home / "data" / "catalog.sqlite3-shm").exists()  # closed cleanly: SQLite would need to make one
    with read_only_view(home, home.parent / "read-only") as view:
        check_reads_and_refused_writes(run_cli, view, ["stable"])
        assert sorted(p.name for p in (view / "data").iterdir()) == ["catalog.sqlite3"]


def test_changes_still_in_the_wal_file_are_read(run_cli: RunCli, make_repo: MakeRepo, home: Path) -> None:
    add(run_cli, make_repo, "stable", {"nginx": ["1.2.0"]})
    catalog = home / "data" / "catalog.sqlite3"
    # Another connection stays open, so the last command's changes stay in the -wal file
    # (a copy taken while Chartkeeper was running looks like this).
    with sqlite3.connect(catalog) as keeper:
        keeper.execute("SELECT count(*) FROM registries").fetchone()
        add(run_cli, make_repo, "mirror", {"redis": ["7.0.0"]})
        assert (catalog.with_name("catalog.sqlite3-wal")).stat().st_size > 0
        with read_only_view(home, home.parent / "read-only") as view:
            check_reads_and_refused_writes(run_cli, view, ["mirror", "stable"])
    keeper.close()
