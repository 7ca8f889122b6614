"""Turn a ParaView state into scene TOML.

The camera is moved into moviec's normalised coordinates exactly as the render script moves
the volume (``normalisation`` in ``script/template.py``): the longest axis of the data, ``N``
voxels of spacing ``s`` being ``N * s`` long, spans 1.0, centred at 0. The data's geometry comes
from the XDMF file the state reads, or from ``--dataset`` (XDMF, or HDF5 with its stored voxel
size). A camera animation track ("Interpolate Camera") becomes a ``flight`` whose keyframes are
the track's, over the animation's frames: ParaView shows frame ``k`` of ``N`` at time
``k / (N - 1)``, so the flight has ``N - 1`` frames and a one-frame ``hold`` ends the movie on
the last keyframe, frame for frame the same as ParaView's animation.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from movie_compiler.errors import InputError
from movie_compiler.importer.pvsm import State

RENDERERS = {
    "Smart": "smart",
    "GPU Based": "gpu",
    "Ray Cast Only": "ray-cast",
    "OSPRay Based": "ospray",
}
COLOR_SPACES = {
    "RGB": "RGB",
    "HSV": "HSV",
    "Lab": "Lab",
    "Diverging": "Diverging",
    "Lab/CIEDE2000": "Lab",
    "Step": "Step",
}


@dataclass(frozen=True)
class Geometry:
    """Where the data lies in ParaView's coordinates, per x, y, z."""

    origin: tuple[float, float, float]
    length: tuple[float, float, float]
    """``count * spacing`` per axis."""

    def normalise(self, point: Sequence[float]) -> list[float]:
        scale = 1.0 / max(self.length)
        return [(point[a] - (self.origin[a] + self.length[a] / 2.0)) * scale for a in range(3)]

    @property
    def scale(self) -> float:
        return 1.0 / max(self.length)


def xdmf_geometry(path: Path, shown: str) -> Geometry:
    """The geometry of a ``3DCoRectMesh`` with ``ORIGIN_DXDYDZ`` (values slowest axis first)."""
    from movie_compiler.data import xdmf

    try:
        root = xdmf.parse(path)
    except Exception as error:  # the xdmf module names the problem
        raise InputError(f"{shown}: {error}") from None
    topology = next((e for e in root.iter() if e.tag.endswith("Topology")), None)
    geometry = next((e for e in root.iter() if e.tag.endswith("Geometry")), None)
    if topology is None or geometry is None or geometry.get("GeometryType") != "ORIGIN_DXDYDZ":
        raise InputError(f"{shown}: not a 3DCoRectMesh with ORIGIN_DXDYDZ geometry")
    dims = [int(n) for n in (topology.get("Dimensions") or "").split()]
    items = [e for e in geometry if e.tag.endswith("DataItem")]
    origin, spacing = ([float(v) for v in (e.text or "").split()] for e in items[:2])
    if len(dims) != 3 or len(origin) != 3 or len(spacing) != 3:
        raise InputError(f"{shown}: expected 3 dimensions, an origin and a spacing")
    return Geometry(
        (origin[2], origin[1], origin[0]),
        (dims[2] * spacing[2], dims[1] * spacing[1], dims[0] * spacing[0]),
    )


def hdf5_geometry(path: Path, shown: str) -> tuple[Geometry, tuple[float, float, float], str]:
    """The geometry moviec gives an HDF5 array (its stored voxel size, else 1), that voxel
    size, and the array's name."""
    from movie_compiler.data.store import DataProblem, select

    try:
        selection = select(path, None)
    except DataProblem as problem:
        raise InputError(f"{shown}: {problem.message}") from None
    voxel = selection.voxel_size or (1.0, 1.0, 1.0)
    shape = selection.shape
    lengths = (shape[2] * voxel[2], shape[1] * voxel[1], shape[0] * voxel[0])
    return Geometry((0.0, 0.0, 0.0), lengths), voxel, selection.array


def scene_toml(state: State, shown: str, dataset: Path | None) -> str:
    """The scene as TOML text, with comments that say where each value came from."""
    if state.volume is None or state.colors is None or state.opacity is None:
        raise InputError(f"{shown}: the render view shows no volume (Representation 'Volume')")
    lines = [
        f"# Imported by `moviec import` from the ParaView state {Path(shown).name}.",
        "# For completion in editors, make the first line: #:schema PATH/schemas/scene.schema.json",
        "",
    ]
    source = _reader_file(state)
    voxel: tuple[float, float, float] | None = None
    array = _array(state)
    if dataset is not None:
        path = dataset.resolve()
        if path.suffix.lower() in (".h5", ".hdf5", ".hdf"):
            geometry, voxel, stored_array = hdf5_geometry(path, str(dataset))
            array = stored_array
        else:
            geometry = xdmf_geometry(path, str(dataset))
    elif source is not None and source.suffix.lower() in (".xdmf", ".xmf"):
        path = source
        geometry = xdmf_geometry(path, str(source))
    else:
        what = f"reads {source}" if source is not None else "names no data file"
        raise InputError(
            f"{shown}: the volume's reader {what}; moviec reads HDF5 or XDMF: give --dataset PATH"
        )
    view = state.view
    size = [int(v) for v in view.numbers("ViewSize")[:2]] or [1920, 1080]
    even = [max(16, v - v % 2) for v in size]
    lines += [
        "[movie]",
        f"resolution = {_list(even)}"
        + ("" if even == size else f"  # the view was {size[0]} x {size[1]}; sides even"),
        f"background = {_list(state.background)}",
        "",
    ]
    lines += ["[dataset]", f"path = {_string(str(path))}"]
    if array:
        lines.append(f"array = {_string(array)}")
    if voxel is not None:
        lines.append(f"voxel_size = {_list(voxel)}  # stored in the file, or 1: check it")
    lines.append("")
    lines += _volume(state, geometry)
    lines += _camera(state, geometry)
    lines += _shots(state, geometry)
    return "\n".join(lines) + "\n"


def _volume(state: State, geometry: Geometry) -> list[str]:
    assert state.volume is not None and state.colors is not None and state.opacity is not None
    rgb = state.colors.numbers("RGBPoints")
    colors = [rgb[i : i + 4] for i in range(0, len(rgb) - 3, 4)]
    points = state.opacity.numbers("Points")
    opacity = []
    for i in range(0, len(points) - 3, 4):
        x, y, mid, sharp = points[i : i + 4]
        opacity.append([x, y] if (mid, sharp) == (0.5, 0.0) else [x, y, mid, sharp])
    space = state.colors.text("ColorSpace") or "RGB"
    renderer = RENDERERS.get(state.volume.text("VolumeRenderingMode") or "Smart", "smart")
    out = ["[volume]", f"renderer = {_string(renderer)}"]
    out.append(
        f"color_space = {_string(COLOR_SPACES.get(space, 'RGB'))}"
        + ("" if COLOR_SPACES.get(space) == space else f"  # ParaView's {space}")
    )
    out.append(f"shade = {'true' if state.volume.text('Shade') == '1' else 'false'}")
    out.append("colors = [")
    out += [f"  {_list(p)}," for p in colors]
    out += ["]", "opacity = ["]
    out += [f"  {_list(p)}," for p in opacity]
    out.append("]")
    return [*out, ""]


def _camera(state: State, geometry: Geometry) -> list[str]:
    view = state.view
    out = ["[camera]  # normalised: the longest axis spans 1.0, centred at 0"]
    out.append(f"position = {_list(geometry.normalise(view.numbers('CameraPosition')))}")
    out.append(f"focal_point = {_list(geometry.normalise(view.numbers('CameraFocalPoint')))}")
    out.append(f"view_up = {_list(_unit(view.numbers('CameraViewUp')))}")
    out.append(f"view_angle = {_number(view.number('CameraViewAngle', 30.0))}")
    if view.text("CameraParallelProjection") == "1":
        out.append('projection = "orthographic"')
        scale = view.number("CameraParallelScale", 1.0) * geometry.scale
        out.append(f"parallel_scale = {_number(scale)}")
    return [*out, ""]


def _shots(state: State, geometry: Geometry) -> list[str]:
    track = state.camera_track
    mode = track.text("Mode") if track is not None else None
    if track is None or len(state.keys) < 1 or state.frames < 2:
        return ["[[shots]]", 'type = "hold"', "frames = 1", ""]
    interpolation = "spline" if track.text("Interpolation") == "Spline" else "linear"
    out = [
        "[[shots]]",
        'name = "camera track"',
        'type = "flight"',
        f"frames = {state.frames - 1}  # ParaView's {state.frames} frames, the last one below",
        f"interpolation = {_string(interpolation)}",
    ]
    if mode != "Interpolate Camera":
        out.append(f"# the track's mode is {mode!r}; imported as its keyframes, interpolated")
    orthographic = state.view.text("CameraParallelProjection") == "1"
    keys = []
    for key in state.keys:
        fields = [
            f"at = {_number(min(1.0, max(0.0, key.time)))}",
            f"position = {_list(geometry.normalise(key.position))}",
            f"focal_point = {_list(geometry.normalise(key.focal_point))}",
            f"view_up = {_list(_unit(key.view_up))}",
            f"view_angle = {_number(key.view_angle)}",
        ]
        if orthographic:
            fields.append(f"parallel_scale = {_number(key.parallel_scale * geometry.scale)}")
        keys.append("  { " + ", ".join(fields) + " },")
    out += ["keyframes = [", *keys, "]", ""]
    out += ["[[shots]]", 'name = "last keyframe"', 'type = "hold"', "frames = 1", ""]
    return out


def _reader_file(state: State) -> Path | None:
    reader = state.reader
    names = (
        reader.properties.get("FileNames") or reader.properties.get("FileName") if reader else None
    )
    return Path(names[0]) if names else None


def _array(state: State) -> str | None:
    assert state.volume is not None
    values = state.volume.properties.get("ColorArrayName", [])
    return values[-1] if values and values[-1] else None


def _unit(v: Sequence[float]) -> list[float]:
    length = math.sqrt(sum(x * x for x in v)) or 1.0
    return [x / length for x in v]


def _number(x: float) -> str:
    text = f"{x:.8g}"
    return text if any(c in text for c in ".en") else text + ".0"


def _list(values: Sequence[Any]) -> str:
    return (
        "["
        + ", ".join(_number(float(v)) if not isinstance(v, int) else str(v) for v in values)
        + "]"
    )


def _string(text: str) -> str:
    import json

    return json.dumps(text, ensure_ascii=False)
