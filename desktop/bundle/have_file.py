"""A have file: the blob digests a catalog holds, one per line under a header, so a bundle made elsewhere
can leave them out (a delta). Plain text, sorted, so two sites can diff them."""

from __future__ import annotations

from collections.abc import Iterable
from pathlib import Path

from desktop.bundle.descriptors import DIGEST
from desktop.bundle.errors import BundleError
from desktop.errors import ValidationError
from desktop.files import MIB, read_regular_file

HEADER = "# chartkeeper have v1"
MAX_HAVE_BYTES = 64 * MIB


def have_text(digests: Iterable[str]) -> str:
    return "\n".join([HEADER, *sorted(set(digests))]) + "\n"


def read_have_file(path: Path) -> frozenset[str]:
    """The digests a have file lists; anything but its header and digests is refused in one line."""
    try:
        data = read_regular_file(path, MAX_HAVE_BYTES, "The have file", too_large="a have file is far smaller")
    except ValidationError as exc:
        raise BundleError(exc.message) from None
    try:
        lines = data.decode("ascii").splitlines()
    except UnicodeDecodeError:
        raise BundleError(f"{path} is not a have file (it is not plain ASCII text).") from None
    if not lines or lines[0].strip() != HEADER:
        raise BundleError(f"{path} is not a have file: make one on the target with `chartkeeper bundle have -o FILE`.")
    digests = set()
    for number, line in enumerate(lines[1:], start=2):
        text = line.strip()
        if not text:
            continue
        if not DIGEST.fullmatch(text):
            raise BundleError(f"Line {number} of the have file {path} is not a sha256 digest: refused.")
        digests.add(text)
    return frozenset(digests)
