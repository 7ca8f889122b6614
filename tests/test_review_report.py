"""``moviec diff --report``: the HTML page opened in real headless Chromium, the summary."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import pytest
from chromium import open_page

from movie_compiler.__main__ import main

WriteScene = Callable[..., Path]
SHOTS = [
    {"name": "turn", "type": "orbit", "frames": 6},
    {"name": "rest", "type": "hold", "frames": 2},
]


def test_the_probe_sees_a_broken_image(tmp_path: Path) -> None:
    page = tmp_path / "index.html"
    page.write_text('<!DOCTYPE html><html><head></head><body><img src="missing.png"></body></html>')
    result = open_page(page)
    assert result["images"] == 1
    assert result["broken"] == ["missing.png"]
    assert result["errors"]


def test_a_report_needs_a_folder(
    write_scene: WriteScene, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = write_scene(shots=SHOTS)
    blocker = tmp_path / "file"
    blocker.write_text("")
    assert main(["diff", str(scene), str(scene), "--report", str(blocker)]) == 2
    assert capsys.readouterr().err == (
        f"{blocker}: is a file; --report names the folder to write into\n"
    )


@pytest.mark.paraview
def test_report_opens_in_chromium_with_every_image(
    mni_h5: Path,
    write_scene: WriteScene,
    tmp_path: Path,
    display: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DISPLAY", display)
    data = {
        "path": str(mni_h5),
        "array": "/PLI",
        "voxel_size": [1.0, 1.0, 1.0],
        "subsample": [1, 4, 4],
    }
    movie = {"resolution": [128, 72]}
    old = write_scene(dataset=data, movie=movie, shots=SHOTS, name="old.toml")
    changed = [{**SHOTS[0], "degrees": 90.0}, SHOTS[1]]
    new = write_scene(dataset=data, movie=movie, shots=changed, name="new.toml")
    out = tmp_path / "report"
    assert main(["-q", "diff", str(old), str(new), "--report", str(out)]) == 0
    assert sorted(p.name for p in out.iterdir()) == [
        "after.png",
        "before.png",
        "camera-paths.png",
        "index.html",
        "summary.md",
        "transfer-functions.png",
    ]
    page = (out / "index.html").read_text("utf-8")
    assert "http" not in page.replace("<!DOCTYPE html>", "")  # nothing from the network
    assert "<code>shots[0].degrees: 360 -&gt; 90</code>" in page
    result = open_page(out / "index.html")
    assert result["images"] == 4
    assert result["broken"] == []
    assert result["errors"] == []
    assert not [line for line in result["console"] if "ERROR" in line.upper()]
    summary = (out / "summary.md").read_text("utf-8")
    assert "- `shots[0].degrees: 360 -> 90`" in summary
    assert "- shots[0] turn: 6 of 6 frames" in summary
    assert "![after](after.png)" in summary
