"""The seed's movie at the largest scale this machine holds: time to first frame, per frame,
peak memory per process.

    .venv/bin/python bench/bench_scale.py [--scale 14] [--frames 3] [--work DIR] [--keep]

1. Writes a seed-shaped synthetic volume as raw uint8 slices: the seed's 234 slices, its
   28721 x 31076 slices divided by ``--scale`` (14: 2052 x 2220, 1.07 GB), a tissue-like slab
   with fine texture; then ``moviec convert --levels 2`` (timed).
2. Builds the seed's orbit (the camera of scenes/vervet.toml, its transfer function) with
   ``moviec build --no-encode --frames 0:N``, each run with a fresh cache, at 1920 x 1080 and
   3840 x 2160, from pyramid level 1 and from full resolution (``smart``, which resolves
   against OpenGL's 3D texture limit; ``gpu`` with the ranks it needs; ``ray-cast`` under
   ``--mpi 2``), timed as whole processes under GNU time (peak resident memory of the
   largest process: pvbatch, or its largest rank).
3. The baseline, measured in the same run: the full-resolution 1920 x 1080 script run by
   hand without ``dataset.json`` (as moviec's script was before: ParaView scans the array's
   range twice in ``Show`` and the script asks for the data information).

From the script's own stage lines it prints reading (``UpdatePipeline``), ``Show`` (with
the data information), the first frame (ParaView's first render and the PNG) and the
following frames, the time to first frame (read + show + first frame) and its ratio to
reading + the first frame (target <= 1.2).
"""

from __future__ import annotations

import argparse
import json
import os
import re
import shutil
import subprocess
import sys
import tempfile
import time
from pathlib import Path

import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from movie_compiler.render.xvfb import xvfb  # noqa: E402

MOVIEC = [sys.executable, "-m", "movie_compiler"]
SEED_SHAPE = (234, 28721, 31076)
SEED_VOXEL = (52.0, 1.3, 1.3)
COLORS = [
    [0, 0.33, 0.33, 0.5],
    [27, 1.0, 1.0, 0.9],
    [51, 0.9, 0.9, 0.0],
    [65, 0.9, 0.0, 0.0],
    [254, 0.0, 0.0, 0.0],
]


def make_slices(folder: Path, shape: tuple[int, int, int]) -> None:
    """A slab of tissue: an ellipse per slice with a fine, slice-dependent texture."""
    folder.mkdir(parents=True, exist_ok=True)
    depth, rows, cols = shape
    y = np.linspace(-1, 1, rows, dtype=np.float32)[:, None]
    x = np.linspace(-1, 1, cols, dtype=np.float32)[None, :]
    radius = (y / 0.92) ** 2 + (x / 0.95) ** 2
    texture = np.sin(x * 173.0) * np.cos(y * 151.0)
    for index in range(depth):
        phase = index / depth
        inside = radius < 1.0 - 0.3 * (2 * phase - 1) ** 2
        value = 90 + 70 * texture * np.cos(phase * 9.0) + 60 * np.sin(radius * 13 + phase * 5)
        plane = np.where(inside, np.clip(value, 1, 254), 0).astype(np.uint8)
        plane.tofile(folder / f"slice_{index + 1:03d}.raw")


def scene(h5: Path, size: tuple[int, int], voxel: list[float], renderer: str, **data: int) -> str:
    level = f"level = {data['level']}\n" if "level" in data else ""
    return f"""[movie]
resolution = [{size[0]}, {size[1]}]
background = [0.32, 0.34, 0.43]
[dataset]
path = "{h5}"
array = "/PLI"
voxel_size = {voxel}
{level}[volume]
renderer = "{renderer}"
colors = {COLORS}
opacity = [[0, 0.0], [254, 1.0]]
[camera]
position = [0.0, 0.0, 1.488]
view_up = [-1.0, 0.0, 0.0]
[[shots]]
type = "orbit"
frames = 100
"""


def stages(text: str) -> dict[str, object]:
    """Stage seconds, frame seconds and the renderer from the script's output."""
    found: dict[str, object] = {"frames": []}
    for line in text.splitlines():
        words = line.split()
        if line.startswith("moviec-stage ") and len(words) == 3:
            found[words[1]] = float(words[2])
        elif line.startswith("moviec-frame ") and len(words) == 5:
            found["frames"].append(float(words[3]))  # type: ignore[union-attr]
        elif line.startswith("moviec-start ") and len(words) >= 3:
            found["renderer"] = words[2].replace("_", " ")
    return found


def timed(command: list[str], env: dict[str, str]) -> tuple[float, int, str]:
    """Seconds, peak RSS of the largest process (MB), and the output of ``command``."""
    started = time.monotonic()
    result = subprocess.run(
        ["/usr/bin/time", "-f", "moviec-peak-kb %M", *command],
        env=env,
        capture_output=True,
        text=True,
    )
    seconds = time.monotonic() - started
    if result.returncode != 0:
        raise SystemExit(f"failed: {' '.join(command)}\n{result.stderr[-2000:]}")
    peak = re.search(r"moviec-peak-kb (\d+)", result.stderr)
    return seconds, int(peak.group(1)) // 1024 if peak else 0, result.stdout + result.stderr


def load() -> str:
    return open("/proc/loadavg", encoding="ascii").read().split()[0]


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--scale", type=int, default=14)
    parser.add_argument("--frames", type=int, default=3)
    parser.add_argument("--work", type=Path)
    parser.add_argument("--keep", action="store_true", help="keep the data afterwards")
    parser.add_argument("--only", help="run only the runs whose name holds this text")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="moviec-scale-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        with xvfb() as display:
            benchmark(args, work, {**os.environ, "DISPLAY": display})
    finally:
        if not args.keep:
            shutil.rmtree(work, ignore_errors=True)


def benchmark(args: argparse.Namespace, work: Path, env: dict[str, str]) -> None:
    shape = (SEED_SHAPE[0], -(-SEED_SHAPE[1] // args.scale), -(-SEED_SHAPE[2] // args.scale))
    voxel = [SEED_VOXEL[0], SEED_VOXEL[1] * args.scale, SEED_VOXEL[2] * args.scale]
    gb = shape[0] * shape[1] * shape[2] / 1e9
    print(f"seed-shaped volume: {shape[0]} x {shape[1]} x {shape[2]} uint8 ({gb:.2f} GB)")
    h5 = work / "seed.h5"
    if not h5.exists():
        started = time.monotonic()
        make_slices(work / "slices", shape)
        print(f"slices written in {time.monotonic() - started:.1f} s")
        seconds, peak, _ = timed(
            [
                *MOVIEC,
                "-q",
                "convert",
                str(work / "slices"),
                "-o",
                str(h5),
                "--array",
                "/PLI",
                "--slice-shape",
                f"{shape[1]},{shape[2]}",
                "--dtype",
                "uint8",
                "--voxel-size",
                ",".join(str(v) for v in voxel),
                "--levels",
                "2",
            ],
            env,
        )
        print(
            f"moviec convert --levels 2: {seconds:.1f} s ({gb / seconds * 1000:.0f} MB/s), "
            f"peak {peak} MB"
        )
        shutil.rmtree(work / "slices")
    runs = [
        ("level 1, 1920x1080, smart", (1920, 1080), "smart", {"level": 1}, 1),
        ("level 1, 3840x2160, smart", (3840, 2160), "smart", {"level": 1}, 1),
        ("full, 1920x1080, smart", (1920, 1080), "smart", {}, 1),
        ("full, 3840x2160, smart", (3840, 2160), "smart", {}, 1),
        ("full, 1920x1080, ray-cast, --mpi 2", (1920, 1080), "ray-cast", {}, 2),
        ("full, 1920x1080, gpu, --mpi 4", (1920, 1080), "gpu", {}, 4),
    ]
    results = []
    for number, (name, size, renderer, data, ranks) in enumerate(runs):
        if args.only and args.only not in name:
            continue
        folder = work / f"run{number}"
        shutil.rmtree(folder, ignore_errors=True)
        folder.mkdir()
        path = folder / "scene.toml"
        path.write_text(scene(h5, size, voxel, renderer, **data), encoding="utf-8")
        command = [*MOVIEC, "-q", "build", str(path), "--no-encode", "--frames", f"0:{args.frames}"]
        if ranks > 1:
            command += ["--mpi", str(ranks)]
        run_env = {**env, "MOVIEC_MPIEXEC": "mpiexec --oversubscribe"} if ranks > 2 else env
        before = load()
        seconds, peak, _ = timed(command, run_env)
        log = next((folder / ".moviec" / "builds").glob("*/render.log")).read_text("utf-8")
        found = stages(log)
        results.append(report(name, found, seconds, peak, before))
        save(results)
        if number == 2:  # the baseline: the same script without dataset.json
            build = next((folder / ".moviec" / "builds").glob("*/render.py")).parent
            (build / "dataset.json").unlink()
            before = load()
            seconds, peak, output = timed(
                [
                    "pvbatch",
                    str(build / "render.py"),
                    "--frames",
                    "0:1",
                    "--output",
                    str(folder / "base"),
                ],
                env,
            )
            results.append(
                report(
                    "baseline: " + name + ", no dataset.json", stages(output), seconds, peak, before
                )
            )
            save(results)
    print(f"results: {ROOT / 'bench' / 'results' / 'scale.json'}")


def save(results: list[dict[str, object]]) -> None:
    """Write the results so far (a run interrupted later keeps them)."""
    out = ROOT / "bench" / "results"
    out.mkdir(exist_ok=True)
    (out / "scale.json").write_text(json.dumps(results, indent=1) + "\n", encoding="utf-8")


def report(
    name: str, found: dict[str, object], seconds: float, peak: int, load_before: str
) -> dict[str, object]:
    frames = [float(f) for f in found["frames"]]  # type: ignore[union-attr]
    read = float(found.get("read", 0.0))  # type: ignore[arg-type]
    show = float(found.get("show", 0.0))  # type: ignore[arg-type]
    first = frames[0] if frames else 0.0
    later = sorted(frames[1:])
    per_frame = later[len(later) // 2] if later else None
    ttff = read + show + first
    ratio = ttff / (read + first) if read + first else 0.0
    row = {
        "run": name,
        "renderer": found.get("renderer"),
        "read_s": read,
        "show_s": show,
        "first_frame_s": first,
        "per_frame_s": per_frame,
        "ttff_s": ttff,
        "ttff_ratio": ratio,
        "wall_s": seconds,
        "peak_mb": peak,
        "load_before": load_before,
    }
    per = f"{per_frame:.2f}" if per_frame is not None else "-"
    print(
        f"{name}: {row['renderer']}; read {read:.2f} s, show {show:.2f} s, first frame "
        f"{first:.2f} s, then {per} s/frame; time to first frame {ttff:.1f} s = {ratio:.2f} x "
        f"(read + first frame; target <= 1.2); wall {seconds:.1f} s; peak {peak} MB per "
        f"process; load average {load_before}",
        flush=True,
    )
    return row


if __name__ == "__main__":
    main()
