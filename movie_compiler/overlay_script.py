"""The render script's overlay section: the scene's scale bar, legend and orientation as
constants (through :mod:`movie_compiler.literal`), then the code that draws them
(``script/overlays.py``)."""

from __future__ import annotations

from importlib import resources
from typing import Any

from movie_compiler.config.load import LoadedScene
from movie_compiler.config.model import Scene
from movie_compiler.literal import table

OPPOSITE = {"R": "L", "L": "R", "A": "P", "P": "A", "S": "I", "I": "S"}
"""Each anatomical direction's opposite."""


def anatomical_labels(code: str, distance: float) -> list[list[Any]]:
    """``[letter, [x, y, z]]`` beside each of the volume's six faces, for the orientation
    ``code`` of ParaView's x, y, z axes (such as ``"RAS"``): the letter each axis points to on
    its positive side, its opposite on the negative side."""
    labels: list[list[Any]] = []
    for axis, letter in enumerate(code):
        for sign, shown in ((1.0, letter), (-1.0, OPPOSITE[letter])):
            position = [0.0, 0.0, 0.0]
            position[axis] = sign * distance
            labels.append([shown, position])
    return labels


def constants(scene: Scene, array: str | None) -> dict[str, Any]:
    """The overlay section's constants: None for what the scene does not draw."""
    overlays = scene.overlays
    bar = overlays.scale_bar
    scale_bar = None
    if bar is not None:
        scale_bar = {
            **bar.model_dump(mode="json"),
            "unit": scene.dataset.unit,
        }
    legend = None
    if overlays.legend is not None:
        legend = overlays.legend.model_dump(mode="json")
        if legend["title"] is None:
            legend["title"] = array or ""
    orientation = None
    if overlays.orientation is not None:
        o = overlays.orientation
        code = scene.dataset.orientation
        orientation = {
            "axes": o.axes,
            "labels": anatomical_labels(code, o.distance) if o.labels and code else [],
            "size": o.size,
            "color": list(o.color),
            "font": o.font,
        }
    return {"SCALE_BAR": scale_bar, "LEGEND": legend, "ORIENTATION": orientation}


NOTES = {
    "SCALE_BAR": "overlays.scale_bar; length None: chosen from the first frame",
    "LEGEND": "overlays.legend",
    "ORIENTATION": "overlays.orientation, with dataset.orientation's labels",
}


def overlay_section(loaded: LoadedScene) -> str:
    """Constants and code of the render script's overlay section."""
    from movie_compiler.generate import array_name

    values = constants(loaded.scene, array_name(loaded))
    lines = [table(name, value, NOTES[name]) for name, value in values.items()]
    code = resources.files("movie_compiler.script").joinpath("overlays.py").read_text("utf-8")
    code_lines = code.rstrip("\n").split("\n")
    head = next(i for i, line in enumerate(code_lines) if not line.startswith("#"))
    return "\n".join([*code_lines[:head], *lines, *code_lines[head:]])
