"""Signed bundles (issue 20): keys made by the real gpg, trusted with `keys import`; a bundle signed at
export or afterwards verifies with `gpg --verify` alone; inspect and import say who signed it, and
under `bundle_signatures require` an unsigned, tampered, wrongly signed or expired one is refused
with the catalog untouched."""

from __future__ import annotations

import stat
import subprocess
from collections.abc import Callable
from pathlib import Path

import pytest
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.trust.openpgp import read_public_keys, verify_detached
from tests.conftest import CliResult
from tests.support.bundle_files import rewrite_tar
from tests.support.charts import chart_archive, publish_charts
from tests.support.gpg_keys import GpgKey, gpg, gpg_verify, make_key
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]


@pytest.fixture(scope="module")
def keys(tmp_path_factory: pytest.TempPathFactory) -> dict[str, GpgKey]:
    folder = tmp_path_factory.mktemp("gpg")
    return {
        "signer": make_key(folder / "site", "Site Signer <signer@example.com>", passphrase="correct horse"),
        "stranger": make_key(folder / "other", "Stranger <stranger@example.com>"),
        "old": make_key(folder / "site", "Old Signer <old@example.com>", expire="1d", created="20200101T000000"),
    }


def _files(tmp_path: Path, key: GpgKey, name: str) -> tuple[Path, Path]:
    public, secret = tmp_path / f"{name}.asc", tmp_path / f"{name}-secret.asc"
    public.write_bytes(key.public)
    secret.write_bytes(key.secret)
    return public, secret


def _bundle(run_cli: RunCli, make_repo: MakeRepo, tmp_path: Path, *sign: str, input: str | None = None) -> Path:
    repo = make_repo()
    publish_charts(repo, {"web": {"1.0.0": chart_archive("web", "1.0.0")}})
    assert run_cli("registry", "add", "alpha", repo.url).returncode == 0
    target = tmp_path / "site.tar"
    done = run_cli("bundle", "export", "-o", str(target), "--charts", "latest", *sign, input=input)
    assert done.returncode == 0, done.stderr
    return target


def _site(tmp_path: Path, name: str = "site") -> dict[str, str]:
    home = tmp_path / name
    home.mkdir(exist_ok=True)
    return {"CHARTKEEPER_HOME": str(home)}


def test_trusted_keys_are_imported_listed_and_removed(
    run_cli: RunCli, keys: dict[str, GpgKey], home: Path, tmp_path: Path
) -> None:
    public, secret = _files(tmp_path, keys["signer"], "signer")
    imported = run_cli("keys", "import", str(public))
    assert imported.returncode == 0 and keys["signer"].fingerprint in imported.stdout
    keyring = keys["old"].home / "pubring.kbx"  # GnuPG's own keybox, with both of its keys
    assert run_cli("keys", "import", str(keyring)).stdout.strip().endswith("2 keys imported.")
    listed = run_cli("keys", "list")
    assert "Site Signer <signer@example.com>" in listed.stdout and "2020-01-02 (expired)" in listed.stdout
    folder = home / "data" / "trusted-keys" if (home / "data").exists() else next(home.rglob("trusted-keys"))
    assert stat.S_IMODE(folder.stat().st_mode) == 0o700
    assert {stat.S_IMODE(p.stat().st_mode) for p in folder.iterdir()} == {0o600}
    refused = run_cli("keys", "import", str(secret))
    assert refused.returncode == 1 and "holds a secret key: give the public key only" in refused.stderr
    removed = run_cli("keys", "remove", keys["old"].fingerprint[-16:])
    assert removed.returncode == 0 and "No longer trusted" in removed.stdout
    assert "Old Signer" not in run_cli("keys", "list").stdout
    assert run_cli("keys", "remove", "0123456789ABCDEF").returncode == 1


def test_a_bundle_signed_at_export_verifies_with_gpg_alone(
    run_cli: RunCli, make_repo: MakeRepo, keys: dict[str, GpgKey], tmp_path: Path
) -> None:
    _, secret = _files(tmp_path, keys["signer"], "signer")
    target = _bundle(
        run_cli, make_repo, tmp_path, "--sign-key", str(secret), "--passphrase-stdin", input="correct horse\n"
    )
    signature, index = tmp_path / "index.json.asc", tmp_path / "index.json"
    written = run_cli("bundle", "signature", str(target), "-o", str(signature), "--index", str(index))
    assert written.returncode == 0, written.stderr
    verified = gpg_verify(keys["signer"].home, signature, index)
    assert verified.returncode == 0, verified.stderr
    assert b'Good signature from "Site Signer <signer@example.com>"' in verified.stderr
    extracted = tmp_path / "x"
    extracted.mkdir()
    subprocess.run(["tar", "xf", str(target), "-C", str(extracted), "index.json", "index.json.asc"], check=True)
    assert gpg_verify(keys["signer"].home, extracted / "index.json.asc", extracted / "index.json").returncode == 0
    wrong = run_cli(
        "bundle",
        "export",
        "-o",
        str(tmp_path / "b.tar"),
        "--sign-key",
        str(secret),
        "--passphrase-stdin",
        input="wrong\n",
    )
    assert wrong.returncode == 1 and "the passphrase is wrong" in wrong.stderr and not (tmp_path / "b.tar").exists()


def test_sign_afterwards_then_inspect_and_import_say_who_signed(
    run_cli: RunCli, make_repo: MakeRepo, keys: dict[str, GpgKey], tmp_path: Path
) -> None:
    public, secret = _files(tmp_path, keys["signer"], "signer")
    target = _bundle(run_cli, make_repo, tmp_path)
    site = _site(tmp_path)
    assert "Signature: not signed." in run_cli("bundle", "inspect", str(target), env=site).stdout
    signed = run_cli("bundle", "sign", str(target), "--key", str(secret), "--passphrase-stdin", input="correct horse\n")
    assert signed.returncode == 0, signed.stderr
    again = run_cli("bundle", "sign", str(target), "--key", str(secret), "--passphrase-stdin", input="correct horse\n")
    assert again.returncode == 1 and "signed already" in again.stderr
    unknown = run_cli("bundle", "inspect", str(target), env=site).stdout
    assert f"Signature: signed by an unknown key ({keys['signer'].fingerprint})." in unknown
    run_cli("keys", "import", str(public), env=site)
    fingerprint = keys["signer"].fingerprint
    assert (
        f"Signature: signed by Site Signer <signer@example.com> ({fingerprint}) ✓."
        in run_cli("bundle", "inspect", str(target), env=site).stdout
    )
    imported = run_cli("bundle", "import", str(target), env=site)
    assert (
        imported.returncode == 0
        and f"  signature: signed by Site Signer <signer@example.com> ({fingerprint}) ✓" in imported.stdout
    )


def _tampered_signature(source: Path, target: Path) -> Path:
    def change(members: list) -> list:  # type: ignore[type-arg]
        out = []
        for info, data in members:
            changed = data
            if info.name == "index.json.asc":
                lines = data.splitlines(keepends=True)
                body = lines[2]
                lines[2] = bytes([body[0] ^ 0x01]) + body[1:] if body[:1] != b"=" else body
                changed = b"".join(lines)
            out.append((info, changed))
        return out

    return rewrite_tar(source, target, change)


def _signed_in_2020(source: Path, key: GpgKey, tmp_path: Path) -> Path:
    """Signed by gpg on 1 January 2020 with a key that expired the next day (Sequoia, rightly, will
    not sign with an expired key)."""
    folder = tmp_path / "old-sign"
    folder.mkdir()
    subprocess.run(["tar", "xf", str(source), "-C", str(folder), "index.json"], check=True)
    when = ["--faked-system-time", "20200101T120000", "--local-user", key.fingerprint, "--armor"]
    gpg(key.home, *when, "--output", str(folder / "index.json.asc"), "--detach-sign", str(folder / "index.json"))
    signature = (folder / "index.json.asc").read_bytes()

    def change(members: list) -> list:  # type: ignore[type-arg]
        import tarfile

        info = tarfile.TarInfo("index.json.asc")
        info.mode, info.mtime = 0o644, members[-1][0].mtime
        return [*members, (info, signature)]

    return rewrite_tar(source, tmp_path / "old.tar", change)


def test_require_refuses_what_a_trusted_key_did_not_sign(
    run_cli: RunCli, make_repo: MakeRepo, keys: dict[str, GpgKey], tmp_path: Path
) -> None:
    public, secret = _files(tmp_path, keys["signer"], "signer")
    old_public, _ = _files(tmp_path, keys["old"], "old")
    _, stranger_secret = _files(tmp_path, keys["stranger"], "stranger")
    plain = _bundle(run_cli, make_repo, tmp_path)
    site = _site(tmp_path)
    run_cli("keys", "import", str(public), env=site)
    run_cli("keys", "import", str(old_public), env=site)
    assert run_cli("settings", "set", "bundle_signatures", "require", env=site).returncode == 0
    variants: dict[str, Path] = {}
    for name, key, passphrase in (
        ("good", secret, "correct horse\n"),
        ("stranger", stranger_secret, "\n"),
    ):
        copy = tmp_path / f"{name}.tar"
        copy.write_bytes(plain.read_bytes())
        done = run_cli("bundle", "sign", str(copy), "--key", str(key), "--passphrase-stdin", input=passphrase)
        assert done.returncode == 0, (name, done.stderr)
        variants[name] = copy
    variants["tampered"] = _tampered_signature(variants["good"], tmp_path / "tampered.tar")
    variants["old"] = _signed_in_2020(plain, keys["old"], tmp_path)
    variants["unsigned"] = plain
    said = {
        "unsigned": "The bundle is not signed, and this site accepts only bundles signed by a trusted key",
        "stranger": f"signed by an unknown key ({keys['stranger'].fingerprint})",
        "old": "whose key has expired",
        "tampered": "signed, but the signature does not verify",
    }
    for name, expected in said.items():
        refused = run_cli("bundle", "import", str(variants[name]), env=site)
        assert refused.returncode == 1, name
        assert expected in refused.stderr and "nothing was imported" in refused.stderr, (name, refused.stderr)
        assert "alpha" not in run_cli("registry", "list", env=site).stdout  # the catalog untouched
    accepted = run_cli("bundle", "import", str(variants["good"]), env=site)
    assert accepted.returncode == 0, accepted.stderr
    assert "alpha" in run_cli("registry", "list", env=site).stdout


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=2048))
def test_any_signature_bytes_get_a_verdict(keys: dict[str, GpgKey], noise: bytes) -> None:
    trusted = read_public_keys(keys["signer"].public)
    for candidate in (noise, b"-----BEGIN PGP SIGNATURE-----\n\n" + noise + b"\n-----END PGP SIGNATURE-----\n"):
        verdict = verify_detached(b"index", candidate, trusted)
        assert not verdict.verified and "\n" not in str(verdict)


@settings(max_examples=60, deadline=None)
@given(st.binary(max_size=4096), st.booleans())
def test_any_key_file_gives_keys_or_one_line(noise: bytes, keybox: bool) -> None:
    from desktop.errors import ValidationError
    from desktop.trust.openpgp import read_public_keys

    data = (len(noise) + 32).to_bytes(4, "big") + b"\x01\x01\x00\x00KBXf" + bytes(20) + noise if keybox else noise
    try:
        read_public_keys(data)
    except ValidationError as exc:
        assert "\n" not in exc.message


def test_a_published_signature_comes_back_with_a_pull_and_guards_a_subscription(
    run_cli: RunCli, make_repo: MakeRepo, keys: dict[str, GpgKey], tmp_path: Path
) -> None:
    """`bundle push` publishes the signature beside the catalog (`chartkeeper-catalog:<tag>.sig`):
    a pulled bundle is signed again, and a subscription under `require` reads only a catalog that a
    trusted signature names."""
    from tests.support.oci_registry import DistributionRegistry

    public, secret = _files(tmp_path, keys["signer"], "signer")
    signed = _bundle(
        run_cli, make_repo, tmp_path, "--sign-key", str(secret), "--passphrase-stdin", input="correct horse\n"
    )
    registry = DistributionRegistry(tmp_path / "site-registry").start()
    try:
        endpoint = f"oci://{registry.endpoint_host}/site"
        pushed = run_cli("bundle", "push", str(signed), endpoint, "--plain-http")
        assert pushed.returncode == 0, pushed.stderr
        site = _site(tmp_path)
        run_cli("keys", "import", str(public), env=site)
        pulled = tmp_path / "pulled.tar"
        done = run_cli("bundle", "pull", endpoint, "-o", str(pulled), "--plain-http", env=site)
        assert done.returncode == 0, done.stderr
        assert (
            "Signature: signed by Site Signer <signer@example.com>"
            in run_cli("bundle", "inspect", str(pulled), env=site).stdout
        )
        assert run_cli("settings", "set", "bundle_signatures", "require", env=site).returncode == 0
        subscribed = run_cli("registry", "add", "site", endpoint, "--bundle", "--plain-http", env=site)
        assert subscribed.returncode == 0, subscribed.stderr
        other = make_repo()  # the source's catalog changes: a new, unsigned bundle is published on top
        publish_charts(other, {"db": {"2.0.0": chart_archive("db", "2.0.0")}})
        assert run_cli("registry", "add", "beta", other.url).returncode == 0
        unsigned = tmp_path / "unsigned.tar"
        assert run_cli("bundle", "export", "-o", str(unsigned), "--charts", "latest").returncode == 0
        assert run_cli("bundle", "push", str(unsigned), endpoint, "--plain-http").returncode == 0
        refused = run_cli("registry", "sync", "site", env=site)
        assert refused.returncode == 1
        assert "this site accepts only bundles signed by a trusted key" in refused.stderr
        assert "its index names another catalog" in refused.stderr
    finally:
        registry.stop()
