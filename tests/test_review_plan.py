"""``moviec plan`` and ``moviec check --format``: rows per shot with the build's cache counts,
and problems as GitHub annotations or JSON."""

from __future__ import annotations

import json
from collections.abc import Callable
from pathlib import Path

import pytest

from movie_compiler.__main__ import main
from movie_compiler.config.load import load_scene
from movie_compiler.plan import plan
from movie_compiler.review import keys

ROOT = Path(__file__).resolve().parent.parent
WriteScene = Callable[..., Path]
BAD = ROOT / "tests" / "scenes" / "bad"


def test_plan_without_the_dataset_leaves_the_cache_columns_empty(
    capsys: pytest.CaptureFixture[str],
) -> None:
    assert main(["plan", str(ROOT / "scenes" / "vervet.toml"), "--json"]) == 0
    captured = capsys.readouterr()
    document = json.loads(captured.out)
    rows = [(s["name"], s["type"], s["first"], s["stop"], s["frames"]) for s in document["shots"]]
    assert rows == [("orbit", "orbit", 0, 100, 100), ("fly-in", "flight", 100, 300, 200)]
    assert all(s["cached"] is None and s["to_render"] is None for s in document["shots"])
    assert document["shots"][0]["data"] == "subsample 1x4x4"
    assert "dataset.path" in document["cache_unavailable"]
    assert "cache columns left empty" in captured.err


def test_plan_text_table(capsys: pytest.CaptureFixture[str]) -> None:
    assert main(["plan", str(ROOT / "scenes" / "vervet.toml"), "--set", "shots[0].frames=10"]) == 0
    lines = capsys.readouterr().out.splitlines()
    assert lines[0].split() == [
        "#",
        "name",
        "type",
        "frames",
        "seconds",
        "data",
        "resolution",
        "cached",
        "render",
    ]
    assert lines[1].split() == [
        "0",
        "orbit",
        "orbit",
        "0-9",
        "(10)",
        "0.4",
        "subsample",
        "1x4x4",
        "3840x2160",
    ]
    assert lines[3].split() == ["total", "210", "8.4"]
    assert lines[4].startswith("(cache columns empty: ")


def test_counts_follow_the_builds_repeated_frame_detection(write_scene: WriteScene) -> None:
    shots = [{"type": "orbit", "frames": 4}, {"type": "hold", "frames": 3}]
    loaded = load_scene(write_scene(shots=shots, movie={"frame_step": 1}))
    frames_plan = plan(loaded.scene)
    shot_keys = keys.scene_keys(loaded, frames_plan)
    counted = keys.count(frames_plan, shot_keys.keys, lambda f: False)
    # the hold's three frames show one state: the build renders it once
    assert [(c.frames, c.cached, c.to_render) for c in counted] == [(4, 0, 4), (3, 0, 1)]
    counted = keys.count(frames_plan, shot_keys.keys, lambda f: f < 4)
    assert [(c.frames, c.cached, c.to_render) for c in counted] == [(4, 4, 0), (3, 0, 1)]


def test_check_github_annotations(capsys: pytest.CaptureFixture[str]) -> None:
    scene = BAD / "bool_for_number.toml"
    assert main(["check", "--format", "github", str(scene)]) == 2
    assert capsys.readouterr().out == (
        f"::error file={scene},line=21,col=10,title=shots[0].frames::"
        "shots[0].frames: expected a whole number, got true\n"
    )


def test_check_json(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    scene = BAD / "bool_for_number.toml"
    missing = tmp_path / "missing.toml"
    good = ROOT / "scenes" / "demo.toml"
    assert main(["check", "--format", "json", str(scene), str(missing), str(good)]) == 2
    assert json.loads(capsys.readouterr().out) == [
        {
            "file": str(scene),
            "line": 21,
            "column": 10,
            "key": "shots[0].frames",
            "message": "expected a whole number, got true",
        },
        {
            "file": str(missing),
            "line": None,
            "column": None,
            "key": "",
            "message": "no such scene file",
        },
    ]
    assert main(["check", "--format", "json", str(good)]) == 0
    assert json.loads(capsys.readouterr().out) == []


@pytest.mark.paraview
def test_plan_counts_the_builds_cache(
    mni_h5: Path, write_scene: WriteScene, display: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    from movie_compiler.build import prepare, render_frames

    monkeypatch.setenv("DISPLAY", display)
    dataset = {
        "path": str(mni_h5),
        "array": "/PLI",
        "voxel_size": [1.0, 1.0, 1.0],
        "subsample": [1, 4, 4],
    }
    shots = [{"type": "orbit", "frames": 4}, {"type": "hold", "frames": 3}]
    loaded = load_scene(write_scene(dataset=dataset, shots=shots, movie={"resolution": [64, 36]}))
    frames_plan = plan(loaded.scene)
    shot_keys = keys.shot_keys(loaded, frames_plan)
    assert shot_keys.build, shot_keys.reason
    assert shot_keys.data == "level 2 (1x4x4)"
    counted = keys.cache_counts(loaded, frames_plan, shot_keys.keys)
    assert [(c.frames, c.cached, c.to_render) for c in counted] == [(4, 0, 4), (3, 0, 1)]
    prepared = prepare(loaded)
    assert prepared.keys == shot_keys.keys  # the build's own keys
    assert render_frames(prepared, [0, 1]) == 2
    counted = keys.cache_counts(loaded, frames_plan, shot_keys.keys)
    assert [(c.frames, c.cached, c.to_render) for c in counted] == [(4, 2, 2), (3, 0, 1)]
    assert render_frames(prepared, frames_plan.rendered()) == 3  # what plan said
