"""How exports refer to a layer's registry: its name, kind and public endpoint (no credentials, no
query string, which may carry a token), or what the layer remembers when the registry was removed."""

from __future__ import annotations

from collections.abc import Mapping
from dataclasses import dataclass
from urllib.parse import urlsplit, urlunsplit

from desktop.errors import ValidationError
from desktop.profiles.model import Layer, clip
from desktop.registry import Registry


@dataclass(frozen=True)
class RegistryRef:
    key: str  # the registry's uid: one repository per registry
    name: str
    kind: str  # helm | oci
    endpoint: str  # public_endpoint() of it
    sync_enabled: bool = True
    private: bool = False  # needs credentials
    ca_pem: str | None = None
    insecure_skip_tls_verify: bool = False
    plain_http: bool = False
    token: bool = False  # the credentials are a token (Authorization: Bearer), not a username and password


def public_endpoint(endpoint: str) -> str:
    """The endpoint as exports show it and imports match it: no query, no trailing slash."""
    try:
        parts = urlsplit(endpoint.strip())
        parts.port  # noqa: B018 - raises ValueError for a port out of range
    except ValueError:
        raise ValidationError(f"'{clip(endpoint)}' is not a valid registry endpoint URL.") from None
    return urlunsplit((parts.scheme.lower(), parts.netloc.lower(), parts.path.rstrip("/"), "", ""))


def registry_ref(layer: Layer, registries: Mapping[str, Registry]) -> RegistryRef:
    registry = registries.get(layer.registry_uid)
    if registry is None:  # removed since: what the layer remembers
        kind = "oci" if layer.registry_endpoint.lower().startswith("oci://") else "helm"
        return RegistryRef(layer.registry_uid, layer.registry_name, kind, public_endpoint(layer.registry_endpoint))
    return RegistryRef(
        registry.uid,
        registry.name,
        registry.kind,
        public_endpoint(registry.endpoint),
        registry.sync_enabled,
        registry.is_private or registry.login_needed,
        registry.ca_pem,
        registry.insecure_skip_tls_verify,
        registry.plain_http,
        registry.token_auth,
    )
