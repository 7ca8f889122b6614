"""Framing without guessing numbers: the camera distance at which the volume fills the frame.

A camera given as a view ``direction`` and a ``fit`` instead of a position is placed on the
line through its focal point along that direction, at the distance where the volume's bounding
box, seen in perspective, fills ``fit`` of the frame: its projection touches ``fit`` of the
frame's height or width, whichever is tighter, and no corner lies outside. Computed from the
normalised bounds of the data (the longest physical axis spans 1.0, centred at the origin) and
the view angle, without ParaView.
"""

from __future__ import annotations

import itertools
import math
from collections.abc import Sequence

from movie_compiler.camera import vec
from movie_compiler.camera.vec import Vec

UNIT_CUBE: Vec = (0.5, 0.5, 0.5)
"""Half extents used when the data's are unknown: every volume lies inside this cube."""


def normalised_extent(lengths: Sequence[float]) -> Vec:
    """Half extents ``(x, y, z)`` of a volume of physical ``lengths`` along world x, y, z,
    after the normalisation (the longest spans 1.0)."""
    longest = max(lengths)
    x, y, z = (length / longest / 2.0 for length in lengths)
    return (x, y, z)


def corners(extent: Vec) -> list[Vec]:
    return [
        (sx * extent[0], sy * extent[1], sz * extent[2])
        for sx, sy, sz in itertools.product((-1.0, 1.0), repeat=3)
    ]


def fit_distance(
    direction: Sequence[float],
    view_up: Sequence[float],
    focal_point: Sequence[float],
    view_angle: float,
    fit: float,
    aspect: float,
    extent: Vec,
) -> float:
    """Distance from the focal point at which the box ``[-extent, extent]`` fills ``fit`` of
    a perspective frame of width / height ``aspect``, looking along ``direction``."""
    d = vec.unit(vec.vec(direction))
    r = vec.unit(vec.cross(d, vec.vec(view_up)))
    u = vec.cross(r, d)
    tangent = math.tan(math.radians(view_angle) / 2.0) * fit
    f = vec.vec(focal_point)
    distance = 0.0
    for corner in corners(extent):
        p = vec.sub(corner, f)
        depth = vec.dot(p, d)  # towards the far side of the focal point
        needed = max(abs(vec.dot(p, u)), abs(vec.dot(p, r)) / aspect) / tangent - depth
        distance = max(distance, needed)
    return distance


def fit_scale(
    direction: Sequence[float],
    view_up: Sequence[float],
    focal_point: Sequence[float],
    fit: float,
    aspect: float,
    extent: Vec,
) -> float:
    """The orthographic zoom (half the picture's height) at which the box fills ``fit`` of
    the frame."""
    d = vec.unit(vec.vec(direction))
    r = vec.unit(vec.cross(d, vec.vec(view_up)))
    u = vec.cross(r, d)
    f = vec.vec(focal_point)
    half = max(
        max(abs(vec.dot(vec.sub(c, f), u)), abs(vec.dot(vec.sub(c, f), r)) / aspect)
        for c in corners(extent)
    )
    return half / fit
