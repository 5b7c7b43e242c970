"""Chart content from real servers: values, README and schema exactly as archived; digests checked;
pinned versions readable with the server gone; profiles exported and imported by the CLI."""

from __future__ import annotations

import contextlib
import hashlib
import json
import os
import pty
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest
import yaml

from tests.conftest import ROOT, CliResult, one_error_line
from tests.support.charts import chart_archive, chart_entry, index_yaml, publish_charts
from tests.support.exports import write_palette_export
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]
VALUES = '# Default values for web.\nreplicaCount: 1\nimage:\n  tag: "1.10"\n'
README = "# web\n\nA *small* chart.\n"
PACK_VALUES = 'pack:\n  namespace: web\n  spectrocloud.com/install-priority: "5"\nreplicaCount: 2\n'
SCHEMA = '{"type": "object", "properties": {"replicaCount": {"type": "integer"}}}\n'


def _publish(repo: RepoServer) -> None:
    publish_charts(
        repo,
        {
            "web": {
                "1.0.0": chart_archive("web", "1.0.0", values=VALUES, readme=README, schema=SCHEMA),
                "0.9.0": chart_archive("web", "0.9.0", values="replicaCount: 1\n"),
            }
        },
    )


def test_values_readme_and_schema_come_out_exactly(run_cli: RunCli, make_repo: MakeRepo) -> None:
    repo = make_repo()
    _publish(repo)
    assert run_cli("registry", "add", "r", repo.url).returncode == 0
    assert run_cli("show", "values", "r/web").stdout == VALUES
    assert run_cli("show", "readme", "r/web", "--version", "1.0.0").stdout == README
    assert run_cli("show", "schema", "r/web").stdout == SCHEMA
    missing = run_cli("show", "readme", "r/web", "--version", "0.9.0")
    assert missing.returncode == 1 and "has no README" in missing.stderr
    downloads = len(repo.requests_for("/web-1.0.0.tgz"))
    assert downloads == 1  # the archive was fetched once, then read from the content cache


def test_a_pinned_version_stays_readable_offline(run_cli: RunCli, make_repo: MakeRepo) -> None:
    repo = make_repo()
    _publish(repo)
    run_cli("registry", "add", "r", repo.url)
    pinned = run_cli("pin", "r/web", "--version", "0.9.0")
    assert pinned.returncode == 0 and "kept offline" in pinned.stdout
    repo.stop()
    assert run_cli("show", "values", "r/web", "--version", "0.9.0").stdout == "replicaCount: 1\n"
    offline = run_cli("show", "values", "r/web", "--version", "1.0.0")
    assert offline.returncode == 1 and "Connection refused" in offline.stderr


def test_a_digest_mismatch_is_refused(run_cli: RunCli, make_repo: MakeRepo) -> None:
    repo = make_repo()
    archive = chart_archive("web", "1.0.0")
    repo.put("/web-1.0.0.tgz", chart_archive("web", "1.0.0", values="tampered: true\n"))
    repo.put(
        "/index.yaml", index_yaml({"web": [chart_entry("web", "1.0.0", digest=hashlib.sha256(archive).hexdigest())]})
    )
    run_cli("registry", "add", "r", repo.url)
    result = run_cli("show", "values", "r/web")
    assert result.returncode == 1 and "does not match the digest in the index" in result.stderr


@pytest.mark.parametrize(
    ("archive", "where"),
    [
        (chart_archive("evil", "1.0.0"), "its top folder gives 'evil'"),
        (
            chart_archive("web", "1.0.0", extra={"web/Chart.yaml": b"apiVersion: v2\nname: evil\nversion: 1.0.0\n"}),
            "its Chart.yaml gives 'evil'",
        ),
        (chart_archive("web", "1.0.0", extra={"web/Chart.yaml": b"apiVersion: v2\nversion: 1.0.0\n"}), "no name"),
    ],
    ids=["top-folder", "chart-yaml-name", "chart-yaml-without-name"],
)
def test_an_archive_of_another_chart_is_refused(
    run_cli: RunCli, make_repo: MakeRepo, archive: bytes, where: str
) -> None:
    """The archive is what `helm install` would install: served under the index's name 'web' but
    holding the chart 'evil', it would show one chart's files and deploy another's."""
    repo = make_repo()
    publish_charts(repo, {"web": {"1.0.0": archive}})  # the digest in the index matches: the registry serves it
    assert run_cli("registry", "add", "r", repo.url).returncode == 0
    for command in (("show", "values", "r/web"), ("pin", "r/web", "--version", "1.0.0")):
        line = one_error_line(run_cli(*command))
        assert "The archive served as web 1.0.0 is another chart" in line and where in line, line
        assert "ask the registry's administrator to fix the index" in line
    assert len(repo.requests_for("/web-1.0.0.tgz")) == 2  # refused, so never cached


def test_profile_export_import_round_trip(run_cli: RunCli, make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo()
    _publish(repo)
    run_cli("registry", "add", "r", repo.url + "/")
    export = {
        "metadata": {"name": "edge", "description": "Edge sites", "tags": ["site"]},
        "spec": {
            "version": "2.0.0",
            "template": {
                "type": "add-on",
                "packs": [
                    {
                        "name": "web",
                        "tag": "1.0.0",
                        "type": "helm",
                        "registry": {"name": "elsewhere-name", "endpoint": repo.url},
                        "values": PACK_VALUES,
                    }
                ],
            },
        },
    }
    source = tmp_path / "edge.json"
    source.write_text(json.dumps(export))
    imported = run_cli("profile", "import", str(source))
    assert imported.returncode == 0, imported.stderr
    again = run_cli("profile", "import", str(source))
    assert again.returncode == 1 and "exists already" in again.stderr and "Nothing was imported" in again.stderr
    listing = json.loads(run_cli("profile", "list", "-o", "json").stdout)
    assert listing == [
        {"name": "edge", "version": "2.0.0", "description": "Edge sites", "tags": ["site"], "layers": 1, "problems": []}
    ]
    shown = yaml.safe_load(run_cli("profile", "show", "edge").stdout)
    assert shown["layers"][0] | {"values": None} == {
        "registry": "r",
        "chart": "web",
        "version": "1.0.0",
        "namespace": "web",
        "installPriority": 5,
        "values": None,
    }
    out = tmp_path / "helmfile.yaml"
    assert run_cli("profile", "export", "edge", "--format", "helmfile", "-o", str(out)).returncode == 0
    helmfile = yaml.safe_load(out.read_text())
    assert helmfile["releases"][0]["values"] == [{"replicaCount": 2}]
    palette = json.loads(run_cli("profile", "export", "edge").stdout)
    assert palette["spec"]["template"]["packs"][0]["registry"]["metadata"]["name"] == "r"


def test_import_with_an_unknown_registry_imports_nothing(run_cli: RunCli, tmp_path: Path) -> None:
    source = write_palette_export(tmp_path / "p.json", "gone", "https://gone.example")
    result = run_cli("profile", "import", str(source))
    assert result.returncode == 1
    assert "registry 'gone' at https://gone.example is not registered here" in result.stderr
    assert json.loads(run_cli("profile", "list", "-o", "json").stdout) == []


def test_a_pinned_version_reads_after_it_left_the_index(run_cli: RunCli, make_repo: MakeRepo) -> None:
    repo = make_repo()
    _publish(repo)
    run_cli("registry", "add", "r", repo.url)
    assert run_cli("pin", "r/web", "--version", "0.9.0").returncode == 0
    publish_charts(repo, {"web": {"1.0.0": chart_archive("web", "1.0.0", values=VALUES)}})
    assert run_cli("registry", "sync", "r").returncode == 0
    assert run_cli("show", "values", "r/web", "--version", "0.9.0").stdout == "replicaCount: 1\n"
    gone = run_cli("show", "values", "r/web", "--version", "0.8.0")
    assert gone.returncode == 1 and "no version '0.8.0'" in gone.stderr


def test_a_chart_name_with_a_space_around_it_is_refused_not_trimmed(run_cli: RunCli, make_repo: MakeRepo) -> None:
    repo = make_repo()
    charts = {"web": {"1.0.0": chart_archive("web", "1.0.0")}, " web": {"6.6.6": chart_archive("web", "6.6.6")}}
    publish_charts(repo, charts)
    added = run_cli("registry", "add", "r", repo.url)
    assert added.returncode == 0 and "skipped chart ' web': its name starts or ends with white space" in added.stderr
    assert [hit["name"] for hit in json.loads(run_cli("search", "web", "--versions", "-o", "json").stdout)] == ["r/web"]
    for command in (("show", "chart", "r/ web"), ("pin", "r/web ", "--version", "1.0.0"), ("show", "values", " r/web")):
        line = one_error_line(run_cli(*command))
        assert "is not a chart reference: a name in it starts or ends with white space" in line, line


HOSTILE_README = "# web\n\x1b[2J\x1b]0;pwned\x07\tTabbed \x1b[31mred\x1b[0m\r\nline\rover\x9b6n end\n"


def _show_on_a_terminal(home: Path, *args: str) -> bytes:
    """What `chartkeeper ARGS` writes to stdout when stdout is a terminal (a pty), as the terminal
    receives it (the pty turns each newline into CRLF)."""
    main, terminal = pty.openpty()
    env = {**os.environ, "CHARTKEEPER_HOME": str(home), "PYTHONPATH": str(ROOT)}
    process = subprocess.Popen(
        [sys.executable, "-m", "desktop", *args], stdout=terminal, stderr=subprocess.PIPE, env=env, cwd=ROOT
    )
    os.close(terminal)
    received = b""
    with contextlib.suppress(OSError):  # EIO once the command has exited and closed its end
        while chunk := os.read(main, 65536):
            received += chunk
    os.close(main)
    errors = process.communicate(timeout=60)[1]
    assert process.returncode == 0, errors
    return received


def test_a_readme_s_escape_codes_are_shown_on_a_terminal_and_exact_when_piped(
    run_cli: RunCli, make_repo: MakeRepo, home: Path
) -> None:
    """A README could clear the screen, retitle the window or answer a cursor query (CSI 6n) on the
    user's terminal; there its control characters are written visibly. Piped, or with -o raw, the
    text stays exactly as archived."""
    repo = make_repo()
    publish_charts(repo, {"web": {"1.0.0": chart_archive("web", "1.0.0", readme=HOSTILE_README)}})
    assert run_cli("registry", "add", "r", repo.url).returncode == 0
    piped = subprocess.run(
        [sys.executable, "-m", "desktop", "show", "readme", "r/web"],
        capture_output=True,
        env={**os.environ, "CHARTKEEPER_HOME": str(home), "PYTHONPATH": str(ROOT)},
        cwd=ROOT,
        timeout=60,
        check=True,
    )
    assert piped.stdout == HOSTILE_README.encode()  # piped: byte for byte
    shown = _show_on_a_terminal(home, "show", "readme", "r/web").decode()
    assert "\x1b" not in shown and "\x07" not in shown and "\x9b" not in shown
    assert shown == (
        "# web\r\n\\x1b[2J\\x1b]0;pwned\\x07\tTabbed \\x1b[31mred\\x1b[0m\r\r\nline\\x0dover\\x9b6n end\r\n"
    )  # newlines and tabs kept (the pty writes each newline as CRLF; the CR of a CRLF stays)
    raw = _show_on_a_terminal(home, "show", "readme", "r/web", "-o", "raw").decode()
    assert raw == HOSTILE_README.replace("\n", "\r\n")
