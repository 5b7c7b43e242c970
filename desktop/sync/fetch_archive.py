"""Downloading one chart version's archive from its registry, with the registry's TLS and credential
rules, checked against the digest the index states, readable as a chart and named as the index names
it. No catalog access here."""

from __future__ import annotations

import hashlib
import sqlite3
from dataclasses import dataclass

from desktop.cancellation import CancelToken
from desktop.catalog.archives import ChartRef
from desktop.catalog.charts import get_chart_version
from desktop.errors import NotFoundError
from desktop.helm.chart_archive import ChartArchiveError, check_chart_name, read_chart_files
from desktop.helm.urls import resolve_chart_url
from desktop.net.settings import NetworkSettings
from desktop.registry import Registry
from desktop.secrets import CredentialStore, registry_password


@dataclass(frozen=True)
class ArchiveSource:
    """Where a chart version's archive comes from, read from the snapshot."""

    registry: Registry
    ref: ChartRef
    url: str
    digest: str


def archive_source(db: sqlite3.Connection, registry: Registry, chart: str, version: str) -> ArchiveSource:
    detail = get_chart_version(db, registry, chart, version)
    urls = detail.meta.get("urls") or []
    if not urls:
        raise NotFoundError(f"{registry.name}/{chart} {version} lists no download URL in its index.")
    url = urls[0] if registry.is_oci else resolve_chart_url(registry.endpoint, urls[0])
    digest = str(detail.meta.get("digest", ""))
    mirror = site_mirror(db, registry)
    if mirror is not None and digest:  # a subscription brings this registry: its site's registry serves the archives
        try:
            get_chart_version(db, mirror, chart, detail.version)  # the subscription lists what the site holds
        except NotFoundError:
            raise NotFoundError(
                f"{chart} {detail.version} is not in the site's registry ({mirror.endpoint}): the bundle"
                " published there did not carry it; ask for it in the next bundle (or `chartkeeper mirror` it there)."
            ) from None
        url = f"{mirror.endpoint}/{chart}:{detail.version.replace('+', '_')}"
        return ArchiveSource(mirror, ChartRef(registry.uid, chart, detail.version), url, digest.removeprefix("sha256:"))
    ref = ChartRef(registry.uid, chart, detail.version)  # the exact version, when `version` was a constraint
    return ArchiveSource(registry, ref, url, digest)


def site_mirror(db: sqlite3.Connection, registry: Registry) -> Registry | None:
    """The subscription whose catalog brings `registry`, when there is one."""
    from desktop.catalog.origins import subscription_of
    from desktop.catalog.registries import get_registry_by_id

    subscription_id = subscription_of(db, registry.id)
    return get_registry_by_id(db, subscription_id) if subscription_id is not None else None


def download_archive(
    source: ArchiveSource,
    credentials: CredentialStore,
    settings: NetworkSettings,
    cancel: CancelToken | None = None,
) -> bytes:
    """The archive's bytes, checked: digest as the index states it, readable as a chart, and the
    chart asked for (its top folder and Chart.yaml name it)."""
    from desktop.net.access import http_access, oci_access
    from desktop.net.client import CHART_ARCHIVE_LIMIT, RegistryHttp
    from desktop.net.oci import OciClient

    registry = source.registry
    password = registry_password(credentials, registry, "if_stored")
    if registry.is_oci:
        with OciClient(oci_access(registry, password), settings, cancel=cancel) as client:
            body = client.blob(source.ref.chart, f"sha256:{source.digest}", max_bytes=CHART_ARCHIVE_LIMIT)
    else:
        with RegistryHttp(http_access(registry, password), settings) as http:
            body = http.get(source.url, max_bytes=CHART_ARCHIVE_LIMIT, cancel=cancel, what="chart").body
    if source.digest and hashlib.sha256(body).hexdigest() != source.digest.lower():
        raise ChartArchiveError(
            f"The downloaded archive of {source.ref.chart} {source.ref.version} does not match the digest in "
            "the index: it was changed or damaged on the way; try again, or ask the registry's administrator."
        )
    # An OCI chart named with its base path (team-a/charts/web) is the chart its last part names.
    own_name = source.ref.chart.rpartition("/")[2] if registry.is_oci else source.ref.chart
    check_chart_name(read_chart_files(body), own_name, f"{source.ref.chart} {source.ref.version}")
    return body
