"""A chart whose archive the index places on another host: when that host cannot be reached, the
message names it as the archive's host (not "check the endpoint's spelling", which sent users to
a registry endpoint that was fine)."""

from __future__ import annotations

import socket
from collections.abc import Callable

import pytest

from desktop.errors import NetworkError
from desktop.operations.chart_files import chart_files
from desktop.registry import RegistryDraft
from tests.support.catalog_harness import CatalogHarness
from tests.support.charts import chart_entry, index_yaml
from tests.support.repo_server import RepoServer

MakeRepo = Callable[..., RepoServer]


def test_an_archive_on_a_host_that_cannot_be_reached_names_that_host(
    engine: CatalogHarness, make_repo: MakeRepo
) -> None:
    with socket.socket() as probe:
        probe.bind(("127.0.0.3", 0))
        closed_port = probe.getsockname()[1]
    repo = make_repo()
    repo.put(
        "/index.yaml",
        index_yaml(
            {
                "db": [chart_entry("db", "1.0.0", urls=["https://charts-cdn.invalid/db-1.0.0.tgz"])],
                "web": [chart_entry("web", "1.0.0", urls=[f"http://127.0.0.3:{closed_port}/web-1.0.0.tgz"])],
            }
        ),
    )
    registry = engine.register(RegistryDraft("cdn-served", repo.url)).registry
    assert registry.id is not None
    with pytest.raises(NetworkError) as error:
        chart_files(engine.services, registry.id, "db", "1.0.0")
    message = str(error.value)
    assert "'charts-cdn.invalid' does not resolve" in message
    assert "the index puts the chart archive on charts-cdn.invalid, not on the registry's host 127.0.0.1" in message
    assert "endpoint's spelling" not in message
    with pytest.raises(NetworkError) as error:
        chart_files(engine.services, registry.id, "web", "1.0.0")
    message = str(error.value)
    assert message.startswith(f"Connection refused by 127.0.0.3:{closed_port}")
    assert "the index puts the chart archive on 127.0.0.3" in message
