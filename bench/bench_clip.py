"""Benchmark a clip sweep: the volume mapper's cropping planes vs re-filtering every frame.

    .venv/bin/python bench/bench_clip.py [--shape 256,1024,1024] [--frames 12]
        [--size 960x540] [--renderer "GPU Based"] [--work DIR]

Makes a synthetic uint8 volume (a smooth blob, default 256 x 1024 x 1024 = 256 MB) as HDF5
and renders, in one pvbatch each (same Xvfb, same camera, same transfer function), a clip
plane sweeping along x over ``--frames`` frames three ways:

1. no clip at all (the baseline: what a frame costs anyway);
2. moviec's way: the volume representation's cropping planes (``UseCropping``,
   ``CroppingOrigin``, ``CroppingScale``), moved every frame; nothing is re-filtered;
3. re-filtering: ParaView's ``ExtractSubset`` (VOI) filter on the reader, its extent moved
   every frame, so the mapper receives a new volume each frame.

It prints the first frame and the median of the other frames per method, and their ratio to
the baseline. Speed belongs here, not in tests.
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
from pathlib import Path

import h5py
import numpy as np

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))

from movie_compiler.render import paraview  # noqa: E402
from movie_compiler.render.xvfb import xvfb  # noqa: E402

PVSCRIPT = r"""
import json, sys, time
from paraview.simple import *
method, xdmf, frames, width, height, mode = sys.argv[1:7]
frames, width, height = int(frames), int(width), int(height)
reader = XDMFReader(FileNames=[xdmf])
reader.UpdatePipeline()
source = reader
extent = reader.GetDataInformation().GetExtent()
if method == "refilter":
    source = ExtractSubset(Input=reader)
    source.VOI = list(extent)
view = CreateRenderView()
view.ViewSize = [width, height]
view.OrientationAxesVisibility = 0
display = Show(source, view)
display.SetRepresentationType("Volume")
ColorBy(display, ("POINTS", "blob"))
display.VolumeRenderingMode = mode
lut = GetColorTransferFunction("blob")
lut.RGBPoints = [0, 0, 0, 0, 255, 1, 1, 1]
GetOpacityTransferFunction("blob").Points = [0, 0, 0.5, 0, 255, 0.5, 0.5, 0]
view.ResetCamera()
bounds = reader.GetDataInformation().GetBounds()
times = []
for frame in range(frames):
    started = time.monotonic()
    cut = extent[0] + (extent[1] - extent[0]) * frame // (2 * frames)
    if method == "crop":
        display.UseCropping = 1
        span = bounds[1] - bounds[0]
        low = bounds[0] + span * frame / (2 * frames)
        factor = (bounds[1] - low) / span
        display.CroppingOrigin = [low - bounds[0] * factor, 0.0, 0.0]
        display.CroppingScale = [factor, 1.0, 1.0]
    elif method == "refilter":
        source.VOI = [cut, extent[1], extent[2], extent[3], extent[4], extent[5]]
    Render(view)
    times.append(time.monotonic() - started)
print("RESULT " + json.dumps(times), flush=True)
"""

XDMF = """<?xml version="1.0" ?>
<Xdmf Version="2.0"><Domain><Grid Name="volume" GridType="Uniform">
<Topology TopologyType="3DCoRectMesh" Dimensions="{dims}"/>
<Geometry GeometryType="ORIGIN_DXDYDZ">
<DataItem Dimensions="3" NumberType="Float" Precision="8" Format="XML">0 0 0</DataItem>
<DataItem Dimensions="3" NumberType="Float" Precision="8" Format="XML">1 1 1</DataItem>
</Geometry>
<Attribute Name="blob" AttributeType="Scalar" Center="Node">
<DataItem Dimensions="{dims}" NumberType="UChar" Precision="1" Format="HDF">{h5}:/blob</DataItem>
</Attribute></Grid></Domain></Xdmf>
"""


def make_volume(folder: Path, shape: tuple[int, int, int]) -> Path:
    """A smooth blob, written slab by slab (a few hundred MB never sit in memory twice)."""
    h5 = folder / "blob.h5"
    z, y, x = shape
    yy, xx = np.meshgrid(np.linspace(-1, 1, y), np.linspace(-1, 1, x), indexing="ij")
    plane = (xx**2 + yy**2).astype(np.float32)
    with h5py.File(h5, "w") as file:
        data = file.create_dataset("blob", shape, dtype=np.uint8)
        for k in range(z):
            w = np.float32(np.linspace(-1, 1, z)[k] ** 2)
            data[k] = np.clip(255 * (1.0 - plane - w), 0, 255).astype(np.uint8)
    xdmf = folder / "blob.xdmf"
    xdmf.write_text(XDMF.format(dims=f"{z} {y} {x}", h5=h5), "utf-8")
    return xdmf


def run(method: str, xdmf: Path, args: argparse.Namespace, env: dict[str, str]) -> list[float]:
    script = Path(args.work) / "clip_bench_pv.py"
    script.write_text(PVSCRIPT, "utf-8")
    width, height = args.size.split("x")
    command = [
        paraview.probe().executable,
        str(script),
        method,
        str(xdmf),
        str(args.frames),
        width,
        height,
        args.renderer,
    ]
    out = subprocess.run(command, env=env, capture_output=True, text=True, check=True).stdout
    line = next(line for line in out.splitlines() if line.startswith("RESULT "))
    return [float(t) for t in json.loads(line[len("RESULT ") :])]


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[0])
    parser.add_argument("--shape", default="256,1024,1024")
    parser.add_argument("--frames", type=int, default=12)
    parser.add_argument("--size", default="960x540")
    parser.add_argument("--renderer", default="GPU Based")
    parser.add_argument("--work", default=None)
    args = parser.parse_args()
    shape = tuple(int(n) for n in args.shape.split(","))
    assert len(shape) == 3
    work = Path(args.work or tempfile.mkdtemp(prefix="moviec-clip-"))
    args.work = str(work)
    try:
        xdmf = make_volume(work, shape)  # type: ignore[arg-type]
        size_mb = np.prod(shape) / 1e6
        with xvfb() as display:
            env = {**os.environ, "DISPLAY": display}
            results = {m: run(m, xdmf, args, env) for m in ("none", "crop", "refilter")}
        base = statistics.median(results["none"][1:])
        print(
            f"clip sweep over {args.frames} frames, {shape} uint8 ({size_mb:.0f} MB), "
            f"{args.size}, {args.renderer}"
        )
        print(f"{'method':<10} {'first frame':>12} {'per frame':>10} {'vs no clip':>11}")
        for method, times in results.items():
            per = statistics.median(times[1:])
            print(f"{method:<10} {times[0]:>11.2f}s {per:>9.3f}s {per / base:>10.2f}x")
    finally:
        if args.work and not os.environ.get("KEEP"):
            shutil.rmtree(work, ignore_errors=True)
    return 0


if __name__ == "__main__":
    sys.exit(main())
