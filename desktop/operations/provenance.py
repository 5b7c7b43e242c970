"""Helm provenance of a chart version: its .prov fetched beside the archive and kept with it, judged with
Helm's semantics (the clear-signed Chart.yaml and the archive's sha256) against the trusted keys, and
the tenant's `chart_provenance` rule (off | report | require)."""

from __future__ import annotations

import sqlite3
from dataclasses import dataclass

from desktop.cancellation import CancelToken
from desktop.catalog.archives import ChartRef
from desktop.catalog.provenance import cached_provenance, store_provenance
from desktop.catalog.registries import get_registry_by_id
from desktop.errors import UserError
from desktop.helm.provenance import archive_file_name, signed_archive_problem
from desktop.operations.services import Services
from desktop.sync.fetch_archive import ArchiveSource, archive_source
from desktop.trust.keys import trusted_keys
from desktop.trust.openpgp import BAD, UNSIGNED, VERIFIED, PublicKey, Verdict, verify_cleartext

OFF, REPORT, REQUIRE = "off", "report", "require"


class ProvenanceError(UserError):
    """A chart refused because its provenance is not verified (chart_provenance is require)."""


@dataclass(frozen=True)
class KnownProvenance:
    """What the catalog holds of a version's provenance, and where to fetch it when it holds nothing."""

    ref: ChartRef
    fetched: bool
    data: bytes | None
    source: ArchiveSource | None
    file_name: str


def judge_provenance(archive: bytes, provenance: bytes | None, file_name: str, keys: list[PublicKey]) -> Verdict:
    """Helm's verdict: the .prov's clear signature against the trusted keys, then the signed `files:`
    entry for `file_name` against the archive's sha256."""
    if provenance is None:
        return Verdict(UNSIGNED)
    verdict, text = verify_cleartext(provenance, keys)
    if verdict.state != VERIFIED:
        return verdict
    problem = signed_archive_problem(text, archive, file_name)
    return Verdict(BAD, verdict.fingerprint, verdict.key, problem) if problem else verdict


def version_provenance(
    services: Services,
    registry_id: int,
    chart: str,
    version: str,
    archive: bytes,
    *,
    cancel: CancelToken | None = None,
) -> Verdict:
    """The verdict on a version whose archive is `archive`: the kept .prov, else fetched now and kept."""
    return provenance_of(services, registry_id, chart, version, archive, cancel=cancel)[0]


def provenance_of(
    services: Services,
    registry_id: int,
    chart: str,
    version: str,
    archive: bytes,
    *,
    cancel: CancelToken | None = None,
    fetch: bool = True,
) -> tuple[Verdict, bytes | None]:
    """The verdict and the .prov itself (None: the registry has none), kept beside a cached archive;
    without `fetch`, only what is kept here is judged (nothing kept reads as not signed)."""
    from desktop.sync.fetch_provenance import download_provenance

    known = services.catalog(known_provenance, registry_id, chart, version)
    data = known.data
    if fetch and not known.fetched and known.source is not None:
        data = download_provenance(known.source, services.credentials, services.network, cancel)
        services.catalog(store_provenance, known.ref, data, services.clock())
    return judge_provenance(archive, data, known.file_name, _trusted(services)), data


def fetched_verdict(
    services: Services, source: ArchiveSource, archive: bytes, *, cancel: CancelToken | None = None
) -> tuple[Verdict, bytes | None]:
    """The verdict on an archive just downloaded from `source`, and its .prov (fetched now, not kept)."""
    from desktop.sync.fetch_provenance import download_provenance

    data = download_provenance(source, services.credentials, services.network, cancel)
    url = source.url if not source.registry.is_oci else ""
    name = archive_file_name(url, source.ref.chart, source.ref.version)
    return judge_provenance(archive, data, name, _trusted(services)), data


def trusted_for(services: Services) -> list[PublicKey]:
    """The site's trusted keys, read once for many verdicts."""
    return _trusted(services)


def _trusted(services: Services) -> list[PublicKey]:
    return trusted_keys(services.keys_folder) if services.keys_folder is not None else []


def require_verified(services: Services, label: str, verdict: Verdict, refused: str) -> None:
    """Under `require`, anything but a verified provenance refuses `refused` (what was asked) in one line."""
    if services.settings.chart_provenance == REQUIRE and not verdict.verified:
        raise ProvenanceError(
            f"{label} is {verdict}: this site keeps, uses and bundles only charts a trusted key signed"
            f" (chart_provenance is require), so {refused} is refused."
        )


# --- catalog steps ---------------------------------------------------------------------------------


def known_provenance(db: sqlite3.Connection, registry_id: int, chart: str, version: str) -> KnownProvenance:
    registry = get_registry_by_id(db, registry_id)
    ref = ChartRef(registry.uid, chart, version)
    fetched, data = cached_provenance(db, ref)
    try:
        source: ArchiveSource | None = archive_source(db, registry, chart, version)
    except UserError:
        source = None  # the version left the snapshot: only what was kept can be judged
    url = source.url if source is not None and source.registry.uid == registry.uid and not registry.is_oci else ""
    return KnownProvenance(ref, fetched, data, source, archive_file_name(url, chart, version))
