"""The `chartkeeper` command as users and scripts run it: a real process against real servers."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Callable
from pathlib import Path

import yaml

from tests.conftest import CliResult
from tests.support.charts import chart_entry, index_yaml
from tests.support.repo_server import Fault, RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]

INDEX = index_yaml(
    {
        "nginx": [
            chart_entry("nginx", "2.0.0-beta.1", appVersion="1.27.0"),
            chart_entry("nginx", "1.10.0", appVersion="1.25.3", keywords=["web", "proxy"]),
            chart_entry("nginx", "1.9.0", appVersion="1.25.1"),
        ],
        "old-proxy": [chart_entry("old-proxy", "0.3.0", deprecated=True, description="A proxy nobody maintains")],
        "redis": [chart_entry("redis", "7.2.4", description="In-memory store, also a web cache")],
    }
)


def _one_line_error(result: CliResult) -> str:
    assert result.returncode != 0
    assert "Traceback" not in result.stderr
    lines = [line for line in result.stderr.splitlines() if line.strip()]
    assert len(lines) == 1, result.stderr
    assert lines[0].startswith("error: ")
    return lines[0]


def test_add_list_search_show_history(run_cli: RunCli, make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.put("/charts/index.yaml", INDEX)
    added = run_cli("registry", "add", "stable", repo.url + "/charts")
    assert added.returncode == 0, added.stderr
    assert '"stable" has been added: 3 charts, 5 versions.' in added.stdout

    listing = json.loads(run_cli("registry", "list", "-o", "json").stdout)
    assert listing[0]["name"] == "stable" and listing[0]["sync"] is True and listing[0]["auth"] == "none"
    assert (listing[0]["charts"], listing[0]["versions"], listing[0]["status"]) == (3, 5, "ok")

    hits = json.loads(run_cli("search", "web", "-o", "json").stdout)
    assert hits == [  # as in Helm: a match in the description ranks above one in the keywords
        {
            "name": "stable/redis",
            "version": "7.2.4",
            "app_version": "1.0.0",
            "description": "In-memory store, also a web cache",
            "deprecated": False,
        },
        {
            "name": "stable/nginx",
            "version": "1.10.0",
            "app_version": "1.25.3",
            "description": "A Helm chart for nginx",
            "deprecated": False,
        },
    ]
    table = run_cli("search", "proxy")
    assert table.stdout.splitlines()[0].split() == ["NAME", "CHART", "VERSION", "APP", "VERSION", "DESCRIPTION"]
    assert "DEPRECATED A proxy nobody maintains" in table.stdout

    devel = json.loads(run_cli("search", "nginx", "--devel", "-o", "json").stdout)
    assert [h["version"] for h in devel] == ["2.0.0-beta.1"]
    every = json.loads(run_cli("search", "nginx", "--versions", "-o", "json").stdout)
    assert [h["version"] for h in every] == ["1.10.0", "1.9.0"]
    constrained = json.loads(run_cli("search", "nginx", "--version", "~1.9", "-o", "json").stdout)
    assert [h["version"] for h in constrained] == ["1.9.0"]

    shown = run_cli("show", "chart", "stable/nginx")
    assert shown.returncode == 0, shown.stderr
    meta = yaml.safe_load(shown.stdout)
    assert meta["version"] == "1.10.0"
    assert meta["urls"] == [repo.url + "/charts/nginx-1.10.0.tgz"]
    assert len(meta["digest"]) == 64

    history = json.loads(run_cli("registry", "history", "stable", "-o", "json").stdout)
    assert [(r["status"], r["http_status"], r["added"]) for r in history] == [("updated", 200, 5)]
    assert set(history[0]) >= {
        "started",
        "finished",
        "status",
        "http_status",
        "bytes",
        "added",
        "removed",
        "changed",
        "error",
    }


def test_private_registry_reads_the_password_from_stdin(run_cli: RunCli, make_repo: MakeRepo, home: Path) -> None:
    repo = make_repo(auth=("ops", "p@ss w0rd"))
    repo.put("/index.yaml", INDEX)
    wrong = run_cli("registry", "add", "private", repo.url, "--username", "ops", "--password-stdin", input="nope\n")
    assert "refused the username or password" in _one_line_error(wrong)
    added = run_cli(
        "registry", "add", "private", repo.url, "--username", "ops", "--password-stdin", input="p@ss w0rd\n"
    )
    assert added.returncode == 0, added.stderr
    synced = run_cli("registry", "sync", "private")
    assert synced.returncode == 0 and "unchanged (304 Not Modified)" in synced.stdout
    rejected = run_cli("registry", "add", "x", repo.url, "--username", "ops", "--password", "p@ss w0rd")
    assert rejected.returncode == 2  # there is no way to put a password in the process arguments
    listing = json.loads(run_cli("registry", "list", "-o", "json").stdout)
    assert listing[0]["auth"] == "basic"
    assert b"p@ss w0rd" not in (home / "data" / "catalog.sqlite3").read_bytes()


def test_without_a_keyring_a_password_is_refused_with_a_clear_error(run_cli: RunCli, make_repo: MakeRepo) -> None:
    repo = make_repo(auth=("ops", "pw"))
    repo.put("/index.yaml", INDEX)
    result = run_cli(
        "registry",
        "add",
        "private",
        repo.url,
        "--username",
        "ops",
        "--password-stdin",
        input="pw",
        env={"PYTHON_KEYRING_BACKEND": "keyring.backends.fail.Keyring"},
    )
    assert "No OS keyring is available" in _one_line_error(result)
    assert len(repo.requests) == 0  # refused before anything went over the network
    assert json.loads(run_cli("registry", "list", "-o", "json").stdout) == []


def test_failures_are_one_line_and_a_failed_sync_exits_non_zero(run_cli: RunCli, make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.put("/index.yaml", INDEX)
    assert run_cli("registry", "add", "r", repo.url).returncode == 0
    repo.faults["/index.yaml"] = Fault(status=502, body=b"bad gateway")
    failed = run_cli("registry", "sync")
    assert failed.returncode == 1
    assert "Traceback" not in failed.stderr
    assert 'error: "r": The registry answered 502 Bad Gateway: try again later.' in failed.stderr
    still = json.loads(run_cli("search", "redis", "-o", "json").stdout)
    assert [h["name"] for h in still] == ["r/redis"]
    listing = json.loads(run_cli("registry", "list", "-o", "json").stdout)
    assert listing[0]["status"] == "failed" and "502" in listing[0]["error"]

    assert "no registry named 'nope'" in _one_line_error(run_cli("registry", "sync", "nope"))
    assert "not a version constraint" in _one_line_error(run_cli("search", "x", "--version", ">>1"))
    missing = _one_line_error(run_cli("show", "chart", "r/ngnix"))
    assert "no chart named 'ngnix'" in missing and "Did you mean nginx" in missing
    # As `helm show chart --version`: text that is not listed is read as a constraint (1.10 → 1.10.0).
    assert "version: 1.10.0" in run_cli("show", "chart", "r/nginx", "--version", "1.10").stdout
    version = _one_line_error(run_cli("show", "chart", "r/nginx", "--version", "9.9"))
    assert "no version '9.9'" in version and "closest: 2.0.0-beta.1, 1.10.0, 1.9.0" in version  # by precedence


def test_synchronization_off_means_exact_name_and_version(run_cli: RunCli, make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.put("/index.yaml", INDEX)
    assert run_cli("registry", "add", "airgap", repo.url, "--no-sync").returncode == 0
    assert json.loads(run_cli("search", "nginx", "-o", "json").stdout) == []
    assert "reference its charts by exact name and version" in _one_line_error(run_cli("show", "chart", "airgap/nginx"))
    exact = run_cli("show", "chart", "airgap/nginx", "--version", "1.9.0")
    assert exact.returncode == 0 and "version: 1.9.0" in exact.stdout
    repo.stop()
    offline = run_cli("show", "chart", "airgap/nginx", "--version", "1.9.0")
    assert offline.returncode == 0, "the snapshot answers with the registry gone"


def test_no_sync_connects_once_for_the_snapshot_and_says_so(run_cli: RunCli, make_repo: MakeRepo) -> None:
    """--no-sync keeps the snapshot taken at `registry add` (its charts are used from it), so it
    connects then, once; the command says so, and nothing after it connects unasked."""
    described = " ".join(run_cli("registry", "add", "--help").stdout.split())
    assert "--no-sync synchronization off: still connects once now, to check the endpoint and take the" in described
    repo = make_repo()
    repo.put("/index.yaml", INDEX)
    assert run_cli("registry", "add", "airgap", repo.url, "--no-sync").returncode == 0
    assert [(r.method, r.path) for r in repo.requests] == [("GET", "/index.yaml")]
    assert "Nothing to synchronize" in run_cli("registry", "sync").stdout
    assert run_cli("show", "chart", "airgap/nginx", "--version", "1.9.0").returncode == 0
    assert json.loads(run_cli("search", "nginx", "-o", "json").stdout) == []
    assert len(repo.requests) == 1, "a registry with synchronization off is contacted only when asked"
    assert run_cli("registry", "sync", "airgap").returncode == 0
    assert len(repo.requests) == 2


def test_home_flag_and_environment_choose_where_state_lives(
    run_cli: RunCli, make_repo: MakeRepo, tmp_path: Path
) -> None:
    repo = make_repo()
    repo.put("/index.yaml", INDEX)
    elsewhere = tmp_path / "elsewhere"
    assert run_cli("--home", str(elsewhere), "registry", "add", "r", repo.url).returncode == 0
    assert (elsewhere / "data" / "catalog.sqlite3").exists()
    assert json.loads(run_cli("registry", "list", "-o", "json").stdout) == []
    assert len(json.loads(run_cli("registry", "list", "--home", str(elsewhere), "-o", "json").stdout)) == 1


def test_a_catalog_from_a_newer_version_is_refused(run_cli: RunCli, home: Path) -> None:
    assert run_cli("registry", "list").returncode == 0
    db = sqlite3.connect(home / "data" / "catalog.sqlite3")
    db.execute("PRAGMA user_version = 99")
    db.close()
    assert "written by a newer Chartkeeper" in _one_line_error(run_cli("registry", "list"))


def test_remove_takes_the_snapshot_with_it(run_cli: RunCli, make_repo: MakeRepo) -> None:
    repo = make_repo()
    repo.put("/index.yaml", INDEX)
    run_cli("registry", "add", "gone", repo.url)
    removed = run_cli("registry", "remove", "gone")
    assert removed.returncode == 0 and "removed, with its snapshot and sync history" in removed.stdout
    assert json.loads(run_cli("search", "-o", "json").stdout) == []


def test_install_desktop_entry_writes_a_launcher_and_icon(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("install-desktop-entry", "--prefix", str(tmp_path))
    assert result.returncode == 0, result.stderr
    entry = (tmp_path / "applications" / "io.chartkeeper.Chartkeeper.desktop").read_text()
    assert "Exec=" in entry and "Icon=io.chartkeeper.Chartkeeper" in entry and "Name=Chartkeeper" in entry
    icon = tmp_path / "icons" / "hicolor" / "scalable" / "apps" / "io.chartkeeper.Chartkeeper.svg"
    assert icon.read_text().startswith("<svg")


def test_import_helm_from_the_command_line(run_cli: RunCli, make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo()
    repo.put("/index.yaml", INDEX)
    repositories = tmp_path / "repositories.yaml"
    repositories.write_text(
        yaml.safe_dump({"repositories": [{"name": "good", "url": repo.url}, {"name": "bad name", "url": repo.url}]})
    )
    result = run_cli("registry", "import-helm", str(repositories), "-o", "json")
    assert result.returncode == 1  # one of them failed
    outcomes = {o["name"]: o for o in json.loads(result.stdout)}
    assert outcomes["good"]["status"] == "imported" and "5 versions" in outcomes["good"]["detail"]
    assert outcomes["bad name"]["status"] == "failed" and "not a valid name" in outcomes["bad name"]["detail"]
