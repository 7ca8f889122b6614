"""Encoder limits and movie lengths, checked with the scene (before any rendering).

The located messages of each kind of refusal are in tests/scenes/bad/ (h264_frame_beyond_level,
vp9_frame_beyond_level, frame_beyond_ffmpeg, gif_too_fast, shot_seconds_beyond_plan); here the
boundaries, the warnings, and that a build stops before it writes anything."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path
from typing import Any

import pytest
from conftest import scene_with

from movie_compiler.__main__ import main
from movie_compiler.config import limits
from movie_compiler.config.load import load_scene
from movie_compiler.config.model import Scene

WriteScene = Callable[..., Path]


def scene(**tables: Any) -> Scene:
    return Scene.model_validate(scene_with(**tables))


@pytest.mark.parametrize(
    ("output", "resolution", "ok"),
    [
        ("m.mp4", [8192, 4352], True),  # exactly level 6.2's 139264 macroblocks
        ("m.mp4", [8192, 4354], False),  # one row of macroblocks more
        ("m.mp4", [16384, 2176], True),  # long and thin, same area
        ("m.webm", [8192, 4352], True),
        ("m.webm", [4352, 8194], False),
        ("m.gif", [16000, 16000], True),  # GIF has no level; ffmpeg's own limit
        ("m.gif", [16384, 16384], False),
        ("m.webm", [16384, 16384], False),
    ],
)
def test_frame_size_limits_per_codec(output: str, resolution: list[int], ok: bool) -> None:
    findings = list(limits.check(scene(movie={"output": output, "resolution": resolution})))
    assert (findings == []) is ok, findings
    assert all(key == ("movie", "resolution") for key, _ in findings)


def test_the_codec_comes_from_encode_codec_or_the_suffix() -> None:
    assert limits.codec_of(scene()) == "h264"
    assert limits.codec_of(scene(movie={"output": "a.GIF"})) == "gif"
    assert limits.codec_of(scene(movie={"output": "a.webm"}, encode={"codec": "vp9"})) == "vp9"


def test_a_gif_rate_counts_the_frame_step() -> None:
    fast = scene(movie={"output": "m.gif", "fps": 60.0})
    assert [key for key, _ in limits.check(fast)] == [("movie", "fps")]
    halved = scene(movie={"output": "m.gif", "fps": 60.0, "frame_step": 2})
    assert list(limits.check(halved)) == []


def test_a_movie_of_hours_is_a_warning_with_its_duration(
    write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_scene(shots=[{"type": "orbit", "seconds": 9000.0}, {"type": "hold", "frames": 1}])
    assert main(["check", str(path)]) == 0
    out, err = capsys.readouterr()
    where = load_scene(path).where(("shots",))
    assert err == (
        f"warning: {where}: shots: the movie lasts 2 h 30 min (225001 frames at 25 fps, "
        "225001 to render); check the shots' seconds and frames\n"
    )
    assert out == f"{path}: ok (2 shots, 225001 frames, 9000.0 s)\n"


def test_an_hour_or_less_is_not_worth_a_word(
    write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_scene(shots=[{"type": "orbit", "seconds": 3600.0}])
    assert main(["check", str(path)]) == 0
    assert capsys.readouterr().err == ""


def test_a_gif_that_would_fill_the_memory_is_a_warning() -> None:
    big = scene(
        movie={"output": "m.gif", "resolution": [1920, 1080]},
        shots=[{"type": "orbit", "frames": 1100}],
    )
    assert list(limits.warnings(big)) == [
        (
            ("movie", "resolution"),
            "a GIF of 1920 x 1080 holds every frame in memory until its palette is made: "
            "8.5 GiB for this movie; use .mp4 or .webm, or a smaller size",
        )
    ]


def test_a_build_beyond_the_encoder_stops_before_rendering(
    write_scene: WriteScene, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    path = write_scene(movie={"resolution": [16384, 8192]})
    assert main(["build", str(path)]) == 2
    err = capsys.readouterr().err
    assert "movie.resolution: 16384 x 8192 is 524288 macroblocks" in err
    assert not (tmp_path / ".moviec").exists()
