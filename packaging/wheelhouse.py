"""The offline wheelhouse: Chartkeeper's wheel and every dependency's wheel for Linux x86_64 and each
supported CPython, with install.sh; pip installs from it with the index disabled."""

from __future__ import annotations

import os
import shutil
import sys
from pathlib import Path

from common import PACKAGING, ROOT, run

PYTHONS = ("3.11", "3.12", "3.13")
# PySide6's wheels need glibc 2.34 (Debian 12, Ubuntu 22.04, RHEL 9); every older manylinux tag runs
# there too, and pip's --platform takes them only when each is named.
GLIBC_MINOR = 34
PLATFORMS = [f"manylinux_2_{minor}_x86_64" for minor in range(GLIBC_MINOR, 4, -1)] + [
    "manylinux2014_x86_64",
    "manylinux2010_x86_64",
    "manylinux1_x86_64",
]


def pip_env() -> dict[str, str]:
    """pip with no configuration files: the machine's extra indexes, find-links or constraints stay out."""
    return {**os.environ, "PIP_CONFIG_FILE": os.devnull, "PIP_DISABLE_PIP_VERSION_CHECK": "1"}


def build(out: Path, version: str) -> Path:
    house = out / "wheelhouse"
    shutil.rmtree(house, ignore_errors=True)
    house.mkdir(parents=True)
    pip = (sys.executable, "-m", "pip")
    run(*pip, "wheel", "--quiet", "--no-deps", "--wheel-dir", house, ROOT, env=pip_env())
    wheel = house / f"chartkeeper-{version}-py3-none-any.whl"
    if not wheel.is_file():
        sys.exit(f"pip did not write {wheel.name}")
    for python in PYTHONS:
        platforms = [part for platform in PLATFORMS for part in ("--platform", platform)]
        target = ("--implementation", "cp", "--python-version", python, *platforms)
        run(*pip, "download", "--quiet", "--only-binary=:all:", *target, "--dest", house, wheel, env=pip_env())
    shutil.copyfile(PACKAGING / "wheelhouse" / "install.sh", house / "install.sh")
    (house / "install.sh").chmod(0o755)
    return house
