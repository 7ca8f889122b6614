"""``moviec diff``: key paths, renames and moves, the re-render list (against a real rebuild),
revisions from git, and its errors."""

from __future__ import annotations

import json
import subprocess
from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest

from movie_compiler.__main__ import main
from movie_compiler.build import prepare, render_frames
from movie_compiler.config.load import load_scene
from movie_compiler.review import compare, semantic

WriteScene = Callable[..., Path]
ORBIT = {"name": "turn", "type": "orbit", "frames": 6}
FLIGHT = {
    "name": "fly",
    "type": "flight",
    "frames": 5,
    "keyframes": [{"at": 1.0, "position": [1.5, 0.5, 0.5], "focal_point": [0.0, 0.0, 0.0]}],
}
HOLD = {"name": "rest", "type": "hold", "frames": 3}


def changes(write_scene: WriteScene, old: list[Any], new: list[Any], **tables: Any) -> list[str]:
    a = load_scene(write_scene(shots=old, name="old.toml"))
    b = load_scene(write_scene(shots=new, name="new.toml", **tables))
    return [str(c) for c in semantic.changes(a.scene, b.scene)]


def test_changed_values_are_key_paths(write_scene: WriteScene) -> None:
    eased = {**FLIGHT, "easing": "ease-in"}
    assert changes(write_scene, [ORBIT, FLIGHT], [ORBIT, eased], movie={"fps": 30}) == [
        "movie.fps: 25 -> 30",
        "shots[1].easing: 'linear' -> 'ease-in'",
    ]
    moved = {**FLIGHT, "keyframes": [{**FLIGHT["keyframes"][0], "position": [1, 1, 1]}]}
    assert changes(write_scene, [ORBIT, FLIGHT], [ORBIT, moved]) == [
        "shots[1].keyframes[0].position: [1.5, 0.5, 0.5] -> [1, 1, 1]"
    ]


def test_a_renamed_shot_is_a_rename(write_scene: WriteScene) -> None:
    renamed = {**FLIGHT, "name": "swoop"}
    assert changes(write_scene, [ORBIT, FLIGHT], [ORBIT, renamed]) == [
        "shots[1].name: 'fly' -> 'swoop' (renamed)"
    ]
    renamed_and_eased = {**renamed, "easing": "ease-out"}
    assert changes(write_scene, [ORBIT, FLIGHT], [ORBIT, renamed_and_eased]) == [
        "shots[1].name: 'fly' -> 'swoop' (renamed)",
        "shots[1].easing: 'linear' -> 'ease-out'",
    ]


def test_a_reordered_shot_is_a_move_and_an_insertion_moves_nothing(
    write_scene: WriteScene,
) -> None:
    assert changes(write_scene, [ORBIT, FLIGHT, HOLD], [ORBIT, HOLD, FLIGHT]) == [
        "shots[2]: moved from shots[1] ('fly')"
    ]
    assert changes(write_scene, [ORBIT, HOLD], [ORBIT, FLIGHT, HOLD]) == [
        "shots[1]: added {name = 'fly', type = 'flight', frames = 5, easing = 'linear', "
        "keyframes = [{at = 1, position = [1.5, 0.5, 0.5], focal_point = [0, 0, 0]}], "
        "interpolation = 'spline'}"
    ]
    assert changes(write_scene, [ORBIT, FLIGHT, HOLD], [ORBIT, HOLD]) == [
        "shots[1]: removed {name = 'fly', type = 'flight', frames = 5, easing = 'linear', "
        "keyframes = [{at = 1, position = [1.5, 0.5, 0.5], focal_point = [0, 0, 0]}], "
        "interpolation = 'spline'}"
    ]


def test_rerender_list_without_the_data(
    write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    old = write_scene(shots=[ORBIT, FLIGHT, HOLD], name="old.toml")
    new = write_scene(shots=[ORBIT, {**FLIGHT, "easing": "ease-in"}, HOLD], name="new.toml")
    assert main(["diff", str(old), str(new), "--json"]) == 0
    document = json.loads(capsys.readouterr().out)
    assert document["changes"] == [
        {"key": "shots[1].easing", "old": "linear", "new": "ease-in", "kind": "change"}
    ]
    # the flight's path is the same, its timing not; the hold starts where the flight ends
    assert document["rerender"] == [{"shot": "fly", "index": 1, "frames": 5, "of": 5}]
    assert document["keys"] == "scene"


def test_a_scene_against_itself_has_no_changes(
    write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = write_scene(shots=[ORBIT, FLIGHT])
    assert main(["diff", str(scene), str(scene)]) == 0
    assert capsys.readouterr().out == "no changes\n"


def git(folder: Path, *args: str) -> str:
    done = subprocess.run(
        ["git", "-C", str(folder), "-c", "user.name=t", "-c", "user.email=t@example.org", *args],
        check=True,
        capture_output=True,
        text=True,
    )
    return done.stdout.strip()


def test_diff_against_a_git_revision(
    write_scene: WriteScene, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(tmp_path, "init", "-q")
    scene = write_scene(shots=[ORBIT, FLIGHT])
    git(tmp_path, "add", "scene.toml")
    git(tmp_path, "commit", "-qm", "first")
    write_scene(shots=[{**ORBIT, "degrees": 180.0}, FLIGHT])
    assert main(["diff", str(scene), "--rev", "HEAD"]) == 0
    assert capsys.readouterr().out.splitlines()[:2] == [
        "changes:",
        "  shots[0].degrees: 360 -> 180",
    ]
    assert main(["diff", str(scene), "--rev", "no-such-rev"]) == 2
    assert capsys.readouterr().err == f"--rev no-such-rev: no such revision in {tmp_path}\n"
    other = write_scene(shots=[ORBIT], name="other.toml")
    assert main(["diff", str(other), "--rev", "HEAD"]) == 2
    assert capsys.readouterr().err == f"{other}: not in revision HEAD (no other.toml there)\n"


def test_a_bad_old_revision_is_located_there(
    write_scene: WriteScene, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    git(tmp_path, "init", "-q")
    scene = write_scene(shots=[{**ORBIT, "frames": 0}])
    git(tmp_path, "add", "scene.toml")
    git(tmp_path, "commit", "-qm", "broken")
    write_scene(shots=[ORBIT])
    assert main(["diff", str(scene), "--rev", "HEAD"]) == 2
    assert capsys.readouterr().err == (
        "HEAD:scene.toml:16:10: shots[0].frames: must be at least 1, got 0\n"
    )


def test_diff_outside_git(write_scene: WriteScene, capsys: pytest.CaptureFixture[str]) -> None:
    scene = write_scene()
    assert main(["diff", str(scene), "--rev", "HEAD"]) == 2
    assert capsys.readouterr().err == f"{scene}: not in a git repository (--rev needs one)\n"


@pytest.mark.paraview
def test_rerender_list_matches_a_real_rebuild(
    mni_h5: Path, write_scene: WriteScene, display: str, monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("DISPLAY", display)
    data = {
        "path": str(mni_h5),
        "array": "/PLI",
        "voxel_size": [1.0, 1.0, 1.0],
        "subsample": [1, 4, 4],
    }
    movie = {"resolution": [64, 36]}
    old = load_scene(
        write_scene(dataset=data, movie=movie, shots=[ORBIT, FLIGHT, HOLD], name="old.toml")
    )
    built = prepare(old)
    assert render_frames(built, built.plan.rendered()) == 6 + 5 + 1
    # the flight eased, the hold renamed and moved before the flight
    new_shots = [ORBIT, {**HOLD, "name": "pause"}, {**FLIGHT, "easing": "ease-in"}]
    new = load_scene(write_scene(dataset=data, movie=movie, shots=new_shots, name="new.toml"))
    result = compare.compare(old, new)
    assert result.keys.build, result.keys.reason
    assert [str(c) for c in result.changes] == [
        "shots[1].name: 'rest' -> 'pause' (renamed)",
        "shots[2]: moved from shots[1] ('fly')",
        "shots[2].easing: 'linear' -> 'ease-in'",
    ]
    predicted = sum(r.frames for r in result.rerender)
    rebuilt = prepare(new)
    rendered = render_frames(rebuilt, rebuilt.plan.rendered())
    assert [(r.shot, r.frames) for r in result.rerender] == [("pause", 1), ("fly", 4)]
    assert rendered == predicted == 5  # the flight starts where the hold rests: one render
