"""The trusted keys: OpenPGP public keys the user imported, kept as `<FINGERPRINT>.asc` files (0600) in
a private folder of the catalog's home, listed, removed; the keys every signature is judged against."""

from __future__ import annotations

from pathlib import Path

from desktop.errors import NotFoundError, ValidationError
from desktop.files import make_private_folder, read_regular_file, write_private_file
from desktop.trust.openpgp import KEYRING_MAX, PublicKey, read_public_keys

_FINGERPRINT_FILE = "{}.asc"
KEY_FILE_MAX = 1024 * 1024


def import_keys(folder: Path, source: Path) -> list[PublicKey]:
    """Keep every public key of `source` (a key file or a GnuPG keyring); returns those imported."""
    keys = read_public_keys(read_regular_file(source, KEYRING_MAX, "The key file"))
    make_private_folder(folder)
    for key in keys:
        write_private_file(folder / _FINGERPRINT_FILE.format(key.fingerprint), key.armored.encode())
    return keys


def trusted_keys(folder: Path) -> list[PublicKey]:
    """The trusted keys, by user ID; a damaged file is left out (and listed by `damaged_key_files`)."""
    keys: list[PublicKey] = []
    if not folder.is_dir():
        return keys
    for path in sorted(folder.glob("*.asc")):
        try:
            keys.extend(read_public_keys(read_regular_file(path, KEY_FILE_MAX, "A trusted key file")))
        except ValidationError:
            continue
    return sorted(keys, key=lambda key: (key.name.lower(), key.fingerprint))


def remove_key(folder: Path, fingerprint: str) -> PublicKey:
    """Stop trusting the key whose fingerprint is (or ends with, 16 hex digits at least) `fingerprint`."""
    wanted = fingerprint.replace(" ", "").upper().removeprefix("0X")
    if len(wanted) < 16 or any(ch not in "0123456789ABCDEF" for ch in wanted):
        raise ValidationError(f"'{fingerprint[:60]}' is not a key fingerprint: give at least its last 16 hex digits.")
    matches = [key for key in trusted_keys(folder) if key.fingerprint.endswith(wanted)]
    if not matches:
        raise NotFoundError(f"No trusted key has the fingerprint {wanted}: `chartkeeper keys list` shows them.")
    if len(matches) > 1:
        raise ValidationError(f"{wanted} names {len(matches)} trusted keys: give the whole fingerprint.")
    (folder / _FINGERPRINT_FILE.format(matches[0].fingerprint)).unlink()
    return matches[0]
