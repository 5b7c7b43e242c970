"""Build everything `python3 dev.py package` makes into one folder, and say what it made.

  .venv/bin/python packaging/build.py [--out dist] [--work build/package]

Makes, for Linux x86_64: chartkeeper/ (the self-contained build) and its .tar.gz, the .deb, the
wheelhouse/, and the air-gap kit .tar holding the three with INSTALL.md and SHA256SUMS.
"""

from __future__ import annotations

import argparse
import shutil
import time
from pathlib import Path

import deb
import freeze
import kit
import wheelhouse
from common import ROOT, megabytes, tree_size, version


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__, formatter_class=argparse.RawDescriptionHelpFormatter)
    parser.add_argument("--out", type=Path, default=ROOT / "dist")
    parser.add_argument("--work", type=Path, default=ROOT / "build" / "package")
    args = parser.parse_args()
    out, work = args.out.resolve(), args.work.resolve()
    out.mkdir(parents=True, exist_ok=True)
    work.mkdir(parents=True, exist_ok=True)
    release = version()
    steps: list[tuple[str, float]] = []

    def step(name: str, started: float) -> None:
        steps.append((name, time.monotonic() - started))

    started = time.monotonic()
    frozen = freeze.freeze(out, work)
    step("self-contained build", started)
    started = time.monotonic()
    tarball = freeze.tarball(frozen, out / f"chartkeeper-{release}-linux-x86_64.tar.gz")
    step("its .tar.gz", started)
    started = time.monotonic()
    package = deb.build(frozen, out, work, release)
    step(".deb", started)
    started = time.monotonic()
    house = wheelhouse.build(out, release)
    step("wheelhouse", started)
    started = time.monotonic()
    bundle = kit.build(out, work, release, package, tarball, house)
    step("air-gap kit", started)
    shutil.rmtree(work / bundle.stem, ignore_errors=True)  # the kit's staging copy

    print(f"\nChartkeeper {release} for Linux x86_64, in {out}:")
    for path, what in (
        (frozen, "self-contained build (unpacked)"),
        (tarball, "self-contained build (compressed)"),
        (package, "Debian package"),
        (house, "offline wheelhouse, CPython " + ", ".join(wheelhouse.PYTHONS)),
        (bundle, "air-gap kit: all of the above, INSTALL.md, SHA256SUMS"),
    ):
        print(f"  {path.name + ('/' if path.is_dir() else ''):<48} {megabytes(tree_size(path)):>10}  {what}")
    print("  (" + ", ".join(f"{name} {seconds:.0f} s" for name, seconds in steps) + ")")


if __name__ == "__main__":
    main()
