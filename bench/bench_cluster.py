"""What the Slurm executor costs, measured here, and what it would gain on K nodes.

    .venv/bin/python bench/bench_cluster.py [--frames 48] [--size 320x180] [--work DIR]
        [--json FILE] [--vervet-load SECONDS] [--vervet-hash SECONDS] [--from JSON]

As root, on a private single-node Slurm (tools/local_slurm.py) with the MNI152 volume made as
``make demo`` makes it, it measures:

1. **submission to start**: ``sbatch`` of a trivial job until its first line runs (median of
   5), and the gap between a job's end and the start of a job that depends on it;
2. **a render task's fixed cost**: a real ``moviec build --executor slurm --tasks 1`` of the
   demo scene; the task's wall time from Slurm's start to its end, less the sum of the
   per-frame seconds = Python and moviec start, the ParaView probe, Xvfb, pvbatch start-up
   and the data load;
3. **per-frame cost** at the benchmark's size and at 1920 x 1080 (the second frame of a local
   build of the demo scene; 3840 x 2160 is taken as 4x that: ray casting costs per pixel), and
   **the encode job**: its wall time, and ffmpeg's seconds per frame at 3840 x 2160;
4. **a real K = 2 run** (``--tasks 2``) of the same frames, against the model's prediction.

Each task gets one CPU (``cluster.cpus_per_task = 1``), so a task here stands for one node of
a cluster and K = 2 on this two-core machine is two such nodes. The model::

    wall(K) = submit + task_fixed + ceil(F / K) * frame + dependency + encode_fixed + F * enc

predicts wall time and speed-up ``wall(1) / wall(K)`` for K = 1, 2, 4, ..., 64 on K nodes,
for the demo movie (200 frames at 640 x 360) and the seed's (300 frames at 3840 x 2160).
Assumptions: nodes like this machine's cores (llvmpipe, one task per node); tasks start
together (the queue is empty); the shared file system serves every task's data load at the
speed measured here (for the seed's volume, the load time is ``--vervet-load``: its 4x
in-plane subsample is 13 GB, 10 s at 1.3 GB/s per node); the seed's per-frame cost is the
MNI volume's at 3840 x 2160 (a denser volume costs more per frame, which only helps scaling);
the seed's first encode job hashes the 200 GB input for the provenance sidecar
(``--vervet-hash``, 200 s at 1 GB/s; later builds reuse the cached checksums); encoding cost
per frame scales with pixels (measured at 3840 x 2160).
"""

from __future__ import annotations

import argparse
import json
import math
import os
import re
import shutil
import statistics
import subprocess
import sys
import tempfile
import time
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "tools"))

from local_slurm import local_slurm  # noqa: E402

MOVIEC = [sys.executable, "-m", "movie_compiler"]


def run(
    command: list[str], env: dict[str, str], **options: Any
) -> subprocess.CompletedProcess[str]:
    done = subprocess.run(command, env=env, capture_output=True, text=True, **options)
    if done.returncode != 0:
        raise SystemExit(f"{' '.join(command)} failed:\n{done.stdout}\n{done.stderr}")
    return done


def job_times(job: str, env: dict[str, str]) -> tuple[str, int, int]:
    shown = run(["scontrol", "-o", "show", "job", job], env).stdout
    state = re.search(r"JobState=(\S+)", shown)
    start = re.search(r"StartTime=(\S+)", shown)
    end = re.search(r"EndTime=(\S+)", shown)
    assert state and start and end
    stamp = lambda text: int(time.mktime(time.strptime(text, "%Y-%m-%dT%H:%M:%S")))  # noqa: E731
    return state.group(1), stamp(start.group(1)), stamp(end.group(1))


def wait_gone(job: str, env: dict[str, str]) -> None:
    while True:
        out = run(["squeue", "-h", "-j", job, "-o", "%T"], env, check=False).stdout.strip()
        if not out:
            return
        time.sleep(0.1)


def submission_latency(env: dict[str, str], work: Path, rounds: int = 5) -> dict[str, float]:
    """sbatch -> first line of the job; end of a job -> start of its dependant."""
    starts, gaps = [], []
    for index in range(rounds):
        out = work / f"start-{index}.txt"
        before = time.time()
        job = run(["sbatch", "--parsable", "-o", str(out), "--wrap", "date +%s.%N"], env)
        wait_gone(job.stdout.strip(), env)
        starts.append(float(out.read_text().split()[0]) - before)
        first_out, second_out = work / f"a-{index}.txt", work / f"b-{index}.txt"
        first = run(
            ["sbatch", "--parsable", "-o", str(first_out), "--wrap", "date +%s.%N"], env
        ).stdout.strip()
        second = run(
            ["sbatch", "--parsable", f"--dependency=afterany:{first}", "-o", str(second_out),
             "--wrap", "date +%s.%N"],
            env,
        ).stdout.strip()  # fmt: skip
        wait_gone(second, env)
        gaps.append(
            float(second_out.read_text().split()[0]) - float(first_out.read_text().split()[0])
        )
    return {"submit": statistics.median(starts), "dependency": statistics.median(gaps)}


def make_data(work: Path, env: dict[str, str]) -> Path:
    slices = work / "slices"
    run([sys.executable, str(ROOT / "tools" / "demo_data.py"), str(slices)], env)
    out = work / "mni152.h5"
    run(
        [*MOVIEC, "-q", "convert", str(slices), "-o", str(out), "--array", "/T1",
         "--slice-shape", "233,197", "--dtype", "uint8", "--voxel-size", "1,1,1", "--levels", "2"],
        env,
    )  # fmt: skip
    return out


def scene_for(work: Path, data: Path, name: str, frames: int) -> Path:
    """The demo scene with one orbit of ``frames`` frames (so the encode job encodes them)."""
    text = (ROOT / "scenes" / "demo.toml").read_text()
    text = text.replace('"../demo/mni152.h5"', json.dumps(str(data)))
    text = text.replace('"../demo/mni152.mp4"', json.dumps(f"{name}.mp4"))
    text = text[: text.index("[[shots]]")] + f'[[shots]]\ntype = "orbit"\nframes = {frames}\n'
    path = work / f"{name}.toml"
    path.write_text(text)
    return path


def slurm_build(
    scene: Path, cache: Path, tasks: int, frames: int, size: str, env: dict[str, str]
) -> dict[str, Any]:
    """A real build through the executor; the timing of its jobs."""
    width, height = size.split("x")
    started = time.time()
    done = run(
        [*MOVIEC, "build", str(scene), "--cache-dir", str(cache), "--executor", "slurm",
         "--tasks", str(tasks), "--wait",
         "--set", f"movie.resolution=[{width},{height}]", "--set", "cluster.cpus_per_task=1"],
        env,
    )  # fmt: skip
    wall = time.time() - started
    folder = Path(re.search(r"logs (\S+)/render-", done.stdout).group(1))  # type: ignore[union-attr]
    receipts = [json.loads(p.read_text()) for p in sorted((folder / "receipts").glob("*.json"))]
    result = json.loads((folder / "result.json").read_text())
    first_start = min(r["started"] for r in receipts)
    return {
        "tasks": tasks,
        "wall": wall,
        "task_wall": [r["ended"] - r["started"] for r in receipts],
        "task_fixed": [r["ended"] - r["started"] - r.get("rendering", 0.0) for r in receipts],
        "frame": sum(r.get("rendering", 0.0) for r in receipts) / frames,
        "submit_to_first_task": first_start - started,
        "last_task_to_encode": result["started"] - max(r["ended"] for r in receipts),
        "encode_job": result["ended"] - result["started"],
    }


def local_frames(scene: Path, cache: Path, size: str, frames: int, env: dict[str, str]) -> float:
    """Seconds per frame of a local build at ``size``: the script's own per-frame seconds of
    the last frame (the first one also warms the renderer up)."""
    width, height = size.split("x")
    run(
        [*MOVIEC, "build", str(scene), "--cache-dir", str(cache), "--no-encode",
         "--frames", f"0:{frames}", "--set", f"movie.resolution=[{width},{height}]"],
        env,
    )  # fmt: skip
    log = next(cache.glob("builds/*/render.log")).read_text()
    seconds = [float(s) for s in re.findall(r"^moviec-frame \d+ \d+ (\S+) ", log, re.M)]
    return seconds[-1]


def encode_per_frame(frame: Path, count: int, work: Path, env: dict[str, str]) -> float:
    """ffmpeg's seconds per 3840 x 2160 frame with moviec's settings (H.264, slow, CRF 18),
    encoding ``count`` copies of ``frame`` scaled to 3840 x 2160."""
    from imageio_ffmpeg import get_ffmpeg_exe

    frames = work / "enc"
    frames.mkdir(exist_ok=True)
    for index in range(count):
        target = frames / f"{index:06d}.png"
        if not target.exists():
            os.link(frame, target)
    started = time.time()
    run(
        [get_ffmpeg_exe(), "-y", "-loglevel", "error", "-framerate", "25", "-i",
         str(frames / "%06d.png"), "-vf", "scale=3840:2160", "-c:v", "libx264",
         "-preset", "slow", "-crf", "18", "-pix_fmt", "yuv420p", str(work / "enc.mp4")],
        env,
    )  # fmt: skip
    return (time.time() - started) / count


def predict(fixed: dict[str, float], frames: int, frame: float, enc: float, k: int) -> float:
    per_task = math.ceil(frames / k)
    return (
        fixed["submit"] + fixed["task"] + per_task * frame + fixed["dependency"]
        + fixed["encode"] + frames * enc
    )  # fmt: skip


def table(
    title: str, fixed: dict[str, float], frames: int, frame: float, enc: float
) -> list[dict[str, float]]:
    print(f"\n{title}: {frames} frames, {frame:.2f} s per frame, encode {enc:.3f} s per frame")
    print("   K   frames/task   wall (s)   speed-up   efficiency")
    rows = []
    one = predict(fixed, frames, frame, enc, 1)
    k = 1
    while k <= 64:
        wall = predict(fixed, frames, frame, enc, k)
        speed = one / wall
        rows.append({"K": k, "wall": wall, "speedup": speed, "efficiency": speed / k})
        print(
            f"{k:4d}   {math.ceil(frames / k):11d}   {wall:8.1f}   {speed:8.2f}   {speed / k:10.2f}"
        )
        k *= 2
    return rows


def measure(args: argparse.Namespace) -> dict[str, Any]:
    """Everything measured on the local Slurm (see the module's docstring)."""
    work = args.work or Path(tempfile.mkdtemp(prefix="moviec-bench-cluster-"))
    work.mkdir(parents=True, exist_ok=True)
    print(f"work folder {work}; load average {os.getloadavg()[0]:.1f} on {os.cpu_count()} cores")
    load_before = os.getloadavg()[0]
    with local_slurm(work / "slurm") as env:
        latency = submission_latency(env, work)
        data = make_data(work, env)
        scene = scene_for(work, data, "demo", args.frames)
        one = slurm_build(scene, work / "cache-1", 1, args.frames, args.size, env)
        two = slurm_build(scene, work / "cache-2", 2, args.frames, args.size, env)
        frame_hd = local_frames(scene, work / "cache-hd", "1920x1080", 2, env)
        png_hd = next((work / "cache-hd").glob("frames/*/000000.png"))
        enc_4k = encode_per_frame(png_hd, 12, work, env)
    if args.work is None:
        shutil.rmtree(work, ignore_errors=True)
    return {
        "frames": args.frames,
        "size": args.size,
        "latency": latency,
        "fixed": {
            "submit": latency["submit"],
            "dependency": latency["dependency"],
            "task": statistics.median(one["task_fixed"]),
            "encode": one["encode_job"],
        },
        "k1": one,
        "k2": two,
        "frame_hd": frame_hd,
        "frame_4k": 4 * frame_hd,
        "encode_4k": enc_4k,
        "load_average": [load_before, os.getloadavg()[0]],
    }


def report(measured: dict[str, Any], args: argparse.Namespace) -> dict[str, Any]:
    """Print the measurements and the predictions; return the predictions."""
    fixed, one, two = measured["fixed"], measured["k1"], measured["k2"]
    frames, size = measured["frames"], measured["size"]
    latency = measured["latency"]
    print(f"submission to start {latency['submit']:.2f} s; end of a job to the start of its "
          f"dependant {latency['dependency']:.2f} s (medians of 5)")  # fmt: skip
    print(f"measured at {size}, {frames} frames, one CPU per task (load average "
          f"{measured['load_average'][0]:.1f} before, {measured['load_average'][1]:.1f} after, "
          f"on {os.cpu_count()} cores):")  # fmt: skip
    print(f"  K=1: wall {one['wall']:.1f} s; task fixed cost {fixed['task']:.1f} s (moviec, "
          f"probe, Xvfb, pvbatch start-up, data load); {one['frame']:.2f} s per frame; "
          f"encode job {fixed['encode']:.1f} s")  # fmt: skip
    predicted_one = predict(fixed, frames, one["frame"], 0.0, 1)
    predicted = predict(fixed, frames, one["frame"], 0.0, 2)
    print(f"  K=2: wall {two['wall']:.1f} s (model {predicted:.1f} s); speed-up "
          f"{one['wall'] / two['wall']:.2f} (model {predicted_one / predicted:.2f}); task fixed "
          f"costs {', '.join(f'{t:.1f}' for t in two['task_fixed'])} s; "
          f"{two['frame']:.2f} s per frame")  # fmt: skip
    print(f"  1920x1080: {measured['frame_hd']:.1f} s per frame (local build); 3840x2160 taken "
          f"as 4x: {measured['frame_4k']:.1f} s; ffmpeg {measured['encode_4k']:.3f} s per "
          "3840x2160 frame")  # fmt: skip
    width, height = (int(n) for n in size.split("x"))
    rows = {
        "demo": table(
            "demo (640 x 360; frame and encode costs scaled by pixels)",
            fixed,
            200,
            one["frame"] * (640 * 360) / (width * height),
            measured["encode_4k"] * (640 * 360) / (3840 * 2160),
        ),
        "vervet": table(
            f"seed's movie (3840 x 2160; data load {args.vervet_load:.0f} s per task; the "
            f"first encode hashes the 200 GB input, {args.vervet_hash:.0f} s)",
            {
                **fixed,
                "task": fixed["task"] + args.vervet_load,
                "encode": fixed["encode"] + args.vervet_hash,
            },
            300,
            measured["frame_4k"],
            measured["encode_4k"],
        ),
    }
    print(
        "\nEfficiency falls below 0.9 where a task's frames no longer dwarf the fixed costs: "
        "submission, the task's start-up and data load, the dependency, and above all the "
        "encode job, which one node runs alone (F x encode, and the first build's input "
        "hashing, do not shrink with K)."
    )
    return rows


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--frames", type=int, default=48)
    parser.add_argument("--size", default="320x180")
    parser.add_argument("--work", type=Path)
    parser.add_argument("--json", type=Path, default=ROOT / "bench" / "results" / "cluster.json")
    parser.add_argument("--vervet-load", type=float, default=10.0)
    parser.add_argument("--vervet-hash", type=float, default=200.0)
    parser.add_argument(
        "--from",
        dest="source",
        type=Path,
        help="predict from the measurements in this JSON file (of an earlier run) instead",
    )
    args = parser.parse_args()
    measured = json.loads(args.source.read_text())["measured"] if args.source else measure(args)
    rows = report(measured, args)
    if not args.source:
        args.json.parent.mkdir(parents=True, exist_ok=True)
        document = {"measured": measured, "predicted": rows}
        args.json.write_text(json.dumps(document, indent=1) + "\n")
    return 0


if __name__ == "__main__":
    sys.exit(main())
