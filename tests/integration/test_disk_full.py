"""A disk that fills during a sync, for real: the home on a small tmpfs, filled, and a real `registry
sync` against a local server. The run is recorded as failed with the reason, the registry shows it, the
old snapshot stays, the user reads one line; when not even the failure can be written, the run is
marked interrupted later. Logging never prints its own traceback."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from tests.conftest import ROOT, CliResult, one_error_line
from tests.support.charts import chart_entry, index_yaml, simple_index
from tests.support.mounts import fill, free_bytes, small_tmpfs
from tests.support.repo_server import Fault, RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]

SMALL_INDEX = simple_index({"keep-me": ["1.0.0"]})
# About 3,000 versions: a snapshot of megabytes, far more than the room left on the disk.
BIG_INDEX = index_yaml(
    {
        f"chart-{number:02d}": [
            chart_entry(f"chart-{number:02d}", f"1.{minor}.0", description="A chart " + "with words " * 30)
            for minor in range(50)
        ]
        for number in range(60)
    }
)


@pytest.fixture
def small_home(tmp_path: Path) -> Iterator[Path]:
    with small_tmpfs(tmp_path / "small", size_kib=12 * 1024) as mounted:
        home = mounted / "home"
        home.mkdir()
        yield home


@pytest.fixture
def cli(small_home: Path, run_cli: RunCli) -> RunCli:
    def run(*args: str, **kwargs: object) -> CliResult:
        return run_cli("--home", str(small_home), *args, **kwargs)  # type: ignore[arg-type]

    return run


def registered(cli: RunCli, make_repo: MakeRepo) -> RepoServer:
    repo = make_repo(gzip_responses=False)
    repo.put("/index.yaml", SMALL_INDEX)
    added = cli("registry", "add", "big", repo.url)
    assert added.returncode == 0, added.stderr
    repo.put("/index.yaml", BIG_INDEX)
    return repo


@pytest.mark.slow
def test_disk_full_during_a_sync_is_recorded_as_failed(cli: RunCli, make_repo: MakeRepo, small_home: Path) -> None:
    registered(cli, make_repo)
    catalog = small_home / "data" / "catalog.sqlite3"
    filler = fill(small_home, leave_bytes=256 * 1024)  # room to start the run, not to write the snapshot

    line = one_error_line(cli("registry", "sync", "big"))
    assert line == f'error: "big": The disk is full writing {catalog}: free some space and try again.'

    filler.unlink()
    listing = json.loads(cli("registry", "list", "-o", "json").stdout)
    assert listing[0]["status"] == "failed" and "disk is full" in listing[0]["error"]
    runs = json.loads(cli("registry", "history", "big", "-o", "json").stdout)
    assert [run["status"] for run in runs] == ["failed", "updated"]
    assert runs[0]["error"] == f"The disk is full writing {catalog}: free some space and try again."
    kept = json.loads(cli("search", "-o", "json").stdout)
    assert [hit["name"] for hit in kept] == ["big/keep-me"]  # the old snapshot, untouched

    again = cli("registry", "sync", "big")  # with room again, the same sync goes through
    assert again.returncode == 0, again.stderr
    assert len(json.loads(cli("search", "-o", "json").stdout)) == 60


@pytest.mark.slow
def test_when_not_even_the_failure_fits_the_run_is_marked_interrupted_later(
    cli: RunCli, make_repo: MakeRepo, small_home: Path
) -> None:
    repo = registered(cli, make_repo)
    # The index arrives slowly, so the disk can be filled to the last byte after the run is recorded
    # as started and before the snapshot is written.
    repo.faults["/index.yaml"] = Fault(bytes_per_second=len(BIG_INDEX) / 2)
    env = {**os.environ, "PYTHONPATH": str(ROOT)}
    sync = subprocess.Popen(
        [sys.executable, "-m", "desktop", "--home", str(small_home), "registry", "sync", "big"],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    deadline = time.monotonic() + 60
    while not repo.requests_for("/index.yaml")[1:] and time.monotonic() < deadline and sync.poll() is None:
        time.sleep(0.02)
    assert len(repo.requests_for("/index.yaml")) == 2, "the sync never asked for the index"
    filler = fill(small_home)
    assert free_bytes(small_home) == 0
    stdout, stderr = sync.communicate(timeout=120)
    result = CliResult(sync.returncode, stdout, stderr)
    assert "The disk is full writing" in one_error_line(result)

    filler.unlink()
    # The next command that may write sees the run's process gone and marks the run interrupted.
    repo.faults.clear()
    assert cli("registry", "sync", "big").returncode == 0
    runs = json.loads(cli("registry", "history", "big", "-o", "json").stdout)
    assert [run["status"] for run in runs] == ["updated", "interrupted", "updated"]


def test_logging_that_cannot_write_stays_quiet(tmp_path: Path) -> None:
    """In a process whose log file is on a full disk, every logged line is dropped without a word."""
    probe = (
        "import logging, sys; from pathlib import Path; from desktop.logs import configure_logging;"
        "configure_logging(Path(sys.argv[1])); log = logging.getLogger('probe');"
        "[log.error('line %s', n, exc_info=ValueError('x')) for n in range(3)]; print('done')"
    )
    with small_tmpfs(tmp_path / "tiny", size_kib=64) as mounted:
        (mounted / "logs").mkdir()
        fill(mounted)
        done = subprocess.run(
            [sys.executable, "-c", probe, str(mounted / "logs" / "chartkeeper.log")],
            capture_output=True,
            text=True,
            cwd=ROOT,
            env={**os.environ, "PYTHONPATH": str(ROOT)},
            check=False,
        )
    assert done.returncode == 0 and done.stdout == "done\n"
    assert done.stderr == ""
