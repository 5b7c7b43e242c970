"""Charts packaged and signed by the real Helm (`helm package --sign`), with their .prov, for the provenance tests."""

from __future__ import annotations

import dataclasses
import hashlib
import subprocess
import tempfile
from pathlib import Path

from tests.support.charts import chart_entry, index_yaml
from tests.support.gpg_keys import GpgKey, gpg, make_key
from tests.support.helm_binary import HELM_3, helm_binary, helm_environment


def chart_folder(root: Path, name: str, version: str, values: str = "replicaCount: 1\n") -> Path:
    folder = Path(tempfile.mkdtemp(prefix=f"src-{name}-{version}-", dir=root)) / name
    folder.mkdir()
    (folder / "Chart.yaml").write_text(
        f"apiVersion: v2\nname: {name}\nversion: {version}\ndescription: A chart for {name}\ntype: application\n"
    )
    (folder / "values.yaml").write_text(values)
    return folder


def helm_package(
    root: Path, folder: Path, key: GpgKey | None = None, *, helm: str = HELM_3
) -> tuple[bytes, bytes | None]:
    """(the archive, its .prov) as `helm package [--sign]` writes them; Helm reads a legacy secring."""
    out = folder.parent / "out"
    out.mkdir()
    command = [str(helm_binary(helm)), "package", str(folder), "-d", str(out)]
    if key is not None:
        secring = root / f"secring-{key.fingerprint}.gpg"
        secring.write_bytes(gpg(key.home, "--export-secret-keys", key.fingerprint).stdout)
        command += ["--sign", "--key", key.user_id, "--keyring", str(secring)]
    done = subprocess.run(
        command, capture_output=True, text=True, env=helm_environment(root / "helm-home"), timeout=120
    )
    assert done.returncode == 0, done.stderr
    archive = next(out.glob("*.tgz"))
    prov = archive.with_name(archive.name + ".prov")
    return archive.read_bytes(), prov.read_bytes() if prov.exists() else None


EXPECTED = {
    "1.0.0": "signed by Site Signer <signer@example.com> ({signer}) ✓",
    "1.1.0": "signed, but the signature does not verify (the archive's sha256 is not the one the provenance signs)",
    "1.2.0": "signed, but the signature does not verify",
    "1.3.0": "signed by an unknown key ({stranger_id})",
    "1.4.0": "signed by Old Signer <old@example.com> ({old}), whose key has expired",
    "1.5.0": "not signed",
}


@dataclasses.dataclass(frozen=True)
class Site:
    root: Path
    keys: dict[str, GpgKey]
    files: dict[str, bytes]  # served path → bytes (archives, .prov files, index.yaml)
    trusted: Path  # the trusted keys' file: signer and old

    def expected(self, version: str) -> str:
        signer, old, stranger = (self.keys[k].fingerprint for k in ("signer", "old", "stranger"))
        return EXPECTED[version].format(signer=signer, old=old, stranger_id=stranger[-16:])


def expired_clearsign(key: GpgKey, text: bytes) -> bytes:
    """A clear signature made while the (now expired) key was valid."""
    return gpg(
        key.home, "--faked-system-time", "20200101T120000", "--local-user", key.fingerprint, "--clearsign", input=text
    ).stdout


def build_site(root: Path) -> Site:
    """Versions of chart `web`, each what its name in EXPECTED says, packaged (and signed) by the real Helm."""
    keys = {
        "signer": make_key(root / "site-gpg", "Site Signer <signer@example.com>", algorithm="rsa2048"),
        "stranger": make_key(root / "other-gpg", "Stranger <stranger@example.com>", algorithm="rsa2048"),
        "old": make_key(
            root / "old-gpg",
            "Old Signer <old@example.com>",
            algorithm="rsa2048",
            expire="1d",
            created="20200101T000000",
        ),
    }
    files: dict[str, bytes] = {}
    entries = []

    def serve(version: str, archive: bytes, prov: bytes | None) -> None:
        files[f"/web-{version}.tgz"] = archive
        if prov is not None:
            files[f"/web-{version}.tgz.prov"] = prov
        entries.append(chart_entry("web", version, digest=hashlib.sha256(archive).hexdigest()))

    archive, prov = helm_package(root, chart_folder(root, "web", "1.0.0"), keys["signer"])
    serve("1.0.0", archive, prov)
    _, prov = helm_package(root, chart_folder(root, "web", "1.1.0"), keys["signer"])
    tampered, _ = helm_package(root, chart_folder(root, "web", "1.1.0", values="replicaCount: 9\n"))
    serve("1.1.0", tampered, prov)  # another archive under the signed name
    archive, prov = helm_package(root, chart_folder(root, "web", "1.2.0"), keys["signer"])
    assert prov is not None
    serve("1.2.0", archive, prov.replace(b"description: A chart for web", b"description: A chart for wEb"))
    serve("1.3.0", *helm_package(root, chart_folder(root, "web", "1.3.0"), keys["stranger"]))
    archive, prov = helm_package(root, chart_folder(root, "web", "1.4.0"), keys["signer"])
    assert prov is not None
    signed_text = prov.split(b"\n\n", 1)[1].split(b"\n-----BEGIN PGP SIGNATURE-----")[0] + b"\n"
    serve("1.4.0", archive, expired_clearsign(keys["old"], signed_text))
    serve("1.5.0", *helm_package(root, chart_folder(root, "web", "1.5.0")))
    files["/index.yaml"] = index_yaml({"web": entries})
    trusted = root / "trusted.asc"
    trusted.write_bytes(keys["signer"].public + keys["old"].public)
    return Site(root, keys, files, trusted)
