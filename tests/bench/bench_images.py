"""Benchmark for bundles with images: export ~20 images from a local docker-registry, side by side with skopeo.

    .venv/bin/python -m tests.bench.bench_images [--images 20] [--megabytes 200] [--rounds 2] [--work DIR]

Builds the images once in a real docker-registry on 127.0.0.1 (incompressible layers; every
fourth image shares a base layer with the others, so the unique bytes are about --megabytes),
then, alternating in each round, each in a child process whose peak RSS is read with wait4:
  1. ours: `chartkeeper bundle export --charts none --images-from LIST` — pull, verify, write the tar;
  2. skopeo: `skopeo copy docker://… oci:DIR:REF` of the same images, one after the other, into one layout;
  3. push: `chartkeeper bundle push` into an empty docker-registry, then again (every blob skipped),
     beside `skopeo copy oci:DIR:REF docker://…` of the same images into another path of it.
Targets from issue 19: throughput at least 0.9× skopeo's, peak RSS ≤ 150 MB whatever the image size.
The machine is shared and noisy: compare the ratio within a run.
"""

from __future__ import annotations

import argparse
import json
import os
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable
from pathlib import Path

ROOT = Path(__file__).resolve().parents[2]
sys.path.insert(0, str(ROOT))

from tests.support.oci_images import ImageBuilder, random_layer  # noqa: E402
from tests.support.oci_registry import DistributionRegistry  # noqa: E402

MB = 1024 * 1024


def _run(command: list[str], env: dict[str, str]) -> tuple[float, int]:
    """Seconds and peak RSS (bytes) of one child."""
    started = time.perf_counter()
    process = subprocess.Popen(command, env=env, stdout=subprocess.DEVNULL, stderr=subprocess.PIPE)
    _, status, usage = os.wait4(process.pid, 0)
    elapsed = time.perf_counter() - started
    if status != 0:
        assert process.stderr is not None
        raise SystemExit(f"{command[0]} failed: {process.stderr.read().decode()[-500:]}")
    return elapsed, usage.ru_maxrss * 1024


def _images(registry: DistributionRegistry, count: int, megabytes: int) -> tuple[list[str], int]:
    build = ImageBuilder(registry)
    base = random_layer(megabytes * MB // (count + 4))
    own = (megabytes * MB - len(base)) // count
    refs = []
    unique = len(base)
    for number in range(count):
        layers = [random_layer(own // 2), random_layer(own - own // 2)]
        if number % 4 == 0:
            layers.insert(0, base)
        unique += own
        build.image(f"bench/image{number:02}", "1.0", layers, docker=number % 2 == 1)
        refs.append(f"{registry.endpoint_host}/bench/image{number:02}:1.0")
    return refs, unique


def _build_in_child(registry: DistributionRegistry, count: int, megabytes: int) -> tuple[list[str], int]:
    """The images made by a child process: a child's peak RSS counts its parent's at fork, so the
    layers must never be in this process's memory."""
    done = subprocess.run(
        [sys.executable, "-m", "tests.bench.bench_images", "--build", str(registry.port), str(count), str(megabytes)],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=True,
    )
    refs, unique = json.loads(done.stdout)
    return refs, unique


def _skopeo_all(refs: list[str], where: Callable[[str], tuple[str, str]], env: dict[str, str]) -> tuple[float, int]:
    """`skopeo copy` of every image, one after the other: seconds in all, the largest peak RSS."""
    started = time.perf_counter()
    peak = 0
    for ref in refs:
        source, target = where(ref)
        command = ["skopeo", "copy", "--quiet", "--src-tls-verify=false", "--dest-tls-verify=false", source, target]
        peak = max(peak, _run(command, env)[1])
    return time.perf_counter() - started, peak


def main() -> None:
    if sys.argv[1:2] == ["--build"]:
        port, count, megabytes = (int(value) for value in sys.argv[2:5])
        registry = DistributionRegistry(Path(tempfile.gettempdir()))
        registry.port = port
        print(json.dumps(_images(registry, count, megabytes)))
        return
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--images", type=int, default=20)
    parser.add_argument("--megabytes", type=int, default=200)
    parser.add_argument("--rounds", type=int, default=2)
    parser.add_argument("--work", type=Path, default=None)
    args = parser.parse_args()
    work = Path(tempfile.mkdtemp(prefix="bench-images-", dir=args.work))
    registry = DistributionRegistry(work / "registry").start()
    try:
        refs, unique = _build_in_child(registry, args.images, args.megabytes)
        listing = work / "images.txt"
        listing.write_text("\n".join(refs) + "\n")
        home = work / "home"
        env = {**os.environ, "CHARTKEEPER_HOME": str(home), "PYTHONPATH": str(ROOT)}
        subprocess.run(
            [sys.executable, "-m", "desktop", "image-registry", "add", registry.endpoint_host, "--plain-http"],
            env=env,
            check=True,
            capture_output=True,
        )
        ours: list[tuple[float, int]] = []
        theirs: list[tuple[float, int]] = []
        pushes: list[tuple[float, int]] = []
        skopeo_pushes: list[tuple[float, int]] = []
        second: list[tuple[float, int]] = []
        for round_number in range(args.rounds):
            bundle = work / "bundle.tar"
            bundle.unlink(missing_ok=True)
            export = [sys.executable, "-m", "desktop", "bundle", "export", "-o", str(bundle), "--charts", "none"]
            ours.append(_run([*export, "--images-from", str(listing)], env))
            layout = work / "skopeo-layout"
            shutil.rmtree(layout, ignore_errors=True)
            theirs.append(_skopeo_all(refs, lambda ref, layout=layout: (f"docker://{ref}", f"oci:{layout}:{ref}"), env))
            # push: the bundle into an empty registry, then again (every blob skipped); skopeo from its layout
            site = DistributionRegistry(work / f"site-{round_number}").start()
            try:
                push = [sys.executable, "-m", "desktop", "bundle", "push", str(bundle)]
                target = f"oci://{site.endpoint_host}/mirror"
                pushes.append(_run([*push, target, "--plain-http"], env))
                second.append(_run([*push, target, "--plain-http"], env))
                skopeo_pushes.append(
                    _skopeo_all(
                        refs,
                        lambda ref, layout=layout, host=site.endpoint_host: (
                            f"oci:{layout}:{ref}",
                            f"docker://{host}/skopeo/{ref.split('/', 1)[1]}",
                        ),
                        env,
                    )
                )
            finally:
                site.stop()
        size = (work / "bundle.tar").stat().st_size
        print(f"{len(refs)} images, {unique / MB:.0f} MB unique blobs; bundle {size / MB:.0f} MB")
        print(f"{'':22}{'median s':>10}{'MB/s':>8}{'peak RSS MB':>13}")
        rows = (
            ("export: ours", ours),
            ("export: skopeo copy", theirs),
            ("push: ours", pushes),
            ("push: skopeo copy", skopeo_pushes),
            ("push again: ours", second),
        )
        for name, runs in rows:
            seconds = statistics.median(run[0] for run in runs)
            print(f"{name:22}{seconds:10.2f}{unique / MB / seconds:8.1f}{max(run[1] for run in runs) / MB:13.0f}")
        for what, mine, skopeo in (("export", ours, theirs), ("push", pushes, skopeo_pushes)):
            ratio = statistics.median(r[0] for r in skopeo) / statistics.median(r[0] for r in mine)
            print(f"{what} throughput ours / skopeo: {ratio:.2f}× (target ≥ 0.9×)")
    finally:
        registry.stop()
        shutil.rmtree(work, ignore_errors=True)


if __name__ == "__main__":
    main()
