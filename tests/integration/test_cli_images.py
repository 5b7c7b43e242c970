"""`chartkeeper images` and `render` from a real chart repository: the manifests `helm template`
prints, images as JSON and as plain lines, a profile's layers with their own values, all of it
offline once the charts are kept, and one line when something stops it."""

from __future__ import annotations

import json
import subprocess
import time
from collections.abc import Callable
from pathlib import Path

from desktop.catalog.db import open_catalog
from desktop.catalog.profiles import save_profile
from desktop.catalog.registries import get_registry
from desktop.paths import resolve_paths
from desktop.profiles.model import Layer, Profile, ProfileVariable
from tests.conftest import CliResult
from tests.support.charts import publish_charts
from tests.support.helm_binary import HELM_4, helm_binary, helm_environment
from tests.support.render_charts import (
    EPINIO,
    FAILING,
    LONGHORN,
    REAL_CHARTS,
    kinds_chart,
    one_template_chart,
)
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]
RunCli = Callable[..., CliResult]
LONGHORN_VERSION = "104.2.0+up1.7.1"
EPINIO_VERSION = "103.0.2+up1.10.0"


def _publish(repo: RepoServer) -> None:
    publish_charts(
        repo,
        {
            "longhorn": {LONGHORN_VERSION: (REAL_CHARTS / LONGHORN).read_bytes()},
            "epinio": {EPINIO_VERSION: (REAL_CHARTS / EPINIO).read_bytes()},
            "kinds": {"1.0.0": kinds_chart()},
            "needs": {"0.1.0": one_template_chart("needs", FAILING)},
        },
    )


def _profile(
    home: Path, name: str, layers: list[tuple[str, str, str, str]], variables: tuple[ProfileVariable, ...] = ()
) -> None:
    db = open_catalog(resolve_paths(home).catalog)
    try:
        registry = get_registry(db, "r")
        made = tuple(
            Layer(registry.uid, registry.name, registry.endpoint, chart, version, namespace=ns, values_override=values)
            for chart, version, ns, values in layers
        )
        save_profile(db, Profile(uid="", name=name, layers=made, variables=variables), time.time())
    finally:
        db.close()


def test_render_prints_what_helm_template_prints(run_cli: RunCli, make_repo: MakeRepo, tmp_path: Path) -> None:
    repo = make_repo()
    _publish(repo)
    assert run_cli("registry", "add", "r", repo.url).returncode == 0
    values = tmp_path / "values.yaml"
    values.write_text("image:\n  longhorn:\n    engine:\n      tag: v1.7.2\n")
    ours = run_cli(
        "render", "r/longhorn", "--version", LONGHORN_VERSION, "--values", str(values), "--namespace", "storage"
    )
    assert ours.returncode == 0, ours.stderr
    archive = tmp_path / "longhorn.tgz"
    archive.write_bytes((REAL_CHARTS / LONGHORN).read_bytes())
    theirs = subprocess.run(
        [
            str(helm_binary(HELM_4)),
            "template",
            "longhorn",
            str(archive),
            "-n",
            "storage",
            "-f",
            str(values),
            "--kube-version",
            "1.31.0",
        ],
        capture_output=True,
        text=True,
        env=helm_environment(tmp_path / "helm"),
        check=True,
    )
    assert ours.stdout == theirs.stdout


def test_images_as_json_and_as_lines(run_cli: RunCli, make_repo: MakeRepo) -> None:
    repo = make_repo()
    _publish(repo)
    run_cli("registry", "add", "r", repo.url)
    listed = run_cli("images", "r/longhorn", "--version", LONGHORN_VERSION, "-o", "json")
    assert listed.returncode == 0, listed.stderr
    images = {item["image"]: item for item in json.loads(listed.stdout)}
    engine = images["docker.io/rancher/mirrored-longhornio-longhorn-engine:v1.7.1"]
    assert engine["as_written"] == "rancher/mirrored-longhornio-longhorn-engine:v1.7.1"
    assert engine["charts"] == [f"r/longhorn@{LONGHORN_VERSION}"]
    assert {"kind": "values", "where": "image.longhorn.engine", "chart": "longhorn"} in engine["sources"]
    lines = run_cli("images", "r/longhorn", "--version", LONGHORN_VERSION, "-o", "text")
    assert lines.stdout.splitlines() == sorted(images)


def test_a_profiles_images_use_each_layers_values(run_cli: RunCli, make_repo: MakeRepo, home: Path) -> None:
    repo = make_repo()
    _publish(repo)
    run_cli("registry", "add", "r", repo.url)
    _profile(
        home,
        "edge",
        [
            ("longhorn", LONGHORN_VERSION, "longhorn-system", ""),
            ("epinio", EPINIO_VERSION, "epinio", "global:\n  domain: epinio.example.com\n"),
            ("kinds", "1.0.0", "apps", "image:\n  tag: '2.0'\n"),
        ],
    )
    listed = run_cli("images", "--profile", "edge", "-o", "json")
    assert listed.returncode == 0, listed.stderr
    images = {item["image"]: item for item in json.loads(listed.stdout)}
    assert "quay.io/acme/web:2.0" in images and "docker.io/rancher/mirrored-epinio-epinio-server:v1.10.0" in images
    assert images["docker.io/rancher/mirrored-longhornio-longhorn-engine:v1.7.1"]["charts"] == [
        f"r/longhorn@{LONGHORN_VERSION}"
    ]
    rendered = run_cli("render", "--profile", "edge", "--layer", "kinds")
    assert rendered.returncode == 0 and "# Layer: kinds (r/kinds@1.0.0, namespace apps)" in rendered.stdout
    assert "quay.io/acme/web:2.0" in rendered.stdout and "longhorn" not in rendered.stdout


def test_everything_works_offline_once_kept(run_cli: RunCli, make_repo: MakeRepo, home: Path) -> None:
    repo = make_repo()
    _publish(repo)
    run_cli("registry", "add", "r", repo.url)
    assert run_cli("pin", "r/kinds", "--version", "1.0.0").returncode == 0
    repo.stop()
    kept = run_cli("images", "r/kinds", "--version", "1.0.0", "-o", "text")
    assert kept.returncode == 0 and "quay.io/acme/web:1.10" in kept.stdout.splitlines()
    missing = run_cli("images", "r/longhorn", "--version", LONGHORN_VERSION)
    assert missing.returncode == 1
    assert "is not kept offline" in missing.stderr
    assert f"chartkeeper pin r/longhorn --version {LONGHORN_VERSION}" in missing.stderr
    assert len(missing.stderr.strip().splitlines()) == 1


def test_a_layer_that_fails_says_which_template_and_the_rest_is_listed(
    run_cli: RunCli, make_repo: MakeRepo, home: Path
) -> None:
    repo = make_repo()
    _publish(repo)
    run_cli("registry", "add", "r", repo.url)
    _profile(home, "mixed", [("kinds", "1.0.0", "apps", ""), ("needs", "0.1.0", "default", "")])
    listed = run_cli("images", "--profile", "mixed", "-o", "text")
    assert listed.returncode == 1
    assert "quay.io/acme/web:1.10" in listed.stdout.splitlines()
    assert "error: layer needs (r/needs@0.1.0): needs 0.1.0 did not render: execution error at " in listed.stderr
    assert "(needs/templates/main.yaml:6:4): domain cannot be empty" in listed.stderr
    assert "1 of 2 layers did not render" in listed.stderr


def test_wrong_use_is_one_line(run_cli: RunCli, make_repo: MakeRepo) -> None:
    repo = make_repo()
    _publish(repo)
    run_cli("registry", "add", "r", repo.url)
    for args, said in (
        (("images",), "Give a chart"),
        (("images", "r/kinds"), "exact version with --version"),
        (("images", "r/kinds", "--version", "1.0.0", "--profile", "x"), "not both"),
        (("render", "--profile", "nope"), "nope"),
        (("images", "r/kinds", "--version", "1.0.0", "--kube-version", "latest"), "a version such as 1.31.0"),
        (("images", "r/kinds", "--version", "1.0.0", "--values", "/nonexistent.yaml"), "values file"),
        (("images", "r/kinds", "--version", "1.0.0", "--var", "a=1"), "use it with --profile"),
    ):
        done = run_cli(*args)
        assert done.returncode == 1, (args, done.stderr)
        assert said in done.stderr and len(done.stderr.strip().splitlines()) == 1, (args, done.stderr)


def test_a_profiles_variables_take_their_defaults_or_the_values_set(
    run_cli: RunCli, make_repo: MakeRepo, home: Path
) -> None:
    repo = make_repo()
    _publish(repo)
    run_cli("registry", "add", "r", repo.url)
    variables = (
        ProfileVariable("tag", "Image tag", format="version", default_value="2.0.0"),
        ProfileVariable("token", "Token", is_sensitive=True, default_value="s3cret-token"),
    )
    values = "image:\n  tag: '{{.spectro.var.tag}}'\nnote: {{ .spectro.var.token }}\n"
    _profile(home, "vars", [("kinds", "1.0.0", "apps", values)], variables)
    defaults = run_cli("images", "--profile", "vars", "-o", "text")
    assert defaults.returncode == 0, defaults.stderr
    assert "quay.io/acme/web:2.0.0" in defaults.stdout.splitlines()
    assert "note: layer kinds: {{.spectro.var.tag}} takes its default '2.0.0'" in defaults.stderr
    assert "note: layer kinds: {{.spectro.var.token}} takes its default (sensitive, not shown)" in defaults.stderr
    assert "s3cret-token" not in defaults.stderr
    chosen = run_cli("images", "--profile", "vars", "-o", "text", "--var", "tag=3.1.0")
    assert chosen.returncode == 0, chosen.stderr
    assert "quay.io/acme/web:3.1.0" in chosen.stdout.splitlines()
    assert "{{.spectro.var.tag}} takes the test value '3.1.0'" in chosen.stderr
    wrong = run_cli("images", "--profile", "vars", "--var", "tag=latest")
    assert wrong.returncode == 1
    assert "line 2: {{.spectro.var.tag}}: the test value 'latest' is not a version" in wrong.stderr
    unknown = run_cli("images", "--profile", "vars", "--var", "tga=1")
    assert unknown.returncode == 1 and "has no variable 'tga' (its variables: tag, token)" in unknown.stderr

    _profile(home, "typo", [("kinds", "1.0.0", "apps", "a: 1\nimage:\n  tag: '{{.spectro.var.tga}}'\n")], variables)
    typo = run_cli("render", "--profile", "typo")
    assert typo.returncode == 1
    assert (
        "error: layer kinds (r/kinds@1.0.0): its values cannot be rendered: line 3: {{.spectro.var.tga}} names no "
        "variable of this profile: define it, or correct the name."
    ) in typo.stderr
