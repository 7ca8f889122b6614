"""The frame state: tracks planned per frame, interpolated per kind, and what keys and the
repeated-frame check make of them (no ParaView needed)."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from movie_compiler import cache, state
from movie_compiler.cache import FrameCache
from movie_compiler.config.load import load_scene
from movie_compiler.data import dataset
from movie_compiler.plan import Plan, plan
from movie_compiler.state import FrameState

WriteScene = Callable[..., Path]


# -- interpolation ---------------------------------------------------------------------------


def test_point_sets_of_different_sizes_mix_on_the_union_of_their_scalars() -> None:
    a = [[0.0, 0.0, 0.0, 0.0], [255.0, 1.0, 1.0, 1.0]]
    b = [[0.0, 0.0, 0.0, 0.0], [100.0, 1.0, 0.0, 0.0], [200.0, 0.0, 1.0, 0.0], [255.0, 0, 0, 1]]
    half = state.mix_points(a, b, 0.5)
    assert [p[0] for p in half] == [0.0, 100.0, 200.0, 255.0]
    # at 100, a is 100/255 grey and b is red: halfway between them
    grey = 100.0 / 255.0
    assert half[1][1:] == pytest.approx([(grey + 1.0) / 2, grey / 2, grey / 2])
    assert state.mix_points(a, b, 0.0) == a  # exactly the keyframes at the ends
    assert state.mix_points(a, b, 1.0) == b


def test_points_outside_a_set_take_its_end_values() -> None:
    a = [[50.0, 0.2], [60.0, 0.4]]
    b = [[0.0, 0.0], [255.0, 1.0]]
    mixed = state.mix_points(a, b, 0.25)
    assert [p[0] for p in mixed] == [0.0, 50.0, 60.0, 255.0]
    assert mixed[0][1] == pytest.approx(0.75 * 0.2)
    assert mixed[3][1] == pytest.approx(0.75 * 0.4 + 0.25)


def test_planes_turn_their_normal_and_move_their_offset() -> None:
    a = {"normal": [1.0, 0.0, 0.0], "offset": -0.5}
    b = {"normal": [0.0, 1.0, 0.0], "offset": 0.5}
    half = state.mix_plane(a, b, 0.5)
    assert half["normal"] == pytest.approx([2**-0.5, 2**-0.5, 0.0])
    assert half["offset"] == pytest.approx(0.0)


def test_no_clip_stands_for_a_plane_that_clips_nothing() -> None:
    mix = state.TRACKS["clip"].mix
    target = {"normal": [0.0, 0.0, 1.0], "offset": 0.5}
    assert mix(None, target, 0.0) is None
    assert mix(None, target, 1.0) == target
    assert mix(None, target, 0.5) == {"normal": [0.0, 0.0, 1.0], "offset": 0.0}
    assert state.open_plane([1.0, 1.0, 0.0])["offset"] == pytest.approx(-(2**-0.5))
    assert mix(None, None, 0.5) is None


def test_no_box_stands_for_the_whole_volume() -> None:
    mix = state.TRACKS["box"].mix
    small = {"min": [-0.1, -0.1, -0.1], "max": [0.1, 0.1, 0.1]}
    assert mix(None, small, 0.5) == {"min": [-0.3] * 3, "max": [0.3] * 3}


def test_frame_states_compare_as_a_whole() -> None:
    a = FrameState({"camera": {"x": 1}, "colors": [[0, 1, 1, 1]]})
    b = FrameState({"colors": [[0, 1, 1, 1]], "camera": {"x": 1}})
    c = FrameState({"camera": {"x": 1}, "colors": [[0, 1, 1, 0.5]]})
    assert a == b and hash(a) == hash(b) and a.key == b.key
    assert a != c


# -- planning tracks ---------------------------------------------------------------------------


def plan_of(write_scene: WriteScene, **tables: Any) -> Plan:
    return plan(load_scene(write_scene(**tables)).scene)


def test_tracks_carry_over_from_shot_to_shot(write_scene: WriteScene) -> None:
    shots = [
        {"type": "hold", "frames": 4, "keyframes": [{"at": 1.0, "opacity_scale": 0.0}]},
        {"type": "orbit", "frames": 4},
    ]
    frames = plan_of(write_scene, shots=shots)
    tops = [frames.state(i)["opacity_scale"] for i in range(8)]
    assert tops == [1.0, 0.75, 0.5, 0.25, 0.0, 0.0, 0.0, 0.0]


def test_a_track_holds_after_its_last_keyframe(write_scene: WriteScene) -> None:
    red = [[0, 1.0, 0.0, 0.0], [255, 1.0, 0.0, 0.0]]
    shots = [{"type": "hold", "frames": 10, "keyframes": [{"at": 0.5, "colors": red}]}]
    frames = plan_of(write_scene, shots=shots)
    assert [frames.state(i)["colors"] for i in range(5, 10)] == [[list(p) for p in red]] * 5
    assert frames.state(0)["colors"] == [[0, 0.0, 0.0, 0.0], [255, 1.0, 1.0, 1.0]]


def test_a_clip_plane_sweeps_frame_by_frame(write_scene: WriteScene) -> None:
    clip = {"normal": [1.0, 0.0, 0.0], "offset": -0.5}
    shots = [
        {
            "type": "hold",
            "frames": 5,
            "keyframes": [{"at": 1.0, "clip": {"normal": [2.0, 0.0, 0.0], "offset": 0.5}}],
        }
    ]
    frames = plan_of(write_scene, shots=shots, volume={"clip": clip})
    planes = [frames.state(i)["clip"] for i in range(5)]
    assert [p["offset"] for p in planes] == pytest.approx([-0.5, -0.3, -0.1, 0.1, 0.3])
    assert all(p["normal"] == [1.0, 0.0, 0.0] for p in planes)  # normalised


def test_a_box_grows(write_scene: WriteScene) -> None:
    small = {"min": [-0.1, -0.1, -0.1], "max": [0.1, 0.1, 0.1]}
    big = {"min": [-0.5, -0.5, -0.5], "max": [0.5, 0.5, 0.5]}
    shots = [{"type": "hold", "frames": 4, "keyframes": [{"at": 1.0, "box": big}]}]
    frames = plan_of(write_scene, shots=shots, volume={"box": small})
    assert [frames.state(i)["box"]["max"][0] for i in range(4)] == pytest.approx(
        [0.1, 0.2, 0.3, 0.4]
    )


def test_orthographic_zoom_is_animated_geometrically(write_scene: WriteScene) -> None:
    shots = [
        {
            "type": "flight",
            "frames": 2,
            "interpolation": "linear",
            "keyframes": [
                {"at": 1.0, "position": [0, 0, 2], "focal_point": [0, 0, 0], "parallel_scale": 0.1}
            ],
        }
    ]
    frames = plan_of(
        write_scene, shots=shots, camera={"projection": "orthographic", "parallel_scale": 0.4}
    )
    assert [frames.camera(i)["parallel_scale"] for i in range(2)] == pytest.approx([0.4, 0.2])


# -- the frame cache follows the whole state ---------------------------------------------------


@pytest.fixture
def keyed_scene(tmp_path: Path, write_scene: WriteScene) -> Callable[..., list[str]]:
    """Cache keys of a two-shot scene (an orbit, then a hold) over a small real HDF5 file,
    with ``--set`` overrides, computed as a build computes them."""
    h5 = tmp_path / "brain.h5"
    with h5py.File(h5, "w") as file:
        file["t1"] = np.arange(4 * 5 * 6, dtype=np.uint8).reshape(4, 5, 6)
    scene = write_scene(shots=[{"type": "orbit", "frames": 4}, {"type": "hold", "frames": 3}])

    def keys(*overrides: str, renderer: str = "GPU Based", ranks: int = 1) -> list[str]:
        loaded = load_scene(scene, overrides)
        description = dataset.write_description(loaded, tmp_path / "build" / "dataset.xdmf")
        return cache.scene_keys(
            loaded,
            plan(loaded.scene),
            description=description.read_text("utf-8"),
            renderer=renderer,
            paraview_version="5.11.0",
            ranks=ranks,
        )

    return keys


PIXEL_CHANGES = [
    "movie.resolution=[320, 240]",
    "movie.background=[1.0, 0.0, 0.0]",
    "dataset.voxel_size=[2.0, 1.0, 1.0]",
    "dataset.subsample=[1, 2, 2]",
    "volume.colors=[[0, 1.0, 0.0, 0.0], [255, 1.0, 1.0, 1.0]]",
    "volume.opacity=[[0, 0.0], [255, 0.5]]",
    'volume.color_space="Lab"',
    "volume.shade=true",
    'volume.renderer="ray-cast"',
    "volume.opacity_unit_distance=0.01",
    "volume.opacity_scale=0.5",
    "volume.clip={normal = [1.0, 0.0, 0.0]}",
    "volume.box={min = [-0.2, -0.2, -0.2], max = [0.2, 0.2, 0.2]}",
    "volume.slices=[{normal = [0.0, 0.0, 1.0]}]",
    "camera.position=[0.0, 0.5, 2.0]",
    "camera.focal_point=[0.0, 0.1, 0.0]",
    "camera.view_up=[1.0, 1.0, 0.0]",
    "camera.view_angle=20.0",
    'camera.projection="orthographic"',
    "shots[0].degrees=90.0",
    'shots[0].easing="ease-in"',
    "shots[0].frames=5",
    "shots[0].axis=[1.0, 0.0, 0.0]",
    "shots[0].keyframes=[{at = 0.5, opacity_scale = 0.0}]",
]


@pytest.mark.parametrize("override", PIXEL_CHANGES)
def test_what_changes_pixels_changes_the_shot_key(
    keyed_scene: Callable[..., list[str]], override: str
) -> None:
    assert keyed_scene(override)[0] != keyed_scene()[0]


@pytest.mark.parametrize(
    "override", ["movie.resolution=[320, 240]", "dataset.voxel_size=[2.0, 1.0, 1.0]"]
)
def test_what_changes_every_frame_changes_every_key(
    keyed_scene: Callable[..., list[str]], override: str
) -> None:
    assert all(a != b for a, b in zip(keyed_scene(override), keyed_scene(), strict=True))


def test_the_renderer_ranks_and_data_enter_the_key(
    keyed_scene: Callable[..., list[str]], tmp_path: Path
) -> None:
    base = keyed_scene()
    assert keyed_scene(renderer="Ray Cast Only")[0] != base[0]
    assert keyed_scene(ranks=2)[0] != base[0]
    with h5py.File(tmp_path / "brain.h5", "a") as file:
        file["t1"][0, 0, 0] = 7
    assert keyed_scene()[0] != base[0]


NO_PIXEL_CHANGES = [
    'movie.title="Another title"',
    "movie.frame_step=2",
    'movie.output="other.webm"',
    "encode.crf=30",
    'encode.preset="fast"',
    "shots[1].frames=10",
    'shots[1].name="rest"',
    "shots[1].keyframes=[{at = 0.5, opacity_scale = 0.0}]",
]


@pytest.mark.parametrize("override", NO_PIXEL_CHANGES)
def test_what_leaves_a_shot_alone_leaves_its_key_alone(
    keyed_scene: Callable[..., list[str]], override: str
) -> None:
    assert keyed_scene(override)[0] == keyed_scene()[0]


# -- repeated frames: equal only when the whole state is equal ---------------------------------

TRACK_CHANGES = {
    "colors": {"colors": [[0, 1.0, 0.0, 0.0], [255, 1.0, 1.0, 1.0]]},
    "opacity": {"opacity": [[0, 0.0], [255, 0.5]]},
    "opacity_scale": {"opacity_scale": 0.5},
    "clip": {"clip": {"normal": [0.0, 1.0, 0.0], "offset": 0.1}},
    "box": {"box": {"min": [-0.2, -0.2, -0.2], "max": [0.2, 0.2, 0.2]}},
}
SLICED = {"slices": [{"normal": [0.0, 1.0, 0.0], "offset": 0.0}]}


def repeated(frames: Plan) -> tuple[list[int], list[tuple[int, int]]]:
    every = list(range(frames.frames))
    keys = [f"shot{i}" for i in range(len(frames.shots))]
    return FrameCache(Path("/nonexistent")).duplicates(frames, keys, every, every)


@pytest.mark.parametrize("track", [*TRACK_CHANGES, "slices"])
def test_same_camera_other_volume_state_is_rendered(write_scene: WriteScene, track: str) -> None:
    """A hold whose keyframe jumps a track at its second frame: the camera never moves, but
    both frames are rendered."""
    shots = [
        {
            "type": "hold",
            "frames": 2,
            "keyframes": [{"at": 0.5, "easing": "ease-in", **TRACK_CHANGES.get(track, SLICED)}],
        }
    ]
    volume = {"slices": [{"normal": [0.0, 0.0, 1.0]}]} if track == "slices" else {}
    frames = plan_of(write_scene, shots=shots, volume=volume)
    assert frames.camera(0) == frames.camera(1)
    assert repeated(frames) == ([0, 1], [])


CAMERA_CHANGES = {
    "position": {"position": [0.0, 0.0, 3.0]},
    "focal_point": {"focal_point": [0.0, 0.1, 0.0]},
    "view_up": {"view_up": [1.0, 0.0, 0.0]},
    "view_angle": {"view_angle": 20.0},
}


@pytest.mark.parametrize("part", list(CAMERA_CHANGES))
def test_every_part_of_the_camera_counts(write_scene: WriteScene, part: str) -> None:
    start = {"position": [0.0, 0.0, 2.0], **CAMERA_CHANGES[part]}
    shots = [{"type": "hold", "frames": 1}, {"type": "hold", "frames": 1, "start": start}]
    assert repeated(plan_of(write_scene, shots=shots)) == ([0, 1], [])


def test_equal_states_are_rendered_once(write_scene: WriteScene) -> None:
    shots = [{"type": "hold", "frames": 3}]
    assert repeated(plan_of(write_scene, shots=shots)) == ([0], [(1, 0), (2, 0)])
