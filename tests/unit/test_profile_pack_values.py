"""Namespace and install priority in Palette's `pack:` block: written into values and taken out again
with the user's text kept, and the rules names, tags and priorities follow."""

from __future__ import annotations

import pytest
import yaml
from hypothesis import given, settings
from hypothesis import strategies as st

from desktop.errors import ValidationError
from desktop.profiles.model import (
    release_name,
    validate_chart_name,
    validate_install_priority,
    validate_profile_name,
    validate_tags,
)
from desktop.profiles.pack_values import pack_values, split_pack_values

OVERRIDES = [
    "",
    "replicaCount: 3\n",
    "# tuned\nreplicaCount: 3",  # no final newline
    "pack:\n  content:\n    images:\n      - image: x\nreplicas: {{ .spectro.var.r }}\n",  # a macro: not YAML
    "pack:\n    releaseNameOverride: x  # keep\nfoo: 1\n",
    "pack: {content: 1}\n",  # flow style: rewritten, then stable
    "pack: null\nx: 1\n",
    "x: &a {b: 1}\npack:\n  y: *a\n",
    "pack:\n  namespace: typed-in-values\n  x: 1\n",  # the layer's own field wins
]


@pytest.mark.parametrize("override", OVERRIDES)
def test_values_go_out_and_come_back(override: str) -> None:
    exported = pack_values(override, "web", 10, "layer x")
    data = yaml.safe_load(exported.replace("{{ .spectro.var.r }}", "1"))
    assert data["pack"]["namespace"] == "web" and data["pack"]["spectrocloud.com/install-priority"] == "10"
    back = split_pack_values(exported, "pack 1")
    assert (back.namespace, back.priority) == ("web", 10)
    assert pack_values(back.override, back.namespace, back.priority, "layer x") == exported  # stable


def test_a_plain_override_comes_back_exactly() -> None:
    exported = pack_values("# tuned\nreplicaCount: 3\n", "web", -5, "layer x")
    assert exported == 'pack:\n  namespace: web\n  spectrocloud.com/install-priority: "-5"\n# tuned\nreplicaCount: 3\n'
    assert split_pack_values(exported, "p").override == "# tuned\nreplicaCount: 3\n"


def test_namespaces_yaml_would_misread_are_quoted() -> None:
    assert 'namespace: "123"' in pack_values("", "123", 0, "x")
    assert 'namespace: "null"' in pack_values("", "null", 0, "x")


def test_palettes_quoted_values_are_read() -> None:
    values = 'pack:\n  namespace: "argocd"\n  spectrocloud.com/install-priority: "-10"\ncharts:\n  a: 1\n'
    settings_ = split_pack_values(values, "pack 2")
    assert (settings_.override, settings_.namespace, settings_.priority) == ("charts:\n  a: 1\n", "argocd", -10)


@pytest.mark.parametrize(
    ("values", "message"),
    [
        ('pack:\n  spectrocloud.com/install-priority: "99999999999999999999999999"\n', "is out of range"),
        ('pack:\n  spectrocloud.com/install-priority: "high"\n', "is not an install priority"),
        ("pack:\n  namespace: Web_NS\n", "is not a Kubernetes namespace"),
    ],
)
def test_bad_settings_are_one_line_naming_the_pack(values: str, message: str) -> None:
    with pytest.raises(ValidationError, match=message) as refused:
        split_pack_values(values, "Pack 3 (web)")
    assert refused.value.message.startswith("Pack 3 (web): ") and "\n" not in refused.value.message


def test_names_as_palette_and_helm_have_them() -> None:
    assert validate_profile_name("  ML Ops ") == "ML Ops"
    with pytest.raises(ValidationError, match="control characters"):
        validate_profile_name("two\nlines")
    with pytest.raises(ValidationError, match="control characters"):
        validate_profile_name("sneaky\u2028line")
    assert validate_chart_name("Cert_Manager.v2") == "Cert_Manager.v2"
    for bad in ("../../x; rm -rf /", "a/b", "..", "", "x" * 251, "$(id)"):
        with pytest.raises(ValidationError, match="is not a valid chart name"):
            validate_chart_name(bad)
    for padded in (" web", "web ", "\tweb", "web\n"):  # refused, not trimmed into another chart's name
        with pytest.raises(ValidationError, match="is not a valid chart name: it starts or ends with white space"):
            validate_chart_name(padded)
        with pytest.raises(ValidationError, match="starts or ends with white space"):
            validate_chart_name(padded, oci=True)
    assert release_name("Cert_Manager", set()) == "cert-manager"
    assert release_name("nginx", {"nginx", "nginx-2"}) == "nginx-3"
    assert len(release_name("a" * 250, set())) <= 53


def test_tags_keep_one_value_per_key() -> None:
    assert validate_tags(["env:prod", " web ", "", "web"]) == ("env:prod", "web")
    assert validate_tags(["AI", "team:data science"]) == ("AI", "team:data science")
    with pytest.raises(ValidationError, match="share the key 'env'"):
        validate_tags(["env:prod", "env:dev"])
    with pytest.raises(ValidationError, match="not a valid tag"):
        validate_tags(["a,b"])


def test_priorities_are_bounded_integers() -> None:
    assert validate_install_priority('"10"'.strip('"')) == 10
    assert validate_install_priority(-1000) == -1000
    for bad in (True, 10.5, "1e3", "١٢", "1001", "99999999999999999999999999"):
        with pytest.raises(ValidationError):
            validate_install_priority(bad)


@settings(max_examples=200, database=None, deadline=None)
@given(
    override=st.text(alphabet=st.sampled_from(list("pack:namespace \n#{}[]-'\"ab1\t")), max_size=80),
    namespace=st.from_regex(r"[a-z0-9]([-a-z0-9]{0,10}[a-z0-9])?", fullmatch=True),
    priority=st.integers(-1000, 1000),
)
def test_any_override_exports_with_the_layers_settings_or_refuses_in_one_line(
    override: str, namespace: str, priority: int
) -> None:
    try:
        exported = pack_values(override, namespace, priority, "layer x")
    except ValidationError as exc:
        assert "\n" not in exc.message
        return
    back = split_pack_values(exported, "p")
    assert (back.namespace, back.priority) == (namespace, priority)
