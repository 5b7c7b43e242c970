"""What the chart picker and browser read from a real snapshot: relevance then chart name across
registries, one registry's charts whatever its synchronization, versions with their dates."""

from __future__ import annotations

from collections.abc import Callable

from desktop.catalog.browse import registry_charts, version_infos
from desktop.catalog.charts import search_charts
from desktop.registry import RegistryDraft
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_entry, index_yaml, simple_index
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]


def test_the_picker_ranks_by_relevance_then_chart_name(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    big, small = make_repo(), make_repo()
    big.put("/index.yaml", simple_index({f"analytics-{i}": ["1.0.0"] for i in range(5)} | {"zeta": ["1.0.0"]}))
    small.put("/index.yaml", simple_index({"alpha": ["1.0.0"], "web": ["2.0.0"]}))
    engine.register(RegistryDraft("aaa-ibm", big.url))
    engine.register(RegistryDraft("zz-small", small.url))
    picker = [hit.chart for hit in search_charts(engine.db, "", by_chart_name=True)]
    assert picker[:3] == ["alpha", "analytics-0", "analytics-1"]  # not all of one registry first
    helm_like = [hit.name for hit in search_charts(engine.db, "")]
    assert helm_like[0] == "aaa-ibm/analytics-0" and helm_like[-1] == "zz-small/web"  # the CLI keeps Helm's order
    named = [hit.chart for hit in search_charts(engine.db, "a", by_chart_name=True)]
    assert named.index("alpha") < named.index("zeta")


def test_the_picker_puts_the_chart_named_as_typed_first(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    """Typing "web" in Add Helm Chart listed alpha-web, apache-web… before web, and with more name
    matches than the picker shows, web was cut off altogether."""
    big, small = make_repo(), make_repo()
    big.put("/index.yaml", simple_index({f"a{i:03d}-web": ["1.0.0"] for i in range(30)}))
    small.put("/index.yaml", simple_index({"web": ["2.0.0"], "web-extra": ["1.0.0"]}))
    engine.register(RegistryDraft("big", big.url))
    engine.register(RegistryDraft("small", small.url))
    picked = [hit.chart for hit in search_charts(engine.db, "WEB", by_chart_name=True, limit=10)]
    assert picked[0] == "web" and picked[1:3] == ["a000-web", "a001-web"]
    assert search_charts(engine.db, "web")[0].name == "big/a000-web"  # the CLI keeps Helm's order


def test_one_registrys_charts_and_versions_with_dates(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.put(
        "/index.yaml",
        index_yaml(
            {
                "web": [
                    chart_entry("web", "1.1.0-rc.1", created="2026-03-01T10:00:00Z", appVersion="2.0"),
                    chart_entry("web", "1.0.0", created="2026-02-01T10:00:00Z", appVersion="1.9"),
                ],
                "db": [chart_entry("db", "3.0.0", description="Database for web apps")],
            }
        ),
    )
    registry = engine.register(RegistryDraft("airgap", repo.url, sync_enabled=False)).registry
    assert search_charts(engine.db, "web") == []  # synchronization off: not searchable across registries
    assert [(h.chart, h.version) for h in registry_charts(engine.db, registry, "web")] == [
        ("web", "1.0.0"),
        ("db", "3.0.0"),  # matched in its description: after name matches
    ]
    infos = version_infos(engine.db, registry, "web")
    assert [(i.version, i.prerelease, i.app_version, i.created) for i in infos] == [
        ("1.1.0-rc.1", True, "2.0", "2026-03-01T10:00:00Z"),
        ("1.0.0", False, "1.9", "2026-02-01T10:00:00Z"),
    ]


def test_one_ranking_rule_for_every_search(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    """Issue 23: search ranked in three places (SQL, Python beside it, a simpler copy for one registry);
    now one rule: the name, then `registry/name`, then the description, then the keywords."""
    from desktop.helm.versions import VersionConstraint

    repo = make_repo()
    entries = {
        "akey": [chart_entry("akey", "1.0.0", description="Tooling", keywords=["web"])],
        "zdesc": [chart_entry("zdesc", "1.0.0", description="A web server")],
        "web": [chart_entry("web", "1.0.0")],
        "other": [chart_entry("other", "1.0.0", description="Nothing")],
    }
    repo.put("/index.yaml", index_yaml(entries))
    registry = engine.register(RegistryDraft("site", repo.url)).registry
    ranked = {"web": 0, "zdesc": 2, "akey": 3}
    constraint = VersionConstraint(">=1.0.0").validate()
    for hits in (
        search_charts(engine.db, "web"),
        search_charts(engine.db, "web", devel=True),
        search_charts(engine.db, "web", all_versions=True),
        search_charts(engine.db, "web", constraint=constraint),
        search_charts(engine.db, "web", by_chart_name=True),
    ):
        assert {hit.chart: hit.score for hit in hits} == ranked
        assert [hit.chart for hit in hits] == ["web", "zdesc", "akey"]
    assert {hit.chart: hit.score for hit in search_charts(engine.db, "site/")} == {
        "akey": 1,
        "other": 1,
        "web": 1,
        "zdesc": 1,
    }
    browsed = registry_charts(engine.db, registry, "web")
    assert [(hit.chart, hit.score) for hit in browsed] == [("web", 0), ("zdesc", 2), ("akey", 3)]
