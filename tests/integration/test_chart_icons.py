"""Chart icons kept offline, against real servers: fetched once at sync, images only and small,
with the registry's login only on its own origin; kept when the network goes."""

from __future__ import annotations

import base64
import dataclasses
import struct
import time
import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from desktop.catalog.db import open_catalog
from desktop.catalog.icons import chart_icon, icon_problem
from desktop.jobs.worker import BackgroundWorker
from desktop.operations.chart_icons import fetch_icons
from desktop.registry import Registry, RegistryDraft
from desktop.secrets import CredentialStore
from tests.conftest import CliResult
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_entry, index_yaml
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]


def png(width: int = 2, height: int = 2, padding: int = 0) -> bytes:
    """A real PNG (decodable by any viewer); `padding` adds an ancillary chunk to make it large."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        return struct.pack(">I", len(data)) + kind + data + struct.pack(">I", zlib.crc32(kind + data))

    rows = b"".join(b"\x00" + b"\x80\x40\x20" * width for _ in range(height))
    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    extra = chunk(b"tEXt", b"Comment\x00" + b"x" * padding) if padding else b""
    return (
        b"\x89PNG\r\n\x1a\n"
        + chunk(b"IHDR", header)
        + extra
        + chunk(b"IDAT", zlib.compress(rows))
        + chunk(b"IEND", b"")
    )


SAFE_SVG = b'<svg xmlns="http://www.w3.org/2000/svg" viewBox="0 0 8 8"><circle cx="4" cy="4" r="3"/></svg>'
SCRIPT_SVG = b'<svg xmlns="http://www.w3.org/2000/svg"><script>alert(1)</script></svg>'
EXTERNAL_SVG = (
    b'<svg xmlns="http://www.w3.org/2000/svg" xmlns:xlink="http://www.w3.org/1999/xlink">'
    b'<image xlink:href="http://tracker.example/p.png"/></svg>'
)


def publish(repo: RepoServer, icons: dict[str, str]) -> None:
    repo.put("/index.yaml", index_yaml({name: [chart_entry(name, "1.0.0", icon=url)] for name, url in icons.items()}))


def test_icons_are_fetched_once_images_only_and_small(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.put("/icons/web.png", png())
    repo.put("/icons/db.svg", SAFE_SVG)
    repo.put("/icons/page.html", b"<!doctype html><html><body>not an image</body></html>")
    repo.put("/icons/huge.png", png(padding=300 * 1024))
    repo.put("/icons/script.svg", SCRIPT_SVG)
    repo.put("/icons/external.svg", EXTERNAL_SVG)
    inline = "data:image/png;base64," + base64.b64encode(png()).decode()
    publish(
        repo,
        {
            "web": "icons/web.png",  # relative: resolved against the repository, as chart URLs are
            "db": repo.url + "/icons/db.svg",
            "page": repo.url + "/icons/page.html",
            "huge": repo.url + "/icons/huge.png",
            "script": repo.url + "/icons/script.svg",
            "external": repo.url + "/icons/external.svg",
            "inline": inline,
            "none": "",
            "ftp": "ftp://example.com/icon.png",
        },
    )
    registry = engine.register(RegistryDraft("r", repo.url)).registry
    report = fetch_icons(engine.services, registry.id)

    assert sorted(report.fetched) == ["db", "inline", "web"]
    assert chart_icon(engine.db, registry.id, "web").media_type == "image/png"  # type: ignore[union-attr]
    assert chart_icon(engine.db, registry.id, "db").data == SAFE_SVG  # type: ignore[union-attr]
    refused = dict(report.refused)
    assert "not a PNG, JPEG, GIF, WebP or SVG" in refused["page"]
    assert refused["huge"] == "The icon is larger than the 0.25 MB limit: refused."  # an icon is no chart
    assert "<script>" in refused["script"]
    assert "outside itself" in refused["external"]
    assert "http(s)" in refused["ftp"]
    for chart in ("page", "huge", "script", "external", "none"):
        assert chart_icon(engine.db, registry.id, chart) is None
    assert icon_problem(engine.db, registry.id, "none") == "the chart names no icon"

    asked = len(repo.requests)
    again = fetch_icons(engine.services, registry.id)
    assert again.fetched == [] and again.refused == [] and len(repo.requests) == asked  # once, not every sync


def test_a_changed_icon_address_is_fetched_at_the_next_sync(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.put("/a.png", png(1, 1))
    repo.put("/b.png", png(3, 3))
    publish(repo, {"web": "a.png"})
    registry = engine.register(RegistryDraft("r", repo.url)).registry
    fetch_icons(engine.services, registry.id)
    repo.put("/index.yaml", index_yaml({"web": [chart_entry("web", "1.1.0", icon="b.png")]}))
    assert engine.sync(registry).ok
    assert fetch_icons(engine.services, registry.id).fetched == ["web"]
    assert chart_icon(engine.db, registry.id, "web").data == png(3, 3)  # type: ignore[union-attr]


def test_credentials_go_only_to_the_registrys_own_origin(
    engine: CatalogHarness, make_repo: MakeRepo, credentials: object
) -> None:
    private = make_repo(auth=("deploy", "s3cret"))
    elsewhere = make_repo(host="127.0.0.2")
    private.put("/own.png", png())
    elsewhere.put("/other.png", png(4, 4))
    elsewhere.put("/bounce.png", png(5, 5))
    private.redirects["/moved.png"] = (302, elsewhere.url + "/bounce.png")
    publish(private, {"own": "own.png", "other": elsewhere.url + "/other.png", "moved": "moved.png"})
    engine.settings = dataclasses.replace(engine.settings, credentials_to_other_hosts=True)  # as charts may
    registry: Registry = engine.register(RegistryDraft("r", private.url, username="deploy", password="s3cret")).registry
    report = fetch_icons(engine.services, registry.id)

    assert sorted(report.fetched) == ["moved", "other", "own"]
    assert private.requests_for("/own.png")[0].headers.get("authorization", "").startswith("Basic ")
    for path in ("/other.png", "/bounce.png"):
        (request,) = elsewhere.requests_for(path)
        assert "authorization" not in request.headers


def test_an_unreachable_icon_host_is_tried_again_later(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    icons = make_repo(host="127.0.0.2")
    icons.put("/a.png", png())
    icons.put("/b.png", png(2, 3))
    publish(repo, {"a": icons.url + "/a.png", "b": icons.url + "/b.png"})
    registry = engine.register(RegistryDraft("r", repo.url)).registry
    icons.stop()
    report = fetch_icons(engine.services, registry.id)
    assert sorted(chart for chart, _ in report.failed) == ["a", "b"]
    assert icons.requests == []  # nothing answered; the second icon did not wait for another timeout
    icons.restart()
    assert sorted(fetch_icons(engine.services, registry.id).fetched) == ["a", "b"]


def test_the_command_line_leaves_icons_to_the_window(
    run_cli: Callable[..., CliResult],
    make_repo: MakeRepo,
    home: Path,
    credentials: CredentialStore,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """Icons serve the window only: `registry add` and `sync` never wait for icon hosts (on an
    air-gapped network each could hang until its timeout); the window fetches them at start."""
    repo = make_repo()
    repo.put("/web.png", png())
    publish(repo, {"web": "web.png"})
    assert run_cli("registry", "add", "r", repo.url).returncode == 0
    assert run_cli("registry", "sync", "r").returncode == 0
    assert repo.requests_for("/web.png") == []
    monkeypatch.setattr("desktop.jobs.upkeep.ICON_CATCH_UP_DELAY", 0.2)  # 10 s in the app
    worker = BackgroundWorker(home / "data" / "catalog.sqlite3", credentials, _Quiet())
    worker.start(schedule=False)
    try:
        deadline = time.monotonic() + 10
        while not repo.requests_for("/web.png") and time.monotonic() < deadline:
            time.sleep(0.05)
    finally:
        assert worker.stop()
    repo.stop()
    db = open_catalog(home / "data" / "catalog.sqlite3", readonly=True)
    try:
        (registry_id,) = db.execute("SELECT id FROM registries").fetchone()
        assert chart_icon(db, registry_id, "web").data == png()  # type: ignore[union-attr]
    finally:
        db.close()


class _Quiet:
    def __getattr__(self, _name: str) -> Callable[..., None]:
        return lambda *args: None
