"""Signed bundles: sign a bundle's index.json (the root of every digest in it) with an OpenPGP key,
read the signature back out for `gpg --verify`, and judge it against the site's trusted keys under
the tenant's `bundle_signatures` rule."""

from __future__ import annotations

import os
from collections.abc import Callable
from pathlib import Path

from desktop.bundle.errors import BundleError
from desktop.bundle.layout_reader import VerifiedLayout, open_layout
from desktop.bundle.layout_record import SIGNATURE_MEMBER
from desktop.bundle.tar_format import BLOCK, END_OF_ARCHIVE, padded, parse_header, ustar_header
from desktop.files import read_regular_file
from desktop.trust.keys import trusted_keys
from desktop.trust.openpgp import Verdict, sign_detached, verify_detached

SECRET_KEY_MAX = 1024 * 1024
OFF, REPORT, REQUIRE = "off", "report", "require"


def signer_for(key_file: Path, passphrase: str | None) -> Callable[[bytes], bytes]:
    """A function signing bytes with the secret key in `key_file` (read now, so a missing file or a
    wrong passphrase stops the export before it starts)."""
    secret = read_regular_file(key_file, SECRET_KEY_MAX, "The signing key file")
    sign_detached(secret, passphrase, b"check")  # the passphrase is right, the key can sign

    def sign(data: bytes) -> bytes:
        return sign_detached(secret, passphrase, data)

    return sign


def sign_bundle(path: Path, key_file: Path, passphrase: str | None) -> None:
    """Add a detached signature of the bundle's index.json to the bundle (appended to its tar, in
    place); a bundle signed already, or split into parts, is refused."""
    sign = signer_for(key_file, passphrase)
    layout = open_layout(path)
    if len(layout.parts) > 1:
        raise BundleError("A bundle in parts is signed when it is written: export it again with --sign-key.")
    if layout.signature is not None:
        raise BundleError("The bundle is signed already: a bundle carries one signature.")
    add_signature(path, sign(layout.index), layout.mtime)


def add_signature(path: Path, signature: bytes, mtime: int) -> None:
    """Put a signature of the bundle's index.json into the bundle (one file, unsigned so far)."""
    _append_member(path, SIGNATURE_MEMBER, signature, mtime)


def _append_member(path: Path, name: str, data: bytes, mtime: int) -> None:
    """Write one member where the tar's end-of-archive marker is, then the marker again."""
    with path.open("r+b") as tar:
        offset = 0
        while True:
            tar.seek(offset)
            block = tar.read(BLOCK)
            if len(block) < BLOCK:
                raise BundleError("The bundle ends without a tar end marker: it is damaged.")
            if block == bytes(BLOCK):
                break
            header = parse_header(block, f"at byte {offset:,}")
            offset += BLOCK + padded(header.size)
        tar.seek(offset)
        tar.write(ustar_header(name, len(data), mtime=mtime) + data + bytes(padded(len(data)) - len(data)))
        tar.write(END_OF_ARCHIVE)
        tar.truncate()
        tar.flush()
        os.fsync(tar.fileno())


def bundle_verdict(layout: VerifiedLayout, keys_folder: Path | None) -> Verdict:
    keys = trusted_keys(keys_folder) if keys_folder is not None else []
    return verify_detached(layout.index, layout.signature, keys)


def check_bundle_signature(layout: VerifiedLayout, keys_folder: Path | None, rule: str) -> Verdict | None:
    """The verdict (None when the rule is off); under `require`, anything but a trusted signature
    refuses the bundle in one line, before the catalog is touched."""
    if rule == OFF:
        return None
    verdict = bundle_verdict(layout, keys_folder)
    if rule == REQUIRE and not verdict.verified:
        raise BundleError(
            f"The bundle is {verdict}, and this site accepts only bundles signed by a trusted key "
            "(bundle_signatures is require): refused, nothing was imported."
        )
    return verdict
