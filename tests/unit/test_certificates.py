"""Reading the registry's certificate: PEM, DER, chains and PKCS#7 accepted; keys and junk refused."""

from __future__ import annotations

import datetime as dt
from pathlib import Path

import pytest
import trustme
from cryptography.hazmat.primitives import serialization
from cryptography.hazmat.primitives.serialization import pkcs7

from desktop.certificates import parse_certificates, read_certificate_file
from desktop.errors import ValidationError


def test_pem_der_chain_and_pkcs7_are_read(ca: trustme.CA, tmp_path: Path) -> None:
    leaf = ca.issue_cert("charts.example.com")
    chain_pem = leaf.cert_chain_pems[0].bytes() + ca.cert_pem.bytes()
    bundle = parse_certificates(chain_pem)
    assert len(bundle.certificates) == 2
    assert bundle.leaf.subject.startswith("OU=Testing cert")
    assert not bundle.leaf.is_ca and bundle.certificates[1].is_ca
    assert bundle.leaf.issuer == bundle.certificates[1].subject
    assert bundle.pem.count("BEGIN CERTIFICATE") == 2

    from cryptography import x509

    cert = x509.load_pem_x509_certificate(ca.cert_pem.bytes())
    der = cert.public_bytes(serialization.Encoding.DER)
    assert parse_certificates(der).leaf.sha256_fingerprint == bundle.certificates[1].sha256_fingerprint
    p7 = pkcs7.serialize_certificates([cert], serialization.Encoding.DER)
    assert len(parse_certificates(p7).certificates) == 1
    fingerprint = parse_certificates(der).leaf.sha256_fingerprint
    assert len(fingerprint.split(":")) == 32


def test_private_keys_are_refused_and_say_why(ca: trustme.CA) -> None:
    leaf = ca.issue_cert("x.example")
    with pytest.raises(ValidationError, match=r"private key\. Chartkeeper never stores private keys"):
        parse_certificates(leaf.private_key_pem.bytes())
    with pytest.raises(ValidationError, match="private key"):
        parse_certificates(leaf.private_key_and_cert_chain_pem.bytes())
    from cryptography.hazmat.primitives.serialization import load_pem_private_key

    key = load_pem_private_key(leaf.private_key_pem.bytes(), password=None)
    der_key = key.private_bytes(
        serialization.Encoding.DER, serialization.PrivateFormat.PKCS8, serialization.NoEncryption()
    )
    with pytest.raises(ValidationError, match="private key"):
        parse_certificates(der_key)


@pytest.mark.parametrize(
    "data", [b"hello", b"-----BEGIN CERTIFICATE-----\nnot base64\n-----END CERTIFICATE-----\n", bytes(range(256))]
)
def test_other_data_is_not_a_certificate(data: bytes) -> None:
    with pytest.raises(ValidationError, match="is not an X509 certificate"):
        parse_certificates(data, source="notes.txt")


def test_file_checks(tmp_path: Path, ca: trustme.CA) -> None:
    with pytest.raises(ValidationError, match="is a folder"):
        read_certificate_file(tmp_path)
    with pytest.raises(ValidationError, match="does not exist"):
        read_certificate_file(tmp_path / "missing.pem")
    big = tmp_path / "big.pem"
    big.write_bytes(b"x" * (1024 * 1024 + 1))
    with pytest.raises(ValidationError, match="limit 1 MB"):
        read_certificate_file(big)
    good = tmp_path / "ca.crt"
    ca.cert_pem.write_to_path(str(good))
    assert read_certificate_file(good).leaf.is_ca


def test_validity_problems_are_named(ca: trustme.CA) -> None:
    old = ca.issue_cert(
        "old.example",
        not_before=dt.datetime(2019, 1, 1, tzinfo=dt.UTC),
        not_after=dt.datetime(2020, 1, 1, tzinfo=dt.UTC),
    )
    info = parse_certificates(old.cert_chain_pems[0].bytes()).leaf
    assert info.validity_problem() == "expired on 01 Jan 2020"
    future = ca.issue_cert(
        "new.example",
        not_before=dt.datetime(2100, 1, 1, tzinfo=dt.UTC),
        not_after=dt.datetime(2101, 1, 1, tzinfo=dt.UTC),
    )
    assert (
        parse_certificates(future.cert_chain_pems[0].bytes()).leaf.validity_problem() == "not valid until 01 Jan 2100"
    )
