"""Servers that misbehave on purpose (issue 8): truncated and lying bodies never shrink a snapshot
silently, every wait is bounded, a cancel works in every state, and what a server controls is
bounded before it is stored or shown."""

from __future__ import annotations

import json
import socket
import threading
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from desktop.cancellation import CancelToken
from desktop.catalog.charts import get_chart_version, search_charts, version_rows
from desktop.catalog.sync_records import list_runs, sync_state
from desktop.errors import NetworkError, OperationCancelled, RegistryResponseError
from desktop.jobs.worker import BackgroundWorker
from desktop.net.client import RegistryAccess, RegistryHttp
from desktop.net.settings import NetworkSettings
from desktop.operations.prune import prune_registry
from desktop.operations.sync_run import SyncStatus
from desktop.registry import Registry, RegistryDraft
from desktop.secrets import CredentialStore
from tests.conftest import CliResult, server_context
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import simple_index
from tests.support.hostile_server import Behaviour, HostileServer
from tests.support.repo_server import RepoServer

MakeHostile = Callable[..., HostileServer]
RunCli = Callable[..., CliResult]
CHARTS = {f"c{i:02d}": ["1.0.0", "1.1.0"] for i in range(60)}
FULL = simple_index(CHARTS)
CUT_AT_CHART_30 = FULL.index(b"\n  c30:") + 1  # a prefix that is itself a valid index of 30 charts


@pytest.fixture
def hostile(ca: trustme.CA) -> Iterator[MakeHostile]:
    started: list[HostileServer] = []

    def make(*, tls: bool = False) -> HostileServer:
        server = HostileServer(tls=server_context(ca) if tls else None).start()
        started.append(server)
        return server

    yield make
    for server in started:
        server.stop()


def _registered(engine: CatalogHarness, server: HostileServer, index: bytes = FULL) -> Registry:
    server.paths["/index.yaml"] = Behaviour(index)
    return engine.register(RegistryDraft("hostile", server.url)).registry


def _stored_versions(engine: CatalogHarness, registry: Registry) -> int:
    return int(
        engine.db.execute("SELECT COUNT(*) FROM chart_versions WHERE registry_id = ?", (registry.id,)).fetchone()[0]
    )


# --- 1. a truncated download never shrinks the snapshot silently ---------------------------------


@pytest.mark.parametrize(
    "cut",
    [
        Behaviour(FULL, close_delimited_cut=CUT_AT_CHART_30),  # HTTP/1.0, the connection closed early
        Behaviour(FULL, declared_length=CUT_AT_CHART_30),  # a Content-Length shorter than the body
    ],
    ids=["close-delimited", "short-content-length"],
)
def test_a_truncated_index_is_held_and_the_snapshot_stays(
    engine: CatalogHarness, hostile: MakeHostile, cut: Behaviour
) -> None:
    server = hostile()
    registry = _registered(engine, server)
    server.paths["/index.yaml"] = cut
    result = engine.sync(registry)
    assert result.status == SyncStatus.HELD
    assert "lacks 60 of 120 versions" in (result.error or "")
    assert _stored_versions(engine, registry) == 120
    assert list_runs(engine.db, registry.id)[0].status == "held"
    state = sync_state(engine.db, registry.id)
    assert state.last_error_kind == "held" and "truncated download" in (state.last_error or "")


def test_losing_whole_charts_and_generated_is_held_below_the_threshold(
    engine: CatalogHarness, hostile: MakeHostile
) -> None:
    server = hostile()
    registry = _registered(engine, server)
    cut = FULL.index(b"\n  c55:") + 1  # 5 charts (10 of 120 versions, 8 %) and `generated:` lost
    server.paths["/index.yaml"] = Behaviour(FULL, close_delimited_cut=cut)
    result = engine.sync(registry)
    assert result.status == SyncStatus.HELD and "5 whole chart(s)" in (result.error or "")
    assert _stored_versions(engine, registry) == 120


_LAST_CHART = FULL.index(b"\n  c59:")


@pytest.mark.parametrize(
    "cut",
    [
        FULL.index(b"  - apiVersion", FULL.index(b"version: 1.0.0", _LAST_CHART)),  # its second version lost
        FULL.index(b"version: 1.1.0", _LAST_CHART) + len("version: 1"),  # `version: 1.1.0` read as `version: 1`
        FULL.index(b"urls:", FULL.index(b"version: 1.1.0", _LAST_CHART)),  # an entry without its urls
    ],
    ids=["one-version-lost", "version-cut-short", "entry-cut-short"],
)
def test_an_index_cut_inside_its_last_chart_is_held(engine: CatalogHarness, hostile: MakeHostile, cut: int) -> None:
    """Cut inside the last chart, a download loses one version or garbles one entry — far below
    the threshold, no whole chart lost — and its `generated:` line: held all the same."""
    server = hostile()
    registry = _registered(engine, server)
    before = get_chart_version(engine.db, registry, "c59", "1.1.0").meta
    server.paths["/index.yaml"] = Behaviour(FULL, close_delimited_cut=cut)
    result = engine.sync(registry)
    assert result.status == SyncStatus.HELD and "`generated:` line" in (result.error or "")
    assert _stored_versions(engine, registry) == 120
    assert [row.version for row in version_rows(engine.db, registry, "c59")] == ["1.1.0", "1.0.0"]
    assert all(row.removed_at is None for row in version_rows(engine.db, registry, "c59"))
    assert get_chart_version(engine.db, registry, "c59", "1.1.0").meta == before
    server.paths["/index.yaml"] = Behaviour(FULL)  # the whole index again: nothing to hold, the mark clears
    assert engine.sync(registry).status == SyncStatus.UNCHANGED
    assert sync_state(engine.db, registry.id).last_error is None


def test_a_real_removal_below_the_threshold_is_applied_and_marked_not_deleted(
    engine: CatalogHarness, hostile: MakeHostile
) -> None:
    server = hostile()
    registry = _registered(engine, server)
    fewer = {**CHARTS, "c07": ["1.1.0"]}  # one version gone, the index otherwise whole
    server.paths["/index.yaml"] = Behaviour(simple_index(fewer))
    result = engine.sync(registry)
    assert result.status == SyncStatus.UPDATED and result.diff.removed == [("c07", "1.0.0")]
    rows = version_rows(engine.db, registry, "c07")
    assert [(row.version, row.removed_at is not None) for row in rows] == [("1.1.0", False), ("1.0.0", True)]
    detail = get_chart_version(engine.db, registry, "c07", "1.0.0")  # still usable by name and version
    assert detail.removed_at is not None and detail.meta["version"] == "1.0.0"
    listed = search_charts(engine.db, "c07", all_versions=True)
    assert [(hit.version, hit.removed_at is not None) for hit in listed] == [("1.1.0", False), ("1.0.0", True)]
    assert [hit.version for hit in search_charts(engine.db, "c07")] == ["1.1.0"]  # latest: what the index has
    server.paths["/index.yaml"] = Behaviour(FULL)  # it comes back: unmarked
    assert engine.sync(registry).diff.added == [("c07", "1.0.0")]
    assert all(row.removed_at is None for row in version_rows(engine.db, registry, "c07"))


def test_accepting_removals_applies_a_held_shrink_and_prune_deletes_for_good(
    engine: CatalogHarness, hostile: MakeHostile
) -> None:
    server = hostile()
    registry = _registered(engine, server)
    server.paths["/index.yaml"] = Behaviour(simple_index({name: CHARTS[name] for name in list(CHARTS)[:30]}))
    assert engine.sync(registry).status == SyncStatus.HELD
    accepted = engine.services
    from desktop.operations.sync import sync_registry

    result = sync_registry(accepted, registry.id, accept_removals=True)
    assert result.status == SyncStatus.UPDATED and len(result.diff.removed) == 60
    assert _stored_versions(engine, registry) == 60
    assert sync_state(engine.db, registry.id).last_error is None
    assert len(search_charts(engine.db, "c45", all_versions=True)) == 2  # kept, marked
    assert prune_registry(engine.services, registry.id, older_than_days=1) == 0  # removed just now
    assert prune_registry(engine.services, registry.id) == 60
    assert search_charts(engine.db, "c45", all_versions=True) == []


def test_the_cli_holds_then_accepts_and_says_what_changed(run_cli: RunCli, hostile: MakeHostile, home: Path) -> None:
    server = hostile()
    server.paths["/index.yaml"] = Behaviour(FULL)
    assert run_cli("registry", "add", "h", server.url).returncode == 0
    server.paths["/index.yaml"] = Behaviour(FULL, close_delimited_cut=CUT_AT_CHART_30)
    held = run_cli("registry", "sync", "h")
    assert held.returncode == 1
    assert held.stderr.count("\n") == 1 and "held" in held.stderr and "--accept-removals" in held.stderr
    assert "held: the new index lacks" in run_cli("registry", "list").stdout
    accepted = run_cli("registry", "sync", "h", "--accept-removals")
    assert accepted.returncode == 0, accepted.stderr
    assert "60 marked removed upstream" in accepted.stdout and "  - c30 1.1.0" in accepted.stdout
    hits = json.loads(run_cli("search", "c31", "--versions", "-o", "json").stdout)
    assert all(hit["removed_upstream"] for hit in hits) and len(hits) == 2
    assert "[REMOVED UPSTREAM" in run_cli("search", "c31", "--versions").stdout
    history = json.loads(run_cli("registry", "history", "h", "-o", "json").stdout)
    assert [(run["status"], run["trigger"]) for run in history] == [
        ("updated", "manual"),
        ("held", "manual"),
        ("updated", "register"),
    ]
    pruned = run_cli("registry", "prune", "h")
    assert pruned.returncode == 0 and "60 versions" in pruned.stdout


# --- 2. every wait bounded ----------------------------------------------------------------------


def test_a_dribbling_body_is_abandoned_within_twice_the_timeout(engine: CatalogHarness, hostile: MakeHostile) -> None:
    server = hostile()
    registry = _registered(engine, server)
    server.paths["/index.yaml"] = Behaviour(FULL, drip_body=0.05)  # 20 bytes/s
    engine.settings = NetworkSettings(timeout=2.0, min_rate=1024)
    started = time.monotonic()
    result = engine.sync(registry)
    elapsed = time.monotonic() - started
    assert result.status == SyncStatus.FAILED
    assert "below the slowest accepted (1.0 KiB/s)" in (result.error or "")
    assert "Tenant settings" in (result.error or "")
    assert elapsed < 8.0  # the bound: within 4x the configured timeout
    assert _stored_versions(engine, registry) == 120


def test_dribbled_headers_are_abandoned_within_the_timeout(engine: CatalogHarness, hostile: MakeHostile) -> None:
    server = hostile()
    registry = _registered(engine, server)
    server.paths["/index.yaml"] = Behaviour(FULL, drip_headers=0.2)  # 5 header bytes a second
    engine.settings = NetworkSettings(timeout=2.0)
    started = time.monotonic()
    result = engine.sync(registry)
    assert time.monotonic() - started < 8.0  # within 4x the configured timeout
    assert result.status == SyncStatus.FAILED
    assert "did not send its response headers within 2 s" in (result.error or "")
    assert "request timeout" in (result.error or "")


def test_a_server_that_resets_mid_body_fails_cleanly(engine: CatalogHarness, hostile: MakeHostile) -> None:
    server = hostile()
    registry = _registered(engine, server)
    server.paths["/index.yaml"] = Behaviour(FULL, reset_after=1000)
    result = engine.sync(registry)
    assert result.status == SyncStatus.FAILED and "closed the connection" in (result.error or "")
    assert _stored_versions(engine, registry) == 120


@pytest.mark.parametrize(
    "behaviour",
    [Behaviour(FULL, stall=True), Behaviour(FULL, drip_headers=0.5), Behaviour(FULL, drip_body=0.5)],
    ids=["stalled", "dribbling-headers", "dribbling-body"],
)
def test_cancel_in_the_window_takes_effect_at_once(
    catalog_path: Path, credentials: CredentialStore, hostile: MakeHostile, behaviour: Behaviour
) -> None:
    server = hostile()
    server.paths["/index.yaml"] = Behaviour(FULL)

    class Quiet:
        def __getattr__(self, _name: str) -> Callable[..., None]:
            return lambda *args: None

    worker = BackgroundWorker(catalog_path, credentials, Quiet())  # type: ignore[arg-type]
    worker.start(schedule=False)
    try:
        registry = worker.register(RegistryDraft("h", server.url), CancelToken()).future.result(10).registry
        server.paths["/index.yaml"] = behaviour
        future = worker.sync(registry.id)
        time.sleep(1.5)  # well inside the 30 s timeout: the sync is waiting on the server
        assert not future.done()
        worker.cancel_sync(registry.id)
        result = future.result(5)  # a bound well under the 30 s a stuck request would take, not a timing
        assert result.status == SyncStatus.CANCELLED
    finally:
        assert worker.stop()


def test_cancel_stops_a_tls_handshake_the_server_never_answers() -> None:
    """The handshake ran on a socket the cancel could not reach (wrapping it for TLS detaches the
    registered one), so a cancel waited for the whole request timeout."""
    listener = socket.create_server(("127.0.0.1", 0))
    accepted: list[socket.socket] = []
    cancel = CancelToken()

    def accept_then_cancel() -> None:
        connection, _ = listener.accept()  # and never answers the client's hello
        accepted.append(connection)
        time.sleep(0.3)  # the client is waiting in its handshake by now
        cancel.cancel()

    server = threading.Thread(target=accept_then_cancel, daemon=True)
    server.start()
    url = f"https://127.0.0.1:{listener.getsockname()[1]}/index.yaml"
    try:
        with RegistryHttp(RegistryAccess(url), NetworkSettings(timeout=30.0)) as http:
            started = time.monotonic()
            with pytest.raises(OperationCancelled):
                http.get(url, max_bytes=1024, cancel=cancel)
            assert time.monotonic() - started < 10.0  # a bound well under the 30 s timeout, not a timing
    finally:
        server.join(5)
        for connection in accepted:
            connection.close()
        listener.close()


# --- 6. what a server controls is bounded --------------------------------------------------------


def test_a_huge_etag_is_not_kept_so_later_syncs_still_work(engine: CatalogHarness, hostile: MakeHostile) -> None:
    server = hostile()
    server.paths["/index.yaml"] = Behaviour(FULL, headers={"ETag": '"' + "e" * 100_000 + '"'})
    registry = engine.register(RegistryDraft("hostile", server.url)).registry
    assert sync_state(engine.db, registry.id).etag is None
    assert engine.sync(registry).ok


@pytest.mark.parametrize("header", ["ETag", "Last-Modified"])
def test_a_validator_no_header_can_carry_is_not_kept(engine: CatalogHarness, hostile: MakeHostile, header: str) -> None:
    """`ETag: "été"` was kept, and every later sync failed as an internal error sending it back."""
    server = hostile()
    server.paths["/index.yaml"] = Behaviour(FULL, headers={header: '"\u00e9t\u00e9"'})
    registry = engine.register(RegistryDraft("hostile", server.url)).registry
    state = sync_state(engine.db, registry.id)
    assert state.etag is None and state.last_modified is None
    assert engine.sync(registry).ok
    # one kept by an earlier version is not sent either
    kept = ("\u00e9", "\u00e9", registry.id)
    engine.db.execute("UPDATE sync_state SET etag = ?, last_modified = ? WHERE registry_id = ?", kept)
    assert engine.sync(registry).ok
    assert "if-none-match" not in server.headers[-1] and "if-modified-since" not in server.headers[-1]


def test_a_long_location_is_cut_in_messages(engine: CatalogHarness, hostile: MakeHostile) -> None:
    server = hostile()
    far = "/" + "x" * 5000
    server.paths["/index.yaml"] = Behaviour(status="302 Found", headers={"Location": far})
    with pytest.raises(RegistryResponseError) as raised:
        engine.register(RegistryDraft("hostile", server.url))
    assert len(raised.value.message) < 500 and "…" in raised.value.message


def test_a_redirect_from_https_to_plain_http_is_refused(
    engine: CatalogHarness, hostile: MakeHostile, make_repo: Callable[..., RepoServer], ca_file: Path
) -> None:
    plain = make_repo()
    plain.put("/index.yaml", FULL)
    server = hostile(tls=True)
    server.paths["/index.yaml"] = Behaviour(
        status="301 Moved Permanently", headers={"Location": plain.url + "/index.yaml"}
    )
    with pytest.raises(RegistryResponseError, match="from HTTPS to plain HTTP"):
        engine.register(RegistryDraft("hostile", server.url, ca_pem=ca_file.read_text()))
    assert plain.requests == []


def test_a_stalled_server_is_one_network_error(engine: CatalogHarness, hostile: MakeHostile) -> None:
    server = hostile()
    server.paths["/index.yaml"] = Behaviour(stall=True)
    engine.settings = NetworkSettings(timeout=0.5)
    with pytest.raises(NetworkError, match=r"did not send its response headers within 0\.5 s"):
        engine.register(RegistryDraft("hostile", server.url))


def test_profile_health_shows_a_layer_removed_upstream_as_still_usable(
    engine: CatalogHarness, hostile: MakeHostile
) -> None:
    from desktop.catalog.profiles import layer_sources
    from desktop.operations.profiles import save_profile
    from desktop.profiles.health import HealthState, profile_health
    from desktop.profiles.model import Layer, Profile

    server = hostile()
    registry = _registered(engine, server)
    layer = Layer(registry.uid, registry.name, registry.endpoint, "c07", "1.0.0")
    profile = save_profile(engine.services, Profile(uid="", name="edge", layers=(layer,)))
    server.paths["/index.yaml"] = Behaviour(simple_index({**CHARTS, "c07": ["1.1.0"]}))
    assert engine.sync(registry).ok
    (health,) = profile_health(profile, layer_sources(engine.db, profile))
    assert health.state == HealthState.REMOVED_UPSTREAM and "removed upstream on" in health.message
    prune_registry(engine.services, registry.id)
    (health,) = profile_health(profile, layer_sources(engine.db, profile))
    assert health.state == HealthState.MISSING
