"""Every image of a chart with every reason it is there: manifests of every workload kind, a custom
resource, container args and env, annotations, values groups, Images.lock and subcharts, each
with the chart that brought it; a disabled subchart's images left out."""

from __future__ import annotations

from desktop.helm.container_images import FoundImage, images_of
from desktop.helm.rendering import RenderLimits, RenderRequest, render_chart
from tests.support.render_charts import kinds_chart

DIGEST = "sha256:0123456789abcdef0123456789abcdef0123456789abcdef0123456789abcdef"


def _found() -> dict[str, FoundImage]:
    rendered = render_chart(kinds_chart(), RenderRequest("kinds", "apps"), RenderLimits())
    return {image.image: image for image in images_of(rendered, "r/kinds@1.0.0")}


def _reasons(image: FoundImage) -> set[tuple[str, str]]:
    return {(source.kind, source.where) for source in image.sources}


def test_every_image_of_the_chart_is_found_and_nothing_else() -> None:
    assert set(_found()) == {
        "quay.io/acme/web:1.10",  # containers, a values group with its registry, the annotation, the lock
        "docker.io/library/busybox:1.36",  # an init container
        "docker.io/acme/operator-agent:v2.0.0",  # an argument naming an image, and values
        "registry.k8s.io/pause:3.9",  # an env var naming an image
        "docker.io/library/alpine:latest",  # a CronJob's container
        f"ghcr.io/acme/tool@{DIGEST}",  # a bare Pod, digest kept
        "docker.io/library/debian:12",  # an ephemeral container
        "quay.io/acme/widget:3.1",  # a custom resource's image
        "quay.io/acme/exporter:0.9",  # a custom resource's exporterImage
        "docker.io/acme/migrate:7",  # a hook
        "docker.io/acme/sub:0.2.0",  # the enabled subchart's DaemonSet and values
        "docker.io/acme/docs:1",  # the annotation only
        "docker.io/acme/locked:5",  # Images.lock only
    }


def test_each_image_says_where_it_was_named() -> None:
    found = _found()
    web = found["quay.io/acme/web:1.10"]
    assert web.as_written == "quay.io/acme/web:1.10"
    assert _reasons(web) == {
        (
            "rendered",
            "kinds/templates/deployment.yaml: Deployment/kinds-kinds spec.template.spec.containers[web].image",
        ),
        ("annotation", "artifacthub.io/images: web"),
        ("values", "image"),
        ("lock", "Images.lock: images[web]"),
    }
    assert web.charts == ["r/kinds@1.0.0"]
    agent = found["docker.io/acme/operator-agent:v2.0.0"]
    assert ("values", "operator.image") in _reasons(agent)
    assert any(kind == "rendered" and "--agent-image" in where for kind, where in _reasons(agent))
    assert _reasons(found["registry.k8s.io/pause:3.9"]) == {
        (
            "rendered",
            "kinds/templates/deployment.yaml: Deployment/kinds-kinds "
            "spec.template.spec.containers[web].env[HELPER_IMAGE]",
        )
    }
    assert _reasons(found["docker.io/library/debian:12"]) == {
        ("rendered", "kinds/templates/workloads.yaml: Pod/kinds-debug spec.ephemeralContainers[debugger].image")
    }


def test_subchart_images_name_the_subchart() -> None:
    sub = _found()["docker.io/acme/sub:0.2.0"]
    assert {source.chart for source in sub.sources} == {"kinds/charts/sub"}
    assert {source.kind for source in sub.sources} == {"rendered", "values"}


def test_an_override_changes_the_images() -> None:
    values = "image:\n  registry: registry.site.local\n  tag: '2.0'\nsub:\n  enabled: false\n"
    rendered = render_chart(kinds_chart(), RenderRequest("kinds", "apps", values), RenderLimits())
    found = images_of(rendered).references()
    assert "registry.site.local/acme/web:2.0" in found
    assert "docker.io/acme/sub:0.2.0" not in found  # the subchart is off now: neither rendered nor its values
