"""`moviec check` on malformed scenes: the exact located messages and exit code 2.

Each ``tests/scenes/bad/NAME.toml`` starts with comment lines saying what it tests:

    # What is wrong with this scene.
    # args: --set movie.fps=-1        (optional: more command-line arguments)
    # xfail: why the output is not yet the expected one   (optional)
    # expect: NAME.toml:LINE:COL: key.path: message       (one line per problem, in order)

The check runs in the scene's folder through the real command-line entry point, so the
expected lines are exactly what a user sees on standard error.
"""

from __future__ import annotations

import shlex
from dataclasses import dataclass
from pathlib import Path

import pytest

from movie_compiler.__main__ import main

HERE = Path(__file__).resolve().parent
BAD = HERE / "scenes" / "bad"
ROOT = HERE.parent


@dataclass(frozen=True)
class BadScene:
    path: Path
    description: str
    args: tuple[str, ...]
    expect: tuple[str, ...]
    xfail: str | None


def read_bad_scene(path: Path) -> BadScene:
    # Latin-1 reads every file, also the one that is not UTF-8; the headers are ASCII.
    lines = path.read_bytes().decode("latin-1").split("\n")
    description, args, expect, xfail = "", (), [], None
    for line in lines:
        if not line.startswith("# "):
            break
        text = line[2:]
        if text.startswith("args: "):
            args = tuple(shlex.split(text[len("args: ") :]))
        elif text.startswith("xfail: "):
            xfail = text[len("xfail: ") :]
        elif text.startswith("expect: "):
            expect.append(text[len("expect: ") :])
        elif not description:
            description = text
    return BadScene(path, description, args, tuple(expect), xfail)


BAD_SCENES = [read_bad_scene(path) for path in sorted(BAD.glob("*.toml"))]


def _params() -> list[object]:
    params: list[object] = []
    for scene in BAD_SCENES:
        marks = [pytest.mark.xfail(strict=True, reason=scene.xfail)] if scene.xfail else []
        params.append(pytest.param(scene, id=scene.path.stem, marks=marks))
    return params


def run_check(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, list[str], list[str]]:
    code = main(["check", *args])
    captured = capsys.readouterr()
    return code, captured.out.splitlines(), captured.err.splitlines()


def test_there_are_enough_bad_scenes() -> None:
    assert len(BAD_SCENES) >= 30
    for scene in BAD_SCENES:
        assert scene.description, f"{scene.path.name}: no description line"
        assert scene.expect, f"{scene.path.name}: no '# expect:' line"


@pytest.mark.parametrize("scene", _params())
def test_bad_scene(
    scene: BadScene, capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(BAD)
    code, out, err = run_check(capsys, scene.path.name, *scene.args)
    assert err == list(scene.expect)
    assert out == []
    assert code == 2


def test_all_bad_scenes_at_once_report_every_file(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    """One invalid scene does not stop the others from being checked."""
    monkeypatch.chdir(BAD)
    names = ["odd_resolution.toml", "../../../scenes/vervet.toml", "fps_zero.toml"]
    code, out, err = run_check(capsys, *names)
    assert code == 2
    assert out == ["../../../scenes/vervet.toml: ok (2 shots, 300 frames, 12.0 s)"]
    assert err == [
        "odd_resolution.toml:4:14: movie.resolution: width and height must be even (yuv420p), "
        "got 641 x 361",
        "fps_zero.toml:5:7: movie.fps: must be greater than 0.0, got 0",
    ]


# -- files that are not scenes ----------------------------------------------------------------


def test_missing_scene_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_check(capsys, str(tmp_path / "nothere.toml"))
    assert (code, out, err) == (2, [], [f"{tmp_path / 'nothere.toml'}: no such scene file"])


def test_folder_given_as_scene(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    code, out, err = run_check(capsys, str(tmp_path))
    assert (code, out, err) == (2, [], [f"{tmp_path}: is a folder, not a scene file"])


def test_empty_file(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    scene = tmp_path / "empty.toml"
    scene.write_text("")
    code, out, err = run_check(capsys, str(scene))
    assert (code, out) == (2, [])
    assert err == [
        f"{scene}:1:1: dataset: required, but missing",
        f"{scene}:1:1: volume: required, but missing",
        f"{scene}:1:1: camera: required, but missing",
        f"{scene}:1:1: shots: required, but missing",
    ]


def test_crlf_scene_is_located_like_lf(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (BAD / "odd_resolution.toml").read_text("utf-8")
    scene = tmp_path / "odd_resolution.toml"
    scene.write_bytes(text.replace("\n", "\r\n").encode("utf-8"))
    code, _, err = run_check(capsys, str(scene))
    assert code == 2
    assert err == [
        f"{scene}:4:14: movie.resolution: width and height must be even (yuv420p), got 641 x 361"
    ]


def test_byte_order_mark_is_accepted(capsys: pytest.CaptureFixture[str], tmp_path: Path) -> None:
    text = (ROOT / "scenes" / "vervet.toml").read_text("utf-8")
    scene = tmp_path / "vervet.toml"
    scene.write_text("\ufeff" + text, "utf-8")
    code, out, err = run_check(capsys, str(scene))
    assert (code, err) == (0, [])
    assert out == [f"{scene}: ok (2 shots, 300 frames, 12.0 s)"]


# -- good scenes ------------------------------------------------------------------------------


def test_vervet_checks_clean(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    code, out, err = run_check(capsys, "scenes/vervet.toml")
    assert (code, out, err) == (0, ["scenes/vervet.toml: ok (2 shots, 300 frames, 12.0 s)"], [])


def test_every_committed_scene_checks_clean(
    capsys: pytest.CaptureFixture[str], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.chdir(ROOT)
    scenes = sorted(str(p.relative_to(ROOT)) for p in (ROOT / "scenes").glob("*.toml"))
    code, out, err = run_check(capsys, *scenes)
    assert (code, err) == (0, [])
    assert [line.split(": ok (")[0] for line in out] == scenes


def test_vervet_checks_clean_as_a_subprocess() -> None:
    """The installed console script, as CI calls it."""
    import subprocess
    import sys

    moviec = Path(sys.executable).parent / "moviec"
    result = subprocess.run(
        [str(moviec), "check", "scenes/vervet.toml"],
        cwd=ROOT,
        capture_output=True,
        text=True,
        check=False,
    )
    assert (result.returncode, result.stdout, result.stderr) == (
        0,
        "scenes/vervet.toml: ok (2 shots, 300 frames, 12.0 s)\n",
        "",
    )
