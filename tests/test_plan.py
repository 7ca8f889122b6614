"""Planning: the camera of every frame, from scenes, by the rule written in plan.py."""

from __future__ import annotations

import math
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from movie_compiler.camera import easing, motion, vec
from movie_compiler.camera.motion import Pose
from movie_compiler.config.load import load_scene
from movie_compiler.plan import Plan, plan, shot_frames

WriteScene = Callable[..., Path]


def plan_of(write_scene: WriteScene, **tables: Any) -> Plan:
    return plan(load_scene(write_scene(**tables)).scene)


def close(a: vec.Vec, b: vec.Vec, tol: float = 1e-12) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def same_pose(a: Pose, b: Pose, tol: float = 1e-12) -> bool:
    return (
        close(a.position, b.position, tol)
        and close(a.focal_point, b.focal_point, tol)
        and close(a.view_up, b.view_up, tol)
        and abs(a.view_angle - b.view_angle) <= tol
    )


START = motion.make_pose((0.0, 0.0, 2.0), (0.0, 0.0, 0.0), (0.0, 1.0, 0.0), 30.0)
"""The minimal scene's camera."""


# -- the frame-count rule ---------------------------------------------------------------------


def test_a_shot_of_n_frames_shows_its_motion_at_k_over_n(write_scene: WriteScene) -> None:
    shots = [{"type": "dolly", "frames": 5, "factor": 0.5}]
    frames = plan_of(write_scene, shots=shots)
    assert frames.frames == 5
    distances = [pose.distance for pose in frames.shots[0].poses]
    assert distances == pytest.approx([2.0 * 0.5 ** (k / 5) for k in range(5)], rel=1e-14)
    assert frames.shots[0].end.distance == pytest.approx(1.0, rel=1e-14)


def test_shots_follow_each_other_without_a_repeated_frame(write_scene: WriteScene) -> None:
    shots = [
        {"type": "orbit", "frames": 4, "degrees": 90},
        {"type": "dolly", "frames": 3, "factor": 2.0},
        {"type": "hold", "frames": 2},
        {"type": "orbit", "frames": 6, "degrees": -45, "axis": [1, 0, 0]},
    ]
    frames = plan_of(write_scene, shots=shots)
    assert [(s.first, s.stop, s.frames) for s in frames.shots] == [
        (0, 4, 4),
        (4, 7, 3),
        (7, 9, 2),
        (9, 15, 6),
    ]
    assert frames.frames == 15
    for previous, shot in zip(frames.shots, frames.shots[1:], strict=False):
        assert shot.poses[0] == previous.end  # continuity, exactly
        assert shot.start == previous.end
        if previous.kind != "hold":  # a moving shot does not show its end: the next one does
            assert not same_pose(previous.poses[-1], previous.end)
    all_poses = [frames.pose(i) for i in range(frames.frames)]
    assert all_poses == [p for s in frames.shots for p in s.poses]


def test_the_first_shot_starts_at_the_camera(write_scene: WriteScene) -> None:
    frames = plan_of(write_scene, camera={"position": [0, 0, 2], "view_up": [0, 3, 0.5]})
    assert frames.pose(0) == START


def test_a_360_degree_orbit_does_not_repeat_its_first_frame(write_scene: WriteScene) -> None:
    frames = plan_of(write_scene, shots=[{"type": "orbit", "frames": 8, "degrees": 360}])
    poses = frames.shots[0].poses
    assert len(poses) == 8
    assert not any(same_pose(p, poses[0], 1e-6) for p in poses[1:])
    assert same_pose(frames.shots[0].end, poses[0], 1e-15)  # it loops
    # The last frame is one step short of the first: the loop has no seam.
    step = motion.orbit(poses[-1], START.view_up, START.focal_point, 45.0, 1.0)
    assert same_pose(step, poses[0], 1e-15)


@pytest.mark.parametrize(
    ("seconds", "fps", "expected"),
    [
        (4.0, 25.0, 100),
        (0.04, 25.0, 1),
        (1.0, 29.97, 30),
        (0.3, 30.0, 9),  # 8.999999999999998
        (0.5, 25.0, 13),  # 12.5 rounds half up
        (1.5, 25.0, 38),  # 37.5
        (0.06, 25.0, 2),  # 1.5
        (0.1, 25.0, 3),  # 2.5
    ],
)
def test_seconds_round_to_frames(
    write_scene: WriteScene, seconds: float, fps: float, expected: int
) -> None:
    loaded = load_scene(
        write_scene(movie={"fps": fps}, shots=[{"type": "hold", "seconds": seconds}])
    )
    assert shot_frames(loaded.scene.shots[0], fps) == expected
    assert plan(loaded.scene).frames == expected


def test_frame_step_renders_every_nth_planned_frame(write_scene: WriteScene) -> None:
    shots = [{"type": "orbit", "frames": 7}, {"type": "hold", "frames": 3}]
    frames = plan_of(write_scene, movie={"frame_step": 3}, shots=shots)
    assert frames.frames == 10
    assert frames.frame_step == 3
    assert frames.rendered() == [0, 3, 6, 9]
    assert plan_of(write_scene, shots=shots).rendered() == list(range(10))


def test_shot_names_kinds_and_lookup(write_scene: WriteScene) -> None:
    shots = [
        {"type": "orbit", "frames": 2, "name": "spin"},
        {"type": "hold", "frames": 1},
        {"type": "dolly", "frames": 1, "factor": 0.9},
    ]
    frames = plan_of(write_scene, shots=shots)
    assert [(s.index, s.name, s.kind) for s in frames.shots] == [
        (0, "spin", "orbit"),
        (1, "shot-2", "hold"),
        (2, "shot-3", "dolly"),
    ]
    assert [frames.shot_of(i).index for i in range(4)] == [0, 0, 1, 2]
    with pytest.raises(IndexError):
        frames.shot_of(4)


# -- orbits -----------------------------------------------------------------------------------


@pytest.mark.parametrize(
    "orbit",
    [
        {"degrees": 360},
        {"degrees": -360},
        {"degrees": 100, "axis": [1, 1, 0]},
        {"degrees": -270, "axis": [0, 0, 1], "center": [0.2, -0.1, 0.3]},
    ],
)
def test_orbit_is_even(write_scene: WriteScene, orbit: dict[str, Any]) -> None:
    frames = plan_of(write_scene, shots=[{"type": "orbit", "frames": 36, **orbit}])
    axis = vec.unit(vec.vec(orbit.get("axis", [0, 1, 0])))
    center = vec.vec(orbit.get("center", [0, 0, 0]))
    poses = frames.shots[0].poses

    def across(point: vec.Vec) -> vec.Vec:
        r = vec.sub(point, center)
        return vec.sub(r, vec.scale(axis, vec.dot(r, axis)))

    radius = vec.norm(vec.sub(START.position, center))
    angles = []
    for a, b in zip(poses, [*poses[1:], frames.shots[0].end], strict=True):
        assert vec.norm(vec.sub(b.position, center)) == pytest.approx(radius, abs=1e-12)
        ra, rb = across(a.position), across(b.position)
        angles.append(math.degrees(math.atan2(vec.dot(vec.cross(ra, rb), axis), vec.dot(ra, rb))))
    assert angles == pytest.approx([orbit["degrees"] / 36] * 36, abs=1e-9)


def test_eased_orbit_follows_its_easing(write_scene: WriteScene) -> None:
    frames = plan_of(
        write_scene, shots=[{"type": "orbit", "frames": 10, "degrees": 90, "easing": "ease-in"}]
    )
    for k, pose in enumerate(frames.shots[0].poses):
        turned = math.degrees(math.atan2(pose.position[0], pose.position[2]))
        assert turned == pytest.approx(90 * easing.ease_in(k / 10), abs=1e-12)


# -- flights ----------------------------------------------------------------------------------

KEYFRAMES = [
    {"at": 0.3, "position": [2.0, 0.0, 0.0], "focal_point": [0, 0, 0], "view_up": [0, 0, 1]},
    {"at": 0.5, "position": [0.0, -2.0, 0.0], "focal_point": [0, 0, 0], "view_up": [1, 0, 0]},
    {"at": 1.0, "position": [0.6, 0.8, 1.2], "focal_point": [0.6, 0.8, -0.8], "view_up": [0, 1, 0]},
]


def keyframe_pose(keyframe: dict[str, Any], angle: float = 30.0) -> Pose:
    return motion.make_pose(
        keyframe["position"], keyframe["focal_point"], keyframe["view_up"], angle
    )


@pytest.mark.parametrize("interpolation", ["linear", "spline"])
@pytest.mark.parametrize(
    ("easing_name", "frames_at"),
    [
        ("linear", {0.3: 3, 0.5: 5}),  # 3/10 and 5/10
        ("ease-in-out", {0.5: 5}),  # ease(1/2) = 1/2
        ("ease-in", {0.5: None}),  # no frame is at 1/2 exactly
    ],
)
def test_flight_frames_hit_their_keyframes_exactly(
    write_scene: WriteScene,
    interpolation: str,
    easing_name: str,
    frames_at: dict[float, int | None],
) -> None:
    shot = {
        "type": "flight",
        "frames": 10,
        "keyframes": KEYFRAMES,
        "interpolation": interpolation,
        "easing": easing_name,
    }
    frames = plan_of(write_scene, shots=[shot, {"type": "hold", "frames": 1}])
    poses = frames.shots[0].poses
    assert poses[0] == START  # no keyframe at 0: it starts where the camera is
    for k, keyframe in enumerate(KEYFRAMES):
        frame = frames_at.get(keyframe["at"])
        if frame is not None:
            assert easing.ease(easing_name, frame / 10) == keyframe["at"]
            assert poses[frame] == keyframe_pose(keyframe), k
    assert frames.shots[0].end == keyframe_pose(KEYFRAMES[-1])
    assert frames.shots[1].poses[0] == keyframe_pose(KEYFRAMES[-1])  # the hold shows it


def test_flight_from_a_keyframe_at_0_cuts_to_it(write_scene: WriteScene) -> None:
    first = {"at": 0.0, "position": [0, 2, 0], "focal_point": [0, 0, 0], "view_up": [0, 0, 1]}
    shot = {"type": "flight", "frames": 4, "keyframes": [first, KEYFRAMES[-1]]}
    frames = plan_of(write_scene, shots=[{"type": "hold", "frames": 1}, shot])
    assert frames.shots[1].poses[0] == keyframe_pose(first)


@pytest.mark.parametrize("interpolation", ["linear", "spline"])
def test_flight_has_no_dolly_creep(write_scene: WriteScene, interpolation: str) -> None:
    keyframes = [
        {"at": 0.4, "position": [2.0, 0.0, 0.0], "focal_point": [0, 0, 0], "view_up": [0, 1, 0]},
        {"at": 1.0, "position": [0.0, 1.2, -1.6], "focal_point": [0, 0, 0]},
    ]
    shot = {"type": "flight", "frames": 50, "keyframes": keyframes, "interpolation": interpolation}
    frames = plan_of(write_scene, shots=[shot])
    for pose in [*frames.shots[0].poses, frames.shots[0].end]:
        assert pose.distance == pytest.approx(2.0, rel=1e-13)


@pytest.mark.parametrize("interpolation", ["linear", "spline"])
def test_flight_has_no_roll_wobble(write_scene: WriteScene, interpolation: str) -> None:
    shot = {
        "type": "flight",
        "frames": 60,
        "keyframes": KEYFRAMES,
        "interpolation": interpolation,
        "easing": "ease-in-out",
    }
    frames = plan_of(write_scene, shots=[shot])
    for pose in frames.shots[0].poses:
        assert vec.norm(pose.view_up) == pytest.approx(1.0, abs=1e-12)
        assert vec.dot(pose.view_up, pose.forward) == pytest.approx(0.0, abs=1e-12)


def test_keyframes_without_view_up_carry_the_previous_one(write_scene: WriteScene) -> None:
    keyframes = [
        {"at": 0.5, "position": [0.0, 2.0, 0.0], "focal_point": [0, 0, 0]},
        {"at": 1.0, "position": [2.0, 0.0, 0.0], "focal_point": [0, 0, 0]},
    ]
    shot = {"type": "flight", "frames": 2, "keyframes": keyframes, "interpolation": "linear"}
    frames = plan_of(write_scene, shots=[shot])
    # From +z looking down -z with up +y, to +y looking down: up turns with it to -z.
    halfway = frames.shots[0].poses[1]
    assert close(halfway.view_up, (0.0, 0.0, -1.0), 1e-15)
    # Then from +y to +x about z: up (-z) is across that turn and stays.
    assert close(frames.shots[0].end.view_up, (0.0, 0.0, -1.0), 1e-15)


def test_keyframe_view_angle_zooms_geometrically(write_scene: WriteScene) -> None:
    keyframes = [
        {"at": 1.0, "position": [0, 0, 2], "focal_point": [0, 0, 0], "view_angle": 60.0},
    ]
    shot = {"type": "flight", "frames": 4, "keyframes": keyframes, "interpolation": "linear"}
    frames = plan_of(write_scene, shots=[shot, {"type": "hold", "frames": 1}])
    half = math.tan(math.radians(15)), math.tan(math.radians(30))
    angles = [p.view_angle for p in frames.shots[0].poses]
    times = (0.0, 0.25, 0.5, 0.75)
    expected = [2 * math.degrees(math.atan(half[0] ** (1 - t) * half[1] ** t)) for t in times]
    assert angles == pytest.approx(expected, abs=1e-12)
    assert frames.shots[1].poses[0].view_angle == pytest.approx(60.0, abs=1e-12)
    # A later keyframe without a view angle keeps the zoom.
    keep = [{"at": 1.0, "position": [1, 0, 2], "focal_point": [0, 0, 0]}]
    frames = plan_of(
        write_scene,
        camera={"position": [0, 0, 2], "view_angle": 45.0},
        shots=[{"type": "flight", "frames": 3, "keyframes": keep}],
    )
    assert [p.view_angle for p in frames.shots[0].poses] == pytest.approx([45.0] * 3, abs=1e-12)


# -- cuts, dollies, holds ---------------------------------------------------------------------


def test_start_cuts_to_a_new_camera(write_scene: WriteScene) -> None:
    start = {"position": [3.0, 0.0, 0.0], "view_up": [0, 0, 1], "view_angle": 20.0}
    shots = [
        {"type": "orbit", "frames": 3, "degrees": 90},
        {"type": "hold", "frames": 2, "start": start},
        {"type": "dolly", "frames": 2, "factor": 0.5},
    ]
    frames = plan_of(write_scene, shots=shots)
    cut = motion.make_pose((3, 0, 0), (0, 0, 0), (0, 0, 1), 20.0)
    assert frames.shots[1].poses == (cut, cut)
    assert frames.shots[2].poses[0] == cut
    assert frames.shots[2].end.distance == pytest.approx(1.5, rel=1e-15)


def test_dolly_distance_is_geometric_over_the_shot(write_scene: WriteScene) -> None:
    frames = plan_of(write_scene, shots=[{"type": "dolly", "frames": 4, "factor": 16.0}])
    distances = [p.distance for p in frames.shots[0].poses]
    assert distances == pytest.approx([2.0, 4.0, 8.0, 16.0], rel=1e-14)
    assert all(close(p.forward, (0.0, 0.0, -1.0), 1e-15) for p in frames.shots[0].poses)


# -- what the script sets ---------------------------------------------------------------------


def test_camera_state_per_frame(write_scene: WriteScene) -> None:
    frames = plan_of(write_scene, shots=[{"type": "hold", "frames": 1}])
    assert frames.camera(0) == {
        "position": [0.0, 0.0, 2.0],
        "focal_point": [0.0, 0.0, 0.0],
        "view_up": [0.0, 1.0, 0.0],
        "view_angle": 30.0,
    }


def test_orthographic_parallel_scale(write_scene: WriteScene) -> None:
    shots = [{"type": "dolly", "frames": 2, "factor": 0.25}]
    camera = {"position": [0, 0, 2], "projection": "orthographic"}
    frames = plan_of(write_scene, camera=camera, shots=shots)
    # Default: what the view angle shows at the focal point, following the dolly.
    scales = [frames.camera(i)["parallel_scale"] for i in range(2)]
    assert scales == pytest.approx([2.0 * math.tan(math.radians(15)), math.tan(math.radians(15))])
    fixed = plan_of(write_scene, camera={**camera, "parallel_scale": 0.4}, shots=shots)
    assert [fixed.camera(i)["parallel_scale"] for i in range(2)] == [0.4, 0.4]
