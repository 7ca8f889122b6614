"""Render the scene reference (``docs/scene-format.md``) from the model's field docstrings."""

from __future__ import annotations

import json
from typing import Any

from movie_compiler.config.model import (
    Box,
    Camera,
    Cluster,
    Dataset,
    Dolly,
    Encode,
    Flight,
    Hold,
    Keyframe,
    Movie,
    Orbit,
    Plane,
    Scene,
    ShotBase,
    Volume,
)
from movie_compiler.config.model_base import Table
from movie_compiler.config.overlay_model import (
    Caption,
    Fade,
    Legend,
    Orientation,
    Overlays,
    ScaleBar,
    Stamp,
    Title,
    Transitions,
)

INTRO = """\
# Scene file reference

<!-- Generated from movie_compiler/config/model.py by `moviec schema --markdown`; do not edit.
     The tests fail when this file is stale. -->

A scene is a TOML file. Paths in it are relative to the scene file. Coordinates are
*normalised world coordinates*: the dataset's longest physical axis spans 1.0 and the volume
is centred at the origin, so camera numbers stay valid between the full data, a subsample and
a pyramid level. Unknown keys are errors. `moviec check SCENE` validates a scene without the
dataset; `moviec schema` prints the JSON Schema that editors use for completion (first line of
the scene: `#:schema ../schemas/scene.schema.json` for a scene in `scenes/`, the path
relative to the scene file).

The frame-count rule: a shot of N frames shows its motion at times k/N for k = 0 .. N-1; its
end state is the first frame of the next shot. So shots join without a repeated frame and a 360
degree orbit loops without repeating its first frame. To end on a flight's last keyframe, add a
`hold` shot after it.
"""

OVERLAYS_NOTE = (
    "Text sizes are fractions of the frame height, so a draft and a 4K render look alike. "
    "Texts (title, captions, stamp) are part of each frame's state: editing a caption "
    "re-renders only its shot. The scale bar, legend and orientation are drawn in every frame; "
    "changing them re-renders the movie."
)
TRANSITIONS_NOTE = (
    "Fades and crossfades are made in the encode step from the rendered frames; changing them "
    "re-renders nothing. The frame-count rule: a crossfade of N frames overlaps the last N "
    "frames of the previous shot with the first N of its shot (frame k of N shows "
    "(k + 1) / (N + 1) of the new shot), so every crossfade makes the movie N frames shorter; "
    "fades change no frame count. The sidecar `MOVIE.json` records the rule and the counts."
)

SECTIONS: list[tuple[str, type[Table], str]] = [
    ("[movie]", Movie, ""),
    ("[dataset]", Dataset, ""),
    ("[volume]", Volume, ""),
    ("[camera]", Camera, ""),
    ("[[shots]]: every shot", ShotBase, ""),
    ('[[shots]] type = "orbit"', Orbit, ""),
    ('[[shots]] type = "flight"', Flight, ""),
    (
        "keyframes",
        Keyframe,
        "Inline tables in a shot's `keyframes` array, or `[[shots.keyframes]]` tables.",
    ),
    ('[[shots]] type = "dolly"', Dolly, ""),
    ('[[shots]] type = "hold"', Hold, ""),
    ("planes (`clip`)", Plane, ""),
    ("boxes (`box`)", Box, ""),
    ("[encode]", Encode, ""),
    ("[overlays]", Overlays, OVERLAYS_NOTE),
    ("[overlays.title]", Title, ""),
    ("[[overlays.captions]]", Caption, ""),
    ("[overlays.stamp]", Stamp, ""),
    ("[overlays.scale_bar]", ScaleBar, ""),
    ("[overlays.legend]", Legend, ""),
    ("[overlays.orientation]", Orientation, ""),
    ("[transitions]", Transitions, TRANSITIONS_NOTE),
    ("fades (`fade_in`, `fade_out`)", Fade, ""),
    ("[cluster]", Cluster, ""),
]


def markdown() -> str:
    """The whole reference page."""
    schema = Scene.model_json_schema()
    defs = schema.get("$defs", {})
    parts = [INTRO]
    for title, model, note in SECTIONS:
        parts.append(f"\n## {title}\n")
        parts.append(_clean(model.__doc__ or "") + "\n")
        if note:
            parts.append(note + "\n")
        own = _own_fields(model)
        model_schema = defs.get(model.__name__) or model.model_json_schema()
        rows = ["| key | type | default | meaning |", "| --- | --- | --- | --- |"]
        for name in own:
            prop = model_schema.get("properties", {}).get(name, {})
            field = model.model_fields[name]
            value = field.get_default(call_default_factory=True)
            default = "required" if field.is_required() else f"`{_toml(value)}`"
            kind = _type(prop, defs)
            rows.append(f"| `{name}` | {kind} | {default} | {_clean(field.description or '')} |")
        if len(rows) > 2:
            parts.append("\n".join(rows) + "\n")
    parts.append("\n## [profiles.NAME]\n")
    parts.append(_clean(Scene.model_fields["profiles"].description or "") + "\n")
    return "\n".join(parts)


def _own_fields(model: type[Table]) -> list[str]:
    if model in (Orbit, Flight, Dolly, Hold):
        return [n for n in model.model_fields if n not in ShotBase.model_fields]
    return list(model.model_fields)


def _clean(text: str) -> str:
    return " ".join(text.split()).replace("|", "\\|")


def _toml(value: Any) -> str:
    if value is None:
        return "none"
    if isinstance(value, tuple):
        value = list(value)
    if isinstance(value, Table):
        return "{}"
    return json.dumps(value)


def _type(prop: dict[str, Any], defs: dict[str, Any]) -> str:
    if "$ref" in prop:
        return "table"
    if "anyOf" in prop:
        kinds = [_type(p, defs) for p in prop["anyOf"] if p.get("type") != "null"]
        return " or ".join(kinds)
    if "enum" in prop:
        return "one of " + ", ".join(f"`{json.dumps(v)}`" for v in prop["enum"])
    if "const" in prop:
        return f"`{json.dumps(prop['const'])}`"
    kind = prop.get("type")
    if kind == "array":
        items = prop.get("items", {})
        size = prop.get("minItems"), prop.get("maxItems")
        inner = _type(items, defs)
        if size[0] is not None and size[0] == size[1]:
            return f"array of {size[0]} × {inner}"
        if size[0] is not None and size[1] is not None:
            return f"array of {size[0]}-{size[1]} × {inner}"
        return f"array of {inner}"
    if kind == "object":
        return "table"
    return {"number": "number", "integer": "integer", "string": "string", "boolean": "boolean"}.get(
        str(kind), "value"
    )
