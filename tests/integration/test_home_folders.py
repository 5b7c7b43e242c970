"""The home's folders: a --home that is a file or cannot be created is one line; what Chartkeeper writes
is private (folders 0700, files 0600, SQLite's -wal/-shm and migration backups too), and what earlier
versions left open is tightened at start."""

from __future__ import annotations

import logging
import os
import stat
from collections.abc import Callable
from pathlib import Path

from desktop.catalog.db import open_catalog
from desktop.logs import configure_logging
from tests.conftest import CliResult, one_error_line
from tests.support.charts import simple_index
from tests.support.mounts import read_only_view
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]


def modes(root: Path) -> dict[str, str]:
    """Every file and folder under `root` (itself included) → its permission bits."""
    found = {".": oct(stat.S_IMODE(root.stat().st_mode))}
    for path in root.rglob("*"):
        found[str(path.relative_to(root))] = oct(stat.S_IMODE(path.lstat().st_mode))
    return found


def test_a_home_that_is_a_file_is_one_line(run_cli: RunCli, tmp_path: Path) -> None:
    a_file = tmp_path / "notes.txt"
    a_file.write_text("not a folder")
    for args, env in (
        (("--home", str(a_file)), {}),
        (("--home", str(a_file / "below")), {}),
        ((), {"CHARTKEEPER_HOME": str(a_file)}),
    ):
        line = one_error_line(run_cli(*args, "registry", "list", env=env))
        assert f"{a_file} is a file, not a folder" in line
        assert "choose another with --home or CHARTKEEPER_HOME" in line
    assert a_file.read_text() == "not a folder"


def test_a_home_that_cannot_be_created_is_one_line(run_cli: RunCli, tmp_path: Path) -> None:
    line = one_error_line(run_cli("--home", "/proc/chartkeeper-home", "registry", "list"))
    assert "Chartkeeper cannot create the folder /proc/chartkeeper-home/data" in line
    empty = tmp_path / "empty"
    empty.mkdir()
    with read_only_view(empty, tmp_path / "read-only") as view:
        result = run_cli("--home", str(view / "home"), "registry", "list")
        assert "Read-only file system" in one_error_line(result)
        assert not (view / "home").exists()


def test_what_chartkeeper_writes_is_private(run_cli: RunCli, make_repo: MakeRepo, home: Path) -> None:
    repo = make_repo()
    repo.put("/index.yaml", simple_index({"nginx": ["1.0.0"]}))
    assert run_cli("registry", "add", "stable", repo.url).returncode == 0
    found = modes(home)
    del found["."]  # the folder the test made
    assert found == {
        "data": "0o700",
        "cache": "0o700",
        "config": "0o700",
        "logs": "0o700",
        "data/catalog.sqlite3": "0o600",
    }
    db = open_catalog(home / "data" / "catalog.sqlite3")  # while open, SQLite's own files exist
    try:
        db.execute("SELECT count(*) FROM registries").fetchone()
        assert modes(home / "data") == {
            ".": "0o700",
            "catalog.sqlite3": "0o600",
            "catalog.sqlite3-wal": "0o600",
            "catalog.sqlite3-shm": "0o600",
        }
    finally:
        db.close()


def test_a_home_chartkeeper_creates_is_private_and_folders_it_finds_are_left_alone(
    run_cli: RunCli, tmp_path: Path
) -> None:
    shared = tmp_path / "shared"
    shared.mkdir(mode=0o755)
    shared.chmod(0o755)  # whatever the umask
    home = shared / "new" / "home"
    assert run_cli("--home", str(home), "registry", "list").returncode == 0
    assert oct(stat.S_IMODE((shared / "new").stat().st_mode)) == "0o700"
    assert modes(home) == {
        ".": "0o700",
        "data": "0o700",
        "data/catalog.sqlite3": "0o600",
        "cache": "0o700",
        "config": "0o700",
        "logs": "0o700",
    }
    assert oct(stat.S_IMODE(shared.stat().st_mode)) == "0o755"  # not Chartkeeper's to change


def test_the_log_file_is_created_private(tmp_path: Path) -> None:
    log_file = tmp_path / "logs" / "chartkeeper.log"
    configure_logging(log_file)
    root = logging.getLogger()
    handler = next(h for h in root.handlers if getattr(h, "baseFilename", None) == str(log_file))
    try:
        logging.getLogger("desktop.test").warning("a line")
        handler.flush()
        assert log_file.read_text().endswith("a line\n")
        assert oct(stat.S_IMODE(log_file.stat().st_mode)) == "0o600"
    finally:
        root.removeHandler(handler)
        handler.close()


def test_a_named_pipe_in_the_logs_place_never_holds_a_command(tmp_path: Path) -> None:
    """Opening a FIFO for writing waits for a reader that never comes: the line is dropped instead."""
    import threading

    log_file = tmp_path / "logs" / "chartkeeper.log"
    log_file.parent.mkdir()
    os.mkfifo(log_file)
    configure_logging(log_file)
    root = logging.getLogger()
    handler = next(h for h in root.handlers if getattr(h, "baseFilename", None) == str(log_file))
    writer = threading.Thread(target=logging.getLogger("desktop.test").warning, args=("a line",), daemon=True)
    try:
        writer.start()
        writer.join(timeout=20)  # a wide bound: it returns at once, or never
        assert not writer.is_alive()
        assert stat.S_ISFIFO(log_file.stat().st_mode)
    finally:
        reader = os.open(log_file, os.O_RDONLY | os.O_NONBLOCK)  # lets a blocked writer go
        writer.join(timeout=5)
        os.close(reader)
        root.removeHandler(handler)
        handler.close()


def test_files_an_earlier_version_left_open_are_tightened_at_start(run_cli: RunCli, home: Path) -> None:
    assert run_cli("registry", "list").returncode == 0
    (home / "config" / "window.ini").write_text("[window]\n")
    (home / "cache" / "archives").mkdir()
    (home / "cache" / "archives" / "nginx-1.0.0.tgz").write_bytes(b"\x1f\x8b")
    (home / "data" / "catalog.sqlite3.v3.bak").write_bytes(b"")
    (home / "logs" / "chartkeeper.log").write_text("an old line\n")
    for path in [*home.rglob("*")]:
        os.chmod(path, 0o755 if path.is_dir() else 0o644)  # as versions before 0.9 left them
    link = home / "data" / "elsewhere"
    outside = home.parent / "outside.txt"
    outside.write_text("not ours")
    outside.chmod(0o644)
    link.symlink_to(outside)

    assert run_cli("registry", "list").returncode == 0
    found = modes(home)
    del found["."]
    assert {path: mode for path, mode in found.items() if path != "data/elsewhere"} == {
        "data": "0o700",
        "cache": "0o700",
        "cache/archives": "0o700",
        "config": "0o700",
        "logs": "0o700",
        "data/catalog.sqlite3": "0o600",
        "data/catalog.sqlite3.v3.bak": "0o600",
        "cache/archives/nginx-1.0.0.tgz": "0o600",
        "config/window.ini": "0o600",
        "logs/chartkeeper.log": "0o600",
    }
    assert oct(stat.S_IMODE(outside.stat().st_mode)) == "0o644"  # a link is not followed out of the home
