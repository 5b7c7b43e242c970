"""A bundle never leaves out silently what a profile needs (issue 25 item 2): the export stops before
writing and names the profile, `--allow-missing` writes it and records what is missing, and the
import names each profile whose archives did not come."""

from __future__ import annotations

import time
from collections.abc import Callable
from pathlib import Path

from desktop.bundle.catalog_records import CatalogConfig, MissingArchive
from desktop.catalog.db import open_catalog
from desktop.catalog.profiles import save_profile
from desktop.catalog.registries import get_registry
from desktop.paths import resolve_paths
from desktop.profiles.model import Layer, Profile
from tests.conftest import CliResult
from tests.support.charts import chart_archive, publish_charts
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]


def _source(run_cli: RunCli, make_repo: MakeRepo, home: Path) -> RepoServer:
    """Registry r with a 1.0.0 and b 2.0.0, a profile edge using both; b's archive then disappears."""
    repo = make_repo()
    publish_charts(repo, {"a": {"1.0.0": chart_archive("a", "1.0.0")}, "b": {"2.0.0": chart_archive("b", "2.0.0")}})
    assert run_cli("registry", "add", "r", repo.url).returncode == 0
    db = open_catalog(resolve_paths(home).catalog)
    try:
        registry = get_registry(db, "r")
        layers = tuple(
            Layer(registry.uid, registry.name, registry.endpoint, chart, version)
            for chart, version in (("a", "1.0.0"), ("b", "2.0.0"))
        )
        save_profile(db, Profile(uid="", name="edge", layers=layers), time.time())
    finally:
        db.close()
    del repo.files["/b-2.0.0.tgz"]  # the registry no longer serves it
    return repo


def test_an_export_that_would_leave_out_a_profiles_archive_writes_nothing(
    run_cli: RunCli, make_repo: MakeRepo, home: Path, tmp_path: Path
) -> None:
    _source(run_cli, make_repo, home)
    target = tmp_path / "edge.tar"
    done = run_cli("bundle", "export", "-o", str(target), "--profile", "edge")
    assert done.returncode == 1
    line = done.stderr.strip()
    assert "\n" not in line
    assert line.startswith("error: Nothing was written: 1 chart archive cannot be carried (r/b 2.0.0: ")
    assert line.endswith(
        "needed by profile edge; keep them offline first, or write the bundle without them (--allow-missing)."
    )
    assert not target.exists() and not list(tmp_path.glob(".edge.tar*"))


def test_allow_missing_records_it_and_the_import_names_the_profile(
    run_cli: RunCli, make_repo: MakeRepo, home: Path, tmp_path: Path
) -> None:
    _source(run_cli, make_repo, home)
    target = tmp_path / "edge.tar"
    done = run_cli("bundle", "export", "-o", str(target), "--profile", "edge", "--allow-missing")
    assert done.returncode == 0, done.stderr
    assert "not in the bundle: r/b 2.0.0: " in done.stderr
    assert "1 registry, 1 profile, 1 chart archive, 1 left out (the bundle records which)." in done.stdout
    site = tmp_path / "site"
    site.mkdir()
    imported = run_cli("bundle", "import", str(target), env={"CHARTKEEPER_HOME": str(site)})
    assert imported.returncode == 0, imported.stderr
    assert "  profile edge: added" in imported.stdout
    incomplete = [line for line in imported.stdout.splitlines() if line.startswith("  incomplete:")]
    assert len(incomplete) == 1
    assert incomplete[0].startswith("  incomplete: profile edge needs r/b 2.0.0 (")
    assert incomplete[0].endswith("which the bundle does not carry: bring it in a new bundle")


def test_the_missing_list_round_trips_and_a_complete_bundle_is_as_before() -> None:
    missing = (MissingArchive("r", "b", "2.0.0", "HTTP 404", ("edge", "lab")),)
    config = CatalogConfig(1_700_000_000, "profiles", (), (), None, (), missing)
    assert CatalogConfig.parse(config.to_bytes()) == config
    complete = CatalogConfig(1_700_000_000, "profiles", (), (), None, ())
    assert b"missingArchives" not in complete.to_bytes()
    assert CatalogConfig.parse(complete.to_bytes()).missing == ()
