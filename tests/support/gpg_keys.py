"""OpenPGP keys made by the real gpg (Debian's gnupg) in a private GNUPGHOME, for the trust tests."""

from __future__ import annotations

import os
import subprocess
from dataclasses import dataclass
from pathlib import Path


@dataclass(frozen=True)
class GpgKey:
    home: Path
    user_id: str
    fingerprint: str
    public: bytes  # armored, `gpg --export --armor`
    secret: bytes  # armored, `gpg --export-secret-keys --armor`
    passphrase: str


def gpg(home: Path, *args: str, input: bytes | None = None) -> subprocess.CompletedProcess[bytes]:
    env = {**os.environ, "GNUPGHOME": str(home)}
    return subprocess.run(
        ["gpg", "--batch", "--yes", "--pinentry-mode", "loopback", *args],
        input=input,
        capture_output=True,
        env=env,
        check=True,
        timeout=120,
    )


def make_key(
    home: Path,
    user_id: str,
    *,
    passphrase: str = "",
    expire: str = "1y",
    created: str | None = None,
    algorithm: str = "ed25519",
) -> GpgKey:
    """A signing key (ed25519, or `algorithm` such as rsa2048 — Helm signs with RSA only) in `home`;
    `created` (gpg's 20200101T000000) backdates it, so that `expire` (`1d`) makes an expired key."""
    home.mkdir(mode=0o700, parents=True, exist_ok=True)
    faked = ["--faked-system-time", created] if created else []
    gpg(home, *faked, "--passphrase", passphrase, "--quick-gen-key", user_id, algorithm, "sign", expire)
    listing = gpg(home, "--with-colons", "--list-keys", user_id).stdout.decode()
    fingerprint = next(line.split(":")[9] for line in listing.splitlines() if line.startswith("fpr:"))
    public = gpg(home, "--export", "--armor", fingerprint).stdout
    secret = gpg(home, "--passphrase", passphrase, "--export-secret-keys", "--armor", fingerprint).stdout
    return GpgKey(home, user_id, fingerprint, public, secret, passphrase)


def gpg_verify(home: Path, signature: Path, data: Path) -> subprocess.CompletedProcess[bytes]:
    """`gpg --verify SIG DATA` with only `home`'s keys, not raising."""
    env = {**os.environ, "GNUPGHOME": str(home)}
    return subprocess.run(
        ["gpg", "--batch", "--verify", str(signature), str(data)], capture_output=True, env=env, timeout=60
    )
