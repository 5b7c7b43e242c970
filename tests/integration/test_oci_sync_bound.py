"""A whole OCI sync is bounded, not only each listing: a registry whose catalog and tag lists page on
(each staying under the per-listing limit) stops the sync with one line, and the snapshot is kept."""

from __future__ import annotations

import hashlib
import http.server
import json
import threading
from collections.abc import Iterator
from typing import Any
from urllib.parse import parse_qs, urlsplit

import pytest

from desktop.catalog.charts import chart_versions
from desktop.catalog.sync_records import list_runs
from desktop.net.oci_answers import MAX_PAGES
from desktop.net.settings import NetworkSettings, network_settings
from desktop.registry import RegistryDraft
from desktop.settings import TenantSettings
from tests.support.catalog_harness import CatalogHarness
from tests.support.quiet_server import QuietHTTPServer, serve_in_background

CONFIG = json.dumps({"name": "demo", "version": "0.1.0", "apiVersion": "v2"}).encode()
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG).hexdigest()
MANIFEST = {
    "schemaVersion": 2,
    "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": CONFIG_DIGEST, "size": 1},
    "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": "sha256:" + "0" * 64}],
}


class PagingRegistry:
    """An OCI registry that is well-formed until `endless` is set; then its catalog lists pages of
    repositories (30 here, standing for 99,999), and every repository's tags run to just under the
    per-listing page limit: each listing ends, the whole would take millions of requests."""

    def __init__(self) -> None:
        self.endless = False
        self.requests: list[str] = []
        self._lock = threading.Lock()
        self._server: QuietHTTPServer | None = None

    @property
    def endpoint(self) -> str:
        assert self._server is not None
        return f"oci://127.0.0.1:{self._server.server_address[1]}"

    def answer(self, target: str) -> tuple[int, dict[str, str], Any]:
        with self._lock:
            self.requests.append(target)
        parts = urlsplit(target)
        page = int(parse_qs(parts.query).get("last", ["0"])[0])
        if parts.path == "/v2/":
            return 200, {}, {}
        if parts.path == "/v2/_catalog":
            if not self.endless:
                return 200, {}, {"repositories": ["demo"]}
            names = [f"r{page}-{n}" for n in range(10)]
            link = {"Link": f'</v2/_catalog?n=10&last={page + 1}>; rel="next"'} if page < 2 else {}
            return 200, link, {"repositories": names}
        if parts.path.endswith("/tags/list"):
            if not self.endless:
                return 200, {}, {"tags": ["0.1.0"]}
            more = page + 1 < MAX_PAGES - 1
            link = {"Link": f'<{parts.path}?n=1&last={page + 1}>; rel="next"'} if more else {}
            return 200, link, {"tags": [f"0.0.{page}"]}
        if parts.path == "/v2/demo/manifests/0.1.0":
            return 200, {}, MANIFEST
        if parts.path == f"/v2/demo/blobs/{CONFIG_DIGEST}":
            return 200, {}, CONFIG
        return 404, {}, {"errors": [{"code": "NAME_UNKNOWN", "message": "no such repository"}]}

    def start(self) -> PagingRegistry:
        registry = self

        class Handler(http.server.BaseHTTPRequestHandler):
            protocol_version = "HTTP/1.1"
            wbufsize = 1 << 16  # headers and body in one segment: no delayed-ACK wait on every request

            def do_GET(self) -> None:
                status, headers, document = registry.answer(self.path)
                body = document if isinstance(document, bytes) else json.dumps(document).encode()
                self.send_response(status)
                self.send_header("Content-Type", "application/json")
                self.send_header("Content-Length", str(len(body)))
                for name, value in headers.items():
                    self.send_header(name, value)
                self.end_headers()
                self.wfile.write(body)

            def log_message(self, *args: object) -> None:
                pass

        self._server = serve_in_background(Handler)
        return self

    def stop(self) -> None:
        if self._server is not None:
            self._server.stop()


@pytest.fixture
def paging() -> Iterator[PagingRegistry]:
    registry = PagingRegistry().start()
    yield registry
    registry.stop()


def test_a_sync_that_pages_on_and_on_stops_at_the_bound_and_keeps_the_snapshot(
    engine: CatalogHarness, paging: PagingRegistry
) -> None:
    engine.settings = NetworkSettings(timeout=5, oci_requests_per_sync=300)
    registry = engine.register(RegistryDraft("pages", paging.endpoint, kind="oci", plain_http=True)).registry
    assert chart_versions(engine.db, registry, "demo") == ["0.1.0"]
    paging.endless = True
    paging.requests.clear()
    result = engine.sync(registry)
    assert result.status == "failed"
    assert result.error is not None and "\n" not in result.error
    assert result.error.startswith("Stopped after 300 requests to the registry in one sync")
    assert "oci_requests_per_sync" in result.error  # what to do when the registry really is that large
    assert len(paging.requests) == 300  # not 999 catalog pages × 999 pages of tags for each repository
    assert sum("/_catalog" in target for target in paging.requests) == 3
    assert len({target.split("/tags/list")[0] for target in paging.requests if "/tags/list" in target}) == 1
    assert chart_versions(engine.db, registry, "demo") == ["0.1.0"]  # the previous snapshot is kept
    assert list_runs(engine.db, registry.id)[0].status == "failed"


def test_the_bound_is_a_tenant_setting_with_a_finite_default() -> None:
    assert network_settings(TenantSettings()).oci_requests_per_sync == 100_000
    raised = TenantSettings().with_value("oci_requests_per_sync", "250000")
    assert network_settings(raised).oci_requests_per_sync == 250_000
    with pytest.raises(Exception, match="between 100 and 1e"):
        TenantSettings().with_value("oci_requests_per_sync", "0")
