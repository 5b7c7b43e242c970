"""Profile exports written by hand, for import tests: shaped like Palette's cluster profile JSON."""

from __future__ import annotations

import json
from pathlib import Path


def write_palette_export(path: Path, registry_name: str, endpoint: str, chart: str = "a", tag: str = "1.0.0") -> Path:
    """A one-layer profile named 'x' whose layer comes from `registry_name` at `endpoint`."""
    pack = {"name": chart, "tag": tag, "registry": {"name": registry_name, "endpoint": endpoint}}
    path.write_text(json.dumps({"metadata": {"name": "x"}, "spec": {"template": {"packs": [pack]}}}))
    return path
