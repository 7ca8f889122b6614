"""Benchmark ``moviec convert`` against the seed's h5py loop and against ``cat``.

    .venv/bin/python bench/bench_convert.py [--size-mb 512] [--slice 4096] [--work DIR]

In one run, on a generated stack of raw uint8 slices (tiles of the MNI152 template):

1. throughput of ``cat SLICES > one.raw`` (the disk's own limit), the seed's h5py loop,
   ``moviec convert`` without and with a 2-level pyramid, and with gzip; every run starts with
   the inputs evicted from the page cache and ends with its output synced to disk, and is
   timed as a whole process (start-up included);
2. peak memory (max RSS) of each run, and of a conversion of half the slices, to show that it
   does not grow with the number of slices;
3. pvbatch load time of a 4x in-plane subsample: the seed's hyperslab vs the pyramid level
   (the file evicted from the page cache before each load; best of three).

Targets: convert with the pyramid >= 0.8x cat; the pyramid level loads >= 5x faster.
"""

from __future__ import annotations

import argparse
import importlib.util
import json
import os
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

MNI = "datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"
MOVIEC = [sys.executable, "-m", "movie_compiler"]

SEED_LOOP = """
import sys, glob, os
import h5py
import numpy as np
folder, out, rows, cols = sys.argv[1], sys.argv[2], int(sys.argv[3]), int(sys.argv[4])
files = glob.glob(folder + "/*.raw")
fout = h5py.File(out, "w")
dset = fout.create_dataset("PLI", (len(files), rows, cols), dtype=np.uint8)
for i, name in enumerate(sorted(files)):
    with open(name, "rb") as fin:
        v = np.fromfile(fin, dtype=np.uint8, count=rows * cols)
    dset[i, :, :] = v.reshape(1, rows, cols)
fout.close()
fd = os.open(out, os.O_RDONLY); os.fsync(fd); os.close(fd)
"""

LOAD = """
import json, os, sys, time
from paraview.simple import Delete, XDMFReader
h5, files, repeats = sys.argv[1], sys.argv[2:-1], int(sys.argv[-1])
def evict(path):
    fd = os.open(path, os.O_RDONLY)
    os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
    os.close(fd)
out = {name: [] for name in files}
for _ in range(repeats):
    for name in files:
        evict(h5)
        started = time.perf_counter()
        reader = XDMFReader(FileNames=[name])
        reader.UpdatePipeline()
        out[name].append(time.perf_counter() - started)
        extent = reader.GetDataInformation().GetExtent()
        Delete(reader)
print(json.dumps({"times": out, "extent": list(extent)}))
"""


def mni() -> np.ndarray:
    import nibabel

    spec = importlib.util.find_spec("nilearn")
    if spec is None or spec.origin is None:
        sys.exit("nilearn is not installed (it carries the MNI152 template)")
    return np.asarray(nibabel.load(Path(spec.origin).parent / MNI).dataobj)


def make_stack(folder: Path, slices: int, side: int) -> list[Path]:
    """``slices`` raw slices of side x side, tiled from successive MNI slices."""
    volume = mni()
    folder.mkdir(parents=True, exist_ok=True)
    files = []
    for index in range(slices):
        plane = volume[20 + index % (volume.shape[0] - 40)]
        reps = (-(-side // plane.shape[0]), -(-side // plane.shape[1]))
        tile = np.ascontiguousarray(np.tile(plane, reps)[:side, :side])
        path = folder / f"slice_{index}.raw"
        tile.tofile(path)
        files.append(path)
    return files


def evict(paths: list[Path]) -> None:
    os.sync()
    for path in paths:
        fd = os.open(path, os.O_RDONLY)
        os.posix_fadvise(fd, 0, 0, os.POSIX_FADV_DONTNEED)
        os.close(fd)


def run(command: list[str], inputs: list[Path]) -> tuple[float, float]:
    """Run a command with cold inputs; return (seconds, peak RSS in MB).

    GNU time measures the peak: a child forked from this (large) process would inherit its
    RSS high-water mark.
    """
    evict(inputs)
    with tempfile.NamedTemporaryFile("r") as report:
        started = time.perf_counter()
        done = subprocess.run(["/usr/bin/time", "-f", "%M", "-o", report.name, *command])
        seconds = time.perf_counter() - started
        if done.returncode:
            sys.exit(f"{command[:4]} failed with exit code {done.returncode}")
        return seconds, int(report.read().split()[-1]) / 1024


def main() -> None:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("--size-mb", type=int, default=512)
    parser.add_argument("--slice", type=int, default=4096, help="slice side in voxels")
    parser.add_argument("--rounds", type=int, default=3, help="best of this many runs")
    parser.add_argument("--work", type=Path, help="working folder (default: a temporary one)")
    args = parser.parse_args()
    work = args.work or Path(tempfile.mkdtemp(prefix="bench-convert-"))
    side = args.slice
    slices = max(2, args.size_mb * 1_000_000 // (side * side))
    files = make_stack(work / "raw", slices, side)
    mb = slices * side * side / 1e6
    print(f"stack: {slices} slices of {side} x {side} uint8 = {mb:.0f} MB in {work}")
    half = work / "half"
    half.mkdir(exist_ok=True)
    for path in files[: slices // 2]:
        os.link(path, half / path.name)

    shape = f"{side},{side}"
    convert = [*MOVIEC, "-q", "convert", "--slice-shape", shape, "--dtype", "uint8", "--force"]
    names = " ".join(f'"{p}"' for p in files)
    runs: dict[str, tuple[list[str], Path]] = {
        "cat": (
            ["sh", "-c", f"cat {names} > {work}/cat.raw && sync {work}/cat.raw"],
            work / "cat.raw",
        ),
        "seed h5py loop": (
            [
                sys.executable,
                "-c",
                SEED_LOOP,
                str(work / "raw"),
                str(work / "seed.h5"),
                str(side),
                str(side),
            ],
            work / "seed.h5",
        ),
        "moviec convert": (
            [*convert, str(work / "raw"), "-o", str(work / "plain.h5")],
            work / "plain.h5",
        ),
        "moviec convert --levels 2": (
            [
                *convert,
                str(work / "raw"),
                "-o",
                str(work / "pyr.h5"),
                "--levels",
                "2",
                "--array",
                "/PLI",
            ],
            work / "pyr.h5",
        ),
        "moviec convert --levels 2 --compression gzip": (
            [
                *convert,
                str(work / "raw"),
                "-o",
                str(work / "gz.h5"),
                "--levels",
                "2",
                "--compression",
                "gzip",
            ],
            work / "gz.h5",
        ),
        "(half the slices) --levels 2": (
            [*convert, str(half), "-o", str(work / "half.h5"), "--levels", "2"],
            work / "half.h5",
        ),
    }
    times: dict[str, list[float]] = {name: [] for name in runs}
    peaks: dict[str, list[float]] = {name: [] for name in runs}
    startup: list[float] = []
    for _ in range(args.rounds):
        startup.append(run([*MOVIEC, "--version"], [])[0])
        for name, (command, output) in runs.items():
            output.unlink(missing_ok=True)
            seconds, rss = run(command, files)
            times[name].append(seconds)
            peaks[name].append(rss)
    start_s = min(startup)
    results = {}
    for name in runs:
        size = mb / 2 if name.startswith("(half") else mb
        seconds = min(times[name])
        python = name.startswith(("moviec", "(half"))  # the seed loop starts faster
        results[name] = {
            "seconds": seconds,
            "all_seconds": times[name],
            "mb_per_s": size / seconds,
            "mb_per_s_after_startup": size / (seconds - start_s) if python else size / seconds,
            "peak_rss_mb": max(peaks[name]),
        }
    cat = results["cat"]["mb_per_s"]
    print(f"best of {args.rounds} rounds; moviec start-up (moviec --version) {start_s:.2f} s")
    print(f"\n{'run':<46} {'s':>6} {'MB/s':>6} {'x cat':>6} {'x cat*':>7} {'peak MB':>8}")
    for name, found in results.items():
        print(
            f"{name:<46} {found['seconds']:6.2f} {found['mb_per_s']:6.0f} "
            f"{found['mb_per_s'] / cat:6.2f} {found['mb_per_s_after_startup'] / cat:7.2f} "
            f"{found['peak_rss_mb']:8.0f}"
        )
    print("* x cat*: moviec's start-up (imports, a fixed cost) left out of moviec's runs")
    baseline = run([*MOVIEC, "--version"], [])[1]
    slice_mb = side * side / 1e6
    peak = results["moviec convert --levels 2"]["peak_rss_mb"]
    print(
        f"peak memory above start-up ({baseline:.0f} MB): {peak - baseline:.0f} MB = "
        f"{(peak - baseline) / slice_mb:.1f} slices of {slice_mb:.0f} MB "
        f"(half the slices: {results['(half the slices) --levels 2']['peak_rss_mb']:.0f} MB)"
    )

    # pvbatch: the seed's hyperslab vs the pyramid level, both 4x in-plane.
    h5 = work / "pyr.h5"
    for name, extra in (("hyperslab", ["--subsample", "1,4,4"]), ("level", ["--level", "2"])):
        subprocess.run(
            [
                *MOVIEC,
                "-q",
                "xdmf",
                str(h5),
                "-o",
                str(work / f"{name}.xdmf"),
                "--voxel-size",
                "1,1,1",
                *extra,
            ],
            check=True,
        )
    script = work / "load.py"
    script.write_text(LOAD)
    pvbatch = os.environ.get("MOVIEC_PVBATCH") or shutil.which("pvbatch") or "pvbatch"
    with xvfb() as display:
        done = subprocess.run(
            [
                pvbatch,
                str(script),
                str(h5),
                str(work / "hyperslab.xdmf"),
                str(work / "level.xdmf"),
                str(args.rounds),
            ],
            env={**os.environ, "DISPLAY": display},
            capture_output=True,
            text=True,
            check=True,
        )
    loads = json.loads(done.stdout.strip().splitlines()[-1])["times"]
    slab = min(loads[str(work / "hyperslab.xdmf")])
    level = min(loads[str(work / "level.xdmf")])
    print(f"\npvbatch load of a 4x in-plane subsample ({slices} x {side // 4} x {side // 4}):")
    print(f"  hyperslab (seed) {slab:6.3f} s")
    print(f"  pyramid level 2  {level:6.3f} s   {slab / level:.1f}x faster")
    ratio = results["moviec convert --levels 2"]["mb_per_s"] / cat
    steady = results["moviec convert --levels 2"]["mb_per_s_after_startup"] / cat
    print(
        f"\ntargets: convert with pyramid {ratio:.2f}x cat ({steady:.2f}x without start-up; "
        f">= 0.8), level load {slab / level:.1f}x faster (>= 5)"
    )
    record = {
        "stack_mb": mb,
        "slices": slices,
        "side": side,
        "rounds": args.rounds,
        "startup_s": start_s,
        "runs": results,
        "baseline_rss_mb": baseline,
        "load_hyperslab_s": loads[str(work / "hyperslab.xdmf")],
        "load_level_s": loads[str(work / "level.xdmf")],
    }
    out = ROOT / "bench" / "results"
    out.mkdir(parents=True, exist_ok=True)
    (out / "convert.json").write_text(json.dumps(record, indent=1) + "\n")
    if args.work is None:
        shutil.rmtree(work)


if __name__ == "__main__":
    main()
