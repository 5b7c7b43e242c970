"""`chartkeeper profile …` as a user runs it: Palette exports in and out, registries mapped by hand,
certificates written beside a helmfile, and every bad file or bad place one line with exit 1."""

from __future__ import annotations

import json
import time
from collections.abc import Callable
from dataclasses import replace
from pathlib import Path

import pytest
import yaml

from desktop.catalog.db import open_catalog
from desktop.catalog.profiles import get_profile, save_profile
from desktop.paths import resolve_paths
from tests.conftest import CliResult, one_error_line
from tests.support.charts import chart_archive, publish_charts
from tests.support.exports import (
    ml_ops_export,
    palette_export,
    palette_pack,
    palette_variables,
    registry_metadata,
    write_json,
)
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]


@pytest.fixture
def stable(run_cli: RunCli, make_repo: MakeRepo, ca_file: Path) -> RepoServer:
    repo = make_repo(tls=True)
    publish_charts(
        repo, {"web": {"1.0.0": chart_archive("web", "1.0.0")}, "db": {"2.0.0": chart_archive("db", "2.0.0")}}
    )
    added = run_cli("registry", "add", "stable", repo.url, "--ca-file", str(ca_file))
    assert added.returncode == 0, added.stderr
    return repo


def test_a_palette_export_with_an_unknown_registry_is_mapped_by_hand(
    run_cli: RunCli, stable: RepoServer, tmp_path: Path
) -> None:
    document = palette_export(
        "Web Stack",
        [
            palette_pack("web", "1.0.0", registry_metadata("Bitnami Charts"), values='pack:\n  namespace: "web"\n'),
            palette_pack("ubuntu", "22.04", registry_metadata("Public Repo", "pack"), pack_type="spectro"),
        ],
        labels={"env": "prod"},
    )
    source = write_json(tmp_path / "web.json", document)
    refused = run_cli("profile", "import", str(source))
    assert "--map-registry 'Bitnami Charts=REGISTRY'" in one_error_line(refused, alone=False)
    assert "  pack web 1.0.0: registry 'Bitnami Charts' (helm) is not registered here; stable holds it" in (
        refused.stderr
    )
    assert json.loads(run_cli("profile", "list", "-o", "json").stdout) == []
    wrong = run_cli("profile", "import", str(source), "--map-registry", "Bitnami Charts=nowhere")
    assert "There is no registry named 'nowhere'" in one_error_line(wrong, alone=False)
    imported = run_cli("profile", "import", str(source), "--map-registry", "bitnami charts=stable")
    assert imported.returncode == 0, imported.stderr
    assert "warning: ubuntu is a Palette pack, not a Helm chart: not imported" in imported.stderr
    assert imported.stdout == 'Profile "Web Stack" 1.0.0 imported with 1 layers.\n'
    again = run_cli("profile", "import", str(source), "--map-registry", "Bitnami Charts=stable")
    assert "--name NEW_NAME" in one_error_line(again, alone=False)
    renamed = run_cli("profile", "import", str(source), "--map-registry", "Bitnami Charts=stable", "--name", "Copy")
    assert renamed.returncode == 0, renamed.stderr
    shown = yaml.safe_load(run_cli("profile", "show", "web stack").stdout)
    assert (shown["name"], shown["tags"], shown["layers"][0]["namespace"]) == ("Web Stack", ["env:prod"], "web")
    deleted = run_cli("profile", "delete", "Copy")
    assert deleted.returncode == 0 and deleted.stdout == 'Profile "Copy" deleted.\n'
    assert [p["name"] for p in json.loads(run_cli("profile", "list", "-o", "json").stdout)] == ["Web Stack"]


def test_the_ml_ops_export_is_refused_in_one_line(run_cli: RunCli, tmp_path: Path) -> None:
    result = run_cli("profile", "import", str(write_json(tmp_path / "ml.json", ml_ops_export())))
    assert "Nothing to import: none of the file's 3 pack(s) is a Helm chart" in one_error_line(result, alone=False)


def test_helmfile_export_writes_the_certificate_beside_it(
    run_cli: RunCli, stable: RepoServer, tmp_path: Path, ca_file: Path
) -> None:
    document = palette_export("edge", [palette_pack("web", "1.0.0", registry_metadata("stable"))])
    assert run_cli("profile", "import", str(write_json(tmp_path / "e.json", document))).returncode == 0
    out = tmp_path / "deploy" / "helmfile.yaml"
    out.parent.mkdir()
    written = run_cli("profile", "export", "edge", "--format", "helmfile", "-o", str(out))
    assert written.returncode == 0, written.stderr
    assert written.stdout == f"wrote {out}\nwrote {out.parent / 'stable-ca.pem'}\n"
    assert (out.parent / "stable-ca.pem").read_text() == ca_file.read_text()
    assert (out.parent / "stable-ca.pem").stat().st_mode & 0o777 == 0o600
    helmfile = yaml.safe_load(out.read_text())
    assert helmfile["repositories"] == [{"name": "stable", "url": stable.url, "caFile": "stable-ca.pem"}]
    to_stdout = run_cli("profile", "export", "edge", "--format", "helmfile")
    assert to_stdout.stdout == out.read_text()
    assert "warning: stable-ca.pem (a registry's certificate, named by caFile) was not written" in to_stdout.stderr


def test_export_to_a_bad_place_is_one_line(run_cli: RunCli, stable: RepoServer, tmp_path: Path) -> None:
    document = palette_export("edge", [palette_pack("web", "1.0.0", registry_metadata("stable"))])
    assert run_cli("profile", "import", str(write_json(tmp_path / "e.json", document))).returncode == 0
    missing = run_cli("profile", "export", "edge", "-o", str(tmp_path / "nowhere" / "p.json"))
    assert "does not exist: create it first" in one_error_line(missing, alone=False)
    folder = run_cli("profile", "export", "edge", "-o", str(tmp_path))
    assert "is a folder: give a file name" in one_error_line(folder, alone=False)
    full = run_cli("profile", "export", "edge", "-o", "/dev/full")
    assert "The disk is full writing /dev/full" in one_error_line(full, alone=False)


@pytest.mark.parametrize(
    ("content", "expected"),
    [
        (b'{"metadata": {"name": "p"}, "spec": {"template": {"packs": null}}}', "'spec.template.packs' is null"),
        (b'{"metadata": {"name": "p"}, "spec": {"template": {"packs": 3}}}', "'spec.template.packs' is a number"),
        (b"[" * 200_000 + b"]" * 200_000, "nests its JSON too deeply"),
        ('{"metadata": {"name": "caf\u00e9"}}'.encode("latin-1"), "is not UTF-8 text"),
    ],
)
def test_bad_profile_files_are_one_line(run_cli: RunCli, tmp_path: Path, content: bytes, expected: str) -> None:
    path = tmp_path / "p.json"
    path.write_bytes(content)
    assert expected in one_error_line(run_cli("profile", "import", str(path)))


def test_hostile_pack_contents_are_one_line(run_cli: RunCli, stable: RepoServer, tmp_path: Path) -> None:
    deep_values = "pack:\n  namespace: web\nx: " + "[" * 20_000 + "]" * 20_000 + "\n"
    cases = {
        "nested too deeply": deep_values,
        "is out of range": 'pack:\n  spectrocloud.com/install-priority: "99999999999999999999999999"\n',
    }
    for expected, values in cases.items():
        document = palette_export("p", [palette_pack("web", "1.0.0", registry_metadata("stable"), values=values)])
        result = run_cli("profile", "import", str(write_json(tmp_path / "p.json", document)))
        assert expected in one_error_line(result, alone=False)
    injected = palette_export("p", [palette_pack("../../x; rm -rf /", "1.0.0", registry_metadata("stable"))])
    result = run_cli("profile", "import", str(write_json(tmp_path / "i.json", injected)))
    assert "is not a valid chart name" in one_error_line(result, alone=False)
    assert json.loads(run_cli("profile", "list", "-o", "json").stdout) == []


def test_dev_zero_is_refused_at_once(run_cli: RunCli) -> None:
    started = time.monotonic()
    result = run_cli("profile", "import", "/dev/zero", timeout=30)
    assert "is a device, not a regular file" in one_error_line(result, alone=False)
    assert time.monotonic() - started < 30  # a wide bound: it reads nothing


def test_profile_show_lists_variables_and_never_prints_a_sensitive_default(
    run_cli: RunCli, stable: RepoServer, home: Path, tmp_path: Path
) -> None:
    values = 'host: "{{.spectro.var.ingress_host}}"\npassword: "{{.spectro.var.db_password}}"\n'
    document = palette_export(
        "Vars",
        [palette_pack("web", "1.0.0", registry_metadata("stable"), values=values)],
        variables=palette_variables(),
    )
    imported = run_cli("profile", "import", str(write_json(tmp_path / "v.json", document)))
    assert imported.returncode == 0, imported.stderr
    assert imported.stdout == 'Profile "Vars" 1.0.0 imported with 1 layers and 6 variable(s).\n'
    assert "warning: variable db_password: its sensitive default was masked by the export" in imported.stderr
    db = open_catalog(resolve_paths(home).catalog)
    try:  # a real secret, as the window would save it
        profile = get_profile(db, "Vars")
        secret = replace(profile.variables[1], default_value="s3cret-pw")
        typo = replace(profile.layers[0], values_override=values + "x: {{ .spectro.var.hots }}\n")
        save_profile(db, replace(profile, variables=(profile.variables[0], secret), layers=(typo,)), time.time())
    finally:
        db.close()
    shown = run_cli("profile", "show", "Vars")
    assert shown.returncode == 0, shown.stderr
    document = yaml.safe_load(shown.stdout)
    assert document["variables"] == [
        {
            "name": "ingress_host",
            "displayName": "Ingress host",
            "description": "The host name the ingress answers",
            "format": "string",
            "inputType": "text",
            "defaultValue": "web.example.com",
            "regex": "^[a-z0-9.-]+$",
            "required": True,
        },
        {
            "name": "db_password",
            "displayName": "Database password",
            "format": "string",
            "inputType": "text",
            "defaultValue": "********",
            "required": True,
            "isSensitive": True,
        },
    ]
    assert document["layers"][0]["variableProblems"] == [
        "line 3: {{.spectro.var.hots}} names no variable of this profile: define it, or correct the name"
    ]
    listed = json.loads(run_cli("profile", "list", "-o", "json").stdout)
    assert listed[0]["problems"] == [
        "layer web: line 3: {{.spectro.var.hots}} names no variable of this profile: define it, or correct the name"
    ]
    palette = run_cli("profile", "export", "Vars")
    assert palette.returncode == 0 and json.loads(palette.stdout)["spec"]["variables"][1]["defaultValue"] == "********"
    helmfile = run_cli("profile", "export", "Vars", "--format", "helmfile")
    assert "names no variable of this profile" in one_error_line(helmfile, alone=False)
    for result in (shown, palette, helmfile, run_cli("profile", "list")):
        assert "s3cret-pw" not in result.stdout + result.stderr


def test_helmfile_export_to_stdout_names_the_values_files_it_could_not_write(
    run_cli: RunCli, stable: RepoServer, tmp_path: Path
) -> None:
    variables = [v for v in palette_variables() if v["name"] == "ingress_host"]
    values = 'host: "{{.spectro.var.ingress_host}}"\n'
    document = palette_export(
        "edge", [palette_pack("web", "1.0.0", registry_metadata("stable"), values=values)], variables=variables
    )
    assert run_cli("profile", "import", str(write_json(tmp_path / "e.json", document))).returncode == 0
    out = tmp_path / "deploy" / "helmfile.yaml"
    out.parent.mkdir()
    written = run_cli("profile", "export", "edge", "--format", "helmfile", "-o", str(out))
    assert written.returncode == 0, written.stderr
    assert f"wrote {out.parent / 'web-values.yaml.gotmpl'}\n" in written.stdout
    assert (out.parent / "web-values.yaml.gotmpl").read_text() == (
        'host: "{{ requiredEnv "SPECTRO_VAR_ingress_host" }}"\n'  # required: Palette asks for it at deploy
    )
    to_stdout = run_cli("profile", "export", "edge", "--format", "helmfile")
    assert (
        "warning: web-values.yaml.gotmpl (a layer's values with its profile variables, named by values) was not "
        "written: export with -o FILE."
    ) in to_stdout.stderr
