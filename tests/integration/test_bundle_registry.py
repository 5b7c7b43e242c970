"""Bundles against a real registry (Debian's docker-registry) and the real Helm CLI: push, pull back
byte-identical, `helm pull` gives the original archives, and `helm push` makes the same manifests."""

from __future__ import annotations

import calendar
import hashlib
import json
import os
import subprocess
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme

from desktop.bundle.errors import BundleError
from desktop.bundle.helm_artifact import ChartArtifact, build_chart_artifact
from desktop.bundle.layout_reader import open_layout
from desktop.bundle.media_types import HELM_PROVENANCE
from desktop.bundle.registry_pull import pull_layout
from desktop.bundle.registry_push import push_layout
from desktop.errors import NotFoundError
from desktop.net.oci import OciClient
from desktop.net.oci_auth import OciAccess
from tests.support.bundle_files import CREATED, original_archive, sample_charts, stable_archive, write_bundle
from tests.support.helm_binary import HELM_3, HELM_4, helm_binary, helm_environment
from tests.support.oci_registry import DistributionRegistry, TokenService

USERS = {"ana": "an4-s3cret"}
PROV = b"-----BEGIN PGP SIGNED MESSAGE-----\nHash: SHA512\n\nnot really signed\n"


@pytest.fixture(scope="module", params=[HELM_3, HELM_4])
def helm(request: pytest.FixtureRequest) -> Path:
    return helm_binary(request.param)


@pytest.fixture
def plain_registry(tmp_path: Path) -> Iterator[DistributionRegistry]:
    registry = DistributionRegistry(tmp_path / "plain").start()
    yield registry
    registry.stop()


@pytest.fixture
def tls_registry(tmp_path: Path, ca: trustme.CA) -> Iterator[DistributionRegistry]:
    registry = DistributionRegistry(tmp_path / "tls", users=USERS, tls=ca).start()
    yield registry
    registry.stop()


def client(registry: DistributionRegistry, path: str = "site/charts", ca: trustme.CA | None = None) -> OciClient:
    access = OciAccess(
        f"oci://{registry.endpoint_host}/{path}",
        username="ana" if registry.users else None,
        password=USERS["ana"] if registry.users else None,
        ca_pem=ca.cert_pem.bytes().decode() if ca else None,
        plain_http=registry.tls is None,
    )
    return OciClient(access)


def mixed_charts() -> list[ChartArtifact]:
    """Three charts: one with a .prov, one whose version has build metadata (`+` becomes `_`)."""
    return [
        build_chart_artifact(stable_archive("web", "1.0.0"), PROV, CREATED),
        build_chart_artifact(stable_archive("web", "1.1.0+build.7"), None, CREATED),
        build_chart_artifact(stable_archive("db", "2.0.0", payload=300_000), None, CREATED),
    ]


def test_push_then_pull_is_byte_identical_over_tls_with_a_password(
    tmp_path: Path, tls_registry: DistributionRegistry, ca: trustme.CA
) -> None:
    written = write_bundle(tmp_path / "b.tar", mixed_charts())
    layout = open_layout(tmp_path / "b.tar")
    with client(tls_registry, ca=ca) as registry:
        first = push_layout(layout, registry, catalog_tags=["20260101", "latest"])
        assert sorted(first.pushed) == [
            "chartkeeper-catalog:20260101",
            "chartkeeper-catalog:latest",
            "db:2.0.0",
            "web:1.0.0",
            "web:1.1.0_build.7",
        ]
        assert first.blobs_uploaded == written.blobs - 4  # every blob once; the 4 manifests are PUT as manifests
        again = push_layout(layout, registry, catalog_tags=["20260101", "latest"])
        assert again.pushed == [] and again.blobs_uploaded == 0 and len(again.unchanged) == 5
        pulled = pull_layout(registry, "20260101", tmp_path / "pulled.tar")
        split = pull_layout(registry, "latest", tmp_path / "parts.tar", split_size=100_000)
    assert (tmp_path / "pulled.tar").read_bytes() == (tmp_path / "b.tar").read_bytes()
    assert pulled.sha256 == written.sha256 == split.sha256 and len(split.parts) > 1
    assert b"".join(part.read_bytes() for part in split.parts) == (tmp_path / "b.tar").read_bytes()


def test_a_token_service_grants_push_and_pull(tmp_path: Path) -> None:
    tokens = TokenService(users=USERS)
    registry = DistributionRegistry(tmp_path / "token", users=USERS, token=tokens).start()
    try:
        write_bundle(tmp_path / "b.tar", sample_charts(2))
        with client(registry) as oci:
            push_layout(open_layout(tmp_path / "b.tar"), oci, catalog_tags=["latest"])
            pull_layout(oci, "latest", tmp_path / "pulled.tar")
    finally:
        registry.stop()
    assert (tmp_path / "pulled.tar").read_bytes() == (tmp_path / "b.tar").read_bytes()
    assert any("push" in scope for request in tokens.requests for scope in request["scopes"])


def run_helm(helm: Path, home: Path, *args: str, stdin: str | None = None) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(
        [str(helm), *args], env=helm_environment(home), capture_output=True, text=True, input=stdin, timeout=120
    )
    assert done.returncode == 0, done.stderr
    return done


def test_helm_pulls_the_pushed_charts_byte_for_byte(
    tmp_path: Path,
    helm: Path,
    tls_registry: DistributionRegistry,
    plain_registry: DistributionRegistry,
    ca_file: Path,
    ca: trustme.CA,
) -> None:
    charts = mixed_charts()
    write_bundle(tmp_path / "b.tar", charts)
    layout = open_layout(tmp_path / "b.tar")
    home = tmp_path / "helm-home"
    with client(plain_registry) as oci:
        push_layout(layout, oci, catalog_tags=["latest"])
    with client(tls_registry, ca=ca) as oci:
        push_layout(layout, oci, catalog_tags=["latest"])
    targets: list[tuple[DistributionRegistry, list[str]]] = [(plain_registry, ["--plain-http"])]
    # Helm 3 (ORAS v1) speaks plain HTTP to any loopback host whatever it is told, so TLS on
    # 127.0.0.1 is proven with Helm 4 only.
    if helm.parent.name != f"helm-{HELM_3}":
        login = ["registry", "login", tls_registry.endpoint_host, "--username", "ana", "--password-stdin"]
        run_helm(helm, home, *login, "--ca-file", str(ca_file), stdin=USERS["ana"])
        targets.append((tls_registry, ["--ca-file", str(ca_file)]))
    for registry, flags in targets:
        for chart in charts:
            target = tmp_path / "pulled" / registry.endpoint_host / chart.tag
            target.mkdir(parents=True)
            reference = f"oci://{registry.endpoint_host}/site/charts/{chart.name}"
            run_helm(helm, home, "pull", reference, "--version", chart.version, "-d", str(target), *flags)
            (archive,) = target.iterdir()
            assert archive.read_bytes() == original_archive(chart)


HELM_CASES = {
    "basic": """apiVersion: v2
name: basic
version: 1.2.3+build.7
description: A <b>chart</b> & more
appVersion: 1.16.0
type: application
keywords: [web, "db"]
home: https://example.test/home
sources: [https://src.example.test/a, https://src.example.test/b]
icon: https://example.test/icon.png
kubeVersion: ">=1.20.0-0"
maintainers:
  - {name: Ana, email: ana@example.test, url: https://ana.example.test}
  - name: Bo
  - email: only@example.test
annotations:
  zeta: last
  category: Database
  org.opencontainers.image.description: overridden
  org.opencontainers.image.title: ignored
dependencies:
  - name: sub
    version: ~1.0
    repository: oci://registry.example.test/charts
    condition: sub.enabled
    tags: [backend]
    alias: my-sub
    import-values: [data, {child: a.b, parent: c}, 12345678901234567890, 1.5e-9]
    enabled: true
deprecated: true
""",
    "typing": """apiVersion: v2
name: typing
version: 1.0
appVersion: 1.10
description: yes
keywords: [1, 2.50, on, ~, 0x1F, 010, 1e3, 3.14159265358979, 08, 1_000, .5]
home: ~
annotations: {num: 1.5, flag: off, nothing: ~, big: 123456789, date: 2001-12-14}
Icon: 12345678
KubeVersion: 1.0e7
base: &base {condition: from.merge, tags: merged}
<<: *base
""",
    "unicode": "apiVersion: v2\nname: unicode\nversion: 0.1.0\n"
    'description: "café ☃ line\\u2028sep\\ttab\\nnewline \\x01ctl \\u00ad soft"\n'
    'annotations:\n  note: "bell\\b and \\x7f and <tag> \\u2029"\nmaintainers:\n  - name: "Åsa\\tTab"\n',
}
REQUIREMENTS = "dependencies:\n- name: legacy-db\n  version: 0.1.x\n  repository: https://charts.example.test\n"


def test_our_manifests_and_configs_are_those_helm_push_makes(
    tmp_path: Path, helm: Path, plain_registry: DistributionRegistry
) -> None:
    archives = {name: stable_archive(name, "0.0.0", chart_yaml=chart_yaml) for name, chart_yaml in HELM_CASES.items()}
    archives["legacy"] = stable_archive(
        "legacy",
        "0.0.0",
        chart_yaml="name: legacy\nversion: 3.1.4\n",
        extra_files={"legacy/requirements.yaml": REQUIREMENTS.encode()},
    )
    created = calendar.timegm((2025, 3, 4, 5, 6, 7, 0, 0, 0))
    home = tmp_path / "helm-home"
    with client(plain_registry, "helm") as oci:
        for name, archive in archives.items():
            path = tmp_path / f"{name}.tgz"
            path.write_bytes(archive)
            prov = PROV + name.encode() if name in ("basic", "legacy") else None
            if prov is not None:
                Path(f"{path}.prov").write_bytes(prov)
            os.utime(path, (created, created))  # helm push takes `created` from the file's time
            run_helm(helm, home, "push", str(path), f"oci://{plain_registry.endpoint_host}/helm", "--plain-http")
            ours = build_chart_artifact(archive, prov, "2025-03-04T05:06:07.5Z")
            manifest, _ = oci.manifest_bytes(ours.name, ours.tag)
            theirs_config = oci.blob(ours.name, json.loads(manifest)["config"]["digest"])
            assert theirs_config == ours.config.blob, name
            assert manifest == ours.artifact.manifest, name
            assert "sha256:" + hashlib.sha256(manifest).hexdigest() == ours.artifact.descriptor.digest


def test_a_tag_with_other_content_is_refused_and_nothing_is_pushed(
    tmp_path: Path, plain_registry: DistributionRegistry
) -> None:
    write_bundle(tmp_path / "a.tar", [build_chart_artifact(stable_archive("web", "1.0.0"), None, CREATED)])
    changed = [
        build_chart_artifact(stable_archive("api", "1.0.0"), None, CREATED),
        build_chart_artifact(stable_archive("web", "1.0.0", seed=9), None, CREATED),
    ]
    write_bundle(tmp_path / "b.tar", changed)
    with client(plain_registry) as oci:
        push_layout(open_layout(tmp_path / "a.tar"), oci, catalog_tags=["latest"])
        before = oci.manifest_digest("web", "1.0.0")
        with pytest.raises(BundleError, match=r"already holds web:1\.0\.0 with other content; nothing was pushed"):
            push_layout(open_layout(tmp_path / "b.tar"), oci, catalog_tags=["latest"])
        assert oci.manifest_digest("web", "1.0.0") == before
        assert oci.manifest_digest("api", "1.0.0") is None
        summary = push_layout(open_layout(tmp_path / "b.tar"), oci, catalog_tags=["latest"], replace_tags=True)
        assert "web:1.0.0" in summary.pushed
        assert oci.manifest_digest("web", "1.0.0") == changed[1].artifact.descriptor.digest


def test_a_delta_is_pushed_onto_the_full_bundle_and_pulled_back_identical(
    tmp_path: Path, plain_registry: DistributionRegistry
) -> None:
    charts = mixed_charts()
    write_bundle(tmp_path / "full.tar", charts)
    have = frozenset(blob.descriptor.digest for chart in charts[:2] for blob in chart.artifact.layers)
    delta = write_bundle(tmp_path / "delta.tar", charts, have=have)
    assert delta.absent
    with client(plain_registry, "empty") as oci, pytest.raises(BundleError, match="push the full bundle first"):
        push_layout(open_layout(tmp_path / "delta.tar"), oci, catalog_tags=["latest"])
    with client(plain_registry) as oci:
        push_layout(open_layout(tmp_path / "full.tar"), oci, catalog_tags=["full"])
        summary = push_layout(open_layout(tmp_path / "delta.tar"), oci, catalog_tags=["delta"])
        assert summary.blobs_uploaded == 1  # the charts are there already: only the new layout record goes
        pull_layout(oci, "delta", tmp_path / "pulled.tar")
    assert (tmp_path / "pulled.tar").read_bytes() == (tmp_path / "delta.tar").read_bytes()


def test_a_blob_pushed_to_one_repository_is_mounted_into_the_next(
    tmp_path: Path, plain_registry: DistributionRegistry
) -> None:
    charts = [build_chart_artifact(stable_archive(name, "1.0.0"), PROV, CREATED) for name in ("one", "two")]
    write_bundle(tmp_path / "b.tar", charts)
    with client(plain_registry) as oci:
        summary = push_layout(open_layout(tmp_path / "b.tar"), oci, catalog_tags=["latest"])
        assert summary.blobs_mounted == 1  # the same .prov in both charts
        prov = next(b for b in charts[1].artifact.layers if b.descriptor.media_type == HELM_PROVENANCE)
        assert oci.blob_exists("two", prov.descriptor.digest)


def test_pulling_a_tag_that_is_not_there_is_one_line(tmp_path: Path, plain_registry: DistributionRegistry) -> None:
    with client(plain_registry) as oci, pytest.raises(NotFoundError) as caught:
        pull_layout(oci, "nope", tmp_path / "x.tar")
    assert "\n" not in str(caught.value)
    assert not (tmp_path / "x.tar").exists() and list(tmp_path.iterdir()) == [tmp_path / "plain"]
