"""Publishing into the site's registry — Debian's docker-registry with htpasswd and TLS — by the CLI:
push (nothing sent twice), pull back byte-identical, workstations subscribed to the published catalog
(searchable without `_catalog`, archives fetched from the site registry), single charts and a profile's
mirrored, pulled back by the real Helm CLI, and profiles exported with the mirror as their registry."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable, Iterator
from dataclasses import replace
from pathlib import Path

import pytest
import trustme
import yaml

from desktop.bundle.helm_artifact import oci_tag
from desktop.cancellation import CancelToken
from desktop.catalog.db import open_catalog
from desktop.catalog.profiles import find_profile
from desktop.catalog.registries import get_registry
from desktop.catalog.sync_records import list_runs
from desktop.operations.bundle_export import ExportSelection, export_bundle
from desktop.operations.bundle_publish import OciTarget, push_bundle
from desktop.operations.chart_files import pin_version
from desktop.operations.profiles import save_profile
from desktop.operations.subscriptions import subscribe
from desktop.operations.sync_run import SyncStatus
from desktop.profiles.model import Layer, Profile
from desktop.registry import RegistryDraft
from tests.conftest import CliResult
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_archive, publish_charts
from tests.support.helm_binary import HELM_4, helm_binary, helm_environment
from tests.support.oci_registry import DistributionRegistry
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]
USER, PASSWORD = "ana", "an4-s3cret"
VALUES = "replicaCount: 3\n"
README = "# web\n"
ARCHIVES = {
    "web": {
        "1.0.0": chart_archive("web", "1.0.0", values="replicaCount: 1\n"),
        "1.1.0": chart_archive("web", "1.1.0", values=VALUES, readme=README),
    },
    "db": {"2.0.0+build.7": chart_archive("db", "2.0.0+build.7")},
}


@pytest.fixture
def site(tmp_path: Path, ca: trustme.CA) -> Iterator[DistributionRegistry]:
    registry = DistributionRegistry(tmp_path / "site", users={USER: PASSWORD}, tls=ca).start()
    yield registry
    registry.stop()


@pytest.fixture
def source(engine: CatalogHarness, make_repo: MakeRepo) -> Iterator[tuple[CatalogHarness, RepoServer]]:
    repo = make_repo()
    publish_charts(repo, ARCHIVES)
    engine.register(RegistryDraft("alpha", repo.url))
    alpha = get_registry(engine.db, "alpha")
    pin_version(engine.services, alpha.id, "db", "2.0.0+build.7")
    layer = Layer(alpha.uid, "alpha", alpha.endpoint, "web", "1.1.0", "web", 0, "replicaCount: 5\n")
    save_profile(engine.services, Profile("", "edge", layers=(layer,)))
    yield engine, repo


def login(site: DistributionRegistry, ca_file: Path) -> list[str]:
    return ["--username", USER, "--password-stdin", "--ca-file", str(ca_file)]


def target(site: DistributionRegistry, path: str = "site/charts") -> str:
    return f"oci://{site.endpoint_host}/{path}"


def test_push_sends_each_blob_once_and_pull_rebuilds_the_same_bytes(
    source: tuple[CatalogHarness, RepoServer],
    site: DistributionRegistry,
    run_cli: RunCli,
    ca_file: Path,
    tmp_path: Path,
) -> None:
    engine, _ = source
    bundle = tmp_path / "b.tar"
    export_bundle(engine.services, bundle, ExportSelection(charts="latest"))
    pushed = run_cli("bundle", "push", str(bundle), target(site), *login(site, ca_file), input=PASSWORD)
    assert pushed.returncode == 0, pushed.stderr
    assert "Pushed 4 tags" in pushed.stdout  # web 1.1.0, db 2.0.0+build.7, the catalog as its date and latest
    again = run_cli("bundle", "push", str(bundle), target(site), *login(site, ca_file), input=PASSWORD)
    assert "Pushed 0 tags (0 blobs uploaded" in again.stdout and "4 tags unchanged" in again.stdout
    pulled = run_cli(
        "bundle", "pull", target(site), "-o", str(tmp_path / "p.tar"), *login(site, ca_file), input=PASSWORD
    )
    assert pulled.returncode == 0, pulled.stderr
    assert (tmp_path / "p.tar").read_bytes() == bundle.read_bytes()
    listed = json.loads(run_cli("bundle", "inspect", str(bundle), "-o", "json").stdout)
    tag = "20" + listed["created"][2:].replace("-", "").replace(":", "")  # 2026-11-27T10:00:00Z → 20261127T100000Z
    dated = run_cli(
        "bundle", "pull", f"{target(site)}:{tag}", "-o", str(tmp_path / "d.tar"), *login(site, ca_file), input=PASSWORD
    )
    assert dated.returncode == 0, dated.stderr
    assert (tmp_path / "d.tar").read_bytes() == bundle.read_bytes()
    wrong = run_cli("bundle", "push", str(bundle), target(site), "--ca-file", str(ca_file))
    assert wrong.returncode == 1 and "requires a login" in wrong.stderr


def test_a_subscribed_workstation_searches_and_reads_charts_from_the_site_registry(
    source: tuple[CatalogHarness, RepoServer],
    site: DistributionRegistry,
    run_cli: RunCli,
    ca_file: Path,
    tmp_path: Path,
) -> None:
    engine, repo = source
    bundle = tmp_path / "b.tar"
    export_bundle(engine.services, bundle, ExportSelection(charts="latest"))
    assert run_cli("bundle", "push", str(bundle), target(site), *login(site, ca_file), input=PASSWORD).returncode == 0
    repo.stop()  # the upstream is on the other side of the gap
    workstation = ["--home", str(tmp_path / "workstation")]
    added = run_cli(
        *workstation, "registry", "add", "site", target(site), "--bundle", *login(site, ca_file), input=PASSWORD
    )
    assert added.returncode == 0, added.stderr
    assert '"site" has been added: a subscription' in added.stdout and "registry alpha: added" in added.stdout
    hits = {(h["name"], h["version"]) for h in json.loads(run_cli(*workstation, "search", "-o", "json").stdout)}
    assert {("alpha/web", "1.1.0"), ("site/web", "1.1.0"), ("site/db", "2.0.0+build.7")} <= hits
    assert run_cli(*workstation, "show", "values", "alpha/web", "--version", "1.1.0").stdout == VALUES
    assert run_cli(*workstation, "show", "readme", "site/web", "--version", "1.1.0").stdout == README
    pinned = run_cli(*workstation, "pin", "alpha/db", "--version", "2.0.0+build.7")
    assert pinned.returncode == 0, pinned.stderr
    missing = run_cli(*workstation, "pin", "alpha/web", "--version", "1.0.0")  # in the snapshot, not in the bundle
    assert missing.returncode == 1 and "is not in the site's registry" in missing.stderr
    listing = {r["name"]: r for r in json.loads(run_cli(*workstation, "registry", "list", "-o", "json").stdout)}
    assert listing["alpha"]["origin"]["subscription"] == target(site)
    assert listing["site"]["origin"]["kind"] == "subscription"
    assert "edge" in run_cli(*workstation, "profile", "list").stdout
    unchanged = json.loads(run_cli(*workstation, "registry", "sync", "site", "-o", "json").stdout)
    assert unchanged[0]["status"] == "unchanged"
    site.stop()
    offline = run_cli(*workstation, "show", "values", "alpha/db", "--version", "2.0.0+build.7")  # pinned: here
    assert offline.returncode == 0 and offline.stdout == "replicaCount: 1\n"


def run_helm(home: Path, *args: str, stdin: str | None = None) -> None:
    done = subprocess.run(
        [str(helm_binary(HELM_4)), *args],
        env=helm_environment(home),
        capture_output=True,
        text=True,
        input=stdin,
        timeout=120,
    )
    assert done.returncode == 0, done.stderr


def test_mirrored_charts_are_pulled_back_by_helm_and_profiles_point_at_the_mirror(
    source: tuple[CatalogHarness, RepoServer],
    site: DistributionRegistry,
    run_cli: RunCli,
    ca_file: Path,
    tmp_path: Path,
) -> None:
    mirror = target(site, "mirror")
    one = run_cli("mirror", "alpha/db", "--version", "2.0.0+build.7", mirror, *login(site, ca_file), input=PASSWORD)
    assert one.returncode == 0, one.stderr
    by_profile = run_cli("mirror", "--profile", "edge", mirror, *login(site, ca_file), input=PASSWORD)
    assert by_profile.returncode == 0, by_profile.stderr
    helm_home = tmp_path / "helm"
    run_helm(
        helm_home,
        "registry",
        "login",
        site.endpoint_host,
        "--username",
        USER,
        "--password-stdin",
        "--ca-file",
        str(ca_file),
        stdin=PASSWORD,
    )
    for chart, version in (("db", "2.0.0+build.7"), ("web", "1.1.0")):
        folder = tmp_path / "pulled" / chart
        folder.mkdir(parents=True)
        run_helm(
            helm_home, "pull", f"{mirror}/{chart}", "--version", version, "-d", str(folder), "--ca-file", str(ca_file)
        )
        (archive,) = folder.iterdir()
        assert archive.read_bytes() == ARCHIVES[chart][version], chart
        assert archive.name == f"{chart}-{version}.tgz" and oci_tag(version)
    exported = run_cli("profile", "export", "edge", "--format", "helmfile", "--mirror", mirror)
    assert exported.returncode == 0, exported.stderr
    helmfile = yaml.safe_load(exported.stdout)
    assert helmfile["repositories"] == [{"name": "mirror", "url": f"{site.endpoint_host}/mirror", "oci": True}]
    assert helmfile["releases"][0]["chart"] == "mirror/web"
    palette = json.loads(run_cli("profile", "export", "edge", "--mirror", mirror).stdout)
    pack = palette["spec"]["template"]["packs"][0]
    assert (pack["type"], pack["registry"]["metadata"]["name"]) == ("oci", "mirror")


def test_a_subscription_sync_cancelled_as_it_writes_is_recorded_as_cancelled(
    source: tuple[CatalogHarness, RepoServer], site: DistributionRegistry, ca_file: Path, tmp_path: Path
) -> None:
    """The import step of a subscription's sync used to let its failures escape: the run stayed
    'running' in the history and the window never heard that the sync had ended."""
    engine, _ = source
    publish = OciTarget(target(site), USER, PASSWORD, ca_file.read_text())
    bundle = tmp_path / "b.tar"
    export_bundle(engine.services, bundle, ExportSelection(charts="latest"))
    push_bundle(engine.services, bundle, publish)
    workstation = CatalogHarness(open_catalog(tmp_path / "ws" / "catalog.sqlite3"), engine.credentials)
    try:
        draft = RegistryDraft("site", target(site), username=USER, password=PASSWORD, ca_pem=ca_file.read_text())
        subscribed, _ = subscribe(workstation.services, replace(draft, kind="oci"))
        save_profile(engine.services, Profile("", "second"))  # a newer catalog to import
        export_bundle(engine.services, bundle, ExportSelection(charts="latest"))
        push_bundle(engine.services, bundle, publish)
        cancel = CancelToken()

        def cancel_as_it_writes(phase: str, _done: int, _total: int | None) -> None:
            if phase == "write":
                cancel.cancel()

        result = workstation.sync(subscribed.registry, cancel=cancel, progress=cancel_as_it_writes)
        assert result.status == SyncStatus.CANCELLED
        (last, *_) = list_runs(workstation.db, subscribed.registry.id, 1)
        assert last.status == "cancelled"
        assert find_profile(workstation.db, "second") is None  # the import rolled back
    finally:
        workstation.db.close()
