"""Keeping versions offline and letting them go: Remove offline copy, the cache's size, and clearing
what no profile uses — through the operations (as the window runs them) and the CLI."""

from __future__ import annotations

import json
import time
from collections.abc import Callable

from desktop.catalog.archives import cache_usage, cached_archive, offline_states
from desktop.catalog.profiles import save_profile
from desktop.operations.chart_files import (
    chart_files,
    clear_unused_cache,
    pin_version,
    remove_offline_copy,
)
from desktop.profiles.model import Layer, Profile
from desktop.registry import Registry, RegistryDraft
from tests.conftest import CliResult
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_archive, publish_charts
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
VERSIONS = ("1.0.0", "1.1.0", "1.2.0")


def publish(repo: RepoServer) -> None:
    publish_charts(repo, {"web": {v: chart_archive("web", v, values=f"tag: {v}\n") for v in VERSIONS}})


def in_profile(engine: CatalogHarness, registry: Registry, version: str) -> None:
    layer = Layer(registry.uid, registry.name, registry.endpoint, "web", version)
    save_profile(engine.db, Profile(uid="", name="edge", layers=(layer,)), time.time())


def test_remove_offline_copy_and_clear_what_no_profile_uses(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    publish(repo)
    registry = engine.register(RegistryDraft("r", repo.url)).registry
    services = engine.services
    pin_version(services, registry.id, "web", "1.0.0")  # kept by hand
    in_profile(engine, registry, "1.1.0")
    pin_version(services, registry.id, "web", "1.1.0")  # pinned and in a profile
    chart_files(services, registry.id, "web", "1.2.0")  # only looked at: cached
    states = offline_states(engine.db, registry.uid, "web")
    assert states["1.0.0"].pinned and not states["1.0.0"].profiles
    assert states["1.1.0"].kept and states["1.1.0"].profiles == ("edge",)
    assert states["1.2.0"].cached and not states["1.2.0"].kept

    usage = cache_usage(engine.db)
    assert (usage.count, usage.profile_count, usage.pinned_count, usage.unused_count) == (3, 1, 1, 1)
    assert usage.size == usage.profile_size + usage.pinned_size + usage.unused_size > 0

    removed = remove_offline_copy(services, registry.id, "web", "1.1.0")
    assert removed.unpinned and not removed.discarded and removed.kept_for == ("edge",)
    assert cached_archive(engine.db, removed.ref) is not None  # the profile still needs it
    removed = remove_offline_copy(services, registry.id, "web", "1.0.0")
    assert removed.unpinned and removed.discarded and removed.kept_for == ()
    assert cached_archive(engine.db, removed.ref) is None

    count, size = clear_unused_cache(services)
    assert count == 1 and size > 0  # 1.2.0; 1.1.0 stays for the profile
    assert set(offline_states(engine.db, registry.uid, "web")) == {"1.1.0"}
    assert clear_unused_cache(services) == (0, 0)


def test_the_cli_shows_and_clears_the_cache(run_cli: Callable[..., CliResult], make_repo: MakeRepo) -> None:
    repo = make_repo()
    publish(repo)
    assert run_cli("registry", "add", "r", repo.url).returncode == 0
    assert run_cli("pin", "r/web", "--version", "1.0.0").returncode == 0
    assert run_cli("show", "values", "r/web", "--version", "1.2.0").stdout == "tag: 1.2.0\n"
    shown = json.loads(run_cli("cache", "show", "-o", "json").stdout)
    assert shown["total"]["versions"] == 2 and shown["pinned"]["versions"] == 1 and shown["unused"]["versions"] == 1
    table = run_cli("cache", "show").stdout
    assert "used by nothing" in table and "total" in table
    cleared = run_cli("cache", "clear")
    assert cleared.returncode == 0 and "Removed 1 chart version (" in cleared.stdout
    assert json.loads(run_cli("cache", "show", "-o", "json").stdout)["total"]["versions"] == 1
    unpinned = run_cli("unpin", "r/web", "--version", "1.0.0")
    assert unpinned.returncode == 0 and "no longer pinned" in unpinned.stdout
