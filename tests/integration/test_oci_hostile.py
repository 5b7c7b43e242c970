"""An OCI registry that answers with whatever it likes (the adversarial pass): odd tag lists,
manifests and token answers are one line each, endless paging ends, and the password never goes
in clear to a token service beside an HTTPS registry."""

from __future__ import annotations

import base64
import contextlib
import hashlib
import json
from collections.abc import Iterator
from typing import Any

import pytest
import trustme
from hypothesis import HealthCheck, given, settings
from hypothesis import strategies as st

from desktop.errors import RegistryResponseError, UserError
from desktop.net.oci import OciClient
from desktop.net.oci_auth import OciAccess
from desktop.net.settings import NetworkSettings
from desktop.sync.fetch_oci import fetch_oci
from tests.conftest import server_context
from tests.support.hostile_server import Behaviour, HostileServer

SETTINGS = NetworkSettings(timeout=5)
CONFIG = json.dumps({"name": "demo", "version": "0.1.0", "apiVersion": "v2"}).encode()
CONFIG_DIGEST = "sha256:" + hashlib.sha256(CONFIG).hexdigest()
MANIFEST: dict[str, Any] = {
    "schemaVersion": 2,
    "config": {"mediaType": "application/vnd.cncf.helm.config.v1+json", "digest": CONFIG_DIGEST, "size": 1},
    "layers": [{"mediaType": "application/vnd.cncf.helm.chart.content.v1.tar+gzip", "digest": "sha256:" + "0" * 64}],
}


def answer(document: Any, **headers: str) -> Behaviour:
    return Behaviour(json.dumps(document).encode(), headers={"Content-Type": "application/json", **headers})


def serve_registry(server: HostileServer, **overrides: Behaviour) -> None:
    server.paths.clear()
    server.requests.clear()
    server.headers.clear()
    server.paths.update(
        {
            "/v2/": answer({}),
            "/v2/_catalog": answer({"repositories": ["demo"]}),
            "/v2/demo/tags/list": answer({"name": "demo", "tags": ["0.1.0"]}),
            "/v2/demo/manifests/0.1.0": answer(MANIFEST),
            f"/v2/demo/blobs/{CONFIG_DIGEST}": Behaviour(CONFIG),
            **overrides,
        }
    )


@pytest.fixture(scope="module")
def server() -> Iterator[HostileServer]:
    started = HostileServer().start()
    yield started
    started.stop()


def access(server: HostileServer) -> OciAccess:
    return OciAccess(server.url.replace("http://", "oci://"), plain_http=True)


def test_a_well_formed_registry_reads(server: HostileServer) -> None:
    serve_registry(server)
    fetched = fetch_oci(access(server), SETTINGS, (), {})
    assert fetched.parsed is not None and [c.name for c in fetched.parsed.charts] == ["demo"]


@pytest.mark.parametrize(
    "overrides",
    [
        {"/v2/demo/tags/list": answer({"tags": [1, 2]})},
        {"/v2/demo/tags/list": answer({"tags": "0.1.0"})},
        {"/v2/demo/tags/list": answer({"tags": {"0.1.0": True}})},
        {"/v2/_catalog": answer({"repositories": [1]})},
        {"/v2/_catalog": answer({"repositories": {"demo": 1}})},
    ],
    ids=["tags-numbers", "tags-text", "tags-mapping", "repositories-numbers", "repositories-mapping"],
)
def test_a_listing_that_is_not_a_list_of_names_is_refused(
    server: HostileServer, overrides: dict[str, Behaviour]
) -> None:
    serve_registry(server, **overrides)
    with pytest.raises(RegistryResponseError, match="is not a list of names"):
        fetch_oci(access(server), SETTINGS, (), {})


@pytest.mark.parametrize(
    "manifest",
    [
        {**MANIFEST, "layers": "abc"},
        {**MANIFEST, "layers": [1, None]},
        {**MANIFEST, "config": "x"},
        {**MANIFEST, "config": {"mediaType": MANIFEST["config"]["mediaType"]}},  # no digest
        {**MANIFEST, "config": {**MANIFEST["config"], "digest": ["sha256:0"]}},
        {**MANIFEST, "layers": [{**MANIFEST["layers"][0], "digest": {"a": 1}}]},
    ],
    ids=["layers-text", "layers-numbers", "config-text", "config-no-digest", "digest-list", "layer-digest-mapping"],
)
def test_an_odd_manifest_skips_the_version_with_a_warning(server: HostileServer, manifest: dict[str, Any]) -> None:
    serve_registry(server, **{"/v2/demo/manifests/0.1.0": answer(manifest)})
    fetched = fetch_oci(access(server), SETTINGS, (), {})
    assert fetched.parsed is not None and fetched.parsed.version_count == 0
    assert any("skipped demo 0.1.0" in warning for warning in fetched.parsed.warnings)


def test_odd_annotations_are_ignored(server: HostileServer) -> None:
    serve_registry(server, **{"/v2/demo/manifests/0.1.0": answer({**MANIFEST, "annotations": [1, 2]})})
    fetched = fetch_oci(access(server), SETTINGS, (), {})
    assert fetched.parsed is not None and fetched.parsed.version_count == 1


def test_a_paging_loop_ends_with_one_line(server: HostileServer) -> None:
    looping = answer({"tags": ["0.1.0"]}, Link='</v2/demo/tags/list?n=1>; rel="next"')
    serve_registry(server, **{"/v2/demo/tags/list": looping})
    with OciClient(access(server), SETTINGS) as client, pytest.raises(RegistryResponseError, match="a loop"):
        client.tags("demo", page_size=1)
    assert len(server.requests) < 10


@pytest.mark.parametrize(
    ("size", "expected"),
    [(60_000, "The registry answered 500 (line one line two xx"), (100_000, "The registry answered 500 for chart")],
    ids=["long", "larger-than-an-error-document"],
)
def test_the_registrys_own_error_text_is_cut_to_one_short_line(server: HostileServer, size: int, expected: str) -> None:
    """The `message`s of an error answer went into the user's line whole: a registry could fill a
    dialog, or break the one line with its own line breaks; and an answer over 64 KiB was refused
    as if it were a chart ("no chart is that large") instead of reporting the status."""
    errors = {"errors": [{"code": "UNKNOWN", "message": "line one\nline two " + "x" * size}]}
    serve_registry(server, **{"/v2/demo/tags/list": Behaviour(json.dumps(errors).encode(), status="500 Oops")})
    with OciClient(access(server), SETTINGS) as client, pytest.raises(RegistryResponseError) as raised:
        client.tags("demo")
    message = raised.value.message
    assert message.startswith(expected)
    assert "\n" not in message and len(message) < 500


_JSON = st.recursive(
    st.none() | st.booleans() | st.integers() | st.floats(allow_nan=False) | st.text(max_size=20),
    lambda inner: st.lists(inner, max_size=4) | st.dictionaries(st.text(max_size=12), inner, max_size=4),
    max_leaves=12,
)
_PART = st.sampled_from(["tags", "manifest", "catalog"])


@settings(max_examples=60, deadline=None, suppress_health_check=[HealthCheck.function_scoped_fixture])
@given(part=_PART, document=_JSON, key=st.sampled_from(["tags", "repositories", "config", "layers", "annotations"]))
def test_whatever_json_the_registry_sends_is_read_or_one_user_error(
    server: HostileServer, part: str, document: Any, key: str
) -> None:
    path = {"tags": "/v2/demo/tags/list", "manifest": "/v2/demo/manifests/0.1.0", "catalog": "/v2/_catalog"}[part]
    base: dict[str, Any] = {"tags": {"tags": ["0.1.0"]}, "manifest": dict(MANIFEST), "catalog": {}}[part]
    serve_registry(server, **{path: answer({**base, key: document})})
    with contextlib.suppress(UserError):
        fetch_oci(access(server), SETTINGS, (), {})


# --- the token service ---------------------------------------------------------------------------


def _token_challenge(server: HostileServer, realm: str, token_answer: Behaviour) -> None:
    challenge = {"WWW-Authenticate": f'Bearer realm="{realm}"'}
    serve_registry(
        server, **{"/v2/": Behaviour(b"{}", status="401 Unauthorized", headers=challenge), "/token": token_answer}
    )


@pytest.mark.parametrize(
    "token_answer",
    [
        answer({"token": "ab\u00e9\u4e2d"}),
        answer({"token": "ab\r\nX-Injected: 1"}),
        answer({"token": {"a": "b"}}),
        answer({"token": "a" * 100_000}),
    ],
    ids=["not-ascii", "header-injection", "mapping", "huge"],
)
def test_a_token_that_is_no_token_is_one_line(server: HostileServer, token_answer: Behaviour) -> None:
    _token_challenge(server, f"{server.url}/token", token_answer)
    with OciClient(access(server), SETTINGS) as client, pytest.raises(RegistryResponseError, match="with a token"):
        client.ping()


@pytest.mark.parametrize("expires_in", ["soon", "NaN", -100, 0, 1e-9, 1e300, [1], True])
def test_any_token_lifetime_is_read(server: HostileServer, expires_in: object) -> None:
    """A lifetime that is no number or not positive counts as a minute (as in Docker's client); one
    that ends at once still serves the request it was fetched for: the token is sent, and what the
    registry then says is what the user hears."""
    _token_challenge(server, f"{server.url}/token", answer({"token": "abc", "expires_in": expires_in}))
    with OciClient(access(server), SETTINGS) as client, pytest.raises(UserError, match="requires a login"):
        client.ping()
    assert [h.get("authorization") for h, p in zip(server.headers, server.requests, strict=True) if p == "/v2/"][
        -1
    ] == "Bearer abc"


def test_a_token_realm_that_is_no_url_is_one_line(server: HostileServer) -> None:
    _token_challenge(server, "http://[::1", answer({"token": "abc"}))
    with OciClient(access(server), SETTINGS) as client, pytest.raises(RegistryResponseError, match="not a URL"):
        client.ping()


def test_the_password_never_goes_in_clear_to_a_token_service_beside_an_https_registry(ca: trustme.CA) -> None:
    plain = HostileServer().start()  # the same host, plain HTTP: anyone on the wire would read it
    secure = HostileServer(tls=server_context(ca)).start()
    try:
        _token_challenge(secure, f"{plain.url}/token", answer({}))
        plain.paths["/token"] = answer({"token": "abc"})
        https_access = OciAccess(
            secure.url.replace("https://", "oci://"), "carol", "s3cret-pw", ca.cert_pem.bytes().decode()
        )
        with OciClient(https_access, SETTINGS) as client, pytest.raises(UserError):
            client.ping()
        assert plain.requests == ["/token"]
        assert "authorization" not in plain.headers[0]
        # a plain-HTTP registry's own host may have it: the user chose plain HTTP for that host
        _token_challenge(plain, f"{plain.url}/token", answer({"token": "abc"}))
        plain_access = OciAccess(plain.url.replace("http://", "oci://"), "carol", "s3cret-pw", plain_http=True)
        with OciClient(plain_access, SETTINGS) as client, pytest.raises(UserError):
            client.ping()
        sent = [h.get("authorization") for h, p in zip(plain.headers, plain.requests, strict=True) if p == "/token"]
        assert sent[-1] == "Basic " + base64.b64encode(b"carol:s3cret-pw").decode()
    finally:
        plain.stop()
        secure.stop()
