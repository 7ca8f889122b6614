"""``moviec preview``: stills chosen per shot, rendered by real ParaView and cached; the
camera path and transfer function drawn."""

from __future__ import annotations

from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from movie_compiler.__main__ import main
from movie_compiler.cache import png_size
from movie_compiler.config.load import load_scene
from movie_compiler.plan import plan
from movie_compiler.review import preview, stills

WriteScene = Callable[..., Path]
SHOTS = [
    {"name": "turn", "type": "orbit", "frames": 8},
    {
        "name": "fly",
        "type": "flight",
        "frames": 10,
        "keyframes": [
            {"at": 0.5, "position": [1.5, 0.5, 0.5], "focal_point": [0.0, 0.0, 0.0]},
            {"at": 1.0, "position": [0.5, 1.5, 0.5], "focal_point": [0.0, 0.0, 0.0]},
        ],
    },
]


def test_stills_are_first_middle_last_and_keyframes(write_scene: WriteScene) -> None:
    frames_plan = plan(load_scene(write_scene(shots=SHOTS)).scene)
    chosen = [(s.shot, s.frame, s.label) for s in stills.choose(frames_plan)]
    assert chosen == [
        (0, 0, "first"),
        (0, 3, "middle"),
        (0, 7, "last"),
        (1, 8, "first"),
        (1, 12, "middle"),
        (1, 13, "key 1"),
        (1, 17, "last, key 2"),
    ]


def test_size_option(capsys: pytest.CaptureFixture[str], write_scene: WriteScene) -> None:
    assert stills.parse_size("320x180") == (320, 180)
    scene = write_scene()
    assert main(["preview", str(scene), "-o", "out", "--size", "321x180"]) == 2
    assert (
        capsys.readouterr().err
        == "--size 321x180: both sides even and at least 16, such as 320x180\n"
    )
    assert main(["preview", str(scene), "-o", "out", "--size", "big"]) == 2
    assert capsys.readouterr().err == "--size big: expected WIDTHxHEIGHT, such as 320x180\n"


@pytest.mark.paraview
def test_preview_renders_stills_once_and_draws_three_images(
    mni_h5: Path,
    write_scene: WriteScene,
    tmp_path: Path,
    display: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    monkeypatch.setenv("DISPLAY", display)
    data = {"path": str(mni_h5), "array": "/PLI", "voxel_size": [1.0, 1.0, 1.0]}
    loaded = load_scene(write_scene(dataset=data, shots=SHOTS, movie={"resolution": [640, 360]}))
    out = tmp_path / "preview"
    first = preview.write(loaded, out, (96, 54))
    assert (first.stills, first.rendered) == (7, 7)
    import matplotlib.image as mpimg

    for path in (first.contact_sheet, first.camera_path, first.transfer_function):
        size = png_size(path)
        assert size is not None and size[0] > 500, path
    sheet = mpimg.imread(str(first.contact_sheet))
    assert sheet.std() > 0.05  # pictures, not a blank page
    stills_dir = tmp_path / ".moviec" / "frames"
    small = [p for p in stills_dir.rglob("*.png") if png_size(p) == (96, 54)]
    assert len(small) == 7
    assert max(np.asarray(mpimg.imread(str(p))).std() for p in small) > 0.02
    again = preview.write(loaded, out, (96, 54))
    assert again.rendered == 0  # the stills come from the frame cache
    assert sorted(p.name for p in out.iterdir()) == [
        "camera-path.png",
        "contact-sheet.png",
        "transfer-function.png",
    ]
