"""When keyframes are reached: ``at`` is a time; easing shapes the motion between keyframes."""

from __future__ import annotations

import itertools
from pathlib import Path
from typing import Any

import pytest

from movie_compiler.camera import easing, timing
from movie_compiler.camera.timing import Timing
from movie_compiler.config.load import load_scene
from movie_compiler.plan import plan

ROOT = Path(__file__).resolve().parent.parent
STEPS = [i / 1000 for i in range(1001)]
EASINGS = list(easing.EASINGS)


@pytest.mark.parametrize("shot_easing", EASINGS)
@pytest.mark.parametrize("times", [(0.0, 1.0), (0.0, 0.14, 1.0), (0.0, 0.2, 0.5, 0.9, 1.0)])
def test_keyframes_are_reached_at_their_time(shot_easing: str, times: tuple[float, ...]) -> None:
    warp = Timing(times, shot_easing, [None] * (len(times) - 1))
    for t in times:
        assert warp(t) == pytest.approx(t, abs=1e-15)
    values = [warp(t) for t in STEPS]
    assert all(b >= a for a, b in itertools.pairwise(values))  # never goes back
    assert values[0] == 0.0 and values[-1] == 1.0


@pytest.mark.parametrize("times", [(0.0, 0.14, 1.0), (0.0, 0.3, 0.6, 1.0)])
def test_the_shot_easing_shapes_only_how_the_track_starts_and_stops(
    times: tuple[float, ...],
) -> None:
    warp = Timing(times, "ease-in-out", [None] * (len(times) - 1))
    h = 1e-7
    assert (warp(h) - warp(0.0)) / h == pytest.approx(0.0, abs=1e-5)  # starts at rest
    assert (warp(1.0) - warp(1.0 - h)) / h == pytest.approx(0.0, abs=1e-5)  # stops at rest
    for t in times[1:-1]:  # reaches the motion's own pace at inner keyframes, both sides
        assert (warp(t + h) - warp(t)) / h == pytest.approx(1.0, rel=1e-5)
        assert (warp(t) - warp(t - h)) / h == pytest.approx(1.0, rel=1e-5)
    if len(times) > 3:
        assert warp(0.45) == pytest.approx(0.45)  # inner segments run at their own pace


def test_one_segment_takes_the_shot_easing_as_it_is() -> None:
    for name in EASINGS:
        warp = Timing((0.0, 1.0), name, [None])
        assert [warp(t) for t in STEPS] == [easing.ease(name, t) for t in STEPS]


def test_a_keyframe_easing_replaces_the_segment_arriving_at_it() -> None:
    warp = Timing((0.0, 0.5, 1.0), "linear", ["ease-in-out", None])
    for t in STEPS:
        if t <= 0.5:
            assert warp(t) == pytest.approx(0.5 * easing.ease_in_out(t / 0.5))
        else:
            assert warp(t) == pytest.approx(t)


def test_start_and_end_curves_are_monotone_and_exact_at_the_ends() -> None:
    for curve in (timing._start_at_rest, timing._end_at_rest):
        assert curve(0.0) == 0.0 and curve(1.0) == 1.0
        values = [curve(t) for t in STEPS]
        assert all(b >= a for a, b in itertools.pairwise(values))


def test_timing_needs_increasing_times() -> None:
    with pytest.raises(ValueError):
        Timing((0.0,), "linear", [])
    with pytest.raises(ValueError):
        Timing((0.0, 0.5, 0.5, 1.0), "linear", [None] * 3)


def test_the_seed_flight_reaches_its_keyframes_at_the_seed_frames() -> None:
    """scenes/vervet.toml: keyframes at 0, 0.14 and 1 of 200 frames, eased in and out: the
    camera is at the second keyframe at frame 28 (ParaView's 'Interpolate Camera' too)."""
    loaded = load_scene(ROOT / "scenes" / "vervet.toml")
    flight = plan(loaded.scene).shots[1]
    keyframes = loaded.scene.shots[1].keyframes
    assert flight.keyframes == (0, 28, 200)
    assert flight.poses[0].position == tuple(keyframes[0].position)
    assert flight.poses[28].position == tuple(keyframes[1].position)
    assert flight.end.position == tuple(keyframes[2].position)


def test_volume_keyframes_are_reached_at_their_time(write_scene: Any) -> None:
    shots = [
        {
            "type": "hold",
            "frames": 10,
            "easing": "ease-in-out",
            "keyframes": [
                {"at": 0.3, "opacity_scale": 0.0},
                {"at": 0.7, "opacity_scale": 1.0},
            ],
        }
    ]
    frames = plan(load_scene(write_scene(shots=shots)).scene)
    scales = [s["opacity_scale"] for s in frames.shots[0].states]
    assert scales[3] == 0.0 and scales[7] == 1.0
    assert scales[0] == 1.0 and all(b <= a for a, b in itertools.pairwise(scales[:4]))
