"""Bundles carry container images: pulled from a real registry (Debian's docker-registry) holding
images these tests build (OCI and Docker media types, multi-platform indexes, an image known only
by digest, shared layers), read back by skopeo from `oci-archive:BUNDLE:REF` with the upstream
digests, and hostile registries refused in one line with no partial bundle left behind."""

from __future__ import annotations

import json
import subprocess
import tarfile
import time
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import httpx
import pytest

from desktop.bundle.layout_reader import open_layout
from desktop.cancellation import CancelToken
from desktop.catalog.db import open_catalog
from desktop.catalog.profiles import save_profile
from desktop.catalog.registries import get_registry
from desktop.errors import OperationCancelled
from desktop.operations.bundle_export import ExportSelection, export_bundle
from desktop.operations.image_hosts import add_image_host
from desktop.paths import resolve_paths
from desktop.profiles.model import Layer, Profile
from tests.conftest import CliResult
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import publish_charts
from tests.support.hostile_server import Behaviour, HostileServer
from tests.support.oci_images import (
    OCI_CONFIG,
    OCI_LAYER,
    OCI_MANIFEST,
    BuiltImage,
    ImageBuilder,
    digest_of,
    random_layer,
)
from tests.support.oci_registry import DistributionRegistry, TokenService
from tests.support.render_charts import one_template_chart
from tests.support.repo_server import RepoServer

RunCli = Callable[..., CliResult]


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[DistributionRegistry]:
    registry = DistributionRegistry(tmp_path / "upstream").start()
    yield registry
    registry.stop()


@pytest.fixture
def images(upstream: DistributionRegistry) -> dict[str, BuiltImage]:
    """Four images sharing a base layer, each way a registry serves them."""
    build = ImageBuilder(upstream)
    base = random_layer(300_000)
    return {
        "oci": build.image("apps/web", "1.0", [base, random_layer(50_000)]),
        "docker": build.image("apps/api", "2.0", [base, random_layer(40_000)], docker=True),
        "index": build.index(
            "apps/multi", "3.0", {"linux/amd64": [base, random_layer(30_000)], "linux/arm64": [random_layer(30_000)]}
        ),
        "pinned": build.index(
            "apps/pinned", None, {"linux/amd64": [base, random_layer(20_000)], "linux/arm64/v8": [random_layer(20_000)]}
        ),
        "pinned-docker": build.index(
            "apps/legacy", None, {"linux/amd64": [base], "linux/arm64": [random_layer(10_000)]}, docker=True
        ),
    }


def references(upstream: DistributionRegistry, images: dict[str, BuiltImage]) -> dict[str, str]:
    host = upstream.endpoint_host
    return {
        "oci": f"{host}/apps/web:1.0",
        "docker": f"{host}/apps/api:2.0",
        "index": f"{host}/apps/multi:3.0",
        "pinned": f"{host}/apps/pinned@{images['pinned'].digest}",
        "pinned-docker": f"{host}/apps/legacy@{images['pinned-docker'].digest}",
    }


def skopeo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=60)


def export(run_cli: RunCli, tmp_path: Path, refs: list[str], *extra: str) -> tuple[CliResult, Path]:
    listing = tmp_path / "images.txt"
    listing.write_text("# the site's images\n\n" + "\n".join(refs) + "\n")
    bundle = tmp_path / "bundle.tar"
    result = run_cli("bundle", "export", "-o", str(bundle), "--charts", "none", "--images-from", str(listing), *extra)
    return result, bundle


def plain(run_cli: RunCli, registry: DistributionRegistry) -> None:
    added = run_cli("image-registry", "add", registry.endpoint_host, "--plain-http")
    assert added.returncode == 0, added.stderr


def test_every_image_is_carried_as_published_and_skopeo_reads_it(
    run_cli: RunCli, tmp_path: Path, upstream: DistributionRegistry, images: dict[str, BuiltImage]
) -> None:
    plain(run_cli, upstream)
    refs = references(upstream, images)
    result, bundle = export(run_cli, tmp_path, list(refs.values()), "--platform", "linux/amd64")
    assert result.returncode == 0, result.stderr
    assert "5 container images" in result.stdout

    layout = open_layout(bundle)
    carried = {image.ref_name: image for image in layout.images}
    assert sorted(carried) == sorted(refs.values())
    assert layout.charts == ()
    # an OCI image and a digest-pinned index keep their upstream bytes and digests
    for key in ("oci", "pinned"):
        inspected = skopeo("inspect", "--raw", f"oci-archive:{bundle}:{refs[key]}")
        assert inspected.returncode == 0, inspected.stderr
        assert inspected.stdout.encode() == images[key].manifest
        assert json.loads(skopeo("inspect", f"oci-archive:{bundle}:{refs[key]}").stdout)["Digest"] == images[key].digest
    # the pinned index comes whole (a registry refuses an index whose children it lacks)
    assert sorted(carried[refs["pinned"]].platforms) == ["linux/amd64", "linux/arm64/v8"]
    arm = skopeo(
        "inspect", "--override-arch", "arm64", "--override-variant", "v8", f"oci-archive:{bundle}:{refs['pinned']}"
    )
    assert arm.returncode == 0, arm.stderr
    assert json.loads(arm.stdout)["Architecture"] == "arm64"
    # a Docker image by tag is carried in its OCI form, as skopeo copies one: the same config and layers
    docker = json.loads(skopeo("inspect", f"oci-archive:{bundle}:{refs['docker']}").stdout)
    upstream_docker = json.loads(images["docker"].manifest)
    assert docker["Layers"] == [layer["digest"] for layer in upstream_docker["layers"]]
    assert docker["Architecture"] == "amd64"
    config = json.loads(skopeo("inspect", "--config", "--raw", f"oci-archive:{bundle}:{refs['docker']}").stdout)
    assert (
        config["rootfs"]["diff_ids"]
        == json.loads(images["docker"].blobs[upstream_docker["config"]["digest"]])["rootfs"]["diff_ids"]
    )
    # a digest-pinned Docker manifest list is carried as published, every child with it
    legacy = carried[refs["pinned-docker"]]
    assert legacy.descriptor.digest == images["pinned-docker"].digest
    assert legacy.descriptor.media_type == "application/vnd.docker.distribution.manifest.list.v2+json"
    assert layout.read_blob(legacy.descriptor.digest, 10**6) == images["pinned-docker"].manifest
    assert sorted(legacy.platforms) == ["linux/amd64", "linux/arm64"]
    # a tag of an index brings the chosen platform's image, under the upstream digest of that image
    amd64 = images["index"].children["linux/amd64"]
    assert carried[refs["index"]].descriptor.digest == amd64
    assert carried[refs["index"]].platforms == ("linux/amd64",)
    assert json.loads(skopeo("inspect", f"oci-archive:{bundle}:{refs['index']}").stdout)["Digest"] == amd64
    # every upstream blob byte for byte (the shared base layer once)
    upstream_blobs = {**images["oci"].blobs, **images["pinned"].blobs, **images["pinned-docker"].blobs}
    upstream_blobs.update({key: images["docker"].blobs[key] for key in images["docker"].blobs})
    child = json.loads(images["index"].blobs[amd64])
    for descriptor in [child["config"], *child["layers"]]:
        upstream_blobs[descriptor["digest"]] = images["index"].blobs[descriptor["digest"]]
    for digest, data in upstream_blobs.items():
        assert layout.read_blob(digest, 10**7) == data
    with tarfile.open(bundle) as tar:
        names = [member.name for member in tar.getmembers()]
    assert len(names) == len(set(names))
    assert not any(image.descriptor.digest == images["index"].children["linux/arm64"] for image in layout.images)

    # a workstation imports the bundle: its catalog ignores the images, the bundle stays valid
    imported = run_cli("bundle", "import", str(bundle), "--home", str(tmp_path / "workstation"))
    assert imported.returncode == 0, imported.stderr


def test_platforms_choose_the_children_of_a_tagged_index(
    run_cli: RunCli, tmp_path: Path, upstream: DistributionRegistry, images: dict[str, BuiltImage]
) -> None:
    plain(run_cli, upstream)
    refs = references(upstream, images)
    bogus = run_cli("settings", "set", "image_platforms", "amd64")
    assert bogus.returncode != 0 and len(bogus.stderr.strip().splitlines()) == 1
    assert "OS/ARCH[/VARIANT]" in bogus.stderr
    assert run_cli("settings", "set", "image_platforms", "linux/amd64, linux/arm64").returncode == 0
    result, bundle = export(run_cli, tmp_path, [refs["index"]])
    assert result.returncode == 0, result.stderr
    inspected = skopeo("inspect", "--raw", f"oci-archive:{bundle}:{refs['index']}")
    assert inspected.stdout.encode() == images["index"].manifest  # both platforms: the index as published
    arm = skopeo("inspect", "--override-arch", "arm64", f"oci-archive:{bundle}:{refs['index']}")
    assert json.loads(arm.stdout)["Architecture"] == "arm64"

    # a Docker manifest list by tag comes in its OCI form, so OCI layout readers see it: the same layers
    listed = ImageBuilder(upstream).index(
        "apps/listed", "4.0", {"linux/amd64": [random_layer(1000)], "linux/arm64": [random_layer(1000)]}, docker=True
    )
    ref = f"{upstream.endpoint_host}/apps/listed:4.0"
    result, bundle = export(run_cli, tmp_path, [ref])
    assert result.returncode == 0, result.stderr
    index = json.loads(skopeo("inspect", "--raw", f"oci-archive:{bundle}:{ref}").stdout)
    assert index["mediaType"] == "application/vnd.oci.image.index.v1+json"
    assert [entry["platform"]["architecture"] for entry in index["manifests"]] == ["amd64", "arm64"]
    arm = json.loads(skopeo("inspect", "--override-arch", "arm64", f"oci-archive:{bundle}:{ref}").stdout)
    upstream_arm = json.loads(listed.blobs[listed.children["linux/arm64"]])
    assert arm["Layers"] == [layer["digest"] for layer in upstream_arm["layers"]]

    missing, bundle = export(run_cli, tmp_path, [refs["oci"]], "--platform", "linux/s390x")
    assert missing.returncode == 0  # a single-platform image is what it is
    wrong, _ = export(run_cli, tmp_path, [refs["index"]], "--platform", "linux/s390x")
    assert wrong.returncode == 1
    assert "has no linux/s390x image (it has linux/amd64, linux/arm64)" in wrong.stderr
    assert len(wrong.stderr.strip().splitlines()) == 1


def test_images_behind_a_token_service(run_cli: RunCli, tmp_path: Path) -> None:
    service = TokenService(users={"ana": "an4-s3cret"})
    registry = DistributionRegistry(tmp_path / "token", users={"ana": "an4-s3cret"}, token=service).start()
    try:
        built = ImageBuilder(registry, user="ana").image("team/tool", "1", [random_layer(10_000)])
        added = run_cli(
            "image-registry",
            "add",
            registry.endpoint_host,
            "--plain-http",
            "--username",
            "ana",
            "--password-stdin",
            input="an4-s3cret\n",
        )
        assert added.returncode == 0, added.stderr
        ref = f"{registry.endpoint_host}/team/tool:1"
        result, bundle = export(run_cli, tmp_path, [ref])
        assert result.returncode == 0, result.stderr
        assert skopeo("inspect", "--raw", f"oci-archive:{bundle}:{ref}").stdout.encode() == built.manifest
        assert any(request["user"] == "ana" for request in service.requests)
        listed = run_cli("image-registry", "list")
        assert registry.endpoint_host in listed.stdout and "ana" in listed.stdout
        assert "an4-s3cret" not in (tmp_path / "home" / "data" / "image-registries.json").read_text()
        assert run_cli("image-registry", "remove", registry.endpoint_host).returncode == 0
        refused, _ = export(run_cli, tmp_path, [ref])
        assert refused.returncode == 1  # anonymous over HTTPS now: one line
        assert len(refused.stderr.strip().splitlines()) == 1
    finally:
        registry.stop()


# --- hostile registries: one line, no bundle, nothing left beside it -----------------------------------


def _descriptor(media_type: str, data: bytes, size: int | None = None) -> dict[str, object]:
    return {"mediaType": media_type, "digest": digest_of(data), "size": len(data) if size is None else size}


CONFIG = json.dumps({"architecture": "amd64", "os": "linux", "rootfs": {"type": "layers", "diff_ids": []}}).encode()
LAYER = random_layer(4096, seed=1)


def _hostile_cases() -> dict[str, tuple[dict[str, object], dict[str, Behaviour], str]]:
    good_layer = _descriptor(OCI_LAYER, LAYER)
    many = [_descriptor(OCI_LAYER, str(n).encode()) for n in range(10_000)]
    huge = {**good_layer, "size": 10 * 1024**3}
    return {
        "a wrong digest": (
            {"layers": [good_layer]},
            {f"/v2/apps/bad/blobs/{digest_of(LAYER)}": Behaviour(LAYER[:-1] + b"x")},
            "does not match its digest",
        ),
        "a size that lies": (
            {"layers": [_descriptor(OCI_LAYER, LAYER, 1000)]},
            {f"/v2/apps/bad/blobs/{digest_of(LAYER)}": Behaviour(LAYER)},
            "more than the 1,000 bytes",
        ),
        "a truncated blob": (
            {"layers": [good_layer]},
            {f"/v2/apps/bad/blobs/{digest_of(LAYER)}": Behaviour(LAYER[:2000], declared_length=len(LAYER))},
            "",
        ),
        "10,000 layers": ({"layers": many}, {}, "10,000 layers (at most 1,000)"),
        "a 10 GB layer announced": ({"layers": [huge]}, {}, "over the 4,294,967,296-byte limit"),
    }


@pytest.mark.parametrize("case", list(_hostile_cases()))
def test_a_hostile_registry_is_refused_in_one_line_leaving_nothing(run_cli: RunCli, tmp_path: Path, case: str) -> None:
    manifest_fields, paths, expected = _hostile_cases()[case]
    manifest = json.dumps(
        {"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": _descriptor(OCI_CONFIG, CONFIG), **manifest_fields}
    ).encode()
    server = HostileServer().start()
    try:
        server.paths.update(
            {
                "/v2/apps/bad/manifests/1": Behaviour(manifest, headers={"Content-Type": OCI_MANIFEST}),
                f"/v2/apps/bad/blobs/{digest_of(CONFIG)}": Behaviour(CONFIG),
                **paths,
            }
        )
        host = server.url.removeprefix("http://")
        plain_host = run_cli("image-registry", "add", host, "--plain-http")
        assert plain_host.returncode == 0, plain_host.stderr
        out = tmp_path / "out"
        out.mkdir()
        listing = tmp_path / "images.txt"
        listing.write_text(f"{host}/apps/bad:1\n")
        result = run_cli(
            "bundle", "export", "-o", str(out / "b.tar"), "--charts", "none", "--images-from", str(listing), timeout=120
        )
    finally:
        server.stop()
    assert result.returncode == 1, result.stdout
    lines = result.stderr.strip().splitlines()
    assert len(lines) == 1, result.stderr
    assert f"Image {host}/apps/bad:1" in lines[0] and expected in lines[0]
    assert list(out.iterdir()) == []


APP_TEMPLATE = """apiVersion: apps/v1
kind: Deployment
metadata:
  name: app
spec:
  selector:
    matchLabels: {app: a}
  template:
    metadata:
      labels: {app: a}
    spec:
      containers:
        - name: app
          image: {{ .Values.image | quote }}
"""


def test_a_profiles_images_come_with_its_charts(
    run_cli: RunCli,
    make_repo: Callable[..., RepoServer],
    home: Path,
    tmp_path: Path,
    upstream: DistributionRegistry,
    images: dict[str, BuiltImage],
) -> None:
    repo = make_repo()
    publish_charts(repo, {"app": {"0.1.0": one_template_chart("app", APP_TEMPLATE)}})
    assert run_cli("registry", "add", "r", repo.url).returncode == 0
    plain(run_cli, upstream)
    web = references(upstream, images)["oci"]
    db = open_catalog(resolve_paths(home).catalog)
    try:
        registry = get_registry(db, "r")
        layer = Layer(
            registry.uid, "r", registry.endpoint, "app", "0.1.0", namespace="apps", values_override=f"image: {web}\n"
        )
        save_profile(db, Profile(uid="", name="edge", layers=(layer,)), time.time())
    finally:
        db.close()
    bundle = tmp_path / "edge.tar"
    result = run_cli("bundle", "export", "-o", str(bundle), "--profile", "edge", "--charts", "profiles", "--images")
    assert result.returncode == 0, result.stderr
    assert "1 chart archive" in result.stdout and "1 container image" in result.stdout
    layout = open_layout(bundle)
    assert [image.ref_name for image in layout.images] == [web]
    assert [chart.ref_name for chart in layout.charts] == ["r/app:0.1.0"]
    assert skopeo("inspect", "--raw", f"oci-archive:{bundle}:{web}").stdout.encode() == images["oci"].manifest
    site = DistributionRegistry(tmp_path / "site").start()
    try:  # the same images straight into the site's registry, with the profile's charts
        mirrored = run_cli("mirror", "--profile", "edge", "--images", f"oci://{site.endpoint_host}/m", "--plain-http")
        assert mirrored.returncode == 0, mirrored.stderr
        path = f"{site.endpoint_host}/m/{upstream.endpoint_host.replace(':', '_')}/apps/web:1.0"
        copied = skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{path}")
        assert copied.stdout.encode() == images["oci"].manifest, copied.stderr
        assert "override_path = true" in mirrored.stdout
    finally:
        site.stop()
    inspected = run_cli("bundle", "inspect", str(bundle), "-o", "json")
    assert inspected.returncode == 0, inspected.stderr
    listed = json.loads(inspected.stdout)["images"]
    assert listed == [
        {
            "ref": web,
            "digest": images["oci"].digest,
            "media_type": OCI_MANIFEST,
            "platforms": ["linux/amd64"],
            "size": len(images["oci"].manifest) + sum(len(blob) for blob in images["oci"].blobs.values()),
            "size_in_bundle": len(images["oci"].manifest) + sum(len(blob) for blob in images["oci"].blobs.values()),
            "left_out": [],
        }
    ]


def test_push_puts_the_images_under_their_source_host_and_skips_what_is_there(
    run_cli: RunCli, tmp_path: Path, upstream: DistributionRegistry, images: dict[str, BuiltImage]
) -> None:
    plain(run_cli, upstream)
    refs = references(upstream, images)
    result, bundle = export(run_cli, tmp_path, list(refs.values()))
    assert result.returncode == 0, result.stderr
    site = DistributionRegistry(tmp_path / "site").start()
    try:
        target = f"oci://{site.endpoint_host}/mirror"
        config = tmp_path / "mirror-config"
        pushed = run_cli("bundle", "push", str(bundle), target, "--plain-http", "--mirror-config", str(config))
        assert pushed.returncode == 0, pushed.stderr
        source = upstream.endpoint_host.replace(":", "_")
        hosts = (config / upstream.endpoint_host / "hosts.toml").read_text()
        assert hosts == (
            f'server = "https://{upstream.endpoint_host}"\n\n'
            f'[host."http://{site.endpoint_host}/v2/mirror/{source}"]\n'
            '  capabilities = ["pull", "resolve"]\n'
            "  override_path = true\n"
        )
        assert hosts in pushed.stdout
        # Palette's OCI image registry with mirrors: SOURCE::TARGET in the image swap format, no /v2
        palette = (config / "palette-image-registry.yaml").read_text()
        mirror = f"{site.endpoint_host}/mirror/{source}"
        assert palette == (
            "ociImageRegistry:\n"
            f'  endpoint: "{site.endpoint_host}"\n'
            '  baseContentPath: "mirror"\n'
            f'  mirrorRegistries: "{upstream.endpoint_host}::{mirror}"\n'
        )
        assert palette in pushed.stdout
        swapped = refs["oci"].replace(f"{upstream.endpoint_host}/", f"{mirror}/", 1)  # as image swap rewrites it
        assert skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{swapped}").stdout.encode() == (
            images["oci"].manifest
        )
        where = f"docker://{site.endpoint_host}/mirror/{source}"
        for key, path in (("oci", "apps/web:1.0"), ("pinned", f"apps/pinned@{images['pinned'].digest}")):
            inspected = skopeo("inspect", "--tls-verify=false", "--raw", f"{where}/{path}")
            assert inspected.returncode == 0, inspected.stderr
            assert inspected.stdout.encode() == images[key].manifest
        # the pinned Docker manifest list resolves on the site by its upstream digest, every platform with it
        legacy = f"{where}/apps/legacy@{images['pinned-docker'].digest}"
        arm = skopeo("inspect", "--tls-verify=false", "--no-tags", "--override-arch", "arm64", legacy)
        assert arm.returncode == 0, arm.stderr
        assert json.loads(arm.stdout)["Architecture"] == "arm64"
        assert (
            skopeo("inspect", "--tls-verify=false", "--raw", legacy).stdout.encode() == images["pinned-docker"].manifest
        )
        with httpx.Client(base_url=site.url) as client:  # the site's blobs are the upstream's, byte for byte
            for digest, data in images["oci"].blobs.items():
                assert client.get(f"/v2/mirror/{source}/apps/web/blobs/{digest}").content == data
        pulled = run_cli("bundle", "pull", target, "-o", str(tmp_path / "pulled.tar"), "--plain-http")
        assert pulled.returncode == 0, pulled.stderr
        assert (tmp_path / "pulled.tar").read_bytes() == bundle.read_bytes()  # rebuilt byte for byte, images too
        again = run_cli("bundle", "push", str(bundle), target, "--plain-http")
        assert again.returncode == 0, again.stderr
        assert "(0 blobs uploaded" in again.stdout, again.stdout
    finally:
        site.stop()


def test_cancel_while_images_download_leaves_no_partial_file(
    engine: CatalogHarness, tmp_path: Path, upstream: DistributionRegistry, images: dict[str, BuiltImage]
) -> None:
    services = replace(engine.services, image_hosts=tmp_path / "image-registries.json")
    add_image_host(services, upstream.endpoint_host, plain_http=True)
    listing = tmp_path / "images.txt"
    listing.write_text("\n".join(references(upstream, images).values()) + "\n")
    out = tmp_path / "out"
    out.mkdir()
    cancel = CancelToken()
    seen: list[int] = []

    def progress(phase: str, done: int, total: int | None) -> None:
        if phase == "images":
            seen.append(done)
            if done == 2:  # two images pulled into the spool, the third under way
                cancel.cancel()

    selection = ExportSelection(charts="none", images_from=listing, platforms=("linux/amd64",))
    with pytest.raises(OperationCancelled):
        export_bundle(services, out / "b.tar", selection, cancel=cancel, progress=progress)
    assert seen[-1] == 2
    assert list(out.iterdir()) == []
    # the same export, not cancelled, writes the bundle
    written = export_bundle(services, out / "b.tar", selection)
    assert len(written.images) == 5 and [path.name for path in out.iterdir()] == ["b.tar"]
