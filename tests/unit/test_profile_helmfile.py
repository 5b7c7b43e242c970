"""helmfile.yaml as helmfile reads it (field names from its RepositorySpec and ReleaseSpec): classic
and OCI repositories, plain HTTP, certificates beside the file, install order, names Helm accepts."""

from __future__ import annotations

import pytest
import yaml

from desktop.errors import ValidationError
from desktop.profiles.helmfile import credential_variables, helmfile_export
from desktop.profiles.model import Layer, Profile
from desktop.registry import Registry

CA = "-----BEGIN CERTIFICATE-----\nMIIB\n-----END CERTIFICATE-----\n"
STABLE = Registry(1, "u-stable", "stable", "https://charts.example.com/stable/?token=s3cret", True, "deploy")
TEAM = Registry(2, "u-team", "team-charts", "http://team.example/charts", True, None, ca_pem=CA)
SELF_SIGNED = Registry(3, "u-lab", "lab", "https://lab.example", True, None, insecure_skip_tls_verify=True)
OCI = Registry(4, "u-oci", "harbor", "oci://harbor.example:8443/charts", True, "robot", kind="oci", ca_pem=CA)
PLAIN = Registry(5, "u-plain", "local", "oci://127.0.0.1:5000/helm", True, None, kind="oci", plain_http=True)
REGISTRIES = {r.uid: r for r in (STABLE, TEAM, SELF_SIGNED, OCI, PLAIN)}


def layer(registry: Registry, chart: str, version: str = "1.0.0", **fields: object) -> Layer:
    return Layer(registry.uid, registry.name, registry.endpoint, chart, version, **fields)  # type: ignore[arg-type]


def export(*layers: Layer, registries: dict[str, Registry] = REGISTRIES) -> tuple[dict, str, dict[str, bytes]]:
    result = helmfile_export(Profile("p", "web stack", "1.2.0", layers=layers), registries)
    return yaml.safe_load(result.text), result.text, result.files


def test_repositories_are_written_the_way_helmfile_reads_them() -> None:
    document, text, files = export(
        layer(TEAM, "cert-manager", "1.14.0", namespace="cert-manager", values_override="installCRDs: true\n"),
        layer(STABLE, "nginx", "1.10.0", namespace="web", install_priority=10),
        layer(SELF_SIGNED, "lab-tool"),
        layer(OCI, "cache", "0.3.1", install_priority=10),
        layer(PLAIN, "web", "2.0.0", install_priority=20),
    )
    assert document["repositories"] == [
        {"name": "team-charts", "url": "http://team.example/charts", "caFile": "team-charts-ca.pem"},
        {"name": "stable", "url": "https://charts.example.com/stable"},
        {"name": "lab", "url": "https://lab.example", "skipTLSVerify": True},
        {"name": "harbor", "url": "harbor.example:8443/charts", "oci": True, "caFile": "harbor-ca.pem"},
        {"name": "local", "url": "127.0.0.1:5000/helm", "oci": True, "plainHttp": True},
    ]
    assert files == {"team-charts-ca.pem": CA.encode(), "harbor-ca.pem": CA.encode()}
    releases = document["releases"]
    assert [(r["name"], r["namespace"], r["chart"], r["version"], r.get("needs")) for r in releases] == [
        ("cert-manager", "cert-manager", "team-charts/cert-manager", "1.14.0", None),
        ("nginx", "web", "stable/nginx", "1.10.0", ["cert-manager/cert-manager", "default/lab-tool"]),
        ("lab-tool", "default", "lab/lab-tool", "1.0.0", None),
        ("cache", "default", "harbor/cache", "0.3.1", ["cert-manager/cert-manager", "default/lab-tool"]),
        ("web", "default", "local/web", "2.0.0", ["web/nginx", "default/cache"]),
    ]
    assert releases[0]["values"] == [{"installCRDs": True}] and "values" not in releases[1]
    assert releases[2]["insecureSkipTLSVerify"] is True  # chart downloads too, in every helmfile version
    assert not any("insecureSkipTLSVerify" in r for r in (releases[0], releases[1], releases[3], releases[4]))
    assert "s3cret" not in text and "deploy" not in text and "robot" not in text and "oci://" not in text


def test_the_header_says_what_helmfile_does_with_credentials() -> None:
    _, text, _ = export(layer(STABLE, "nginx"), layer(OCI, "cache"), layer(PLAIN, "web"), layer(TEAM, "x"))
    header = [line for line in text.splitlines() if line.startswith("#")]
    assert header[0] == "# Profile web stack 1.2.0, exported by Chartkeeper."
    joined = "\n".join(header)
    assert "<NAME>_USERNAME and <NAME>_PASSWORD" in joined and "helm registry login" in joined
    assert "#   repository stable: set STABLE_USERNAME and STABLE_PASSWORD" in header
    assert "#   repository harbor: set HARBOR_USERNAME and HARBOR_PASSWORD" in header
    assert not any("TEAM_CHARTS_USERNAME" in line for line in header)  # team needs no credentials
    assert "# plainHttp (repository local) needs helmfile v0.168.0 or later." in header
    assert "# caFile paths are relative to this file's folder: keep the .pem files beside it." in header


def test_credential_variables_follow_helmfiles_rule() -> None:
    assert credential_variables("team-charts") == ("TEAM_CHARTS_USERNAME", "TEAM_CHARTS_PASSWORD")
    assert credential_variables("my.repo") == ("MY.REPO_USERNAME", "MY.REPO_PASSWORD")


def test_release_names_are_helm_release_names() -> None:
    document, _, _ = export(
        layer(STABLE, "Cert_Manager"), layer(STABLE, "nginx"), layer(STABLE, "nginx", namespace="canary")
    )
    assert [r["name"] for r in document["releases"]] == ["cert-manager", "nginx", "nginx-2"]
    assert document["releases"][0]["chart"] == "stable/Cert_Manager"  # the chart keeps its own name


@pytest.mark.parametrize(
    ("chart", "namespace", "message"),
    [
        ("../../x; rm -rf /", "default", "is not a valid chart name"),
        ("web", "Web_NS", "is not a Kubernetes namespace"),
        ("..", "default", "is not a valid chart name"),
    ],
)
def test_names_helm_would_refuse_are_refused(chart: str, namespace: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message):
        export(layer(STABLE, chart, namespace=namespace))


def test_oci_chart_names_must_be_lowercase() -> None:
    with pytest.raises(ValidationError, match="lowercase"):
        export(layer(OCI, "Cache"))


def test_values_with_a_yaml_error_are_refused() -> None:
    with pytest.raises(ValidationError, match="values of layer x have a YAML error"):
        export(layer(STABLE, "x", values_override="a: [1,\n"))


def test_a_removed_registry_is_written_from_what_the_layer_remembers() -> None:
    gone = Layer("u-gone", "stable", "https://old.example/stable", "nginx", "1.0.0")
    document, _, _ = export(gone, layer(STABLE, "web"))
    assert [(r["name"], r["url"]) for r in document["repositories"]] == [
        ("stable", "https://old.example/stable"),
        ("stable-2", "https://charts.example.com/stable"),
    ]
    assert [r["chart"] for r in document["releases"]] == ["stable/nginx", "stable-2/web"]
