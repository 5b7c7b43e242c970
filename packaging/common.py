"""What the packaging scripts share: the repository's paths, the version, running tools, file sizes."""

from __future__ import annotations

import subprocess
import sys
import tomllib
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
PACKAGING = ROOT / "packaging"
RESOURCES = ROOT / "resources"
APP_ID = "io.chartkeeper.Chartkeeper"
# Reproducible archives: every file gets this time (2026-01-01 UTC) unless SOURCE_DATE_EPOCH says otherwise.
DEFAULT_EPOCH = 1767225600


def version() -> str:
    return str(tomllib.loads((ROOT / "pyproject.toml").read_text(encoding="utf-8"))["project"]["version"])


def run(*command: str | Path, cwd: Path | None = None, env: dict[str, str] | None = None) -> None:
    """Run a build tool; its failure stops the build with the command that failed."""
    done = subprocess.run([str(part) for part in command], cwd=cwd, env=env)
    if done.returncode:
        sys.exit(f"build step failed (exit {done.returncode}): {' '.join(str(part) for part in command)}")


def tree_size(path: Path) -> int:
    if path.is_file():
        return path.stat().st_size
    return sum(p.lstat().st_size for p in path.rglob("*") if p.is_file() or p.is_symlink())


def megabytes(size: int) -> str:
    return f"{size / 1e6:,.1f} MB"
