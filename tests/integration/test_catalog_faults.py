"""Faults of the catalog file, through the real CLI: another process holding the write lock (wait with
a message, then one line), a damaged page (one line that says what to do, `catalog check`, `catalog
recover` that keeps the damaged file and loses only what was on the bad page)."""

from __future__ import annotations

import json
import os
import random
import re
import sqlite3
import subprocess
import sys
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from desktop.catalog.db import SCHEMA_VERSION
from desktop.cli.context import WAITING
from tests.conftest import ROOT, CliResult, one_error_line
from tests.support.charts import chart_entry, index_yaml
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]
PAGE = 4096

# Enough versions that chart_versions spans many pages, so one bad page costs only some of them.
BIG_INDEX = index_yaml(
    {
        f"chart-{number:02d}": [
            chart_entry(f"chart-{number:02d}", f"1.{minor}.0", description=f"Chart {number} " + "text " * 20)
            for minor in range(30)
        ]
        for number in range(40)
    }
)
HOLDER = """
import sqlite3, sys
db = sqlite3.connect(sys.argv[1], isolation_level=None)
db.execute("BEGIN IMMEDIATE")
print("holding", flush=True)
sys.stdin.readline()
db.execute("COMMIT")
"""


@pytest.fixture
def holder(catalog_path: Path) -> Iterator[subprocess.Popen[str]]:
    """A second process holding the catalog's write lock (BEGIN IMMEDIATE) until told to commit."""
    process = subprocess.Popen(
        [sys.executable, "-c", HOLDER, str(catalog_path)], stdin=subprocess.PIPE, stdout=subprocess.PIPE, text=True
    )
    assert process.stdout is not None and process.stdout.readline().strip() == "holding"
    yield process
    if process.poll() is None:
        process.kill()
    process.communicate(timeout=10)  # waits, and closes the pipes


def cli_process(home: Path, *args: str) -> subprocess.Popen[str]:
    env = {**os.environ, "CHARTKEEPER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    return subprocess.Popen(
        [sys.executable, "-m", "desktop", *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )


# --- busy ----------------------------------------------------------------------------------------------


@pytest.fixture
def registered(run_cli: RunCli, make_repo: MakeRepo) -> RepoServer:
    repo = make_repo()
    repo.put("/index.yaml", BIG_INDEX)
    added = run_cli("registry", "add", "stable", repo.url)
    assert added.returncode == 0, added.stderr
    return repo


@pytest.mark.slow
def test_a_write_waits_for_another_writer_and_says_so(
    registered: RepoServer, home: Path, holder: subprocess.Popen[str]
) -> None:
    remove = cli_process(home, "registry", "remove", "stable")
    assert remove.stderr is not None
    assert remove.stderr.readline().strip() == WAITING  # it waits, and says why
    assert holder.stdin is not None
    holder.stdin.write("\n")  # the other writer commits
    holder.stdin.flush()
    stdout, stderr = remove.communicate(timeout=60)
    assert remove.returncode == 0, stderr
    assert "has been removed" in stdout
    assert "error" not in stderr


@pytest.mark.slow
def test_a_catalog_locked_too_long_is_busy_in_one_line(
    registered: RepoServer, run_cli: RunCli, holder: subprocess.Popen[str]
) -> None:
    result = run_cli("registry", "remove", "stable", timeout=120)
    line = one_error_line(result, alone=False)
    assert "is busy (another Chartkeeper is writing); try again" in line
    assert result.stderr.splitlines()[0] == WAITING
    assert holder.stdin is not None
    holder.communicate("\n", timeout=10)
    listing = json.loads(run_cli("registry", "list", "-o", "json").stdout)
    assert [r["name"] for r in listing] == ["stable"]  # nothing was half-done


def test_every_write_goes_through_the_waiting_transaction() -> None:
    """Only catalog/db.py begins and commits transactions, so every write waits the same way."""
    offenders = []
    for path in (ROOT / "desktop").rglob("*.py"):
        if path.name == "db.py" and path.parent.name == "catalog":
            continue
        text = path.read_text(encoding="utf-8")
        if re.search(r"""["'](BEGIN|COMMIT|ROLLBACK|END)\b""", text) or "isolation_level=" in text:
            offenders.append(str(path.relative_to(ROOT)))
    assert offenders == ["desktop/catalog/maintenance.py"]  # it writes only the new file it recovers into


# --- damaged -------------------------------------------------------------------------------------------


def leaf_pages(catalog: Path, table: str) -> list[int]:
    with sqlite3.connect(catalog) as db:
        return [
            page
            for (page,) in db.execute(
                "SELECT pageno FROM dbstat WHERE name = ? AND pagetype = 'leaf' ORDER BY pageno", (table,)
            )
        ]


def damage(catalog: Path, page: int, seed: int = 8) -> None:
    """What `dd if=/dev/urandom of=catalog bs=4096 seek=PAGE-1 count=1 conv=notrunc` does."""
    with open(catalog, "r+b") as file:
        file.seek((page - 1) * PAGE)
        file.write(random.Random(seed).randbytes(PAGE))


def versions(run_cli: RunCli) -> list[str]:
    found = run_cli("search", "--versions", "-o", "json")
    assert found.returncode == 0, found.stderr
    return [f"{hit['name']}@{hit['version']}" for hit in json.loads(found.stdout)]


def test_a_damaged_page_is_one_line_then_checked_and_recovered(
    registered: RepoServer, run_cli: RunCli, catalog_path: Path
) -> None:
    before = versions(run_cli)
    assert len(before) == 1200
    pages = leaf_pages(catalog_path, "chart_versions")
    assert len(pages) > 10
    damage(catalog_path, pages[len(pages) // 2])

    line = one_error_line(run_cli("search", "--versions"), alone=False)
    assert f"The catalog {catalog_path} is damaged" in line
    assert "chartkeeper catalog recover" in line and "move it aside" not in line and "afresh" not in line

    check = run_cli("catalog", "check")
    assert "is damaged" in one_error_line(check, alone=False)
    assert check.stdout.startswith(f"SQLite's integrity check of {catalog_path} found:\n  ")
    report = json.loads(run_cli("catalog", "check", "-o", "json").stdout)
    assert report["sound"] is False and report["problems"] and report["schema"] == SCHEMA_VERSION

    damaged_bytes = catalog_path.read_bytes()
    recovered = run_cli("catalog", "recover")
    assert recovered.returncode == 0, recovered.stderr
    assert "Recovered into" in recovered.stdout and "1 registries" in recovered.stdout
    assert "will be downloaded again at the next sync" in recovered.stdout
    kept = sorted(catalog_path.parent.glob("catalog.sqlite3.damaged-*"))
    assert [p.name for p in kept if not p.name.endswith(("-wal", "-shm"))] == [kept[0].name]
    assert kept[0].read_bytes() == damaged_bytes  # the damaged file is kept as it was
    assert oct(kept[0].stat().st_mode & 0o777) == "0o600"
    assert f"kept as {kept[0]}" in recovered.stdout

    sound = run_cli("catalog", "check")
    assert sound.returncode == 0 and f"is sound (schema {SCHEMA_VERSION}" in sound.stdout
    after = versions(run_cli)
    assert 0 < len(after) < len(before) and set(after) <= set(before)  # only what was on the bad page is gone
    assert run_cli("catalog", "recover").stdout.strip().endswith("is sound: nothing to recover.")

    synced = run_cli("registry", "sync", "stable")  # the dropped charts come back from the registry
    assert synced.returncode == 0, synced.stderr
    assert sorted(versions(run_cli)) == sorted(before)


def test_a_damaged_first_page_is_refused_plainly_and_left_alone(
    registered: RepoServer, run_cli: RunCli, catalog_path: Path
) -> None:
    damage(catalog_path, 1)
    assert "is damaged" in one_error_line(run_cli("registry", "list"), alone=False)
    assert "is damaged" in one_error_line(run_cli("catalog", "check"), alone=False)
    damaged_bytes = catalog_path.read_bytes()
    line = one_error_line(run_cli("catalog", "recover"), alone=False)
    assert "too damaged to read anything from" in line and "restore a backup" in line
    assert catalog_path.read_bytes() == damaged_bytes
    assert not list(catalog_path.parent.glob("*.damaged-*")) and not list(catalog_path.parent.glob(".*recovering*"))


def test_check_and_recover_of_a_sound_or_missing_catalog(run_cli: RunCli, catalog_path: Path) -> None:
    missing = run_cli("catalog", "check")
    assert missing.returncode == 0 and "nothing to check" in missing.stdout
    assert "nothing to recover" in one_error_line(run_cli("catalog", "recover"), alone=False)
    assert run_cli("registry", "list").returncode == 0
    sound = run_cli("catalog", "check", "-o", "json")
    assert sound.returncode == 0 and json.loads(sound.stdout)["sound"] is True


@pytest.mark.parametrize("kind", ["folder", "named pipe", "device"])
def test_something_else_in_the_catalogs_place_is_named(run_cli: RunCli, catalog_path: Path, kind: str) -> None:
    """A folder, a FIFO or a link to /dev/null where the catalog belongs: every command says what is
    there (the check said there was no catalog yet, and the others blamed the disk)."""
    catalog_path.parent.mkdir(parents=True)
    if kind == "folder":
        catalog_path.mkdir()
    elif kind == "named pipe":
        os.mkfifo(catalog_path)
    else:
        catalog_path.symlink_to("/dev/null")
    commands = (("catalog", "check"), ("catalog", "recover"), ("registry", "list"), ("settings", "set", "proxy", ""))
    for command in commands:
        line = one_error_line(run_cli(*command), alone=False)
        assert f"is a {kind}, not a file" in line, (command, line)
    assert catalog_path.is_symlink() or not catalog_path.is_file()  # left as it was
