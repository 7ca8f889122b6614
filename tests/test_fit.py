"""Volumes that do not fit: OpenGL's 3D texture limit and memory, found before loading.

A volume of 8 x 2100 x 8 voxels has one axis longer than llvmpipe's 2048: ParaView's GPU
mapper aborts pvbatch on it (SIGABRT), in ``Smart`` mode too. These tests build it for real.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from movie_compiler.__main__ import main
from movie_compiler.render import gl
from movie_compiler.render.paraview import probe

pytestmark = pytest.mark.paraview

SCENE = """\
[movie]
resolution = [64, 64]
output = "movie.mp4"

[dataset]
path = "{data}"
array = "/v"
voxel_size = [1.0, 1.0, 1.0]
dtype = "uint8"

[volume]
renderer = {renderer}
colors = [[0, 0, 0, 0], [255, 1, 1, 1]]
opacity = [[0, 0], [255, 1]]

[camera]
position = [0.0, 0.0, 0.05]

[[shots]]
type = "orbit"
frames = 2
"""
"""Close to the long, thin volume, so that it fills the frame."""

WriteScene = Callable[..., Path]


@pytest.fixture(scope="module")
def long_h5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """8 slices of 2100 x 8 uint8, converted with `moviec convert` (a 1-level pyramid)."""
    folder = tmp_path_factory.mktemp("long")
    slices = folder / "slices"
    slices.mkdir()
    values = np.random.default_rng(11).integers(0, 256, size=(8, 2100, 8), dtype=np.uint8)
    for index, plane in enumerate(values):
        plane.tofile(slices / f"slice_{index}.raw")
    out = folder / "long.h5"
    args = ["--array", "/v", "--slice-shape", "2100,8", "--dtype", "uint8", "--levels", "1"]
    assert main(["-q", "convert", str(slices), "-o", str(out), *args]) == 0
    return out


@pytest.fixture
def write_scene(tmp_path: Path, long_h5: Path) -> WriteScene:
    def write(renderer: str = '"gpu"') -> Path:
        path = tmp_path / "scene.toml"
        path.write_text(SCENE.format(data=long_h5, renderer=renderer), encoding="utf-8")
        return path

    return write


def moviec(*args: str) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "movie_compiler", *args],
        capture_output=True,
        text=True,
        timeout=600,
        env=dict(os.environ),
    )


def render_log(cache: Path) -> str:
    return next(cache.glob("builds/*/render.log")).read_text("utf-8")


def test_this_opengl_has_the_limit_the_tests_rely_on() -> None:
    assert gl.limits(probe()).max_3d_texture == 2048  # Mesa's llvmpipe


def test_gpu_alone_stops_before_loading_with_the_ways_out(
    write_scene: WriteScene, tmp_path: Path
) -> None:
    scene = write_scene()
    cache = tmp_path / "c"
    result = moviec("build", str(scene), "--cache-dir", str(cache))
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        f"{scene}:12:12: volume.renderer: 'gpu' cannot draw 8 x 2100 x 8 voxels: OpenGL's 3D "
        "texture limit here is 2048 per axis, and a longer axis makes pvbatch abort; use "
        "dataset.level = 1 (4 x 1050 x 8), or dataset.subsample = [1, 2, 1], or "
        'renderer = "ray-cast" (or a list such as ["gpu", "ray-cast"]), or --mpi 2'
    ]
    assert not list(cache.glob("builds/*/render.log"))  # pvbatch never started


def test_smart_renders_with_the_cpu_ray_caster(write_scene: WriteScene, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    result = moviec("build", str(write_scene('"smart"')), "--cache-dir", str(cache))
    assert result.returncode == 0, result.stderr
    assert "moviec-start 2 Ray_Cast_Only" in render_log(cache)
    assert len(list(cache.glob("frames/*/*.png"))) == 2  # not blank: the build checks


def test_a_renderer_list_falls_back_past_gpu(write_scene: WriteScene, tmp_path: Path) -> None:
    cache = tmp_path / "c"
    scene = write_scene('["gpu", "ray-cast"]')
    result = moviec("build", str(scene), "--cache-dir", str(cache), "--no-encode")
    assert result.returncode == 0, result.stderr
    assert (
        f"warning: {scene}:12:12: volume.renderer: 'gpu' cannot hold 8 x 2100 x 8 voxels per "
        "rank (OpenGL's 3D texture limit is 2048); using 'ray-cast'"
    ) in result.stderr
    assert "moviec-start 2 Ray_Cast_Only" in render_log(cache)


def test_two_mpi_ranks_hold_half_each_and_render_with_the_gpu(
    write_scene: WriteScene, tmp_path: Path
) -> None:
    cache = tmp_path / "c"
    result = moviec("build", str(write_scene()), "--cache-dir", str(cache), "--mpi", "2")
    assert result.returncode == 0, result.stderr
    assert "moviec-start 2 GPU_Based" in render_log(cache)


def test_the_script_run_by_hand_refuses_instead_of_aborting(
    write_scene: WriteScene,
    tmp_path: Path,
    run_pvbatch: Callable[..., subprocess.CompletedProcess[str]],
) -> None:
    out = tmp_path / "compiled"
    assert moviec("compile", str(write_scene()), "-o", str(out)).returncode == 0
    result = run_pvbatch(out / "render.py", cwd=out, check=False)
    assert result.returncode == 3, result.stderr[-2000:]
    assert result.stderr.strip().splitlines()[-1] == (
        "moviec-error: volume renderer 'GPU Based' cannot hold a block of 8 x 2100 x 8 voxels: "
        "OpenGL's 3D texture limit is 2048 per axis; use a coarser level, the 'ray-cast' "
        "renderer, or more MPI ranks"
    )
    smart = tmp_path / "smart"
    assert moviec("compile", str(write_scene('"smart"')), "-o", str(smart)).returncode == 0
    done = run_pvbatch(smart / "render.py", "--frames", "0:1", cwd=smart)
    assert "moviec-start 1 Ray_Cast_Only" in done.stdout


def test_too_little_memory_stops_before_loading(write_scene: WriteScene, tmp_path: Path) -> None:
    """Frames of 8192 x 4352 pixels (the largest H.264 takes) need about 1.6 GiB per pvbatch;
    64 of them at once need more than this machine has (the available memory itself cannot be
    faked)."""
    scene = write_scene('"ray-cast"')
    result = moviec(
        "build", str(scene), "--cache-dir", str(tmp_path / "c"), "--jobs", "64",
        "--set", "movie.resolution=[8192, 4352]",
    )  # fmt: skip
    assert result.returncode == 3
    (line,) = result.stderr.strip().splitlines()
    pattern = (
        rf"{re.escape(str(scene))}:6:8: dataset\.path: rendering needs about 1\.6 GiB \(volume "
        r"0\.00, mapper 0\.00, frame 1\.2, ParaView 0\.43\) per pvbatch x 64 processes, but "
        r"this machine has \d+\.\d+ GiB available; use fewer --jobs"
    )
    assert re.fullmatch(pattern, line), line
