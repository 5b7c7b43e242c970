"""A site registry that misbehaves while a workstation subscribes: the published catalog (pushed to a
real docker-registry, then served byte for byte by a raw-socket server) arrives truncated, with a lying
length, dribbled, reset, changed, or far larger than it says. Each is one line, within bounded time,
and the workstation's catalog is as it was."""

from __future__ import annotations

import json
import time
import urllib.request
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest

from desktop.bundle.media_types import CATALOG_REPOSITORY
from desktop.catalog.db import open_catalog
from desktop.catalog.registries import list_registries
from desktop.errors import UserError
from desktop.net.settings import NetworkSettings
from desktop.operations.bundle_export import ExportSelection, export_bundle
from desktop.operations.bundle_publish import OciTarget, push_bundle
from desktop.operations.subscriptions import subscribe
from desktop.registry import RegistryDraft
from desktop.secrets import CredentialStore
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_archive, publish_charts
from tests.support.hostile_server import Behaviour, HostileServer
from tests.support.oci_registry import DistributionRegistry
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
TIMEOUT = 2.0  # the request timeout the workstation uses here: dribbles are dropped within 4x it
MANIFEST_TYPE = "application/vnd.oci.image.manifest.v1+json"
INDEX_LAYER = "application/vnd.chartkeeper.index.v1+json"  # a registry's snapshot: read at every subscribe


def _get(url: str, accept: str | None = None) -> tuple[bytes, dict[str, str]]:
    request = urllib.request.Request(url, headers={"Accept": accept} if accept else {})
    with urllib.request.urlopen(request, timeout=10) as response:  # the real registry, on 127.0.0.1
        return response.read(), dict(response.headers)


@pytest.fixture(scope="module")
def published(tmp_path_factory: pytest.TempPathFactory, secret_service: object) -> dict[str, bytes]:
    """Path → bytes of what a real registry serves for a published catalog (the manifest, its blobs)."""
    work = tmp_path_factory.mktemp("published")
    repo = RepoServer().start()
    site = DistributionRegistry(work / "site").start()
    db = open_catalog(work / "source" / "catalog.sqlite3")
    try:
        publish_charts(repo, {"web": {"1.0.0": chart_archive("web", "1.0.0", values="replicas: 1\n" * 2000)}})
        source = CatalogHarness(db, CredentialStore())
        source.register(RegistryDraft("alpha", repo.url))
        export_bundle(source.services, work / "b.tar", ExportSelection(charts="latest"))
        push_bundle(source.services, work / "b.tar", OciTarget(f"oci://{site.endpoint_host}/site", plain_http=True))
        base = f"http://{site.endpoint_host}/v2/site/{CATALOG_REPOSITORY}"
        manifest, _ = _get(f"{base}/manifests/latest", MANIFEST_TYPE)
        document = json.loads(manifest)
        served = {f"/v2/site/{CATALOG_REPOSITORY}/manifests/latest": manifest}
        for descriptor in (document["config"], *document["layers"]):
            body, _ = _get(f"{base}/blobs/{descriptor['digest']}")
            served[f"/v2/site/{CATALOG_REPOSITORY}/blobs/{descriptor['digest']}"] = body
        return served
    finally:
        db.close()
        site.stop()
        repo.stop()


@pytest.fixture
def server() -> Iterator[HostileServer]:
    started = HostileServer().start()
    yield started
    started.stop()


def serve(server: HostileServer, published: dict[str, bytes], path: str | None, fault: Behaviour | None) -> None:
    server.paths.clear()
    server.paths["/v2/"] = Behaviour(b"{}", headers={"Content-Type": "application/json"})
    for served_path, body in published.items():
        kind = MANIFEST_TYPE if "/manifests/" in served_path else "application/octet-stream"
        behaviour = Behaviour(body, headers={"Content-Type": kind})
        if served_path == path and fault is not None:
            behaviour = replace(fault, body=fault.body or body, headers={"Content-Type": kind, **fault.headers})
        server.paths[served_path] = behaviour


def target(published: dict[str, bytes], where: str) -> str:
    """The manifest's path, or the path of the layer a subscription must read (the snapshot index)."""
    manifest_path = next(p for p in published if "/manifests/" in p)
    if where == "manifest":
        return manifest_path
    layers = json.loads(published[manifest_path])["layers"]
    digest = next(layer["digest"] for layer in layers if layer["mediaType"] == INDEX_LAYER)
    return next(p for p in published if p.endswith(digest))


def test_the_published_catalog_served_well_is_subscribed(
    server: HostileServer, published: dict[str, bytes], tmp_path: Path, credentials: CredentialStore
) -> None:
    """The control: the same bytes from the same server, unharmed, subscribe (so each fault below is
    what makes its run fail)."""
    serve(server, published, None, None)
    workstation = CatalogHarness(open_catalog(tmp_path / "ws.sqlite3"), credentials, NetworkSettings(timeout=TIMEOUT))
    try:
        draft = RegistryDraft("site", server.url.replace("http://", "oci://") + "/site", kind="oci", plain_http=True)
        _, summary = subscribe(workstation.services, draft)
        assert [(o.name, o.action) for o in summary.registries] == [("alpha", "added")]
        assert {r.name for r in list_registries(workstation.db)} == {"site", "alpha"}
    finally:
        workstation.db.close()


FAULTS = {
    "truncated (close-delimited)": Behaviour(close_delimited_cut=100),
    "shorter than its Content-Length": Behaviour(declared_length=10**6),
    "longer than its Content-Length": Behaviour(declared_length=50),
    "reset midway": Behaviour(reset_after=100),  # both targets are a few hundred bytes
    "changed": Behaviour(body=b"x" * 4096),
    "huge": Behaviour(body=b"{" * (40 * 1024 * 1024)),
    "dribbled body": Behaviour(drip_body=0.5),
    "dribbled headers": Behaviour(drip_headers=0.5),
    "stalled": Behaviour(stall=True),
}


@pytest.mark.parametrize("where", ["manifest", "snapshot layer"])
@pytest.mark.parametrize("fault", list(FAULTS), ids=list(FAULTS))
def test_a_site_registry_that_misbehaves_is_one_line_and_changes_nothing(
    server: HostileServer,
    published: dict[str, bytes],
    tmp_path: Path,
    credentials: CredentialStore,
    fault: str,
    where: str,
) -> None:
    path = target(published, where)
    serve(server, published, path, FAULTS[fault])
    workstation = CatalogHarness(open_catalog(tmp_path / "ws.sqlite3"), credentials, NetworkSettings(timeout=TIMEOUT))
    try:
        draft = RegistryDraft("site", server.url.replace("http://", "oci://") + "/site", kind="oci", plain_http=True)
        started = time.monotonic()
        with pytest.raises(UserError) as refused:
            subscribe(workstation.services, draft)
        elapsed = time.monotonic() - started
        message = refused.value.message
        assert "\n" not in message and 0 < len(message) < 600, message
        assert "0.000" not in message  # a small limit reads in bytes, not as a fraction of a megabyte
        assert elapsed < 4 * TIMEOUT + 2, (fault, elapsed)  # bounded: never the hours a dribble could take
        assert list_registries(workstation.db) == []  # nothing kept
        assert path in server.requests  # the fault was met, not stepped around
    finally:
        workstation.db.close()
