"""Publishing a bundle into an OCI registry: charts to `PATH/<chart>:<tag>`, container images to
`PATH/<source host>/<repository>:<tag>` (and by digest), the catalog to `PATH/chartkeeper-catalog`.

Blobs the registry already holds are not sent again (a `HEAD` first; a blob pushed to another
repository in the same run is mounted from there when the registry allows). A chart whose tag
already names other content is a conflict: nothing is pushed unless `replace_tags` is given, as
chart versions are meant never to change. The catalog goes last, so a workstation that reads it
finds every chart it lists."""

from __future__ import annotations

from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from typing import BinaryIO

from desktop.bundle.artifacts import Artifact, Blob
from desktop.bundle.bounded_json import load_json
from desktop.bundle.descriptors import Descriptor, parse_descriptor
from desktop.bundle.errors import BundleError
from desktop.bundle.layout_reader import LayoutArtifact, LayoutImage, VerifiedLayout
from desktop.bundle.media_types import CATALOG_REPOSITORY, IMAGE_INDEXES
from desktop.bundle.registry_names import check_tag, push_target
from desktop.bundle.signature_artifact import signature_artifact, signature_tag
from desktop.helm.image_refs import parse_image
from desktop.net.oci import OciClient

Progress = Callable[[int, int, str], None]  # (artifacts done, artifacts in all, the one now)
BlobOpener = Callable[[str], BinaryIO]


@dataclass(frozen=True)
class PushItem:
    """One manifest to put under one or more tags of one repository, with where its blobs come from."""

    name: str  # repository under the registry's path
    tags: tuple[str, ...]
    manifest: bytes = field(repr=False)
    media_type: str
    digest: str
    blobs: tuple[Descriptor, ...]  # config, then layers
    available: frozenset[str]  # digests the source holds (a delta leaves some out)
    open_blob: BlobOpener = field(repr=False)
    movable: bool = False  # its tags may name other content already (an image's, the catalog's)


@dataclass
class PushSummary:
    pushed: list[str] = field(default_factory=list)  # name:tag written
    unchanged: list[str] = field(default_factory=list)  # name:tag the registry already had
    blobs_uploaded: int = 0
    blobs_mounted: int = 0
    blobs_present: int = 0
    bytes_uploaded: int = 0
    image_hosts: list[str] = field(default_factory=list)  # source hosts of the images pushed
    homes: dict[str, str] = field(default_factory=dict)  # digest → a repository that now holds it


def layout_items(layout: VerifiedLayout, catalog_tags: Sequence[str]) -> list[PushItem]:
    """What pushing `layout` means: every chart artifact, then the catalog under `catalog_tags`."""
    held = layout.blob_digests()
    items = []
    for artifact in layout.artifacts:
        if artifact.kind == "catalog":
            continue
        if artifact.kind != "chart":
            raise BundleError(f"{artifact.ref_name} is no chart: Chartkeeper does not know where to push it.")
        name, tag = push_target(artifact.ref_name)
        items.append(_layout_item(layout, artifact, name, (tag,), held))
    for image in layout.images:
        items.extend(image_items(layout, image, held))
    if not catalog_tags:
        raise BundleError("Give at least one tag for the catalog (such as its date, and latest).")
    tags = tuple(dict.fromkeys(check_tag(tag) for tag in catalog_tags))
    items.append(_layout_item(layout, layout.catalog, CATALOG_REPOSITORY, tags, held))
    if layout.signature is not None:  # beside the catalog: a pull restores it, a subscription checks it
        signed = signature_artifact(layout.index, layout.signature)
        items.append(artifact_item(signed, CATALOG_REPOSITORY, [signature_tag(tag) for tag in tags]))
    return items


def _layout_item(
    layout: VerifiedLayout, artifact: LayoutArtifact, name: str, tags: tuple[str, ...], held: frozenset[str]
) -> PushItem:
    manifest = layout.read_blob(artifact.descriptor.digest, artifact.descriptor.size)
    return PushItem(
        name,
        tags,
        manifest,
        artifact.descriptor.media_type,
        artifact.descriptor.digest,
        (artifact.config, *artifact.layers),
        held,
        layout.open_blob,
    )


def image_target(ref_name: str) -> tuple[str, tuple[str, ...]]:
    """`<source host>/<repository>` under the registry's path, and the tags (a digest too) an image goes under."""
    ref = parse_image(ref_name)
    if ref is None:
        raise BundleError(f"{ref_name[:120]} is no image reference: Chartkeeper does not know where to push it.")
    tags = tuple(tag for tag in (ref.tag, ref.digest) if tag)
    return f"{image_source_component(ref.registry)}/{ref.repository}", tags


def image_source_component(host: str) -> str:
    """A source host as one repository path component: `registry.k8s.io`, `127.0.0.1_5000`."""
    return host.lower().replace(":", "_").strip("[]")


def image_items(layout: VerifiedLayout, image: LayoutImage, held: frozenset[str]) -> list[PushItem]:
    """An image's manifests to push: an index's children by digest first, then the image under its tags."""
    return manifest_items(image.ref_name, image.descriptor, layout.read_blob, layout.open_blob, held)


def pulled_image_items(ref_name: str, top: Descriptor, blobs: Sequence[Blob]) -> list[PushItem]:
    """The same for an image just pulled (`mirror --images`): its blobs from the spool."""
    sources = {blob.descriptor.digest: blob.source for blob in blobs}

    def read(digest: str, max_bytes: int) -> bytes:
        with sources[digest].open() as stream:
            return stream.read(max_bytes + 1)[:max_bytes]

    return manifest_items(ref_name, top, read, lambda digest: sources[digest].open(), frozenset(sources))


def manifest_items(
    ref_name: str,
    top: Descriptor,
    read: Callable[[str, int], bytes],
    open_blob: BlobOpener,
    held: frozenset[str],
) -> list[PushItem]:
    name, tags = image_target(ref_name)
    data = read(top.digest, top.size)
    tags = (*tags, top.digest) if top.digest not in tags else tags
    if top.media_type not in IMAGE_INDEXES:
        return [_manifest_item(name, top, tags, read, open_blob, held)]
    items = []
    children = load_json(data, f"The index of {ref_name[:80]}", top.size).get("manifests", [])
    for number, entry in enumerate(children, 1):
        child = parse_descriptor(entry, f"manifest {number} of {ref_name[:80]}", 4 * 1024 * 1024)
        items.append(_manifest_item(name, child, (child.digest,), read, open_blob, held))
    items.append(PushItem(name, tags, data, top.media_type, top.digest, (), held, open_blob, True))
    return items


def _manifest_item(
    name: str,
    manifest: Descriptor,
    tags: tuple[str, ...],
    read: Callable[[str, int], bytes],
    open_blob: BlobOpener,
    held: frozenset[str],
) -> PushItem:
    data = read(manifest.digest, manifest.size)
    document = load_json(data, f"A manifest of {name[:80]}", manifest.size)
    limit = 4 * 1024**3
    blobs = [parse_descriptor(document.get("config"), f"The config of {name[:80]}", limit)]
    blobs += [parse_descriptor(item, f"A layer of {name[:80]}", limit) for item in document.get("layers", [])]
    return PushItem(name, tags, data, manifest.media_type, manifest.digest, tuple(blobs), held, open_blob, True)


def artifact_item(artifact: Artifact, name: str, tags: Sequence[str]) -> PushItem:
    """A single artifact (a mirrored chart, say) to push from memory or its files."""
    sources = {blob.descriptor.digest: blob.source for blob in artifact.blobs()}
    return PushItem(
        name,
        tuple(check_tag(tag) for tag in tags),
        artifact.manifest,
        artifact.descriptor.media_type,
        artifact.descriptor.digest,
        tuple(blob.descriptor for blob in artifact.blobs()),
        frozenset(sources),
        lambda digest: sources[digest].open(),
    )


def push_layout(
    layout: VerifiedLayout,
    client: OciClient,
    *,
    catalog_tags: Sequence[str],
    replace_tags: bool = False,
    progress: Progress | None = None,
    homes: dict[str, str] | None = None,
) -> PushSummary:
    """Push a verified bundle to the registry and path of `client`; a blob a delta leaves out is
    mounted from a repository `homes` names for it (or another of the bundle's images') that holds it."""
    items = layout_items(layout, catalog_tags)
    summary = push_items(client, items, replace_tags=replace_tags, progress=progress, homes=homes)
    hosts = {ref.registry for ref in (parse_image(image.ref_name) for image in layout.images) if ref is not None}
    summary.image_hosts = sorted(hosts)
    return summary


def push_items(
    client: OciClient,
    items: Sequence[PushItem],
    *,
    replace_tags: bool = False,
    progress: Progress | None = None,
    homes: dict[str, str] | None = None,
) -> PushSummary:
    """Push `items` in order, after checking no tag would change content (the catalog's tags move freely)."""
    summary = PushSummary()
    todo: list[tuple[PushItem, tuple[str, ...]]] = []
    conflicts: list[str] = []
    for item in items:
        stale = []
        for tag in item.tags:
            current = client.manifest_digest(item.name, tag)
            if current == item.digest:
                summary.unchanged.append(f"{item.name}:{tag}")
                continue
            if current is not None and item.name != CATALOG_REPOSITORY and not item.movable and not replace_tags:
                conflicts.append(f"{item.name}:{tag}")
            stale.append(tag)
        if stale:
            todo.append((item, tuple(stale)))
    if conflicts:
        more = f" (and {len(conflicts) - 1} more)" if len(conflicts) > 1 else ""
        raise BundleError(
            f"The registry already holds {conflicts[0]}{more} with other content; nothing was pushed. "
            "Chart versions should never change: replace them only on purpose."
        )
    pusher = _BlobPusher(client, summary, homes or {}, [item.name for item in items])
    for done, (item, tags) in enumerate(todo):
        if progress is not None:
            progress(done, len(todo), f"{item.name}:{tags[0]}")
        for blob in item.blobs:
            pusher.push(item, blob)
        for tag in tags:
            client.put_manifest(item.name, tag, item.manifest, item.media_type)
            summary.pushed.append(f"{item.name}:{tag}")
    if progress is not None:
        progress(len(todo), len(todo), "")
    return summary


class _BlobPusher:
    def __init__(self, client: OciClient, summary: PushSummary, recorded: dict[str, str], names: list[str]) -> None:
        self.client = client
        self.summary = summary
        self.known: dict[str, set[str]] = {}  # repository name → digests it holds
        self.homes: dict[str, str] = {}  # digest → a repository that holds it (to mount from)
        self.recorded = recorded  # digest → a repository an earlier push put it in
        self.names = list(dict.fromkeys(names))  # the repositories of this push

    def push(self, item: PushItem, blob: Descriptor) -> None:
        held = self.known.setdefault(item.name, set())
        if blob.digest in held:
            return
        if self.client.blob_exists(item.name, blob.digest):
            self.summary.blobs_present += 1
        elif blob.digest not in item.available and self._mount_left_out(item, blob):
            self.summary.blobs_mounted += 1
        elif blob.digest not in item.available:
            raise BundleError(
                f"The bundle is a delta that leaves out blob {blob.digest[:19]}… of {item.name}, and the registry "
                "does not have it: push the full bundle first."
            )
        else:
            mounted = self.client.upload_blob(
                item.name, blob.digest, blob.size, lambda: item.open_blob(blob.digest), self.homes.get(blob.digest)
            )
            if mounted:
                self.summary.blobs_mounted += 1
            else:
                self.summary.blobs_uploaded += 1
                self.summary.bytes_uploaded += blob.size
        held.add(blob.digest)
        self.homes.setdefault(blob.digest, item.name)
        self.summary.homes.setdefault(blob.digest, item.name)

    def _mount_left_out(self, item: PushItem, blob: Descriptor) -> bool:
        """A blob a delta leaves out, mounted from a repository of the registry that holds it."""
        candidates = [self.homes.get(blob.digest), self.recorded.get(blob.digest), *self.names]
        for source in dict.fromkeys(name for name in candidates if name and name != item.name):
            if not self.client.blob_exists(source, blob.digest):
                continue
            if self.client.upload_blob(item.name, blob.digest, blob.size, lambda: item.open_blob(blob.digest), source):
                return True
        return False
