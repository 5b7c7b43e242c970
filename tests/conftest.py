"""Shared fixtures: a home per test, real repository servers, a real keyring, the CLI as a process."""

from __future__ import annotations

import atexit
import contextlib
import json
import os
import tempfile

# Before anything imports Qt: the offscreen platform, with a desktop-sized screen (its default
# screen is 800x600, smaller than the window's minimum size) and a 1280x720 one beside it.
# One file per run, so that runs side by side (other clones, CI) never read each other's screens.
_SCREEN = os.path.join(tempfile.gettempdir(), f"chartkeeper-test-screens-{os.getpid()}.json")
with open(_SCREEN, "w", encoding="utf-8") as _file:
    json.dump(
        {
            "screens": [
                {
                    "name": "test",
                    "x": 0,
                    "y": 0,
                    "width": 1920,
                    "height": 1200,
                    "logicalDpiX": 96,
                    "logicalDpiY": 96,
                    "dpr": 1,
                },
                {  # the smallest screen every window and dialog must fit (tests/ui: `small_screen`)
                    "name": "small",
                    "x": 1920,
                    "y": 0,
                    "width": 1280,
                    "height": 720,
                    "logicalDpiX": 96,
                    "logicalDpiY": 96,
                    "dpr": 1,
                },
            ]
        },
        _file,
    )


def _remove_screens() -> None:
    with contextlib.suppress(OSError):
        os.remove(_SCREEN)


atexit.register(_remove_screens)
os.environ.setdefault("QT_QPA_PLATFORM", f"offscreen:configfile={_SCREEN}")

import ssl
import subprocess
import sys
from collections.abc import Callable, Iterator
from dataclasses import dataclass
from pathlib import Path

import pytest
import trustme

from desktop.catalog.db import open_catalog
from desktop.net.settings import NetworkSettings
from desktop.secrets import CredentialStore
from tests.support.catalog_harness import CatalogHarness
from tests.support.keyring_session import SecretServiceSession
from tests.support.repo_server import RepoServer

ROOT = Path(__file__).resolve().parent.parent


@pytest.fixture(scope="session")
def secret_service(tmp_path_factory: pytest.TempPathFactory) -> Iterator[SecretServiceSession]:
    session = SecretServiceSession(tmp_path_factory.mktemp("secret-service")).start()
    saved = {key: os.environ.get(key) for key in session.env}
    os.environ.update(session.env)
    yield session
    for key, value in saved.items():
        if value is None:
            os.environ.pop(key, None)
        else:
            os.environ[key] = value
    session.stop()


@pytest.fixture
def credentials(secret_service: SecretServiceSession) -> CredentialStore:
    store = CredentialStore()
    store.check_available()
    return store


@pytest.fixture
def home(tmp_path: Path) -> Path:
    path = tmp_path / "home"
    path.mkdir()
    return path


@pytest.fixture
def catalog_path(home: Path) -> Path:
    return home / "data" / "catalog.sqlite3"


@pytest.fixture
def engine(catalog_path: Path, credentials: CredentialStore) -> Iterator[CatalogHarness]:
    """Operations run as the CLI runs them, on one catalog connection."""
    db = open_catalog(catalog_path)
    yield CatalogHarness(db, credentials, NetworkSettings(timeout=5))
    db.close()


@pytest.fixture(scope="session")
def ca() -> trustme.CA:
    return trustme.CA()


@pytest.fixture(scope="session")
def ca_file(ca: trustme.CA, tmp_path_factory: pytest.TempPathFactory) -> Path:
    path = tmp_path_factory.mktemp("ca") / "ca.pem"
    ca.cert_pem.write_to_path(str(path))
    return path


def server_context(ca: trustme.CA, *names: str, **issue: object) -> ssl.SSLContext:
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert(*(names or ("127.0.0.1", "localhost", "127.0.0.2")), **issue).configure_cert(context)
    return context


@pytest.fixture
def make_repo(ca: trustme.CA) -> Iterator[Callable[..., RepoServer]]:
    started: list[RepoServer] = []

    def make(*, tls: bool = False, context: ssl.SSLContext | None = None, **kwargs: object) -> RepoServer:
        if tls and context is None:
            context = server_context(ca)
        server = RepoServer(tls_context=context, **kwargs).start()  # type: ignore[arg-type]
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


@dataclass
class CliResult:
    returncode: int
    stdout: str
    stderr: str


def one_error_line(result: CliResult, *, alone: bool = True) -> str:
    """The one `error: …` line of a failed command (exit 1), never a traceback or an internal error;
    `alone`: nothing else on stderr (else notes such as "waiting for the catalog" may come first)."""
    assert result.returncode == 1, (result.returncode, result.stdout, result.stderr)
    for bug in ("Traceback", "internal error", "Logging error"):
        assert bug not in result.stderr, result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    errors = [line for line in lines if line.startswith("error: ")]
    assert len(errors) == 1, result.stderr
    if alone:
        assert lines == errors, result.stderr
    return errors[0]


@pytest.fixture
def run_cli(home: Path, secret_service: SecretServiceSession) -> Callable[..., CliResult]:
    def run(*args: str, input: str | None = None, env: dict[str, str] | None = None, timeout: float = 60) -> CliResult:
        full_env = {**os.environ, "CHARTKEEPER_HOME": str(home), "PYTHONPATH": str(ROOT), **(env or {})}
        done = subprocess.run(
            [sys.executable, "-m", "desktop", *args],
            input=input,
            capture_output=True,
            text=True,
            env=full_env,
            timeout=timeout,
            cwd=ROOT,
        )
        return CliResult(done.returncode, done.stdout, done.stderr)

    return run
