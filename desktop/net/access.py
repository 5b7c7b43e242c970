"""How to reach a registry, from what the catalog (or the user's form) says about it."""

from __future__ import annotations

from typing import TYPE_CHECKING, Protocol

from desktop.net.client import RegistryAccess

if TYPE_CHECKING:
    from desktop.net.oci_auth import OciAccess


class Reachable(Protocol):
    """What a registry and a draft of one both say about reaching it."""

    @property
    def endpoint(self) -> str: ...
    @property
    def username(self) -> str | None: ...
    @property
    def ca_pem(self) -> str | None: ...
    @property
    def insecure_skip_tls_verify(self) -> bool: ...
    @property
    def plain_http(self) -> bool: ...
    @property
    def token_auth(self) -> bool: ...
    @property
    def base_paths(self) -> tuple[str, ...]: ...


def http_access(registry: Reachable, secret: str | None) -> RegistryAccess:
    """A classic repository's endpoint, TLS settings and login (`secret`: its password, or its token)."""
    if registry.token_auth:
        return RegistryAccess(
            registry.endpoint, None, None, registry.ca_pem, registry.insecure_skip_tls_verify, token=secret
        )
    return RegistryAccess(
        registry.endpoint, registry.username, secret, registry.ca_pem, registry.insecure_skip_tls_verify
    )


def oci_access(registry: Reachable, secret: str | None) -> OciAccess:
    """An OCI registry's address, TLS settings and login (`secret`: its password, or its token)."""
    from desktop.net.oci_auth import OciAccess  # here: a classic repository's commands need no OCI client

    token = registry.token_auth
    return OciAccess(
        registry.endpoint,
        None if token else registry.username,
        None if token else secret,
        registry.ca_pem,
        registry.insecure_skip_tls_verify,
        registry.plain_http,
        token=secret if token else None,
        base_paths=registry.base_paths,
    )
