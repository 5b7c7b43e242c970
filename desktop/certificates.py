"""X509 server certificates for a registry: read PEM, DER or PKCS#7, one or a chain; refuse keys."""

from __future__ import annotations

import datetime as dt
import re
import ssl
from dataclasses import dataclass
from pathlib import Path
from typing import TYPE_CHECKING

from desktop.errors import ValidationError
from desktop.files import read_regular_file

if TYPE_CHECKING:
    from cryptography import x509

MAX_CERTIFICATE_FILE = 1024 * 1024
_KEY_MARKERS = (b"PRIVATE KEY-----", b"-----BEGIN OPENSSH PRIVATE KEY", b"-----BEGIN ENCRYPTED PRIVATE KEY")
_KEY_REFUSAL = (
    "This file holds a private key. Chartkeeper never stores private keys: choose the registry's "
    "server or CA certificate instead (often a .crt or .pem file)."
)


@dataclass(frozen=True)
class CertificateInfo:
    """What a person checks before trusting a certificate."""

    subject: str
    issuer: str
    not_before: dt.datetime
    not_after: dt.datetime
    sha256_fingerprint: str
    is_ca: bool

    def validity_problem(self, now: dt.datetime | None = None) -> str | None:
        now = now or dt.datetime.now(dt.UTC)
        if now > self.not_after:
            return f"expired on {self.not_after:%d %b %Y}"
        if now < self.not_before:
            return f"not valid until {self.not_before:%d %b %Y}"
        return None


@dataclass(frozen=True)
class CertificateBundle:
    """One certificate or a chain, normalised to PEM for the catalog and for TLS."""

    pem: str
    certificates: tuple[CertificateInfo, ...]

    @property
    def leaf(self) -> CertificateInfo:
        return self.certificates[0]


def read_certificate_file(path: Path) -> CertificateBundle:
    """Read a certificate file with the checks a dropped or browsed file needs: a regular file (not
    a folder, device or pipe), at most 1 MB whatever its size claims."""
    data = read_regular_file(
        path, MAX_CERTIFICATE_FILE, "The certificate file", too_large="a certificate file is far smaller"
    )
    return parse_certificates(data, source=path.name)


_PEM_BLOCK = re.compile(rb"-----BEGIN CERTIFICATE-----\r?\n[A-Za-z0-9+/=\r\n]+-----END CERTIFICATE-----")


def read_certificate_pem(path: Path) -> str:
    """The certificate file as PEM for TLS, checked the quick way when it is plain PEM (OpenSSL
    loads it, which refuses anything that is not a certificate) — the command line's path, which
    must not wait a tenth of a second for the X509 library; other forms go through
    `read_certificate_file`."""
    data = read_regular_file(
        path, MAX_CERTIFICATE_FILE, "The certificate file", too_large="a certificate file is far smaller"
    )
    if any(marker in data for marker in _KEY_MARKERS):
        raise ValidationError(_KEY_REFUSAL)
    blocks = _PEM_BLOCK.findall(data)
    if blocks and b"-----BEGIN PKCS7-----" not in data:
        pem = "\n".join(block.decode("ascii").replace("\r\n", "\n") for block in blocks) + "\n"
        try:
            ssl.SSLContext(ssl.PROTOCOL_TLS_CLIENT).load_verify_locations(cadata=pem)
        except (ssl.SSLError, ValueError):
            pass  # the careful reader below says what is wrong
        else:
            return pem
    return parse_certificates(data, source=path.name).pem


def parse_certificates(data: bytes, source: str = "The data") -> CertificateBundle:
    """PEM (one or more CERTIFICATE blocks), DER, or a PKCS#7 bundle; anything else is refused."""
    from cryptography import x509
    from cryptography.hazmat.primitives import serialization
    from cryptography.hazmat.primitives.serialization import pkcs7

    if len(data) > MAX_CERTIFICATE_FILE:
        raise ValidationError(f"{source} is larger than 1 MB; a certificate is far smaller.")
    if any(marker in data for marker in _KEY_MARKERS):
        raise ValidationError(_KEY_REFUSAL)
    certificates: list[x509.Certificate] = []
    if b"-----BEGIN" in data:
        try:
            if b"-----BEGIN PKCS7-----" in data:
                certificates = pkcs7.load_pem_pkcs7_certificates(data)
            else:
                certificates = x509.load_pem_x509_certificates(data)
        except ValueError:
            certificates = []
    else:
        for loader in (x509.load_der_x509_certificate, pkcs7.load_der_pkcs7_certificates):
            try:
                loaded = loader(data)
            except ValueError:
                continue
            certificates = list(loaded) if isinstance(loaded, list) else [loaded]
            break
        if not certificates:
            try:
                serialization.load_der_private_key(data, password=None)
            except (ValueError, TypeError):
                pass
            else:
                raise ValidationError(_KEY_REFUSAL)
    if not certificates:
        raise ValidationError(
            f"{source} is not an X509 certificate (PEM or DER expected): export the registry's certificate "
            "as a .crt or .pem file."
        )
    pem = "".join(cert.public_bytes(serialization.Encoding.PEM).decode("ascii") for cert in certificates)
    return CertificateBundle(pem, tuple(_describe(cert) for cert in certificates))


def _describe(cert: x509.Certificate) -> CertificateInfo:
    from cryptography import x509
    from cryptography.hazmat.primitives import hashes

    try:
        is_ca = bool(cert.extensions.get_extension_for_class(x509.BasicConstraints).value.ca)
    except x509.ExtensionNotFound:
        is_ca = False
    fingerprint = cert.fingerprint(hashes.SHA256()).hex().upper()
    return CertificateInfo(
        subject=cert.subject.rfc4514_string() or "(empty subject)",
        issuer=cert.issuer.rfc4514_string() or "(empty issuer)",
        not_before=cert.not_valid_before_utc,
        not_after=cert.not_valid_after_utc,
        sha256_fingerprint=":".join(fingerprint[i : i + 2] for i in range(0, len(fingerprint), 2)),
        is_ca=is_ca,
    )
