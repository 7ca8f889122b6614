"""Cameras placed by a direction and a fit: the volume's box fills that much of the frame."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path

import h5py
import numpy as np
import pytest
from conftest import build_scene, read_rgb

from movie_compiler.camera import framing, vec
from movie_compiler.config.load import load_scene
from movie_compiler.plan import plan

WriteScene = Callable[..., Path]


def projected(
    position: vec.Vec, up: vec.Vec, angle: float, aspect: float, extent: vec.Vec
) -> float:
    """The largest fraction of the frame's half height (or half width / aspect) that a corner
    of the box reaches, seen from ``position`` looking at the origin."""
    d = vec.unit(vec.scale(position, -1.0))
    r = vec.unit(vec.cross(d, up))
    u = vec.cross(r, d)
    tangent = math.tan(math.radians(angle) / 2)
    worst = 0.0
    for corner in framing.corners(extent):
        p = vec.sub(corner, position)
        depth = vec.dot(p, d)
        worst = max(worst, abs(vec.dot(p, u)) / depth / tangent)
        worst = max(worst, abs(vec.dot(p, r)) / depth / tangent / aspect)
    return worst


@pytest.mark.parametrize("direction", [(0, 0, -1), (1, -0.5, -0.3), (-1, 2, 0.5)])
@pytest.mark.parametrize("fit", [0.5, 0.9])
@pytest.mark.parametrize("aspect", [16 / 9, 0.5])
def test_the_box_fills_exactly_the_fit(direction: vec.Vec, fit: float, aspect: float) -> None:
    extent = (0.5, 0.3, 0.2)
    up = (0.0, 1.0, 0.0) if abs(direction[1]) < 1 else (0.0, 0.0, 1.0)
    distance = framing.fit_distance(direction, up, (0, 0, 0), 30.0, fit, aspect, extent)
    position = vec.scale(vec.unit(vec.vec(direction)), -distance)
    assert projected(position, up, 30.0, aspect, extent) == pytest.approx(fit, rel=1e-12)


def test_orthographic_fit_sets_the_zoom() -> None:
    scale = framing.fit_scale((0, 0, -1), (0, 1, 0), (0, 0, 0), 0.8, 2.0, (0.5, 0.3, 0.2))
    assert scale == pytest.approx(max(0.3, 0.5 / 2.0) / 0.8)


def test_normalised_extent() -> None:
    assert framing.normalised_extent((200.0, 100.0, 50.0)) == (0.5, 0.25, 0.125)


def test_a_camera_placed_by_fit_is_planned_from_the_data_extent(write_scene: WriteScene) -> None:
    scene = write_scene(camera={"direction": [0.0, 0.0, -1.0], "fit": 0.9})
    scene.write_text(scene.read_text().replace("position = [0.0, 0.0, 2.0]\n", ""))
    loaded = load_scene(scene)
    flat, cube = plan(loaded.scene, (0.5, 0.5, 0.05)), plan(loaded.scene)
    near = flat.pose(0).distance
    assert near < cube.pose(0).distance  # a flat box needs less room than the unit cube
    assert flat.pose(0).forward == pytest.approx((0.0, 0.0, -1.0))


@pytest.mark.paraview
def test_a_fitted_cube_fills_that_much_of_the_frame(tmp_path: Path) -> None:
    """An opaque cube seen face on from a fitted camera: its image is 80 % of the frame's
    height (the near face's corners touch that line)."""
    data = tmp_path / "cube.h5"
    with h5py.File(data, "w") as file:
        file["cube"] = np.full((40, 40, 40), 255, dtype=np.uint8)
    scene = tmp_path / "scene.toml"
    scene.write_text(
        f"""\
[movie]
resolution = [200, 100]
background = [0.0, 0.0, 0.0]
output = "movie.mp4"

[dataset]
path = "{data}"
array = "/cube"
voxel_size = [1.0, 1.0, 1.0]

[volume]
renderer = ["gpu", "ray-cast"]
colors = [[0, 1, 1, 1], [255, 1, 1, 1]]
opacity = [[0, 1.0], [255, 1.0]]

[camera]
direction = [0.0, 0.0, -1.0]
fit = 0.8
view_up = [0.0, 1.0, 0.0]

[[shots]]
type = "hold"
frames = 1
""",
        "utf-8",
    )
    cache = tmp_path / "cache"
    build_scene(scene, cache)
    image = read_rgb(next(cache.glob("frames/*/000000.png")))
    rows = np.flatnonzero((image.sum(axis=2) > 30).any(axis=1))
    assert rows.max() - rows.min() + 1 == pytest.approx(80, abs=2)
