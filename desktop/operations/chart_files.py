"""A chart version's files (values.yaml, README, schema) from the content cache or its registry, and
keeping versions offline: pin, unpin, fetching what pins and profiles need, removing an offline copy,
and clearing what no profile uses."""

from __future__ import annotations

import logging
import sqlite3
from dataclasses import dataclass, field

from desktop.cancellation import CancelToken
from desktop.catalog.archives import (
    ChartRef,
    cached_archive,
    clear_unused_archives,
    discard_archive,
    missing_offline,
    pin,
    profiles_using,
    store_archive,
    unpin,
)
from desktop.catalog.provenance import store_provenance
from desktop.catalog.registries import find_registry_by_uid, get_registry_by_id
from desktop.errors import UserError
from desktop.helm.chart_archive import ChartFiles, read_chart_files
from desktop.operations.provenance import OFF, REQUIRE, fetched_verdict, require_verified, version_provenance
from desktop.operations.services import Services
from desktop.registry import Registry
from desktop.sync.fetch_archive import ArchiveSource, archive_source, download_archive
from desktop.trust.openpgp import Verdict

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class LocatedArchive:
    """A version's archive as the catalog knows it: its bytes when cached, else where to fetch them."""

    registry: Registry
    cached: bytes | None
    source: ArchiveSource | None


@dataclass
class OfflineReport:
    fetched: list[ChartRef] = field(default_factory=list)
    failed: list[tuple[ChartRef, str]] = field(default_factory=list)


def chart_archive(
    services: Services, registry_id: int, chart: str, version: str, *, cancel: CancelToken | None = None
) -> bytes:
    """The archive: from the cache (even when the version has since left the snapshot), else
    downloaded, checked and cached."""
    located = services.catalog(locate_archive, registry_id, chart, version)
    if located.cached is not None:
        return located.cached
    assert located.source is not None
    data = download_archive(located.source, services.credentials, services.network, cancel)
    services.catalog(keep_archive, located.source, data, services.clock())
    return data


def chart_files(
    services: Services, registry_id: int, chart: str, version: str, *, cancel: CancelToken | None = None
) -> ChartFiles:
    return read_chart_files(chart_archive(services, registry_id, chart, version, cancel=cancel))


def chart_provenance(
    services: Services, registry_id: int, chart: str, version: str, *, cancel: CancelToken | None = None
) -> Verdict:
    """Who signed this version, as Helm verifies it (its archive and .prov fetched and kept when missing)."""
    archive = chart_archive(services, registry_id, chart, version, cancel=cancel)
    return version_provenance(services, registry_id, chart, version, archive, cancel=cancel)


def kept_chart_provenance(
    services: Services, registry_id: int, chart: str, version: str, *, cancel: CancelToken | None = None
) -> Verdict | None:
    """The provenance of a version whose archive is kept here (None when it is not: nothing is downloaded
    but its .prov, when not yet read)."""
    located = services.catalog(locate_archive, registry_id, chart, version)
    if located.cached is None:
        return None
    return version_provenance(services, registry_id, chart, version, located.cached, cancel=cancel)


def check_chart_provenance(
    services: Services, registry_id: int, chart: str, version: str, refused: str, *, label: str = ""
) -> Verdict | None:
    """The version's provenance under the tenant's `chart_provenance` rule: None when it is off (or,
    under report, when the .prov cannot be read now); under require, anything unverified refuses
    `refused` in one line."""
    rule = services.settings.chart_provenance
    if rule == OFF:
        return None
    try:
        verdict = chart_provenance(services, registry_id, chart, version)
    except UserError as exc:
        if rule == REQUIRE:
            raise
        log.info("could not check the provenance of %s %s: %s", chart, version, exc)
        return None
    if not label:
        label = f"{services.catalog(get_registry_by_id, registry_id).name}/{chart} {version}"
    require_verified(services, label, verdict, refused)
    return verdict


def pin_version(services: Services, registry_id: int, chart: str, version: str) -> ChartRef:
    """Keep this version offline: fetch its archive now (a pin without content is useless); under
    chart_provenance require, only a version a trusted key signed."""
    chart_archive(services, registry_id, chart, version)
    check_chart_provenance(services, registry_id, chart, version, "keeping it offline")
    return services.catalog(pin_step, registry_id, chart, version, services.clock())


def unpin_version(services: Services, registry_id: int, chart: str, version: str) -> bool:
    """Let the cache evict this version again (a profile that uses it still keeps it). True when it
    was pinned."""
    return services.catalog(unpin_step, registry_id, chart, version)


def keep_offline(services: Services, *, cancel: CancelToken | None = None) -> OfflineReport:
    """Fetch every pinned or profile-used version not yet cached; what cannot be reached now is
    tried again later."""
    report = OfflineReport()
    for source in services.catalog(missing_offline_sources):
        if cancel is not None and cancel.cancelled:
            break
        try:
            data = download_archive(source, services.credentials, services.network, cancel)
            provenance = _kept_provenance(services, source, data, cancel)
            services.catalog(keep_archive, source, data, services.clock())
            if provenance is not None:
                services.catalog(store_provenance, source.ref, provenance[0], services.clock())
        except UserError as exc:
            log.info("could not keep %s %s offline yet: %s", source.ref.chart, source.ref.version, exc)
            report.failed.append((source.ref, exc.message))
        else:
            report.fetched.append(source.ref)
    return report


def _kept_provenance(
    services: Services, source: ArchiveSource, data: bytes, cancel: CancelToken | None
) -> tuple[bytes | None] | None:
    """The .prov to keep beside an archive about to be kept offline (None: not read); under require,
    an archive no trusted key signed is refused."""
    rule = services.settings.chart_provenance
    if rule == OFF:
        return None
    try:
        verdict, provenance = fetched_verdict(services, source, data, cancel=cancel)
    except UserError:
        if rule == REQUIRE:
            raise
        return None
    label = f"{source.ref.chart} {source.ref.version}"
    require_verified(services, label, verdict, "keeping it offline")
    log.info("%s is %s", label, verdict)
    return (provenance,)


# --- catalog steps ---------------------------------------------------------------------------------


def locate_archive(db: sqlite3.Connection, registry_id: int, chart: str, version: str) -> LocatedArchive:
    registry = get_registry_by_id(db, registry_id)
    cached = cached_archive(db, ChartRef(registry.uid, chart, version))
    if cached is not None:
        return LocatedArchive(registry, cached, None)
    return LocatedArchive(registry, None, archive_source(db, registry, chart, version))


def keep_archive(db: sqlite3.Connection, source: ArchiveSource, data: bytes, now: float) -> None:
    store_archive(db, source.ref, source.digest, data, now)


def pin_step(db: sqlite3.Connection, registry_id: int, chart: str, version: str, now: float) -> ChartRef:
    ref = ChartRef(get_registry_by_id(db, registry_id).uid, chart, version)
    pin(db, ref, now)
    return ref


def unpin_step(db: sqlite3.Connection, registry_id: int, chart: str, version: str) -> bool:
    return unpin(db, ChartRef(get_registry_by_id(db, registry_id).uid, chart, version))


def missing_offline_sources(db: sqlite3.Connection) -> list[ArchiveSource]:
    sources = []
    for ref in missing_offline(db):
        registry = find_registry_by_uid(db, ref.registry_uid)
        if registry is None:
            continue
        try:
            sources.append(archive_source(db, registry, ref.chart, ref.version))
        except UserError:
            continue  # no longer in the snapshot: the layer is flagged, nothing to fetch
    return sources


# --- the offline copy of one version, and the cache as a whole -------------------------------------


@dataclass(frozen=True)
class OfflineCopyRemoval:
    """What Remove offline copy did: the pin it dropped, the archive it deleted, or the profiles
    that keep the archive here all the same."""

    ref: ChartRef
    unpinned: bool
    discarded: bool
    kept_for: tuple[str, ...]


def remove_offline_copy(services: Services, registry_id: int, chart: str, version: str) -> OfflineCopyRemoval:
    """Unpin a version and delete its cached archive, unless a profile uses it (it then stays)."""
    return services.catalog(remove_offline_copy_step, registry_id, chart, version)


def clear_unused_cache(services: Services) -> tuple[int, int]:
    """Delete the cached archives that no profile uses and nobody pinned: (count, bytes)."""
    return services.catalog(clear_unused_archives)


def remove_offline_copy_step(db: sqlite3.Connection, registry_id: int, chart: str, version: str) -> OfflineCopyRemoval:
    ref = ChartRef(get_registry_by_id(db, registry_id).uid, chart, version)
    unpinned = unpin(db, ref)
    discarded = discard_archive(db, ref)
    return OfflineCopyRemoval(ref, unpinned, discarded, tuple(profiles_using(db, ref)))
