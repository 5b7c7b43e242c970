"""Rendering a chart archive as `helm template` does, in a child process bounded in time and in
memory: a chart's templates are someone else's code, and a native call cannot be interrupted."""

from __future__ import annotations

import contextlib
import json
import os
import subprocess
import sys
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO, Any

from desktop.cancellation import CancelToken
from desktop.errors import OperationCancelled, UserError
from desktop.settings import DEFAULT_KUBE_VERSION

RENDER_CHILD_FLAG = "--render-child"  # the frozen app's hidden entry for the child
OUTPUT_FLOOR = 64 * 1024 * 1024
STDERR_KEPT = 64 * 1024
_POLL_SECONDS = 0.05
# What Go and Python print when RLIMIT_DATA refuses them memory (a thread stack, too, is memory).
_OUT_OF_MEMORY = ("out of memory", "MemoryError", "cannot allocate memory", "pthread_create failed")


@dataclass(frozen=True)
class RenderRequest:
    """What `helm template NAME CHART -n NAMESPACE -f VALUES --kube-version V --api-versions …` takes."""

    release_name: str
    namespace: str = "default"
    values_yaml: str = ""
    kube_version: str = DEFAULT_KUBE_VERSION
    api_versions: tuple[str, ...] = ()


@dataclass(frozen=True)
class RenderLimits:
    seconds: float = 60.0
    memory_mb: int = 1024


@dataclass(frozen=True)
class ChartSummary:
    """The rendered chart or one of its subcharts: `path` is `epinio` or `epinio/charts/dex`."""

    path: str
    name: str
    version: str
    annotations: dict[str, str]
    dependencies: tuple[str, ...] = ()  # the subcharts its Chart.yaml declares, by name or alias


@dataclass(frozen=True)
class RenderedChart:
    files: dict[str, str]  # template path (chart/templates/…, subcharts under chart/charts/…) → output
    values: dict[str, Any] = field(default_factory=dict)  # the coalesced values the templates saw
    charts: tuple[ChartSummary, ...] = ()  # the chart first, then its loaded subcharts
    images_lock: str | None = None
    seconds: float = 0.0  # the engine's own time in the child
    peak_rss_mb: int = 0
    wall_seconds: float = 0.0  # the child's whole life, start to answer


class RenderError(UserError):
    """One line saying why a chart did not render; `kind` tells the library, the chart's values,
    its templates, or a limit apart."""

    def __init__(self, kind: str, message: str) -> None:
        super().__init__(message)
        self.kind = kind


def child_command() -> list[str]:
    """How to start the render child: the frozen app runs itself with a hidden flag; otherwise
    this interpreter runs the child module."""
    if getattr(sys, "frozen", False):
        return [sys.executable, RENDER_CHILD_FLAG]
    return [sys.executable, "-m", "desktop.helm.render_child"]


def _child_environment() -> dict[str, str]:
    """The child imports this very copy of Chartkeeper, has no proxy or credentials to use (it
    never connects), and Go keeps to one thread per core it is given."""
    package_root = str(Path(__file__).resolve().parents[2])
    env = {
        key: value
        for key, value in os.environ.items()
        if not key.upper().endswith("_PROXY") and not key.startswith("CHARTKEEPER_PASSWORD")
    }
    env["PYTHONPATH"] = os.pathsep.join(filter(None, [package_root, env.get("PYTHONPATH", "")]))
    env["KUBECONFIG"] = os.devnull  # `lookup` and friends find no cluster
    return env


class _Collector(threading.Thread):
    """Reads a pipe to its end, keeping at most `cap` bytes; `overflowed` once it held more."""

    def __init__(self, stream: IO[bytes], cap: int, *, keep_tail: bool = False) -> None:
        super().__init__(daemon=True)
        self.stream, self.cap, self.keep_tail = stream, cap, keep_tail
        self.data = bytearray()
        self.overflowed = False

    def run(self) -> None:
        while chunk := self.stream.read(1 << 16):
            self.data += chunk
            if len(self.data) > self.cap:
                if self.keep_tail:
                    del self.data[: len(self.data) - self.cap]
                else:
                    self.overflowed = True
                    del self.data[:]
                    return


class RenderChild:
    """A render child, started before its chart is known: it loads Helm's engine (tens of
    milliseconds) while the caller still looks for the archive; `render` then gives it one chart.
    The time limit counts from `render`; `close` ends a child that was not used."""

    def __init__(self, limits: RenderLimits) -> None:
        self.limits = limits
        self.started = time.monotonic()
        try:
            self.process = subprocess.Popen(
                [*child_command(), "--memory-mb", str(limits.memory_mb)],
                stdin=subprocess.PIPE,
                stdout=subprocess.PIPE,
                stderr=subprocess.PIPE,
                env=_child_environment(),
                cwd=os.path.expanduser("~") if os.path.isdir(os.path.expanduser("~")) else None,
            )
        except OSError as exc:
            raise RenderError("crashed", f"the render process could not start ({exc.strerror or exc}).") from None
        assert self.process.stdout is not None and self.process.stderr is not None
        self.output = _Collector(self.process.stdout, max(OUTPUT_FLOOR, limits.memory_mb * 1024 * 1024))
        self.errors = _Collector(self.process.stderr, STDERR_KEPT, keep_tail=True)
        self.output.start()
        self.errors.start()

    def close(self) -> None:
        if self.process.poll() is None:
            self.process.kill()
        self.process.wait()
        self._drain()

    def _drain(self) -> None:
        self.output.join(5)
        self.errors.join(5)
        for stream in (self.process.stdin, self.process.stdout, self.process.stderr):
            if stream is not None:
                with contextlib.suppress(OSError):
                    stream.close()

    def render(self, archive: bytes, request: RenderRequest, *, cancel: CancelToken | None = None) -> RenderedChart:
        """The archive's templates rendered by Helm's engine in this child; raises RenderError."""
        header = {
            "archive_bytes": len(archive),
            "values_yaml": request.values_yaml,
            "release_name": request.release_name,
            "namespace": request.namespace,
            "kube_version": request.kube_version,
            "api_versions": list(request.api_versions),
        }
        child, limits = self.process, self.limits
        asked = time.monotonic()
        assert child.stdin is not None
        try:
            child.stdin.write(json.dumps(header).encode() + b"\n")
            child.stdin.write(archive)
            child.stdin.close()
        except OSError:
            pass  # it died early: its exit status says why
        deadline = asked + limits.seconds
        stopped: str | None = None
        while child.poll() is None:
            if cancel is not None and cancel.cancelled:
                stopped = "cancelled"
            elif time.monotonic() > deadline:
                stopped = "timeout"
            elif self.output.overflowed:
                stopped = "output"
            if stopped:
                child.kill()
                break
            time.sleep(_POLL_SECONDS)
        child.wait()
        self._drain()
        return self._answer(stopped, time.monotonic() - self.started)

    def _answer(self, stopped: str | None, wall: float) -> RenderedChart:
        child, limits, output = self.process, self.limits, self.output
        if stopped == "cancelled":
            raise OperationCancelled("Rendering was cancelled.")
        if stopped == "timeout":
            raise RenderError(
                "timeout",
                f"rendering took longer than {limits.seconds:g} s and was stopped (a loop in the chart's "
                "templates?); if the chart is only slow, raise render_timeout_seconds in the settings.",
            )
        if stopped == "output" or output.overflowed:
            cap = output.cap // (1024 * 1024)
            raise RenderError("memory", f"the rendered manifests exceed {cap} MB and were refused.")
        said = self.errors.data.decode("utf-8", "replace")
        if child.returncode != 0:
            if any(sign in said for sign in _OUT_OF_MEMORY):
                raise RenderError(
                    "memory",
                    f"rendering needed more than {limits.memory_mb} MB and was stopped; "
                    "if the chart is only large, raise render_memory_mb in the settings.",
                )
            last = next((line.strip() for line in reversed(said.splitlines()) if line.strip()), "")
            raise RenderError(
                "crashed",
                f"Helm's engine stopped unexpectedly (exit status {child.returncode}){': ' + last if last else ''}.",
            )
        try:
            answer = json.loads(bytes(output.data))
        except ValueError:
            raise RenderError("crashed", "Helm's engine gave an answer that is not JSON.") from None
        if "failure" in answer:
            raise RenderError(str(answer["failure"]), _failure_message(str(answer["failure"]), str(answer["message"])))
        return _rendered(answer, wall)


def render_chart(
    archive: bytes, request: RenderRequest, limits: RenderLimits, *, cancel: CancelToken | None = None
) -> RenderedChart:
    """The archive's templates rendered by Helm's engine in a child process; raises RenderError."""
    child = RenderChild(limits)
    try:
        return child.render(archive, request, cancel=cancel)
    finally:
        child.close()


def _rendered(answer: dict[str, Any], wall: float) -> RenderedChart:
    files = {str(path): str(text) for path, text in dict(answer["files"]).items()}
    charts = [dict(item) for item in answer.get("charts", [])]
    top = charts[0]["name"] if charts else ""
    summaries = tuple(
        ChartSummary(
            path=top if index == 0 else f"{top}/charts/{item['name']}",
            name=str(item["name"]),
            version=str(item["version"]),
            annotations={str(k): str(v) for k, v in dict(item.get("annotations") or {}).items()},
            dependencies=tuple(str(name) for name in item.get("dependencies") or []),
        )
        for index, item in enumerate(charts)
    )
    lock = answer.get("images_lock")
    return RenderedChart(
        files=files,
        values=dict(answer.get("values") or {}),
        charts=summaries,
        images_lock=str(lock) if lock is not None else None,
        seconds=float(answer.get("seconds", 0.0)),
        peak_rss_mb=int(answer.get("peak_rss_kb", 0)) // 1024,
        wall_seconds=wall,
    )


def _failure_message(kind: str, detail: str) -> str:
    if kind == "library":
        return f"Helm's engine cannot be loaded on this machine ({detail}): rendering and image lists are unavailable."
    if kind == "load":
        return f"the chart archive cannot be read by Helm ({detail})."
    if kind == "values":
        return f"the values do not suit the chart: {detail}"
    return detail
