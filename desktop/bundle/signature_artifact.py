"""A bundle's signature as it is published: an OCI artifact beside the catalog (`chartkeeper-catalog:
<tag>.sig`) holding the layout's index.json and its detached OpenPGP signature, so that a pull
puts the signature back into the bundle and a subscription can check the catalog it reads."""

from __future__ import annotations

from desktop.bundle.artifacts import Artifact, Blob, build_artifact
from desktop.bundle.bounded_json import load_json
from desktop.bundle.descriptors import Descriptor, parse_descriptor
from desktop.bundle.errors import BundleError
from desktop.bundle.layout_record import SIGNATURE_MAX

SIGNATURE_ARTIFACT = "application/vnd.chartkeeper.signature.v1"
LAYOUT_INDEX = "application/vnd.oci.image.index.v1+json"  # the layout's index.json, as its bytes
PGP_SIGNATURE = "application/pgp-signature"
SUFFIX = ".sig"
INDEX_MAX = 16 * 1024 * 1024


def signature_tag(catalog_tag: str) -> str:
    """The tag of the signature published beside the catalog tagged `catalog_tag`."""
    return catalog_tag[: 128 - len(SUFFIX)] + SUFFIX


def signature_artifact(index: bytes, signature: bytes) -> Artifact:
    return build_artifact(
        SIGNATURE_ARTIFACT, [Blob.of_bytes(LAYOUT_INDEX, index), Blob.of_bytes(PGP_SIGNATURE, signature)]
    )


def signature_layers(manifest: bytes) -> tuple[Descriptor, Descriptor]:
    """The (index.json, signature) layer descriptors of a published signature's manifest."""
    document = load_json(manifest, "The published signature's manifest", 64 * 1024)
    if not isinstance(document, dict) or document.get("artifactType") != SIGNATURE_ARTIFACT:
        raise BundleError("The published signature is no Chartkeeper signature: refused.")
    layers = document.get("layers")
    if not isinstance(layers, list) or len(layers) != 2:
        raise BundleError("The published signature does not hold an index and a signature: refused.")
    index = parse_descriptor(layers[0], "The published signature's index", INDEX_MAX)
    signature = parse_descriptor(layers[1], "The published signature", SIGNATURE_MAX)
    if index.media_type != LAYOUT_INDEX or signature.media_type != PGP_SIGNATURE:
        raise BundleError("The published signature's layers are not an index and a signature: refused.")
    if index.size > INDEX_MAX or signature.size > SIGNATURE_MAX:
        raise BundleError("The published signature is over its size limit: refused.")
    return index, signature
