"""Import a bundle: verify all of it first, then change the catalog in one transaction — registries
(added, or given the newer of two snapshots by the rules of any sync), chart archives checked against
their snapshot, pins, profiles — and say what happened. A dry run does all of it and rolls it back.

The rules, in the order they apply:
- A bundle's registry is the one here with the same endpoint (and kind); else a new one, under its
  name — or, when a registry here has that name with another endpoint, under `NAME-bundle` (then
  `NAME-bundle-2`, …): that clash is reported. A new one has no login (none is carried) and is not
  synced with its own endpoint until the user syncs it by hand.
- The newer snapshot wins: the bundle's replaces one taken earlier, through `write_snapshot` (what
  leaves is marked removed, not deleted) and the sync's held-shrink rule (`--accept-removals`).
  A registry here keeps its settings, login and certificate, whatever the bundle says.
- A profile is added; or updated when a bundle brought it and the user has not edited it since;
  else the bundle's is added as `NAME (bundle)` and the clash reported — never overwritten."""

from __future__ import annotations

import os
import sqlite3
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from functools import partial
from pathlib import Path
from typing import Any

from desktop.bundle.catalog_reader import BundleCatalog, LayerSource, read_catalog
from desktop.bundle.catalog_records import ArchiveRecord, ProfileRecord, RegistryRecord, parse_chart_files
from desktop.bundle.errors import BundleError
from desktop.bundle.helm_artifact import oci_tag
from desktop.bundle.layout_reader import LayoutArtifact, VerifiedLayout, open_layout
from desktop.bundle.media_types import HELM_CHART, HELM_PROVENANCE, PROFILE_IMAGES
from desktop.bundle.snapshot_shards import MAX_SHARD_BYTES, ParsedShard, parse_shard
from desktop.cancellation import CancelToken
from desktop.catalog import bundle_rows
from desktop.catalog.archives import ChartRef
from desktop.catalog.db import transaction
from desktop.catalog.image_records import remember_image_blobs, set_profile_images
from desktop.catalog.origins import (
    BUNDLE,
    SUBSCRIBED,
    mark_login_needed,
    profile_fingerprints,
    registry_origin,
    remember_layers,
    set_profile_origin,
    set_registry_origin,
)
from desktop.catalog.profiles import find_profile, list_profiles, write_profile
from desktop.catalog.provenance import cached_provenance, put_provenance
from desktop.catalog.registries import find_registry, insert_registry, list_registries
from desktop.catalog.snapshots import SnapshotDiff, write_snapshot
from desktop.catalog.sync_records import RunOutcome, finish_run, insert_run, sync_state
from desktop.errors import ValidationError
from desktop.helm.index import ChartDocument, ParsedIndex
from desktop.net.client import CHART_ARCHIVE_LIMIT, Download
from desktop.operations.bundle_catalog import (
    chart_shard,
    digest_of,
    profile_fingerprint,
    profile_record,
    public_endpoint,
    shard_digests,
)
from desktop.operations.bundle_signing import check_bundle_signature
from desktop.operations.services import Services
from desktop.operations.sync_run import ShrinkRule, hold_reason
from desktop.profiles.model import NAME_MAX, Layer, Profile
from desktop.registry import NAME_MAX as REGISTRY_NAME_MAX
from desktop.registry import Registry, RegistryDraft
from desktop.settings import DEFAULT_SHRINK_THRESHOLD_PERCENT
from desktop.sync.fetch_index import FetchedIndex

Progress = Callable[[str, int, int | None], None]  # (phase, done, total): "verify", "catalog", "archives"
MAX_CONFIG_BYTES = 4 * 1024 * 1024


@dataclass
class RegistryOutcome:
    name: str  # here
    bundle_name: str
    action: str  # added | updated | unchanged | kept | held
    versions: int = 0  # in the snapshot the registry has now
    diff: SnapshotDiff = field(default_factory=SnapshotDiff)
    detail: str = ""


@dataclass
class ImportSummary:
    bundle_date: float
    dry_run: bool = False
    registries: list[RegistryOutcome] = field(default_factory=list)
    archives_stored: int = 0
    archives_present: int = 0
    pins: int = 0
    profiles: list[tuple[str, str]] = field(default_factory=list)  # (name here, added | updated | unchanged)
    conflicts: list[str] = field(default_factory=list)
    notes: list[str] = field(default_factory=list)
    # (profile, what did not come): archives the bundle records as left out that a profile's layers use
    incomplete: list[tuple[str, str]] = field(default_factory=list)
    signature: str | None = None  # who signed the bundle, as judged against the trusted keys
    mirror_items: dict[str, list[dict[str, Any]]] = field(default_factory=dict, repr=False)

    def count(self, action: str) -> int:
        return sum(1 for outcome in self.registries if outcome.action == action)


def summary_lines(summary: ImportSummary) -> list[str]:
    """The summary as people read it, in the CLI and in the window."""
    from desktop.bundle.origin_text import bundle_day

    head = "Dry run: nothing was changed. The import would do this" if summary.dry_run else "Imported"
    lines = [f"{head} — bundle of {bundle_day(summary.bundle_date)}:"]
    if summary.signature is not None:
        lines.append(f"  signature: {summary.signature}")
    for outcome in summary.registries:
        d = outcome.diff
        counts = f"{outcome.versions:,} versions"
        if outcome.action in ("added", "updated"):
            counts += (
                f" ({len(d.added):,} added, {len(d.removed):,} marked removed upstream, {len(d.changed):,} changed)"
            )
        detail = f" — {outcome.detail}" if outcome.detail and outcome.action != "held" else ""
        lines.append(f"  registry {outcome.name}: {outcome.action}, {counts}{detail}")
    lines.append(
        f"  chart archives: {summary.archives_stored:,} stored, {summary.archives_present:,} already here, "
        f"{summary.pins:,} pinned"
    )
    lines.extend(f"  profile {name}: {result}" for name, result in summary.profiles)
    lines.extend(
        f"  incomplete: profile {name} needs {what}, which the bundle does not carry: bring it in a new bundle"
        for name, what in summary.incomplete
    )
    lines.extend(f"  conflict: {conflict}" for conflict in summary.conflicts)
    lines.extend(f"  note: {note}" for note in summary.notes)
    return lines


@dataclass(frozen=True)
class ImportOptions:
    dry_run: bool = False
    accept_removals: bool = False
    shrink_threshold_percent: float = DEFAULT_SHRINK_THRESHOLD_PERCENT
    origin_kind: str = BUNDLE  # or SUBSCRIBED
    origin_source: str = ""  # the bundle's file name, or the subscription's registry uid
    trigger: str = "bundle"
    mirror: str | None = None  # a subscription: where the site's registry serves each chart (oci://HOST/PATH)


@dataclass(frozen=True)
class CarriedChart:
    """A chart archive of the bundle, as its archive list names it, checked against its artifact."""

    record: ArchiveRecord
    present: bool  # its .tgz is in the file; False when a delta leaves it out
    size: int = 0
    provenance_layer: str | None = None  # the digest of its Helm provenance layer, when it carries one
    provenance: bytes | None = None  # that layer, read before the import (chart_provenance on)
    judged: bool = False  # read: the archive is kept with its provenance, or as not signed when it has none


class LayoutLayers:
    """A verified layout's blobs, read with a size limit and checked again as they are read."""

    def __init__(self, layout: VerifiedLayout) -> None:
        self.layout = layout

    def read(self, digest: str, max_bytes: int) -> bytes | None:
        return self.layout.read_blob(digest, max_bytes) if self.layout.has_blob(digest) else None


class _DryRun(Exception):
    def __init__(self, summary: ImportSummary) -> None:
        super().__init__("dry run")
        self.summary = summary


# --- the operations --------------------------------------------------------------------------------


def inspect_bundle(
    path: Path, *, cancel: CancelToken | None = None, progress: Progress | None = None
) -> tuple[VerifiedLayout, BundleCatalog]:
    """Verify every blob of the bundle and read its catalog; nothing touches the catalog here."""
    layout = open_layout(path, cancel=cancel, progress=_verify_progress(progress))
    return layout, read_layout_catalog(layout)


def import_bundle(
    services: Services,
    path: Path,
    *,
    dry_run: bool = False,
    accept_removals: bool = False,
    cancel: CancelToken | None = None,
    progress: Progress | None = None,
) -> ImportSummary:
    """Verify the bundle and its signature (under the tenant's bundle_signatures rule), then import
    it in one transaction (rolled back for a dry run)."""
    layout, catalog = inspect_bundle(path, cancel=cancel, progress=progress)
    verdict = check_bundle_signature(layout, services.keys_folder, services.settings.bundle_signatures)
    carried = check_carried_provenance(services, layout, carried_charts(layout, catalog))
    options = ImportOptions(
        dry_run=dry_run,
        accept_removals=accept_removals,
        shrink_threshold_percent=services.settings.shrink_threshold_percent,
        origin_source=path.name,
    )
    summary = services.catalog(
        apply_import, catalog, LayoutLayers(layout), layout, carried, options, services.clock(), cancel, progress
    )
    if verdict is not None:
        summary.signature = str(verdict)
    return summary


def read_layout_catalog(layout: VerifiedLayout) -> BundleCatalog:
    artifact = layout.catalog
    config = layout.read_blob(artifact.config.digest, MAX_CONFIG_BYTES)
    return read_catalog(artifact.config, config, artifact.layers, LayoutLayers(layout))


def carried_charts(layout: VerifiedLayout, catalog: BundleCatalog) -> tuple[CarriedChart, ...]:
    """The archive list matched to the layout's chart artifacts, one for one."""
    charts = {artifact.ref_name: artifact for artifact in layout.charts}
    carried = []
    for record in catalog.archives:
        artifact = charts.pop(record.ref, None)
        if artifact is None:
            raise BundleError(f"The bundle lists archive {record.ref[:80]} but holds no such chart: refused.")
        layer = _chart_layer(artifact)
        if layer != record.digest or not record.ref.endswith(f"/{record.chart}:{oci_tag(record.version)}"):
            raise BundleError(
                f"The chart artifact {record.ref[:80]} is not the archive the bundle's list names: refused."
            )
        size = next(item.size for item in artifact.layers if item.digest == layer)
        prov = next((item.digest for item in artifact.layers if item.media_type == HELM_PROVENANCE), None)
        carried.append(CarriedChart(record, layout.has_blob(record.digest), size, prov))
    if charts:
        raise BundleError(f"The bundle holds chart {min(charts)[:80]} that its archive list does not name: refused.")
    return tuple(carried)


def check_carried_provenance(
    services: Services, layout: VerifiedLayout, carried: tuple[CarriedChart, ...]
) -> tuple[CarriedChart, ...]:
    """Each carried archive's provenance layer, judged again here under the tenant's chart_provenance
    rule: under require, an archive no trusted key signed refuses the bundle before the catalog is touched."""
    from desktop.helm.provenance import PROVENANCE_LIMIT, archive_file_name
    from desktop.operations.provenance import OFF, REQUIRE, judge_provenance, trusted_for

    rule = services.settings.chart_provenance
    if rule == OFF:
        return carried
    keys = trusted_for(services)
    judged = []
    for item in carried:
        record = item.record
        prov = None
        if item.provenance_layer is not None and layout.has_blob(item.provenance_layer):
            prov = layout.read_blob(item.provenance_layer, PROVENANCE_LIMIT)
        if item.present and rule == REQUIRE:
            archive = layout.read_blob(record.digest, CHART_ARCHIVE_LIMIT)
            name = archive_file_name("", record.chart, record.version)
            verdict = judge_provenance(archive, prov, name, keys)
            if not verdict.verified:
                raise BundleError(
                    f"The bundle carries {record.registry}/{record.chart} {record.version}, which is {verdict}:"
                    " this site imports only charts a trusted key signed (chart_provenance is require);"
                    " refused, nothing was imported."
                )
        judged.append(replace(item, provenance=prov, judged=item.present))
    return tuple(judged)


def _chart_layer(artifact: LayoutArtifact) -> str | None:
    layers = [layer for layer in artifact.layers if layer.media_type == HELM_CHART]
    return layers[0].digest if len(layers) == 1 else None


def _verify_progress(progress: Progress | None) -> Callable[[int, int], None] | None:
    if progress is None:
        return None
    return lambda done, total: progress("verify", done, total)


# --- the catalog step --------------------------------------------------------------------------------


def apply_import(
    db: sqlite3.Connection,
    catalog: BundleCatalog,
    source: LayerSource,
    layout: VerifiedLayout | None,
    carried: tuple[CarriedChart, ...],
    options: ImportOptions,
    now: float,
    cancel: CancelToken | None,
    progress: Progress | None,
) -> ImportSummary:
    """The whole import in one transaction: all of it, or — on any error, a cancel, a kill — none."""
    try:
        with transaction(db):
            summary = CatalogImport(db, catalog, source, options, now, cancel, progress).run(layout, carried)
            if options.dry_run:
                raise _DryRun(summary)
    except _DryRun as rolled_back:
        return rolled_back.summary
    return summary


class CatalogImport:
    """One import, inside the caller's transaction."""

    def __init__(
        self,
        db: sqlite3.Connection,
        catalog: BundleCatalog,
        source: LayerSource,
        options: ImportOptions,
        now: float,
        cancel: CancelToken | None,
        progress: Progress | None,
    ) -> None:
        self.db = db
        self.catalog = catalog
        self.source = source
        self.options = options
        self.now = now
        self.cancel = cancel
        self.progress = progress
        self.summary = ImportSummary(float(catalog.mtime), options.dry_run)
        self.here: dict[str, Registry] = {}  # bundle registry name → registry here
        # Shards of charts with archives in the bundle, kept for the archives' checks; others are dropped.
        self.with_archives = {(item.registry, item.chart) for item in catalog.archives}
        self.shards: dict[tuple[str, str], ParsedShard] = {}
        # Each record's chart → shard digest, made once: looked up per chart, a list made into a dict
        # for every lookup took N² steps (20,000 charts: 20 s; 300,000: over an hour).
        self.shard_digests = {record.name: dict(record.charts) for record in catalog.registries}
        self.records = {record.name: record for record in catalog.registries}
        self.missing = {(item.registry, item.chart, item.version): item for item in catalog.config.missing}
        self.placed: dict[str, str] = {}  # the bundle's profile name → its name here

    def run(self, layout: VerifiedLayout | None, carried: tuple[CarriedChart, ...]) -> ImportSummary:
        total = len(self.catalog.registries)
        for done, record in enumerate(self.catalog.registries):
            self._step("catalog", done, total)
            self._registry(record)
        self._step("catalog", total, total)
        self._archives(layout, carried)
        self._profiles()
        self._chart_files()
        if layout is not None:
            self._images(layout)
        return self.summary

    def _step(self, phase: str, done: int, total: int | None) -> None:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        if self.progress is not None:
            self.progress(phase, done, total)

    # --- registries ----------------------------------------------------------------------------

    def _registry(self, record: RegistryRecord) -> None:
        local = self._match(record)
        if local is None:
            registry = self._add(record)
            outcome = RegistryOutcome(registry.name, record.name, "added")
            if registry.name != record.name:
                self.summary.conflicts.append(
                    f"A registry here is named '{record.name}' with another endpoint: the bundle's "
                    f"({record.endpoint}) was added as '{registry.name}'."
                )
            if record.private:
                mark_login_needed(self.db, registry.id)
                self.summary.notes.append(
                    f"'{registry.name}' needs a login to sync from {record.endpoint}: no credentials travel in a"
                    " bundle; edit it to add them."
                )
            self._snapshot(registry, record, outcome, created=True)
            return
        self.here[record.name] = local
        outcome = RegistryOutcome(local.name, record.name, "unchanged")
        if local.name != record.name:
            self.summary.notes.append(f"'{record.name}' in the bundle is '{local.name}' here (the same endpoint).")
        origin = registry_origin(self.db, local.id)
        if origin is not None and origin.kind in (BUNDLE, SUBSCRIBED):
            set_registry_origin(
                self.db, local.id, self.options.origin_kind, float(self.catalog.mtime), self.options.origin_source
            )
        mine = sync_state(self.db, local.id).snapshot_at
        theirs = record.snapshot_at
        if mine is None or (theirs is not None and theirs > mine):
            self._snapshot(local, record, outcome, created=False)
            return
        if theirs is not None and theirs < mine:
            outcome.action = "kept"
            outcome.detail = "the snapshot here is newer"
        outcome.versions = self._version_count(local)
        self.summary.registries.append(outcome)

    def _match(self, record: RegistryRecord) -> Registry | None:
        return matching_registry(list_registries(self.db), record)

    def _add(self, record: RegistryRecord) -> Registry:
        name = record.name
        number = 1
        while find_registry(self.db, name) is not None:
            suffix = "-bundle" if number == 1 else f"-bundle-{number}"
            name = record.name[: REGISTRY_NAME_MAX - len(suffix)] + suffix
            number += 1
        draft = RegistryDraft(
            name=name,
            endpoint=record.endpoint,
            sync_enabled=record.sync_enabled,
            ca_pem=record.certificate,
            insecure_skip_tls_verify=record.insecure_skip_tls_verify,
            kind=record.kind,
            plain_http=record.plain_http,
            chart_names=record.chart_names,
            base_paths=record.base_paths,
        )
        try:
            draft = draft.cleaned()
        except ValidationError as exc:
            raise BundleError(f"Registry '{record.name}' in the bundle: {exc.message}") from None
        registry_id = insert_registry(self.db, draft, os.urandom(16).hex(), self.now)
        set_registry_origin(
            self.db, registry_id, self.options.origin_kind, float(self.catalog.mtime), self.options.origin_source
        )
        registry = find_registry(self.db, name)
        assert registry is not None
        self.here[record.name] = registry
        return registry

    def _snapshot(self, registry: Registry, record: RegistryRecord, outcome: RegistryOutcome, *, created: bool) -> None:
        documents: list[ChartDocument] = []
        marks: dict[str, list[bundle_rows.RemovedRow]] = {}
        skipped = 0
        for chart, _digest in record.charts:
            if self.cancel is not None:
                self.cancel.raise_if_cancelled()
            shard = self._shard(record, chart)
            assert shard is not None
            if shard.document is not None:
                documents.append(shard.document)
            skipped += shard.skipped
            if shard.removed:
                marks[chart] = [
                    (
                        m.version,
                        m.removed_at,
                        int(m.prerelease),
                        int(m.deprecated),
                        m.app_version,
                        m.description,
                        m.search_text,
                        m.entry,
                    )
                    for m in shard.removed
                ]
            if (record.name, chart) in self.with_archives:
                self.shards[(record.name, chart)] = _without_document(shard)  # the archives' checks need no more
        parsed = ParsedIndex("v1", documents, skipped=skipped)
        fetched = FetchedIndex(Download(200, record.endpoint, b""), None, parsed, None)
        reason = None
        if not created and not self.options.accept_removals:
            reason = hold_reason(self.db, registry.id, fetched, ShrinkRule(self.options.shrink_threshold_percent))
        run_id = insert_run(self.db, registry.id, self.options.trigger, self.now)
        if reason is not None:
            finish_run(
                self.db, run_id, RunOutcome("held", error=f"Bundle of {_day(self.catalog.mtime)}: {reason}"), self.now
            )
            outcome.action = "held"
            outcome.detail = reason
            outcome.versions = self._version_count(registry)
            self.summary.conflicts.append(
                f"'{registry.name}': the bundle's snapshot was held — {reason} Import again with --accept-removals"
                " to apply it."
            )
            self.summary.registries.append(outcome)
            return
        removed_at = record.snapshot_at if record.snapshot_at is not None else float(self.catalog.mtime)
        diff = write_snapshot(self.db, registry.id, documents, self.cancel, removed_at)
        for chart, chart_marks in marks.items():
            live = bundle_rows.live_versions(self.db, registry.id, chart)
            bundle_rows.put_removed_marks(self.db, registry.id, chart, [m for m in chart_marks if m[0] not in live])
        bundle_rows.set_snapshot_time(self.db, registry.id, record.snapshot_at)
        status = "unchanged" if diff.is_empty else "updated"
        finish_run(self.db, run_id, RunOutcome(status, diff=diff, skipped=skipped), self.now, list_changes=not created)
        if not created:
            outcome.action = "updated" if not diff.is_empty else "unchanged"
        outcome.diff = diff
        outcome.versions = parsed.version_count
        self.summary.registries.append(outcome)

    def _shard(self, record: RegistryRecord, chart: str) -> ParsedShard | None:
        """A chart's shard: from the bundle, else (a delta left it out) as this catalog makes it,
        which must then have the digest the bundle names."""
        key = (record.name, chart)
        if key in self.shards:
            return self.shards[key]
        digest = self.shard_digests.get(record.name, {}).get(chart)
        if digest is None:
            return None
        data = self.source.read(digest, MAX_SHARD_BYTES)
        if data is None:
            local = self.here.get(record.name)
            data = chart_shard(self.db, local.id, chart) if local is not None else None
            if data is None or digest_of(data) != digest:
                raise BundleError(
                    f"The bundle is a delta that leaves out the snapshot of {record.name}/{chart[:80]}, and this"
                    " catalog does not hold it as it was: make a have file here again, and a new delta from it."
                )
        return parse_shard(data, chart, f"The snapshot of {record.name}/{chart[:80]} in the bundle")

    def _version_count(self, registry: Registry) -> int:
        return bundle_rows.version_count(self.db, registry.id)

    # --- chart archives ------------------------------------------------------------------------

    def _archives(self, layout: VerifiedLayout | None, carried: tuple[CarriedChart, ...]) -> None:
        total = len(carried)
        mirror_seen: dict[tuple[str, str], str] = {}
        for done, item in enumerate(carried):
            self._step("archives", done, total)
            record = item.record
            registry = self.here[record.registry]
            bundle_item = self._bundle_item(record)
            self._check_digest(record, bundle_item)
            if self.options.mirror is not None:
                self._mirror_entry(record, bundle_item, mirror_seen)
            if layout is None:
                continue
            ref = ChartRef(registry.uid, record.chart, record.version)
            if not self._agrees_here(registry, record):
                continue
            hex_digest = record.digest.partition(":")[2]
            if bundle_rows.cached_digest(self.db, ref) == hex_digest:
                self.summary.archives_present += 1
            elif item.present:
                size = item.size
                if size > CHART_ARCHIVE_LIMIT:
                    raise BundleError(
                        f"The archive of {record.ref[:80]} is over the {CHART_ARCHIVE_LIMIT:,}-byte limit."
                    )
                if not self.options.dry_run:
                    bundle_rows.write_archive(
                        self.db,
                        ref,
                        hex_digest,
                        size,
                        partial(layout.open_blob, record.digest),
                        self.catalog.mtime,
                        self.now,
                    )
                self.summary.archives_stored += 1
            elif bundle_rows.copy_archive(self.db, ref, hex_digest, self.catalog.mtime, self.now):
                self.summary.archives_stored += 1
            else:
                raise BundleError(
                    f"The bundle is a delta that leaves out the archive of {record.ref[:80]}, which this catalog does"
                    " not hold: import the full bundle first."
                )
            if item.judged and not self.options.dry_run and (item.provenance or not cached_provenance(self.db, ref)[0]):
                put_provenance(self.db, ref, item.provenance, self.now)  # a .prov fetched here stays unless replaced
            if record.pinned:
                bundle_rows.insert_pin(self.db, ref, self.now)
                self.summary.pins += 1
        self._step("archives", total, total)

    def _bundle_item(self, record: ArchiveRecord) -> dict[str, Any]:
        key = (record.registry, record.chart)
        shard = self.shards.get(key)
        if shard is None:
            shard = self._shard(self.records.get(record.registry) or _missing(record), record.chart)
            if shard is not None:
                self.shards[key] = _without_document(shard)
        item = _item_of(shard, record.version) if shard is not None else None
        if item is None:
            raise BundleError(
                f"The bundle carries the archive of {record.ref[:80]} but its snapshot lists no such version: refused."
            )
        return item

    def _check_digest(self, record: ArchiveRecord, item: dict[str, Any]) -> None:
        stated = str(item.get("digest") or "").lower().removeprefix("sha256:")
        if stated and f"sha256:{stated}" != record.digest:
            raise BundleError(
                f"The archive of {record.ref[:80]} does not match the digest its snapshot states: the bundle is"
                " inconsistent or was tampered with; refused."
            )

    def _agrees_here(self, registry: Registry, record: ArchiveRecord) -> bool:
        """The snapshot kept here (when newer than the bundle's) states the same digest, or none."""
        items = bundle_rows.version_items(self.db, registry.id, record.chart)
        stated = str((items.get(record.version) or {}).get("digest") or "").lower().removeprefix("sha256:")
        if stated and f"sha256:{stated}" != record.digest:
            self.summary.conflicts.append(
                f"{registry.name}/{record.chart} {record.version}: the snapshot here states another archive digest"
                " than the bundle's archive; it was not stored."
            )
            return False
        return True

    def _mirror_entry(self, record: ArchiveRecord, item: dict[str, Any], seen: dict[tuple[str, str], str]) -> None:
        key = (record.chart, record.version)
        if key in seen:
            if seen[key] != record.digest:
                self.summary.conflicts.append(
                    f"{record.chart} {record.version} comes from two registries with different archives: the mirror"
                    f" lists the one of {record.registry} no more."
                )
            return
        seen[key] = record.digest
        entry = dict(item)
        entry["urls"] = [f"{self.options.mirror}/{record.chart}:{oci_tag(record.version)}"]
        entry["digest"] = record.digest.partition(":")[2]
        self.summary.mirror_items.setdefault(record.chart, []).append(entry)

    # --- profiles ------------------------------------------------------------------------------

    def _profiles(self) -> None:
        fingerprints = profile_fingerprints(self.db)
        for digest, record in self.catalog.profiles:
            if record is None:
                self._left_out_profile(digest)
                continue
            profile = self._mapped(record)
            wanted = profile_fingerprint(profile)
            self._place(profile, wanted, fingerprints)
            self.placed[record.name] = self.summary.profiles[-1][0]
            self._incomplete(record, self.summary.profiles[-1][0])

    def _incomplete(self, record: ProfileRecord, name_here: str) -> None:
        """Name the profile when the bundle records that an archive its layers use was left out."""
        for layer in record.layers:
            item = self.missing.get((layer.registry, layer.chart, layer.version))
            if item is not None:
                what = f"{item.registry}/{item.chart} {item.version} ({item.reason})"
                self.summary.incomplete.append((name_here, what))

    def _left_out_profile(self, digest: str) -> None:
        registries = {registry.uid: registry for registry in list_registries(self.db)}
        for profile in list_profiles(self.db):
            if digest_of(profile_record(profile, registries).to_bytes()) == digest:
                self.summary.profiles.append((profile.name, "unchanged"))
                return
        raise BundleError(
            "The bundle is a delta that leaves out a profile this catalog does not hold as it was: make a have file"
            " here again, and a new delta from it."
        )

    def _mapped(self, record: ProfileRecord) -> Profile:
        layers = []
        for layer in record.layers:
            registry = self.here.get(layer.registry) or self._registry_here(layer.registry, layer.registry_endpoint)
            if registry is not None:
                uid, name, endpoint = registry.uid, registry.name, registry.endpoint
            else:  # a registry that was removed at the source: the layer says so, as it did there
                uid, name, endpoint = f"bundle:{layer.registry}", layer.registry, layer.registry_endpoint
            layers.append(
                Layer(
                    uid,
                    name,
                    endpoint,
                    layer.chart,
                    layer.version,
                    layer.namespace,
                    layer.install_priority,
                    layer.values,
                )
            )
        return Profile(
            "", record.name, record.version, record.description, record.tags, tuple(layers), variables=record.variables
        )

    def _registry_here(self, name: str, endpoint: str) -> Registry | None:
        registries = list_registries(self.db)
        wanted = public_endpoint(endpoint)
        by_endpoint = [r for r in registries if public_endpoint(r.endpoint) == wanted]
        return (
            by_endpoint[0]
            if by_endpoint
            else next((r for r in registries if r.name.casefold() == name.casefold()), None)
        )

    def _place(self, profile: Profile, wanted: str, fingerprints: dict[int, str]) -> None:
        name = profile.name
        number = 1
        while True:
            existing = find_profile(self.db, name)
            if existing is None:
                self._save(profile, name, None, wanted, "added")
                break
            current = profile_fingerprint(existing)
            if current == wanted:
                if existing.id is not None and existing.id in fingerprints:
                    set_profile_origin(self.db, existing.id, wanted, float(self.catalog.mtime))
                self.summary.profiles.append((name, "unchanged"))
                break
            if existing.id in fingerprints and fingerprints[existing.id] == current:
                self._save(profile, name, existing.id, wanted, "updated")  # a bundle's, not edited since
                break
            number += 1
            suffix = " (bundle)" if number == 2 else f" (bundle {number - 1})"
            name = profile.name[: NAME_MAX - len(suffix)] + suffix
        if name != profile.name:
            self.summary.conflicts.append(
                f"Profile '{profile.name}' here differs from the bundle's: yours is kept, the bundle's is '{name}'."
            )

    def _save(self, profile: Profile, name: str, profile_id: int | None, fingerprint: str, action: str) -> None:
        saved_id = write_profile(self.db, replace(profile, name=name, id=profile_id), self.now)
        set_profile_origin(self.db, saved_id, fingerprint, float(self.catalog.mtime))
        self.summary.profiles.append((name, action))

    # --- container images -----------------------------------------------------------------------

    def _images(self, layout: VerifiedLayout) -> None:
        """Record the image blobs the bundle carries (a later `bundle have` lists them) and, per profile,
        the images it needs and that this bundle carried them; the blobs stay in the bundle."""
        at = float(self.catalog.mtime)
        remember_image_blobs(self.db, {blob.digest for image in layout.images for blob in image.blobs}, at)
        carried = {image.ref_name for image in layout.images}
        for name, refs in needed_images(layout.catalog.annotations).items():
            here = self.placed.get(name)
            profile = find_profile(self.db, here) if here is not None else None
            if profile is not None and profile.id is not None:
                set_profile_images(self.db, profile.id, {ref: at if ref in carried else None for ref in refs})

    # --- what a later `bundle have` names ----------------------------------------------------------

    def _chart_files(self) -> None:
        for digest in self.catalog.config.chart_files:
            data = self.source.read(digest, 64 * 1024 * 1024)
            if data is None:
                continue
            registry_name, _chart, _versions = parse_chart_files(data)
            registry = self.here.get(registry_name)
            if registry is not None:
                remember_layers(self.db, registry.id, [digest])


def matching_registry(registries: list[Registry], record: RegistryRecord) -> Registry | None:
    """The registry here with the bundle registry's endpoint, base paths and kind (the one of the same name first)."""
    endpoint = public_endpoint(record.endpoint)
    same = [
        r
        for r in registries
        if r.kind == record.kind and public_endpoint(r.endpoint) == endpoint and r.base_paths == record.base_paths
    ]
    return next((r for r in same if r.name.casefold() == record.name.casefold()), same[0] if same else None)


def local_shard_digests(db: sqlite3.Connection, records: tuple[RegistryRecord, ...]) -> set[str]:
    """The shard digests of `records` this catalog can make itself (a subscription fetches only the rest)."""
    registries = list_registries(db)
    digests: set[str] = set()
    for record in records:
        local = matching_registry(registries, record)
        if local is not None:
            digests.update(shard_digests(db, local.id).values())
    return digests


def _without_document(shard: ParsedShard) -> ParsedShard:
    return ParsedShard(shard.chart, None, shard.versions, shard.removed, shard.skipped)


def _item_of(shard: ParsedShard, version: str) -> dict[str, Any] | None:
    for item in shard.versions:
        if isinstance(item, dict) and str(item.get("version")) == version:
            return item
    for mark in shard.removed:
        if mark.version == version:
            import json

            from desktop.helm.metadata import NumberText

            decoded = json.loads(mark.entry, parse_float=NumberText, parse_int=NumberText)
            return decoded if isinstance(decoded, dict) else None
    return None


def _missing(record: ArchiveRecord) -> RegistryRecord:
    raise BundleError(f"The bundle lists archive {record.ref[:80]} of a registry it does not carry: refused.")


def _day(timestamp: float) -> str:
    from desktop.timefmt import local_date

    return local_date(timestamp)


def needed_images(annotations: dict[str, str]) -> dict[str, list[str]]:
    """The catalog's profile → image references it needs; nothing when the bundle does not say."""
    import json

    try:
        document = json.loads(annotations.get(PROFILE_IMAGES, "{}"))
    except ValueError:
        raise BundleError("The bundle's list of each profile's images is not JSON: refused.") from None
    if not isinstance(document, dict):
        raise BundleError("The bundle's list of each profile's images is not an object: refused.")
    return {
        str(name): [ref for ref in refs if isinstance(ref, str)]
        for name, refs in document.items()
        if isinstance(refs, list)
    }
