"""Palette JSON both ways: exports in the shape of Palette's import model, imports of Palette's own
exports (names with spaces, labels, Palette packs left out), of Chartkeeper's older exports, and a
round trip through a fresh catalog that gives back the same file."""

from __future__ import annotations

import json
import sqlite3
from collections.abc import Iterator
from pathlib import Path

import pytest

from desktop.catalog.db import open_catalog
from desktop.catalog.profiles import find_profile
from desktop.errors import UserError, ValidationError
from desktop.operations.profiles import (
    apply_profile_import,
    plan_profile_import,
    render_profile,
    save_profile,
)
from desktop.operations.services import Services, inline_services
from desktop.profiles.model import Layer, Profile, ProfileVariable
from desktop.profiles.palette_export import palette_json
from desktop.profiles.palette_import import Choices
from desktop.secrets import CredentialStore
from tests.support.exports import (
    add_registry,
    add_snapshot,
    chartkeeper_0_1_export,
    ml_ops_export,
    palette_export,
    palette_pack,
    palette_variables,
    registry_metadata,
    write_json,
    write_palette_export,
)


def _catalog(path: Path) -> sqlite3.Connection:
    return open_catalog(path / "catalog.sqlite3")


@pytest.fixture
def db(tmp_path: Path) -> Iterator[sqlite3.Connection]:
    connection = _catalog(tmp_path / "one")
    yield connection
    connection.close()


def services_for(db: sqlite3.Connection) -> Services:
    return inline_services(db, CredentialStore(), clock=lambda: 1_700_000_000.0)  # the keyring is never asked


def layer(registry: object, chart: str, version: str, namespace: str = "default", priority: int = 0, values: str = ""):
    return Layer(registry.uid, registry.name, registry.endpoint, chart, version, namespace, priority, values)  # type: ignore[attr-defined]


def test_the_export_has_the_shape_of_palettes_import_model(db: sqlite3.Connection) -> None:
    stable = add_registry(
        db, "stable", "https://charts.example.com/stable?token=s3cret", username="deploy", password="x"
    )
    airgap = add_registry(db, "airgap", "https://airgap.example/charts", sync_enabled=False)
    oci = add_registry(db, "edge-oci", "oci://registry.example:5000/charts", username="ana", password="x")
    profile = Profile(
        "",
        "Web Stack",
        "1.2.0",
        "Web tier",
        ("env:prod", "web"),
        (
            layer(stable, "nginx", "1.10.0", "web", 10, "# tuned for prod\nreplicaCount: 3\n"),
            layer(airgap, "db", "2.0.0"),
            layer(oci, "cache", "0.3.1", "cache", -5),
        ),
    )
    document = palette_json(profile, {r.uid: r for r in (stable, airgap, oci)})
    assert document["metadata"] == {
        "name": "Web Stack",
        "description": "Web tier",
        "labels": {"env": "prod", "web": "spectro__tag"},
    }
    assert document["spec"]["version"] == "1.2.0" and document["spec"]["variables"] == []
    template = document["spec"]["template"]
    assert (template["type"], template["cloudType"]) == ("add-on", "all")
    nginx, db_pack, cache = template["packs"]
    assert set(nginx) == {"name", "type", "layer", "version", "tag", "values", "registry", "manifests"}
    assert (nginx["name"], nginx["tag"], nginx["version"], nginx["type"], nginx["layer"]) == (
        "nginx",
        "1.10.0",
        "1.10.0",
        "helm",
        "addon",
    )
    assert nginx["registry"] == {
        "metadata": {
            "uid": "",
            "name": "stable",
            "kind": "helm",
            "isPrivate": False,
            "providerType": "helm",
            "isSyncSupported": True,
        }
    }
    assert nginx["values"] == (
        'pack:\n  namespace: web\n  spectrocloud.com/install-priority: "10"\n# tuned for prod\nreplicaCount: 3\n'
    )
    assert db_pack["registry"]["metadata"]["isPrivate"] is True  # protected: Palette does not sync it
    assert db_pack["registry"]["metadata"]["isSyncSupported"] is False
    assert (cache["type"], cache["registry"]["metadata"]["kind"], cache["registry"]["metadata"]["isPrivate"]) == (
        "oci",
        "oci",
        True,
    )
    assert 'install-priority: "-5"' in cache["values"]
    text = json.dumps(document)
    assert "s3cret" not in text and "deploy" not in text and "ana" not in text and "endpoint" not in text


def test_a_palette_export_in_the_models_shape_imports(db: sqlite3.Connection, tmp_path: Path) -> None:
    helm = add_registry(db, "bitnami", "https://charts.example.com/bitnami")
    oci = add_registry(db, "harbor", "oci://harbor.example/charts")
    add_registry(db, "Bitnami-mirror", "https://mirror.example/bitnami")
    values = (
        'pack:\n  namespace: "monitoring"\n  spectrocloud.com/install-priority: "20"\n'
        "  content:\n    images:\n      - image: quay.io/prometheus/prometheus:v2.51.0\n"
        "# keep two\nreplicas: {{ .spectro.var.replicas }}\n"
    )
    document = palette_export(
        "Observability Stack",
        [
            palette_pack("prometheus", "25.8.0", registry_metadata("bitnami"), values=values),
            palette_pack(
                "cache", "0.3.1", registry_metadata("harbor", "oci", isPrivate=True), pack_type="oci", values=""
            ),
            palette_pack(
                "hello-universe",
                "1.2.0",
                registry_metadata("Palette Community", "oci", providerType="pack"),
                pack_type="oci",
            ),
            palette_pack(
                "ubuntu-aws", "22.04", registry_metadata("Public Repo", "pack"), pack_type="spectro", layer="os"
            ),
            palette_pack("extras", "1.0.0", registry_metadata("bitnami"), pack_type="manifest"),
        ],
        labels={"env": "prod", "observability": "spectro__tag"},
        description="Metrics and dashboards",
        variables=[{"name": "replicas", "defaultValue": "2"}],
    )
    services = services_for(db)
    plan = plan_profile_import(services, write_json(tmp_path / "observability.json", document))
    assert plan.unresolved == []
    names = [p.registry and p.registry.name for p in plan.packs]
    assert names == ["bitnami", "harbor"]  # by name and kind, not by likeness
    assert plan.skipped == (
        "hello-universe is a Palette pack in an OCI registry, not a Helm chart: not imported",
        "ubuntu-aws is a Palette pack, not a Helm chart: not imported",
        "extras is a manifest layer, not a Helm chart: not imported",
    )
    result = apply_profile_import(services, plan)
    profile = result.profile
    assert (profile.name, profile.version, profile.description, profile.tags) == (
        "Observability Stack",
        "1.0.0",
        "Metrics and dashboards",
        ("env:prod", "observability"),
    )
    cache, prometheus = profile.layers  # read back in install order: priority 0 before 20
    assert (prometheus.registry_uid, prometheus.chart, prometheus.namespace, prometheus.install_priority) == (
        helm.uid,
        "prometheus",
        "monitoring",
        20,
    )
    assert prometheus.values_override == (  # the user's text kept, macros and comments included
        "pack:\n  content:\n    images:\n      - image: quay.io/prometheus/prometheus:v2.51.0\n"
        "# keep two\nreplicas: {{ .spectro.var.replicas }}\n"
    )
    assert (cache.registry_uid, cache.namespace, cache.install_priority) == (oci.uid, "default", 0)
    assert result.ignored == ()
    assert profile.variables == (ProfileVariable("replicas", default_value="2"),)  # kept, no longer dropped
    exported = json.loads(render_profile(services, "Observability Stack", "palette").text)
    assert exported["spec"]["template"]["packs"][1]["values"] == (
        'pack:\n  namespace: monitoring\n  spectrocloud.com/install-priority: "20"\n'
        "  content:\n    images:\n      - image: quay.io/prometheus/prometheus:v2.51.0\n"
        "# keep two\nreplicas: {{ .spectro.var.replicas }}\n"
    )
    assert [v["name"] for v in exported["spec"]["variables"]] == ["replicas"]


def test_the_ml_ops_export_is_refused_in_one_line_naming_its_palette_packs(
    db: sqlite3.Connection, tmp_path: Path
) -> None:
    with pytest.raises(ValidationError) as refused:
        plan_profile_import(services_for(db), write_json(tmp_path / "ml-ops.json", ml_ops_export()))
    message = refused.value.message
    assert message.startswith("Nothing to import: none of the file's 3 pack(s) is a Helm chart")
    assert "kubeflow is a Palette pack" in message and "\n" not in message


def test_the_ml_ops_name_labels_and_namespaces_are_read(db: sqlite3.Connection, tmp_path: Path) -> None:
    """The same file with one Helm layer added: its name (spaces, capitals) and label come in."""
    team = add_registry(db, "team", "https://team.example/charts")
    document = ml_ops_export()
    document["spec"]["template"]["packs"].append(
        palette_pack("web", "1.0.0", registry_metadata("team"), values='pack:\n  namespace: "web"\nreplicaCount: 2\n')
    )
    services = services_for(db)
    result = apply_profile_import(services, plan_profile_import(services, write_json(tmp_path / "m.json", document)))
    assert (result.profile.name, result.profile.tags) == ("ML Ops", ("AI",))
    assert [(a.registry_uid, a.chart, a.namespace, a.values_override) for a in result.profile.layers] == [
        (team.uid, "web", "web", "replicaCount: 2\n")
    ]
    assert len(result.skipped) == 3
    assert find_profile(db, "ml ops") is not None  # names are looked up as Palette compares them: any case


def test_chartkeepers_older_exports_keep_importing(db: sqlite3.Connection, tmp_path: Path) -> None:
    repo = add_registry(db, "r", "https://charts.example.com/stable/")
    services = services_for(db)
    document = chartkeeper_0_1_export("elsewhere-name", "https://charts.example.com/stable")
    result = apply_profile_import(services, plan_profile_import(services, write_json(tmp_path / "e.json", document)))
    profile = result.profile
    assert (profile.name, profile.version, profile.tags) == ("edge", "2.0.0", ("env:edge", "site"))
    (web,) = profile.layers
    assert (web.registry_uid, web.namespace, web.install_priority, web.values_override) == (
        repo.uid,
        "web",
        5,
        "# two replicas\nreplicaCount: 2\n",
    )
    minimal = write_palette_export(tmp_path / "minimal.json", "r", "https://charts.example.com/stable")
    assert plan_profile_import(services, minimal).packs[0].registry == repo  # no type, no version: still helm


def test_tags_given_as_one_string_are_not_split_into_letters(db: sqlite3.Connection, tmp_path: Path) -> None:
    document = {"metadata": {"name": "x", "tags": "abc"}, "spec": {"template": {"packs": []}}}
    plan = plan_profile_import(services_for(db), write_json(tmp_path / "t.json", document))
    assert plan.export.tags == ("abc",)


def test_matching_by_endpoint_then_name_and_several_matches_are_asked(db: sqlite3.Connection, tmp_path: Path) -> None:
    first = add_registry(db, "first", "https://shared.example/charts")
    second = add_registry(db, "second", "https://shared.example/charts/")
    add_registry(db, "oci", "oci://shared.example/charts")
    add_snapshot(db, first, {"web": ["1.0.0"]})
    services = services_for(db)
    several = write_palette_export(tmp_path / "s.json", "elsewhere", "https://SHARED.example/charts", "web")
    plan = plan_profile_import(services, several)
    (pack_plan,) = plan.unresolved
    assert {r.name for r in pack_plan.matches} == {"first", "second"}
    assert [r.name for r in pack_plan.suggestions] == ["first"]
    assert "matches several registries (first, second)" in pack_plan.problem()
    with pytest.raises(ValidationError, match="have no registry here"):
        apply_profile_import(services, plan)
    result = apply_profile_import(services, plan, Choices(registries={1: second.uid}))
    assert result.profile.layers[0].registry_uid == second.uid
    named = write_palette_export(tmp_path / "n.json", "first", "https://shared.example/charts")
    assert plan_profile_import(services, named).packs[0].registry == first  # the endpoint, then the name


def test_a_pack_whose_registry_is_not_here_is_reported_with_who_holds_it(
    db: sqlite3.Connection, tmp_path: Path
) -> None:
    mirror = add_registry(db, "mirror", "https://mirror.example/charts")
    add_snapshot(db, mirror, {"nginx": ["1.10.0"]})
    document = palette_export("p", [palette_pack("nginx", "1.10.0", registry_metadata("Bitnami Charts"))])
    plan = plan_profile_import(services_for(db), write_json(tmp_path / "p.json", document))
    (pack_plan,) = plan.unresolved
    assert pack_plan.problem() == (
        "pack nginx 1.10.0: registry 'Bitnami Charts' (helm) is not registered here; mirror holds it"
    )
    with pytest.raises(ValidationError, match="is gone or not a Helm registry"):
        oci = add_registry(db, "oci", "oci://o.example/c")
        apply_profile_import(services_for(db), plan, Choices(registries={1: oci.uid}))
    assert find_profile(db, "p") is None


def test_an_import_under_a_taken_name_is_refused_unless_renamed(db: sqlite3.Connection, tmp_path: Path) -> None:
    add_registry(db, "r", "https://charts.example.com/stable")
    services = services_for(db)
    source = write_json(tmp_path / "e.json", chartkeeper_0_1_export("r", "https://charts.example.com/stable"))
    apply_profile_import(services, plan_profile_import(services, source))
    plan = plan_profile_import(services, source)
    assert plan.name_taken
    with pytest.raises(UserError, match="exists already"):
        apply_profile_import(services, plan)
    renamed = apply_profile_import(services, plan, Choices(name="edge 2"))
    assert renamed.profile.name == "edge 2"


def test_export_import_export_through_a_fresh_catalog_gives_the_same_files(tmp_path: Path) -> None:
    """Round trip: the receiving catalog has registries of the same names and settings (other uids)."""
    ca = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
    files: dict[str, tuple[str, str, dict[str, bytes]]] = {}
    for side in ("sender", "receiver"):
        db = _catalog(tmp_path / side)
        host = "charts.example"
        stable = add_registry(db, "stable", f"https://{host}/stable", ca_pem=ca, sync_enabled=False)
        team = add_registry(db, "team", f"https://{host}/team", insecure_skip_tls_verify=True)
        oci = add_registry(db, "edge-oci", f"oci://{host}:5000/charts", plain_http=True)
        services = services_for(db)
        if side == "sender":
            save_profile(
                services,
                Profile(
                    "",
                    "ML Ops",
                    "1.4.0",
                    "Edge: ML",
                    ("AI", "env:edge"),
                    (
                        layer(stable, "nginx", "1.10.0", "web", 10, "# tuned\nreplicaCount: 3\n"),
                        layer(team, "Cert_Manager", "1.14.0", "cert-manager", 0, "installCRDs: true\n"),
                        layer(oci, "cache", "0.3.1", "cache", 10, "pack:\n  releaseNameOverride: c\nsize: 1\n"),
                        layer(stable, "nginx", "1.10.0", "web-canary", 20),
                    ),
                ),
            )
            source = tmp_path / "exported.json"
            source.write_text(render_profile(services, "ML Ops", "palette").text)
        else:
            result = apply_profile_import(services, plan_profile_import(services, tmp_path / "exported.json"))
            assert result.skipped == ()
        palette = render_profile(services, "ML Ops", "palette").text
        helmfile = render_profile(services, "ML Ops", "helmfile")
        files[side] = (palette, helmfile.text, helmfile.files)
        db.close()
    assert files["receiver"] == files["sender"]
    assert "stable-ca.pem" in files["sender"][2]


def test_a_palette_export_with_variables_round_trips(db: sqlite3.Connection, tmp_path: Path) -> None:
    add_registry(db, "bitnami", "https://charts.example.com/bitnami")
    values = 'host: "{{.spectro.var.ingress_host}}"\npassword: "{{ .spectro.var.db_password }}"\n'
    document = palette_export(
        "Variables",
        [palette_pack("web", "1.0.0", registry_metadata("bitnami"), values=values)],
        variables=palette_variables(),
    )
    services = services_for(db)
    result = apply_profile_import(services, plan_profile_import(services, write_json(tmp_path / "v.json", document)))
    assert result.ignored == (
        "variable db_password: its sensitive default was masked by the export; set it before deploying",
    )
    stored = find_profile(db, "Variables")
    assert stored is not None and [v.name for v in stored.variables] == [v["name"] for v in palette_variables()]
    exported = json.loads(render_profile(services, "Variables", "palette").text)
    assert exported["spec"]["variables"] == palette_variables()  # every field, in Palette's shape


def test_a_sensitive_default_is_masked_in_the_export() -> None:
    secret = ProfileVariable("token", "Token", is_sensitive=True, default_value="s3cret-value", required=True)
    profile = Profile("", "p", variables=(secret, ProfileVariable("host", "Host", default_value="web.example")))
    document = palette_json(profile, {})
    assert [v["defaultValue"] for v in document["spec"]["variables"]] == ["********", "web.example"]
    assert "s3cret-value" not in json.dumps(document)


def test_an_export_with_broken_variables_is_refused_in_one_line(db: sqlite3.Connection, tmp_path: Path) -> None:
    twice = [{"name": "a", "displayName": "A", "defaultValue": ""}, {"name": "a", "displayName": "B"}]
    document = palette_export("p", [palette_pack("web", "1.0.0", registry_metadata("bitnami"))], variables=twice)
    with pytest.raises(ValidationError) as refused:
        plan_profile_import(services_for(db), write_json(tmp_path / "p.json", document))
    assert "Variable 'a' is defined twice" in refused.value.message and "\n" not in refused.value.message
