"""A chart version's files (values.yaml, README, Chart.yaml, schema): from the content cache, or
downloaded from its registry with the registry's TLS and credential rules, digest checked."""

from __future__ import annotations

import hashlib
import sqlite3
import time
from collections.abc import Callable
from dataclasses import dataclass

from desktop.cancellation import CancelToken
from desktop.catalog.archives import ChartRef, cached_archive, pin, store_archive
from desktop.catalog.charts import get_chart_version
from desktop.errors import NotFoundError
from desktop.helm.chart_archive import ChartArchiveError, ChartFiles, read_chart_files
from desktop.helm.urls import resolve_chart_url
from desktop.net.client import CHART_ARCHIVE_LIMIT, RegistryHttp
from desktop.net.oci import OciClient
from desktop.net.settings import NetworkSettings
from desktop.registry import Registry
from desktop.secrets import CredentialStore


@dataclass(frozen=True)
class ArchiveSource:
    """Where a chart version's archive comes from, read from the snapshot."""

    ref: ChartRef
    url: str
    digest: str


def archive_source(db: sqlite3.Connection, registry: Registry, chart: str, version: str) -> ArchiveSource:
    detail = get_chart_version(db, registry, chart, version)
    urls = detail.meta.get("urls") or []
    if not urls:
        raise NotFoundError(f"{registry.name}/{chart} {version} lists no download URL in its index.")
    url = urls[0] if registry.is_oci else resolve_chart_url(registry.endpoint, urls[0])
    return ArchiveSource(ChartRef(registry.uid, chart, version), url, str(detail.meta.get("digest", "")))


def download_archive(
    registry: Registry,
    source: ArchiveSource,
    credentials: CredentialStore,
    settings: NetworkSettings,
    cancel: CancelToken | None = None,
) -> bytes:
    """The archive's bytes, checked: digest as the index states it, and readable as a chart."""
    password = credentials.get_password(registry.uid) if registry.username else None
    if registry.is_oci:
        with OciClient(registry.oci_access(password), settings, cancel=cancel) as client:
            body = client.blob(source.ref.chart, f"sha256:{source.digest}", max_bytes=CHART_ARCHIVE_LIMIT)
    else:
        with RegistryHttp(registry.access(password), settings) as http:
            body = http.get(source.url, max_bytes=CHART_ARCHIVE_LIMIT, cancel=cancel).body
    if source.digest and hashlib.sha256(body).hexdigest() != source.digest.lower():
        raise ChartArchiveError(
            f"The downloaded archive of {source.ref.chart} {source.ref.version} does not match the digest in "
            "the index: it was changed or damaged on the way; try again, or ask the registry's administrator."
        )
    read_chart_files(body)
    return body


class ChartContent:
    """For one thread that may write the catalog (the CLI): cache first, then the network."""

    def __init__(
        self,
        db: sqlite3.Connection,
        credentials: CredentialStore,
        settings: NetworkSettings,
        clock: Callable[[], float] = time.time,
    ) -> None:
        self.db = db
        self.credentials = credentials
        self.settings = settings
        self.clock = clock

    def archive(self, registry: Registry, chart: str, version: str, cancel: CancelToken | None = None) -> bytes:
        cached = cached_archive(self.db, ChartRef(registry.uid, chart, version))
        if cached is not None:
            return cached  # even when the version has since left the snapshot
        source = archive_source(self.db, registry, chart, version)
        data = download_archive(registry, source, self.credentials, self.settings, cancel)
        store_archive(self.db, source.ref, source.digest, data, self.clock())
        return data

    def files(self, registry: Registry, chart: str, version: str) -> ChartFiles:
        return read_chart_files(self.archive(registry, chart, version))

    def pin(self, registry: Registry, chart: str, version: str) -> None:
        """Keep this version offline: fetch its archive now (a pin without content is useless)."""
        self.archive(registry, chart, version)
        pin(self.db, ChartRef(registry.uid, chart, version), self.clock())
