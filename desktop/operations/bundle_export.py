"""Export a bundle: choose registries, profiles and chart archives, estimate the size, then write the
OCI image layout — chart archives as Helm artifacts, and the catalog artifact — streamed, with bytes
that follow only from the catalog (every time in it is the catalog's own), so the same catalog
gives the same file. `bundle have` lists what a catalog holds, for a delta made elsewhere."""

from __future__ import annotations

import io
import logging
import re
import shutil
import sqlite3
import tempfile
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path

import orjson

from desktop.bundle.artifacts import Artifact, Blob, FileSource, OpenerSource
from desktop.bundle.catalog_records import (
    ARCHIVE_LIST,
    CATALOG_CONFIG,
    CHART_FILES,
    CHART_MODES,
    INDEX_SHARD,
    PROFILE_RECORD,
    REGISTRY_RECORD,
    ArchiveRecord,
    CatalogConfig,
    MissingArchive,
    VersionFiles,
    archive_list_bytes,
    chart_files_bytes,
    date_tag,
    rfc3339,
)
from desktop.bundle.errors import BundleError, ChartArtifactError
from desktop.bundle.have_file import have_text, read_have_file
from desktop.bundle.helm_artifact import build_chart_artifact, oci_tag
from desktop.bundle.image_pull import ImagePuller, PulledImage, parse_platforms
from desktop.bundle.layout_reader import LayoutLimits
from desktop.bundle.layout_record import CatalogContent
from desktop.bundle.layout_writer import LayoutWriter, WrittenLayout
from desktop.bundle.media_types import CATALOG_REPOSITORY, CREATED, PROFILE_IMAGES
from desktop.cancellation import CancelToken
from desktop.catalog import bundle_rows
from desktop.catalog.bundle_rows import StoredArchive
from desktop.catalog.image_records import image_blob_digests
from desktop.catalog.origins import remembered_layers
from desktop.catalog.profiles import get_profile, list_profiles
from desktop.catalog.registries import get_registry, list_registries
from desktop.catalog.sync_records import SyncState, sync_state
from desktop.errors import OperationCancelled, UserError, ValidationError
from desktop.files import write_error, write_output_file
from desktop.helm.chart_archive import ChartArchiveError, read_chart_files
from desktop.helm.image_refs import ImageRef, parse_image
from desktop.operations.bundle_catalog import (
    chart_created,
    digest_of,
    profile_record,
    registry_record,
    registry_shards,
    shard_digests,
)
from desktop.operations.chart_render import profile_images, render_profile
from desktop.operations.image_hosts import image_clients
from desktop.operations.services import Services
from desktop.profiles.model import Profile
from desktop.registry import Registry
from desktop.sync.fetch_archive import ArchiveSource, archive_source, download_archive
from desktop.wording import plural

log = logging.getLogger(__name__)

LARGE_BUNDLE = 2 * 1024**3  # `--charts all` asks before writing more than this
UNKNOWN_ARCHIVE_SIZE = 256 * 1024  # a guess for archives not downloaded yet
Progress = Callable[[str, int, int | None], None]  # (phase, done, total): "archives", "catalog", "write"


@dataclass(frozen=True)
class ExportSelection:
    """What goes in: registries and profiles by name (none named: all of both; a profile brings its
    registries), and which chart archives (CHART_MODES)."""

    registries: tuple[str, ...] = ()
    profiles: tuple[str, ...] = ()
    charts: str = "pinned"
    have: Path | None = None
    split_size: int | None = None
    images: bool = False  # every container image the chosen profiles need
    images_from: Path | None = None  # a list of image references, one a line
    platforms: tuple[str, ...] = ()  # of multi-platform images (none: the tenant's image_platforms)


@dataclass(frozen=True)
class WantedArchive:
    registry: Registry
    chart: str
    version: str
    digest: str  # hex, as the snapshot states it ('' when the index gives none)
    created: str | None
    pinned: bool
    stored: StoredArchive | None
    source: ArchiveSource | None  # where to download it when it is not stored here

    @property
    def ref(self) -> str:
        return f"{self.registry.name}/{self.chart}:{oci_tag(self.version)}"

    def missing(self, reason: str) -> MissingArchive:
        return MissingArchive(self.registry.name, self.chart, self.version, reason)


@dataclass(frozen=True)
class ExportPlan:
    registries: tuple[tuple[Registry, SyncState], ...]
    profiles: tuple[Profile, ...]
    archives: tuple[WantedArchive, ...]
    skipped: tuple[MissingArchive, ...]
    mtime: int
    charts: str
    catalog_bytes: int
    known_archive_bytes: int
    unknown_archives: int

    @property
    def estimated_bytes(self) -> int:
        return self.catalog_bytes + self.known_archive_bytes + self.unknown_archives * UNKNOWN_ARCHIVE_SIZE


@dataclass
class ExportResult:
    written: WrittenLayout
    plan: ExportPlan
    archives: int = 0  # chart artifacts in the bundle
    left_out: int = 0  # blobs a delta leaves out
    skipped: list[MissingArchive] = field(default_factory=list)
    images: tuple[PulledImage, ...] = ()  # container images carried

    @property
    def parts(self) -> tuple[Path, ...]:
        return self.written.parts


# --- the operations --------------------------------------------------------------------------------


def plan_bundle_export(services: Services, selection: ExportSelection) -> ExportPlan:
    """What an export would hold, and about how large it would be; nothing is written."""
    if selection.charts not in CHART_MODES:
        raise ValidationError(f"'{selection.charts}' is not a chart selection: use {', '.join(CHART_MODES)}.")
    return services.catalog(plan_step, selection)


def export_bundle(
    services: Services,
    path: Path,
    selection: ExportSelection,
    *,
    confirm_large: Callable[[ExportPlan], bool] | None = None,
    allow_missing: bool = False,
    sign: Callable[[bytes], bytes] | None = None,
    cancel: CancelToken | None = None,
    progress: Progress | None = None,
) -> ExportResult:
    """Write the bundle at `path` (or its parts). `--charts all` over 2 GB needs `confirm_large` to agree;
    a chart archive it should carry and cannot (not fetched, its registry removed) stops it with
    IncompleteBundle, before anything is written, unless `allow_missing` (then the bundle records it)."""
    plan = plan_bundle_export(services, selection)
    too_large = selection.charts == "all" and plan.estimated_bytes > LARGE_BUNDLE
    if too_large and (confirm_large is None or not confirm_large(plan)):
        raise ValidationError(
            f"The bundle would be about {plan.estimated_bytes / 1024**3:.1f} GB (every version's archive): "
            "confirm it (--yes), or choose fewer charts (--charts latest)."
        )
    have = read_have_file(selection.have) if selection.have is not None else frozenset()
    return _Exporter(services, path, selection, plan, have, cancel, progress, allow_missing, sign).run()


class IncompleteBundle(ValidationError):
    """The bundle would leave out archives it should carry: nothing was written."""

    def __init__(self, missing: tuple[MissingArchive, ...]) -> None:
        needing = sorted({name for item in missing for name in item.profiles})
        who = "profile" if len(needing) == 1 else "profiles"
        needed = f", needed by {who} {', '.join(needing)}" if needing else ""
        more = f" and {len(missing) - 1:,} more" if len(missing) > 1 else ""
        super().__init__(
            f"Nothing was written: {plural(len(missing), 'chart archive')} cannot be carried ({missing[0]}{more})"
            f"{needed}; keep them offline first, or write the bundle without them (--allow-missing)."
        )
        self.missing = missing


def _with_profiles(
    missing: list[MissingArchive], profiles: tuple[Profile, ...] | list[Profile], registries: list[Registry]
) -> list[MissingArchive]:
    """Each missing archive with the profiles whose layers use it."""
    names = {registry.uid: registry.name for registry in registries}
    users: dict[tuple[str, str, str], set[str]] = {}
    for profile in profiles:
        for layer in profile.layers:
            key = (names.get(layer.registry_uid, layer.registry_name), layer.chart, layer.version)
            users.setdefault(key, set()).add(profile.name)
    return [
        replace(item, profiles=tuple(sorted(users.get((item.registry, item.chart, item.version), set()))))
        for item in missing
    ]


# --- choosing (a catalog step) -------------------------------------------------------------------------


def plan_step(db: sqlite3.Connection, selection: ExportSelection) -> ExportPlan:
    everything = not selection.registries and not selection.profiles
    profiles = list_profiles(db) if everything else [get_profile(db, name) for name in selection.profiles]
    chosen = list_registries(db) if everything else [get_registry(db, name) for name in selection.registries]
    by_uid = {registry.uid: registry for registry in list_registries(db)}
    for profile in profiles:  # a profile is of no use without its registries
        for layer in profile.layers:
            if layer.registry_uid in by_uid and all(r.uid != layer.registry_uid for r in chosen):
                chosen.append(by_uid[layer.registry_uid])
    registries = sorted(chosen, key=lambda registry: registry.name.encode("utf-8"))
    states = {registry.id: sync_state(db, registry.id) for registry in registries}
    wanted, skipped = _wanted_versions(db, registries, profiles, selection.charts)
    stored = {(a.ref.registry_uid, a.ref.chart, a.ref.version): a for a in bundle_rows.stored_archives(db)}
    pins = {(ref.registry_uid, ref.chart, ref.version) for ref in bundle_rows.pinned_refs(db)}
    archives: list[WantedArchive] = []
    items_key: tuple[int, str] | None = None
    items: dict[str, dict[str, object]] = {}
    for registry, chart, version in sorted(wanted, key=lambda w: (w[0].name.encode(), w[1].encode(), w[2].encode())):
        if items_key != (registry.id, chart):  # one chart's items at a time
            items_key, items = (registry.id, chart), bundle_rows.version_items(db, registry.id, chart)
        item = items.get(version)
        if item is None:
            skipped.append(MissingArchive(registry.name, chart, version, "not in the registry's snapshot"))
            continue
        kept = stored.get((registry.uid, chart, version))
        source = None
        if kept is None:
            try:
                source = archive_source(db, registry, chart, version)
            except UserError as exc:
                skipped.append(MissingArchive(registry.name, chart, version, exc.message))
                continue
        created = item.get("created")
        pinned = (registry.uid, chart, version) in pins
        digest = str(item.get("digest") or "").lower().removeprefix("sha256:")
        archives.append(
            WantedArchive(registry, chart, version, digest, str(created) if created else None, pinned, kept, source)
        )
    times = [states[r.id].snapshot_at or 0.0 for r in registries] + [p.updated_at for p in profiles]
    return ExportPlan(
        tuple((registry, states[registry.id]) for registry in registries),
        tuple(sorted(profiles, key=lambda profile: profile.name.encode("utf-8"))),
        tuple(archives),
        tuple(_with_profiles(skipped, profiles, registries)),
        int(max(times, default=0.0)),
        selection.charts,
        sum(bundle_rows.snapshot_bytes(db, registry.id) for registry in registries),
        sum(a.stored.size for a in archives if a.stored is not None),
        sum(1 for a in archives if a.stored is None),
    )


def _wanted_versions(
    db: sqlite3.Connection, registries: list[Registry], profiles: list[Profile], charts: str
) -> tuple[set[tuple[Registry, str, str]], list[MissingArchive]]:
    by_uid = {registry.uid: registry for registry in registries}
    wanted: set[tuple[Registry, str, str]] = set()
    skipped: list[MissingArchive] = []
    if charts == "none":
        return wanted, skipped
    for profile in profiles:
        for layer in profile.layers:
            registry = by_uid.get(layer.registry_uid)
            if registry is None:
                skipped.append(
                    MissingArchive(layer.registry_name, layer.chart, layer.version, "its registry was removed")
                )
            else:
                wanted.add((registry, layer.chart, layer.version))
    if charts == "profiles":
        return wanted, skipped
    for ref in bundle_rows.pinned_refs(db):
        registry = by_uid.get(ref.registry_uid)
        if registry is not None:
            wanted.add((registry, ref.chart, ref.version))
    for registry in registries:
        if charts == "latest":
            wanted.update(
                (registry, chart, version) for chart, version in bundle_rows.latest_stable_versions(db, registry.id)
            )
        elif charts == "all":
            wanted.update((registry, chart, version) for chart, version in bundle_rows.all_versions(db, registry.id))
    return wanted, skipped


# --- writing -----------------------------------------------------------------------------------------


class _Exporter:
    def __init__(
        self,
        services: Services,
        path: Path,
        selection: ExportSelection,
        plan: ExportPlan,
        have: frozenset[str],
        cancel: CancelToken | None,
        progress: Progress | None,
        allow_missing: bool,
        sign: Callable[[bytes], bytes] | None = None,
    ) -> None:
        self.sign = sign  # signs index.json: the signature goes into the bundle beside it
        self.services = services
        self.path = path
        self.selection = selection
        self.plan = plan
        self.have = have
        self.cancel = cancel
        self.progress = progress
        self.spool: Path | None = None
        self.downloads = 0
        self._unreachable: set[int] = set()  # registries whose .prov could not be fetched in this export
        self.skipped: list[MissingArchive] = list(plan.skipped)
        self.allow_missing = allow_missing
        self.profile_images: dict[str, list[str]] = {}  # profile → the images it needs (with --images)

    def run(self) -> ExportResult:
        if not self.path.parent.is_dir():
            raise write_error(OSError(2, "No such folder"), self.path)
        try:
            self.spool = Path(tempfile.mkdtemp(dir=self.path.parent, prefix=f".{self.path.name}.export-"))
        except OSError as exc:
            raise write_error(exc, self.path) from None
        try:
            return self._write()
        finally:
            shutil.rmtree(self.spool, ignore_errors=True)

    def _write(self) -> ExportResult:
        plan = self.plan
        charts, records, files = self._charts()
        self.skipped = _with_profiles(self.skipped, plan.profiles, [registry for registry, _ in plan.registries])
        if self.skipped and not self.allow_missing:
            raise IncompleteBundle(tuple(self.skipped))
        images = self._images()
        layers, config = self._catalog(records, files)
        # What a delta may leave out: archives and catalog layers a target can hold — never the
        # registry records or the archive list, whatever a have file says.
        protected = {layer.descriptor.digest for layer in layers if layer.descriptor.media_type in _NEVER_LEFT_OUT}
        with LayoutWriter(
            self.path,
            mtime=plan.mtime,
            split_size=self.selection.split_size,
            have=self.have - protected,
            cancel=self.cancel,
        ) as writer:
            for ref, artifact in charts:
                writer.add(artifact, ref)
            for image in images:
                writer.add_image(image.reference, image.entry, image.blobs)
            annotations = {CREATED: rfc3339(plan.mtime)}
            if self.profile_images:  # what a workstation records for each profile
                annotations[PROFILE_IMAGES] = orjson.dumps(self.profile_images, option=orjson.OPT_SORT_KEYS).decode()
            content = CatalogContent(tuple(layers), config, annotations, f"{CATALOG_REPOSITORY}:{date_tag(plan.mtime)}")
            written = writer.close(content, self._bytes_progress, self.sign)
        return ExportResult(written, plan, len(charts), len(written.absent), self.skipped, tuple(images))

    def _bytes_progress(self, done: int, total: int) -> None:
        if self.progress is not None:
            self.progress("write", done, total)

    def _report(self, phase: str, done: int, total: int | None) -> None:
        if self.cancel is not None:
            self.cancel.raise_if_cancelled()
        if self.progress is not None:
            self.progress(phase, done, total)

    # --- container images ------------------------------------------------------------------------

    def _images(self) -> list[PulledImage]:
        """Every image asked for, pulled into the spool folder (nothing of it reaches the output
        until the whole tar is written), each blob checked against its digest as it streams."""
        references = self._image_references()
        if not references:
            return []
        platforms = self.selection.platforms or parse_platforms(self.services.settings.image_platforms)
        assert self.spool is not None
        folder = self.spool / "images"
        folder.mkdir()
        puller = ImagePuller(image_clients(self.services, self.cancel), folder, platforms, self.cancel)
        pulled: list[PulledImage] = []
        try:
            for done, ref in enumerate(references):
                self._report("images", done, len(references))
                pulled.append(puller.pull(ref))
        finally:
            puller.close()
        self._report("images", len(references), len(references))
        return pulled

    def _image_references(self) -> list[ImageRef]:
        wanted: dict[str, ImageRef] = {}
        if self.selection.images:
            for profile in self.plan.profiles:
                layers = render_profile(self.services, profile, cancel=self.cancel)
                for layer in layers:
                    if layer.error is not None:
                        raise BundleError(
                            f"Nothing was written: the images of profile {profile.name} are not known, as its layer "
                            f"{layer.label} does not render ({layer.error}); fix the layer, or list the images "
                            "with --images-from."
                        )
                needed = self.profile_images.setdefault(profile.name, [])
                for found in profile_images(layers):
                    ref = parse_image(found.image)
                    if ref is not None:
                        wanted.setdefault(str(ref), ref)
                        needed.append(str(ref))
                self.profile_images[profile.name] = sorted(set(needed))
        if self.selection.images_from is not None:
            for ref in read_image_list(self.selection.images_from):
                wanted.setdefault(str(ref), ref)
        return [wanted[key] for key in sorted(wanted)]

    # --- chart archives -----------------------------------------------------------------------

    def _charts(self) -> tuple[list[tuple[str, Artifact]], list[ArchiveRecord], list[Blob]]:
        """Each chosen archive as a Helm artifact (its bytes read again when the tar is written), its
        record, and per chart the files people read."""
        charts: list[tuple[str, Artifact]] = []
        records: list[ArchiveRecord] = []
        files: list[Blob] = []
        group: list[VersionFiles] = []
        current: tuple[str, str] | None = None
        total = len(self.plan.archives)
        for done, wanted in enumerate(self.plan.archives):
            self._report("archives", done, total)
            key = (wanted.registry.name, wanted.chart)
            if key != current:
                if current is not None and group:
                    files.append(Blob.of_bytes(CHART_FILES, chart_files_bytes(*current, group)))
                current, group = key, []
            added = self._chart(wanted)
            if added is not None:
                charts.append((wanted.ref, added[0]))
                records.append(added[1])
                group.append(added[2])
        if current is not None and group:
            files.append(Blob.of_bytes(CHART_FILES, chart_files_bytes(*current, group)))
        self._report("archives", total, total)
        return charts, records, files

    def _chart(self, wanted: WantedArchive) -> tuple[Artifact, ArchiveRecord, VersionFiles] | None:
        try:
            tgz, source = self._archive(wanted)
        except OperationCancelled:
            raise
        except UserError as exc:  # offline, say: the bundle goes without it, and says so
            self.skipped.append(wanted.missing(exc.message))
            return None
        digest = digest_of(tgz)
        if wanted.digest and digest != f"sha256:{wanted.digest}":
            self.skipped.append(wanted.missing("its archive does not match the digest its index states"))
            return None
        carried, prov = self._provenance(wanted, tgz)
        if not carried:
            return None
        try:
            chart_files = read_chart_files(tgz)
            chart = build_chart_artifact(tgz, prov, self._created(wanted), archive_source=source)
        except (ChartArtifactError, ChartArchiveError) as exc:
            self.skipped.append(wanted.missing(f"Helm would refuse to push it ({exc.message})"))
            return None
        record = ArchiveRecord(wanted.ref, wanted.registry.name, wanted.chart, wanted.version, digest, wanted.pinned)
        files = VersionFiles(wanted.version, digest, chart_files.readme, chart_files.values, chart_files.schema)
        return chart.artifact, record, files

    def _provenance(self, wanted: WantedArchive, tgz: bytes) -> tuple[bool, bytes | None]:
        """(whether the archive goes in the bundle, its .prov to carry as Helm's provenance layer):
        under chart_provenance require, an archive no trusted key signed stays out, and says why."""
        from desktop.operations.provenance import OFF, REQUIRE, provenance_of

        rule = self.services.settings.chart_provenance
        if rule == OFF:
            return True, None
        fetch = rule == REQUIRE or wanted.registry.id not in self._unreachable  # report: one wait per registry
        try:
            verdict, prov = provenance_of(
                self.services, wanted.registry.id, wanted.chart, wanted.version, tgz, cancel=self.cancel, fetch=fetch
            )
        except OperationCancelled:
            raise
        except UserError as exc:
            self._unreachable.add(wanted.registry.id)
            if rule == REQUIRE:
                self.skipped.append(wanted.missing(f"its provenance could not be read ({exc.message})"))
                return False, None
            return True, None
        if rule == REQUIRE and not verdict.verified:
            self.skipped.append(wanted.missing(f"it is {verdict}, and chart_provenance is require"))
            return False, None
        return True, prov

    def _archive(self, wanted: WantedArchive) -> tuple[bytes, FileSource | OpenerSource]:
        """The archive's bytes now, and where the writer reads them again."""
        services = self.services
        if wanted.stored is not None:
            row_id = wanted.stored.row_id
            data = services.catalog(bundle_rows.archive_bytes, row_id)
            return data, OpenerSource(lambda: io.BytesIO(services.catalog(bundle_rows.archive_bytes, row_id)))
        assert wanted.source is not None and self.spool is not None
        data = download_archive(wanted.source, services.credentials, services.network, self.cancel)
        self.downloads += 1
        target = self.spool / f"{self.downloads}.tgz"
        try:
            target.write_bytes(data)
        except OSError as exc:
            raise write_error(exc, target) from None
        return data, FileSource(target)

    def _created(self, wanted: WantedArchive) -> str:
        state = next((s for r, s in self.plan.registries if r.id == wanted.registry.id), None)
        return chart_created(wanted.created, state.snapshot_at if state and state.snapshot_at else self.plan.mtime)

    # --- the catalog artifact ----------------------------------------------------------------------

    def _catalog(self, archives: list[ArchiveRecord], files: list[Blob]) -> tuple[list[Blob], Blob]:
        services = self.services
        layers: dict[str, Blob] = {}

        def keep(blob: Blob) -> str:
            layers.setdefault(blob.descriptor.digest, blob)
            return blob.descriptor.digest

        registry_digests = []
        total = len(self.plan.registries)
        for done, (registry, state) in enumerate(self.plan.registries):
            self._report("catalog", done, total)
            charts = tuple(
                (chart, keep(Blob.of_bytes(INDEX_SHARD, shard)))
                for chart, shard in services.catalog(registry_shards, registry.id)
            )
            registry_digests.append(
                keep(Blob.of_bytes(REGISTRY_RECORD, registry_record(registry, state, charts).to_bytes()))
            )
        self._report("catalog", total, total)
        by_uid = {registry.uid: registry for registry in services.catalog(list_registries)}
        profile_digests = [
            keep(Blob.of_bytes(PROFILE_RECORD, profile_record(profile, by_uid).to_bytes()))
            for profile in self.plan.profiles
        ]
        archive_digest = keep(Blob.of_bytes(ARCHIVE_LIST, archive_list_bytes(archives))) if archives else None
        file_digests = [keep(blob) for blob in files]
        config = CatalogConfig(
            self.plan.mtime,
            self.plan.charts,
            tuple(registry_digests),
            tuple(profile_digests),
            archive_digest,
            tuple(file_digests),
            tuple(self.skipped),
        )
        ordered = sorted(layers.values(), key=_layer_order)
        limits = LayoutLimits()
        manifest_bytes = sum(len(blob.descriptor.media_type) + 110 for blob in ordered)
        if len(ordered) >= limits.max_layers or manifest_bytes > limits.max_manifest_bytes:
            raise BundleError(
                f"The catalog would hold {len(ordered):,} documents (one per chart), more than a bundle can list: "
                "carry fewer registries at a time (--registry NAME)."
            )
        return ordered, Blob.of_bytes(CATALOG_CONFIG, config.to_bytes())


_NEVER_LEFT_OUT = (REGISTRY_RECORD, ARCHIVE_LIST)


_ROLE_ORDER = {REGISTRY_RECORD: 0, INDEX_SHARD: 1, PROFILE_RECORD: 2, ARCHIVE_LIST: 3, CHART_FILES: 4}


def _layer_order(blob: Blob) -> tuple[int, str]:
    return _ROLE_ORDER.get(blob.descriptor.media_type, 9), blob.descriptor.digest


# --- what this catalog holds ------------------------------------------------------------------------


def write_have_file(services: Services, path: Path) -> int:
    """Write the have file of this catalog at `path`; returns how many digests it lists."""
    digests = services.catalog(have_step)
    write_output_file(path, have_text(digests).encode("ascii"))
    return len(digests)


def have_step(db: sqlite3.Connection) -> set[str]:
    """Every blob a bundle could leave out for this catalog: its archives, each chart's shard and each
    profile's record as this catalog would write them, the chart-files layers it was brought, and the
    container image blobs a bundle brought it or it pushed to the site registry."""
    digests = {f"sha256:{digest}" for digest in bundle_rows.archive_digests(db) if _HEX.fullmatch(digest)}
    registries = list_registries(db)
    for registry in registries:
        digests.update(shard_digests(db, registry.id).values())
    by_uid = {registry.uid: registry for registry in registries}
    digests.update(digest_of(profile_record(profile, by_uid).to_bytes()) for profile in list_profiles(db))
    digests.update(remembered_layers(db))
    digests.update(image_blob_digests(db))
    return digests


_HEX = re.compile(r"[a-f0-9]{64}")
MAX_IMAGE_LIST = 1024 * 1024


def read_image_list(path: Path) -> list[ImageRef]:
    """The references of an image list: one a line; blank lines and `#` comments skipped."""
    try:
        with open(path, "rb") as stream:
            data = stream.read(MAX_IMAGE_LIST + 1)
    except OSError as exc:
        raise UserError(f"{path} cannot be read ({exc.strerror or exc}).") from None
    if len(data) > MAX_IMAGE_LIST:
        raise ValidationError(f"{path} is over {MAX_IMAGE_LIST // 1024} KiB: is it a list of image references?")
    refs = []
    for number, line in enumerate(data.decode("utf-8", "replace").splitlines(), 1):
        text = line.split("#", 1)[0].strip()
        if not text:
            continue
        ref = parse_image(text)
        if ref is None:
            raise ValidationError(f"Line {number} of {path} is not an image reference ({text[:80]}): fix it.")
        refs.append(ref)
    return refs
