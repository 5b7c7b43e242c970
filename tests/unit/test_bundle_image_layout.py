"""Images in a bundle's layout: the reader verifies each image entry (an index's every child, each
manifest's config and layers) and refuses what is missing, mislabelled or unreferenced."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from desktop.bundle.artifacts import Blob, BytesSource
from desktop.bundle.descriptors import Descriptor, sha256_digest
from desktop.bundle.errors import BundleError
from desktop.bundle.layout_reader import open_layout
from desktop.bundle.layout_writer import LayoutWriter
from desktop.bundle.media_types import DOCKER_MANIFEST, OCI_INDEX, OCI_MANIFEST

CONFIG = "application/vnd.oci.image.config.v1+json"
LAYER = "application/vnd.oci.image.layer.v1.tar+gzip"


def _struct(descriptor: Descriptor) -> dict[str, object]:
    return {"mediaType": descriptor.media_type, "digest": descriptor.digest, "size": descriptor.size}


def _blob(media_type: str, data: bytes) -> Blob:
    return Blob(Descriptor(media_type, sha256_digest(data), len(data)), BytesSource(data))


def _image(arch: str, layer: bytes, media_type: str = OCI_MANIFEST) -> tuple[Blob, list[Blob]]:
    config = _blob(CONFIG, json.dumps({"os": "linux", "architecture": arch}).encode())
    layers = [_blob(LAYER, layer)]
    manifest = {
        "schemaVersion": 2,
        "mediaType": media_type,
        "config": _struct(config.descriptor),
        "layers": [_struct(blob.descriptor) for blob in layers],
    }
    top = _blob(media_type, json.dumps(manifest).encode())
    return top, [top, config, *layers]


def _index(children: list[tuple[str, Blob]]) -> Blob:
    entries = [{**_struct(top.descriptor), "platform": {"os": "linux", "architecture": arch}} for arch, top in children]
    return _blob(OCI_INDEX, json.dumps({"schemaVersion": 2, "mediaType": OCI_INDEX, "manifests": entries}).encode())


def _write(path: Path, images: list[tuple[str, Blob, list[Blob]]], have: frozenset[str] = frozenset()) -> Path:
    with LayoutWriter(path, mtime=1767225600, have=have) as writer:
        for ref, top, blobs in images:
            writer.add_image(ref, top.descriptor, blobs)
        writer.close()
    return path


def test_images_are_listed_apart_from_the_artifacts(tmp_path: Path) -> None:
    amd, amd_blobs = _image("amd64", b"shared")
    arm, arm_blobs = _image("arm64", b"arm")
    index = _index([("amd64", amd), ("arm64", arm)])
    single, single_blobs = _image("amd64", b"shared")  # the same layer, stored once
    layout = open_layout(
        _write(
            tmp_path / "b.tar",
            [("quay.io/a/multi:1", index, [index, *amd_blobs, *arm_blobs]), ("quay.io/a/one:1", single, single_blobs)],
        )
    )
    images = {image.ref_name: image for image in layout.images}
    assert sorted(images["quay.io/a/multi:1"].platforms) == ["linux/amd64", "linux/arm64"]
    assert images["quay.io/a/one:1"].platforms == ("linux/amd64",)
    assert images["quay.io/a/one:1"].descriptor.digest == single.descriptor.digest
    assert all(artifact.kind == "catalog" for artifact in layout.artifacts)
    assert layout.read_blob(sha256_digest(b"shared"), 100) == b"shared"


def test_an_index_whose_child_is_missing_is_refused(tmp_path: Path) -> None:
    amd, amd_blobs = _image("amd64", b"a")
    arm, _ = _image("arm64", b"b")
    index = _index([("amd64", amd), ("arm64", arm)])
    path = _write(tmp_path / "b.tar", [("quay.io/a/multi:1", index, [index, *amd_blobs])])
    with pytest.raises(BundleError, match=r"arm64 manifest of image quay\.io/a/multi:1 is missing from the bundle"):
        open_layout(path)


def test_a_manifest_whose_layer_is_missing_is_refused(tmp_path: Path) -> None:
    top, blobs = _image("amd64", b"a")
    path = _write(tmp_path / "b.tar", [("quay.io/a/one:1", top, blobs[:2])])
    with pytest.raises(BundleError, match="its layer 1 is missing from the bundle"):
        open_layout(path)


def test_a_manifest_labelled_with_another_media_type_is_refused(tmp_path: Path) -> None:
    top, blobs = _image("amd64", b"a", media_type=DOCKER_MANIFEST)
    relabelled = Blob(Descriptor(OCI_MANIFEST, top.descriptor.digest, top.descriptor.size), top.source)
    path = _write(tmp_path / "b.tar", [("quay.io/a/one:1", relabelled, blobs)])
    with pytest.raises(BundleError, match=r"not of the media type index\.json gives it"):
        open_layout(path)


def test_a_delta_leaves_out_the_layers_a_site_has_and_says_so(tmp_path: Path) -> None:
    amd, amd_blobs = _image("amd64", b"base")
    index = _index([("amd64", amd)])
    have = frozenset(blob.descriptor.digest for blob in [index, *amd_blobs])  # the site has all of it
    layout = open_layout(_write(tmp_path / "b.tar", [("quay.io/a/multi:1", index, [index, *amd_blobs])], have))
    layer = sha256_digest(b"base")
    assert layout.absent == frozenset({layer})  # the layer only: manifests and configs always come
    assert not layout.has_blob(layer) and layout.has_blob(amd.descriptor.digest)
    image = layout.images[0]
    assert image.absent == (layer,) and image.size_in_bundle == image.size - len(b"base")
    with pytest.raises(BundleError, match="a delta leaves it out"):
        layout.read_blob(layer, 100)
