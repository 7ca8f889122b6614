"""Camera poses and the motions between them, as pure functions of a shot's progress.

A :class:`Pose` is what ParaView's camera takes. For interpolation a pose is split into a
:class:`Rig`: focal point, distance, orientation (a unit quaternion) and zoom. Flights
interpolate each part in its own space: the focal point linearly or on a Catmull-Rom spline,
the distance and the zoom geometrically (so equal distances stay equal: no dolly or zoom
creep), the orientation on the sphere of rotations (no roll wobble).
"""

from __future__ import annotations

import bisect
import math
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from typing import TypeVar

from movie_compiler.camera import vec
from movie_compiler.camera.vec import Quat, Vec

T = TypeVar("T")


@dataclass(frozen=True)
class Pose:
    """A camera as ParaView sets it; ``view_up`` is a unit vector across the view direction."""

    position: Vec
    focal_point: Vec
    view_up: Vec
    view_angle: float

    @property
    def distance(self) -> float:
        return vec.norm(vec.sub(self.focal_point, self.position))

    @property
    def forward(self) -> Vec:
        return vec.unit(vec.sub(self.focal_point, self.position))


def make_pose(
    position: Sequence[float],
    focal_point: Sequence[float],
    view_up: Sequence[float],
    view_angle: float,
) -> Pose:
    """A pose with ``view_up`` made orthogonal to the view direction and of unit length."""
    p, f = vec.vec(position), vec.vec(focal_point)
    forward = vec.unit(vec.sub(f, p))
    right = vec.unit(vec.cross(forward, vec.vec(view_up)))
    return Pose(p, f, vec.cross(right, forward), float(view_angle))


@dataclass(frozen=True)
class Rig:
    """A pose split for interpolation."""

    focal_point: Vec
    log_distance: float
    orientation: Quat
    log_zoom: float
    """``log(tan(view_angle / 2))``: linear in this is an even zoom."""

    @classmethod
    def of(cls, pose: Pose) -> Rig:
        return cls(
            pose.focal_point,
            math.log(pose.distance),
            vec.quat_from_frame(vec.sub(pose.focal_point, pose.position), pose.view_up),
            math.log(math.tan(math.radians(pose.view_angle) / 2.0)),
        )

    def pose(self) -> Pose:
        forward, up = vec.quat_frame(self.orientation)
        distance = math.exp(self.log_distance)
        position = vec.sub(self.focal_point, vec.scale(forward, distance))
        angle = math.degrees(2.0 * math.atan(math.exp(self.log_zoom)))
        return Pose(position, self.focal_point, up, angle)


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
    return Pose(position, focal, vec.rotate(start.view_up, k, angle), start.view_angle)


def dolly(start: Pose, factor: float, progress: float) -> Pose:
    """``start`` moved along its view direction to ``factor ** progress`` of its distance; at
    progress 0 exactly ``start``."""
    if progress == 0.0:
        return start
    distance = start.distance * factor**progress
    position = vec.sub(start.focal_point, vec.scale(start.forward, distance))
    return Pose(position, start.focal_point, start.view_up, start.view_angle)


@dataclass(frozen=True)
class Knot:
    at: float
    pose: Pose


class FlightPath:
    """A camera path through knots at increasing progress values from 0 to 1."""

    def __init__(self, knots: Sequence[Knot], spline: bool) -> None:
        if len(knots) < 2 or knots[0].at != 0.0 or knots[-1].at != 1.0:
            raise ValueError("a flight path needs knots at 0 and at 1")
        self.knots = list(knots)
        self.times = [k.at for k in knots]
        self.rigs = [Rig.of(k.pose) for k in knots]
        for i in range(1, len(self.rigs)):  # one hemisphere, so slerp takes the short way
            prev, rig = self.rigs[i - 1], self.rigs[i]
            self.rigs[i] = Rig(
                rig.focal_point,
                rig.log_distance,
                vec.quat_align(prev.orientation, rig.orientation),
                rig.log_zoom,
            )
        self.spline = spline

    def __call__(self, progress: float) -> Pose:
        u = min(1.0, max(0.0, progress))
        exact = bisect.bisect_left(self.times, u)
        if exact < len(self.times) and self.times[exact] == u:
            return self.knots[exact].pose  # keyframes are hit exactly
        i = max(0, min(len(self.times) - 2, bisect.bisect_right(self.times, u) - 1))
        if not self.spline:
            a, b = self.rigs[i], self.rigs[i + 1]
            return _mix(a, b, (u - self.times[i]) / (self.times[i + 1] - self.times[i])).pose()
        return self._spline(i, u).pose()

    def _spline(self, i: int, u: float) -> Rig:
        """Non-uniform Catmull-Rom (Barry-Goldman) on segment ``i``, with each part mixed in
        its own space; the ends get mirrored phantom knots."""
        t, rigs = self.times, self.rigs
        t1, t2 = t[i], t[i + 1]
        r1, r2 = rigs[i], rigs[i + 1]
        if i > 0:
            t0, r0 = t[i - 1], rigs[i - 1]
        else:
            t0, r0 = t1 - (t2 - t1), _mix(r2, r1, 2.0)
        if i + 2 < len(t):
            t3, r3 = t[i + 2], rigs[i + 2]
        else:
            t3, r3 = t2 + (t2 - t1), _mix(r1, r2, 2.0)
        return barry_goldman((r0, r1, r2, r3), (t0, t1, t2, t3), u, _mix)


def barry_goldman(
    points: Sequence[T], knots: Sequence[float], t: float, mix: Callable[[T, T, float], T]
) -> T:
    """Catmull-Rom through ``points[1]`` (at ``knots[1]``) and ``points[2]`` (at ``knots[2]``)
    evaluated at ``t`` by the Barry-Goldman pyramid, for any ``mix`` (lerp, slerp, ...)."""
    p0, p1, p2, p3 = points
    t0, t1, t2, t3 = knots

    def m(a: T, b: T, ta: float, tb: float) -> T:
        return mix(a, b, (t - ta) / (tb - ta))

    a1, a2, a3 = m(p0, p1, t0, t1), m(p1, p2, t1, t2), m(p2, p3, t2, t3)
    b1, b2 = m(a1, a2, t0, t2), m(a2, a3, t1, t3)
    return m(b1, b2, t1, t2)


def _mix(a: Rig, b: Rig, t: float) -> Rig:
    return Rig(
        (
            a.focal_point[0] * (1.0 - t) + b.focal_point[0] * t,
            a.focal_point[1] * (1.0 - t) + b.focal_point[1] * t,
            a.focal_point[2] * (1.0 - t) + b.focal_point[2] * t,
        ),
        a.log_distance * (1.0 - t) + b.log_distance * t,
        vec.slerp(a.orientation, b.orientation, t),
        a.log_zoom * (1.0 - t) + b.log_zoom * t,
    )


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
