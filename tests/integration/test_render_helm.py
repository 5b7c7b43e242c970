"""Helm's engine in a child process against the real `helm template` (Helm 3.17 and 4.1): the same
manifests byte for byte on real charts, every image they name found, and hostile templates stopped
by the time and memory limits with one line, the test process alive."""

from __future__ import annotations

import re
import subprocess
from pathlib import Path

import pytest
import yaml

from desktop.helm.container_images import images_of
from desktop.helm.image_refs import parse_image
from desktop.helm.manifest_order import template_output
from desktop.helm.rendering import RenderError, RenderLimits, RenderRequest, render_chart
from tests.support.helm_binary import HELM_3, HELM_4, helm_binary, helm_environment
from tests.support.render_charts import (
    ENDLESS_LOOP,
    EPINIO,
    FAILING,
    LONGHORN,
    MEMORY_BOMB,
    REAL_CHARTS,
    kinds_chart,
    one_template_chart,
)

EPINIO_VALUES = "global:\n  domain: epinio.example.com\n"


@pytest.fixture(params=[HELM_3, HELM_4], scope="module")
def helm(request: pytest.FixtureRequest) -> Path:
    return helm_binary(request.param)


def helm_template(helm: Path, archive: bytes, tmp_path: Path, request: RenderRequest) -> str:
    chart = tmp_path / "chart.tgz"
    chart.write_bytes(archive)
    values = tmp_path / "values.yaml"
    values.write_text(request.values_yaml or "{}\n")
    args = [str(helm), "template", request.release_name, str(chart), "-n", request.namespace, "-f", str(values)]
    args += ["--kube-version", request.kube_version]
    for api in request.api_versions:
        args += ["--api-versions", api]
    done = subprocess.run(args, capture_output=True, text=True, env=helm_environment(tmp_path / "helm"), timeout=120)
    assert done.returncode == 0, done.stderr
    return done.stdout


def ours(archive: bytes, request: RenderRequest) -> str:
    return template_output(render_chart(archive, request, RenderLimits()).files)


def test_longhorn_renders_byte_identical(helm: Path, tmp_path: Path) -> None:
    archive = (REAL_CHARTS / LONGHORN).read_bytes()
    request = RenderRequest("longhorn", "longhorn-system")
    theirs = helm_template(helm, archive, tmp_path, request)
    assert ours(archive, request) == theirs
    assert theirs.count("\n# Source: ") > 20


def test_longhorn_with_overrides_renders_byte_identical(helm: Path, tmp_path: Path) -> None:
    archive = (REAL_CHARTS / LONGHORN).read_bytes()
    values = "image:\n  longhorn:\n    engine:\n      tag: v1.7.2\npersistence:\n  defaultClassReplicaCount: 2\n"
    request = RenderRequest("storage", "storage", values, kube_version="1.29.4")
    assert ours(archive, request) == helm_template(helm, archive, tmp_path, request)


def test_the_rich_chart_renders_byte_identical(helm: Path, tmp_path: Path) -> None:
    """Hooks after the manifests, kinds in install order, an unknown kind last, a disabled subchart
    left out, partials and NOTES.txt dropped, .Capabilities from the request."""
    request = RenderRequest("kinds", "apps", kube_version="1.30.2", api_versions=("monitoring.coreos.com/v1",))
    theirs = helm_template(helm, kinds_chart(), tmp_path, request)
    assert ours(kinds_chart(), request) == theirs
    assert 'kube: "v1.30.2"' in theirs and 'monitoring: "true"' in theirs and "acme/never" not in theirs


def test_epinio_renders_the_same_but_for_its_random_secrets(helm: Path, tmp_path: Path) -> None:
    """Epinio generates certificates and passwords (genCA, randAlphaNum, bcrypt) at every render:
    every line is the same but for the values of those keys."""
    archive = (REAL_CHARTS / EPINIO).read_bytes()
    request = RenderRequest("epinio", "epinio", EPINIO_VALUES)
    theirs = helm_template(helm, archive, tmp_path, request).splitlines()
    mine = ours(archive, request).splitlines()
    assert len(mine) == len(theirs)
    different = [(a, b) for a, b in zip(mine, theirs, strict=True) if a != b]
    assert 0 < len(different) < 40
    for a, b in different:
        key_a, value_a = _key_and_value(a)
        key_b, value_b = _key_and_value(b)
        assert key_a == key_b and _random_token(value_a) and _random_token(value_b), (a[:80], b[:80])


def _key_and_value(line: str) -> tuple[str, str]:
    match = re.fullmatch(r"\s*-?\s*([\w./-]+)\s*[:=]\s*(.*)", line)
    assert match is not None, line[:80]
    return match.group(1), match.group(2).strip().strip('"')


def _random_token(value: str) -> bool:
    """A generated secret: a long run of base64, bcrypt or alphanumeric characters."""
    return re.fullmatch(r"(admin:)?[A-Za-z0-9+/=$._-]{12,}", value) is not None


def _image_fields(manifests: str) -> set[str]:
    found = set()
    for line in manifests.splitlines():
        match = re.match(r"\s*(?:- )?image:\s*(\S.*)$", line)
        if match:
            ref = parse_image(match.group(1).strip().strip("\"'"))
            assert ref is not None, line
            found.add(str(ref))
    return found


@pytest.mark.parametrize(("chart", "values"), [(LONGHORN, ""), (EPINIO, EPINIO_VALUES)], ids=["longhorn", "epinio"])
def test_the_images_hold_every_image_field_of_helms_output(helm: Path, tmp_path: Path, chart: str, values: str) -> None:
    archive = (REAL_CHARTS / chart).read_bytes()
    request = RenderRequest("rel", "ns", values)
    expected = _image_fields(helm_template(helm, archive, tmp_path, request))
    found = images_of(render_chart(archive, request, RenderLimits()))
    assert expected and expected <= set(found.references())


def test_longhorns_operator_images_are_found_with_their_reasons() -> None:
    """The engine and instance manager are started by Longhorn's manager: named in values.yaml
    and in the manager's arguments, never in an `image:` field."""
    rendered = render_chart((REAL_CHARTS / LONGHORN).read_bytes(), RenderRequest("longhorn", "lh"), RenderLimits())
    found = {image.image: image for image in images_of(rendered, "r/longhorn@104.2.0+up1.7.1")}
    engine = found["docker.io/rancher/mirrored-longhornio-longhorn-engine:v1.7.1"]
    manager = found["docker.io/rancher/mirrored-longhornio-longhorn-instance-manager:v1.7.1"]
    for image in (engine, manager):
        kinds = {source.kind for source in image.sources}
        assert kinds == {"rendered", "values"}
        assert image.charts == ["r/longhorn@104.2.0+up1.7.1"]
    assert any(s.where == "image.longhorn.engine" for s in engine.sources)
    assert any("DaemonSet/longhorn-manager" in s.where and "--engine-image" in s.where for s in engine.sources)


def test_a_values_override_of_a_tag_changes_the_image() -> None:
    archive = (REAL_CHARTS / LONGHORN).read_bytes()
    values = "image:\n  longhorn:\n    engine:\n      tag: v1.7.2\n"
    found = images_of(render_chart(archive, RenderRequest("lh", "lh", values), RenderLimits())).references()
    assert "docker.io/rancher/mirrored-longhornio-longhorn-engine:v1.7.2" in found
    assert "docker.io/rancher/mirrored-longhornio-longhorn-engine:v1.7.1" not in found


def test_an_endless_loop_is_stopped_by_the_time_limit() -> None:
    with pytest.raises(RenderError) as caught:
        render_chart(one_template_chart("loop", ENDLESS_LOOP), RenderRequest("loop"), RenderLimits(seconds=3))
    assert caught.value.kind == "timeout"
    assert "longer than 3 s" in str(caught.value) and "\n" not in str(caught.value)


def test_a_memory_bomb_is_stopped_by_the_memory_limit() -> None:
    with pytest.raises(RenderError) as caught:
        render_chart(one_template_chart("bomb", MEMORY_BOMB), RenderRequest("bomb"), RenderLimits(memory_mb=384))
    assert caught.value.kind == "memory"
    assert "more than 384 MB" in str(caught.value) and "\n" not in str(caught.value)


def test_a_failing_template_names_the_template_and_line() -> None:
    with pytest.raises(RenderError) as caught:
        render_chart(one_template_chart("needs", FAILING), RenderRequest("needs"), RenderLimits())
    assert caught.value.kind == "render"
    assert str(caught.value) == "execution error at (needs/templates/main.yaml:6:4): domain cannot be empty"
    rendered = render_chart(
        one_template_chart("needs", FAILING), RenderRequest("n", values_yaml="domain: x\n"), RenderLimits()
    )
    assert "needs/templates/main.yaml" in rendered.files


def test_values_helm_cannot_read_are_one_line() -> None:
    with pytest.raises(RenderError) as caught:
        render_chart(kinds_chart(), RenderRequest("kinds", values_yaml="image: [\n"), RenderLimits())
    assert caught.value.kind == "values" and "\n" not in str(caught.value)


def test_a_broken_archive_is_one_line() -> None:
    with pytest.raises(RenderError) as caught:
        render_chart(b"\x1f\x8bnot really gzip", RenderRequest("x"), RenderLimits())
    assert caught.value.kind == "load" and "cannot be read by Helm" in str(caught.value)


def test_a_library_that_cannot_load_is_said_in_one_line(tmp_path: Path, monkeypatch: pytest.MonkeyPatch) -> None:
    """helm-python-sdk's own override (HELM_C_LIB) pointed at a file that is no library: what a
    platform without a working libhelm_c sees."""
    fake = tmp_path / "libhelm_c.so"
    fake.write_bytes(b"not a shared object")
    monkeypatch.setenv("HELM_C_LIB", str(fake))
    with pytest.raises(RenderError) as caught:
        render_chart(kinds_chart(), RenderRequest("kinds"), RenderLimits())
    assert caught.value.kind == "library"
    assert "Helm's engine cannot be loaded on this machine" in str(caught.value) and "\n" not in str(caught.value)


def test_the_child_reports_its_peak_memory() -> None:
    rendered = render_chart((REAL_CHARTS / LONGHORN).read_bytes(), RenderRequest("lh"), RenderLimits())
    assert 20 < rendered.peak_rss_mb < 1024
    assert yaml.safe_load(rendered.files["longhorn/templates/serviceaccount.yaml"].split("---")[0])["kind"]
