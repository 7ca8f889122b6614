"""Animated frame states on real pvbatch: fades, clip sweeps, boxes and transfer-function
keyframes, with the frames checked pixel by pixel (the MNI152 template, 2 mm level)."""

from __future__ import annotations

import itertools
import json
import math
from pathlib import Path

import numpy as np
import pytest
from conftest import build_scene, read_rgb

pytestmark = pytest.mark.paraview

BACKGROUND = (0.0, 0.0, 0.0)
SCENE = """\
[movie]
resolution = [160, 160]
fps = 25
background = [0.0, 0.0, 0.0]
output = "movie.mp4"

[dataset]
path = "{data}"
array = "/PLI"
voxel_size = [1.0, 1.0, 1.0]
unit = "mm"
subsample = [1, 4, 4]

[volume]
renderer = ["gpu", "ray-cast"]
colors = {colors}
opacity = [[0, 0], [60, 0], [200, 0.6], [255, 0.9]]
opacity_unit_distance = 0.01
{volume}

[camera]                              # looking down the z axis: x to the right, y up
position = [0.0, 0.0, 2.2]
view_up = [0.0, 1.0, 0.0]

[[shots]]
type = "hold"
frames = {frames}
keyframes = {keyframes}
"""


COLORS = "[[0, 0, 0, 0], [140, 0.85, 0.45, 0.3], [205, 1, 0.95, 0.85], [255, 1, 1, 1]]"


def build(
    tmp_path: Path, data: Path, volume: str, keyframes: str, frames: int, colors: str = COLORS
) -> list[np.ndarray]:
    """Build the scene (frames and movie) and return its frames as RGB arrays."""
    scene = tmp_path / "scene.toml"
    text = SCENE.format(data=data, volume=volume, keyframes=keyframes, frames=frames, colors=colors)
    scene.write_text(text, "utf-8")
    cache = tmp_path / "cache"
    build_scene(scene, cache)
    sidecar = json.loads((tmp_path / "movie.mp4.json").read_text("utf-8"))
    folder = cache / "frames" / sidecar["frame_cache"][0]
    images = [read_rgb(folder / f"{number:06d}.png") for number in range(frames)]
    return images


def content(image: np.ndarray) -> np.ndarray:
    """Pixels that are not the black background."""
    return image.astype(int).sum(axis=2) > 6


def test_an_opacity_fade_from_zero_starts_on_the_background_and_brightens(
    mni_h5: Path, tmp_path: Path
) -> None:
    frames = build(
        tmp_path,
        mni_h5,
        volume="opacity_scale = 0.0",
        keyframes='[{ at = 1, opacity_scale = 1.0, easing = "linear" }]',
        frames=5,
        colors="[[0, 1, 1, 1], [255, 1, 1, 1]]",  # white emission: brighter as it thickens
    )
    assert not content(frames[0]).any()  # background only: no blank-frame error either
    brightness = [float(frame.astype(float).mean()) for frame in frames]
    assert all(b > a for a, b in itertools.pairwise(brightness)), brightness


def test_a_clip_sweep_reveals_the_inside_and_leaves_the_clipped_side_background(
    mni_h5: Path, tmp_path: Path
) -> None:
    frames = build(
        tmp_path,
        mni_h5,
        volume="clip = { normal = [1, 0, 0], offset = -0.5 }",
        keyframes="[{ at = 1, clip = { normal = [1, 0, 0], offset = 0.25 } }]",
        frames=4,
    )
    # The plane keeps x >= offset: -0.5 (all of it), -0.3125, -0.125, 0.0625. Seen from
    # z = 2.2 with a 30 degree view angle, x = 1 at the focal plane is 160 / (4.4 tan 15 deg)
    # pixels from the centre; the volume's near side (z = 0.42) shows it 1.24 times as far, its
    # far side 0.84 times: the cut's leftmost pixel lies between.
    pixels = 160 / (4.4 * math.tan(math.radians(15)))
    lefts = [int(np.flatnonzero(content(frame).any(axis=0)).min()) for frame in frames]
    for offset, left in zip((-0.3125, -0.125, 0.0625), lefts[1:], strict=True):
        ends = sorted(80 + offset * pixels * factor for factor in (0.84, 1.24))
        assert ends[0] - 2 <= left <= ends[1] + 2, (offset, lefts)
    assert lefts[0] < lefts[1] < lefts[2] < lefts[3]


def test_a_box_shows_only_the_volume_of_interest(mni_h5: Path, tmp_path: Path) -> None:
    frames = build(
        tmp_path,
        mni_h5,
        volume="box = { min = [-0.1, -0.1, -0.5], max = [0.1, 0.1, 0.5] }",
        keyframes="[{ at = 1, box = { min = [-0.5, -0.5, -0.5], max = [0.5, 0.5, 0.5] } }]",
        frames=2,
    )
    small, large = content(frames[0]), content(frames[1])
    rows, columns = np.flatnonzero(small.any(axis=1)), np.flatnonzero(small.any(axis=0))
    assert 20 < rows.size < 50 and 20 < columns.size < 50  # about 0.2 of a 1.1-wide view
    assert large.sum() > 4 * small.sum()


def test_transfer_function_keyframes_render_frames_with_the_same_camera(
    mni_h5: Path, tmp_path: Path
) -> None:
    red = "[[0, 0, 0, 0], [255, 1.0, 0.0, 0.0]]"
    frames = build(
        tmp_path,
        mni_h5,
        volume="",
        keyframes=f"[{{ at = 0.5, colors = {red}, easing = 'ease-in' }}]",
        frames=2,
    )
    first, second = (frame.astype(float) for frame in frames)
    shown = content(frames[1])
    assert first[shown][:, 1].mean() > 30  # the template's colours have green in them
    assert second[shown][:, 1].max() < 3  # red only: green and blue are gone
    assert second[shown][:, 0].mean() > 30


def test_slices_alone_move_along_their_normal(mni_h5: Path, tmp_path: Path) -> None:
    """One plane facing the camera, the volume hidden: an opaque cut through the brain that
    changes as it moves from the back to the middle."""
    frames = build(
        tmp_path,
        mni_h5,
        volume="visible = false\nslices = [{ normal = [0, 0, 1], offset = -0.3 }]",
        keyframes="[{ at = 1, slices = [{ normal = [0, 0, 1], offset = 0.3 }] }]",
        frames=3,
    )
    # Offsets -0.3, -0.1 and 0.1 along z, which the brain spans from about -0.42 to 0.42:
    # a small section near its base, then larger ones near the middle.
    sizes = [int(content(frame).sum()) for frame in frames]
    assert 300 < sizes[0] < sizes[1] / 4, sizes
    assert sizes[2] > 2000 and (frames[1] != frames[2]).any(), sizes
