"""Overlays and transitions without ParaView: the texts track, the title card, the cache keys
they give, the frame-count rule of crossfades and fades, blending, and the scale bar's
length and label as the render script computes them."""

from __future__ import annotations

import math
from collections.abc import Callable
from importlib import resources
from pathlib import Path
from typing import Any

import numpy as np
import pytest

from movie_compiler import cache, transitions
from movie_compiler.config.load import load_scene
from movie_compiler.overlay_script import anatomical_labels
from movie_compiler.overlays import TEXT_TRACK, fade_opacity
from movie_compiler.plan import Plan, plan
from movie_compiler.sequence import movie_frame_counts

WriteScene = Callable[..., Path]

SHOTS = [
    {"name": "turn", "type": "orbit", "frames": 6, "degrees": 60},
    {"name": "rest", "type": "hold", "frames": 4},
]


def plan_of(write_scene: WriteScene, **tables: Any) -> Plan:
    tables.setdefault("shots", SHOTS)
    return plan(load_scene(write_scene(**tables)).scene)


def keys_of(frames_plan: Plan) -> list[str]:
    inputs = {"script": "same"}  # everything else a key holds is the same for these scenes
    return [cache.shot_key(frames_plan, shot, inputs) for shot in frames_plan.shots]


# -- the texts track --------------------------------------------------------------------------


def test_scenes_without_texts_have_no_texts_track(write_scene: WriteScene) -> None:
    assert all(TEXT_TRACK not in state for state in plan_of(write_scene).shots[0].states)


def test_fade_opacity_ramps_in_and_out_without_reaching_zero() -> None:
    assert [fade_opacity(k, 8, 3) for k in range(8)] == [0.25, 0.5, 0.75, 1, 1, 0.75, 0.5, 0.25]
    assert [fade_opacity(k, 3, 0) for k in range(3)] == [1.0, 1.0, 1.0]
    assert [fade_opacity(k, 2, 5) for k in range(2)] == [0.5, 0.5]  # at most half the shot


def test_a_caption_is_shown_during_its_shot_only(write_scene: WriteScene) -> None:
    caption = {"shot": "rest", "text": "resting", "fade": 0.0}
    frames_plan = plan_of(write_scene, overlays={"captions": [caption]})
    turn, rest = frames_plan.shots
    assert all(state[TEXT_TRACK] == [] for state in turn.states)
    for state in rest.states:
        (text,) = state[TEXT_TRACK]
        assert (text["text"], text["position"], text["opacity"]) == ("resting", "lower_center", 1)
        assert text["size"] == 0.045


def test_editing_a_caption_changes_only_its_shots_key(write_scene: WriteScene) -> None:
    one = plan_of(write_scene, overlays={"captions": [{"shot": "rest", "text": "a"}]})
    two = plan_of(write_scene, overlays={"captions": [{"shot": "rest", "text": "b"}]})
    before, after = keys_of(one), keys_of(two)
    assert before[0] == after[0] and before[1] != after[1]


def test_a_title_card_is_a_shot_before_the_first(write_scene: WriteScene) -> None:
    title = {"text": "Brain", "seconds": 0.2, "fade": 0.0}
    frames_plan = plan_of(write_scene, movie={"fps": 10}, overlays={"title": title})
    card, turn, _ = frames_plan.shots
    assert (card.name, card.kind, card.first, card.frames) == ("title", "title", 0, 2)
    assert turn.first == 2
    assert [shot.index for shot in frames_plan.shots] == [0, 1, 2]
    for state in card.states:
        assert [t["text"] for t in state[TEXT_TRACK]] == ["Brain"]
        assert state["opacity_scale"] == 0.0  # background only: the volume faded out
        assert state["camera"] == turn.states[0]["camera"]
    assert all(state[TEXT_TRACK] == [] for state in turn.states)
    # The card is one state: rendered once, its other frames repeated.
    assert len({state.key for state in card.states}) == 1


def test_a_title_card_can_show_the_first_view(write_scene: WriteScene) -> None:
    title = {"text": "Brain", "seconds": 0.2, "card_volume": True}
    card = plan_of(write_scene, movie={"fps": 10}, overlays={"title": title}).shots[0]
    assert card.states[0]["opacity_scale"] == 1.0


def test_a_title_without_a_card_is_over_the_first_shot(write_scene: WriteScene) -> None:
    title = {"text": "Brain", "seconds": 0.0, "fade": 0.2}
    frames_plan = plan_of(write_scene, movie={"fps": 10}, overlays={"title": title})
    turn, rest = frames_plan.shots
    opacities = [state[TEXT_TRACK][0]["opacity"] for state in turn.states]
    assert opacities == pytest.approx([1 / 3, 2 / 3, 1, 1, 2 / 3, 1 / 3])
    assert all(state[TEXT_TRACK] == [] for state in rest.states)


def test_the_stamp_formats_each_frame(write_scene: WriteScene) -> None:
    stamp = {"text": "{frame} {shot} {shot_frame} {time:.1f}"}
    frames_plan = plan_of(write_scene, movie={"fps": 10}, overlays={"stamp": stamp})
    texts = [frames_plan.state(f)[TEXT_TRACK][0]["text"] for f in (0, 5, 6, 9)]
    assert texts == ["0 turn 0 0.0", "5 turn 5 0.5", "6 rest 0 0.6", "9 rest 3 0.9"]


def test_transitions_change_no_frame_state(write_scene: WriteScene) -> None:
    plain = plan_of(write_scene)
    shots = [SHOTS[0], {**SHOTS[1], "crossfade": 2}]
    faded = plan_of(write_scene, shots=shots, transitions={"fade_in": {"frames": 3}})
    assert keys_of(plain) == keys_of(faded)


# -- the frame-count rule ---------------------------------------------------------------------


def test_a_crossfade_overlaps_the_shots(tmp_path: Path, write_scene: WriteScene) -> None:
    shots = [SHOTS[0], {**SHOTS[1], "crossfade": 2}]
    scene = load_scene(write_scene(shots=shots)).scene
    a = [tmp_path / f"a{k}.png" for k in range(6)]
    b = [tmp_path / f"b{k}.png" for k in range(4)]
    entries = transitions.sequence(scene, [a, b])
    assert len(entries) == 6 + 4 - 2
    assert entries[:4] == a[:4] and entries[6:] == b[2:]
    assert entries[4] == transitions.Blend(a[4], b[0], 1 / 3)
    assert entries[5] == transitions.Blend(a[5], b[1], 2 / 3)


def test_fades_keep_the_frame_count(tmp_path: Path, write_scene: WriteScene) -> None:
    fades = {"fade_in": {"frames": 2}, "fade_out": {"frames": 4, "color": [1.0, 1.0, 1.0]}}
    scene = load_scene(write_scene(transitions=fades)).scene
    frames = [tmp_path / f"{k}.png" for k in range(10)]
    entries = transitions.sequence(scene, [frames[:6], frames[6:]])
    assert len(entries) == 10
    assert entries[0] == transitions.Blend(frames[0], (0.0, 0.0, 0.0), 1.0)  # the colour
    assert entries[1] == transitions.Blend(frames[1], (0.0, 0.0, 0.0), 0.5)
    assert entries[2:6] == frames[2:6]
    weights = [e.weight for e in entries[6:] if isinstance(e, transitions.Blend)]
    assert weights == [0.25, 0.5, 0.75, 1.0]  # the last frame is the colour


def test_movie_frame_counts_follow_the_frame_step(write_scene: WriteScene) -> None:
    scene = load_scene(write_scene(movie={"frame_step": 2}, shots=SHOTS)).scene
    assert movie_frame_counts(scene) == [3, 2]


def test_the_sidecar_record(write_scene: WriteScene) -> None:
    shots = [SHOTS[0], {**SHOTS[1], "crossfade": 2}]
    scene = load_scene(write_scene(shots=shots)).scene
    record = transitions.record(scene, ["turn", "rest"], 10, 8)
    assert record["crossfades"] == [{"from": "turn", "into": "rest", "frames": 2}]
    assert (record["rendered_frames"], record["movie_frames"]) == (10, 8)
    assert "N frames shorter" in record["rule"]


# -- blending ----------------------------------------------------------------------------------


def test_blends_are_exact_at_their_ends_and_rounded_between(tmp_path: Path) -> None:
    a = np.zeros((4, 6, 3), np.uint8)
    a[..., 0] = 200
    b = np.full((4, 6, 3), 100, np.uint8)
    (tmp_path / "a.png").write_bytes(transitions.png_bytes(a))
    (tmp_path / "b.png").write_bytes(transitions.png_bytes(b))
    assert np.array_equal(transitions.read_png(tmp_path / "a.png"), a)
    half = transitions.pixels(transitions.Blend(tmp_path / "a.png", tmp_path / "b.png", 0.5))
    assert half[0, 0].tolist() == [150, 50, 50]
    colour = transitions.Blend(tmp_path / "a.png", (0.2, 0.4, 1.0), 1.0)
    assert transitions.pixels(colour)[3, 5].tolist() == [51, 102, 255]
    out = transitions.materialise([tmp_path / "a.png", colour], tmp_path, tmp_path / "t")
    assert out[0] == tmp_path / "a.png" and out[1].parent == tmp_path / "t"
    assert cache.png_size(out[1]) == (6, 4)


# -- what the render script computes ----------------------------------------------------------


def script_functions() -> dict[str, Any]:
    """The overlay code's pure functions, run as the render script runs them."""
    code = resources.files("movie_compiler.script").joinpath("overlays.py").read_text("utf-8")
    source = "\n".join(line for line in code.splitlines() if "paraview" not in line)
    namespace: dict[str, Any] = {"RESOLUTION": [640, 360]}
    exec(compile(source, "overlays.py", "exec"), namespace)
    return namespace


@pytest.mark.parametrize(
    ("most", "nice"),
    [(17.07, 10.0), (20.0, 20.0), (4.99, 2.0), (5.0, 5.0), (0.73, 0.5), (1234.0, 1000.0)],
)
def test_the_scale_bar_has_a_nice_length(most: float, nice: float) -> None:
    assert math.isclose(script_functions()["nice_length"](most), nice)


@pytest.mark.parametrize(
    ("length", "unit", "label"),
    [(0.5, "mm", "500 µm"), (2000.0, "um", "2 mm"), (10.0, "mm", "10 mm"), (0.2, "um", "200 nm"),
     (5.0, "cm", "50 mm"), (2.0, "m", "2 m")],
)  # fmt: skip
def test_the_scale_bar_label_is_in_the_largest_unit(length: float, unit: str, label: str) -> None:
    assert script_functions()["length_label"](length, unit) == label


def test_font_size_is_a_fraction_of_the_frame_height() -> None:
    functions = script_functions()
    assert functions["font_size"](0.05) == 18
    functions["RESOLUTION"] = [3840, 2160]
    assert functions["font_size"](0.05) == 108


def test_anatomical_labels_face_each_side() -> None:
    assert anatomical_labels("LPI", 0.5) == [
        ["L", [0.5, 0.0, 0.0]], ["R", [-0.5, 0.0, 0.0]],
        ["P", [0.0, 0.5, 0.0]], ["A", [0.0, -0.5, 0.0]],
        ["I", [0.0, 0.0, 0.5]], ["S", [0.0, 0.0, -0.5]],
    ]  # fmt: skip
