"""Image deltas and what a workstation records: a site that imported and pushed a bundle with images
lists their blobs in `bundle have`, the next export leaves those layers out (smaller, the layout record
says which), `bundle inspect` says so, and the site imports and pushes the delta — the push mounting the
left-out layers from where the site registry holds them; a registry without them refuses in one line.
A profile's images are recorded at import: `profile show` says how many it needs and which bundle carried them."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import httpx
import pytest
import yaml

from desktop.bundle.have_file import read_have_file
from desktop.bundle.layout_reader import open_layout
from desktop.catalog.db import open_catalog
from desktop.catalog.image_records import ProfileImage, images_text, profile_images, set_profile_images
from desktop.catalog.profiles import find_profile, save_profile
from desktop.catalog.registries import get_registry
from desktop.paths import resolve_paths
from desktop.profiles.model import Layer, Profile
from desktop.timefmt import local_date
from tests.conftest import CliResult
from tests.support.charts import publish_charts
from tests.support.oci_images import BuiltImage, ImageBuilder, random_layer
from tests.support.oci_registry import DistributionRegistry
from tests.support.render_charts import one_template_chart
from tests.support.repo_server import RepoServer

RunCli = Callable[..., CliResult]


@pytest.fixture
def upstream(tmp_path: Path) -> Iterator[DistributionRegistry]:
    registry = DistributionRegistry(tmp_path / "upstream").start()
    yield registry
    registry.stop()


@pytest.fixture
def site(tmp_path: Path) -> Iterator[DistributionRegistry]:
    registry = DistributionRegistry(tmp_path / "site").start()
    yield registry
    registry.stop()


def skopeo(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(["skopeo", *args], capture_output=True, text=True, timeout=60)


def layers_of(image: BuiltImage) -> list[str]:
    return [layer["digest"] for layer in json.loads(image.manifest)["layers"]]


def export(run_cli: RunCli, tmp_path: Path, name: str, refs: list[str], *extra: str) -> Path:
    listing = tmp_path / f"{name}.txt"
    listing.write_text("\n".join(refs) + "\n")
    bundle = tmp_path / f"{name}.tar"
    result = run_cli("bundle", "export", "-o", str(bundle), "--charts", "none", "--images-from", str(listing), *extra)
    assert result.returncode == 0, result.stderr
    return bundle


def test_a_delta_leaves_out_the_image_layers_the_site_holds_and_its_push_finds_them(
    run_cli: RunCli, tmp_path: Path, upstream: DistributionRegistry, site: DistributionRegistry
) -> None:
    assert run_cli("image-registry", "add", upstream.endpoint_host, "--plain-http").returncode == 0
    build = ImageBuilder(upstream)
    base = random_layer(400_000)
    web = build.image("apps/web", "1.0", [base, random_layer(200_000)])
    api = build.image("apps/api", "2.0", [base, random_layer(100_000)], docker=True)
    host = upstream.endpoint_host
    first = export(run_cli, tmp_path, "first", [f"{host}/apps/web:1.0", f"{host}/apps/api:2.0"])

    at_site = {"CHARTKEEPER_HOME": str(tmp_path / "site-home")}
    target = f"oci://{site.endpoint_host}/mirror"
    imported = run_cli("bundle", "import", str(first), env=at_site)
    assert imported.returncode == 0, imported.stderr
    pushed = run_cli("bundle", "push", str(first), target, "--plain-http", env=at_site)
    assert pushed.returncode == 0, pushed.stderr
    have = tmp_path / "site.have"
    listed = run_cli("bundle", "have", "-o", str(have), env=at_site)
    assert listed.returncode == 0, listed.stderr
    held = read_have_file(have)
    assert set(layers_of(web)) | set(layers_of(api)) <= held  # every image layer the site holds

    # the next export: the same images, and a new one on the same base in another repository
    new = build.image("apps/new", "1.0", [base, random_layer(50_000)])
    refs = [f"{host}/apps/web:1.0", f"{host}/apps/api:2.0", f"{host}/apps/new:1.0"]
    full = export(run_cli, tmp_path, "full", refs)
    delta = export(run_cli, tmp_path, "delta", refs, "--have", str(have))
    assert delta.stat().st_size < full.stat().st_size - 700_000
    layout = open_layout(delta)
    left_out = set(layers_of(web)) | set(layers_of(api))
    assert set(layout.absent) == left_out
    assert not any(layout.has_blob(digest) for digest in left_out)
    carried = {image.ref_name: image for image in layout.images}
    assert set(carried[refs[2]].absent) == {layers_of(new)[0]}  # the shared base: the site holds it
    assert layout.has_blob(layers_of(new)[1])  # the new layer comes
    assert layout.has_blob(json.loads(web.manifest)["config"]["digest"])  # configs and manifests always come

    inspected = run_cli("bundle", "inspect", str(delta), "-o", "json")
    assert inspected.returncode == 0, inspected.stderr
    document = json.loads(inspected.stdout)
    assert document["delta"] is True
    by_ref = {image["ref"]: image for image in document["images"]}
    assert by_ref[refs[0]]["left_out"] == sorted(layers_of(web))
    assert by_ref[refs[0]]["size_in_bundle"] == by_ref[refs[0]]["size"] - sum(
        len(web.blobs[digest]) for digest in layers_of(web)
    )
    text = run_cli("bundle", "inspect", str(delta))
    assert "2 layers left out" in text.stdout and "every blob verified" in text.stdout

    # a registry without the left-out layers refuses the delta in one line
    empty = DistributionRegistry(tmp_path / "empty").start()
    try:
        refused = run_cli("bundle", "push", str(delta), f"oci://{empty.endpoint_host}/mirror", "--plain-http")
    finally:
        empty.stop()
    assert refused.returncode == 1
    assert len(refused.stderr.strip().splitlines()) == 1 and "push the full bundle first" in refused.stderr

    # the site imports and pushes the delta; the new image's base is mounted from where the site holds it
    again = run_cli("bundle", "import", str(delta), env=at_site)
    assert again.returncode == 0, again.stderr
    pushed = run_cli("bundle", "push", str(delta), target, "--plain-http", env=at_site)
    assert pushed.returncode == 0, pushed.stderr
    source = f"{site.endpoint_host}/mirror/{host.replace(':', '_')}"
    copied = skopeo("inspect", "--tls-verify=false", "--raw", f"docker://{source}/apps/new:1.0")
    assert copied.returncode == 0, copied.stderr
    assert copied.stdout.encode() == new.manifest
    with httpx.Client(base_url=site.url) as client:
        for digest in layers_of(new):
            path = f"/v2/mirror/{host.replace(':', '_')}/apps/new/blobs/{digest}"
            assert client.get(path).content == new.blobs[digest]

    # a delta of one image alone, its base held by other repositories: the site's catalog knows where
    have = tmp_path / "site-2.have"
    assert run_cli("bundle", "have", "-o", str(have), env=at_site).returncode == 0
    lone = build.image("apps/lone", "1.0", [base, random_layer(10_000)])
    only = export(run_cli, tmp_path, "only", [f"{host}/apps/lone:1.0"], "--have", str(have))
    assert open_layout(only).absent == frozenset({layers_of(lone)[0]})
    pushed = run_cli("bundle", "push", str(only), target, "--plain-http", env=at_site)
    assert pushed.returncode == 0, pushed.stderr
    assert "1 mounted" in pushed.stdout, pushed.stdout
    copied = skopeo("inspect", "--tls-verify=false", f"docker://{source}/apps/lone:1.0")
    assert copied.returncode == 0, copied.stderr
    assert json.loads(copied.stdout)["Layers"] == layers_of(lone)
    # the delta comes back from the site registry byte for byte, its left-out layer left out again
    pulled = tmp_path / "pulled.tar"
    back = run_cli("bundle", "pull", target, "-o", str(pulled), "--plain-http", env=at_site)
    assert back.returncode == 0, back.stderr
    assert pulled.read_bytes() == only.read_bytes()


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
        - name: side
          image: {{ .Values.side | quote }}
"""


def test_an_import_records_which_images_each_profile_needs_and_which_bundle_carried_them(
    run_cli: RunCli, make_repo: Callable[..., RepoServer], home: Path, tmp_path: Path, upstream: DistributionRegistry
) -> None:
    repo = make_repo()
    publish_charts(repo, {"app": {"0.1.0": one_template_chart("app", APP_TEMPLATE)}})
    assert run_cli("registry", "add", "r", repo.url).returncode == 0
    assert run_cli("image-registry", "add", upstream.endpoint_host, "--plain-http").returncode == 0
    build = ImageBuilder(upstream)
    build.image("apps/web", "1.0", [random_layer(1000)])
    build.image("apps/side", "1.0", [random_layer(1000)])
    web, side = f"{upstream.endpoint_host}/apps/web:1.0", f"{upstream.endpoint_host}/apps/side:1.0"
    db = open_catalog(resolve_paths(home).catalog)
    try:
        registry = get_registry(db, "r")
        values = f"image: {web}\nside: {side}\n"
        layer = Layer(registry.uid, "r", registry.endpoint, "app", "0.1.0", namespace="apps", values_override=values)
        save_profile(db, Profile(uid="", name="edge", layers=(layer,)), time.time())
    finally:
        db.close()
    bundle = tmp_path / "edge.tar"
    result = run_cli("bundle", "export", "-o", str(bundle), "--profile", "edge", "--charts", "profiles", "--images")
    assert result.returncode == 0, result.stderr
    mtime = open_layout(bundle).mtime

    workstation = {"CHARTKEEPER_HOME": str(tmp_path / "workstation")}
    before = run_cli("bundle", "import", str(bundle), env=workstation)
    assert before.returncode == 0, before.stderr
    shown = run_cli("profile", "show", "edge", env=workstation)
    assert shown.returncode == 0, shown.stderr
    assert yaml.safe_load(shown.stdout)["images"] == f"2 needed, 2 carried by bundle of {local_date(mtime)}"
    # the connected side does not record it: it made the bundle, it imported none
    assert "images" not in yaml.safe_load(run_cli("profile", "show", "edge").stdout)

    # a later bundle brings the profile needing one more image that it does not carry: missing
    db = open_catalog(resolve_paths(tmp_path / "workstation").catalog)
    try:
        profile = find_profile(db, "edge")
        assert profile is not None and profile.id is not None
        assert [image.reference for image in profile_images(db, profile.id)] == sorted([web, side])
        extra = f"{upstream.endpoint_host}/apps/extra:2.0"
        set_profile_images(db, profile.id, {web: None, side: None, extra: None})
        text = images_text(profile_images(db, profile.id))
    finally:
        db.close()
    assert text == f"3 needed, 2 carried by bundle of {local_date(mtime)} / missing: {extra}"
    assert images_text([ProfileImage("a", None)]) == "1 needed, none carried / missing: a"
