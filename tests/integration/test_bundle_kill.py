"""kill -9 during `bundle import`, at several moments — while the bundle is verified, just after the
catalog's write lock is taken, halfway through the archives — leaves the catalog exactly as it was."""

from __future__ import annotations

import hashlib
import os
import random
import signal
import sqlite3
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop.catalog.registries import get_registry
from desktop.operations.bundle_export import ExportSelection, export_bundle
from desktop.operations.chart_files import pin_version
from desktop.registry import RegistryDraft
from tests.conftest import ROOT, CliResult
from tests.support.catalog_dump import catalog_dump
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_archive, chart_entry, index_yaml
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]
ARCHIVES, ARCHIVE_BYTES = 24, 2_500_000
MORE_CHARTS, VERSIONS_EACH = 400, 10


@pytest.fixture(scope="module")
def big_bundle(tmp_path_factory: pytest.TempPathFactory, request: pytest.FixtureRequest) -> Path:
    """~60 MB of pinned archives and ~4,000 versions: an import long enough to be killed in."""
    folder = tmp_path_factory.mktemp("big")
    from desktop.catalog.db import open_catalog
    from desktop.secrets import CredentialStore

    request.getfixturevalue("secret_service")
    repo = RepoServer().start()
    db = open_catalog(folder / "source.sqlite3")
    try:
        entries: dict[str, list[dict[str, object]]] = {}
        for n in range(ARCHIVES):
            name = f"big{n:02d}"
            payload = {f"{name}/files/payload.bin": random.Random(name).randbytes(ARCHIVE_BYTES)}
            archive = chart_archive(name, "1.0.0", extra=payload)
            repo.put(f"/{name}-1.0.0.tgz", archive)
            entries[name] = [chart_entry(name, "1.0.0", digest=hashlib.sha256(archive).hexdigest())]
        for n in range(MORE_CHARTS):
            name = f"many{n:03d}"
            entries[name] = [chart_entry(name, f"1.{v}.0") for v in range(VERSIONS_EACH)]
        repo.put("/index.yaml", index_yaml(entries))
        engine = CatalogHarness(db, CredentialStore())
        engine.register(RegistryDraft("site", repo.url))
        registry = get_registry(db, "site")
        for n in range(ARCHIVES):
            pin_version(engine.services, registry.id, f"big{n:02d}", "1.0.0")
        export_bundle(engine.services, folder / "big.tar", ExportSelection())
    finally:
        db.close()
        repo.stop()
    return folder / "big.tar"


def _lock_held(catalog: Path) -> bool:
    probe = sqlite3.connect(catalog, timeout=0, isolation_level=None)
    try:
        probe.execute("BEGIN IMMEDIATE")
    except sqlite3.OperationalError:
        return True
    finally:
        if probe.in_transaction:
            probe.execute("ROLLBACK")
        probe.close()
    return False


def _bytes_read(pid: int) -> int:
    for line in Path(f"/proc/{pid}/io").read_text().splitlines():
        if line.startswith("rchar:"):
            return int(line.split()[1])
    return 0


def _wal_size(catalog: Path) -> int:
    wal = catalog.with_name(catalog.name + "-wal")
    return wal.stat().st_size if wal.exists() else 0


def _wait(condition: Callable[[], bool], process: subprocess.Popen[bytes], what: str) -> None:
    deadline = time.monotonic() + 120
    while not condition():
        if process.poll() is not None:
            raise AssertionError(
                f"the import ended before {what}: {process.stderr.read().decode() if process.stderr else ''}"
            )
        if time.monotonic() > deadline:
            raise AssertionError(f"never saw {what}")
        time.sleep(0.005)


@pytest.mark.parametrize(
    "moment", ["while verifying", "with the write lock just taken", "halfway through the archives"]
)
def test_kill_9_during_import_leaves_the_catalog_as_it_was(
    big_bundle: Path, run_cli: RunCli, tmp_path: Path, make_repo: MakeRepo, moment: str
) -> None:
    home = tmp_path / "target"
    catalog = home / "data" / "catalog.sqlite3"
    repo = make_repo()
    repo.put("/index.yaml", index_yaml({"local": [chart_entry("local", "1.0.0")]}))
    assert run_cli("--home", str(home), "registry", "add", "mine", repo.url).returncode == 0
    before = catalog_dump(catalog)
    env = {**os.environ, "CHARTKEEPER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", "bundle", "import", str(big_bundle)],
        env=env,
        cwd=ROOT,
        stdout=subprocess.DEVNULL,
        stderr=subprocess.PIPE,
    )
    try:
        if moment == "while verifying":
            _wait(lambda: _bytes_read(process.pid) > 30_000_000, process, "the bundle being read")
            assert not _lock_held(catalog)
        else:
            _wait(lambda: _lock_held(catalog), process, "the write lock")
            if moment == "halfway through the archives":
                _wait(lambda: _wal_size(catalog) > ARCHIVES * ARCHIVE_BYTES // 2, process, "archives written")
                assert _lock_held(catalog)  # not committed yet
        process.send_signal(signal.SIGKILL)
    finally:
        process.wait(30)
        if process.stderr is not None:
            process.stderr.close()
    assert process.returncode == -signal.SIGKILL
    assert catalog_dump(catalog) == before
    done = run_cli("--home", str(home), "bundle", "import", str(big_bundle))  # and the catalog still works
    assert done.returncode == 0, done.stderr
    assert catalog_dump(catalog)["archives"] != before["archives"]
