"""Command-line conventions: -q/-v in either place, --help with the exit codes, readable frame
names (--frames-out), no folders for shots not rendered, long paths shortened, messages."""

from __future__ import annotations

import os
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path

import pytest

from movie_compiler.__main__ import main, parser

WriteScene = Callable[..., Path]
ROOT = Path(__file__).resolve().parent.parent
COMMANDS = ["check", "compile", "build", "convert", "xdmf", "schema", "doctor"]


@pytest.mark.parametrize("command", COMMANDS)
def test_every_command_help_shows_verbosity_and_exit_codes(
    command: str, capsys: pytest.CaptureFixture[str]
) -> None:
    with pytest.raises(SystemExit) as caught:
        parser().parse_args([command, "--help"])
    assert caught.value.code == 0
    text = " ".join(capsys.readouterr().out.split())
    assert "-q, --quiet" in text and "-v, --verbose" in text
    assert (
        "Exit codes: 0 ok, 1 a build step failed (also a full disk or a read-only folder), 2 "
        "invalid input, 3 missing requirement, 4 a cluster build left the movie incomplete, "
        "130 interrupted. See docs/cli.md." in text
    )


def test_quiet_and_verbose_after_the_command(
    write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = write_scene(shots=[{"type": "orbit", "seconds": 4000.0}])  # a warning to silence
    assert main(["check", str(scene)]) == 0
    assert capsys.readouterr().err.startswith("warning: ")
    for args in (["-q", "check", str(scene)], ["check", str(scene), "-q"]):
        assert main(args) == 0
        out, err = capsys.readouterr()
        assert (out.startswith(f"{scene}: ok"), err) == (True, "warning: " + err[9:])
    assert main(["check", str(scene), "-q", "--set", "movie.fps=0"]) == 2
    assert main(["-q", "check", str(scene), "-v"]) == 2
    assert capsys.readouterr().err.endswith("moviec: error: -q and -v exclude each other\n")


def test_a_quiet_value_before_the_command_is_not_reset_after_it() -> None:
    args = parser().parse_args(["-q", "check", "scene.toml"])
    assert args.quiet is True and getattr(args, "verbose", False) is False
    args = parser().parse_args(["check", "scene.toml", "-v"])
    assert args.verbose is True and getattr(args, "quiet", False) is False


def test_a_path_of_ten_thousand_characters_is_shortened(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    long = str(tmp_path / ("a" * 10_000)) + ".toml"
    assert main(["check", long]) == 2
    err = capsys.readouterr().err
    assert len(err) < 400
    assert f"({len(long)} characters)" in err and err.endswith(
        ": cannot read: File name too long\n"
    )
    assert main(["build", long]) == 2
    assert len(capsys.readouterr().err) < 400


def test_xdmf_names_the_pyramid_level_it_reads(
    mni_h5: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = tmp_path / "level1.xdmf"
    assert main(["xdmf", str(mni_h5), "--voxel-size", "1,1,1", "--level", "1", "-o", str(out)]) == 0
    assert capsys.readouterr().err == (
        f"wrote {out}: 197 x 117 x 95 of /PLI, pyramid level 1 (1x2x2 block mean)\n"
    )
    assert main(["xdmf", str(mni_h5), "--voxel-size", "1,1,1", "--subsample", "1,4,4",
                 "-o", str(out)]) == 0  # fmt: skip
    assert capsys.readouterr().err == (
        f"wrote {out}: 197 x 59 x 48 of /PLI, hyperslab with stride 1x4x4\n"
    )


SCENE = """\
[movie]
resolution = [96, 64]
output = "movie.mp4"

[dataset]
path = "{data}"
array = "/PLI"
voxel_size = [1.0, 1.0, 1.0]
subsample = [1, 4, 4]

[volume]
colors = [[0, 0, 0, 0], [140, 0.85, 0.45, 0.3], [255, 1, 1, 1]]
opacity = [[0, 0], [110, 0], [200, 0.5], [255, 0.9]]

[camera]
position = [-1.6, 1.2, 0.8]
view_up = [0, 0, 1]

[[shots]]
name = "turn around"
type = "orbit"
frames = 4

[[shots]]
type = "dolly"
factor = 0.8
frames = 3
"""


@pytest.mark.paraview
def test_frames_out_names_frames_by_shot_and_frame_and_no_folder_for_other_shots(
    mni_h5: Path, tmp_path: Path
) -> None:
    scene = tmp_path / "scene.toml"
    scene.write_text(SCENE.format(data=mni_h5), encoding="utf-8")
    cache, out = tmp_path / "cache", tmp_path / "readable"
    result = subprocess.run(
        [sys.executable, "-m", "movie_compiler", "build", str(scene), "--cache-dir", str(cache),
         "--frames", "0:2", "--frames-out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    assert len([p for p in (cache / "frames").iterdir() if p.is_dir()]) == 1  # the first shot's
    assert sorted(str(p.relative_to(out)) for p in out.rglob("*.png")) == [
        "01-turn_around/000000.png",
        "01-turn_around/000001.png",
    ]
    result = subprocess.run(
        [sys.executable, "-m", "movie_compiler", "build", str(scene), "--cache-dir", str(cache),
         "--frames-out", str(out)],
        capture_output=True, text=True, cwd=ROOT, timeout=600,
    )  # fmt: skip
    assert result.returncode == 0, result.stderr
    names = sorted(str(p.relative_to(out)) for p in out.rglob("*.png"))
    assert names == [
        *(f"01-turn_around/{n:06d}.png" for n in range(4)),
        *(f"02-shot-2/{n:06d}.png" for n in range(4, 7)),
    ]
    frames = sorted((cache / "frames").rglob("*.png"), key=lambda p: p.stat().st_ino)
    linked = sorted(out.rglob("*.png"), key=lambda p: p.stat().st_ino)
    assert [p.stat().st_ino for p in frames] == [p.stat().st_ino for p in linked]  # hard links
    assert not [p for p in out.rglob("*") if ".partial" in p.name]
    assert os.path.exists(tmp_path / "movie.mp4")
