"""Exports other tools read (Palette JSON, helmfile.yaml), and importing Palette JSON back."""

from __future__ import annotations

import json

import pytest
import yaml

from desktop.errors import ValidationError
from desktop.profiles.formats import (
    helmfile_text,
    palette_json,
    palette_json_text,
    plan_palette_import,
    public_endpoint,
)
from desktop.profiles.model import Layer, Profile
from desktop.registry import Registry

STABLE = Registry(1, "uid-stable", "stable", "https://charts.example.com/stable/?token=s3cret", True, "deploy")
TEAM = Registry(2, "uid-team", "team", "http://team.example/charts", True, None)
PROFILE = Profile(
    uid="p1",
    name="web-stack",
    version="1.2.0",
    description="Web tier",
    tags=("env:prod", "web"),
    layers=(
        Layer("uid-team", "team", TEAM.endpoint, "cert-manager", "1.14.0", "cert-manager", 0, "installCRDs: true\n"),
        Layer(
            "uid-stable", "stable", STABLE.endpoint, "nginx", "1.10.0", "web", 10, "# tuned for prod\nreplicaCount: 3\n"
        ),
        Layer("uid-stable", "stable", STABLE.endpoint, "nginx", "1.10.0", "web-canary", 10, ""),
    ),
)
REGISTRIES = {r.uid: r for r in (STABLE, TEAM)}


def test_palette_json_has_palettes_shape_and_no_secrets() -> None:
    document = palette_json(PROFILE, REGISTRIES)
    assert document["metadata"] == {"name": "web-stack", "description": "Web tier", "tags": ["env:prod", "web"]}
    assert document["spec"]["version"] == "1.2.0" and document["spec"]["template"]["type"] == "add-on"
    pack = document["spec"]["template"]["packs"][1]
    assert (pack["name"], pack["tag"], pack["type"]) == ("nginx", "1.10.0", "helm")
    assert pack["registry"] == {"name": "stable", "endpoint": "https://charts.example.com/stable"}
    values = yaml.safe_load(pack["values"])
    assert values == {"pack": {"namespace": "web", "spectrocloud.com/install-priority": "10"}, "replicaCount": 3}
    assert "# tuned for prod" in pack["values"]
    text = palette_json_text(PROFILE, REGISTRIES)
    assert "s3cret" not in text and "deploy" not in text


def test_helmfile_output_parses_back_into_what_helmfile_needs() -> None:
    text = helmfile_text(PROFILE, REGISTRIES)
    assert "s3cret" not in text and "deploy" not in text
    document = yaml.safe_load(text)
    assert document["repositories"] == [
        {"name": "team", "url": "http://team.example/charts"},
        {"name": "stable", "url": "https://charts.example.com/stable"},
    ]
    releases = document["releases"]
    assert [(r["name"], r["namespace"], r["chart"], r["version"]) for r in releases] == [
        ("cert-manager", "cert-manager", "team/cert-manager", "1.14.0"),
        ("nginx", "web", "stable/nginx", "1.10.0"),
        ("nginx-2", "web-canary", "stable/nginx", "1.10.0"),
    ]
    assert releases[0]["values"] == [{"installCRDs": True}] and "needs" not in releases[0]
    assert releases[1]["needs"] == ["cert-manager/cert-manager"]  # priority 0 installs before priority 10
    assert "values" not in releases[2]


def test_helmfile_refuses_values_with_a_yaml_error() -> None:
    broken = Profile(
        uid="b", name="b", layers=(Layer("uid-team", "team", TEAM.endpoint, "x", "1.0.0", values_override="a: [1,\n"),)
    )
    with pytest.raises(ValidationError, match="values of layer x have a YAML error"):
        helmfile_text(broken, REGISTRIES)


def test_import_round_trip_restores_the_profile() -> None:
    text = palette_json_text(PROFILE, REGISTRIES)
    plan = plan_palette_import(text, [STABLE, TEAM], lambda name: False)
    assert plan.problems == []
    restored = plan.profile
    assert (restored.name, restored.version, restored.description, restored.tags) == (
        "web-stack",
        "1.2.0",
        "Web tier",
        ("env:prod", "web"),
    )

    def fields(layers: tuple[Layer, ...]) -> list[tuple]:
        return [
            (a.registry_uid, a.chart, a.version, a.namespace, a.install_priority, a.values_override) for a in layers
        ]

    assert fields(restored.layers) == fields(PROFILE.layers)


def test_import_lists_everything_missing_and_imports_nothing() -> None:
    text = palette_json_text(PROFILE, REGISTRIES)
    plan = plan_palette_import(text, [TEAM], lambda name: name == "web-stack")
    assert plan.problems[0].startswith("A profile named 'web-stack' exists already")
    missing = [p for p in plan.problems if "not registered here" in p]
    assert len(missing) == 2 and "https://charts.example.com/stable" in missing[0]


@pytest.mark.parametrize("text", ["not json", json.dumps({"metadata": {}}), json.dumps([1, 2])])
def test_import_of_something_else_is_a_clear_error(text: str) -> None:
    with pytest.raises(ValidationError):
        plan_palette_import(text, [], lambda name: False)


def test_endpoints_match_without_query_case_or_trailing_slash() -> None:
    assert public_endpoint("HTTPS://Charts.Example.com/stable/?x=1") == "https://charts.example.com/stable"
