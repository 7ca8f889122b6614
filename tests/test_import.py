"""``moviec import``: ParaView state files written by real pvpython become scenes whose frames
match ParaView's own screenshots of that state."""

from __future__ import annotations

import re
import textwrap
from collections.abc import Callable
from pathlib import Path

import numpy as np
import pytest

from movie_compiler.__main__ import main
from movie_compiler.build import prepare, render_frames
from movie_compiler.config.load import load_scene

# A view of the data in physical coordinates (origin and spacing of our own choosing), a
# volume with Lab colours, a camera track of two keyframes over five frames. It saves the state
# and ParaView's screenshots of the animation's first and last frame.
MAKE_STATE = textwrap.dedent(
    """
    import sys
    from paraview import servermanager
    from paraview.simple import *

    xdmf, state, first, last = sys.argv[1:5]
    reader = XDMFReader(FileNames=[xdmf])
    view = CreateRenderView()
    view.ViewSize = [160, 120]
    view.OrientationAxesVisibility = 0
    view.UseColorPaletteForBackground = 0
    view.Background = [0.1, 0.15, 0.3]
    display = Show(reader, view)
    Render(view)  # the first render resets the camera; the state's camera is set below
    display.SetRepresentationType("Volume")
    display.VolumeRenderingMode = "GPU Based"
    ColorBy(display, ("POINTS", "T1"))
    colors = GetColorTransferFunction("T1")
    colors.AutomaticRescaleRangeMode = "Never"
    colors.RGBPoints = [0, 0, 0, 0, 120, 0.9, 0.4, 0.3, 255, 1, 1, 0.9]
    colors.ColorSpace = "Lab"
    opacity = GetOpacityTransferFunction("T1")
    opacity.Points = [0, 0, 0.5, 0, 90, 0, 0.5, 0, 200, 0.6, 0.5, 0, 255, 0.9, 0.5, 0]
    start = dict(Position=[-150, 330, 260], FocalPoint=[110, 137, 120], ViewUp=[0, 0, 1])
    end = dict(Position=[380, 330, 200], FocalPoint=[110, 137, 120], ViewUp=[0, 0, 1])
    view.CameraPosition = start["Position"]
    view.CameraFocalPoint = start["FocalPoint"]
    view.CameraViewUp = start["ViewUp"]
    view.CameraViewAngle = 30
    scene = GetAnimationScene()
    scene.PlayMode = "Sequence"
    scene.NumberOfFrames = 5
    track = GetCameraTrack(view=view)
    track.Mode = "Interpolate Camera"
    keys = []
    for time, pose in ((0.0, start), (1.0, end)):
        key = CameraKeyFrame(KeyTime=time, ViewAngle=30, **pose)
        servermanager.ProxyManager().RegisterProxy("animation", "CameraKeyFrame%d" % time, key)
        keys.append(key)
    track.KeyFrames = keys
    scene.AnimationTime = 0.0
    Render(view)
    SaveScreenshot(first, view, ImageResolution=[160, 120])
    SaveState(state)
    scene.AnimationTime = 1.0
    Render(view)
    SaveScreenshot(last, view, ImageResolution=[160, 120])
    """
)


@pytest.fixture
def physical_xdmf(mni_h5: Path, tmp_path: Path) -> Path:
    """The MNI volume's coarsest level described with an origin and voxel size in mm
    (1 x 4 x 4 mm voxels of level 2, 197 x 59 x 48 of them, the corner at 30, 20, 10)."""
    out = tmp_path / "mni.xdmf"
    assert (
        main(
            [
                "-q",
                "xdmf",
                str(mni_h5),
                "-o",
                str(out),
                "--level",
                "2",
                "--absolute",
                "--voxel-size",
                "1,1,1",
            ]
        )
        == 0
    )
    text = out.read_text("utf-8")
    text = re.sub(r'(Name="Origin"[^>]*>)[^<]*', r"\g<1>30 20 10", text)
    text = re.sub(r'(Name="Spacing"[^>]*>)[^<]*', r"\g<1>1 4 4", text)
    text = re.sub(r'Attribute Name="[^"]*"', 'Attribute Name="T1"', text)
    out.write_text(text, "utf-8")
    return out


def image(path: Path) -> np.ndarray:
    import matplotlib.image as mpimg

    return np.asarray(mpimg.imread(str(path)))[:, :, :3]


@pytest.mark.paraview
def test_an_imported_state_renders_like_paraview(
    physical_xdmf: Path,
    tmp_path: Path,
    run_pvbatch: Callable[..., object],
    display: str,
    monkeypatch: pytest.MonkeyPatch,
) -> None:
    script = tmp_path / "make_state.py"
    script.write_text(MAKE_STATE, "utf-8")
    state, first, last = tmp_path / "view.pvsm", tmp_path / "first.png", tmp_path / "last.png"
    run_pvbatch(script, str(physical_xdmf), str(state), str(first), str(last))
    scene = tmp_path / "imported.toml"
    assert main(["import", str(state), "-o", str(scene)]) == 0
    text = scene.read_text("utf-8")
    assert "resolution = [160, 120]" in text
    assert "background = [0.1, 0.15, 0.3]" in text
    assert 'color_space = "Lab"' in text
    assert 'renderer = "gpu"' in text
    assert "[200.0, 0.6]," in text
    loaded = load_scene(scene)
    shots = loaded.scene.shots
    assert [type(s).__name__ for s in shots] == ["Flight", "Hold"]
    assert [k.at for k in shots[0].keyframes] == [0.0, 1.0]
    # normalised: the 59 * 4 mm axis (y) spans 1.0; the data's centre is at the origin
    assert loaded.scene.camera.focal_point == pytest.approx(
        [
            (110 - (10 + 48 * 4 / 2)) / 236,
            (137 - (20 + 59 * 4 / 2)) / 236,
            (120 - (30 + 197 / 2)) / 236,
        ]
    )
    monkeypatch.setenv("DISPLAY", display)
    prepared = prepare(loaded, cache_dir=tmp_path / "cache")
    assert render_frames(prepared, [0, 4]) == 2
    cache = prepared.space.frames
    for frame, screenshot in ((0, first), (4, last)):
        ours = image(cache.frame_path(prepared.plan, prepared.keys, frame))
        theirs = image(screenshot)
        assert ours.shape == theirs.shape == (120, 160, 3)
        assert theirs.std() > 0.05  # the volume is in the picture
        difference = float(np.abs(ours - theirs).mean())
        assert difference < 0.01, (frame, difference)


def test_a_file_that_is_not_xml(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "view.pvsm"
    state.write_text("<ServerManagerState>\n  <Proxy group='views'\n", "utf-8")
    assert main(["import", str(state)]) == 2
    assert capsys.readouterr().err == (
        f"{state}:2:3: not a ParaView state file (not XML: unclosed token)\n"
    )


def test_xml_that_is_not_a_state(tmp_path: Path, capsys: pytest.CaptureFixture[str]) -> None:
    state = tmp_path / "view.pvsm"
    state.write_text("<Xdmf><Domain/></Xdmf>\n", "utf-8")
    assert main(["import", str(state), "-o", str(tmp_path / "out.toml")]) == 2
    assert capsys.readouterr().err == (
        f"{state}: not a ParaView state file (no ServerManagerState element; File > Save State "
        "in ParaView writes one)\n"
    )
    assert not (tmp_path / "out.toml").exists()
    assert main(["import", str(tmp_path / "missing.pvsm")]) == 2
    assert capsys.readouterr().err == f"{tmp_path / 'missing.pvsm'}: no such file\n"


def prop(name: str, *values: object, proxies: bool = False, enum: str = "") -> str:
    tag = "Proxy" if proxies else "Element"
    items = "".join(
        f'<{tag} value="{v}"/>' if proxies else f'<Element index="{i}" value="{v}"/>'
        for i, v in enumerate(values)
    )
    return f'<Property name="{name}">{items}{enum}</Property>'


def minimal_state(data: Path) -> str:
    """A state as ParaView writes it, cut to what import reads: a palette background, a
    parallel projection, an odd view size, no camera track."""
    space = '<Domain name="enum"><Entry value="2" text="Lab"/></Domain>'
    mode = '<Domain name="enum"><Entry value="2" text="GPU Based"/></Domain>'
    return f"""<GenericParaViewApplication><ServerManagerState version="5.11.0">
<Proxy group="settings" type="ColorPalette" id="1">{prop("BackgroundColor", 0.2, 0.2, 0.2)}</Proxy>
<Proxy group="sources" type="XdmfReader" id="2">{prop("FileNames", data)}</Proxy>
<Proxy group="lookup_tables" type="PVLookupTable" id="3">
{prop("RGBPoints", 0, 0, 0, 0, 255, 1, 1, 1)}{prop("ColorSpace", 2, enum=space)}</Proxy>
<Proxy group="piecewise_functions" type="PiecewiseFunction" id="4">
{prop("Points", 0, 0, 0.5, 0, 255, 1, 0.3, 0.2)}</Proxy>
<Proxy group="representations" type="UniformGridRepresentation" id="5">
{prop("Input", 2, proxies=True)}{prop("Representation", "Volume")}{prop("Visibility", 1)}
{prop("ColorArrayName", "", "", "", "0", "PLI")}{prop("LookupTable", 3, proxies=True)}
{prop("ScalarOpacityFunction", 4, proxies=True)}{prop("Shade", 1)}
{prop("VolumeRenderingMode", 2, enum=mode)}</Proxy>
<Proxy group="views" type="RenderView" id="6">
{prop("Representations", 5, proxies=True)}{prop("ViewSize", 641, 361)}
{prop("UseColorPaletteForBackground", 1)}{prop("Background", 1, 1, 1)}
{prop("CameraPosition", 0, 0, 400)}{prop("CameraFocalPoint", 0, 0, 0)}
{prop("CameraViewUp", 0, 2, 0)}{prop("CameraViewAngle", 30)}
{prop("CameraParallelProjection", 1)}{prop("CameraParallelScale", 100)}</Proxy>
</ServerManagerState></GenericParaViewApplication>
"""


def test_import_with_an_hdf5_dataset(
    mni_h5: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    state = tmp_path / "view.pvsm"
    state.write_text(minimal_state(tmp_path / "view.vti"), "utf-8")
    assert main(["import", str(state)]) == 2
    assert capsys.readouterr().err == (
        f"{state}: the volume's reader reads {tmp_path / 'view.vti'}; moviec reads HDF5 or "
        "XDMF: give --dataset PATH\n"
    )
    out = tmp_path / "scene.toml"
    assert main(["import", str(state), "--dataset", str(mni_h5), "-o", str(out)]) == 0
    text = out.read_text("utf-8")
    assert "resolution = [640, 360]  # the view was 641 x 361; sides even" in text
    assert "background = [0.2, 0.2, 0.2]" in text
    assert 'array = "/PLI"' in text
    assert "voxel_size = [1.0, 1.0, 1.0]" in text
    assert 'renderer = "gpu"' in text and "shade = true" in text
    assert "[255.0, 1.0, 0.3, 0.2]," in text  # midpoint and sharpness kept
    loaded = load_scene(out)
    camera = loaded.scene.camera
    # the MNI array is 197 x 233 x 189 voxels of 1: y (233) spans 1.0, x's centre is 94.5
    assert camera.position == pytest.approx((-94.5 / 233, -116.5 / 233, (400 - 98.5) / 233))
    assert camera.projection == "orthographic"
    assert camera.parallel_scale == pytest.approx(100 / 233)
    assert camera.view_up == (0.0, 1.0, 0.0)
    assert [type(s).__name__ for s in loaded.scene.shots] == ["Hold"]
