"""Reading a bundle as hostile input: every member, digest, size and reference checked before anything is used.

`open_layout(first_part)` streams the tar once (memory stays bounded whatever its size), hashing
each blob, then checks the JSON it holds with size and nesting limits and that every reference
resolves: a manifest's config and layers are in the file with the sizes their descriptors give,
or are listed as left out by the delta's layout record; nothing unreferenced is there. Any
problem is one BundleError line naming it. The `VerifiedLayout` it returns lists the artifacts
and streams blobs, checking each digest again as it is read."""

from __future__ import annotations

import hashlib
import io
import re
from collections.abc import Callable
from dataclasses import dataclass, field, replace
from pathlib import Path
from typing import Any, BinaryIO

from desktop.bundle import media_types as types
from desktop.bundle.bounded_json import load_json
from desktop.bundle.descriptors import Descriptor, parse_annotations, parse_descriptor
from desktop.bundle.errors import BundleError
from desktop.bundle.layout_record import (
    OCI_LAYOUT_FILE,
    SIGNATURE_MAX,
    SIGNATURE_MEMBER,
    LayoutRecord,
    index_json,
    ref_name_of,
)
from desktop.bundle.parts import Part, PartSequence, RangeReader, SequentialReader
from desktop.bundle.tar_format import BLOCK, padded, parse_header
from desktop.cancellation import CancelToken

MIB = 1024 * 1024
_BLOB_NAME = re.compile(r"blobs/sha256/([a-f0-9]{64})")
_FOLDERS = frozenset(("", "blobs", "blobs/sha256"))
_ZERO_BLOCK = bytes(BLOCK)
_CHUNK = MIB

Progress = Callable[[int, int], None]  # (bytes read, bytes estimated)


@dataclass(frozen=True)
class LayoutLimits:
    """What a bundle may hold before it is refused as hostile or foreign."""

    max_members: int = 100_000
    max_blob_bytes: int = 4 * 1024 * MIB
    max_index_bytes: int = 16 * MIB
    max_manifest_bytes: int = 4 * MIB
    max_config_bytes: int = 4 * MIB
    max_record_bytes: int = 64 * MIB
    max_layers: int = 50_000  # the catalog has one per chart; max_manifest_bytes bounds them anyway
    max_trailing_bytes: int = MIB  # zeros after the end of the archive (tar's record padding)


@dataclass(frozen=True)
class LayoutArtifact:
    """One entry of index.json and what its manifest says."""

    ref_name: str
    descriptor: Descriptor  # the manifest's, as index.json lists it
    manifest: dict[str, Any] = field(repr=False)
    config: Descriptor
    layers: tuple[Descriptor, ...]
    absent: tuple[str, ...]  # its layers a delta left out
    chart: dict[str, Any] | None = field(default=None, repr=False)  # a Helm config, parsed

    @property
    def artifact_type(self) -> str:
        value = self.manifest.get("artifactType")
        return value if isinstance(value, str) else self.config.media_type

    @property
    def kind(self) -> str:
        if self.config.media_type == types.HELM_CONFIG:
            return "chart"
        return "catalog" if self.artifact_type == types.CATALOG_ARTIFACT else "other"

    @property
    def annotations(self) -> dict[str, str]:
        return dict(self.manifest.get("annotations") or {})

    @property
    def name(self) -> str:
        if self.chart is not None and isinstance(self.chart.get("name"), str):
            return str(self.chart["name"])
        return self.annotations.get(types.TITLE, self.ref_name)

    @property
    def version(self) -> str | None:
        if self.chart is not None and isinstance(self.chart.get("version"), str):
            return str(self.chart["version"])
        return self.annotations.get(types.VERSION)

    @property
    def created(self) -> str | None:
        return self.annotations.get(types.CREATED)

    @property
    def size(self) -> int:
        """Bytes of the manifest, config and layers, left-out layers included."""
        return self.descriptor.size + self.config.size + sum(layer.size for layer in self.layers)

    @property
    def size_in_bundle(self) -> int:
        return self.size - sum(layer.size for layer in self.layers if layer.digest in self.absent)


@dataclass(frozen=True)
class LayoutImage:
    """A container image the bundle carries: its manifest or index, every manifest under it with its blobs."""

    ref_name: str
    descriptor: Descriptor  # as index.json lists it
    platforms: tuple[str, ...]  # carried ('' for an image that names none)
    blobs: tuple[Descriptor, ...]  # every blob under it, manifests included
    absent: tuple[str, ...] = ()  # its layers a delta left out (the site registry holds them)

    @property
    def size(self) -> int:
        return sum(blob.size for blob in self.blobs)

    @property
    def size_in_bundle(self) -> int:
        return sum(blob.size for blob in self.blobs if blob.digest not in self.absent)


@dataclass(frozen=True)
class _Member:
    offset: int  # of the data, in the whole tar
    size: int


class VerifiedLayout:
    """A bundle whose every blob and reference was checked; blobs are read from the file on demand."""

    def __init__(
        self,
        parts: list[Part],
        blobs: dict[str, _Member],
        artifacts: list[LayoutArtifact],
        catalog: LayoutArtifact,
        record: LayoutRecord,
        index: bytes = b"",
        signature: bytes | None = None,
        images: tuple[LayoutImage, ...] = (),
    ) -> None:
        self.images = images  # container images, sorted by ref name; not among `artifacts`
        self.parts = tuple(part.path for part in parts)
        self.index = index  # index.json's bytes: the root of every digest, what a signature signs
        self.signature = signature  # the OpenPGP detached signature of index.json it carries, if any
        self.size = sum(part.size for part in parts)
        self.artifacts = tuple(artifacts)  # sorted by ref name, the catalog among them
        self.catalog = catalog
        self.record = record
        self._part_list = parts
        self._blobs = blobs

    @property
    def mtime(self) -> int:
        return self.record.mtime

    @property
    def absent(self) -> frozenset[str]:
        return frozenset(self.record.absent)

    @property
    def charts(self) -> tuple[LayoutArtifact, ...]:
        return tuple(artifact for artifact in self.artifacts if artifact.kind == "chart")

    def artifact(self, ref_name: str) -> LayoutArtifact:
        for artifact in self.artifacts:
            if artifact.ref_name == ref_name:
                return artifact
        raise BundleError(f"The bundle holds no artifact named {ref_name}.")

    def has_blob(self, digest: str) -> bool:
        return digest.partition(":")[2] in self._blobs and digest.startswith("sha256:")

    def blob_digests(self) -> frozenset[str]:
        """Every blob the file holds (what a `have` list of this bundle would name)."""
        return frozenset(f"sha256:{hex_digest}" for hex_digest in self._blobs)

    def open_blob(self, digest: str) -> BinaryIO:
        """A stream of the blob, checked against its digest again when its end is read."""
        member = self._blobs.get(digest.partition(":")[2]) if digest.startswith("sha256:") else None
        if member is None:
            left_out = " (a delta leaves it out)" if digest in self.absent else ""
            raise BundleError(f"The bundle does not hold blob {digest[:19]}…{left_out}.")
        return io.BufferedReader(_BlobReader(self._part_list, member, digest), buffer_size=_CHUNK)

    def read_blob(self, digest: str, max_bytes: int) -> bytes:
        """A blob's bytes, refused when larger than `max_bytes`."""
        member = self._blobs.get(digest.partition(":")[2])
        if member is not None and member.size > max_bytes:
            raise BundleError(f"Blob {digest[:19]}… is {member.size:,} bytes, over the {max_bytes:,}-byte limit.")
        with self.open_blob(digest) as stream:
            return stream.read()


class _BlobReader(io.RawIOBase):
    def __init__(self, parts: list[Part], member: _Member, digest: str) -> None:
        self._ranges = RangeReader(parts)
        self._member = member
        self._digest = digest
        self._hasher = hashlib.sha256()
        self._position = 0

    def readable(self) -> bool:
        return True

    def readinto(self, buffer: Any) -> int:
        remaining = self._member.size - self._position
        wanted = min(len(buffer), remaining)
        if wanted <= 0:
            return 0
        data = self._ranges.read_at(self._member.offset + self._position, wanted)
        buffer[: len(data)] = data
        self._hasher.update(data)
        self._position += len(data)
        if self._position == self._member.size and "sha256:" + self._hasher.hexdigest() != self._digest:
            raise BundleError(f"Blob {self._digest[:19]}… changed after the bundle was verified: verify it again.")
        return len(data)

    def close(self) -> None:
        self._ranges.close()
        super().close()


def open_layout(
    path: Path,
    limits: LayoutLimits | None = None,
    *,
    cancel: CancelToken | None = None,
    progress: Progress | None = None,
) -> VerifiedLayout:
    """Verify the bundle at `path` (a file, or the first of its parts) and return it."""
    limits = limits or LayoutLimits()
    parts = PartSequence(path)
    blobs, small = _scan(parts, limits, cancel, progress)
    return _verify(parts.parts, blobs, small, limits)


# --- pass 1: the tar, streamed ------------------------------------------------------------


def _ended_early(parts: PartSequence, where: str) -> BundleError:
    missing = parts.next_path()
    if parts.split and missing is not None and not missing.exists():
        return BundleError(
            f"The bundle ends early {where}: part {missing.name} is missing (or {parts.parts[-1].path.name} "
            "was cut short); put every part beside the first."
        )
    return BundleError(f"The bundle ends early {where}: the file was cut short in transfer; copy it again.")


def _member_name(raw: str) -> str:
    name = raw[2:] if raw.startswith("./") else raw
    if name.startswith("/"):
        raise BundleError(f"The bundle holds a member with an absolute path ({raw[:80]}): refused.")
    if "\\" in name or ".." in name.split("/"):
        raise BundleError(f"The bundle holds a member whose path climbs out with '..' ({raw[:80]}): refused.")
    return name.rstrip("/") if name not in ("", "/") else ""


def _scan(
    parts: PartSequence, limits: LayoutLimits, cancel: CancelToken | None, progress: Progress | None
) -> tuple[dict[str, _Member], dict[str, bytes]]:
    reader = SequentialReader(parts)
    estimate = parts.estimated_size()
    blobs: dict[str, _Member] = {}
    small: dict[str, bytes] = {}
    seen: set[str] = set()
    try:
        while True:
            if cancel is not None:
                cancel.raise_if_cancelled()
            where = f"at byte {reader.offset:,}"
            block = reader.read(BLOCK)
            if len(block) < BLOCK:
                raise _ended_early(parts, where)
            if block == _ZERO_BLOCK:
                _check_end(reader, parts, limits, where)
                return blobs, small
            header = parse_header(block, where)
            name = _member_name(header.name)
            if len(seen) >= limits.max_members:
                raise BundleError(f"The bundle has more than {limits.max_members:,} members: refused.")
            if name in seen:
                raise BundleError(f"The bundle holds {name or './'} twice: refused.")
            seen.add(name)
            blob = _BLOB_NAME.fullmatch(name)
            if header.folder:
                if name not in _FOLDERS:
                    raise BundleError(f"The bundle holds an unexpected folder {name[:80]}: refused.")
                continue
            if blob is not None:
                if header.size > limits.max_blob_bytes:
                    raise BundleError(f"Blob {blob.group(1)[:12]}… is {header.size:,} bytes, over the limit: refused.")
                blobs[blob.group(1)] = _Member(reader.offset, header.size)
                _hash_member(reader, parts, header.size, blob.group(1), cancel, progress, estimate)
            elif name in ("index.json", "oci-layout", SIGNATURE_MEMBER):
                limit = (
                    limits.max_index_bytes if name == "index.json" else SIGNATURE_MAX if name != "oci-layout" else 4096
                )
                if header.size > limit:
                    raise BundleError(f"The bundle's {name} is {header.size:,} bytes, over the limit: refused.")
                data = reader.read(header.size)
                if len(data) < header.size:
                    raise _ended_early(parts, f"in {name}")
                small[name] = data
            else:
                raise BundleError(
                    f"The bundle holds an unexpected member {name[:80]}: it is no Chartkeeper bundle, "
                    "or it was tampered with."
                )
            skip = padded(header.size) - header.size
            padding = reader.read(skip)
            if len(padding) < skip:
                raise _ended_early(parts, f"after {name}")
            if padding.count(0) != skip:
                raise BundleError(f"The bundle is damaged: the padding after {name[:80]} is not empty.")
    finally:
        reader.close()


def _hash_member(
    reader: SequentialReader,
    parts: PartSequence,
    size: int,
    hex_digest: str,
    cancel: CancelToken | None,
    progress: Progress | None,
    estimate: int,
) -> None:
    hasher = hashlib.sha256()
    remaining = size
    while remaining:
        chunk = reader.read(min(_CHUNK, remaining))
        if not chunk:
            raise _ended_early(parts, f"in blob {hex_digest[:12]}…")
        hasher.update(chunk)
        remaining -= len(chunk)
        if cancel is not None:
            cancel.raise_if_cancelled()
        if progress is not None:
            progress(reader.offset, max(estimate, reader.offset))
    if hasher.hexdigest() != hex_digest:
        raise BundleError(
            f"Blob sha256:{hex_digest[:12]}… does not match its digest: the bundle was changed or damaged."
        )


def _check_end(reader: SequentialReader, parts: PartSequence, limits: LayoutLimits, where: str) -> None:
    second = reader.read(BLOCK)
    if len(second) < BLOCK:
        raise _ended_early(parts, where)
    if second != _ZERO_BLOCK:
        raise BundleError(f"The bundle is damaged: an empty tar block {where} is followed by data.")
    rest = reader.rest_of_part(limits.max_trailing_bytes)
    if len(rest) > limits.max_trailing_bytes or rest.count(0) != len(rest):
        raise BundleError("The bundle has data after the end of its tar archive: refused.")


# --- pass 2: the layout's JSON and its references ------------------------------------------


class _Checker:
    def __init__(self, parts: list[Part], blobs: dict[str, _Member], limits: LayoutLimits) -> None:
        self.ranges = RangeReader(parts)
        self.blobs = blobs
        self.limits = limits
        self.referenced: set[str] = set()
        self.image_layers: set[str] = set()  # digests of image layers, held or not
        self.missing_image_layers: dict[str, str] = {}  # … that the file does not hold (a delta's) → what

    def present(self, descriptor: Descriptor, what: str) -> _Member | None:
        member = self.blobs.get(descriptor.hex)
        self.referenced.add(descriptor.hex)
        if member is not None and member.size != descriptor.size:
            raise BundleError(
                f"{what} says blob {descriptor.digest[:19]}… is {descriptor.size:,} bytes, but the bundle holds "
                f"{member.size:,}: refused."
            )
        return member

    def read(self, descriptor: Descriptor, what: str, max_bytes: int) -> bytes:
        member = self.present(descriptor, what)
        if member is None:
            raise BundleError(f"{what} is missing from the bundle (blob {descriptor.digest[:19]}…): refused.")
        if member.size > max_bytes:
            raise BundleError(f"{what} is {member.size:,} bytes, over the {max_bytes:,}-byte limit: refused.")
        data = self.ranges.read_at(member.offset, member.size)
        if hashlib.sha256(data).hexdigest() != descriptor.hex:
            raise BundleError(f"{what} changed while the bundle was verified: verify it again.")
        return data


def _verify(
    parts: list[Part], blobs: dict[str, _Member], small: dict[str, bytes], limits: LayoutLimits
) -> VerifiedLayout:
    if "oci-layout" not in small:
        raise BundleError("The file is no OCI image layout (it has no oci-layout file): it is not a bundle.")
    if small["oci-layout"] != OCI_LAYOUT_FILE:
        marker = load_json(small["oci-layout"], "The bundle's oci-layout file", 4096)
        if not isinstance(marker, dict) or marker.get("imageLayoutVersion") != types.OCI_LAYOUT_VERSION:
            raise BundleError("The bundle's oci-layout file names a layout version this Chartkeeper does not read.")
        raise BundleError("The bundle's oci-layout file is not as Chartkeeper writes it: it was changed.")
    if "index.json" not in small:
        raise BundleError("The bundle has no index.json: it is damaged or not a bundle.")
    checker = _Checker(parts, blobs, limits)
    try:
        entries = _index_entries(small["index.json"], limits)
        if index_json(entries) != small["index.json"]:
            # Every byte of index.json follows from its entries: anything else was changed by hand.
            raise BundleError("The bundle's index.json is not as Chartkeeper writes it: it was changed.")
        artifacts: list[LayoutArtifact] = []
        images: list[LayoutImage] = []
        for entry in entries:
            image = _image(checker, entry)
            if image is not None:
                images.append(image)
            else:
                artifacts.append(_artifact(checker, entry))
        catalog, record = _catalog(checker, artifacts)
    finally:
        checker.ranges.close()
    _check_record(record, catalog, entries)
    absent = frozenset(record.absent)
    layers = {layer.digest for artifact in artifacts for layer in artifact.layers} | checker.image_layers
    for digest, what in sorted(checker.missing_image_layers.items()):
        if digest not in absent:
            raise BundleError(
                f"{what} is missing from the bundle (blob {digest[:19]}…), and no delta leaves it out: refused."
            )
    for artifact in artifacts:
        for layer in artifact.layers:
            if layer.hex not in blobs and layer.digest not in absent:
                raise BundleError(
                    f"Layer {layer.digest[:19]}… of {artifact.ref_name} is missing from the bundle, and no delta "
                    "leaves it out: the bundle is incomplete or was tampered with."
                )
    for digest in absent:
        if digest.partition(":")[2] in blobs or digest not in layers:
            raise BundleError(f"The bundle's layout record lists {digest[:19]}… as left out wrongly: refused.")
    unreferenced = blobs.keys() - checker.referenced
    if unreferenced:
        first = min(unreferenced)
        raise BundleError(f"The bundle holds blob sha256:{first[:12]}… that nothing refers to: refused.")
    final = [_with_absent(artifact, absent) for artifact in artifacts]
    catalog = next(artifact for artifact in final if artifact.ref_name == catalog.ref_name)
    carried = tuple(
        replace(image, absent=tuple(sorted(b.digest for b in image.blobs if b.digest in absent))) for image in images
    )
    return VerifiedLayout(
        parts, blobs, final, catalog, record, small["index.json"], small.get(SIGNATURE_MEMBER), carried
    )


def _with_absent(artifact: LayoutArtifact, absent: frozenset[str]) -> LayoutArtifact:
    left_out = tuple(layer.digest for layer in artifact.layers if layer.digest in absent)
    return LayoutArtifact(
        artifact.ref_name,
        artifact.descriptor,
        artifact.manifest,
        artifact.config,
        artifact.layers,
        left_out,
        artifact.chart,
    )


def _index_entries(data: bytes, limits: LayoutLimits) -> list[Descriptor]:
    index = load_json(data, "The bundle's index.json", limits.max_index_bytes)
    if not isinstance(index, dict) or index.get("schemaVersion") != 2:
        raise BundleError("The bundle's index.json is not an OCI image index (schemaVersion 2): refused.")
    if index.get("mediaType", types.OCI_INDEX) != types.OCI_INDEX:
        raise BundleError("The bundle's index.json has a foreign mediaType: refused.")
    manifests = index.get("manifests")
    if not isinstance(manifests, list) or len(manifests) > limits.max_members:
        raise BundleError("The bundle's index.json has no valid list of manifests: refused.")
    entries: list[Descriptor] = []
    names: set[str] = set()
    for number, item in enumerate(manifests, start=1):
        what = f"Entry {number} of the bundle's index.json"
        entry = parse_descriptor(item, what, limits.max_manifest_bytes)
        if entry.media_type not in _ENTRY_TYPES:
            raise BundleError(f"{what} is a {entry.media_type[:60]}, not an OCI image manifest: refused.")
        name = ref_name_of(entry)
        if not name:
            raise BundleError(f"{what} has no ref name ({types.REF_NAME}): refused.")
        if name in names:
            raise BundleError(f"The bundle's index.json names {name[:80]} twice: refused.")
        names.add(name)
        entries.append(entry)
    return entries


def _artifact(checker: _Checker, entry: Descriptor) -> LayoutArtifact:
    limits = checker.limits
    ref_name = ref_name_of(entry)
    what = f"The manifest of {ref_name[:80]}"
    manifest = load_json(checker.read(entry, what, limits.max_manifest_bytes), what, limits.max_manifest_bytes)
    if not isinstance(manifest, dict) or manifest.get("schemaVersion") != 2:
        raise BundleError(f"{what} is not an OCI image manifest (schemaVersion 2): refused.")
    if manifest.get("mediaType", types.OCI_MANIFEST) != types.OCI_MANIFEST:
        raise BundleError(f"{what} has a foreign mediaType: refused.")
    parse_annotations(manifest.get("annotations"), what)
    config = parse_descriptor(manifest.get("config"), f"{what}, config,", limits.max_config_bytes)
    artifact_type = manifest.get("artifactType") or config.media_type
    if entry.artifact_type is not None and entry.artifact_type != artifact_type:
        raise BundleError(f"The bundle's index.json gives {ref_name[:80]} another artifactType than its manifest.")
    raw_layers = manifest.get("layers")
    if not isinstance(raw_layers, list) or len(raw_layers) > limits.max_layers:
        raise BundleError(f"{what} has no valid list of layers (at most {limits.max_layers:,}): refused.")
    layers = tuple(
        parse_descriptor(item, f"{what}, layer {number},", limits.max_blob_bytes)
        for number, item in enumerate(raw_layers, start=1)
    )
    chart = None
    if config.media_type.endswith("+json"):
        document = load_json(
            checker.read(config, f"The config of {ref_name[:80]}", limits.max_config_bytes),
            f"The config of {ref_name[:80]}",
            limits.max_config_bytes,
        )
        if config.media_type == types.HELM_CONFIG:
            if not isinstance(document, dict):
                raise BundleError(f"The config of {ref_name[:80]} is not Helm chart metadata: refused.")
            chart = document
    elif checker.present(config, what) is None:
        raise BundleError(f"The config of {ref_name[:80]} is missing from the bundle: refused.")
    for number, layer in enumerate(layers, start=1):
        checker.present(layer, f"{what}, layer {number},")
    return LayoutArtifact(ref_name, entry, manifest, config, layers, (), chart)


_ENTRY_TYPES = frozenset((*types.IMAGE_MANIFESTS, *types.IMAGE_INDEXES))
MAX_IMAGE_LAYERS = 1000
MAX_PLATFORMS = 256


def _manifest_document(checker: _Checker, descriptor: Descriptor, what: str) -> dict[str, Any]:
    limits = checker.limits
    document = load_json(checker.read(descriptor, what, limits.max_manifest_bytes), what, limits.max_manifest_bytes)
    if not isinstance(document, dict) or document.get("schemaVersion") != 2:
        raise BundleError(f"{what} is not an OCI image manifest (schemaVersion 2): refused.")
    stated = document.get("mediaType")
    if stated is not None and stated != descriptor.media_type:
        raise BundleError(f"{what} is not of the media type index.json gives it: refused.")
    return document


def _image(checker: _Checker, entry: Descriptor) -> LayoutImage | None:
    """The entry as a container image (an image index, a Docker manifest, or an OCI manifest whose
    config is an image config), its carried manifests and blobs checked; None for any other artifact."""
    ref_name = ref_name_of(entry)
    what = f"The manifest of image {ref_name[:80]}"
    if entry.media_type == types.OCI_MANIFEST:
        limits = checker.limits
        peek = load_json(checker.read(entry, what, limits.max_manifest_bytes), what, limits.max_manifest_bytes)
        config = peek.get("config") if isinstance(peek, dict) else None
        if not isinstance(config, dict) or config.get("mediaType") not in types.IMAGE_CONFIGS:
            return None
    document = _manifest_document(checker, entry, what)
    held: list[Descriptor] = [entry]
    platforms: list[str] = []
    if entry.media_type in types.IMAGE_INDEXES:
        children = document.get("manifests")
        if not isinstance(children, list) or len(children) > MAX_PLATFORMS:
            raise BundleError(f"{what} lists no valid set of manifests: refused.")
        for number, item in enumerate(children, 1):
            child = parse_descriptor(item, f"{what}, manifest {number},", checker.limits.max_manifest_bytes)
            platform = _platform_text(item.get("platform"))
            if child.media_type not in types.IMAGE_MANIFESTS:
                raise BundleError(f"{what}, manifest {number}, is a {child.media_type[:60]}: refused.")
            child_what = f"The {platform or 'unnamed'} manifest of image {ref_name[:80]}"
            held.append(child)
            held.extend(_image_blobs(checker, child, _manifest_document(checker, child, child_what), child_what))
            platforms.append(platform)
    else:
        blobs = _image_blobs(checker, entry, document, what)
        held.extend(blobs)
        config = blobs[0]
        platform = ""
        if config.media_type in types.IMAGE_CONFIGS:
            limit = checker.limits.max_config_bytes
            settings = load_json(checker.read(config, f"The config of image {ref_name[:80]}", limit), what, limit)
            platform = _platform_text(settings)
        platforms.append(platform)
    unique = tuple({descriptor.digest: descriptor for descriptor in held}.values())
    return LayoutImage(ref_name, entry, tuple(platforms), unique)


def _image_blobs(checker: _Checker, manifest: Descriptor, document: dict[str, Any], what: str) -> list[Descriptor]:
    limits = checker.limits
    config = parse_descriptor(document.get("config"), f"{what}, config,", limits.max_config_bytes)
    raw_layers = document.get("layers")
    if not isinstance(raw_layers, list) or len(raw_layers) > MAX_IMAGE_LAYERS:
        raise BundleError(f"{what} has no valid list of layers (at most {MAX_IMAGE_LAYERS:,}): refused.")
    layers = [
        parse_descriptor(item, f"{what}, layer {number},", limits.max_blob_bytes)
        for number, item in enumerate(raw_layers, 1)
    ]
    for number, descriptor in enumerate([config, *layers]):
        part = "config" if number == 0 else f"layer {number}"
        if number > 0:
            checker.image_layers.add(descriptor.digest)
        if checker.present(descriptor, f"{what}, {part},") is None:
            if number > 0:  # a delta may leave a layer out: the layout record must say so
                checker.missing_image_layers.setdefault(descriptor.digest, f"{what}: its {part}")
                continue
            raise BundleError(
                f"{what}: its {part} is missing from the bundle (blob {descriptor.digest[:19]}…): refused."
            )
    return [config, *layers]


def _platform_text(value: Any) -> str:
    if (
        not isinstance(value, dict)
        or not isinstance(value.get("os"), str)
        or not isinstance(value.get("architecture"), str)
    ):
        return ""
    variant = value.get("variant")
    return f"{value['os']}/{value['architecture']}" + (f"/{variant}" if isinstance(variant, str) and variant else "")


def _catalog(checker: _Checker, artifacts: list[LayoutArtifact]) -> tuple[LayoutArtifact, LayoutRecord]:
    catalogs = [artifact for artifact in artifacts if artifact.artifact_type == types.CATALOG_ARTIFACT]
    if not catalogs:
        raise BundleError("The file is an OCI image layout but no Chartkeeper bundle (it has no catalog): refused.")
    if len(catalogs) > 1:
        raise BundleError("The bundle holds two catalogs: refused.")
    catalog = catalogs[0]
    if not catalog.layers or catalog.layers[-1].media_type != types.LAYOUT_RECORD:
        raise BundleError("The bundle's catalog has no layout record: it was not written by Chartkeeper.")
    if any(layer.media_type == types.LAYOUT_RECORD for layer in catalog.layers[:-1]):
        raise BundleError("The bundle's catalog has two layout records: refused.")
    limits = checker.limits
    data = checker.read(catalog.layers[-1], "The bundle's layout record", limits.max_record_bytes)
    return catalog, LayoutRecord.parse(data, limits.max_record_bytes, limits.max_blob_bytes)


def _check_record(record: LayoutRecord, catalog: LayoutArtifact, entries: list[Descriptor]) -> None:
    if record.catalog_ref != catalog.ref_name:
        raise BundleError("The bundle's layout record names another catalog than index.json does: refused.")
    others = [entry for entry in entries if ref_name_of(entry) != catalog.ref_name]
    if sorted(others, key=lambda entry: ref_name_of(entry).encode()) != list(record.manifests):
        raise BundleError("The bundle's index.json and its layout record disagree: it was tampered with.")
