"""The one module that speaks OpenPGP (pysequoia, Sequoia's bindings): read public keys from a file or
a GnuPG keyring, make a detached signature with a secret key, and judge a detached or clear-signed one."""

from __future__ import annotations

import base64
import binascii
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


_CLEARTEXT_BEGIN = b"-----BEGIN PGP SIGNED MESSAGE-----"
_SIGNATURE_BEGIN = b"-----BEGIN PGP SIGNATURE-----"
_SIGNATURE_END = b"-----END PGP SIGNATURE-----"


def verify_cleartext(message: bytes, trusted: list[PublicKey]) -> tuple[Verdict, bytes]:
    """Judge a clear-signed message (`gpg --clearsign`, a Helm .prov) against the trusted keys: the
    verdict, and the signed text (dash-unescaped, lines ending in LF; empty when it is no such message)."""
    lines = message.replace(b"\r\n", b"\n").split(b"\n")
    try:
        start = next(i for i, line in enumerate(lines) if line.rstrip() == _CLEARTEXT_BEGIN)
        blank = next(i for i in range(start + 1, len(lines)) if not lines[i].strip())  # after the Hash: headers
        armor = next(i for i in range(blank + 1, len(lines)) if lines[i].rstrip() == _SIGNATURE_BEGIN)
    except StopIteration:
        return Verdict(BAD, detail="not an OpenPGP clear-signed message"), b""
    text = b"\n".join(line[2:] if line.startswith(b"- ") else line for line in lines[blank + 1 : armor])
    signature = _dearmor(lines[armor + 1 :])
    if signature is None:
        return Verdict(BAD, detail="its signature block is damaged"), text
    hashed = b"\n".join(line.rstrip(b" \t") for line in text.split(b"\n"))  # as the cleartext framework hashes
    return verify_detached(hashed, _repair_rsa_length(signature), trusted), text


def _dearmor(lines: list[bytes]) -> bytes | None:
    """The binary packets of an armored block's body (its headers, checksum and end line left out)."""
    try:
        end = next(i for i, line in enumerate(lines) if line.rstrip() == _SIGNATURE_END)
    except StopIteration:
        return None
    body = lines[:end]
    if any(b":" in line for line in body):  # armor headers (Version: …) end at the first blank line
        body = body[next((i for i, line in enumerate(body) if not line.strip()), -1) + 1 :]
    data = b"".join(line.strip() for line in body if line.strip() and not line.startswith(b"="))
    try:
        return base64.b64decode(data, validate=True) or None
    except (binascii.Error, ValueError):
        return None


def _repair_rsa_length(packet: bytes) -> bytes:
    """A v4 RSA signature packet whose MPI states its length in whole bytes (as Go's openpgp, and so
    Helm, writes it: 2048 for a 2047-bit value), stated as OpenPGP says; Sequoia refuses it otherwise.
    The length is not signed, so this changes nothing of what is verified; other packets pass as they are."""
    if len(packet) < 3 or packet[0] & 0xC0 != 0xC0 or packet[0] & 0x3F != 2:
        return packet
    if packet[1] < 192:
        header, length = 2, packet[1]
    elif packet[1] < 224:
        header, length = 3, ((packet[1] - 192) << 8) + packet[2] + 192
    else:
        return packet
    body = packet[header : header + length]
    if len(body) != length or len(body) < 8 or body[0] != 4 or body[2] != 1:  # v4, RSA
        return packet
    at = 6 + int.from_bytes(body[4:6], "big")
    at += 2 + int.from_bytes(body[at : at + 2], "big") + 2  # the unhashed subpackets, the hash's first 2 bytes
    value = body[at + 2 :].lstrip(b"\0")
    if at + 2 > len(body) or not value:
        return packet
    fixed = body[:at] + int.from_bytes(value, "big").bit_length().to_bytes(2, "big") + value
    size = len(fixed)
    if size < 192:
        return bytes([packet[0], size]) + fixed
    size -= 192
    return bytes([packet[0], (size >> 8) + 192, size & 0xFF]) + fixed


def _one_line(exc: BaseException) -> str:
    """Sequoia's message without the Rust backtrace it appends."""
    return " ".join(str(exc).split("Stack backtrace:")[0].split())[:200]
