"""House rules that keep the core usable without Qt."""

from __future__ import annotations

import re
import subprocess
import sys
from pathlib import Path

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
    """ARCHITECTURE.md: `catalog/` is the only module family with SQL; everything else calls its functions."""
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


def test_helms_engine_is_behind_one_module() -> None:
    """README: helm-python-sdk is imported by desktop/helm/render_engine.py alone (so it can be
    replaced), and that module only in the render child, never by the app's own process."""
    imports = re.compile(r"^\s*(from|import) helm_python\b", re.MULTILINE)
    users = sorted(
        str(path.relative_to(ROOT)) for path in (ROOT / "desktop").rglob("*.py") if imports.search(path.read_text())
    )
    assert users == ["desktop/helm/render_engine.py"]
    importers = sorted(
        str(path.relative_to(ROOT))
        for path in (ROOT / "desktop").rglob("*.py")
        if re.search(r"^\s*from desktop\.helm\.render_engine import", path.read_text(), re.MULTILINE)
    )
    assert importers == ["desktop/helm/render_child.py"]


def test_openpgp_is_behind_one_module() -> None:
    """Issue 20: pysequoia is imported by desktop/trust/openpgp.py alone (signed bundles and Helm
    provenance both judge signatures through it), so Sequoia's quirks are handled in one place."""
    imports = re.compile(r"^\s*(from|import) pysequoia\b", re.MULTILINE)
    users = sorted(
        str(path.relative_to(ROOT)) for path in (ROOT / "desktop").rglob("*.py") if imports.search(path.read_text())
    )
    assert users == ["desktop/trust/openpgp.py"]


def _import_graph() -> dict[str, set[str]]:
    """Module → the project modules it imports (anywhere in it, lazy imports included); `from pkg import sub`
    counts as importing the submodule, not the package."""
    import ast

    def name_of(path: Path) -> str:
        parts = list(path.relative_to(ROOT).with_suffix("").parts)
        return ".".join(parts[:-1] if parts[-1] == "__init__" else parts)

    modules = {name_of(p): p for p in (ROOT / "desktop").rglob("*.py")}
    graph: dict[str, set[str]] = {name: set() for name in modules}
    for name, path in modules.items():
        package = name if path.name == "__init__.py" else name.rsplit(".", 1)[0]
        for node in ast.walk(ast.parse(path.read_text(encoding="utf-8"))):
            if isinstance(node, ast.Import):
                targets = [alias.name for alias in node.names]
            elif isinstance(node, ast.ImportFrom):
                base = node.module or ""
                if node.level:
                    parts = package.split(".")
                    base = ".".join(parts[: len(parts) - node.level + 1] + ([node.module] if node.module else []))
                targets = [f"{base}.{a.name}" if f"{base}.{a.name}" in modules else base for a in node.names]
            else:
                continue
            graph[name] |= {target for target in targets if target in modules and target != name}
    return graph


def _cycles(graph: dict[str, set[str]]) -> list[list[str]]:
    """The strongly connected components of more than one node (Tarjan's algorithm, iteratively)."""
    index: dict[str, int] = {}
    low: dict[str, int] = {}
    stack: list[str] = []
    found: list[list[str]] = []
    for root, targets in graph.items():
        if root in index:
            continue
        work = [(root, iter(sorted(targets)))]
        index[root] = low[root] = len(index)
        stack.append(root)
        while work:
            node, children = work[-1]
            child = next(children, None)
            if child is None:
                work.pop()
                if work:
                    low[work[-1][0]] = min(low[work[-1][0]], low[node])
                if low[node] == index[node]:
                    component = []
                    while True:
                        member = stack.pop()
                        component.append(member)
                        if member == node:
                            break
                    if len(component) > 1:
                        found.append(sorted(component))
            elif child not in index:
                index[child] = low[child] = len(index)
                stack.append(child)
                work.append((child, iter(sorted(graph.get(child, ())))))
            elif child in stack:
                low[node] = min(low[node], index[child])
    return found


def _packages(graph: dict[str, set[str]]) -> dict[str, set[str]]:
    def package(module: str) -> str:
        parts = module.split(".")
        return ".".join(parts[:2]) if len(parts) > 1 and (ROOT / "desktop" / parts[1]).is_dir() else module

    joined: dict[str, set[str]] = {}
    for module, targets in graph.items():
        joined.setdefault(package(module), set()).update(package(t) for t in targets if package(t) != package(module))
    return joined


def test_no_module_imports_itself_through_others() -> None:
    graph = _import_graph()
    assert "desktop.operations.sync_run" in graph["desktop.operations.subscriptions"]  # the probe reads imports
    assert _cycles(graph) == []


def test_packages_import_each_other_only_one_way() -> None:
    # The worker lives in jobs/, above operations/; sync/ holds only the fetchers operations/ uses.
    packages = _packages(_import_graph())
    assert "desktop.sync" in packages["desktop.operations"] and "desktop.operations" in packages["desktop.jobs"]
    assert _cycles(packages) == []
    assert _cycles({"a": {"b"}, "b": {"c"}, "c": {"a"}, "d": {"a"}}) == [["a", "b", "c"]]  # the finder finds
