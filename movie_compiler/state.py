"""The frame state: everything one frame shows, as data, and the tracks that animate it.

A :class:`FrameState` maps each track's name to a plain JSON value (numbers, lists, objects,
null). The plan holds one per frame; ``plan.json`` writes them one per line; the render script
sets, for each frame, the tracks whose value differs from the previous frame's; the frame
cache keys a shot by its states and renders frames with equal states once. None of these
needs to know the tracks by name: a new animated property adds an entry to :data:`TRACKS`
(and a setter in the script), and the rest follows.

Each track interpolates in its own way (:data:`TRACKS`): transfer functions by resampling
both point sets onto the union of their scalars, planes (a clip, slices) by turning the normal
on the sphere and moving the offset linearly, boxes and scalars linearly. The camera is a
track too, but its values come from the shot's motion (:mod:`movie_compiler.camera.motion`).
"""

from __future__ import annotations

import bisect
import json
import math
from collections.abc import Callable, Iterator, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from movie_compiler.camera import vec
from movie_compiler.config.model import Box, Plane, Volume

Value = Any
"""A track's value: JSON data."""


class FrameState(Mapping[str, Value]):
    """One frame's complete state, compared and hashed as a whole by its canonical JSON."""

    __slots__ = ("_values", "key")

    def __init__(self, values: Mapping[str, Value]) -> None:
        self._values = dict(values)
        self.key: str = json.dumps(
            self._values, sort_keys=True, separators=(",", ":"), allow_nan=False
        )
        """Canonical JSON: equal keys, equal pixels."""

    def __getitem__(self, name: str) -> Value:
        return self._values[name]

    def __iter__(self) -> Iterator[str]:
        return iter(self._values)

    def __len__(self) -> int:
        return len(self._values)

    def __eq__(self, other: object) -> bool:
        return isinstance(other, FrameState) and other.key == self.key

    def __hash__(self) -> int:
        return hash(self.key)

    def __repr__(self) -> str:
        return f"FrameState({self.key})"


@dataclass(frozen=True)
class Track:
    """How one animated property of the volume is planned."""

    initial: Callable[[Volume], Value]
    """Its value before any keyframe, from ``[volume]``."""
    keyframe: Callable[[Any], Value]
    """Its value from a keyframe's key (a model value) -> track value."""
    mix: Callable[[Value, Value, float], Value]
    """The value a fraction ``s`` of the way from one value to the next."""


# -- interpolation ---------------------------------------------------------------------------


def _lerp(a: float, b: float, s: float) -> float:
    return a + (b - a) * s


def _sample(points: Sequence[Sequence[float]], scalar: float) -> list[float]:
    """The values of a point set at ``scalar``: linear between points, constant outside."""
    scalars = [p[0] for p in points]
    if scalar <= scalars[0]:
        return list(points[0][1:])
    if scalar >= scalars[-1]:
        return list(points[-1][1:])
    i = bisect.bisect_right(scalars, scalar) - 1
    a, b = points[i], points[i + 1]
    s = (scalar - a[0]) / (b[0] - a[0])
    return [_lerp(x, y, s) for x, y in zip(a[1:], b[1:], strict=True)]


def mix_points(a: Sequence[Sequence[float]], b: Sequence[Sequence[float]], s: float) -> Value:
    """Point sets (``[scalar, values...]``) a fraction ``s`` of the way from ``a`` to ``b``:
    both resampled onto the union of their scalars, then mixed value by value. Exactly ``a`` at
    0 and ``b`` at 1."""
    if s <= 0.0:
        return [list(p) for p in a]
    if s >= 1.0:
        return [list(p) for p in b]
    scalars = sorted({p[0] for p in a} | {p[0] for p in b})
    return [
        [x, *(_lerp(u, v, s) for u, v in zip(_sample(a, x), _sample(b, x), strict=True))]
        for x in scalars
    ]


def mix_number(a: float, b: float, s: float) -> float:
    return _lerp(a, b, s)


def mix_plane(a: Mapping[str, Any], b: Mapping[str, Any], s: float) -> Value:
    """The normal turned on the sphere, the offset moved linearly."""
    na, nb = vec.vec(a["normal"]), vec.vec(b["normal"])
    cos = max(-1.0, min(1.0, vec.dot(na, nb)))
    angle = math.acos(cos)
    if angle < 1e-12 or s <= 0.0 or s >= 1.0:
        normal = na if s < 1.0 else nb
    else:
        wa, wb = math.sin((1.0 - s) * angle), math.sin(s * angle)
        normal = vec.unit(vec.add(vec.scale(na, wa), vec.scale(nb, wb)))
    return {"normal": list(normal), "offset": _lerp(a["offset"], b["offset"], s)}


def mix_box(a: Mapping[str, Any], b: Mapping[str, Any], s: float) -> Value:
    return {
        corner: [_lerp(x, y, s) for x, y in zip(a[corner], b[corner], strict=True)]
        for corner in ("min", "max")
    }


def open_plane(normal: Sequence[float]) -> Value:
    """A plane facing ``normal`` that clips nothing of the volume (every point of the cube
    from -0.5 to 0.5 lies on its side)."""
    n = vec.unit(vec.vec(normal))
    return {"normal": list(n), "offset": -0.5 * sum(abs(c) for c in n)}


WHOLE_BOX: Value = {"min": [-0.5, -0.5, -0.5], "max": [0.5, 0.5, 0.5]}
"""A box around the whole volume (the longest axis spans -0.5 to 0.5, the others less)."""


def plane_value(plane: Plane | None) -> Value:
    if plane is None:
        return None
    return {"normal": list(vec.unit(vec.vec(plane.normal))), "offset": plane.offset}


def box_value(box: Box | None) -> Value:
    return None if box is None else {"min": list(box.min), "max": list(box.max)}


def opacity_points(points: Sequence[Sequence[float]]) -> Value:
    """Opacity points with midpoint and sharpness written out (0.5 and 0 by default)."""
    return [[*p, *(0.5, 0.0)[len(p) - 2 :]] for p in points]


def _mix_or_open(
    mix: Callable[[Value, Value, float], Value], closed: Callable[[Value], Value]
) -> Callable[[Value, Value, float], Value]:
    """``mix`` where ``None`` (no clip, no box) stands for the value that hides nothing."""

    def mixed(a: Value, b: Value, s: float) -> Value:
        if a is None and b is None:
            return None
        if s >= 1.0:
            return b
        if s <= 0.0:
            return a
        return mix(closed(b) if a is None else a, closed(a) if b is None else b, s)

    return mixed


TRACKS: dict[str, Track] = {
    "colors": Track(
        lambda v: [list(p) for p in v.colors], lambda c: [list(p) for p in c], mix_points
    ),
    "opacity": Track(lambda v: opacity_points(v.opacity), opacity_points, mix_points),
    "opacity_scale": Track(lambda v: v.opacity_scale, float, mix_number),
    "clip": Track(
        lambda v: plane_value(v.clip),
        plane_value,
        _mix_or_open(mix_plane, lambda p: open_plane(p["normal"])),
    ),
    "slices": Track(
        lambda v: [plane_value(p) for p in v.slices],
        lambda planes: [plane_value(p) for p in planes],
        lambda a, b, s: [mix_plane(x, y, s) for x, y in zip(a, b, strict=True)],
    ),
    "box": Track(lambda v: box_value(v.box), box_value, _mix_or_open(mix_box, lambda _: WHOLE_BOX)),
}
"""The volume's animated properties, by the keyframe key that animates each."""


def frame_state(camera: Mapping[str, Any], volume: Mapping[str, Value]) -> FrameState:
    """What the script sets for one frame: the camera and the volume's tracks."""
    return FrameState({"camera": dict(camera), **volume})
