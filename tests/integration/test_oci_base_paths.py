"""Several base paths on one OCI registry, against Debian's docker-registry with charts pushed by the
real `helm push` under three paths (and some elsewhere on the host, not to be read): every path's
charts listed, a name two paths share told apart by its path, `helm pull` of what the catalog
says, edits that keep what the other paths hold, and exports and bundles that point at the path."""

from __future__ import annotations

import dataclasses
import json
import subprocess
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import yaml

from desktop.bundle.catalog_records import RegistryRecord
from desktop.bundle.errors import BundleError
from desktop.catalog.charts import get_chart_version, search_charts
from desktop.catalog.registries import find_registry
from desktop.catalog.sync_records import list_runs, sync_state
from desktop.errors import NotFoundError, ValidationError
from desktop.operations.bundle_catalog import registry_record
from desktop.operations.chart_files import chart_files
from desktop.registry import RegistryDraft, chart_base_path
from tests.conftest import CliResult
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_archive
from tests.support.helm_binary import helm_binary, helm_environment
from tests.support.oci_registry import DistributionRegistry

PATHS = ("team-a/charts", "team-b/charts", "team-c/charts")
VALUES = "replicaCount: 1\n"


@pytest.fixture
def registry(tmp_path: Path) -> Iterator[DistributionRegistry]:
    """team-a and team-b both have a `web`; team-c has six versions of `db`; `stray` and a chart one
    level deeper than team-a's are on the host too, under no base path."""
    served = DistributionRegistry(tmp_path / "oci").start()
    pushes = [
        ("team-a/charts", "web", "1.0.0"),
        ("team-a/charts", "web", "1.1.0"),
        ("team-b/charts", "web", "2.0.0"),
        *(("team-c/charts", "db", f"1.{minor}.0") for minor in range(6)),
        ("elsewhere", "stray", "1.0.0"),
        ("team-a/charts/nested", "deep", "1.0.0"),
    ]
    helm, home = helm_binary(), tmp_path / "helm-home"
    for base, chart, version in pushes:
        archive = tmp_path / f"{chart}-{version}.tgz"
        archive.write_bytes(chart_archive(chart, version, values=VALUES))
        done = subprocess.run(
            [str(helm), "push", str(archive), f"oci://{served.endpoint_host}/{base}", "--plain-http"],
            env=helm_environment(home),
            capture_output=True,
            text=True,
            timeout=120,
        )
        assert done.returncode == 0, done.stderr
    yield served
    served.stop()


def add_with_paths(run_cli: Callable[..., CliResult], registry: DistributionRegistry, *paths: str) -> CliResult:
    options = [part for path in paths for part in ("--base-path", path)]
    return run_cli("registry", "add", "teams", f"oci://{registry.endpoint_host}", "--plain-http", *options)


def test_every_base_path_is_read_and_a_shared_name_keeps_its_path(
    run_cli: Callable[..., CliResult], engine: CatalogHarness, registry: DistributionRegistry, tmp_path: Path
) -> None:
    added = add_with_paths(run_cli, registry, *PATHS)
    assert added.returncode == 0, added.stderr
    assert "3 charts, 9 versions" in added.stdout
    listing = json.loads(run_cli("registry", "list", "-o", "json").stdout)
    assert listing[0]["url"] == f"oci://{registry.endpoint_host}" and listing[0]["base_paths"] == list(PATHS)
    table = run_cli("registry", "list").stdout
    assert f"oci://{registry.endpoint_host} (team-a/charts, team-b/charts, team-c/charts)" in table
    saved = find_registry(engine.db, "teams")
    assert saved is not None and saved.base_paths == PATHS
    hits = {(hit.chart, hit.version) for hit in search_charts(engine.db, "", all_versions=True)}
    assert {chart for chart, _ in hits} == {"team-a/charts/web", "team-b/charts/web", "team-c/charts/db"}
    assert ("team-b/charts/web", "2.0.0") in hits and ("team-a/charts/web", "1.1.0") in hits

    # What the catalog says to pull is where the chart is: Helm pulls it, and so does Chartkeeper.
    detail = get_chart_version(engine.db, saved, "team-b/charts/web", "2.0.0")
    assert detail.meta["urls"] == [f"oci://{registry.endpoint_host}/team-b/charts/web:2.0.0"]
    pulled_into = tmp_path / "pulled"
    pulled_into.mkdir()
    pulled = subprocess.run(
        [str(helm_binary()), "pull", detail.meta["urls"][0].rpartition(":")[0], "--version", "2.0.0", "--plain-http"],
        env=helm_environment(tmp_path / "helm-home"),
        cwd=pulled_into,
        capture_output=True,
        text=True,
        timeout=120,
    )
    assert pulled.returncode == 0, pulled.stderr
    assert (pulled_into / "web-2.0.0.tgz").read_bytes() == (tmp_path / "web-2.0.0.tgz").read_bytes()  # as pushed
    assert run_cli("show", "values", "teams/team-a/charts/web").stdout == VALUES
    files = chart_files(engine.services, saved.id, "team-a/charts/web", "1.0.0")
    assert files.chart_name == "web"

    # helmfile: the repository is the host, each chart its whole path on it.
    profile = tmp_path / "p.json"
    pack = {"name": "team-b/charts/web", "tag": "2.0.0", "type": "oci"}
    registry_meta = {"name": "teams", "endpoint": f"oci://{registry.endpoint_host}"}
    # A pack as Palette names it — its own name, the base path in its registry's endpoint — finds its path.
    palette_pack = {"name": "web", "tag": "1.1.0", "type": "oci"}
    at_path = {"name": "teams", "endpoint": f"oci://{registry.endpoint_host}/team-a/charts"}
    packs = [{**pack, "registry": registry_meta}, {**palette_pack, "registry": at_path}]
    spec = {"version": "1.0.0", "template": {"type": "add-on", "packs": packs}}
    profile.write_text(json.dumps({"metadata": {"name": "edge"}, "spec": spec}))
    imported = run_cli("profile", "import", str(profile))
    assert imported.returncode == 0, imported.stderr
    helmfile = yaml.safe_load(run_cli("profile", "export", "edge", "--format", "helmfile").stdout)
    assert helmfile["repositories"][0]["url"] == registry.endpoint_host
    assert helmfile["releases"][0]["chart"] == "teams/team-b/charts/web"
    assert helmfile["releases"][0]["name"] == "web"
    assert helmfile["releases"][1]["chart"] == "teams/team-a/charts/web"
    assert helmfile["releases"][1]["name"] == "web-2" and helmfile["releases"][1]["version"] == "1.1.0"
    palette = json.loads(run_cli("profile", "export", "edge").stdout)
    assert palette["spec"]["template"]["packs"][0]["name"] == "team-b/charts/web"

    # A bundle carries the paths, and reads them back as it wrote them.
    record = registry_record(saved, sync_state(engine.db, saved.id), ())
    assert record.base_paths == PATHS and b'"basePaths":["team-a/charts"' in record.to_bytes()
    assert RegistryRecord.parse(record.to_bytes(), "registry").base_paths == PATHS
    without = dataclasses.replace(record, base_paths=())
    assert b"basePaths" not in without.to_bytes()  # a bundle without paths is as it was before them
    bad = record.to_bytes().replace(b'"team-c/charts"', b'"Team C"')
    with pytest.raises(BundleError, match="not a valid base path"):
        RegistryRecord.parse(bad, "registry")


def test_editing_the_paths_keeps_what_the_other_paths_hold(
    run_cli: Callable[..., CliResult], engine: CatalogHarness, registry: DistributionRegistry
) -> None:
    assert add_with_paths(run_cli, registry, *PATHS).returncode == 0
    saved = find_registry(engine.db, "teams")
    assert saved is not None
    draft = RegistryDraft("teams", saved.endpoint, kind="oci", plain_http=True, base_paths=PATHS[:2])
    edited = engine.update(saved, draft)
    assert edited.base_paths == PATHS[:2]
    kept = {(h.chart, h.version) for h in search_charts(engine.db, "", all_versions=True)}
    assert len(kept) == 9  # an edit changes no snapshot

    # Six of nine versions go with team-c: more than the shrink rule lets a sync drop, but they
    # go because the user removed the path, so the sync applies — and the other paths stay whole.
    result = engine.sync(edited)
    assert result.status.value == "updated", result.error
    assert list_runs(engine.db, edited.id)[0].status == "updated"
    assert sorted(result.diff.removed) == [("team-c/charts/db", f"1.{minor}.0") for minor in range(6)]
    assert result.diff.added == []
    listed = search_charts(engine.db, "", all_versions=True)
    assert {(h.chart, h.version) for h in listed if h.removed_at is None} == {
        ("team-a/charts/web", "1.0.0"),
        ("team-a/charts/web", "1.1.0"),
        ("team-b/charts/web", "2.0.0"),
    }

    # Giving the path back reads its charts again; the others are not read a second time.
    back = engine.update(edited, dataclasses.replace(draft, base_paths=PATHS))
    again = engine.sync(back)
    assert sorted(again.diff.added) == [("team-c/charts/db", f"1.{minor}.0") for minor in range(6)]


def test_names_given_are_looked_for_under_every_path(engine: CatalogHarness, registry: DistributionRegistry) -> None:
    draft = RegistryDraft(
        "named",
        f"oci://{registry.endpoint_host}/team-a/charts",  # the endpoint's path is the first base path
        kind="oci",
        plain_http=True,
        base_paths=("team-b/charts/",),
        chart_names=("web",),
    )
    result = engine.register(draft)
    assert result.registry.endpoint == f"oci://{registry.endpoint_host}"
    assert result.registry.base_paths == ("team-a/charts", "team-b/charts")
    assert sorted(result.diff.added) == [
        ("team-a/charts/web", "1.0.0"),
        ("team-a/charts/web", "1.1.0"),
        ("team-b/charts/web", "2.0.0"),
    ]
    with pytest.raises(NotFoundError, match="holds a chart 'wbe'"):
        engine.register(dataclasses.replace(draft, name="typo", chart_names=("wbe",)))


def test_base_paths_are_refused_where_they_mean_nothing(
    run_cli: Callable[..., CliResult], registry: DistributionRegistry
) -> None:
    helm = run_cli("registry", "add", "classic", "https://charts.example.com", "--base-path", "a")
    assert helm.returncode == 1 and "for OCI registries" in helm.stderr
    bad = add_with_paths(run_cli, registry, "Team A")
    assert bad.returncode == 1 and "'Team A' is not a valid base path" in bad.stderr
    with pytest.raises(ValidationError, match="for OCI registries"):
        RegistryDraft("x", "https://charts.example.com", base_paths=("a",)).cleaned()
    # What a registry lists under a path is read only when it can be a chart's repository there.
    assert chart_base_path("team-a/charts/web", PATHS) == "team-a/charts"
    assert chart_base_path("team-a/charts/..", PATHS) is None and chart_base_path("team-a/charts/A", PATHS) is None
