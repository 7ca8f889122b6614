"""`moviec build` end to end: real pvbatch on the MNI152 template, real ffmpeg, and the movie
checked with an independent decoder (PyAV).

Each build runs the command line as a user would, in a subprocess, with its own frame cache.
"""

from __future__ import annotations

import json
import os
import re
import signal
import subprocess
import sys
import time
from collections.abc import Callable
from pathlib import Path

import av
import numpy as np
import pytest

from movie_compiler.__main__ import main
from movie_compiler.config.load import load_scene
from movie_compiler.plan import plan

pytestmark = pytest.mark.paraview

SCENE = """\
[movie]
title = "test"
resolution = [{width}, {height}]
fps = 25
output = "movie.mp4"

[dataset]
path = "{data}"
array = "/T1"
voxel_size = [1.0, 1.0, 1.0]
unit = "mm"
subsample = [2, 2, 2]

[volume]
renderer = {renderer}
colors = [[0, 0, 0, 0], [140, 0.85, 0.45, 0.3], [205, 1, 0.95, 0.85], [255, 1, 1, 1]]
opacity = {opacity}
opacity_unit_distance = 0.008

[camera]
position = [-1.6, 1.2, 0.8]
view_up = [0, 0, 1]

[[shots]]
name = "orbit"
type = "orbit"
frames = {orbit}
easing = "{easing}"

[[shots]]
name = "closer"
type = "flight"
frames = 4
keyframes = [{{ at = 1, position = [1.2, 0.5, 0.3], focal_point = [0, 0, 0] }}]

[[shots]]
name = "rest"
type = "hold"
frames = 3
"""
OPACITY = "[[0, 0], [110, 0], [200, 0.5], [255, 0.9]]"

WriteScene = Callable[..., Path]


@pytest.fixture(scope="module")
def mni_h5(tmp_path_factory: pytest.TempPathFactory, mni_t1: np.ndarray) -> Path:
    """The template as raw axial slices, converted with `moviec convert` (2 pyramid levels)."""
    folder = tmp_path_factory.mktemp("mni")
    slices = folder / "slices"
    slices.mkdir()
    for z in range(mni_t1.shape[2]):
        np.ascontiguousarray(mni_t1[:, :, z].T).tofile(slices / f"slice_{z}.raw")
    out = folder / "mni.h5"
    code = main([
        "-q", "convert", str(slices), "-o", str(out), "--array", "/T1",
        "--slice-shape", "233,197", "--dtype", "uint8", "--voxel-size", "1,1,1", "--levels", "2",
    ])  # fmt: skip
    assert code == 0
    return out


@pytest.fixture
def write_scene(tmp_path: Path, mni_h5: Path) -> WriteScene:
    def write(name: str = "scene.toml", **values: object) -> Path:
        settings = {
            "width": 96, "height": 64, "data": str(mni_h5), "renderer": '"gpu"',
            "opacity": OPACITY, "orbit": 6, "easing": "linear",
        }  # fmt: skip
        settings.update(values)
        path = tmp_path / name
        path.write_text(SCENE.format(**settings), encoding="utf-8")
        return path

    return write


def moviec(*args: str, env: dict[str, str] | None = None) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "movie_compiler", *args],
        capture_output=True, text=True, timeout=600, env={**os.environ, **(env or {})},
    )  # fmt: skip


def render_log(cache: Path, name: str = "scene") -> Path:
    """The render log of the last build that rendered (build folders are named by scene and
    hash of the resolved scene)."""
    logs = sorted(cache.glob(f"builds/{name}-*/render.log"), key=lambda p: p.stat().st_mtime_ns)
    return logs[-1] if logs else cache / "builds" / "none" / "render.log"


def rendered(cache: Path, name: str = "scene") -> list[int]:
    """Frames the last build rendered, from its render log (one line per frame)."""
    log = render_log(cache, name)
    if not log.exists():
        return []
    found = re.findall(r"^moviec-frame (\d+) (\d+) ", log.read_text(), re.M)
    assert all(renders == "1" for _, renders in found), "a frame was rendered more than once"
    return [int(frame) for frame, _ in found]


def rendered_paths(cache: Path, name: str = "scene") -> list[str]:
    """The frame files (relative to the cache's frames folder) the last build rendered."""
    log = render_log(cache, name).read_text()
    return re.findall(r"^moviec-frame \d+ \d+ \S+ (\S+)$", log, re.M)


def running_commands() -> str:
    return subprocess.run(["ps", "-eo", "args"], capture_output=True, text=True).stdout


def wait_until(condition: Callable[[], bool], seconds: float) -> bool:
    deadline = time.monotonic() + seconds
    while not condition():
        if time.monotonic() > deadline:
            return False
        time.sleep(0.1)
    return True


def frame_files(cache: Path) -> dict[str, bytes]:
    """Finished frames (``NNNNNN.png``, not partial files) by path."""
    return {
        str(p.relative_to(cache)): p.read_bytes()
        for p in sorted(cache.glob("frames/*/*.png"))
        if re.fullmatch(r"\d{6}\.png", p.name)
    }


def decode(movie: Path) -> tuple[av.video.stream.VideoStream, list[np.ndarray]]:
    with av.open(str(movie)) as container:
        stream = container.streams.video[0]
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
        return stream, frames


def test_build_renders_encodes_and_records(write_scene: WriteScene, tmp_path: Path) -> None:
    scene = write_scene()
    cache = tmp_path / "cache"
    result = moviec("build", str(scene), "--cache-dir", str(cache))
    assert result.returncode == 0, result.stderr
    assert "13 frames, 0 cached, 11 to render, 2 repeated" in result.stderr

    # The hold's 3 frames share one camera: rendered once, each rendered frame exactly once.
    assert rendered(cache) == list(range(11))
    movie = tmp_path / "movie.mp4"
    with av.open(str(movie)) as container:
        stream = container.streams.video[0]
        assert (stream.codec_context.name, stream.width, stream.height) == ("h264", 96, 64)
        assert stream.codec_context.pix_fmt == "yuv420p"
        assert stream.average_rate == 25
        assert container.metadata["moviec_scene_sha256"] == load_scene(scene).digest
        frames = [f.to_ndarray(format="rgb24") for f in container.decode(stream)]
    assert len(frames) == plan(load_scene(scene).scene).frames == 13
    for frame in frames:  # the brain is there: far from one flat colour
        assert frame.std() > 10

    sidecar = json.loads((tmp_path / "movie.mp4.json").read_text())
    assert [s["frames"] for s in sidecar["shots"]] == [6, 4, 3]
    assert sidecar["software"]["paraview"]["version"].startswith("5.")


def test_an_unchanged_scene_renders_nothing(write_scene: WriteScene, tmp_path: Path) -> None:
    scene = write_scene()
    cache = tmp_path / "cache"
    assert moviec("build", str(scene), "--cache-dir", str(cache), "--no-encode").returncode == 0
    before = frame_files(cache)
    again = moviec("build", str(scene), "--cache-dir", str(cache))
    assert again.returncode == 0, again.stderr
    assert "13 frames, 13 cached, 0 to render, 0 repeated" in again.stderr
    assert frame_files(cache) == before
    movie = tmp_path / "movie.mp4"
    encoded = movie.stat().st_mtime_ns
    third = moviec("build", str(scene), "--cache-dir", str(cache))
    assert third.returncode == 0, third.stderr
    assert f"{movie} is up to date" in third.stderr
    assert movie.stat().st_mtime_ns == encoded


def test_what_changes_pixels_rerenders_and_nothing_else(
    write_scene: WriteScene, tmp_path: Path
) -> None:
    scene = write_scene()
    cache = tmp_path / "cache"
    assert moviec("build", str(scene), "--cache-dir", str(cache), "--no-encode").returncode == 0
    # The title is not in a frame: nothing renders.
    titled = moviec("build", str(scene), "--cache-dir", str(cache), "--no-encode",
                    "--set", 'movie.title="another"')  # fmt: skip
    assert "13 frames, 13 cached, 0 to render" in titled.stderr, titled.stderr
    # A voxel size changes the volume's shape on screen: everything renders again.
    stretched = moviec("build", str(scene), "--cache-dir", str(cache), "--no-encode",
                       "--set", "dataset.voxel_size=[2.0, 1.0, 1.0]")  # fmt: skip
    assert "13 frames, 0 cached, 11 to render, 2 repeated" in stretched.stderr, stretched.stderr


def test_concurrent_builds_of_one_scene_do_not_collide(
    write_scene: WriteScene, tmp_path: Path
) -> None:
    scene = write_scene(orbit=10)
    cache = tmp_path / "cache"

    def start(frames: int) -> subprocess.Popen[str]:
        return subprocess.Popen(
            [sys.executable, "-m", "movie_compiler", "build", str(scene), "--cache-dir",
             str(cache), "--set", f"shots[0].frames={frames}",
             "--set", f'movie.output="movie{frames}.mp4"'],
            stdout=subprocess.PIPE, stderr=subprocess.PIPE, text=True,
        )  # fmt: skip

    builds = [start(10), start(11)]
    for process in builds:
        _, err = process.communicate(timeout=600)
        assert process.returncode == 0, err
    for frames in (10, 11):
        _, decoded = decode(tmp_path / f"movie{frames}.mp4")
        assert len(decoded) == frames + 7


def test_editing_one_shot_rerenders_only_that_shot(write_scene: WriteScene, tmp_path: Path) -> None:
    cache = tmp_path / "cache"
    assert (
        moviec("build", str(write_scene()), "--cache-dir", str(cache), "--no-encode").returncode
        == 0
    )
    first = frame_files(cache)
    # An eased 360-degree orbit ends where the linear one did: the next shots keep their keys.
    edited = write_scene(easing="ease-in-out")
    result = moviec("build", str(edited), "--cache-dir", str(cache), "--no-encode")
    assert result.returncode == 0, result.stderr
    assert rendered(cache) == [0, 1, 2, 3, 4, 5]
    after = frame_files(cache)
    unchanged = {k: v for k, v in after.items() if k in first}
    assert len(after) == len(first) + 6  # one new shot folder of 6 frames
    assert unchanged == {k: first[k] for k in unchanged}


@pytest.mark.parametrize("ranks", ["1", "2"])
def test_an_interrupted_build_resumes_to_identical_frames(
    write_scene: WriteScene, tmp_path: Path, ranks: str
) -> None:
    """kill -9 of moviec mid-render, serial or under mpiexec: nothing of the render outlives
    it, and the next build completes the frames to exactly those of an uninterrupted one."""
    scene = write_scene(orbit=40, width=160, height=96)
    reference = tmp_path / "reference"
    options = ("--no-encode", "--mpi", ranks)
    assert moviec("build", str(scene), "--cache-dir", str(reference), *options).returncode == 0

    cache = tmp_path / "cache"
    process = subprocess.Popen(
        [sys.executable, "-m", "movie_compiler", "build", str(scene), "--cache-dir", str(cache),
         *options],
        stdout=subprocess.DEVNULL, stderr=subprocess.DEVNULL,
    )  # fmt: skip
    deadline = time.monotonic() + 300
    while len(frame_files(cache)) < 8:
        assert process.poll() is None and time.monotonic() < deadline
        time.sleep(0.05)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    finished = set(frame_files(cache))  # what the killed run completed, by its files
    assert 8 <= len(finished) < 45
    # pvbatch is told to die with moviec (it prints a stack trace first, which takes a moment)
    assert wait_until(lambda: str(cache) not in running_commands(), seconds=20)

    result = moviec("build", str(scene), "--cache-dir", str(cache), *options)
    assert result.returncode == 0, result.stderr
    second = {f"frames/{path}" for path in rendered_paths(cache)}
    assert not finished & second, "a frame was rendered twice"
    assert not list(cache.glob("frames/*/*.partial*"))
    assert frame_files(cache) == frame_files(reference)


def test_frames_range_then_force(write_scene: WriteScene, tmp_path: Path) -> None:
    scene = write_scene()
    cache = tmp_path / "cache"
    partial = moviec("build", str(scene), "--cache-dir", str(cache), "--frames", "2:5")
    assert partial.returncode == 0, partial.stderr
    assert rendered(cache) == [2, 3, 4]
    assert "10 of 13 frames still missing; not encoding" in partial.stderr
    assert not (tmp_path / "movie.mp4").exists()
    forced = moviec("build", str(scene), "--cache-dir", str(cache), "--frames", "3:4", "--force")
    assert forced.returncode == 0, forced.stderr
    assert rendered(cache) == [3]


def test_the_draft_profile_writes_its_own_smaller_movie(
    write_scene: WriteScene, tmp_path: Path
) -> None:
    scene = write_scene(width=192, height=128)
    result = moviec("build", str(scene), "--cache-dir", str(tmp_path / "c"), "--profile", "draft")
    assert result.returncode == 0, result.stderr
    assert not (tmp_path / "movie.mp4").exists()
    stream, frames = decode(tmp_path / "movie.draft.mp4")
    assert (stream.width, stream.height) == (96, 64)
    assert stream.average_rate == 12.5  # every second frame, same duration
    assert len(frames) == 7  # frames 0, 2, ..., 12 of 13


def test_mpi_ranks_render_the_same_movie_under_their_own_key(
    write_scene: WriteScene, tmp_path: Path
) -> None:
    """`--mpi 2`: ParaView splits the volume between two ranks and composites their images.
    The frames match a serial build's up to compositing (measured: 0.3 of 255 levels on
    average) and are cached under their own key."""
    scene = write_scene(width=160, height=96)
    cache = tmp_path / "cache"
    serial = moviec("build", str(scene), "--cache-dir", str(cache), "--no-encode")
    assert serial.returncode == 0, serial.stderr
    serial_paths = rendered_paths(cache)

    parallel = moviec("build", str(scene), "--cache-dir", str(cache), "--mpi", "2")
    assert parallel.returncode == 0, parallel.stderr
    assert "13 frames, 0 cached, 11 to render, 2 repeated" in parallel.stderr
    assert re.match(r"# job 0: \S*mpiexec -n 2 ", render_log(cache).read_text())
    assert rendered(cache) == list(range(11))
    mpi_paths = rendered_paths(cache)
    assert not set(mpi_paths) & set(serial_paths)  # a key of their own

    stream, frames = decode(tmp_path / "movie.mp4")
    assert (stream.width, stream.height, len(frames)) == (160, 96, 13)
    for ours, theirs in zip(mpi_paths, serial_paths, strict=True):
        mpi_frame = decode(cache / "frames" / ours)[1][0]  # a PNG decodes as one frame
        serial_frame = decode(cache / "frames" / theirs)[1][0]
        assert mpi_frame.shape == (96, 160, 3)
        assert mpi_frame.std() > 10  # the brain is there
        assert np.abs(mpi_frame.astype(int) - serial_frame.astype(int)).mean() < 1.5
    sidecar = json.loads((tmp_path / "movie.mp4.json").read_text())
    assert sidecar["software"]["paraview"]["mpi_ranks"] == 2

    again = moviec("build", str(scene), "--cache-dir", str(cache), "--mpi", "2")
    assert "13 frames, 13 cached, 0 to render" in again.stderr, again.stderr


RunPvbatch = Callable[..., subprocess.CompletedProcess[str]]


def test_a_compiled_script_run_by_hand_renders_the_movies_frames(
    write_scene: WriteScene, tmp_path: Path, run_pvbatch: RunPvbatch
) -> None:
    """`moviec compile` then `pvbatch render.py --frames 0:6` as the docs say: with a frame
    step of 2 that is frames 0, 2 and 4, each rendered once."""
    out = tmp_path / "compiled"
    result = moviec("compile", str(write_scene()), "-o", str(out), "--set", "movie.frame_step=2")
    assert result.returncode == 0, result.stderr
    assert (out / "dataset.xdmf").exists()
    done = run_pvbatch(out / "render.py", "--frames", "0:6", cwd=out)
    lines = [line.split() for line in done.stdout.splitlines() if line.startswith("moviec-frame")]
    assert [(int(f), int(r)) for _, f, r, _, _ in lines] == [(0, 1), (2, 1), (4, 1)]
    assert sorted(p.name for p in out.glob("frames/*/*.png")) == [
        "000000.png",
        "000002.png",
        "000004.png",
    ]


# -- clear failures -------------------------------------------------------------------------


def test_missing_paraview(write_scene: WriteScene, tmp_path: Path) -> None:
    result = moviec(
        "build", str(write_scene()), "--cache-dir", str(tmp_path / "c"),
        env={"MOVIEC_PVBATCH": str(tmp_path / "no-pvbatch")},
    )  # fmt: skip
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        f"MOVIEC_PVBATCH={tmp_path / 'no-pvbatch'} is not an executable file (point it at "
        "pvbatch, or unset it to use pvbatch from PATH)"
    ]


def test_missing_dataset(write_scene: WriteScene, tmp_path: Path) -> None:
    scene = write_scene(data=str(tmp_path / "absent.h5"))
    result = moviec("build", str(scene), "--cache-dir", str(tmp_path / "c"))
    assert result.returncode == 2
    assert result.stderr.strip().splitlines() == [
        f"{scene}:8:8: dataset.path: {tmp_path / 'absent.h5'}: no such file"
    ]


def test_an_unavailable_renderer_stops_the_build(write_scene: WriteScene, tmp_path: Path) -> None:
    scene = write_scene(renderer='"ospray"')
    result = moviec("build", str(scene), "--cache-dir", str(tmp_path / "c"))
    assert result.returncode == 3
    assert result.stderr.strip().splitlines() == [
        f"{scene}:15:12: volume.renderer: 'ospray' not available in ParaView 5.11.0 (it has: "
        "smart, gpu, ray-cast); choose one of those, or list fallbacks such as "
        '["ospray", "gpu"]'
    ]
    assert not (tmp_path / "c" / "frames").exists() or not list(
        (tmp_path / "c").glob("frames/*/*.png")
    )


def test_a_renderer_list_falls_back(write_scene: WriteScene, tmp_path: Path) -> None:
    scene = write_scene(renderer='["ospray", "ray-cast"]')
    cache = tmp_path / "c"
    result = moviec("build", str(scene), "--cache-dir", str(cache), "--frames", "0:1")
    assert result.returncode == 0, result.stderr
    assert "warning: renderer 'ospray' is not available; using 'ray-cast'" in result.stderr
    assert "moviec-start 1 Ray_Cast_Only" in render_log(cache).read_text()


def test_blank_frames_stop_the_build(write_scene: WriteScene, tmp_path: Path) -> None:
    # so faint that nothing shows, though the state does not hide the volume (an opacity of 0
    # everywhere is a deliberate blank: the script lets it pass)
    scene = write_scene(opacity="[[0, 0], [255, 1e-9]]")
    cache = tmp_path / "c"
    result = moviec("build", str(scene), "--cache-dir", str(cache))
    assert result.returncode == 3
    assert result.stderr.strip().splitlines()[-1] == (
        "frame 0 is blank (one colour everywhere): renderer 'GPU Based' drew nothing; pass "
        "--allow-blank if the scene means it"
    )
    assert not list(cache.glob("frames/*/*.png"))
    assert not (tmp_path / "movie.mp4").exists()
