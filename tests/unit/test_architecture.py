"""House rules that keep the core usable without Qt."""

from __future__ import annotations

import re
import subprocess
import sys

from tests.conftest import ROOT

PROBE = """
import importlib, pkgutil, sys
import desktop
core = [m.name for m in pkgutil.walk_packages(desktop.__path__, "desktop.")
        if not m.name.startswith("desktop.ui") and m.name != "desktop.app"]
for name in core:
    importlib.import_module(name)
qt = sorted(m for m in sys.modules if m.split(".")[0] in ("PySide6", "shiboken6", "qasync"))
print(len(core), qt)
"""


def test_the_core_never_imports_qt() -> None:
    done = subprocess.run([sys.executable, "-c", PROBE], capture_output=True, text=True, cwd=ROOT, check=True)
    count, qt_modules = done.stdout.strip().split(" ", 1)
    assert int(count) >= 20  # the probe really imported the core
    assert qt_modules == "[]"


def test_search_stays_light_on_imports() -> None:
    """`chartkeeper search` must start fast: no HTTP stack, no YAML parser, no keyring."""
    probe = "import sys, desktop.cli, desktop.catalog.charts; print(sorted({m.split('.')[0] for m in sys.modules}))"
    done = subprocess.run([sys.executable, "-c", probe], capture_output=True, text=True, cwd=ROOT, check=True)
    loaded = done.stdout
    for heavy in ("httpx", "ryml", "orjson", "keyring", "yaml", "cryptography", "semantic_version"):
        assert f"'{heavy}'" not in loaded, heavy


def test_sql_is_written_only_in_the_catalog() -> None:
    """DESIGN: `catalog/` is the only module family with SQL; everything else calls its functions."""
    calls = re.compile(r"\.(execute|executemany|executescript)\(")
    outside = [
        f"{path.relative_to(ROOT)}:{number}"
        for path in sorted((ROOT / "desktop").rglob("*.py"))
        if "catalog" not in path.relative_to(ROOT / "desktop").parts[:1]
        for number, line in enumerate(path.read_text(encoding="utf-8").splitlines(), 1)
        if calls.search(line)
    ]
    assert outside == []
    assert calls.search((ROOT / "desktop" / "catalog" / "registries.py").read_text())  # the probe finds SQL
