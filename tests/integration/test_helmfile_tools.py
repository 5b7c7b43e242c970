"""Exported helmfile.yaml files run through the real helmfile (0.166.0) and helm (3.15.3): a classic
repository over TLS with a private CA (caFile written beside the file), one whose certificate is not
trusted (skipTLSVerify, and insecureSkipTLSVerify on its releases), and an OCI registry with basic
auth whose credentials helmfile takes from <NAME>_USERNAME/<NAME>_PASSWORD — `lint`, `template` and
`show-dag` against local servers.

What these binaries cannot show: `plainHttp: true` needs helmfile v0.168.0 (0.166.0 refuses the
field; tests/unit/test_profile_helmfile.py checks it against helmfile's RepositorySpec), and helm 3.15
always speaks plain HTTP to registries on loopback addresses, so the OCI registry here is plain HTTP
and an OCI registry's caFile is not exercised by a real pull; helmfile 0.166's `lint` downloads charts
of classic repositories with no TLS flag at all (later versions add the repository's), so the
untrusted-certificate repository is rendered with `template` only."""

from __future__ import annotations

import ssl
from collections.abc import Iterator
from pathlib import Path

import pytest
import trustme
import yaml

from desktop.profiles.helmfile import helmfile_export
from desktop.profiles.model import Layer, Profile
from desktop.registry import Registry
from tests.support.charts import chart_archive, publish_charts
from tests.support.helm_tools import HelmTools, helm_tools
from tests.support.oci_registry import DistributionRegistry
from tests.support.repo_server import RepoServer

pytestmark = pytest.mark.slow
TEMPLATE = (
    b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
    b"data:\n  replicas: {{ .Values.replicaCount | quote }}\n"
)
USERS = {"ana": "an4-s3cret"}


def chart(name: str, version: str) -> bytes:
    return chart_archive(name, version, extra={f"{name}/templates/config.yaml": TEMPLATE})


@pytest.fixture(scope="session")
def tools() -> HelmTools:
    return helm_tools()


@pytest.fixture
def servers(ca: trustme.CA, tmp_path: Path) -> Iterator[tuple[RepoServer, RepoServer, DistributionRegistry]]:
    private = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    ca.issue_cert("127.0.0.1").configure_cert(private)
    stable = RepoServer(tls_context=private).start()
    publish_charts(stable, {"web": {"1.0.0": chart("web", "1.0.0")}})
    untrusted = ssl.create_default_context(ssl.Purpose.CLIENT_AUTH)
    trustme.CA().issue_cert("127.0.0.1").configure_cert(untrusted)  # a CA nobody was given
    lab = RepoServer(tls_context=untrusted).start()
    publish_charts(lab, {"tool": {"0.1.0": chart("tool", "0.1.0")}})
    oci = DistributionRegistry(tmp_path / "registry", users=USERS).start()
    oci.push_chart("charts/db", "2.0.0", chart("db", "2.0.0"), user="ana")
    yield stable, lab, oci
    oci.stop()
    lab.stop()
    stable.stop()


def export(folder: Path, *layers: tuple[Registry, str, str, str, int, str]) -> Path:
    """(registry, chart, version, namespace, priority, values) per layer, exported into `folder`."""
    profile = Profile(
        "p",
        "ML Ops",
        "1.0.0",
        layers=tuple(Layer(r.uid, r.name, r.endpoint, *fields) for r, *fields in layers),
    )
    result = helmfile_export(profile, {layer[0].uid: layer[0] for layer in layers})
    folder.mkdir()
    (folder / "helmfile.yaml").write_text(result.text)
    for name, data in result.files.items():
        (folder / name).write_bytes(data)
    return folder / "helmfile.yaml"


def registries(
    servers: tuple[RepoServer, RepoServer, DistributionRegistry], ca: trustme.CA
) -> tuple[Registry, Registry, Registry]:
    stable_server, lab_server, registry = servers
    stable = Registry(1, "u-stable", "stable", stable_server.url, True, None, ca_pem=ca.cert_pem.bytes().decode())
    lab = Registry(2, "u-lab", "lab", lab_server.url, True, None, insecure_skip_tls_verify=True)
    # plain_http is left off: helmfile 0.166 predates `plainHttp`, and helm uses plain HTTP on loopback anyway
    oci = Registry(3, "u-oci", "oci-lab", f"oci://{registry.endpoint_host}/charts", True, "ana", kind="oci")
    return stable, lab, oci


def test_helmfile_lints_templates_and_orders_the_export(
    tools: HelmTools, servers: tuple[RepoServer, RepoServer, DistributionRegistry], ca: trustme.CA, tmp_path: Path
) -> None:
    stable, _, oci = registries(servers, ca)
    helmfile_yaml = export(
        tmp_path / "deploy",
        (stable, "web", "1.0.0", "web", 0, "replicaCount: 3\n"),
        (oci, "db", "2.0.0", "data", 10, "replicaCount: 2\n"),
    )
    assert (tmp_path / "deploy" / "stable-ca.pem").exists()
    credentials = {"OCI_LAB_USERNAME": "ana", "OCI_LAB_PASSWORD": USERS["ana"]}  # as the header says

    linted = tools.run(helmfile_yaml, "lint", home=tmp_path / "home", env=credentials)
    assert linted.returncode == 0, linted.stderr
    assert linted.stdout.count("1 chart(s) linted, 0 chart(s) failed") == 2

    rendered = tools.run(helmfile_yaml, "template", home=tmp_path / "home", env=credentials)
    assert rendered.returncode == 0, rendered.stderr
    assert 'name: web\ndata:\n  replicas: "3"' in rendered.stdout  # the layer's values reached the chart
    assert 'name: db\ndata:\n  replicas: "2"' in rendered.stdout  # pulled from the OCI registry

    dag = tools.run(helmfile_yaml, "show-dag", home=tmp_path / "home", env=credentials)  # needs the repos added
    assert dag.returncode == 0, dag.stderr
    groups = {line.split()[1]: line.split()[0] for line in dag.stdout.splitlines()[1:] if line.strip()}
    assert groups == {"web/web": "1", "data/db": "2"}  # priority 0 before priority 10

    refused = tools.run(helmfile_yaml, "template", home=tmp_path / "fresh")  # the control: no variables
    assert refused.returncode != 0
    assert "no basic auth credentials" in refused.stderr


def test_helmfile_takes_charts_from_a_repository_with_an_untrusted_certificate(
    tools: HelmTools, servers: tuple[RepoServer, RepoServer, DistributionRegistry], ca: trustme.CA, tmp_path: Path
) -> None:
    _, lab, _ = registries(servers, ca)
    helmfile_yaml = export(tmp_path / "deploy", (lab, "tool", "0.1.0", "tools", 0, "replicaCount: 5\n"))
    rendered = tools.run(helmfile_yaml, "template", home=tmp_path / "home")
    assert rendered.returncode == 0, rendered.stderr
    assert 'name: tool\ndata:\n  replicas: "5"' in rendered.stdout


def test_without_the_certificate_or_skip_verify_helm_refuses_the_repositories(
    tools: HelmTools, servers: tuple[RepoServer, RepoServer, DistributionRegistry], tmp_path: Path
) -> None:
    """The control for caFile and skipTLSVerify: both servers' certificates are otherwise untrusted."""
    stable_server, lab_server, _ = servers
    for registry in (
        Registry(1, "u-stable", "stable", stable_server.url, True, None),
        Registry(2, "u-lab", "lab", lab_server.url, True, None),
    ):
        folder = tmp_path / registry.name
        profile = Profile("p", "p", layers=(Layer(registry.uid, registry.name, registry.endpoint, "x", "1.0.0"),))
        folder.mkdir()
        (folder / "helmfile.yaml").write_text(helmfile_export(profile, {registry.uid: registry}).text)
        refused = tools.run(folder / "helmfile.yaml", "template", home=tmp_path / f"home-{registry.name}")
        assert refused.returncode != 0
        assert "certificate" in refused.stderr.lower(), refused.stderr


VARIABLE_TEMPLATE = (
    b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
    b"data:\n  host: {{ .Values.host | quote }}\n  replicas: {{ .Values.replicas | quote }}\n"
    b"  password: {{ .Values.password | quote }}\n  size: {{ .Values.size | quote }}\n"
    b"  braces: {{ .Values.braces | quote }}\n"
)


def test_profile_variables_are_read_from_the_environment_by_helmfile(tools: HelmTools, tmp_path: Path) -> None:
    from desktop.profiles.model import ProfileVariable

    repo = RepoServer().start()
    try:
        archive = chart_archive("web", "1.0.0", extra={"web/templates/config.yaml": VARIABLE_TEMPLATE})
        publish_charts(repo, {"web": {"1.0.0": archive}})
        registry = Registry(1, "u-stable", "stable", repo.url, True, None)
        variables = (
            ProfileVariable("host", "Host", default_value="web.example"),
            ProfileVariable("replicas", "Replicas", format="number", default_value="3", immutable=True),
            ProfileVariable("password", "Password", is_sensitive=True, required=True, default_value="never-written"),
            ProfileVariable("size", "Size", default_value="small"),
        )
        values = (
            'host: "{{.spectro.var.host}}"\nreplicas: {{ .spectro.var.replicas }}\n'
            'password: "{{.spectro.var.password}}"\nsize: "{{ .spectro.var.size | upper }}"\n'
            'braces: "{{ not a variable }}"\n'
        )
        layer = Layer(registry.uid, registry.name, registry.endpoint, "web", "1.0.0", "web", 0, values)
        result = helmfile_export(Profile("p", "Vars", layers=(layer,), variables=variables), {registry.uid: registry})
        assert "never-written" not in result.text + "".join(data.decode() for data in result.files.values())
        assert "#   SPECTRO_VAR_password (Password): sensitive: required" in result.text
        assert '#   SPECTRO_VAR_host (Host): optional, default "web.example"' in result.text
        folder = tmp_path / "deploy"
        folder.mkdir()
        (folder / "helmfile.yaml").write_text(result.text)
        for name, data in result.files.items():
            (folder / name).write_bytes(data)
        assert sorted(result.files) == ["web-values.yaml.gotmpl"]

        refused = tools.run(folder / "helmfile.yaml", "template", home=tmp_path / "home")
        assert refused.returncode != 0
        assert "SPECTRO_VAR_password" in refused.stderr  # requiredEnv: the sensitive one must be set

        env = {"SPECTRO_VAR_password": "pw-1", "SPECTRO_VAR_replicas": "99"}
        defaults = tools.run(folder / "helmfile.yaml", "template", home=tmp_path / "home", env=env)
        assert defaults.returncode == 0, defaults.stderr
        assert (
            'host: "web.example"\n  replicas: "3"\n  password: "pw-1"\n  size: "SMALL"\n'
            '  braces: "{{ not a variable }}"'
        ) in defaults.stdout  # immutable: its default, whatever the environment says

        env |= {"SPECTRO_VAR_host": "lab.example", "SPECTRO_VAR_size": "large"}
        chosen = tools.run(folder / "helmfile.yaml", "template", home=tmp_path / "home", env=env)
        assert chosen.returncode == 0, chosen.stderr
        assert 'host: "lab.example"\n  replicas: "3"\n  password: "pw-1"\n  size: "LARGE"' in chosen.stdout
    finally:
        repo.stop()


LONG_TEMPLATE = (
    b"apiVersion: v1\nkind: ConfigMap\nmetadata:\n  name: {{ .Release.Name }}\n"
    b"data:\n  replicas: {{ .Values.persistence.defaultClassReplicaCount | quote }}\n"
    b"  path: {{ .Values.defaultSettings.defaultDataPath | quote }}\n"
    b"  setting40: {{ .Values.defaultSettings.setting40 | quote }}\n"
)


def test_only_what_a_layer_changed_reaches_values_and_helm_fills_in_the_defaults(
    tools: HelmTools, tmp_path: Path
) -> None:
    """A layer made from a longhorn-sized values.yaml with one value changed: the helmfile's `values:`
    hold that one value, and helm still renders every default from the chart."""
    defaults = (
        "persistence:\n  defaultClass: true\n  defaultClassReplicaCount: 3\n"
        "defaultSettings:\n  defaultDataPath: /var/lib/longhorn/\n"
        + "".join(f"  setting{i}: value-{i}\n" for i in range(150))
    )
    changed = defaults.replace("defaultClassReplicaCount: 3", "defaultClassReplicaCount: 2")
    repo = RepoServer().start()
    try:
        archive = chart_archive(
            "longhorn", "1.7.2", values=defaults, extra={"longhorn/templates/config.yaml": LONG_TEMPLATE}
        )
        publish_charts(repo, {"longhorn": {"1.7.2": archive}})
        registry = Registry(1, "u-longhorn", "longhorn", repo.url, True, None)
        layer = Layer(
            registry.uid, registry.name, registry.endpoint, "longhorn", "1.7.2", "longhorn-system", 0, changed
        )
        profile = Profile("p", "Storage", layers=(layer,))
        result = helmfile_export(profile, {registry.uid: registry}, {0: defaults})
        assert yaml.safe_load(result.text)["releases"][0]["values"] == [
            {"persistence": {"defaultClassReplicaCount": 2}}
        ]
        assert len(result.text.splitlines()) < 40  # not ~150 lines of defaults copied
        folder = tmp_path / "deploy"
        folder.mkdir()
        (folder / "helmfile.yaml").write_text(result.text)
        rendered = tools.run(folder / "helmfile.yaml", "template", home=tmp_path / "home")
        assert rendered.returncode == 0, rendered.stderr
        assert 'replicas: "2"\n  path: "/var/lib/longhorn/"\n  setting40: "value-40"' in rendered.stdout

        # Without the chart's values.yaml kept here: written whole, and the header says why.
        whole = helmfile_export(profile, {registry.uid: registry}, {0: None})
        assert "except longhorn:" in whole.text and "chart is not kept on this computer" in whole.text
        assert yaml.safe_load(whole.text)["releases"][0]["values"] == [yaml.safe_load(changed)]
    finally:
        repo.stop()
