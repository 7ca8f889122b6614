"""Small, exact vector and quaternion helpers on tuples (no numpy: plans must not depend on
its version)."""

from __future__ import annotations

import math
from collections.abc import Sequence

Vec = tuple[float, float, float]
Quat = tuple[float, float, float, float]
"""Unit quaternion ``(w, x, y, z)``."""

PARALLEL_TOLERANCE = 1e-6
"""Sine of the smallest angle between two directions that still counts as not parallel."""


def vec(values: Sequence[float]) -> Vec:
    x, y, z = values
    return (float(x), float(y), float(z))


def add(a: Vec, b: Vec) -> Vec:
    return (a[0] + b[0], a[1] + b[1], a[2] + b[2])


def sub(a: Vec, b: Vec) -> Vec:
    return (a[0] - b[0], a[1] - b[1], a[2] - b[2])


def scale(a: Vec, s: float) -> Vec:
    return (a[0] * s, a[1] * s, a[2] * s)


def dot(a: Vec, b: Vec) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2]


def cross(a: Vec, b: Vec) -> Vec:
    return (a[1] * b[2] - a[2] * b[1], a[2] * b[0] - a[0] * b[2], a[0] * b[1] - a[1] * b[0])


def norm(a: Vec) -> float:
    return math.sqrt(dot(a, a))


def unit(a: Vec) -> Vec:
    """``a / |a|``, divided per component so that an axis-aligned vector comes out exact."""
    length = norm(a)
    if length == 0.0:
        raise ValueError("zero-length vector")
    return (a[0] / length, a[1] / length, a[2] / length)


def lerp(a: Vec, b: Vec, t: float) -> Vec:
    return (a[0] + (b[0] - a[0]) * t, a[1] + (b[1] - a[1]) * t, a[2] + (b[2] - a[2]) * t)


def parallel(a: Vec, b: Vec) -> bool:
    """True when ``a`` and ``b`` point along the same line (or either is zero)."""
    na, nb = norm(a), norm(b)
    if na == 0.0 or nb == 0.0:
        return True
    return norm(cross(a, b)) <= PARALLEL_TOLERANCE * na * nb


def rotate(v: Vec, axis: Vec, radians: float) -> Vec:
    """Rotate ``v`` about the unit vector ``axis`` (Rodrigues' formula, right-handed)."""
    c, s = math.cos(radians), math.sin(radians)
    k = axis
    kxv = cross(k, v)
    kdv = dot(k, v)
    return (
        v[0] * c + kxv[0] * s + k[0] * kdv * (1.0 - c),
        v[1] * c + kxv[1] * s + k[1] * kdv * (1.0 - c),
        v[2] * c + kxv[2] * s + k[2] * kdv * (1.0 - c),
    )


# -- quaternions ---------------------------------------------------------------------------


def quat_from_frame(forward: Vec, up: Vec) -> Quat:
    """Rotation taking the camera's own axes (x right, y up, -z forward) to the world.

    ``up`` need not be orthogonal to ``forward``; only its component across ``forward`` counts.
    """
    f = unit(forward)
    r = unit(cross(f, up))
    u = cross(r, f)
    b = scale(f, -1.0)
    # Rotation matrix with columns r, u, b.
    m00, m01, m02 = r[0], u[0], b[0]
    m10, m11, m12 = r[1], u[1], b[1]
    m20, m21, m22 = r[2], u[2], b[2]
    trace = m00 + m11 + m22
    if trace > 0.0:
        s = 2.0 * math.sqrt(trace + 1.0)
        q = (0.25 * s, (m21 - m12) / s, (m02 - m20) / s, (m10 - m01) / s)
    elif m00 > m11 and m00 > m22:
        s = 2.0 * math.sqrt(1.0 + m00 - m11 - m22)
        q = ((m21 - m12) / s, 0.25 * s, (m01 + m10) / s, (m02 + m20) / s)
    elif m11 > m22:
        s = 2.0 * math.sqrt(1.0 + m11 - m00 - m22)
        q = ((m02 - m20) / s, (m01 + m10) / s, 0.25 * s, (m12 + m21) / s)
    else:
        s = 2.0 * math.sqrt(1.0 + m22 - m00 - m11)
        q = ((m10 - m01) / s, (m02 + m20) / s, (m12 + m21) / s, 0.25 * s)
    return quat_unit(q)


def quat_rotate(q: Quat, v: Vec) -> Vec:
    w, x, y, z = q
    qv = (x, y, z)
    t = scale(cross(qv, v), 2.0)
    return add(add(v, scale(t, w)), cross(qv, t))


def quat_frame(q: Quat) -> tuple[Vec, Vec]:
    """The ``(forward, up)`` unit vectors of a camera orientation."""
    return quat_rotate(q, (0.0, 0.0, -1.0)), quat_rotate(q, (0.0, 1.0, 0.0))


def quat_dot(a: Quat, b: Quat) -> float:
    return a[0] * b[0] + a[1] * b[1] + a[2] * b[2] + a[3] * b[3]


def quat_unit(q: Quat) -> Quat:
    n = math.sqrt(quat_dot(q, q))
    return (q[0] / n, q[1] / n, q[2] / n, q[3] / n)


def quat_neg(q: Quat) -> Quat:
    return (-q[0], -q[1], -q[2], -q[3])


def quat_align(reference: Quat, q: Quat) -> Quat:
    """``q`` or ``-q`` (the same rotation), whichever is closer to ``reference``."""
    return q if quat_dot(reference, q) >= 0.0 else quat_neg(q)


def slerp(a: Quat, b: Quat, t: float) -> Quat:
    """Spherical linear interpolation along the shorter arc; ``t`` may leave [0, 1]."""
    b = quat_align(a, b)
    d = min(1.0, quat_dot(a, b))
    if d > 1.0 - 1e-12:
        return quat_unit(tuple(x + (y - x) * t for x, y in zip(a, b, strict=True)))  # type: ignore[arg-type]
    theta = math.acos(d)
    sin_theta = math.sin(theta)
    wa = math.sin((1.0 - t) * theta) / sin_theta
    wb = math.sin(t * theta) / sin_theta
    return quat_unit(tuple(wa * x + wb * y for x, y in zip(a, b, strict=True)))  # type: ignore[arg-type]


def quat_mul(a: Quat, b: Quat) -> Quat:
    aw, ax, ay, az = a
    bw, bx, by, bz = b
    return (
        aw * bw - ax * bx - ay * by - az * bz,
        aw * bx + ax * bw + ay * bz - az * by,
        aw * by - ax * bz + ay * bw + az * bx,
        aw * bz + ax * by - ay * bx + az * bw,
    )


def quat_conj(q: Quat) -> Quat:
    return (q[0], -q[1], -q[2], -q[3])


def quat_log(q: Quat) -> Vec:
    """The rotation vector (axis times angle in radians) of the unit quaternion ``q``, taking
    the shorter way round."""
    if q[0] < 0.0:
        q = quat_neg(q)
    v = (q[1], q[2], q[3])
    s = norm(v)
    if s < 1e-15:
        return scale(v, 2.0)
    return scale(v, 2.0 * math.atan2(s, q[0]) / s)


def quat_exp(v: Vec) -> Quat:
    """The unit quaternion of the rotation vector ``v``."""
    angle = norm(v)
    if angle < 1e-15:
        return quat_unit((1.0, v[0] / 2.0, v[1] / 2.0, v[2] / 2.0))
    s = math.sin(angle / 2.0) / angle
    return (math.cos(angle / 2.0), v[0] * s, v[1] * s, v[2] * s)
