"""Soak: build the same small scene many times in a row and count the failures (goal: 0).

    .venv/bin/python bench/bench_soak.py [--builds 40] [--jobs 1] [--mpi 1] [--profile draft]
        [--display private|shared] [--json FILE] [--work DIR]

Each build is a whole ``moviec build --force --no-encode`` process, as a user runs it: without
``DISPLAY`` it starts its own Xvfb (``--display private``, the default), or all builds share one
Xvfb started here (``--display shared``). The volume is the MNI152 T1 template converted with
``moviec convert --levels 2`` (as ``make demo`` does); the scene is a 12-frame orbit at 192 x
108 under the ``draft`` profile, so a build takes a few seconds and most of it is start-up:
Xvfb, pvbatch and its MPI initialisation, the data load. Those are what fails intermittently.

For every failed build it keeps the log and prints the last lines of standard error and of
``render.log``; it prints a table of failures by message and the seconds per build.
"""

from __future__ import annotations

import argparse
import collections
import contextlib
import json
import os
import shutil
import subprocess
import sys
import tempfile
import time
from collections.abc import Iterator
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from movie_compiler.render.xvfb import xvfb  # noqa: E402

MOVIEC = [sys.executable, "-m", "movie_compiler"]
SCENE = """\
[movie]
resolution = [192, 108]
fps = 25
output = "soak.mp4"

[dataset]
path = "{data}"
array = "/T1"
voxel_size = [1.0, 1.0, 1.0]
unit = "mm"
dtype = "uint8"
subsample = [1, 2, 2]

[volume]
renderer = ["gpu", "ray-cast"]
colors = [[0, 0, 0, 0], [140, 0.85, 0.45, 0.3], [205, 1, 0.95, 0.85], [255, 1, 1, 1]]
opacity = [[0, 0], [110, 0], [200, 0.5], [255, 0.9]]
opacity_unit_distance = 0.01

[camera]
position = [-1.6, 1.2, 0.8]
view_up = [0, 0, 1]

[[shots]]
type = "orbit"
frames = 12
"""


def make_data(work: Path) -> Path:
    """The MNI152 T1 template as raw slices, converted with a 2-level pyramid."""
    import nibabel
    import numpy as np

    sys.path.insert(0, str(ROOT / "tests"))
    from conftest import mni_template_path

    out = work / "mni.h5"
    if out.exists():
        return out
    data = np.asarray(nibabel.load(mni_template_path()).dataobj)
    slices = work / "slices"
    slices.mkdir(exist_ok=True)
    for index, plane in enumerate(data):
        plane.tofile(slices / f"slice_{index:03d}.raw")
    command = [*MOVIEC, "-q", "convert", str(slices), "-o", str(out), "--array", "/T1"]
    command += ["--slice-shape", "233,189", "--dtype", "uint8", "--levels", "2"]
    command += ["--voxel-size", "1,1,1", "--unit", "mm"]
    subprocess.run(command, check=True)
    return out


@contextlib.contextmanager
def display(mode: str) -> Iterator[dict[str, str]]:
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    if mode == "private":
        yield env
        return
    with xvfb() as value:
        yield {**env, "DISPLAY": value}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--builds", type=int, default=40)
    parser.add_argument("--jobs", type=int, default=1)
    parser.add_argument("--mpi", type=int, default=1)
    parser.add_argument("--profile", default="draft")
    parser.add_argument("--display", choices=("private", "shared"), default="private")
    parser.add_argument("--json", type=Path, help="write the results as JSON")
    parser.add_argument("--work", type=Path, help="keep data and logs here")
    args = parser.parse_args()

    work = args.work or Path(tempfile.mkdtemp(prefix="moviec-soak-"))
    work.mkdir(parents=True, exist_ok=True)
    scene = work / "soak.toml"
    scene.write_text(SCENE.format(data=make_data(work)), encoding="utf-8")
    failures: collections.Counter[str] = collections.Counter()
    seconds: list[float] = []
    with display(args.display) as env:
        for number in range(1, args.builds + 1):
            cache = work / "cache"
            command = [*MOVIEC, "build", str(scene), "--force", "--no-encode"]
            command += ["--cache-dir", str(cache), "--jobs", str(args.jobs)]
            command += ["--mpi", str(args.mpi), "--profile", args.profile]
            started = time.monotonic()
            result = subprocess.run(command, capture_output=True, text=True, env=env)
            seconds.append(time.monotonic() - started)
            if result.returncode == 0:
                print(f"build {number}: ok in {seconds[-1]:.1f} s", flush=True)
                continue
            lines = result.stderr.strip().splitlines() or [f"exit {result.returncode}"]
            failures[lines[-1][:200]] += 1
            kept = work / f"failure-{number}"
            kept.mkdir()
            (kept / "stderr.txt").write_text(result.stderr, encoding="utf-8")
            for log in cache.glob("builds/*/render.log"):
                shutil.copyfile(log, kept / "render.log")
            print(f"build {number}: FAILED (exit {result.returncode}); kept {kept}", flush=True)
            print("  " + "\n  ".join(lines[-5:]), flush=True)
    total = sum(failures.values())
    print(
        f"\n{total} of {args.builds} builds failed ({args.display} display, --jobs "
        f"{args.jobs}, --mpi {args.mpi}, --profile {args.profile}); goal 0"
    )
    for message, count in failures.most_common():
        print(f"  {count} x {message}")
    ordered = sorted(seconds)
    print(f"seconds per build: median {ordered[len(ordered) // 2]:.1f}, max {ordered[-1]:.1f}")
    if args.json:
        record = {
            "builds": args.builds,
            "failed": total,
            "failures": dict(failures),
            "seconds": seconds,
            "options": {k: str(v) for k, v in vars(args).items()},
        }
        args.json.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    return 1 if total else 0


if __name__ == "__main__":
    sys.exit(main())
