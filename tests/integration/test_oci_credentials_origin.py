"""The user's OCI credentials stay on the registry's origin: a redirect target's Bearer challenge is
never answered with them, and a token service's certificate is checked even beside a plain-HTTP
registry (two real servers on two 127.0.0.x addresses)."""

from __future__ import annotations

import base64
import hashlib
import json
from collections.abc import Iterator

import pytest
import trustme

from desktop.errors import AuthError, UserError
from desktop.net.oci import OciClient
from desktop.net.oci_auth import OciAccess
from desktop.net.settings import NetworkSettings
from tests.conftest import server_context
from tests.support.hostile_server import Behaviour, HostileServer

SETTINGS = NetworkSettings(timeout=5)
BLOB = b"chart bytes"
DIGEST = "sha256:" + hashlib.sha256(BLOB).hexdigest()
BASIC = "Basic " + base64.b64encode(b"alice:secret").decode()


@pytest.fixture
def servers(ca: trustme.CA) -> Iterator[tuple[HostileServer, HostileServer]]:
    registry = HostileServer("127.0.0.1").start()
    other = HostileServer("127.0.0.2", tls=server_context(ca, "127.0.0.2")).start()
    yield registry, other
    registry.stop()
    other.stop()


def token(server: HostileServer) -> Behaviour:
    return Behaviour(json.dumps({"token": "t0k3n"}).encode(), headers={"Content-Type": "application/json"})


def test_a_redirect_targets_bearer_challenge_never_gets_the_password(
    servers: tuple[HostileServer, HostileServer],
) -> None:
    registry, other = servers
    registry.paths[f"/v2/demo/blobs/{DIGEST}"] = Behaviour(
        status="307 Temporary Redirect", headers={"Location": f"{other.url}/storage/blob"}
    )
    other.paths["/storage/blob"] = Behaviour(
        b"login", status="401 Unauthorized", headers={"WWW-Authenticate": f'Bearer realm="{other.url}/token"'}
    )
    other.paths["/token"] = token(other)
    access = OciAccess(registry.url.replace("http://", "oci://"), username="alice", password="secret", plain_http=True)
    with OciClient(access, SETTINGS) as client, pytest.raises(AuthError) as refused:
        client.blob("demo", DIGEST)
    assert "/storage/blob" in other.requests  # the redirect was followed
    assert "/token" not in other.requests
    assert all(headers.get("authorization") != BASIC for headers in other.headers)
    assert "127.0.0.2" in str(refused.value) and "\n" not in str(refused.value)


def test_a_token_service_certificate_is_checked_beside_a_plain_http_registry(
    servers: tuple[HostileServer, HostileServer],
) -> None:
    registry, other = servers
    registry.paths["/v2/"] = Behaviour(
        b"login", status="401 Unauthorized", headers={"WWW-Authenticate": f'Bearer realm="{other.url}/token"'}
    )
    other.paths["/token"] = token(other)
    access = OciAccess(registry.url.replace("http://", "oci://"), username="alice", password="secret", plain_http=True)
    with OciClient(access, SETTINGS) as client, pytest.raises(UserError, match=r"(?i)certificate"):
        client.ping()  # the token service's certificate is signed by a CA this client was not given
    assert all(headers.get("authorization") != BASIC for headers in other.headers)
