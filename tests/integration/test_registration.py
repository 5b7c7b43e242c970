"""Registering a registry against real HTTP(S) servers: success, TLS, credentials, and every failure
leaving nothing behind."""

from __future__ import annotations

import datetime as dt
import socket
import sqlite3
import threading
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest
import trustme

from desktop.catalog.charts import get_chart_version, search_charts
from desktop.catalog.registries import list_registries
from desktop.errors import (
    AuthError,
    IndexFormatError,
    NetworkError,
    RegistryResponseError,
    TLSError,
    UserError,
)
from desktop.net.settings import NetworkSettings
from desktop.registry import RegistryDraft
from desktop.secrets import SERVICE
from tests.conftest import server_context
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_entry, index_yaml, simple_index
from tests.support.keyring_session import stored_accounts
from tests.support.repo_server import Fault, RepoServer

MakeRepo = Callable[..., RepoServer]
INDEX = simple_index({"nginx": ["1.2.0", "1.1.0", "2.0.0-rc.1"], "redis": ["7.0.0"]})


def _nothing_stored(engine: CatalogHarness) -> None:
    assert list_registries(engine.db) == []
    assert engine.db.execute("SELECT COUNT(*) FROM chart_versions").fetchone()[0] == 0
    assert engine.db.execute("SELECT COUNT(*) FROM sync_runs").fetchone()[0] == 0


def test_registering_an_http_repository_takes_the_first_snapshot(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.put("/stable/index.yaml", INDEX)
    result = engine.register(RegistryDraft("stable", repo.url + "/stable"))
    assert result.status == "updated"
    assert sorted(result.diff.added) == [
        ("nginx", "1.1.0"),
        ("nginx", "1.2.0"),
        ("nginx", "2.0.0-rc.1"),
        ("redis", "7.0.0"),
    ]
    hits = search_charts(engine.db, "nginx")
    assert [(h.name, h.version) for h in hits] == [("stable/nginx", "1.2.0")]
    run = engine.db.execute("SELECT trigger, status, http_status FROM sync_runs").fetchone()
    assert run == ("register", "updated", 200)


def test_https_with_the_registry_certificate_as_trust_anchor(
    engine: CatalogHarness, make_repo: MakeRepo, ca: trustme.CA
) -> None:
    repo = make_repo(tls=True)
    repo.put("/index.yaml", INDEX)
    with pytest.raises(TLSError, match="signed by an unknown authority: add the registry's CA certificate"):
        engine.register(RegistryDraft("secure", repo.url))
    _nothing_stored(engine)
    result = engine.register(RegistryDraft("secure", repo.url, ca_pem=ca.cert_pem.bytes().decode()))
    assert result.ok


def test_the_server_leaf_certificate_alone_is_enough(
    engine: CatalogHarness, make_repo: MakeRepo, ca: trustme.CA
) -> None:
    import ssl

    leaf = ca.issue_cert("127.0.0.1")
    context = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    leaf.configure_cert(context)
    repo = make_repo(tls=True, context=context)
    repo.put("/index.yaml", INDEX)
    leaf_pem = leaf.cert_chain_pems[0].bytes().decode()
    assert engine.register(RegistryDraft("leaf", repo.url, ca_pem=leaf_pem)).ok


def test_the_system_trust_store_still_counts_when_the_given_certificate_does_not_fit(
    engine: CatalogHarness,
    make_repo: MakeRepo,
    ca: trustme.CA,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    """The registry's certificate is tried alone first (fast); a server whose chain leads to a CA
    the system trusts still verifies when the certificate given is another one."""
    system_ca = tmp_path / "system.pem"
    ca.cert_pem.write_to_path(str(system_ca))
    monkeypatch.setenv("SSL_CERT_FILE", str(system_ca))  # the platform's store, as OpenSSL reads it
    repo = make_repo(tls=True)
    repo.put("/index.yaml", INDEX)
    unrelated = trustme.CA().cert_pem.bytes().decode()
    assert engine.register(RegistryDraft("mixed", repo.url, ca_pem=unrelated)).ok
    monkeypatch.delenv("SSL_CERT_FILE")
    with pytest.raises(TLSError, match="unknown authority"):
        engine.register(RegistryDraft("mixed-2", repo.url, ca_pem=unrelated))


def test_insecure_skip_tls_verify_accepts_an_unknown_authority(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo(tls=True)
    repo.put("/index.yaml", INDEX)
    assert engine.register(RegistryDraft("skip", repo.url, insecure_skip_tls_verify=True)).ok


@pytest.mark.parametrize(
    ("issue", "message"),
    [
        (
            {"not_after": dt.datetime(2020, 1, 1, tzinfo=dt.UTC), "not_before": dt.datetime(2019, 1, 1, tzinfo=dt.UTC)},
            "has expired: ask the registry's administrator to renew it",
        ),
        (
            {"not_before": dt.datetime(2100, 1, 1, tzinfo=dt.UTC), "not_after": dt.datetime(2101, 1, 1, tzinfo=dt.UTC)},
            "is not valid yet: check this computer's clock",
        ),
    ],
)
def test_certificate_dates_are_explained(
    engine: CatalogHarness, make_repo: MakeRepo, ca: trustme.CA, issue: dict, message: str
) -> None:
    repo = make_repo(tls=True, context=server_context(ca, "127.0.0.1", **issue))
    repo.put("/index.yaml", INDEX)
    with pytest.raises(TLSError, match=message):
        engine.register(RegistryDraft("dated", repo.url, ca_pem=ca.cert_pem.bytes().decode()))
    _nothing_stored(engine)


def test_a_hostname_mismatch_is_explained(engine: CatalogHarness, make_repo: MakeRepo, ca: trustme.CA) -> None:
    repo = make_repo(tls=True, context=server_context(ca, "charts.example.org"))
    repo.put("/index.yaml", INDEX)
    with pytest.raises(TLSError, match=r"not valid for the name '127\.0\.0\.1': use the host name the certificate"):
        engine.register(RegistryDraft("named", repo.url, ca_pem=ca.cert_pem.bytes().decode()))


def test_https_endpoint_on_a_plain_http_port(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.put("/index.yaml", INDEX)
    with pytest.raises(TLSError, match="does not speak HTTPS"):
        engine.register(RegistryDraft("mixed", repo.url.replace("http://", "https://")))


def test_credentials_live_in_the_keyring_and_nowhere_else(
    engine: CatalogHarness, make_repo: MakeRepo, catalog_path: Path
) -> None:
    password = "s3cret-Pa55-unique-7d1c"
    repo = make_repo(auth=("ana", password))
    repo.put("/index.yaml", INDEX)
    result = engine.register(RegistryDraft("private", repo.url, username="ana", password=password))
    assert result.ok
    registry = result.registry
    assert registry.username == "ana"
    assert engine.credentials.get_password(registry.uid) == password
    engine.db.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    for path in catalog_path.parent.iterdir():
        assert password.encode() not in path.read_bytes(), path
    log_dir = catalog_path.parent.parent / "logs"
    if log_dir.exists():
        for path in log_dir.iterdir():
            assert password.encode() not in path.read_bytes()
    engine.remove(registry)
    assert engine.credentials.get_password(registry.uid) is None


def test_wrong_or_missing_credentials_are_told_apart(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    accounts = stored_accounts(SERVICE)
    repo = make_repo(auth=("ana", "right"))
    repo.put("/index.yaml", INDEX)
    with pytest.raises(AuthError, match="refused the username or password"):
        engine.register(RegistryDraft("private", repo.url, username="ana", password="wrong"))
    with pytest.raises(AuthError, match=r"requires a login.*turn off No Authentication"):
        engine.register(RegistryDraft("private", repo.url))
    _nothing_stored(engine)
    assert stored_accounts(SERVICE) == accounts  # no secret left behind


@pytest.mark.parametrize(
    ("fault", "error", "message"),
    [
        (Fault(status=403, body=b"forbidden"), AuthError, "403 Forbidden"),
        (Fault(status=500, body=b"boom"), RegistryResponseError, "500 Internal Server Error: try again later"),
        (
            Fault(status=200, body=b"<html><body>Please sign in</body></html>", content_type="text/html"),
            IndexFormatError,
            "HTML page",
        ),
        (
            Fault(status=200, body=b'{"errors":[{"code":"UNAUTHORIZED"}]}', content_type="application/json"),
            IndexFormatError,
            "JSON that is not a Helm index \\(it says errors",
        ),
        (Fault(status=200, body=b"entries: {}\n"), IndexFormatError, "no apiVersion"),
    ],
)
def test_answers_that_are_not_an_index(
    engine: CatalogHarness, make_repo: MakeRepo, fault: Fault, error: type[UserError], message: str
) -> None:
    repo = make_repo()
    repo.faults["/index.yaml"] = fault
    with pytest.raises(error, match=message):
        engine.register(RegistryDraft("odd", repo.url))
    _nothing_stored(engine)


def test_a_missing_index_is_a_404_that_names_the_fix(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo()
    with pytest.raises(
        RegistryResponseError,
        match=r"Nothing at http://127\.0\.0\.1:\d+/charts/index\.yaml\?… "
        r"\(404 Not Found\): the endpoint must be the repository URL",
    ) as error:
        engine.register(RegistryDraft("missing", repo.url + "/charts?token=abc"))
    assert "abc" not in str(error.value)  # a token in the query never reaches a message


def test_connection_failures_each_get_their_own_message(engine: CatalogHarness) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.1", 0))
        closed_port = probe.getsockname()[1]
    with pytest.raises(NetworkError, match=f"Connection refused by 127.0.0.1:{closed_port}"):
        engine.register(RegistryDraft("refused", f"http://127.0.0.1:{closed_port}"))
    with pytest.raises(NetworkError, match=r"host name 'no-such-host\.invalid' does not resolve"):
        engine.register(RegistryDraft("nxdomain", "http://no-such-host.invalid/charts"))
    _nothing_stored(engine)


@pytest.fixture
def silent_server() -> Iterator[int]:
    """Accepts connections and never answers."""
    listener = socket.socket()
    listener.bind(("127.0.0.1", 0))
    listener.listen()
    held: list[socket.socket] = []
    stop = threading.Event()

    def accept() -> None:
        listener.settimeout(0.2)
        while not stop.is_set():
            try:
                held.append(listener.accept()[0])
            except OSError:
                continue

    thread = threading.Thread(target=accept, daemon=True)
    thread.start()
    yield listener.getsockname()[1]
    stop.set()
    thread.join()
    for connection in held:
        connection.close()
    listener.close()


def test_a_server_that_never_answers_times_out(engine: CatalogHarness, silent_server: int) -> None:
    engine.settings = NetworkSettings(timeout=0.5)
    with pytest.raises(NetworkError, match=f"127.0.0.1:{silent_server} did not send its response headers within 0.5 s"):
        engine.register(RegistryDraft("silent", f"http://127.0.0.1:{silent_server}"))


def test_an_index_over_the_size_limit_is_refused(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    repo = make_repo(gzip_responses=False)
    repo.put("/index.yaml", INDEX + b"#" * 3_000_000)
    engine.settings = NetworkSettings(max_index_bytes=2 * 1024 * 1024)
    with pytest.raises(IndexFormatError, match="larger than the 2 MB limit"):
        engine.register(RegistryDraft("huge", repo.url))
    _nothing_stored(engine)


def test_a_gzip_bomb_stops_at_the_limit(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    import gzip

    bomb = gzip.compress(b"apiVersion: v1\n" + b" " * 200_000_000, compresslevel=9)
    assert len(bomb) < 400_000
    repo = make_repo()
    repo.put("/index.yaml", b"unused")
    repo.faults["/index.yaml"] = Fault(raw_gzip=bomb)
    engine.settings = NetworkSettings(max_index_bytes=5 * 1024 * 1024)
    with pytest.raises(IndexFormatError, match="larger than the 5 MB limit"):
        engine.register(RegistryDraft("bomb", repo.url))


def test_a_truncated_gzip_body_is_an_error(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    import gzip

    repo = make_repo()
    repo.put("/index.yaml", b"unused")
    repo.faults["/index.yaml"] = Fault(raw_gzip=gzip.compress(INDEX)[:-30])
    with pytest.raises(IndexFormatError, match="ended early \\(truncated gzip data\\)"):
        engine.register(RegistryDraft("cut", repo.url))


def test_credentials_follow_a_redirect_only_on_the_same_origin(engine: CatalogHarness, make_repo: MakeRepo) -> None:
    primary = make_repo(auth=("ana", "pw"))
    other_host = make_repo(host="127.0.0.2")
    other_host.put("/mirror/index.yaml", INDEX)
    primary.put("/moved/index.yaml", INDEX)
    primary.redirects["/index.yaml"] = (302, "/moved/index.yaml")
    assert engine.register(RegistryDraft("same", primary.url, username="ana", password="pw")).ok
    assert "authorization" in primary.requests_for("/moved/index.yaml")[-1].headers

    primary.redirects["/index.yaml"] = (301, other_host.url + "/mirror/index.yaml")
    assert engine.register(RegistryDraft("elsewhere", primary.url, username="ana", password="pw")).ok
    assert other_host.requests_for("/mirror/index.yaml")
    assert all("authorization" not in r.headers for r in other_host.requests)


def test_relative_chart_urls_resolve_against_the_endpoint_keeping_its_query(
    engine: CatalogHarness, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    entries = {
        "app": [
            chart_entry("app", "1.0.0", urls=["charts/app-1.0.0.tgz"]),
            chart_entry("app", "0.9.0", urls=["https://cdn.example/app-0.9.0.tgz"]),
        ]
    }
    repo.put("/repo/index.yaml", index_yaml(entries))
    registry = engine.register(RegistryDraft("q", repo.url + "/repo?sig=xyz")).registry
    from desktop.helm.urls import resolve_chart_url

    latest = get_chart_version(engine.db, registry, "app")
    assert [resolve_chart_url(registry.endpoint, u) for u in latest.meta["urls"]] == [
        repo.url + "/repo/charts/app-1.0.0.tgz?sig=xyz"
    ]
    older = get_chart_version(engine.db, registry, "app", "0.9.0")
    assert [resolve_chart_url(registry.endpoint, u) for u in older.meta["urls"]] == [
        "https://cdn.example/app-0.9.0.tgz"
    ]
    assert repo.requests_for("/repo/index.yaml")[0].path == "/repo/index.yaml?sig=xyz"


def test_duplicate_names_and_bad_input_are_refused_before_any_request(
    engine: CatalogHarness, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    repo.put("/index.yaml", INDEX)
    engine.register(RegistryDraft("dup", repo.url))
    with pytest.raises(UserError, match="already exists"):
        engine.register(RegistryDraft("DUP", repo.url))
    for draft, message in [
        (RegistryDraft("bad name!", repo.url), "not a valid name"),
        (RegistryDraft("ok", "ftp://example.com"), "not an http:// or https:// URL"),
        (RegistryDraft("ok", "https://user:pw@example.com"), "not in the endpoint URL"),
        (RegistryDraft("ok", repo.url, username="ana"), "Give the password for 'ana'"),
    ]:
        count = len(repo.requests)
        with pytest.raises(UserError, match=message):
            engine.register(draft)
        assert len(repo.requests) == count


def test_the_password_is_not_in_sqlite_even_in_free_pages(
    engine: CatalogHarness, make_repo: MakeRepo, catalog_path: Path
) -> None:
    repo = make_repo(auth=("bo", "another-Secret-9911"))
    repo.put("/index.yaml", INDEX)
    engine.register(RegistryDraft("p", repo.url, username="bo", password="another-Secret-9911"))
    engine.db.close()
    raw = sqlite3.connect(catalog_path)
    raw.execute("PRAGMA wal_checkpoint(TRUNCATE)")
    raw.close()
    assert b"another-Secret-9911" not in catalog_path.read_bytes()


def test_credentials_never_go_to_chart_urls_on_other_hosts(make_repo: MakeRepo) -> None:
    """Helm's CVE-2021-32690: a chart URL on another host gets no Authorization header."""
    from desktop.net.client import RegistryAccess, RegistryHttp

    registry = make_repo(auth=("ana", "pw"))
    registry.put("/charts/app-1.0.0.tgz", b"archive")
    cdn = make_repo(host="127.0.0.2")
    cdn.put("/app-1.0.0.tgz", b"archive")
    same_host_other_port = make_repo()
    same_host_other_port.put("/app-1.0.0.tgz", b"archive")
    access = RegistryAccess(registry.url + "/charts", "ana", "pw")
    with RegistryHttp(access) as http:
        assert http.get(registry.url + "/charts/app-1.0.0.tgz", max_bytes=1000).body == b"archive"
        http.get(cdn.url + "/app-1.0.0.tgz", max_bytes=1000)
        http.get(same_host_other_port.url + "/app-1.0.0.tgz", max_bytes=1000)
    assert registry.requests[-1].headers["authorization"].startswith("Basic ")
    assert "authorization" not in cdn.requests[-1].headers
    assert "authorization" not in same_host_other_port.requests[-1].headers
    with RegistryHttp(access, NetworkSettings(credentials_to_other_hosts=True)) as http:
        http.get(cdn.url + "/app-1.0.0.tgz", max_bytes=1000)
    assert "authorization" in cdn.requests[-1].headers  # only when the tenant setting allows it
