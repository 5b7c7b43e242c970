"""Helm's URL rules and the network layer's origin and redaction."""

from __future__ import annotations

import pytest

from desktop.helm.urls import index_url, resolve_chart_url
from desktop.net.urls import origin, redacted


@pytest.mark.parametrize(
    ("endpoint", "expected"),
    [
        ("https://charts.example.com", "https://charts.example.com/index.yaml"),
        ("https://charts.example.com/", "https://charts.example.com/index.yaml"),
        ("https://charts.example.com/stable", "https://charts.example.com/stable/index.yaml"),
        ("https://h.example/a/b/?token=x&y=1", "https://h.example/a/b/index.yaml?token=x&y=1"),
    ],
)
def test_index_url(endpoint: str, expected: str) -> None:
    assert index_url(endpoint) == expected


@pytest.mark.parametrize(
    ("endpoint", "reference", "expected"),
    [
        ("https://h.example/stable", "nginx-1.0.0.tgz", "https://h.example/stable/nginx-1.0.0.tgz"),
        ("https://h.example/stable/", "charts/nginx-1.0.0.tgz", "https://h.example/stable/charts/nginx-1.0.0.tgz"),
        ("https://h.example/stable", "/abs/nginx.tgz", "https://h.example/abs/nginx.tgz"),
        ("https://h.example/s?sig=1", "nginx.tgz", "https://h.example/s/nginx.tgz?sig=1"),
        ("https://h.example/s", "https://cdn.example/x.tgz", "https://cdn.example/x.tgz"),
        ("https://h.example/s", "../up.tgz", "https://h.example/up.tgz"),
        # a reference to another host never takes the endpoint's query (a token, often): Helm's would
        ("https://h.example/s?token=t0k3n", "//cdn.example/x.tgz", "https://cdn.example/x.tgz"),
        ("https://h.example/s?token=t0k3n", "//cdn.example/x.tgz?v=2", "https://cdn.example/x.tgz?v=2"),
        ("https://h.example/s?token=t0k3n", "//H.EXAMPLE/x.tgz", "https://H.EXAMPLE/x.tgz?token=t0k3n"),
    ],
)
def test_chart_urls_resolve_like_helm(endpoint: str, reference: str, expected: str) -> None:
    assert resolve_chart_url(endpoint, reference) == expected


def test_origin_fills_default_ports() -> None:
    assert origin("https://H.example/x") == ("https", "h.example", 443)
    assert origin("http://h.example:8080") == ("http", "h.example", 8080)
    assert origin("https://h.example") != origin("http://h.example")


def test_redacted_hides_user_info_and_query() -> None:
    assert redacted("https://u:p@h.example:8443/path?token=abc") == "https://h.example:8443/path?…"
