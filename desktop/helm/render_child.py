"""The render child's entry: read one request on stdin, limit its own memory, render with Helm's
engine and write the result as JSON on stdout (run by desktop.helm.rendering, never by a user)."""

from __future__ import annotations

import contextlib
import json
import sys
import time
from typing import Any

REQUEST_MAX = 64 * 1024 * 1024  # the header and the values: an archive is counted separately


def limit_memory(megabytes: int) -> None:
    """Cap the heap (RLIMIT_DATA, which Go's allocator and Python's both count against): a chart
    that allocates without bound ends this process, not the app."""
    try:
        import resource
    except ImportError:
        return  # Windows: the time limit alone applies (README)
    limit = megabytes * 1024 * 1024
    with contextlib.suppress(ValueError, OSError):  # a lower hard limit already applies
        resource.setrlimit(resource.RLIMIT_DATA, (limit, limit))


def _respond(payload: dict[str, Any]) -> None:
    sys.stdout.buffer.write(json.dumps(payload).encode())
    sys.stdout.buffer.flush()


def _peak_rss_kb() -> int:
    try:
        import resource
    except ImportError:
        return 0
    return resource.getrusage(resource.RUSAGE_SELF).ru_maxrss


def _memory_mb(argv: list[str]) -> int:
    if "--memory-mb" in argv:
        return int(argv[argv.index("--memory-mb") + 1])
    return 1024


def main() -> int:
    limit_memory(_memory_mb(sys.argv))
    from desktop.helm.render_engine import EngineFailure, engine_versions, render_archive

    with contextlib.suppress(EngineFailure):  # said again, in the answer, once the request comes
        engine_versions()  # load the library now, while the parent still looks for the chart
    header = json.loads(sys.stdin.buffer.readline(REQUEST_MAX))
    archive = sys.stdin.buffer.read(int(header["archive_bytes"]))

    started = time.monotonic()
    try:
        output = render_archive(
            archive,
            str(header["values_yaml"]),
            release_name=str(header["release_name"]),
            namespace=str(header["namespace"]),
            kube_version=str(header["kube_version"]),
            api_versions=[str(item) for item in header["api_versions"]],
        )
    except EngineFailure as failure:
        _respond({"failure": failure.kind, "message": str(failure)})
        return 0
    peak_kb = _peak_rss_kb()
    _respond({**output, "seconds": time.monotonic() - started, "peak_rss_kb": peak_kb})
    return 0


if __name__ == "__main__":
    sys.exit(main())
