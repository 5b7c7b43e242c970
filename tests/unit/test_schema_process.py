"""A chart's schema checked in a child with a time limit: a catastrophic pattern is stopped and
reported in one line, the next check runs in a fresh child, and closing ends a check under way."""

from __future__ import annotations

import json
import os
import threading
import time
from collections.abc import Iterator

import pytest

from desktop.profiles.schema_process import SchemaChecks
from desktop.profiles.values import ValuesProblem
from tests.support.hostile_server import Behaviour, HostileServer

# `^(a+)+$` against 32 a's and a mismatch: about 2^32 backtracking steps, minutes in Python's `re`
COSTLY = json.dumps({"properties": {"name": {"type": "string", "pattern": "^(a+)+$"}}})
COSTLY_VALUES = "name: " + "a" * 32 + "!\n"
SIMPLE = json.dumps({"properties": {"replicas": {"type": "integer", "minimum": 1}}})


def gone(pid: int | None) -> bool:
    assert pid is not None
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return True
    return False


@pytest.fixture
def checks() -> Iterator[SchemaChecks]:
    checks = SchemaChecks(seconds=1.0)
    yield checks
    checks.close()


def test_a_costly_pattern_is_stopped_at_the_limit_and_the_next_check_runs(checks: SchemaChecks) -> None:
    first_check = checks.problems("replicas: 0\n", SIMPLE)
    assert [str(p) for p in first_check] == ["line 1: replicas: 0 is less than the minimum of 1"]
    assert checks._process is not None
    first = checks._process.pid
    started = time.monotonic()
    problems = checks.problems(COSTLY_VALUES, COSTLY)
    assert time.monotonic() - started < 5
    assert [p.message for p in problems] == [
        "the chart's schema took longer than 1 s to check and was stopped (a costly pattern?);"
        " only the YAML was checked"
    ]
    assert gone(first)  # killed and reaped, not left spinning
    assert checks.problems("replicas: 2\n", SIMPLE) == []  # a fresh child
    assert checks._process is not None and checks._process.pid != first


def test_loops_and_remote_refs_come_back_from_the_child_as_one_line(checks: SchemaChecks) -> None:
    server = HostileServer()
    server.paths["/never.json"] = Behaviour(stall=True)
    server.start()
    try:
        remote = json.dumps({"properties": {"name": {"$ref": f"{server.url}/never.json"}}})
        assert "which is not fetched" in checks.problems("name: x\n", remote)[0].message
        loop = checks.problems("name: x\n", json.dumps({"$ref": "#"}))
        assert [p.message for p in loop] == [
            "the chart's schema is invalid: its $refs go round in a loop, or it nests too deeply;"
            " only the YAML was checked"
        ]
        assert server.requests == []
    finally:
        server.stop()


def test_closing_ends_a_check_under_way_at_once(checks: SchemaChecks) -> None:
    checks.seconds = 60.0
    checks.problems("replicas: 2\n", SIMPLE)  # started
    answer: list[list[ValuesProblem]] = []
    thread = threading.Thread(target=lambda: answer.append(checks.problems(COSTLY_VALUES, COSTLY)), daemon=True)
    thread.start()
    time.sleep(0.3)
    assert checks._process is not None
    pid = checks._process.pid
    started = time.monotonic()
    checks.close()
    thread.join(5)
    assert not thread.is_alive() and time.monotonic() - started < 5
    assert answer and "could not be checked" in answer[0][0].message
    assert gone(pid)
    assert "could not be checked" in checks.problems("replicas: 2\n", SIMPLE)[0].message  # none starts after
