"""The command line itself: file-system errors are one line and an exit code, not a
traceback."""

from __future__ import annotations

from pathlib import Path

import pytest

from movie_compiler.__main__ import main

ROOT = Path(__file__).resolve().parent.parent
DEMO = ROOT / "scenes" / "demo.toml"


def test_compile_into_a_file_is_an_input_error(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    target = tmp_path / "a-file"
    target.write_text("")
    assert main(["compile", str(DEMO), "-o", str(target)]) == 2
    assert capsys.readouterr().err == f"{target}: is a file; -o names the folder to write into\n"


def test_an_unwritable_place_is_one_line(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    blocker = tmp_path / "not-a-folder"
    blocker.write_text("")
    target = blocker / "scene.schema.json"
    assert main(["schema", "-o", str(target)]) == 1
    assert capsys.readouterr().err == f"moviec: {blocker}: is a file, not a folder\n"
    assert sorted(p.name for p in tmp_path.iterdir()) == ["not-a-folder"]


def test_version(capsys: pytest.CaptureFixture[str]) -> None:
    with pytest.raises(SystemExit) as done:
        main(["--version"])
    assert done.value.code == 0
    assert capsys.readouterr().out.startswith("moviec ")
