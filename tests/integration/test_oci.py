"""OCI registries against a real one: Debian's docker-registry (CNCF distribution 2.8) with
htpasswd basic auth and TLS, and with token auth from a token service of ours; charts pushed in
Helm's OCI layout."""

from __future__ import annotations

import dataclasses
import json
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme
import yaml

from desktop.catalog.charts import get_chart_version, search_charts
from desktop.catalog.sync_records import list_runs
from desktop.errors import AuthError, NotFoundError, ValidationError
from desktop.net.oci import OciClient
from desktop.net.oci_auth import OciAccess
from desktop.net.settings import NetworkSettings
from desktop.operations.chart_files import chart_files
from desktop.registry import RegistryDraft
from tests.conftest import CliResult
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_archive
from tests.support.oci_registry import DistributionRegistry, RateLimitingProxy, TokenService

USERS = {"ana": "an4-s3cret"}
VALUES = "replicaCount: 1\n"


@pytest.fixture
def tls_registry(tmp_path: Path, ca: trustme.CA) -> Iterator[DistributionRegistry]:
    registry = DistributionRegistry(tmp_path / "tls", users=USERS, tls=ca).start()
    yield registry
    registry.stop()


@pytest.fixture
def token_service() -> TokenService:
    return TokenService(users=USERS)


@pytest.fixture
def token_registry(tmp_path: Path, token_service: TokenService) -> Iterator[DistributionRegistry]:
    registry = DistributionRegistry(tmp_path / "token", users=USERS, token=token_service).start()
    yield registry
    registry.stop()


def push(registry: DistributionRegistry, chart: str, *versions: str, base: str = "charts") -> None:
    for version in versions:
        registry.push_chart(
            f"{base}/{chart}",
            version,
            chart_archive(chart, version, values=VALUES),
            user="ana",
            metadata={"keywords": ["oci", chart]},
        )


def draft(
    registry: DistributionRegistry, ca: trustme.CA | None = None, password: str = "an4-s3cret", **fields: object
) -> RegistryDraft:
    return RegistryDraft(
        "oci-charts",
        f"oci://{registry.endpoint_host}/charts",
        username="ana",
        password=password,
        ca_pem=ca.cert_pem.bytes().decode() if ca else None,
        kind="oci",
        plain_http=ca is None,
        **fields,  # type: ignore[arg-type]
    )


def test_basic_auth_over_tls_registers_and_reads_charts(
    engine: CatalogHarness, tls_registry: DistributionRegistry, ca: trustme.CA
) -> None:
    push(tls_registry, "web", "1.0.0", "1.1.0", "2.0.0-rc.1")
    push(tls_registry, "db", "3.2.1+up1.0.0")
    push(tls_registry, "not-mine", "1.0.0", base="other")
    result = engine.register(draft(tls_registry, ca))
    assert result.ok
    assert sorted(result.diff.added) == [
        ("db", "3.2.1+up1.0.0"),
        ("web", "1.0.0"),
        ("web", "1.1.0"),
        ("web", "2.0.0-rc.1"),
    ]
    hits = search_charts(engine.db, "oci")
    assert [(h.name, h.version) for h in hits] == [("oci-charts/db", "3.2.1+up1.0.0"), ("oci-charts/web", "1.1.0")]
    detail = get_chart_version(engine.db, result.registry, "db", "3.2.1+up1.0.0")
    assert detail.meta["urls"] == [f"oci://{tls_registry.endpoint_host}/charts/db:3.2.1_up1.0.0"]
    assert detail.meta["description"] == "The db chart" and len(detail.meta["digest"]) == 64
    files = chart_files(engine.services, result.registry.id, "web", "1.1.0")
    assert files.values == VALUES and files.chart_name == "web"


def test_a_wrong_password_and_no_password_are_told_apart(
    engine: CatalogHarness, tls_registry: DistributionRegistry, ca: trustme.CA
) -> None:
    with pytest.raises(AuthError, match="refused the username or password"):
        engine.register(draft(tls_registry, ca, password="wrong"))
    anonymous = RegistryDraft(
        "anon", f"oci://{tls_registry.endpoint_host}/charts", kind="oci", ca_pem=ca.cert_pem.bytes().decode()
    )
    with pytest.raises(AuthError, match="requires a login"):
        engine.register(anonymous)
    assert engine.db.execute("SELECT COUNT(*) FROM registries").fetchone()[0] == 0


def test_tls_without_the_certificate_is_an_unknown_authority(
    engine: CatalogHarness, tls_registry: DistributionRegistry
) -> None:
    from desktop.errors import TLSError

    with pytest.raises(TLSError, match="unknown authority"):
        engine.register(
            RegistryDraft(
                "x", f"oci://{tls_registry.endpoint_host}/charts", kind="oci", username="ana", password="an4-s3cret"
            )
        )


def test_token_auth_and_incremental_sync(
    engine: CatalogHarness, token_registry: DistributionRegistry, token_service: TokenService
) -> None:
    push(token_registry, "web", "1.0.0", "1.1.0")
    registry = engine.register(draft(token_registry)).registry
    assert any("repository:charts/web:pull" in r["scopes"] for r in token_service.requests)
    push(token_registry, "web", "1.2.0")
    token_registry.delete_tag("charts/web", "1.0.0", user="ana")
    result = engine.sync(registry)
    assert result.status == "updated"
    assert (result.diff.added, result.diff.removed) == ([("web", "1.2.0")], [("web", "1.0.0")])
    assert list_runs(engine.db, registry.id)[0].status == "updated"
    unchanged = engine.sync(registry)
    assert unchanged.status == "unchanged"


def test_an_identity_token_is_exchanged_at_the_token_service(
    engine: CatalogHarness, token_registry: DistributionRegistry, token_service: TokenService
) -> None:
    """Issue 21: an OCI registry registered with a token: sent as a bearer to the registry itself,
    and offered to its token service as an OAuth2 refresh token (never as a basic login)."""
    push(token_registry, "web", "1.0.0")
    token_service.identity_tokens["idt-9c2f-SECRET"] = "ana"
    wrong = dataclasses.replace(draft(token_registry), username=None, password="idt-wrong", token_auth=True)
    with pytest.raises(AuthError, match="refused the token"):
        engine.register(wrong)
    registry = engine.register(dataclasses.replace(wrong, password="idt-9c2f-SECRET"))
    assert registry.registry.auth == "token" and [v for _c, v in registry.diff.added] == ["1.0.0"]
    exchanges = [r for r in token_service.requests if r.get("grant") == "refresh_token"]
    assert exchanges and any("repository:charts/web:pull" in r["scopes"] for r in exchanges)
    assert all(r.get("grant") for r in token_service.requests)  # no GET with a basic login, no anonymous one
    push(token_registry, "web", "1.1.0")
    assert engine.sync(registry.registry).diff.added == [("web", "1.1.0")]  # the token from the keyring


def test_an_expired_token_is_renewed(token_registry: DistributionRegistry, token_service: TokenService) -> None:
    push(token_registry, "web", "1.0.0")
    token_service.lifetime = 2
    access = OciAccess(f"oci://{token_registry.endpoint_host}/charts", "ana", "an4-s3cret", plain_http=True)
    with OciClient(access) as client:
        assert client.tags("web") == ["1.0.0"]
        assert client.tags("web") == ["1.0.0"]
        issued = len(token_service.requests)
        assert issued == 1  # the token is reused while it lasts
        time.sleep(1.2)
        assert client.tags("web") == ["1.0.0"]
        assert len(token_service.requests) == issued + 1  # renewed once it was about to expire


def test_only_new_tags_are_read_and_the_cap_holds(engine: CatalogHarness, token_registry: DistributionRegistry) -> None:
    push(token_registry, "web", "1.0.0", "1.1.0", "1.2.0", "1.3.0")
    engine.settings = NetworkSettings(oci_versions_per_chart=2)
    registry = engine.register(draft(token_registry)).registry
    assert [v for _, v in sorted(engine.sync(registry).diff.added)] == ["1.0.0", "1.1.0"]  # the rest, next time
    from desktop.catalog.charts import chart_versions

    assert chart_versions(engine.db, registry, "web") == ["1.3.0", "1.2.0", "1.1.0", "1.0.0"]


def test_a_closed_catalog_needs_chart_names(engine: CatalogHarness, tmp_path: Path) -> None:
    service = TokenService(users=USERS, allow_catalog=False)
    registry = DistributionRegistry(tmp_path / "closed", users=USERS, token=service).start()
    try:
        push(registry, "web", "1.0.0")
        with pytest.raises(ValidationError, match=r"does not list its repositories.*give the names"):
            engine.register(draft(registry))
        with pytest.raises(NotFoundError, match="has no chart 'wbe'"):
            engine.register(draft(registry, chart_names=("wbe",)))
        result = engine.register(draft(registry, chart_names=("web",)))
        assert result.diff.added == [("web", "1.0.0")]
        assert result.registry.chart_names == ("web",)
    finally:
        registry.stop()


def test_pagination_unknown_tag_and_plus_versions(token_registry: DistributionRegistry) -> None:
    for index in range(5):
        token_registry.push_chart(f"charts/c{index}", "1.0.0", chart_archive(f"c{index}", "1.0.0"), user="ana")
    push(token_registry, "web", "1.0.0", "1.0.1", "1.0.2+build.7")
    access = OciAccess(f"oci://{token_registry.endpoint_host}/charts", "ana", "an4-s3cret", plain_http=True)
    with OciClient(access) as client:
        assert client.catalog(page_size=2) == ["c0", "c1", "c2", "c3", "c4", "web"]
        assert sorted(client.tags("web", page_size=1)) == ["1.0.0", "1.0.1", "1.0.2_build.7"]
        with pytest.raises(NotFoundError, match=r"has no version '9\.9\.9' of chart 'web'"):
            client.manifest("web", "9.9.9")
        with pytest.raises(NotFoundError, match="has no chart 'nope'"):
            client.tags("nope")


def test_429_with_retry_after_is_waited_out(token_registry: DistributionRegistry) -> None:
    push(token_registry, "web", "1.0.0")
    proxy = RateLimitingProxy(token_registry.url, "/tags/list", limit=2, retry_after="1")
    host = proxy.start()
    waited: list[float] = []
    try:
        access = OciAccess(f"oci://{host}/charts", "ana", "an4-s3cret", plain_http=True)
        with OciClient(access, sleep=lambda s: (waited.append(s), __import__("time").sleep(s))) as client:
            assert client.tags("web") == ["1.0.0"]
        assert len(proxy.limited_at) == 2  # both 429s were met, then the request went through
        assert proxy.forwarded_at and proxy.forwarded_at[0] - proxy.limited_at[1] >= 0.9  # Retry-After: 1 honoured
        assert sum(waited) >= 1.9
    finally:
        proxy.stop()


def test_the_cli_and_exports_speak_oci(
    run_cli: Callable[..., CliResult], token_registry: DistributionRegistry, tmp_path: Path
) -> None:
    push(token_registry, "web", "1.0.0")
    endpoint = f"oci://{token_registry.endpoint_host}/charts"
    added = run_cli(
        "registry",
        "add",
        "oci",
        endpoint,
        "--plain-http",
        "--username",
        "ana",
        "--password-stdin",
        input="an4-s3cret\n",
    )
    assert added.returncode == 0, added.stderr
    listing = json.loads(run_cli("registry", "list", "-o", "json").stdout)
    assert listing[0]["type"] == "oci" and listing[0]["charts"] == 1
    assert run_cli("show", "values", "oci/web").stdout == VALUES
    profile = tmp_path / "p.json"
    profile.write_text(
        json.dumps(
            {
                "metadata": {"name": "edge"},
                "spec": {
                    "version": "1.0.0",
                    "template": {
                        "type": "add-on",
                        "packs": [
                            {
                                "name": "web",
                                "tag": "1.0.0",
                                "type": "oci",
                                "registry": {"name": "oci", "endpoint": endpoint},
                            }
                        ],
                    },
                },
            }
        )
    )
    assert run_cli("profile", "import", str(profile)).returncode == 0
    palette = json.loads(run_cli("profile", "export", "edge").stdout)
    assert palette["spec"]["template"]["packs"][0]["type"] == "oci"
    helmfile = yaml.safe_load(run_cli("profile", "export", "edge", "--format", "helmfile").stdout)
    assert helmfile["releases"][0]["chart"] == "oci/web"
    assert helmfile["repositories"] == [
        {"name": "oci", "url": f"{token_registry.endpoint_host}/charts", "oci": True, "plainHttp": True}
    ]


def test_an_oci_registry_without_tls_says_to_turn_on_plain_http(tmp_path: Path) -> None:
    """An oci:// endpoint cannot be made http://: the way to a registry without TLS is Plain HTTP."""
    from desktop.errors import TLSError

    registry = DistributionRegistry(tmp_path / "plain").start()
    try:
        access = OciAccess(f"oci://{registry.endpoint_host}/charts")  # Plain HTTP left off
        with OciClient(access, NetworkSettings(timeout=5)) as client, pytest.raises(TLSError) as refused:
            client.ping()
        assert "does not speak HTTPS: turn on Plain HTTP (like helm --plain-http)" in refused.value.message
        assert "http:// endpoint" not in refused.value.message
    finally:
        registry.stop()
