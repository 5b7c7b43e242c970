"""Image references written fully qualified as a container runtime reads them."""

from __future__ import annotations

import pytest
from hypothesis import given
from hypothesis import strategies as st

from desktop.helm.image_refs import join_image, parse_image

DIGEST = "sha256:" + "ab" * 32


@pytest.mark.parametrize(
    ("written", "qualified"),
    [
        ("rancher/shell:v0.2.1", "docker.io/rancher/shell:v0.2.1"),
        ("nginx", "docker.io/library/nginx:latest"),
        ("nginx:1.25", "docker.io/library/nginx:1.25"),
        ("docker.io/nginx", "docker.io/library/nginx:latest"),
        ("index.docker.io/bitnami/redis:7", "docker.io/bitnami/redis:7"),
        ("registry.k8s.io/pause:3.9", "registry.k8s.io/pause:3.9"),
        ("localhost:5000/team/app:1", "localhost:5000/team/app:1"),
        ("localhost/app", "localhost/app:latest"),
        ("myregistry:5000/app", "myregistry:5000/app:latest"),
        (f"ghcr.io/acme/tool@{DIGEST}", f"ghcr.io/acme/tool@{DIGEST}"),
        (f"quay.io/acme/tool:1.0@{DIGEST}", f"quay.io/acme/tool:1.0@{DIGEST}"),
        ("  quay.io/a/b:1  ", "quay.io/a/b:1"),
    ],
)
def test_references_are_fully_qualified(written: str, qualified: str) -> None:
    assert str(parse_image(written)) == qualified


@pytest.mark.parametrize(
    "text",
    ["", "{{ .Values.image }}", "http://example.com/a", "Nginx", "Rancher/shell:1", "a b", "app:", "/app", "x" * 600],
)
def test_what_is_no_reference_is_refused(text: str) -> None:
    assert parse_image(text) is None


def test_values_groups_join_like_charts_do() -> None:
    assert join_image("quay.io", "acme/web", "1.10", "") == "quay.io/acme/web:1.10"
    assert join_image("", "acme/web", "", DIGEST) == f"acme/web@{DIGEST}"
    assert join_image("quay.io/", "acme/web", "1", DIGEST) == f"quay.io/acme/web:1@{DIGEST}"


_component = st.from_regex(r"[a-z0-9]{1,8}([._-][a-z0-9]{1,8})?", fullmatch=True)


@given(
    host=st.sampled_from(["", "quay.io/", "localhost:5000/", "registry.example.com/"]),
    path=st.lists(_component, min_size=1, max_size=3),
    tag=st.one_of(st.none(), st.from_regex(r"[A-Za-z0-9_][A-Za-z0-9_.-]{0,20}", fullmatch=True)),
    digest=st.booleans(),
)
def test_a_qualified_reference_reads_back_as_itself(host: str, path: list[str], tag: str | None, digest: bool) -> None:
    written = host + "/".join(path) + (f":{tag}" if tag else "") + (f"@{DIGEST}" if digest else "")
    ref = parse_image(written)
    assert ref is not None
    assert parse_image(str(ref)) == ref
    assert ref.repository.endswith(path[-1])
    assert ref.digest == (DIGEST if digest else None)
    assert ref.tag == (tag or (None if digest else "latest"))


@given(st.text(max_size=80))
def test_any_text_parses_or_is_refused(text: str) -> None:
    ref = parse_image(text)
    assert ref is None or parse_image(str(ref)) == ref
