"""Helm's version and index semantics through the real `chartkeeper` process and a real repository server:
constraints pick what Helm picks, and index edge cases register as Helm reads them."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import CliResult
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]
FIXTURES = Path(__file__).parents[1] / "unit" / "data" / "helm_index"

VERSIONS = ["0.2.5", "0.9.0", "1.0.0", "1.1.0", "1.2.0-alpha.1", "1.2.0", "1.2.3-rc.1", "1.2.3", "1.9.0"]
VERSIONS += ["2.0.0-rc.1", "2.1.0-beta.1"]


def _index(chart: str, versions: list[str]) -> bytes:
    lines = ["apiVersion: v1", "entries:", f"  {chart}:"]
    for version in versions:
        lines += [
            f"  - name: {chart}",
            f"    version: '{version}'",
            f"    urls: [https://charts.example.test/{version}.tgz]",
        ]
    return ("\n".join(lines) + "\n").encode()


@pytest.fixture
def registered(run_cli: RunCli, make_repo: MakeRepo) -> RunCli:
    repo = make_repo()
    repo.put("/index.yaml", _index("app", VERSIONS))
    added = run_cli("registry", "add", "r", repo.url)
    assert added.returncode == 0, added.stderr
    return run_cli


@pytest.mark.parametrize(
    ("constraint", "picked"),
    [("<2", "1.9.0"), ("<=1.1", "1.1.0"), ("1.2.3-rc.1", "1.2.3-rc.1"), (">0.0.0-0", "2.1.0-beta.1"), ("~*", "1.9.0")],
)
def test_search_picks_what_helm_picks(registered: RunCli, constraint: str, picked: str) -> None:
    result = registered("search", "app", "--version", constraint, "-o", "json")
    assert result.returncode == 0, result.stderr
    assert [hit["version"] for hit in json.loads(result.stdout)] == [picked]


@pytest.mark.parametrize("constraint", ["12.3.34~ 1.2.3", "1.2.3.4", ">= bar", "1x"])
def test_a_constraint_helm_refuses_is_one_clear_line(registered: RunCli, constraint: str) -> None:
    result = registered("search", "app", "--version", constraint)
    assert result.returncode != 0 and "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1 and "is not a version constraint" in lines[0], result.stderr


def test_an_index_with_a_bom_crlf_and_a_list_version_registers(run_cli: RunCli, make_repo: MakeRepo) -> None:
    """Issue 8, section 7: both failed the whole registration before."""
    repo = make_repo()
    body = (FIXTURES / "unordered.yaml").read_bytes() + b"  odd:\n    - name: odd\n      version: [1, 2]\n"
    repo.put("/index.yaml", b"\xef\xbb\xbf" + body.replace(b"\n", b"\r\n"))
    added = run_cli("registry", "add", "r", repo.url)
    assert added.returncode == 0, added.stderr
    assert '"r" has been added: 3 charts, 4 versions.' in added.stdout
    assert "skipped a version of chart 'odd': chart.metadata.version must be text, not a list" in added.stderr
    assert "internal error" not in added.stderr


def test_a_version_listed_twice_is_listed_as_helm_search_and_shown_as_helm_show(
    run_cli: RunCli, make_repo: MakeRepo
) -> None:
    repo = make_repo()
    repo.put("/index.yaml", (FIXTURES / "duplicate-version.yaml").read_bytes())
    assert run_cli("registry", "add", "r", repo.url).returncode == 0
    hits = json.loads(run_cli("search", "dup", "--versions", "-o", "json").stdout)
    assert [(h["version"], h["app_version"]) for h in hits] == [("1.0.0", "SECOND"), ("0.9.0", "OLD")]
    shown = yaml.safe_load(run_cli("show", "chart", "r/dup", "--version", "1.0.0").stdout)
    assert shown["appVersion"] == "FIRST"
    assert shown["urls"] == ["https://charts.example.test/dup-1.0.0-first.tgz"]
