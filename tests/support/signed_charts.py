"""Charts packaged and signed by the real Helm (`helm package --sign`), with their .prov, for the provenance tests."""

from __future__ import annotations

import subprocess
import tempfile
from pathlib import Path

from tests.support.gpg_keys import GpgKey, gpg
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
