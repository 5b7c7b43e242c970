"""Fixtures for the packaging tests: everything `dev.py package` makes, built once per session, and a
catalog of 100,000 versions registered by the built executable."""

from __future__ import annotations

import os
import shutil
import subprocess
import sys
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path

import orjson
import pytest

from tests.conftest import ROOT
from tests.support.charts import chart_entry, index_yaml
from tests.support.repo_server import RepoServer

VERSION = "0.1.0"
# Set to a dist/ that `python3 dev.py package` made, to iterate on these tests without rebuilding.
REUSE_DIST = "CHARTKEEPER_TEST_DIST"


@dataclass(frozen=True)
class Built:
    out: Path
    frozen: Path  # chartkeeper/ (the self-contained build)
    tarball: Path
    deb: Path
    wheelhouse: Path
    kit: Path

    @property
    def executable(self) -> Path:
        return self.frozen / "chartkeeper"


@pytest.fixture(scope="session")
def built(tmp_path_factory: pytest.TempPathFactory) -> Built:
    reused = os.environ.get(REUSE_DIST)
    if reused:
        out = Path(reused)
    else:
        out = tmp_path_factory.mktemp("dist")
        work = tmp_path_factory.mktemp("package-work")
        done = subprocess.run(
            [sys.executable, str(ROOT / "packaging" / "build.py"), "--out", str(out), "--work", str(work)],
            cwd=ROOT,
            capture_output=True,
            text=True,
            timeout=1200,
        )
        assert done.returncode == 0, done.stdout[-3000:] + done.stderr[-3000:]
        shutil.rmtree(work)  # the PyInstaller work files and the .deb's staging tree
    return Built(
        out=out,
        frozen=out / "chartkeeper",
        tarball=out / f"chartkeeper-{VERSION}-linux-x86_64.tar.gz",
        deb=out / f"chartkeeper_{VERSION}_amd64.deb",
        wheelhouse=out / "wheelhouse",
        kit=out / f"chartkeeper-{VERSION}-linux-x86_64-kit.tar",
    )


def run(program: Path | str, *args: str, home: Path, timeout: float = 120) -> subprocess.CompletedProcess[str]:
    """Run an installed `chartkeeper` (not this checkout's) with its state under `home`."""
    env = {key: value for key, value in os.environ.items() if key not in ("PYTHONPATH", "PYTHONHOME")}
    env["CHARTKEEPER_HOME"] = str(home)
    return subprocess.run(
        [str(program), *args], capture_output=True, text=True, env=env, timeout=timeout, cwd=home.parent
    )


@pytest.fixture(scope="session")
def small_repo() -> Iterator[RepoServer]:
    server = RepoServer().start()
    server.put(
        "/index.yaml",
        index_yaml({"nginx": [chart_entry("nginx", "15.1.0", description="NGINX web server")]}),
    )
    yield server
    server.stop()


def check_add_and_search(program: Path | str, home: Path, repo: RepoServer) -> None:
    """A headless `registry add` and `search` against a local server, as a user would type them."""
    added = run(program, "registry", "add", "local", repo.url, home=home)
    assert added.returncode == 0, added.stderr
    assert '"local" has been added: 1 chart, 1 version' in added.stdout
    found = run(program, "search", "nginx", home=home)
    assert found.returncode == 0, found.stderr
    assert "local/nginx" in found.stdout and "15.1.0" in found.stdout


@pytest.fixture(scope="session")
def big_home(built: Built, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A home whose catalog holds 100,000 versions (5,000 charts x 20), registered by the built app."""
    folder = tmp_path_factory.mktemp("big")
    server = RepoServer(gzip_responses=False).start()
    try:
        server.put("/index.yaml", large_index(5000, 20))
        home = folder / "home"
        added = run(built.executable, "registry", "add", "big", server.url, home=home, timeout=300)
        assert added.returncode == 0, added.stderr
        assert "5,000 charts, 100,000 versions" in added.stdout
    finally:
        server.stop()
    return home


def large_index(charts: int, versions: int) -> bytes:
    """An index in Helm's JSON form (which is YAML too), written in a second where PyYAML takes minutes."""
    entries = {
        f"chart-{c}": [
            chart_entry(f"chart-{c}", f"{v // 10}.{v % 10}.0", keywords=["bench", f"k{c % 50}"])
            for v in range(versions)
        ]
        for c in range(charts)
    }
    return orjson.dumps({"apiVersion": "v1", "entries": entries, "generated": "2026-01-01T00:00:00Z"})
