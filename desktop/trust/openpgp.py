"""The one module that speaks OpenPGP (pysequoia, Sequoia's bindings): read public keys from a file or
a GnuPG keyring, make a detached signature with a secret key, and judge a detached signature."""

from __future__ import annotations

import struct
import warnings
from dataclasses import dataclass
from datetime import UTC, datetime

from desktop.errors import ValidationError

KEYRING_MAX = 64 * 1024 * 1024
_KEYBOX_MAGIC = b"KBXf"
_KEYBOX_OPENPGP_BLOB = 2

VERIFIED, BAD, UNKNOWN_KEY, EXPIRED, REVOKED, UNSIGNED = (
    "verified",
    "bad-signature",
    "unknown-key",
    "key-expired",
    "key-revoked",
    "unsigned",
)


@dataclass(frozen=True)
class PublicKey:
    fingerprint: str  # uppercase hex, as gpg prints it
    user_ids: tuple[str, ...]
    expires: datetime | None
    revoked: bool
    armored: str
    key_fingerprints: tuple[str, ...] = ()  # the primary key's and every subkey's

    def made(self, fingerprint: str, key_id: str) -> bool:
        """Whether a signature naming this issuer came from one of this key's (sub)keys."""
        names = self.key_fingerprints or (self.fingerprint,)
        return bool(fingerprint and fingerprint in names) or bool(key_id and any(f.endswith(key_id) for f in names))

    @property
    def name(self) -> str:
        return self.user_ids[0] if self.user_ids else "(no user ID)"

    def expired(self, when: datetime | None = None) -> bool:
        return self.expires is not None and self.expires <= (when or datetime.now(UTC))


@dataclass(frozen=True)
class Verdict:
    """What a signature says: `state` is one of VERIFIED … UNSIGNED; `key` the trusted key that
    made it (when known); `fingerprint` the signer's as the signature names it."""

    state: str
    fingerprint: str = ""
    key: PublicKey | None = None
    detail: str = ""

    @property
    def verified(self) -> bool:
        return self.state == VERIFIED

    def __str__(self) -> str:
        if self.state == VERIFIED and self.key is not None:
            return f"signed by {self.key.name} ({self.key.fingerprint}) ✓"
        if self.state == UNSIGNED:
            return "not signed"
        if self.state == UNKNOWN_KEY:
            return f"signed by an unknown key ({self.fingerprint or 'no fingerprint given'})"
        if self.state == EXPIRED and self.key is not None:
            return f"signed by {self.key.name} ({self.key.fingerprint}), whose key has expired"
        if self.state == REVOKED and self.key is not None:
            return f"signed by {self.key.name} ({self.key.fingerprint}), whose key is revoked"
        return "signed, but the signature does not verify" + (f" ({self.detail})" if self.detail else "")


def _public(cert: object) -> PublicKey:
    import pysequoia

    assert isinstance(cert, pysequoia.Cert)
    from pysequoia.packet import PacketPile

    packets = PacketPile.from_bytes(bytes(cert))
    return PublicKey(
        fingerprint=cert.fingerprint.upper(),
        user_ids=tuple(str(uid) for uid in cert.user_ids),
        expires=cert.expiration,
        revoked=cert.is_revoked,
        armored=str(cert),
        key_fingerprints=tuple(p.fingerprint.upper() for p in packets if p.fingerprint),
    )


def keybox_keyblocks(data: bytes) -> list[bytes]:
    """The OpenPGP keyblocks of a GnuPG keybox (pubring.kbx): blobs of a 4-byte length and a type,
    OpenPGP ones pointing at their keyblock (offset and length within the blob)."""
    blocks: list[bytes] = []
    offset = 0
    while offset + 6 <= len(data):
        (length,) = struct.unpack_from(">I", data, offset)
        if length < 6 or offset + length > len(data):
            raise ValidationError("The keyring is damaged (a keybox blob runs past its end): export the keys instead.")
        kind = data[offset + 4]
        if kind == _KEYBOX_OPENPGP_BLOB and length >= 16:
            start, size = struct.unpack_from(">II", data, offset + 8)
            if start + size > length:
                raise ValidationError("The keyring is damaged (a key runs past its blob): export the keys instead.")
            blocks.append(data[offset + start : offset + start + size])
        offset += length
    return blocks


def read_public_keys(data: bytes) -> list[PublicKey]:
    """Every public key in `data`: armored or binary, one key or a keyring (`gpg --export`, the
    legacy pubring.gpg, or a keybox pubring.kbx); a secret key is refused."""
    import pysequoia
    from pysequoia.packet import PacketPile, Tag

    secret_tags = (Tag.SecretKey, Tag.SecretSubkey)
    if len(data) > KEYRING_MAX:
        raise ValidationError(f"The key file is over {KEYRING_MAX // (1024 * 1024)} MB: give the keys you trust.")
    chunks = keybox_keyblocks(data) if data[8:12] == _KEYBOX_MAGIC else [data]
    keys: list[PublicKey] = []
    for chunk in chunks:
        try:
            with warnings.catch_warnings():  # hostile bytes can parse as a key, which pysequoia warns about
                warnings.simplefilter("ignore", DeprecationWarning)
                secret = any(packet.tag in secret_tags for packet in PacketPile.from_bytes(chunk))
                certs = pysequoia.Cert.split_bytes(chunk)
        except Exception as exc:  # pysequoia raises ValueError and its own errors
            raise ValidationError(f"The file holds no OpenPGP public key ({_one_line(exc)}).") from None
        if secret:
            raise ValidationError(
                "The file holds a secret key: give the public key only (gpg --export --armor KEY > key.asc)."
            )
        keys.extend(_public(cert) for cert in certs)
    if not keys:
        raise ValidationError("The file holds no OpenPGP public key.")
    return keys


def sign_detached(secret_key: bytes, passphrase: str | None, data: bytes) -> bytes:
    """An ASCII-armored detached signature of `data`, as `gpg --detach-sign --armor` makes."""
    import pysequoia

    try:
        tsk = pysequoia.Tsk.from_bytes(secret_key)
    except Exception as exc:
        raise ValidationError(f"The signing key file holds no OpenPGP secret key ({_one_line(exc)}).") from None
    try:
        signer = tsk.signer(passphrase or None)
    except Exception as exc:
        said = _one_line(exc)
        if "encrypted" in said or "decrypt" in said.lower() or passphrase:
            hint = "the passphrase is wrong" if passphrase else "give its passphrase on standard input"
            raise ValidationError(f"The signing key cannot sign ({said}): {hint}.") from None
        raise ValidationError(
            f"The signing key cannot sign ({said}): is it expired, or a key without signing?"
        ) from None
    return pysequoia.sign(signer, data, mode=pysequoia.SignatureMode.DETACHED, armor=True)


def signer_fingerprint(signature: bytes) -> str:
    import pysequoia

    try:
        sig = pysequoia.Sig.from_bytes(signature)
    except Exception as exc:
        raise ValidationError(f"The signature is no OpenPGP signature ({_one_line(exc)}).") from None
    return (sig.issuer_fingerprint or sig.issuer_key_id or "").upper()


def verify_detached(data: bytes, signature: bytes | None, trusted: list[PublicKey]) -> Verdict:
    """Judge a detached signature of `data` against the trusted keys."""
    import pysequoia

    if not signature:
        return Verdict(UNSIGNED)
    try:
        with warnings.catch_warnings():  # hostile bytes can parse as a key, which pysequoia warns about
            warnings.simplefilter("ignore", DeprecationWarning)
            sig = pysequoia.Sig.from_bytes(signature)
    except Exception as exc:
        return Verdict(BAD, detail=f"no OpenPGP signature: {_one_line(exc)}")
    issuer = (sig.issuer_fingerprint or "").upper()
    key_id = (sig.issuer_key_id or "").upper()
    key = next((k for k in trusted if k.made(issuer, key_id)), None)
    if key is None:
        return Verdict(UNKNOWN_KEY, issuer or key_id)
    if key.revoked:
        return Verdict(REVOKED, key.fingerprint, key)
    if key.expired():
        return Verdict(EXPIRED, key.fingerprint, key)
    cert = pysequoia.Cert.from_bytes(key.armored.encode())
    try:
        pysequoia.verify(bytes=data, store=lambda _ids: [cert], signature=sig)
    except Exception as exc:
        return Verdict(BAD, key.fingerprint, key, _one_line(exc))
    return Verdict(VERIFIED, key.fingerprint, key)


def _one_line(exc: BaseException) -> str:
    """Sequoia's message without the Rust backtrace it appends."""
    return " ".join(str(exc).split("Stack backtrace:")[0].split())[:200]
