"""Pulling a published bundle back out of a registry into a layout byte-identical to the one pushed.

The catalog artifact (`PATH/chartkeeper-catalog:TAG`) carries the layout record: every other
entry of the layout (manifest digest and ref name), the time its members carry, and what a delta
left out. Each manifest is fetched by digest from `PATH/<chart>`, each blob streamed into a
private folder beside the output and checked against its digest, and the layout written again
with the same writer; the rebuilt catalog must have the digest that was pulled."""

from __future__ import annotations

import contextlib
import hashlib
import shutil
import tempfile
from collections.abc import Callable
from dataclasses import dataclass
from pathlib import Path

from desktop.bundle.artifacts import Artifact, Blob, BytesSource, FileSource
from desktop.bundle.bounded_json import load_json
from desktop.bundle.descriptors import Descriptor, parse_descriptor
from desktop.bundle.errors import BundleError
from desktop.bundle.layout_reader import LayoutLimits
from desktop.bundle.layout_record import CatalogContent, LayoutRecord, ref_name_of
from desktop.bundle.layout_writer import LayoutWriter, WrittenLayout
from desktop.bundle.media_types import (
    CATALOG_ARTIFACT,
    CATALOG_REPOSITORY,
    IMAGE_INDEXES,
    IMAGE_MANIFESTS,
    LAYOUT_RECORD,
    OCI_MANIFEST,
)
from desktop.bundle.registry_names import push_target
from desktop.bundle.registry_push import image_target
from desktop.cancellation import CancelToken
from desktop.errors import AuthError, NotFoundError
from desktop.files import write_error
from desktop.helm.image_refs import parse_image
from desktop.net.oci import OciClient

Progress = Callable[[int, int, str], None]  # (artifacts done, artifacts in all, the one now)


@dataclass(frozen=True)
class _Manifest:
    data: bytes
    config: Descriptor
    layers: tuple[Descriptor, ...]
    annotations: dict[str, str]
    artifact_type: object


def pull_layout(
    client: OciClient,
    reference: str,
    path: Path,
    *,
    split_size: int | None = None,
    limits: LayoutLimits | None = None,
    cancel: CancelToken | None = None,
    progress: Progress | None = None,
) -> WrittenLayout:
    """Rebuild at `path` the bundle whose catalog `PATH/chartkeeper-catalog:<reference>` names."""
    limits = limits or LayoutLimits()
    catalog = _manifest(client, CATALOG_REPOSITORY, reference, limits)
    if catalog.artifact_type != CATALOG_ARTIFACT or not catalog.layers:
        raise BundleError(f"{CATALOG_REPOSITORY}:{reference} is no Chartkeeper catalog: refused.")
    record_layer = catalog.layers[-1]
    if record_layer.media_type != LAYOUT_RECORD:
        raise BundleError(f"{CATALOG_REPOSITORY}:{reference} has no layout record: it cannot be rebuilt.")
    if record_layer.size > limits.max_record_bytes:
        raise BundleError("The catalog's layout record is over the size limit: refused.")
    record_bytes = _small_blob(client, CATALOG_REPOSITORY, record_layer)
    record = LayoutRecord.parse(record_bytes, limits.max_record_bytes, limits.max_blob_bytes)
    absent = frozenset(record.absent)
    try:
        spool = Path(tempfile.mkdtemp(dir=path.parent, prefix=f".{path.name}.pull-"))
    except OSError as exc:
        raise write_error(exc, path) from None
    try:
        with LayoutWriter(path, mtime=record.mtime, split_size=split_size, have=absent, cancel=cancel) as writer:
            for done, entry in enumerate(record.manifests):
                ref_name = ref_name_of(entry)
                if progress is not None:
                    progress(done, len(record.manifests) + 1, ref_name)
                image = _image(client, entry, limits, spool, absent)
                if image is not None:
                    writer.add_image(ref_name, entry, image)
                    continue
                name, _ = push_target(ref_name)
                if entry.media_type != OCI_MANIFEST:
                    raise BundleError(f"The layout record lists {ref_name} as a {entry.media_type}: refused.")
                manifest = _manifest(client, name, entry.digest, limits)
                blobs = [
                    _fetch(client, name, descriptor, absent, spool)
                    for descriptor in (manifest.config, *manifest.layers)
                ]
                plain = Descriptor(entry.media_type, entry.digest, entry.size, {}, entry.artifact_type)
                writer.add(Artifact(manifest.data, plain, blobs[0], tuple(blobs[1:])), ref_name)
            if progress is not None:
                progress(len(record.manifests), len(record.manifests) + 1, record.catalog_ref)
            content = CatalogContent(
                layers=tuple(_fetch(client, CATALOG_REPOSITORY, layer, absent, spool) for layer in catalog.layers[:-1]),
                config=_fetch(client, CATALOG_REPOSITORY, catalog.config, frozenset(), spool),
                annotations=catalog.annotations or None,
                ref_name=record.catalog_ref,
            )
            written = writer.close(content)
    finally:
        shutil.rmtree(spool, ignore_errors=True)
    if written.catalog.digest != _digest_of(catalog.data):
        for part in written.parts:
            with contextlib.suppress(OSError):
                part.unlink()
        raise BundleError(
            f"{CATALOG_REPOSITORY}:{reference} does not rebuild into the bundle that was pushed: it was changed."
        )
    if progress is not None:
        progress(len(record.manifests) + 1, len(record.manifests) + 1, "")
    return written


def _digest_of(data: bytes) -> str:
    return "sha256:" + hashlib.sha256(data).hexdigest()


def _manifest(client: OciClient, name: str, reference: str, limits: LayoutLimits) -> _Manifest:
    data, _ = client.manifest_bytes(name, reference, limits.max_manifest_bytes)
    what = f"The manifest of {name}:{reference[:19]}"
    document = load_json(data, what, limits.max_manifest_bytes)
    if not isinstance(document, dict) or document.get("schemaVersion") != 2:
        raise BundleError(f"{what} is not an OCI image manifest: refused.")
    if document.get("mediaType", OCI_MANIFEST) != OCI_MANIFEST:
        raise BundleError(f"{what} is a {document.get('mediaType')}, not an OCI image manifest: refused.")
    config = parse_descriptor(document.get("config"), f"{what}, config,", limits.max_config_bytes)
    raw_layers = document.get("layers")
    if not isinstance(raw_layers, list) or len(raw_layers) > limits.max_layers:
        raise BundleError(f"{what} has no valid list of layers: refused.")
    layers = tuple(
        parse_descriptor(item, f"{what}, layer {n},", limits.max_blob_bytes) for n, item in enumerate(raw_layers, 1)
    )
    annotations = document.get("annotations") or {}
    return _Manifest(data, config, layers, dict(annotations), document.get("artifactType"))


def _image(
    client: OciClient, entry: Descriptor, limits: LayoutLimits, spool: Path, absent: frozenset[str]
) -> list[Blob] | None:
    """The blobs of an image entry, from where `bundle push` put it (`PATH/<source host>/<repository>`),
    but the layers a delta leaves out; None when nothing is there by that digest (the entry is a chart's)."""
    ref_name = ref_name_of(entry)
    if parse_image(ref_name) is None:
        return None
    name, _ = image_target(ref_name)
    accept = (*IMAGE_MANIFESTS, *IMAGE_INDEXES)
    try:
        data, _ = client.manifest_bytes(name, entry.digest, limits.max_manifest_bytes, accept=accept)
    except (NotFoundError, AuthError):  # a registry may deny a repository it does not hold
        if entry.media_type == OCI_MANIFEST:
            return None
        raise
    blobs = [Blob(Descriptor(entry.media_type, entry.digest, entry.size), BytesSource(data))]
    manifests = [data]
    if entry.media_type in IMAGE_INDEXES:
        manifests.clear()
        document = load_json(data, f"The index of {ref_name[:80]}", limits.max_manifest_bytes)
        for number, item in enumerate(document.get("manifests") or [] if isinstance(document, dict) else []):
            child = parse_descriptor(item, f"manifest {number + 1} of {ref_name[:80]}", limits.max_manifest_bytes)
            child_data, _ = client.manifest_bytes(name, child.digest, limits.max_manifest_bytes, accept=accept)
            blobs.append(Blob(Descriptor(child.media_type, child.digest, child.size), BytesSource(child_data)))
            manifests.append(child_data)
    for manifest_data in manifests:
        document = load_json(manifest_data, f"A manifest of {ref_name[:80]}", limits.max_manifest_bytes)
        if not isinstance(document, dict) or not isinstance(document.get("layers"), list):
            raise BundleError(f"A manifest of {ref_name[:80]} in the registry is not an image manifest: refused.")
        if len(document["layers"]) > limits.max_layers:
            raise BundleError(f"A manifest of {ref_name[:80]} lists too many layers: refused.")
        config = parse_descriptor(document.get("config"), f"The config of {ref_name[:80]}", limits.max_config_bytes)
        layers = [
            parse_descriptor(item, f"A layer of {ref_name[:80]}", limits.max_blob_bytes) for item in document["layers"]
        ]
        blobs.append(_fetch(client, name, config, frozenset(), spool))
        blobs.extend(_fetch(client, name, item, absent, spool) for item in layers)
    return blobs


def _small_blob(client: OciClient, name: str, descriptor: Descriptor) -> bytes:
    return client.blob(name, descriptor.digest, max_bytes=descriptor.size)


def _fetch(client: OciClient, name: str, descriptor: Descriptor, absent: frozenset[str], spool: Path) -> Blob:
    """The blob streamed into the spool folder (once per digest), or a stand-in for one a delta leaves out."""
    if descriptor.digest in absent:
        return Blob(descriptor, BytesSource(b""))  # never read: the writer leaves it out
    target = spool / descriptor.hex
    if not target.exists():
        partial = target.with_suffix(".partial")
        try:
            with open(partial, "wb") as sink:
                client.download_blob(name, descriptor.digest, descriptor.size, sink)
            partial.replace(target)
        except OSError as exc:
            raise write_error(exc, target) from None
    return Blob(descriptor, FileSource(target))


def published_signature(client: OciClient, reference: str) -> tuple[bytes, bytes] | None:
    """(index.json, its signature) published beside the catalog tagged `reference`, or None."""
    from desktop.bundle.signature_artifact import signature_layers, signature_tag
    from desktop.errors import NotFoundError

    try:
        manifest, _ = client.manifest_bytes(CATALOG_REPOSITORY, signature_tag(reference), 64 * 1024)
    except NotFoundError:
        return None
    index, signature = signature_layers(manifest)
    return (
        client.blob(CATALOG_REPOSITORY, index.digest, max_bytes=index.size),
        client.blob(CATALOG_REPOSITORY, signature.digest, max_bytes=signature.size),
    )
