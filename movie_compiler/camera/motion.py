"""Camera poses and the motions between them, as pure functions of a shot's progress.

A :class:`Pose` is what ParaView's camera takes. For interpolation a pose is split into a
:class:`Rig`: focal point, distance, orientation (a unit quaternion) and zoom. Flights
interpolate each part in its own space: the focal point linearly or on a monotone cubic, the
distance and the zoom geometrically (so equal distances stay equal: no dolly or zoom
creep), the orientation on the sphere of rotations (no roll wobble).
"""

from __future__ import annotations

import bisect
import dataclasses
import math
from collections.abc import Sequence
from dataclasses import dataclass

from movie_compiler.camera import vec
from movie_compiler.camera.vec import Quat, Vec


@dataclass(frozen=True)
class Pose:
    """A camera as ParaView sets it; ``view_up`` is a unit vector across the view direction.

    ``parallel_scale`` is the orthographic zoom (half the picture's height in world units);
    None derives it from the distance and the view angle, as a perspective camera would show
    the focal plane.
    """

    position: Vec
    focal_point: Vec
    view_up: Vec
    view_angle: float
    parallel_scale: float | None = None

    @property
    def distance(self) -> float:
        return vec.norm(vec.sub(self.focal_point, self.position))

    @property
    def forward(self) -> Vec:
        return vec.unit(vec.sub(self.focal_point, self.position))

    @property
    def scale(self) -> float:
        """The orthographic zoom: given, or what the view angle shows at the focal point."""
        if self.parallel_scale is not None:
            return self.parallel_scale
        return self.distance * math.tan(math.radians(self.view_angle) / 2.0)


def make_pose(
    position: Sequence[float],
    focal_point: Sequence[float],
    view_up: Sequence[float],
    view_angle: float,
    parallel_scale: float | None = None,
) -> Pose:
    """A pose with ``view_up`` made orthogonal to the view direction and of unit length."""
    p, f = vec.vec(position), vec.vec(focal_point)
    forward = vec.unit(vec.sub(f, p))
    right = vec.unit(vec.cross(forward, vec.vec(view_up)))
    return Pose(p, f, vec.cross(right, forward), float(view_angle), parallel_scale)


@dataclass(frozen=True)
class Rig:
    """A pose split for interpolation, each part in the space where linear looks even."""

    focal_point: Vec
    log_distance: float
    orientation: Quat
    log_zoom: float
    """``log(tan(view_angle / 2))``: linear in this is an even zoom."""
    log_scale: float | None
    """``log(parallel_scale)``, or None where the pose derives it."""

    @classmethod
    def of(cls, pose: Pose) -> Rig:
        return cls(
            pose.focal_point,
            math.log(pose.distance),
            vec.quat_from_frame(vec.sub(pose.focal_point, pose.position), pose.view_up),
            math.log(math.tan(math.radians(pose.view_angle) / 2.0)),
            None if pose.parallel_scale is None else math.log(pose.parallel_scale),
        )

    def flat(self) -> tuple[float, ...]:
        """The parts that interpolate in a flat space."""
        scale = () if self.log_scale is None else (self.log_scale,)
        return (*self.focal_point, self.log_distance, self.log_zoom, *scale)

    @classmethod
    def assemble(cls, flat: Sequence[float], orientation: Quat) -> Rig:
        return cls(
            (flat[0], flat[1], flat[2]),
            flat[3],
            orientation,
            flat[4],
            flat[5] if len(flat) > 5 else None,
        )

    def pose(self) -> Pose:
        forward, up = vec.quat_frame(self.orientation)
        distance = math.exp(self.log_distance)
        position = vec.sub(self.focal_point, vec.scale(forward, distance))
        angle = math.degrees(2.0 * math.atan(math.exp(self.log_zoom)))
        scale = None if self.log_scale is None else math.exp(self.log_scale)
        return Pose(position, self.focal_point, up, angle, scale)


# -- the motions ---------------------------------------------------------------------------


def orbit(start: Pose, axis: Vec, center: Vec, degrees: float, progress: float) -> Pose:
    """``start`` turned by ``degrees * progress`` about ``axis`` through ``center``; at
    progress 0 exactly ``start`` (so shots join without a rounding step)."""
    if progress == 0.0:
        return start
    k = vec.unit(axis)
    angle = math.radians(degrees) * progress
    position = vec.add(center, vec.rotate(vec.sub(start.position, center), k, angle))
    focal = vec.add(center, vec.rotate(vec.sub(start.focal_point, center), k, angle))
    return Pose(
        position, focal, vec.rotate(start.view_up, k, angle), start.view_angle, start.parallel_scale
    )


def dolly(start: Pose, factor: float, progress: float) -> Pose:
    """``start`` moved along its view direction to ``factor ** progress`` of its distance; at
    progress 0 exactly ``start``."""
    if progress == 0.0:
        return start
    distance = start.distance * factor**progress
    position = vec.sub(start.focal_point, vec.scale(start.forward, distance))
    return Pose(position, start.focal_point, start.view_up, start.view_angle, start.parallel_scale)


@dataclass(frozen=True)
class Knot:
    at: float
    pose: Pose


class FlightPath:
    """A camera path through knots at increasing times from 0 to 1.

    ``spline``: a piecewise cubic through the knots whose slopes are limited by the
    neighbouring segments (monotone Hermite, as in Fritsch and Carlson): smooth through every
    keyframe, and between two keyframes each flat part (focal point coordinates, distance,
    zoom) stays between their values, the orientation close to the arc between theirs. No
    swing past a keyframe, no distance creep. Otherwise straight segments.
    """

    def __init__(self, knots: Sequence[Knot], spline: bool) -> None:
        if len(knots) < 2 or knots[0].at != 0.0 or knots[-1].at != 1.0:
            raise ValueError("a flight path needs knots at 0 and at 1")
        self.knots = list(knots)
        self.times = [k.at for k in knots]
        rigs = [Rig.of(_resolve_scale(k.pose, knots)) for k in knots]
        for i in range(1, len(rigs)):  # one hemisphere, so each segment takes the short way
            rigs[i] = dataclasses.replace(
                rigs[i], orientation=vec.quat_align(rigs[i - 1].orientation, rigs[i].orientation)
            )
        self.rigs = rigs
        self.spline = spline
        self.flat_slopes = _slopes(self.times, [rig.flat() for rig in rigs])
        self.turn_slopes = _turn_slopes(self.times, [rig.orientation for rig in rigs])

    def __call__(self, progress: float) -> Pose:
        u = min(1.0, max(0.0, progress))
        exact = bisect.bisect_left(self.times, u)
        if exact < len(self.times) and self.times[exact] == u:
            return self.knots[exact].pose  # keyframes are hit exactly
        i = max(0, min(len(self.times) - 2, bisect.bisect_right(self.times, u) - 1))
        h = self.times[i + 1] - self.times[i]
        s = (u - self.times[i]) / h
        a, b = self.rigs[i], self.rigs[i + 1]
        if not self.spline:
            flat = [x + (y - x) * s for x, y in zip(a.flat(), b.flat(), strict=True)]
            return Rig.assemble(flat, vec.slerp(a.orientation, b.orientation, s)).pose()
        flat = [
            hermite(x, y, mx * h, my * h, s)
            for x, y, mx, my in zip(
                a.flat(), b.flat(), self.flat_slopes[i], self.flat_slopes[i + 1], strict=True
            )
        ]
        c1 = vec.quat_mul(a.orientation, vec.quat_exp(vec.scale(self.turn_slopes[i], h / 3.0)))
        c2 = vec.quat_mul(b.orientation, vec.quat_exp(vec.scale(self.turn_slopes[i + 1], -h / 3.0)))
        return Rig.assemble(flat, bezier_slerp(a.orientation, c1, c2, b.orientation, s)).pose()


def _resolve_scale(pose: Pose, knots: Sequence[Knot]) -> Pose:
    """Where some knots give a parallel scale, every knot needs one to interpolate."""
    if pose.parallel_scale is not None or all(k.pose.parallel_scale is None for k in knots):
        return pose
    return dataclasses.replace(pose, parallel_scale=pose.scale)


def hermite(p0: float, p1: float, m0: float, m1: float, s: float) -> float:
    """The cubic from ``p0`` to ``p1`` with end slopes ``m0``, ``m1`` (per unit of ``s``)."""
    s2, s3 = s * s, s * s * s
    return (
        (2.0 * s3 - 3.0 * s2 + 1.0) * p0
        + (s3 - 2.0 * s2 + s) * m0
        + (-2.0 * s3 + 3.0 * s2) * p1
        + (s3 - s2) * m1
    )


def limited_slope(left: float, right: float, h_left: float, h_right: float) -> float:
    """A knot's slope from the secants on either side: zero where they disagree in sign (an
    extremum stays at the knot), else their weighted harmonic mean (at most three times the
    smaller secant, which keeps each segment monotone)."""
    if left * right <= 0.0:
        return 0.0
    w1, w2 = 2.0 * h_right + h_left, h_right + 2.0 * h_left
    return (w1 + w2) / (w1 / left + w2 / right)


def _slopes(times: Sequence[float], values: Sequence[Sequence[float]]) -> list[list[float]]:
    h = [times[k + 1] - times[k] for k in range(len(times) - 1)]
    secants = [
        [(y - x) / h[k] for x, y in zip(values[k], values[k + 1], strict=True)]
        for k in range(len(h))
    ]
    slopes = [secants[0]]
    for k in range(1, len(times) - 1):
        slopes.append(
            [
                limited_slope(a, b, h[k - 1], h[k])
                for a, b in zip(secants[k - 1], secants[k], strict=True)
            ]
        )
    slopes.append(secants[-1])
    return slopes


def _turn_slopes(times: Sequence[float], turns: Sequence[Quat]) -> list[Vec]:
    """Angular velocity at each knot, in the camera's own frame there: the same limited
    slopes, applied to the rotation vectors of the segments on either side (a segment's
    rotation vector is the same in the frames at both of its ends)."""
    steps = [
        vec.quat_log(vec.quat_mul(vec.quat_conj(turns[k]), turns[k + 1]))
        for k in range(len(turns) - 1)
    ]
    slopes = _slopes(times, [(0.0, 0.0, 0.0), *_accumulate(steps)])
    return [vec.vec(slope) for slope in slopes]


def _accumulate(steps: Sequence[Vec]) -> list[Vec]:
    """Running sums of ``steps``: points whose secants are the steps."""
    out, total = [], (0.0, 0.0, 0.0)
    for step in steps:
        total = vec.add(total, step)
        out.append(total)
    return out


def bezier_slerp(q0: Quat, q1: Quat, q2: Quat, q3: Quat, s: float) -> Quat:
    """A cubic Bezier curve on the sphere of rotations (de Casteljau with slerp)."""
    a, b, c = vec.slerp(q0, q1, s), vec.slerp(q1, q2, s), vec.slerp(q2, q3, s)
    return vec.slerp(vec.slerp(a, b, s), vec.slerp(b, c, s), s)


def carry_up(previous: Pose, position: Vec, focal_point: Vec) -> Vec:
    """The previous view-up, turned by the smallest rotation that takes the previous view
    direction to the new one (for keyframes that give no view-up)."""
    old = previous.forward
    new = vec.unit(vec.sub(focal_point, position))
    axis = vec.cross(old, new)
    sin_angle = vec.norm(axis)
    cos_angle = vec.dot(old, new)
    if sin_angle < 1e-12:
        return previous.view_up
    return vec.rotate(
        previous.view_up, vec.scale(axis, 1.0 / sin_angle), math.atan2(sin_angle, cos_angle)
    )
