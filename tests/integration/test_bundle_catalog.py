"""Bundles across the gap, with real servers, real SQLite files and the CLI as a process: export, stop every
server, import into a fresh catalog and get the same answers; deltas; the rules of an import; tampering."""

from __future__ import annotations

import functools
import json
import random
import shutil
import sqlite3
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest

from desktop.bundle.layout_reader import open_layout
from desktop.catalog.profiles import get_profile
from desktop.catalog.registries import get_registry
from desktop.errors import ValidationError
from desktop.operations.bundle_export import ExportSelection, export_bundle, write_have_file
from desktop.operations.chart_files import pin_version
from desktop.operations.profiles import save_profile
from desktop.profiles.model import Layer, Profile, ProfileVariable
from desktop.registry import RegistryDraft
from tests.conftest import CliResult
from tests.support.bundle_files import rewrite_tar, tar_members
from tests.support.catalog_dump import catalog_dump
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_archive, publish_charts
from tests.support.oci_layout import read_layout_file
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]
README = "# web\n\nA *small* web chart.\n"
SCHEMA = '{"type": "object", "properties": {"replicaCount": {"type": "integer"}}}\n'
WEB_VALUES = 'replicaCount: 1\nimage:\n  tag: "1.10"\n'


def payload(name: str, version: str) -> dict[str, bytes]:
    """Incompressible bytes, the same for the same chart version: archives of a realistic size."""
    return {f"{name}/files/payload.bin": random.Random(f"{name}-{version}").randbytes(60_000)}


def web_charts(extra: dict[str, bytes] | None = None) -> dict[str, dict[str, bytes]]:
    """The source's charts (archives built once: gzip stamps them with the time it packs them)."""
    charts = {name: dict(versions) for name, versions in _charts().items()}
    if extra:
        charts["web"].update(extra)
    return charts


@functools.cache
def _charts() -> dict[str, dict[str, bytes]]:
    return {
        "web": {
            "1.0.0": chart_archive("web", "1.0.0", values="replicaCount: 1\n", extra=payload("web", "1.0.0")),
            "1.1.0": chart_archive(
                "web", "1.1.0", values=WEB_VALUES, readme=README, schema=SCHEMA, extra=payload("web", "1.1.0")
            ),
            "2.0.0-rc.1": chart_archive("web", "2.0.0-rc.1", extra=payload("web", "2.0.0-rc.1")),
        },
        "db": {"2.0.0": chart_archive("db", "2.0.0", readme="# db\n", extra=payload("db", "2.0.0"))},
        "tools": {f"0.{n}.0": chart_archive("tools", f"0.{n}.0", extra=payload("tools", f"0.{n}")) for n in range(8)},
    }


def edge_profile(engine: CatalogHarness, registry_name: str = "alpha") -> Profile:
    registry = get_registry(engine.db, registry_name)
    layer = Layer(registry.uid, registry.name, registry.endpoint, "web", "1.1.0", "web", 5, "replicaCount: 2\n")
    return save_profile(engine.services, Profile("", "edge", "1.2.0", "Edge sites", ("env:edge",), (layer,)))


@pytest.fixture
def source(engine: CatalogHarness, make_repo: MakeRepo) -> tuple[CatalogHarness, RepoServer]:
    repo = make_repo()
    publish_charts(repo, web_charts())
    engine.register(RegistryDraft("alpha", repo.url))
    alpha = get_registry(engine.db, "alpha")
    pin_version(engine.services, alpha.id, "web", "1.0.0")
    edge_profile(engine)
    return engine, repo


def export(engine: CatalogHarness, path: Path, **selection: object) -> Path:
    export_bundle(engine.services, path, ExportSelection(**selection))  # type: ignore[arg-type]
    return path


def answers(run_cli: RunCli, *home: str) -> dict[str, object]:
    """What a user asks of a catalog, and what it answers."""

    def out(*args: str) -> str:
        done = run_cli(*home, *args)
        assert done.returncode == 0, done.stderr
        return done.stdout

    return {
        "search": json.loads(out("search", "-o", "json")),
        "search versions": json.loads(out("search", "--versions", "--devel", "-o", "json")),
        "values": out("show", "values", "alpha/web", "--version", "1.1.0"),
        "readme": out("show", "readme", "alpha/web", "--version", "1.1.0"),
        "schema": out("show", "schema", "alpha/web", "--version", "1.1.0"),
        "pinned values": out("show", "values", "alpha/web", "--version", "1.0.0"),
        "chart": out("show", "chart", "alpha/web", "--version", "1.1.0"),
        "profiles": json.loads(out("profile", "list", "-o", "json")),
        "profile": out("profile", "show", "edge"),
        "palette": out("profile", "export", "edge"),
        "helmfile": out("profile", "export", "edge", "--format", "helmfile"),
    }


def test_a_bundle_answers_on_the_other_side_as_on_this_one(
    source: tuple[CatalogHarness, RepoServer], run_cli: RunCli, tmp_path: Path, catalog_path: Path
) -> None:
    engine, repo = source
    bundle = export(engine, tmp_path / "site.tar")
    before = answers(run_cli)
    repo.stop()  # nothing reaches a network from here on
    other = ["--home", str(tmp_path / "other")]
    imported = run_cli(*other, "bundle", "import", str(bundle))
    assert imported.returncode == 0, imported.stderr
    assert "registry alpha: added" in imported.stdout
    assert "profile edge: added" in imported.stdout
    assert answers(run_cli, *other) == before
    listing = json.loads(run_cli(*other, "registry", "list", "-o", "json").stdout)
    assert listing[0]["origin"]["kind"] == "bundle" and listing[0]["origin"]["syncs_with_endpoint"] is False
    assert "from bundle of" in run_cli(*other, "registry", "list").stdout


def test_an_independent_oci_layout_reader_reads_the_bundle(
    source: tuple[CatalogHarness, RepoServer], tmp_path: Path
) -> None:
    engine, _ = source
    bundle = export(engine, tmp_path / "site.tar", charts="latest")
    layout = read_layout_file(bundle)
    refs = sorted(layout.manifests)
    assert "alpha/web:1.1.0" in refs and "alpha/web:1.0.0" in refs and "alpha/db:2.0.0" in refs
    catalog = next(m for ref, m in layout.manifests.items() if ref.startswith("chartkeeper-catalog:"))
    assert catalog["artifactType"] == "application/vnd.chartkeeper.catalog.v1+json"
    shards = [layer for layer in catalog["layers"] if layer["mediaType"].endswith("index.v1+json")]
    index = json.loads(layout.blob(shards[0]["digest"]))
    assert index["apiVersion"] == "v1" and list(index["entries"]) in (["db"], ["tools"], ["web"])
    registry = next(layer for layer in catalog["layers"] if layer["mediaType"].endswith("registry.v1+json"))
    record = json.loads(layout.blob(registry["digest"]))
    assert "username" not in record and "password" not in record and record["endpoint"].startswith("http://")


def test_the_same_catalog_gives_the_same_bytes(
    source: tuple[CatalogHarness, RepoServer], tmp_path: Path, catalog_path: Path
) -> None:
    engine, _ = source
    first = export(engine, tmp_path / "a.tar", charts="latest").read_bytes()
    copy = tmp_path / "copy" / "catalog.sqlite3"
    copy.parent.mkdir()
    with sqlite3.connect(copy) as target:
        engine.db.backup(target)
    from desktop.catalog.db import open_catalog

    other = open_catalog(copy)
    try:
        elsewhere = CatalogHarness(other, engine.credentials, clock=lambda: 4_000_000_000.0)
        second = export(elsewhere, tmp_path / "copy" / "b.tar", charts="latest").read_bytes()
    finally:
        other.close()
    assert first == second


def test_a_delta_after_a_full_bundle_gives_the_catalog_of_one_full_bundle(
    source: tuple[CatalogHarness, RepoServer], run_cli: RunCli, tmp_path: Path
) -> None:
    engine, repo = source
    full = export(engine, tmp_path / "full.tar", charts="latest")
    target = ["--home", str(tmp_path / "target")]
    assert run_cli(*target, "bundle", "import", str(full)).returncode == 0
    assert run_cli(*target, "bundle", "have", "-o", str(tmp_path / "have.txt")).returncode == 0
    # Later, upstream: a new version, one gone, a chart gone; here: a new pin and an edited profile.
    charts = web_charts({"1.2.0": chart_archive("web", "1.2.0", extra=payload("web", "1.2.0"))})
    del charts["web"]["2.0.0-rc.1"]
    del charts["db"]
    repo.files.clear()
    publish_charts(repo, charts)
    alpha = get_registry(engine.db, "alpha")
    engine.clock = lambda: 4_000_000_000.0
    assert engine.sync(alpha).status == "updated"
    pin_version(engine.services, alpha.id, "tools", "0.3.0")
    profile = engine.services.catalog(get_profile, "edge")
    save_profile(engine.services, replace(profile, description="Edge sites, v2"))
    delta = export(engine, tmp_path / "delta.tar", charts="latest", have=tmp_path / "have.txt")
    later = export(engine, tmp_path / "later.tar", charts="latest")
    assert delta.stat().st_size * 2 < later.stat().st_size  # only the new archives, and what changed
    assert open_layout(delta).absent
    assert run_cli(*target, "bundle", "import", str(delta)).returncode == 0
    fresh = ["--home", str(tmp_path / "fresh")]
    assert run_cli(*fresh, "bundle", "import", str(later)).returncode == 0
    one = catalog_dump(tmp_path / "target" / "data" / "catalog.sqlite3")
    other = catalog_dump(tmp_path / "fresh" / "data" / "catalog.sqlite3")
    # Archives the first bundle brought stay in the cache (removed is not deleted); all else is equal.
    mine, theirs = set(one.pop("archives")), set(other.pop("archives"))
    assert theirs <= mine and {(chart, version) for _, chart, version, *_ in mine - theirs} == {("db", "2.0.0")}
    assert one == other
    assert any(row[1] == "db" for row in one["removed"])  # gone upstream: marked, not deleted


def test_a_delta_for_another_catalog_is_refused_and_changes_nothing(
    source: tuple[CatalogHarness, RepoServer], run_cli: RunCli, tmp_path: Path
) -> None:
    engine, _ = source
    write_have_file(engine.services, tmp_path / "have.txt")  # what the *source* holds: everything
    delta = export(engine, tmp_path / "delta.tar", have=tmp_path / "have.txt")
    target = ["--home", str(tmp_path / "target")]
    refused = run_cli(*target, "bundle", "import", str(delta))
    assert refused.returncode == 1 and "delta" in refused.stderr and len(refused.stderr.splitlines()) == 1
    assert json.loads(run_cli(*target, "registry", "list", "-o", "json").stdout) == []


@pytest.mark.parametrize(
    "damage",
    ["flipped byte", "truncated", "added member", "lying descriptor", "missing part"],
)
def test_tampered_bundles_are_refused_and_the_catalog_is_untouched(
    source: tuple[CatalogHarness, RepoServer], run_cli: RunCli, tmp_path: Path, damage: str
) -> None:
    engine, _ = source
    bundle = export(engine, tmp_path / "site.tar", charts="latest")
    target_home = tmp_path / "target"
    target = ["--home", str(target_home)]
    small = export(engine, tmp_path / "small.tar", charts="none")
    assert run_cli(*target, "bundle", "import", str(small)).returncode == 0  # a catalog with something in it
    before = catalog_dump(target_home / "data" / "catalog.sqlite3")
    damaged = tmp_path / "damaged.tar"
    data = bundle.read_bytes()
    if damage == "flipped byte":
        position = len(data) // 2
        damaged.write_bytes(data[:position] + bytes([data[position] ^ 0x40]) + data[position + 1 :])
    elif damage == "truncated":
        damaged.write_bytes(data[: len(data) - 5000])
    elif damage == "added member":

        def add(members: list) -> list:
            info, _ = members[-1]
            extra = type(info)("blobs/sha256/" + "0" * 64)
            return [*members, (extra, b"surprise")]

        rewrite_tar(bundle, damaged, add)
    elif damage == "lying descriptor":
        index = next(content for info, content in tar_members(bundle) if info.name == "index.json")
        lied = index.replace(b'"size":', b'"size":1', 1)
        rewrite_tar(bundle, damaged, lambda members: [(i, lied if i.name == "index.json" else c) for i, c in members])
    else:
        export(engine, tmp_path / "parts.tar", charts="latest", split_size=64 * 1024)
        parts = sorted(tmp_path.glob("parts.tar.*"))
        assert len(parts) > 2
        parts[1].unlink()
        damaged = parts[0]
    refused = run_cli(*target, "bundle", "import", str(damaged))
    assert refused.returncode == 1, refused.stdout
    assert refused.stderr.startswith("error: ") and len(refused.stderr.strip().splitlines()) == 1
    assert "internal error" not in refused.stderr
    assert catalog_dump(target_home / "data" / "catalog.sqlite3") == before


def test_a_dry_run_says_what_would_happen_and_changes_nothing(
    source: tuple[CatalogHarness, RepoServer], run_cli: RunCli, tmp_path: Path
) -> None:
    engine, _ = source
    bundle = export(engine, tmp_path / "site.tar")
    target = ["--home", str(tmp_path / "target")]
    dry = run_cli(*target, "bundle", "import", str(bundle), "--dry-run", "-o", "json")
    summary = json.loads(dry.stdout)
    assert summary["dry_run"] is True and summary["registries"][0]["result"] == "added"
    assert summary["archives_stored"] == 2 and summary["pins"] == 1
    assert json.loads(run_cli(*target, "registry", "list", "-o", "json").stdout) == []


def test_split_parts_import_from_the_first(
    source: tuple[CatalogHarness, RepoServer], run_cli: RunCli, tmp_path: Path
) -> None:
    engine, _ = source
    export(engine, tmp_path / "parts.tar", charts="latest", split_size=64 * 1024)
    first = tmp_path / "parts.tar.001"
    target = ["--home", str(tmp_path / "target")]
    done = run_cli(*target, "bundle", "import", str(first))
    assert done.returncode == 0, done.stderr
    assert run_cli(*target, "show", "values", "alpha/web", "--version", "1.1.0").stdout == WEB_VALUES


def test_inspect_lists_and_verifies(source: tuple[CatalogHarness, RepoServer], run_cli: RunCli, tmp_path: Path) -> None:
    engine, _ = source
    bundle = export(engine, tmp_path / "site.tar")
    listed = json.loads(run_cli("bundle", "inspect", str(bundle), "-o", "json").stdout)
    assert [r["name"] for r in listed["registries"]] == ["alpha"] and listed["profiles"] == ["edge"]
    assert {(a["chart"], a["version"], a["pinned"]) for a in listed["archives"]} == {
        ("web", "1.0.0", True),
        ("web", "1.1.0", False),
    }
    shutil.copy(bundle, tmp_path / "copy.tar")
    text = run_cli("bundle", "inspect", str(tmp_path / "copy.tar")).stdout
    assert "every blob verified" in text and "alpha/web" in text


def test_every_version_over_2_gb_needs_the_users_word(
    source: tuple[CatalogHarness, RepoServer], tmp_path: Path, monkeypatch: pytest.MonkeyPatch
) -> None:
    engine, _ = source
    monkeypatch.setattr("desktop.operations.bundle_export.LARGE_BUNDLE", 100_000)  # 2 GB, scaled to this catalog
    with pytest.raises(ValidationError, match=r"would be about .* GB .*confirm it \(--yes\)"):
        export_bundle(engine.services, tmp_path / "all.tar", ExportSelection(charts="all"))
    assert list(tmp_path.glob("all.tar*")) == []
    asked: list[int] = []
    export_bundle(
        engine.services,
        tmp_path / "all.tar",
        ExportSelection(charts="all"),
        confirm_large=lambda plan: asked.append(plan.estimated_bytes) or True,
    )
    assert asked and asked[0] > 100_000
    assert len(open_layout(tmp_path / "all.tar").charts) == 12  # every version of every chart


def test_a_bundle_carries_profile_variables_with_sensitive_defaults_masked(
    source: tuple[CatalogHarness, RepoServer], run_cli: RunCli, tmp_path: Path
) -> None:
    engine, _ = source
    profile = get_profile(engine.db, "edge")
    variables = (
        ProfileVariable("replicas", "Replicas", format="number", default_value="2", immutable=True),
        ProfileVariable("token", "Token", is_sensitive=True, required=True, default_value="s3cret-token"),
    )
    layer = replace(profile.layers[0], values_override="replicaCount: {{.spectro.var.replicas}}\n")
    save_profile(engine.services, replace(profile, layers=(layer,), variables=variables))
    bundle = export(engine, tmp_path / "site.tar")
    carried = bundle.read_bytes()
    assert b'"name":"token"' in carried and b"s3cret-token" not in carried  # a bundle is no place for a secret
    other = ["--home", str(tmp_path / "other")]
    imported = run_cli(*other, "bundle", "import", str(bundle))
    assert imported.returncode == 0, imported.stderr
    shown = run_cli(*other, "profile", "show", "edge")
    assert shown.returncode == 0, shown.stderr
    assert "name: replicas\n" in shown.stdout and "immutable: true" in shown.stdout
    assert "defaultValue: '********'" in shown.stdout and "s3cret" not in shown.stdout
    again = run_cli(*other, "bundle", "import", str(bundle))
    assert again.returncode == 0 and "profile edge: unchanged" in again.stdout, again.stdout


def test_a_profile_from_a_bundle_of_a_private_registry_still_names_its_credentials(
    engine: CatalogHarness, make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path
) -> None:
    """Issue 23: no username travels in a bundle, but its `private` flag makes every export of a profile
    using that registry say that credentials are needed, as the export at the source does."""
    repo = make_repo(auth=("ana", "s3cret"))
    publish_charts(repo, {"web": web_charts()["web"]})
    engine.register(RegistryDraft("rancher", repo.url, username="ana", password="s3cret"))
    edge_profile(engine, "rancher")
    bundle = export(engine, tmp_path / "site.tar")
    here = run_cli("profile", "export", "edge", "--format", "helmfile")
    assert "set RANCHER_USERNAME and RANCHER_PASSWORD" in here.stdout, here.stdout
    other = ["--home", str(tmp_path / "other")]
    imported = run_cli(*other, "bundle", "import", str(bundle))
    assert imported.returncode == 0, imported.stderr
    helmfile = run_cli(*other, "profile", "export", "edge", "--format", "helmfile")
    assert helmfile.returncode == 0, helmfile.stderr
    assert "repository rancher: set RANCHER_USERNAME and RANCHER_PASSWORD" in helmfile.stdout, helmfile.stdout
    assert "ana" not in helmfile.stdout  # the username did not travel either
