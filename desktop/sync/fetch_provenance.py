"""Downloading a chart version's Helm provenance: `URL.prov` beside a classic repository's archive, or
the provenance layer of an OCI chart, with the archive's TLS and credential rules. No catalog access here."""

from __future__ import annotations

from desktop.cancellation import CancelToken
from desktop.errors import NotFoundError
from desktop.helm.provenance import PROVENANCE_LIMIT, PROVENANCE_MEDIA_TYPE
from desktop.net.settings import NetworkSettings
from desktop.secrets import CredentialStore, registry_password
from desktop.sync.fetch_archive import ArchiveSource


def download_provenance(
    source: ArchiveSource,
    credentials: CredentialStore,
    settings: NetworkSettings,
    cancel: CancelToken | None = None,
) -> bytes | None:
    """The .prov's bytes, or None when the registry has none for this version (404, no layer)."""
    from desktop.net.access import http_access, oci_access
    from desktop.net.client import RegistryHttp

    registry = source.registry
    password = registry_password(credentials, registry, "if_stored")
    if registry.is_oci:
        from desktop.net.oci import OciClient

        with OciClient(oci_access(registry, password), settings, cancel=cancel) as client:
            manifest = client.manifest(source.ref.chart, source.ref.version.replace("+", "_"))
            layers = manifest.get("layers")
            if not isinstance(layers, list):
                return None
            digest = next(
                (
                    layer.get("digest")
                    for layer in layers
                    if isinstance(layer, dict) and layer.get("mediaType") == PROVENANCE_MEDIA_TYPE
                ),
                None,
            )
            if not isinstance(digest, str):
                return None
            return client.blob(source.ref.chart, digest, max_bytes=PROVENANCE_LIMIT)
    with RegistryHttp(http_access(registry, password), settings) as http:
        try:
            return http.get(source.url + ".prov", max_bytes=PROVENANCE_LIMIT, cancel=cancel, what="provenance").body
        except NotFoundError:
            return None
