"""Benchmark ``moviec build`` against the seed's frame loop and ParaView's ``SaveAnimation``.

    .venv/bin/python bench/bench_render.py [--size 960x540] [--frames 48] [--repeat 2]
        [--renderer gpu] [--json FILE] [--work DIR]

Renders the same orbit of the same volume (the MNI152 T1 template at full resolution, made
here from raw slices with ``moviec convert`` and described for the seed with ``moviec xdmf``)
at the same size, with the same renderer, transfer function, camera distance and no shading,
three ways, each in its own pvbatch on one shared Xvfb:

1. the seed's loop (``bench/seed_loop.py loop``): a Path-based camera track, and per frame a
   screenshot then ``GoToNext()``;
2. ParaView's ``SaveAnimation`` over the same track (``bench/seed_loop.py animation``);
3. ``moviec build --no-encode`` of an equivalent scene, with a fresh ``--cache-dir`` each
   time so that no frame comes from the cache.

For each it measures the rendering time per frame without start-up (the seed's
``GoToFirst()`` and loop; the ``SaveAnimation`` call; the sum of the per-frame seconds that
moviec's script reports in ``render.log``) and the wall time of the whole process (pvbatch or
moviec start, data load, rendering), counts the renders per frame and checks that the right
number of PNG files of the right size came out. Methods run interleaved, ``--repeat`` times
each; the table shows medians. Targets: moviec at most half the seed's time per frame, and no
slower than ``SaveAnimation``.
"""

from __future__ import annotations

import argparse
import datetime
import hashlib
import json
import os
import resource
import shlex
import shutil
import statistics
import struct
import subprocess
import sys
import tempfile
import time
from dataclasses import asdict, dataclass, field
from pathlib import Path
from typing import Any

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from movie_compiler.generate import RENDERER_MODES  # noqa: E402
from movie_compiler.render import paraview  # noqa: E402
from movie_compiler.render.xvfb import xvfb  # noqa: E402

MOVIEC = [sys.executable, "-m", "movie_compiler"]
SEED_LOOP = ROOT / "bench" / "seed_loop.py"
METHODS = ("seed loop", "SaveAnimation", "moviec build")
SEED_METHOD = {"seed loop": "loop", "SaveAnimation": "animation"}

# What all three draw (the demo scene's copper and ivory, unshaded; moviec's default
# background), seen from DISTANCE in normalised units (the volume's longest axis spans 1.0).
COLORS = [[0, 0.0, 0.0, 0.0], [140, 0.85, 0.45, 0.3], [205, 1.0, 0.95, 0.85], [255, 1.0, 1.0, 1.0]]
OPACITY = [[0, 0.0], [110, 0.0], [200, 0.5], [255, 0.9]]
BACKGROUND = [0.32, 0.34, 0.43]
DISTANCE = 2.2
VIEW_ANGLE = 30.0

TARGET_SEED = 0.5
"""moviec's time per frame at most this fraction of the seed loop's."""
TARGET_ANIMATION = 1.0
"""moviec's time per frame at most this fraction of SaveAnimation's."""


@dataclass
class Run:
    """One method's run."""

    seconds: float
    """Rendering time without start-up (see the module's docstring)."""
    wall: float
    """The whole process, from its start to its exit."""
    renders: int
    """Renders counted during the rendering time."""
    frame_seconds: list[float] = field(default_factory=list)
    """Seconds per frame where the method reports them (seed loop, moviec)."""
    problem: str = ""
    """What is wrong with the frames it wrote ("" if they are all there, of the right size)."""
    first_frame: str = ""
    """SHA-256 of the first frame's PNG file (the same camera in every method)."""
    other_cpu: float | None = None
    """CPU cores that other processes of the machine kept busy meanwhile (Linux only)."""


class CpuMeter:
    """How busy other processes keep the machine while one method runs (a shared machine
    makes a run slow): the machine's busy CPU time minus that of this process's children."""

    def __init__(self) -> None:
        self.started = time.monotonic()
        self.busy = self.machine_busy()
        self.children = self.children_cpu()

    @staticmethod
    def machine_busy() -> float | None:
        try:
            with open("/proc/stat", encoding="ascii") as stream:
                fields = [int(x) for x in stream.readline().split()[1:9]]
        except (OSError, ValueError):
            return None
        user, nice, system, _idle, _iowait, irq, softirq, steal = fields
        return (user + nice + system + irq + softirq + steal) / os.sysconf("SC_CLK_TCK")

    @staticmethod
    def children_cpu() -> float:
        usage = resource.getrusage(resource.RUSAGE_CHILDREN)
        return usage.ru_utime + usage.ru_stime

    def other_cores(self) -> float | None:
        busy = self.machine_busy()
        if busy is None or self.busy is None:
            return None
        ours = self.children_cpu() - self.children
        return max(0.0, (busy - self.busy - ours) / (time.monotonic() - self.started))


def parse_size(text: str) -> tuple[int, int]:
    try:
        width, height = (int(part) for part in text.lower().replace(",", "x").split("x"))
    except ValueError:
        raise argparse.ArgumentTypeError(
            f"expected WIDTHxHEIGHT, such as 960x540: {text}"
        ) from None
    if width < 16 or height < 16 or width % 2 or height % 2:
        raise argparse.ArgumentTypeError(f"width and height must be even and >= 16: {text}")
    return width, height


def moviec(*args: str | Path) -> None:
    command = [*MOVIEC, "-q", *(str(a) for a in args)]
    done = subprocess.run(command, capture_output=True, text=True)
    if done.returncode:
        sys.exit(f"{shlex.join(command)} failed ({done.returncode}):\n{done.stderr.strip()}")


def make_data(work: Path) -> tuple[Path, Path]:
    """The MNI152 T1 volume as ``make demo`` makes it: raw slices -> HDF5 (+ XDMF)."""
    slices, h5, xdmf = work / "slices", work / "mni152.h5", work / "mni152.xdmf"
    done = subprocess.run(
        [sys.executable, str(ROOT / "tools" / "demo_data.py"), str(slices)],
        capture_output=True,
        text=True,
    )
    if done.returncode:
        sys.exit(f"tools/demo_data.py failed:\n{done.stderr.strip()}")
    moviec(
        "convert", slices, "-o", h5, "--array", "/T1", "--slice-shape", "233,197",
        "--dtype", "uint8", "--voxel-size", "1,1,1", "--levels", "2",
    )  # fmt: skip
    moviec("xdmf", h5, "-o", xdmf, "--array", "/T1")
    shutil.rmtree(slices)
    return h5, xdmf


def scene_toml(h5: Path, size: tuple[int, int], frames: int, renderer: str) -> str:
    """A moviec scene of the seed loop's orbit (JSON arrays and strings are valid TOML)."""
    return "\n".join(
        [
            "[movie]",
            f"resolution = {json.dumps(list(size))}",
            f"background = {json.dumps(BACKGROUND)}",
            "[dataset]",
            f"path = {json.dumps(str(h5))}",
            'array = "/T1"',
            "voxel_size = [1.0, 1.0, 1.0]",
            'unit = "mm"',
            "[volume]",
            f"renderer = {json.dumps(renderer)}",
            "shade = false",
            f"colors = {json.dumps(COLORS)}",
            f"opacity = {json.dumps(OPACITY)}",
            "[camera]",
            f"position = [0.0, {-DISTANCE}, 0.0]",
            "focal_point = [0.0, 0.0, 0.0]",
            "view_up = [0.0, 0.0, 1.0]",
            f"view_angle = {VIEW_ANGLE}",
            "[[shots]]",
            'name = "orbit"',
            'type = "orbit"',
            f"frames = {frames}",
            "degrees = 360",
            "",
        ]
    )


def png_size(path: Path) -> tuple[int, int]:
    """Width and height from a PNG's IHDR chunk."""
    with open(path, "rb") as stream:
        head = stream.read(24)
    if head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
        return (0, 0)
    width, height = struct.unpack(">II", head[16:24])
    return width, height


def digest(paths: list[Path]) -> str:
    return hashlib.sha256(paths[0].read_bytes()).hexdigest() if paths else ""


def check_frames(paths: list[Path], frames: int, size: tuple[int, int]) -> str:
    if len(paths) != frames:
        return f"{len(paths)} PNG files, expected {frames}"
    wrong = [p.name for p in paths if png_size(p) != size]
    if wrong:
        return f"{len(wrong)} PNG files not {size[0]}x{size[1]}, such as {wrong[0]}"
    return ""


def run_seed(
    pvbatch: str, method: str, settings: Path, out: Path, env: dict[str, str], size: tuple[int, int]
) -> Run:
    out.mkdir(parents=True)
    command = [pvbatch, str(SEED_LOOP), str(settings), SEED_METHOD[method], str(out)]
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    lines = [line for line in done.stdout.splitlines() if line.startswith("{")]
    if done.returncode or not lines:
        sys.exit(f"{shlex.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    report = json.loads(lines[-1])
    pngs = sorted(out.glob("image*.png"))
    return Run(
        seconds=report["seconds"],
        wall=wall,
        renders=report["renders"],
        frame_seconds=report["frame_seconds"],
        problem=check_frames(pngs, report["frames"], size),
        first_frame=digest(pngs),
    )


def run_moviec(
    scene: Path, cache_dir: Path, env: dict[str, str], frames: int, size: tuple[int, int]
) -> Run:
    command = [*MOVIEC, "-q", "build", str(scene), "--no-encode", "--cache-dir", str(cache_dir)]
    started = time.monotonic()
    done = subprocess.run(command, env=env, capture_output=True, text=True)
    wall = time.monotonic() - started
    if done.returncode:
        sys.exit(f"{shlex.join(command)} failed ({done.returncode}):\n{done.stderr[-2000:]}")
    seconds, renders = [], 0
    log = cache_dir / "builds" / scene.stem / "render.log"
    for line in log.read_text(encoding="utf-8").splitlines():
        words = line.split(" ", 4)
        if words[0] == "moviec-frame" and len(words) == 5:
            renders += int(words[2])
            seconds.append(float(words[3]))
    pngs = sorted(p for p in (cache_dir / "frames").glob("*/*.png") if ".partial" not in p.name)
    problem = check_frames(pngs, frames, size)
    if not problem and len(seconds) != frames:
        problem = f"render.log reports {len(seconds)} frames, expected {frames}"
    return Run(
        seconds=sum(seconds),
        wall=wall,
        renders=renders,
        frame_seconds=seconds,
        problem=problem,
        first_frame=digest(pngs),
    )


def summary(runs: list[Run], frames: int) -> dict[str, Any]:
    """Medians over the repetitions of one method."""
    later = [statistics.median(r.frame_seconds[1:]) for r in runs if len(r.frame_seconds) > 1]
    return {
        "per_frame_s": statistics.median(r.seconds / frames for r in runs),
        "rendering_s": statistics.median(r.seconds for r in runs),
        "wall_s": statistics.median(r.wall for r in runs),
        "wall_per_frame_s": statistics.median(r.wall / frames for r in runs),
        "renders_per_frame": statistics.median(r.renders / frames for r in runs),
        "first_frame_s": (
            statistics.median(r.frame_seconds[0] for r in runs) if runs[0].frame_seconds else None
        ),
        "later_frame_median_s": statistics.median(later) if later else None,
        "frames_ok": all(not r.problem for r in runs),
    }


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size", type=parse_size, default=(960, 540), metavar="WxH")
    parser.add_argument("--frames", type=int, default=48, help="orbit frames (default 48)")
    parser.add_argument("--repeat", type=int, default=2, help="runs per method (median)")
    parser.add_argument(
        "--renderer",
        choices=sorted(RENDERER_MODES),
        default="gpu",
        help="volume renderer, moviec's name (default gpu: ParaView's 'GPU Based')",
    )
    parser.add_argument(
        "--json",
        type=Path,
        default=ROOT / "bench" / "results" / "render.json",
        metavar="FILE",
        help="machine-readable results (default: bench/results/render.json)",
    )
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    args = parser.parse_args()
    if args.frames < 2 or args.repeat < 1:
        parser.error("--frames must be at least 2 and --repeat at least 1")
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-render-"))
    work.mkdir(parents=True, exist_ok=True)
    try:
        benchmark(args, work)
    finally:
        if args.work is None:
            shutil.rmtree(work, ignore_errors=True)


def benchmark(args: argparse.Namespace, work: Path) -> None:
    """Run every method ``args.repeat`` times in ``work``; print and record the results."""
    began = time.monotonic()
    size, frames = args.size, args.frames
    h5, xdmf = make_data(work)
    info = paraview.probe()  # cached from here on, as after a first build on any machine
    mode = RENDERER_MODES[args.renderer]
    if args.renderer not in info.renderers:
        sys.exit(f"renderer {args.renderer} ({mode}) is not available in this ParaView")
    settings = work / "settings.json"
    shared = {
        "data": str(xdmf),
        "array": "T1",
        "size": list(size),
        "frames": frames,
        "renderer": mode,
        "colors": COLORS,
        "opacity": OPACITY,
        "background": BACKGROUND,
        "distance": DISTANCE,
        "view_angle": VIEW_ANGLE,
    }
    settings.write_text(json.dumps(shared, indent=1) + "\n", encoding="utf-8")
    scene = work / "orbit.toml"
    scene.write_text(scene_toml(h5, size, frames, args.renderer), encoding="utf-8")
    print(
        f"ParaView {info.version}, {mode}, {frames} frames of {size[0]}x{size[1]}, "
        f"{args.repeat} runs per method, in {work}",
        flush=True,
    )

    runs: dict[str, list[Run]] = {name: [] for name in METHODS}
    with xvfb() as display:
        env = {**os.environ, "DISPLAY": display}
        for repetition in range(args.repeat):
            # Rotate the order, so that no method always runs first (or after the same one).
            order = METHODS[repetition % 3 :] + METHODS[: repetition % 3]
            for name in order:
                out = work / f"run{repetition}" / name.split()[0]
                meter = CpuMeter()
                if name == "moviec build":
                    run = run_moviec(scene, out, env, frames, size)
                else:
                    run = run_seed(info.executable, name, settings, out, env, size)
                run.other_cpu = meter.other_cores()
                runs[name].append(run)
                others = "" if run.other_cpu is None else f", others {run.other_cpu:.2f} cores"
                print(
                    f"  run {repetition + 1} {name:<14} {run.seconds:7.1f} s rendering, "
                    f"{run.wall:7.1f} s wall, {run.renders / frames:.2f} renders/frame{others}"
                    + (f", FRAMES WRONG: {run.problem}" if run.problem else ""),
                    flush=True,
                )
                shutil.rmtree(out)

    medians = {name: summary(found, frames) for name, found in runs.items()}
    seed, animation, ours = (medians[name] for name in METHODS)
    ratios = {
        "moviec/seed": ours["per_frame_s"] / seed["per_frame_s"],
        "moviec/SaveAnimation": ours["per_frame_s"] / animation["per_frame_s"],
        "moviec/seed (wall)": ours["wall_s"] / seed["wall_s"],
        "moviec/SaveAnimation (wall)": ours["wall_s"] / animation["wall_s"],
    }
    met = {
        "moviec/seed": ratios["moviec/seed"] <= TARGET_SEED,
        "moviec/SaveAnimation": ratios["moviec/SaveAnimation"] <= TARGET_ANIMATION,
    }

    print(f"\nmedian of {args.repeat} runs; rendering = without pvbatch start-up and data load")
    print(
        f"{'method':<14} {'s/frame':>8} {'renders':>8} {'rendering s':>12} {'wall s':>8} "
        f"{'wall s/frame':>13} {'first s':>8} {'later s':>8}  frames"
    )
    for name, found in medians.items():
        first = found["first_frame_s"]
        later = found["later_frame_median_s"]
        print(
            f"{name:<14} {found['per_frame_s']:8.3f} {found['renders_per_frame']:8.2f} "
            f"{found['rendering_s']:12.1f} {found['wall_s']:8.1f} "
            f"{found['wall_per_frame_s']:13.3f} "
            f"{'-' if first is None else f'{first:.3f}':>8} "
            f"{'-' if later is None else f'{later:.3f}':>8}  "
            + (f"{frames} x {size[0]}x{size[1]} ok" if found["frames_ok"] else "WRONG")
        )
    print("(renders: per frame; first s: first frame, with the volume's upload; later s: median")
    print(" of the other frames' seconds, where the method reports them)")
    firsts = {r.first_frame for found in runs.values() for r in found}
    same = len(firsts) == 1
    print(
        "first frame (the same camera in all three): "
        + ("byte-identical in every run\n" if same else "DIFFERS between methods or runs\n")
    )
    for label, value in ratios.items():
        print(f"{label:<28} {value:5.2f}")
    print(
        f"\ntargets: moviec/seed {ratios['moviec/seed']:.2f} <= {TARGET_SEED}: "
        f"{'met' if met['moviec/seed'] else 'MISSED'}; moviec/SaveAnimation "
        f"{ratios['moviec/SaveAnimation']:.2f} <= {TARGET_ANIMATION}: "
        f"{'met' if met['moviec/SaveAnimation'] else 'MISSED'}"
    )
    best = {
        "moviec/seed": min(r.seconds for r in runs["moviec build"])
        / min(r.seconds for r in runs["seed loop"]),
        "moviec/SaveAnimation": min(r.seconds for r in runs["moviec build"])
        / min(r.seconds for r in runs["SaveAnimation"]),
    }
    print(
        f"best runs instead of medians: moviec/seed {best['moviec/seed']:.2f}, "
        f"moviec/SaveAnimation {best['moviec/SaveAnimation']:.2f}"
    )
    elapsed = time.monotonic() - began
    other = [r.other_cpu for found in runs.values() for r in found if r.other_cpu is not None]
    busy = f"; other processes used up to {max(other):.2f} cores during a run" if other else ""
    print(f"benchmark took {elapsed / 60:.1f} min{busy}")

    record = {
        "date": datetime.date.today().isoformat(),
        "command": shlex.join(["bench/bench_render.py", *sys.argv[1:]]),
        "cpu_count": os.cpu_count(),
        "max_other_cores": max(other) if other else None,
        "paraview": info.version,
        "renderer": mode,
        "size": list(size),
        "frames": frames,
        "repeat": args.repeat,
        "benchmark_s": elapsed,
        "median": medians,
        "ratios": ratios,
        "best_run_ratios": best,
        "targets_met": met,
        "first_frames_identical": same,
        "runs": {name: [asdict(r) for r in found] for name, found in runs.items()},
    }
    args.json.parent.mkdir(parents=True, exist_ok=True)
    args.json.write_text(json.dumps(record, indent=1) + "\n", encoding="utf-8")
    if not all(found["frames_ok"] for found in medians.values()):
        sys.exit("some method wrote wrong frames (see above)")


if __name__ == "__main__":
    main()
