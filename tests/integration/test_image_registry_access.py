"""How image hosts are reached for a bundle's images: a bearer token from `image-registry add --token-stdin`
(kept in the keyring, exchanged at the token service the registry names, never sent to another host),
`--insecure-skip-tls-verify` for a registry whose certificate no trusted CA signed, and the tenant's proxy."""

from __future__ import annotations

import http.server
import json
from collections.abc import Callable
from pathlib import Path
from typing import Any

import httpx
import trustme

from desktop.bundle.layout_reader import open_layout
from tests.conftest import CliResult
from tests.support.hostile_server import Behaviour, HostileServer
from tests.support.oci_images import OCI_CONFIG, OCI_LAYER, OCI_MANIFEST, ImageBuilder, digest_of, random_layer
from tests.support.oci_registry import DistributionRegistry, TokenService
from tests.support.quiet_server import serve_in_background

RunCli = Callable[..., CliResult]
TOKEN = "idt-7f3a-SECRET"


def export(run_cli: RunCli, tmp_path: Path, refs: list[str]) -> tuple[CliResult, Path]:
    listing = tmp_path / "images.txt"
    listing.write_text("\n".join(refs) + "\n")
    bundle = tmp_path / "bundle.tar"
    result = run_cli("bundle", "export", "-o", str(bundle), "--charts", "none", "--images-from", str(listing))
    return result, bundle


def serve_image(server: HostileServer, repository: str) -> bytes:
    """A one-layer OCI image at `repository:1` on a server that records every request's headers."""
    config = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}})
    layer = random_layer(2000, seed=7)

    def descriptor(media_type: str, data: bytes) -> dict[str, object]:
        return {"mediaType": media_type, "digest": digest_of(data), "size": len(data)}

    manifest = json.dumps(
        {
            "schemaVersion": 2,
            "mediaType": OCI_MANIFEST,
            "config": descriptor(OCI_CONFIG, config.encode()),
            "layers": [descriptor(OCI_LAYER, layer)],
        }
    ).encode()
    server.paths.update(
        {
            f"/v2/{repository}/manifests/1": Behaviour(manifest, headers={"Content-Type": OCI_MANIFEST}),
            f"/v2/{repository}/blobs/{digest_of(config.encode())}": Behaviour(config.encode()),
            f"/v2/{repository}/blobs/{digest_of(layer)}": Behaviour(layer),
        }
    )
    return manifest


def test_a_token_goes_to_its_host_and_its_token_service_only(run_cli: RunCli, tmp_path: Path, home: Path) -> None:
    service = TokenService(users={"ana": "an4-s3cret"}, identity_tokens={TOKEN: "ana"})
    registry = DistributionRegistry(tmp_path / "token", users={"ana": "an4-s3cret"}, token=service).start()
    other = HostileServer().start()
    try:
        built = ImageBuilder(registry, user="ana").image("team/tool", "1", [random_layer(10_000)])
        served = serve_image(other, "open/tool")
        other_host = other.url.removeprefix("http://")
        added = run_cli(
            "image-registry", "add", registry.endpoint_host, "--plain-http", "--token-stdin", input=f"{TOKEN}\n"
        )
        assert added.returncode == 0, added.stderr
        assert "bearer token" in added.stdout
        assert run_cli("image-registry", "add", other_host, "--plain-http").returncode == 0
        both = run_cli("image-registry", "add", "quay.io", "--username", "u", "--token-stdin", input="t\n")
        assert both.returncode == 2  # a login or a token, not both

        refs = [f"{registry.endpoint_host}/team/tool:1", f"{other_host}/open/tool:1"]
        result, bundle = export(run_cli, tmp_path, refs)
        assert result.returncode == 0, result.stderr
        layout = open_layout(bundle)
        carried = {image.ref_name: image for image in layout.images}
        assert layout.read_blob(carried[refs[0]].descriptor.digest, 10**6) == built.manifest
        assert layout.read_blob(carried[refs[1]].descriptor.digest, 10**6) == served
        # the token was exchanged at the registry's token service, as an OAuth2 refresh token
        assert {(request["grant"], request["user"]) for request in service.requests} == {("refresh_token", "ana")}
        # and never reached the other host
        assert other.headers and all("authorization" not in headers for headers in other.headers)
        assert all(TOKEN not in json.dumps(headers) for headers in other.headers)
        # in the keyring, not in the file
        assert TOKEN not in (home / "data" / "image-registries.json").read_text()
        listed = json.loads(run_cli("image-registry", "list", "-o", "json").stdout)
        assert {row["host"]: row["token"] for row in listed} == {registry.endpoint_host: True, other_host: False}

        # a token the service does not know: one line naming it
        wrong = run_cli("image-registry", "add", registry.endpoint_host, "--plain-http", "--token-stdin", input="x\n")
        assert wrong.returncode == 0
        refused, _ = export(run_cli, tmp_path, refs[:1])
        assert refused.returncode == 1 and len(refused.stderr.strip().splitlines()) == 1
        assert "refused the token" in refused.stderr
    finally:
        other.stop()
        registry.stop()


def test_insecure_skip_tls_verify_is_honoured(run_cli: RunCli, tmp_path: Path) -> None:
    registry = DistributionRegistry(tmp_path / "tls", tls=trustme.CA()).start()
    try:
        built = ImageBuilder(registry).image("apps/web", "1", [random_layer(5000)])
        ref = f"{registry.endpoint_host}/apps/web:1"
        untrusted, _ = export(run_cli, tmp_path, [ref])
        assert untrusted.returncode == 1 and len(untrusted.stderr.strip().splitlines()) == 1
        assert "certificate" in untrusted.stderr
        added = run_cli("image-registry", "add", registry.endpoint_host, "--insecure-skip-tls-verify")
        assert added.returncode == 0, added.stderr
        assert "without checking its certificate" in added.stdout
        assert "certificate not checked" in run_cli("image-registry", "list").stdout
        result, bundle = export(run_cli, tmp_path, [ref])
        assert result.returncode == 0, result.stderr
        image = open_layout(bundle).images[0]
        assert open_layout(bundle).read_blob(image.descriptor.digest, 10**6) == built.manifest
    finally:
        registry.stop()


class ForwardingProxy:
    """An HTTP proxy for plain-HTTP requests (absolute URIs), recording each URL it forwards."""

    def __init__(self) -> None:
        self.urls: list[str] = []
        proxy = self

        class Handler(http.server.BaseHTTPRequestHandler):
            def log_message(self, format: str, *args: Any) -> None:
                pass

            def _forward(self, method: str) -> None:
                proxy.urls.append(self.path)
                headers = {k: v for k, v in self.headers.items() if k.lower() not in ("host", "proxy-connection")}
                answer = httpx.request(method, self.path, headers=headers, timeout=20)
                body = answer.content if method != "HEAD" else b""
                self.send_response(answer.status_code)
                for key, value in answer.headers.items():
                    if key.lower() not in ("content-length", "transfer-encoding", "connection", "content-encoding"):
                        self.send_header(key, value)
                self.send_header("Content-Length", str(len(answer.content)))
                self.end_headers()
                self.wfile.write(body)

            def do_GET(self) -> None:
                self._forward("GET")

            def do_HEAD(self) -> None:
                self._forward("HEAD")

        self.httpd = serve_in_background(Handler)

    @property
    def url(self) -> str:
        return f"http://127.0.0.1:{self.httpd.server_address[1]}"


def test_image_pulls_go_through_the_tenants_proxy(run_cli: RunCli, tmp_path: Path) -> None:
    upstream = DistributionRegistry(tmp_path / "upstream").start()
    proxy = ForwardingProxy()
    try:
        built = ImageBuilder(upstream).image("apps/web", "1", [random_layer(5000)])
        assert run_cli("image-registry", "add", upstream.endpoint_host, "--plain-http").returncode == 0
        assert run_cli("settings", "set", "proxy", proxy.url).returncode == 0
        ref = f"{upstream.endpoint_host}/apps/web:1"
        result, bundle = export(run_cli, tmp_path, [ref])
        assert result.returncode == 0, result.stderr
        assert open_layout(bundle).images[0].descriptor.digest == built.digest
        assert f"{upstream.url}/v2/apps/web/manifests/1" in proxy.urls
        layers = [layer["digest"] for layer in json.loads(built.manifest)["layers"]]
        assert f"{upstream.url}/v2/apps/web/blobs/{layers[0]}" in proxy.urls
    finally:
        proxy.httpd.stop()
        upstream.stop()
