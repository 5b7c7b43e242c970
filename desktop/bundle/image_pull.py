"""Pulling container images for a bundle: the manifest (or index) as published, and the chosen
platforms' manifests, configs and layers streamed into a spool folder, each checked against its digest."""

from __future__ import annotations

import threading
from collections.abc import Callable
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import orjson

from desktop.bundle.artifacts import Blob, BytesSource, FileSource
from desktop.bundle.bounded_json import load_json
from desktop.bundle.descriptors import Descriptor, parse_descriptor, sha256_digest
from desktop.bundle.errors import BundleError
from desktop.bundle.media_types import DOCKER_MANIFEST, IMAGE_INDEXES, IMAGE_MANIFESTS, OCI_INDEX, OCI_MANIFEST
from desktop.cancellation import CancelToken
from desktop.errors import OperationCancelled, UserError
from desktop.files import write_error
from desktop.helm.image_refs import ImageRef
from desktop.net.oci import OciClient

IMAGE_TYPES = (*IMAGE_MANIFESTS, *IMAGE_INDEXES)
MAX_MANIFEST_BYTES = 4 * 1024 * 1024
MAX_IMAGE_LAYERS = 1000  # overlayfs stacks at most 128; a manifest listing thousands is hostile
MAX_PLATFORMS = 256  # children of one index
MAX_BLOB_BYTES = 4 * 1024**3  # what a bundle reader accepts for one blob
DOWNLOADS = 4  # blobs fetched at once
OCI_CONFIG = "application/vnd.oci.image.config.v1+json"

ClientFor = Callable[[str], OciClient]  # registry host → a client of its own (one per thread)


@dataclass(frozen=True)
class PulledImage:
    """One image as the bundle carries it: the manifest or index as published and every blob under it."""

    reference: str  # fully qualified, as written in the profile or the list
    entry: Descriptor  # the top manifest's (an index keeps its published digest)
    blobs: tuple[Blob, ...]  # manifests, configs and layers, each once
    platforms: tuple[str, ...]  # those carried ('' for a single-platform image without a platform)

    @property
    def size(self) -> int:
        return sum(blob.descriptor.size for blob in self.blobs)


def parse_platforms(text: str) -> tuple[str, ...]:
    """`linux/amd64,linux/arm64/v8` → its platforms; anything else is one line saying what to give."""
    platforms = tuple(part.strip() for part in text.split(",") if part.strip())
    for platform in platforms:
        pieces = platform.split("/")
        if len(pieces) not in (2, 3) or not all(piece.isascii() and piece.isalnum() for piece in pieces):
            raise BundleError(f"'{platform[:40]}' is not a platform: give OS/ARCH[/VARIANT], such as linux/amd64.")
    if not platforms:
        raise BundleError("No platform given: give OS/ARCH, such as linux/amd64.")
    return platforms


def _platform_of(value: Any) -> str:
    if not isinstance(value, dict):
        return ""
    os_name, arch, variant = value.get("os"), value.get("architecture"), value.get("variant")
    if not isinstance(os_name, str) or not isinstance(arch, str):
        return ""
    return f"{os_name}/{arch}" + (f"/{variant}" if isinstance(variant, str) and variant else "")


def _blobs_of(manifest: dict[str, Any]) -> list[Descriptor]:
    """A manifest's config and layers, bounded: a layer count or size past the limits is refused."""
    config = parse_descriptor(manifest.get("config"), "its config", MAX_MANIFEST_BYTES)
    raw_layers = manifest.get("layers")
    if not isinstance(raw_layers, list) or len(raw_layers) > MAX_IMAGE_LAYERS:
        count = f"{len(raw_layers):,} layers" if isinstance(raw_layers, list) else "no list of layers"
        raise BundleError(f"its manifest has {count} (at most {MAX_IMAGE_LAYERS:,}): refused.")
    return [config] + [
        parse_descriptor(item, f"layer {number} of its manifest", MAX_BLOB_BYTES)
        for number, item in enumerate(raw_layers, 1)
    ]


_OCI_LAYERS = {
    "application/vnd.docker.image.rootfs.diff.tar.gzip": "application/vnd.oci.image.layer.v1.tar+gzip",
    "application/vnd.docker.image.rootfs.diff.tar": "application/vnd.oci.image.layer.v1.tar",
}


def oci_manifest(document: dict[str, Any]) -> bytes:
    """A Docker v2 manifest (already checked by `_blobs_of`) in its OCI form: the same config and layers."""
    config = {**document["config"], "mediaType": OCI_CONFIG}
    layers = [
        {**layer, "mediaType": _OCI_LAYERS.get(layer["mediaType"], layer["mediaType"])} for layer in document["layers"]
    ]
    return orjson.dumps({"schemaVersion": 2, "mediaType": OCI_MANIFEST, "config": config, "layers": layers})


def _keep_bytes(blobs: dict[str, Blob], media_type: str, data: bytes) -> Descriptor:
    descriptor = Descriptor(media_type, sha256_digest(data), len(data))
    blobs[descriptor.digest] = Blob(descriptor, BytesSource(data))
    return descriptor


def _chosen(platform: str, wanted: tuple[str, ...]) -> bool:
    """`linux/arm64` takes `linux/arm64/v8`; `linux/arm/v7` takes only that variant."""
    return any(platform == choice or platform.startswith(choice + "/") for choice in wanted)


class ImagePuller:
    """`pull(ref)` for each image; blobs shared by images (or pulled twice) are downloaded once."""

    def __init__(
        self,
        client_for: ClientFor,
        spool: Path,
        platforms: tuple[str, ...],
        cancel: CancelToken | None = None,
        downloads: int = DOWNLOADS,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        self.client_for = client_for
        self.spool = spool
        self.platforms = platforms
        self.cancel = cancel
        self.downloads = max(1, downloads)
        self.progress = progress  # bytes received, as blobs complete
        self._fetched: set[str] = set()
        self._local = threading.local()
        self._clients: list[OciClient] = []
        self._lock = threading.Lock()

    def close(self) -> None:
        """Close every client the pulls opened."""
        with self._lock:
            clients, self._clients = self._clients, []
        for client in clients:
            client.__exit__(None, None, None)

    def _new_client(self, host: str) -> OciClient:
        client = self.client_for(host)
        with self._lock:
            self._clients.append(client)
        return client

    def pull(self, ref: ImageRef) -> PulledImage:
        reference = str(ref)
        try:
            return self._pull(ref, reference)
        except OperationCancelled:
            raise
        except UserError as exc:
            message = exc.message[0].lower() + exc.message[1:] if exc.message else "it cannot be pulled"
            raise BundleError(f"Image {reference[:120]}: {message}") from None

    def _pull(self, ref: ImageRef, reference: str) -> PulledImage:
        client = self._client(ref.registry)
        name = ref.repository
        data, media_type, document = self._manifest(client, name, ref.digest or ref.tag or "latest", None)
        top = Descriptor(media_type, sha256_digest(data), len(data))
        blobs: dict[str, Blob] = {top.digest: Blob(top, BytesSource(data))}
        platforms: list[str] = []
        manifests: list[dict[str, Any]] = []
        kept: list[dict[str, Any]] = []  # an index's entries carried
        if media_type in IMAGE_INDEXES:
            children = document.get("manifests")
            if not isinstance(children, list) or len(children) > MAX_PLATFORMS:
                raise BundleError(f"its index lists no valid set of manifests (at most {MAX_PLATFORMS}): refused.")
            offered: list[str] = []
            for number, item in enumerate(children, 1):
                child = parse_descriptor(item, f"manifest {number} of its index", MAX_MANIFEST_BYTES)
                if child.media_type not in IMAGE_MANIFESTS:
                    raise BundleError(f"manifest {number} of its index is a {child.media_type[:60]}: refused.")
                platform = _platform_of(item.get("platform"))
                offered.append(platform or "unknown")
                # A digest must resolve on the site, and a registry refuses an index whose children it
                # lacks (docker-registry: MANIFEST_BLOB_UNKNOWN): a pinned index comes whole.
                if ref.digest is None and not _chosen(platform, self.platforms):
                    continue
                child_data, _, child_document = self._manifest(client, name, child.digest, child)
                blobs.setdefault(child.digest, Blob(child, BytesSource(child_data)))
                platforms.append(platform)
                manifests.append(child_document)
                kept.append(item)
            if not manifests:
                raise BundleError(
                    f"it has no {', '.join(self.platforms)} image (it has {', '.join(offered) or 'none'}): "
                    "choose its platforms with --platform."
                )
        else:
            manifests.append(document)
            platforms.append("")
        layers: list[Descriptor] = []
        for manifest in manifests:
            layers.extend(_blobs_of(manifest))
        if ref.digest is None:  # a tag may be carried in another form; a digest never
            top = self._tag_form(top, document, kept if media_type in IMAGE_INDEXES else None, blobs)
        wanted = [d for d in {d.digest: d for d in layers}.values() if d.digest not in blobs]
        self._download(ref.registry, name, wanted)
        for descriptor in wanted:
            blobs[descriptor.digest] = Blob(descriptor, FileSource(self.spool / descriptor.hex))
        return PulledImage(reference, top, tuple(blobs.values()), tuple(platforms))

    def _tag_form(
        self, top: Descriptor, document: dict[str, Any], kept: list[dict[str, Any]] | None, blobs: dict[str, Blob]
    ) -> Descriptor:
        """What a tag is carried as: Docker manifests in their OCI form (config and layers the same
        bytes, as `skopeo copy` to an OCI layout writes them, since OCI layout readers skip Docker
        entries), an index of only the chosen platforms, or the one chosen platform's image itself."""
        if kept is None:
            if top.media_type != DOCKER_MANIFEST:
                return top
            del blobs[top.digest]
            return _keep_bytes(blobs, OCI_MANIFEST, oci_manifest(document))
        converted = False
        entries = []
        replaced: set[str] = set()
        for item in kept:
            entry = item
            if item.get("mediaType") == DOCKER_MANIFEST:
                child = blobs[str(item["digest"])]
                with child.source.open() as stream:
                    new = _keep_bytes(blobs, OCI_MANIFEST, oci_manifest(orjson.loads(stream.read())))
                entry = {**item, "mediaType": OCI_MANIFEST, "digest": new.digest, "size": new.size}
                replaced.add(str(item["digest"]))
                converted = True
            entries.append(entry)
        for digest in replaced:
            del blobs[digest]
        whole = len(entries) == len(document.get("manifests") or ())
        if whole and not converted and top.media_type == OCI_INDEX:
            return top  # the index as published
        del blobs[top.digest]
        if len(entries) == 1 and not whole:
            only = entries[0]
            return Descriptor(str(only["mediaType"]), str(only["digest"]), int(only["size"]))
        index = {key: value for key, value in document.items() if key not in ("mediaType", "manifests")}
        return _keep_bytes(blobs, OCI_INDEX, orjson.dumps({**index, "mediaType": OCI_INDEX, "manifests": entries}))

    def _manifest(
        self, client: OciClient, name: str, reference: str, expected: Descriptor | None
    ) -> tuple[bytes, str, dict[str, Any]]:
        if expected is not None and expected.size > MAX_MANIFEST_BYTES:
            raise BundleError(f"a manifest of {expected.size:,} bytes is announced, over the limit: refused.")
        data, header_type = client.manifest_bytes(name, reference, MAX_MANIFEST_BYTES, accept=IMAGE_TYPES)
        if expected is not None and (len(data) != expected.size or sha256_digest(data) != expected.digest):
            raise BundleError("a manifest does not match the size and digest its index gives: refused.")
        document = load_json(data, "its manifest", MAX_MANIFEST_BYTES)
        if not isinstance(document, dict) or document.get("schemaVersion") != 2:
            raise BundleError("its manifest is not an image manifest (schemaVersion 2): refused.")
        stated = document.get("mediaType")
        media_type = stated if isinstance(stated, str) and stated else header_type
        if media_type not in IMAGE_TYPES and not stated and "manifests" in document:
            media_type = IMAGE_INDEXES[0]
        elif media_type not in IMAGE_TYPES and not stated:
            media_type = IMAGE_MANIFESTS[0]
        if media_type not in IMAGE_TYPES:
            raise BundleError(f"its manifest is a {str(media_type)[:60]}, not an image: refused.")
        if expected is not None and expected.media_type != media_type:
            raise BundleError("a manifest is not of the media type its index gives: refused.")
        return data, media_type, document

    def _download(self, host: str, name: str, wanted: list[Descriptor]) -> None:
        todo = [d for d in wanted if d.digest not in self._fetched]
        if not todo:
            return
        if len(todo) == 1 or self.downloads == 1:
            for descriptor in todo:
                self._fetch(host, name, descriptor)
            return
        with ThreadPoolExecutor(max_workers=min(self.downloads, len(todo)), thread_name_prefix="image") as pool:
            for future in [pool.submit(self._fetch, host, name, descriptor) for descriptor in todo]:
                future.result()

    def _client(self, host: str) -> OciClient:
        clients: dict[str, OciClient] | None = getattr(self._local, "clients", None)
        if clients is None:
            clients = self._local.clients = {}
        if host not in clients:
            clients[host] = self._new_client(host)
        return clients[host]

    def _fetch(self, host: str, name: str, descriptor: Descriptor) -> None:
        target = self.spool / descriptor.hex
        if descriptor.digest in self._fetched or target.exists():
            self._fetched.add(descriptor.digest)
            return
        partial = self.spool / f"{descriptor.hex}.{threading.get_ident()}.partial"
        try:
            with open(partial, "wb") as sink:
                self._client(host).download_blob(name, descriptor.digest, descriptor.size, sink)
            partial.replace(target)
        except OSError as exc:
            raise write_error(exc, target) from None
        finally:
            if partial.exists():
                partial.unlink()
        self._fetched.add(descriptor.digest)
        if self.progress is not None:
            self.progress(descriptor.size)
