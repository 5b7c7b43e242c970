"""The rules of a bundle import, each against a real catalog that already holds something: name clashes,
a local registry's login and certificate, the newer snapshot, the held shrink, profile clashes, and
registries from a bundle staying out of synchronization until synced by hand."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

from desktop.catalog.db import open_catalog
from desktop.catalog.registries import get_registry
from desktop.jobs.schedule import due_registries
from desktop.operations.bundle_export import ExportSelection, export_bundle
from desktop.operations.profiles import save_profile
from desktop.profiles.model import Layer, Profile
from desktop.registry import RegistryDraft
from desktop.secrets import CredentialStore
from tests.conftest import CliResult
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_archive, publish_charts
from tests.support.exports import palette_export, palette_pack, registry_metadata
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]


def charts(count: int) -> dict[str, dict[str, bytes]]:
    return {"tools": {f"0.{n}.0": chart_archive("tools", f"0.{n}.0") for n in range(count)}}


def bundle_of(engine: CatalogHarness, path: Path, **selection: object) -> str:
    export_bundle(engine.services, path, ExportSelection(**selection))  # type: ignore[arg-type]
    return str(path)


def registries(run_cli: RunCli, home: list[str]) -> dict[str, dict[str, object]]:
    return {item["name"]: item for item in json.loads(run_cli(*home, "registry", "list", "-o", "json").stdout)}


def target_db(tmp_path: Path) -> Path:
    return tmp_path / "target" / "data" / "catalog.sqlite3"


def test_a_name_clash_with_another_endpoint_adds_the_bundles_under_another_name(
    engine: CatalogHarness, make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path
) -> None:
    theirs, mine = make_repo(), make_repo(host="127.0.0.2")
    publish_charts(theirs, charts(2))
    publish_charts(mine, charts(1))
    engine.register(RegistryDraft("alpha", theirs.url))
    alpha = get_registry(engine.db, "alpha")
    layer = Layer(alpha.uid, "alpha", alpha.endpoint, "tools", "0.1.0")
    save_profile(engine.services, Profile("", "ops", layers=(layer,)))
    target = ["--home", str(tmp_path / "target")]
    assert run_cli(*target, "registry", "add", "alpha", mine.url).returncode == 0
    bundle = bundle_of(engine, tmp_path / "b.tar", charts="none")
    done = run_cli(*target, "bundle", "import", bundle, "-o", "json")
    summary = json.loads(done.stdout)
    assert [(r["name"], r["result"]) for r in summary["registries"]] == [("alpha-bundle", "added")]
    assert any("alpha-bundle" in line and "another endpoint" in line for line in summary["conflicts"])
    listed = registries(run_cli, target)
    assert listed["alpha"]["url"] == mine.url and listed["alpha-bundle"]["url"] == theirs.url
    shown = run_cli(*target, "profile", "show", "ops").stdout
    assert "registry: alpha-bundle" in shown
    again = json.loads(run_cli(*target, "bundle", "import", bundle, "-o", "json").stdout)
    assert [(r["name"], r["result"]) for r in again["registries"]] == [("alpha-bundle", "unchanged")]
    assert again["profiles"] == [{"name": "ops", "result": "unchanged"}] and again["conflicts"] == []


def test_a_local_registrys_login_certificate_and_settings_are_never_overwritten(
    engine: CatalogHarness,
    make_repo: MakeRepo,
    run_cli: RunCli,
    tmp_path: Path,
    ca_file: Path,
    credentials: CredentialStore,
) -> None:
    repo = make_repo(tls=True, auth=("ana", "s3cret"))
    publish_charts(repo, charts(3))
    target = ["--home", str(tmp_path / "target")]
    added = run_cli(
        *target,
        "registry",
        "add",
        "alpha",
        repo.url,
        "--username",
        "ana",
        "--password-stdin",
        "--ca-file",
        str(ca_file),
        "--no-sync",
        input="s3cret",
    )
    assert added.returncode == 0, added.stderr
    publish_charts(repo, charts(4))  # later, upstream: one more version
    engine.register(RegistryDraft("beta", repo.url, username="ana", password="s3cret", insecure_skip_tls_verify=True))
    with sqlite3.connect(target_db(tmp_path)) as db:
        before = db.execute(
            "SELECT uid, name, username, ca_pem, sync_enabled, insecure_skip_tls_verify FROM registries"
        ).fetchone()
    bundle = bundle_of(engine, tmp_path / "b.tar", charts="none")
    assert b"s3cret" not in Path(bundle).read_bytes() and b'"ana"' not in Path(bundle).read_bytes()
    summary = json.loads(run_cli(*target, "bundle", "import", bundle, "-o", "json").stdout)
    assert [(r["name"], r["result"], r["added"]) for r in summary["registries"]] == [("alpha", "updated", 1)]
    assert summary["notes"] == ["'beta' in the bundle is 'alpha' here (the same endpoint)."]
    with sqlite3.connect(target_db(tmp_path)) as db:
        after = db.execute(
            "SELECT uid, name, username, ca_pem, sync_enabled, insecure_skip_tls_verify FROM registries"
        ).fetchone()
    assert after == before and before[3] is not None and before[5] == 0
    assert credentials.get_password(before[0]) == "s3cret"


def test_the_newer_snapshot_of_the_two_wins(
    engine: CatalogHarness, make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path
) -> None:
    repo = make_repo()
    publish_charts(repo, charts(2))
    engine.register(RegistryDraft("alpha", repo.url))
    old_bundle = bundle_of(engine, tmp_path / "old.tar", charts="none")
    publish_charts(repo, charts(3))
    target = ["--home", str(tmp_path / "target")]
    assert run_cli(*target, "registry", "add", "alpha", repo.url).returncode == 0  # taken after the bundle
    kept = json.loads(run_cli(*target, "bundle", "import", old_bundle, "-o", "json").stdout)
    assert kept["registries"][0]["result"] == "kept" and kept["registries"][0]["versions"] == 3
    publish_charts(repo, charts(5))
    engine.clock = lambda: 4_000_000_000.0
    assert engine.sync(get_registry(engine.db, "alpha")).status == "updated"
    newer = json.loads(
        run_cli(*target, "bundle", "import", bundle_of(engine, tmp_path / "new.tar"), "-o", "json").stdout
    )
    assert (newer["registries"][0]["result"], newer["registries"][0]["added"]) == ("updated", 2)
    history = json.loads(run_cli(*target, "registry", "history", "alpha", "-o", "json").stdout)
    assert history[0]["trigger"] == "bundle" and history[0]["added"] == 2


def test_a_bundle_snapshot_that_loses_much_is_held_like_any_sync(
    engine: CatalogHarness, make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path
) -> None:
    repo = make_repo()
    publish_charts(repo, charts(12))
    target = ["--home", str(tmp_path / "target")]
    assert run_cli(*target, "registry", "add", "alpha", repo.url).returncode == 0
    repo.files.clear()
    publish_charts(repo, charts(2))
    engine.clock = lambda: 4_000_000_000.0  # the source's snapshot is the newer one
    engine.register(RegistryDraft("alpha", repo.url))
    bundle = bundle_of(engine, tmp_path / "b.tar", charts="none")
    held = run_cli(*target, "bundle", "import", bundle, "-o", "json")
    summary = json.loads(held.stdout)
    assert summary["registries"][0]["result"] == "held" and "--accept-removals" in summary["conflicts"][0]
    assert registries(run_cli, target)["alpha"]["versions"] == 12
    accepted = json.loads(run_cli(*target, "bundle", "import", bundle, "--accept-removals", "-o", "json").stdout)
    assert (accepted["registries"][0]["result"], accepted["registries"][0]["removed"]) == ("updated", 10)
    marked = json.loads(run_cli(*target, "search", "--versions", "-o", "json").stdout)
    assert sum(1 for hit in marked if "removed_upstream" in hit) == 10  # removed is not deleted


def test_a_profile_clash_keeps_yours_and_adds_the_bundles_beside_it(
    engine: CatalogHarness, make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path
) -> None:
    repo = make_repo()
    publish_charts(repo, charts(2))
    engine.register(RegistryDraft("alpha", repo.url))
    alpha = get_registry(engine.db, "alpha")
    layer = Layer(alpha.uid, "alpha", alpha.endpoint, "tools", "0.1.0", "ops")
    save_profile(engine.services, Profile("", "edge", description="the bundle's", layers=(layer,)))
    target = ["--home", str(tmp_path / "target")]
    assert run_cli(*target, "registry", "add", "alpha", repo.url).returncode == 0
    mine = tmp_path / "mine.json"
    pack = palette_pack("tools", "0.0.0", registry_metadata("alpha"))
    mine.write_text(json.dumps(palette_export("edge", [pack], description="mine")))
    assert run_cli(*target, "profile", "import", str(mine)).returncode == 0
    bundle = bundle_of(engine, tmp_path / "b.tar", charts="none")
    summary = json.loads(run_cli(*target, "bundle", "import", bundle, "-o", "json").stdout)
    assert summary["profiles"] == [{"name": "edge (bundle)", "result": "added"}]
    assert summary["conflicts"] == [
        "Profile 'edge' here differs from the bundle's: yours is kept, the bundle's is 'edge (bundle)'."
    ]
    names = {p["name"]: p["description"] for p in json.loads(run_cli(*target, "profile", "list", "-o", "json").stdout)}
    assert names == {"edge": "mine", "edge (bundle)": "the bundle's"}
    again = json.loads(run_cli(*target, "bundle", "import", bundle, "-o", "json").stdout)
    assert again["profiles"] == [{"name": "edge (bundle)", "result": "unchanged"}]


def test_a_registry_from_a_bundle_syncs_with_its_endpoint_only_once_the_user_does(
    engine: CatalogHarness, make_repo: MakeRepo, run_cli: RunCli, tmp_path: Path
) -> None:
    repo = make_repo()
    publish_charts(repo, charts(2))
    engine.register(RegistryDraft("alpha", repo.url))
    target = ["--home", str(tmp_path / "target")]
    assert run_cli(*target, "bundle", "import", bundle_of(engine, tmp_path / "b.tar")).returncode == 0
    db = open_catalog(target_db(tmp_path))
    try:
        assert due_registries(db, 4_000_000_000.0, 86400.0)[0] == []  # the schedule leaves it alone
        nothing = run_cli(*target, "registry", "sync")
        assert "Nothing to synchronize" in nothing.stdout
        assert run_cli(*target, "registry", "sync", "alpha").returncode == 0  # named: the user's word
        assert [r.name for r in due_registries(db, 4_000_000_000.0, 86400.0)[0]] == ["alpha"]
    finally:
        db.close()
    origin = registries(run_cli, target)["alpha"]["origin"]
    assert origin["kind"] == "bundle" and origin["syncs_with_endpoint"] is True
