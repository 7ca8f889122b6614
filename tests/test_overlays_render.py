"""Overlays and transitions end to end: `moviec build` with real pvbatch, the frames and the
movie read back (PNG frames with PyAV, the movie with PyAV).

The volume is a box of known size (80 x 40 x 20 voxels of 0.5 mm: 40 mm along x, the longest
axis, so one normalised unit is 40 mm), seen from above in orthographic projection.
"""

from __future__ import annotations

import os
import re
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any

import av
import h5py
import numpy as np
import pytest
from conftest import toml_document

pytestmark = pytest.mark.paraview

BACKGROUND = [0.0, 0.0, 0.0]
UNIT_LENGTH = 80 * 0.5
"""Millimetres per normalised unit: the longest side, 80 voxels of 0.5 mm."""

Build = Callable[..., tuple[Path, str]]


@pytest.fixture(scope="module")
def box_h5(tmp_path_factory: pytest.TempPathFactory) -> Path:
    """A bright box inside a dark volume of 20 x 40 x 80 voxels (z, y, x)."""
    path = tmp_path_factory.mktemp("box") / "box.h5"
    volume = np.zeros((20, 40, 80), np.uint8)
    volume[4:16, 8:32, 10:70] = 200
    with h5py.File(path, "w") as file:
        file["/V"] = volume
    return path


def scene(data: Path, **tables: Any) -> dict[str, Any]:
    base: dict[str, Any] = {
        "movie": {"resolution": [320, 180], "fps": 10, "background": BACKGROUND,
                  "output": "movie.mp4"},
        "dataset": {"path": str(data), "array": "/V", "voxel_size": [0.5, 0.5, 0.5],
                    "unit": "mm", "orientation": "RAS"},
        "volume": {"renderer": "gpu", "colors": [[0, 0, 0, 0], [255, 1.0, 0.5, 0.2]],
                   "opacity": [[0, 0], [100, 0], [255, 0.9]]},
        "camera": {"position": [0.0, 0.0, 2.0], "view_up": [0.0, 1.0, 0.0],
                   "projection": "orthographic", "parallel_scale": 0.6},
        "shots": [{"name": "turn", "type": "orbit", "frames": 3, "degrees": 30},
                  {"name": "rest", "type": "hold", "frames": 3}],
    }  # fmt: skip
    for name, value in tables.items():
        base[name] = {**base.get(name, {}), **value} if isinstance(value, dict) else value
    return base


@pytest.fixture
def build(tmp_path: Path, display: str, box_h5: Path) -> Build:
    """Write the scene (merged tables) and build it; return the movie and moviec's log."""

    def run(*args: str, **tables: Any) -> tuple[Path, str]:
        path = tmp_path / "scene.toml"
        path.write_text(toml_document(scene(box_h5, **tables)), encoding="utf-8")
        result = subprocess.run(
            [sys.executable, "-m", "movie_compiler", "build", str(path), *args],
            capture_output=True, text=True, timeout=600,
            env={**os.environ, "DISPLAY": display},
        )  # fmt: skip
        assert result.returncode == 0, result.stderr
        return tmp_path / "movie.mp4", result.stderr

    return run


def frame(tmp_path: Path, shot: str, number: int) -> np.ndarray:
    """A rendered frame of the last build, by shot name and frame number in the shot."""
    plans = sorted((tmp_path / ".moviec" / "builds").glob("*/plan.json"), key=os.path.getmtime)
    text = plans[-1].read_text("utf-8")
    folder = re.search(rf'"name": "{shot}", .*"dir": "(\w+)"', text)
    assert folder is not None
    path = tmp_path / ".moviec" / "frames" / folder.group(1) / f"{number:06d}.png"
    return read_image(path)


def read_image(path: Path) -> np.ndarray:
    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")


def decode(movie: Path) -> list[np.ndarray]:
    with av.open(str(movie)) as container:
        return [f.to_ndarray(format="rgb24") for f in container.decode(video=0)]


def counts(log: str) -> tuple[int, int]:
    """(frames to render, repeated) from the build's log line."""
    found = re.search(r"(\d+) to render, (\d+) repeated", log)
    assert found is not None, log
    return int(found.group(1)), int(found.group(2))


def bar_runs(image: np.ndarray) -> list[tuple[int, int, int]]:
    """(row, first column, length) of the longest run of white pixels in each row that has
    one of at least 10 pixels."""
    white = (image >= 250).all(axis=2)
    runs = []
    for row in range(image.shape[0]):
        columns = np.flatnonzero(white[row])
        if len(columns) < 10:
            continue
        breaks = np.flatnonzero(np.diff(columns) != 1)
        starts = np.concatenate([[0], breaks + 1])
        ends = np.concatenate([breaks, [len(columns) - 1]])
        lengths = ends - starts + 1
        best = int(np.argmax(lengths))
        if lengths[best] >= 10:
            runs.append((row, int(columns[starts[best]]), int(lengths[best])))
    return runs


@pytest.mark.parametrize(("width", "height"), [(640, 360), (1280, 720)])
def test_the_scale_bar_is_its_length_in_pixels(
    build: Build, tmp_path: Path, width: int, height: int
) -> None:
    """10 mm is 10 / 40 normalised units; in orthographic projection one unit is
    height / (2 * parallel_scale) pixels. The volume is hidden: only the bar is white."""
    hidden = {"opacity": [[0, 0.0], [255, 0.0]]}
    bar = {"scale_bar": {"label": False}}
    build(
        movie={"resolution": [width, height]},
        volume=hidden,
        shots=[{"type": "hold", "frames": 1}],
        overlays=bar,
    )
    image = frame(tmp_path, "shot-1", 0)
    runs = bar_runs(image)
    assert runs, "no bar drawn"
    expected = 10.0 / UNIT_LENGTH * height / (2 * 0.6)  # the nice length chosen: 10 mm
    lengths = {length for _, _, length in runs}
    assert lengths == {round(expected)}, (lengths, expected)
    thickness = len(runs)
    assert thickness == round(0.008 * height)
    first_row = min(row for row, _, _ in runs)
    assert first_row > height / 2  # lower left: rows count from the top
    assert all(column == round(0.02 * height) for _, column, _ in runs)


def test_legend_title_stamp_and_labels_are_drawn(build: Build, tmp_path: Path) -> None:
    overlays = {
        "legend": {"position": "upper_right", "unit": "a.u."},
        "title": {"text": "BOX", "seconds": 0.0, "position": "upper_center", "fade": 0.0},
        "orientation": {"axes": False},
    }
    build(overlays=overlays)
    with_all = frame(tmp_path, "turn", 0)
    height, width = with_all.shape[:2]
    legend = with_all[: height // 2, int(width * 0.8) :]
    assert (legend != 0).any(axis=2).mean() > 0.02, "the legend's region is background"
    build()
    plain = frame(tmp_path, "turn", 0)
    title_region = (slice(0, height // 6), slice(width // 3, 2 * width // 3))
    assert (plain[title_region] == 0).all()  # background without the title
    assert (with_all[title_region] != plain[title_region]).any(axis=2).sum() > 20
    # The anatomical labels: the right side shows R (x grows to the right, seen from +z).
    right = with_all[height // 3 : 2 * height // 3, int(width * 0.75) : int(width * 0.85)]
    assert (right != 0).any(axis=2).sum() > 10


def test_fades_and_crossfades_reuse_the_rendered_frames(build: Build, tmp_path: Path) -> None:
    movie, log = build()
    assert counts(log)[0] == 4  # 3 orbit frames, the hold once
    plain = decode(movie)
    shots = scene(Path("unused"))["shots"]
    shots[1]["crossfade"] = 2
    fades = {"fade_in": {"frames": 2, "color": [1.0, 0.0, 0.0]}, "fade_out": {"frames": 2}}
    movie, log = build(shots=shots, transitions=fades)
    assert counts(log) == (0, 0)  # nothing rendered again
    faded = decode(movie)
    assert len(plain) == 6 and len(faded) == 6 - 2
    first, last = faded[0].astype(int), faded[-1].astype(int)
    assert np.abs(first - [255, 0, 0]).max() <= 4  # the fade's first frame is its colour
    assert np.abs(last).max() <= 4  # the last frame is black
    blended = sorted((tmp_path / ".moviec" / "transitions").glob("*.png"))
    assert len(blended) == 4  # every frame of this short movie is a blend: 2 fade in, 2 out


def test_editing_a_caption_renders_only_its_shot(build: Build, tmp_path: Path) -> None:
    def caption(text: str) -> dict[str, Any]:
        return {"captions": [{"shot": "rest", "text": text, "fade": 0.0}]}

    _, log = build(overlays=caption("first"))
    assert counts(log) == (4, 2)
    before = frame(tmp_path, "rest", 0)
    _, log = build(overlays=caption("second, longer"))
    assert counts(log) == (1, 2)  # the hold: one state, rendered once; the orbit is cached
    after = frame(tmp_path, "rest", 0)
    lower = slice(int(after.shape[0] * 0.8), None)
    assert (before[lower] != after[lower]).any()
