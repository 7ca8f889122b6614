"""Camera poses and motions: exact orbits, geometric dollies, flights without creep or wobble."""

from __future__ import annotations

import itertools
import math
import random

import pytest

from movie_compiler.camera import motion, vec
from movie_compiler.camera.motion import FlightPath, Knot, Pose, Rig, make_pose

STEPS = [k / 200 for k in range(201)]


def close(a: vec.Vec, b: vec.Vec, tol: float = 1e-12) -> bool:
    return all(abs(x - y) <= tol for x, y in zip(a, b, strict=True))


def assert_orthonormal(pose: Pose, tol: float = 1e-12) -> None:
    """No roll wobble: view-up is a unit vector across the view direction."""
    assert vec.norm(pose.view_up) == pytest.approx(1.0, abs=tol)
    assert vec.dot(pose.view_up, pose.forward) == pytest.approx(0.0, abs=tol)


def random_pose(rng: random.Random, angle: float = 30.0) -> Pose:
    while True:
        p = tuple(rng.uniform(-2, 2) for _ in range(3))
        f = tuple(rng.uniform(-0.2, 0.2) for _ in range(3))
        u = tuple(rng.uniform(-1, 1) for _ in range(3))
        d = vec.sub(vec.vec(f), vec.vec(p))
        if vec.norm(d) > 0.1 and not vec.parallel(d, vec.vec(u)):
            return make_pose(p, f, u, angle)


# -- poses and quaternions --------------------------------------------------------------------


def test_make_pose_makes_view_up_orthonormal() -> None:
    pose = make_pose((0, 0, 2), (0, 0, 0), (0, 3, 1), 30)
    assert pose.position == (0.0, 0.0, 2.0)
    assert close(pose.view_up, (0.0, 1.0, 0.0))
    assert pose.distance == 2.0
    assert pose.forward == (0.0, 0.0, -1.0)
    assert_orthonormal(pose)


@pytest.mark.parametrize("length", [1.488, 0.1, 3.0, 1e-3, 7.3])
def test_axis_aligned_cameras_stay_exact(length: float) -> None:
    """The seed's camera at z = 1.488 looks along -z with up -x: no 0.9999999999999999."""
    pose = make_pose((0.0, 0.0, length), (0.0, 0.0, 0.0), (-1.0, 0.0, 0.0), 30)
    assert pose.forward == (0.0, 0.0, -1.0)
    assert pose.view_up == (-1.0, 0.0, 0.0)
    assert vec.unit((0.0, -length, 0.0)) == (0.0, -1.0, 0.0)


def test_unit_of_zero_is_an_error() -> None:
    with pytest.raises(ValueError) as error:
        vec.unit((0.0, 0.0, 0.0))
    assert str(error.value) == "zero-length vector"


def test_rig_round_trip() -> None:
    rng = random.Random(7)
    for _ in range(200):
        pose = random_pose(rng, angle=rng.uniform(5, 120))
        back = Rig.of(pose).pose()
        assert close(back.position, pose.position, 1e-12)
        assert back.focal_point == pose.focal_point
        assert close(back.view_up, pose.view_up, 1e-12)
        assert back.view_angle == pytest.approx(pose.view_angle, abs=1e-12)


def test_quaternion_frame_round_trip() -> None:
    rng = random.Random(3)
    for _ in range(200):
        pose = random_pose(rng)
        q = vec.quat_from_frame(vec.sub(pose.focal_point, pose.position), pose.view_up)
        assert math.fsum(x * x for x in q) == pytest.approx(1.0, abs=1e-14)
        forward, up = vec.quat_frame(q)
        assert close(forward, pose.forward, 1e-12)
        assert close(up, pose.view_up, 1e-12)


def test_slerp_ends_and_midpoint() -> None:
    a = vec.quat_from_frame((0, 0, -1), (0, 1, 0))
    b = vec.quat_from_frame((1, 0, 0), (0, 1, 0))  # a quarter turn about y
    assert close(vec.slerp(a, b, 0.0), a)
    assert close(vec.slerp(a, b, 1.0), b)
    forward, up = vec.quat_frame(vec.slerp(a, b, 0.5))
    s = math.sqrt(0.5)
    assert close(forward, (s, 0.0, -s))
    assert close(up, (0.0, 1.0, 0.0))
    assert close(vec.slerp(a, vec.quat_neg(b), 0.5), vec.slerp(a, b, 0.5))  # the short way


# -- orbit ------------------------------------------------------------------------------------


def test_orbit_is_an_exact_rotation() -> None:
    start = make_pose((0, 0, 2), (0, 0, 0), (0, 1, 0), 30)
    quarter = motion.orbit(start, (0, 1, 0), (0, 0, 0), 360, 0.25)
    assert close(quarter.position, (2.0, 0.0, 0.0), 1e-15)
    assert close(quarter.view_up, (0.0, 1.0, 0.0))
    half = motion.orbit(start, (0, 1, 0), (0, 0, 0), -360, 0.5)
    assert close(half.position, (0.0, 0.0, -2.0), 1e-15)


@pytest.mark.parametrize("degrees", [360.0, -360.0, 90.0, 725.0])
@pytest.mark.parametrize(
    ("axis", "center"),
    [((0, 1, 0), (0, 0, 0)), ((1, 2, 3), (0.3, -0.2, 0.1)), ((0, 0, -5), (1, 1, 0))],
)
def test_orbit_turns_evenly_about_its_axis(
    degrees: float, axis: tuple[float, ...], center: tuple[float, ...]
) -> None:
    start = make_pose((0.2, 0.5, 2.0), (0.0, 0.1, 0.0), (0, 1, 0), 30)
    k = vec.unit(vec.vec(axis))
    c = vec.vec(center)
    frames = 24
    poses = [motion.orbit(start, k, c, degrees, i / frames) for i in range(frames + 1)]

    def across(point: vec.Vec) -> vec.Vec:
        r = vec.sub(point, c)
        return vec.sub(r, vec.scale(k, vec.dot(r, k)))

    radius = vec.norm(vec.sub(start.position, c))
    for pose in poses:
        assert vec.norm(vec.sub(pose.position, c)) == pytest.approx(radius, abs=1e-12)
        assert pose.distance == pytest.approx(start.distance, abs=1e-12)
        assert_orthonormal(pose)
    step = degrees / frames
    for a, b in itertools.pairwise(poses):
        ra, rb = across(a.position), across(b.position)
        signed = math.degrees(math.atan2(vec.dot(vec.cross(ra, rb), k), vec.dot(ra, rb)))
        assert signed == pytest.approx(math.remainder(step, 360.0), abs=1e-9)


def test_full_orbit_comes_back() -> None:
    start = make_pose((0.2, 0.5, 2.0), (0.0, 0.1, 0.0), (0, 1, 0), 30)
    end = motion.orbit(start, (0, 1, 0), (0, 0, 0), 360, 1.0)
    assert close(end.position, start.position, 1e-15)
    assert close(end.view_up, start.view_up, 1e-15)


# -- dolly ------------------------------------------------------------------------------------


def test_dolly_distance_is_geometric() -> None:
    start = make_pose((1, 2, 2), (0, 0, 0), (0, 0, 1), 30)
    assert start.distance == 3.0
    for t in STEPS:
        pose = motion.dolly(start, 0.25, t)
        assert pose.distance == pytest.approx(3.0 * 0.25**t, rel=1e-14)
        assert close(pose.forward, start.forward, 1e-14)
        assert pose.focal_point == start.focal_point
        assert pose.view_up == start.view_up
    assert motion.dolly(start, 0.25, 0.5).distance == pytest.approx(1.5, rel=1e-14)
    # Equal steps in time are equal ratios of distance: the motion looks even.
    distances = [motion.dolly(start, 4.0, i / 10).distance for i in range(11)]
    ratios = [b / a for a, b in itertools.pairwise(distances)]
    assert ratios == pytest.approx([4.0**0.1] * 10, rel=1e-13)


def test_motions_start_exactly_where_they_start() -> None:
    """Progress 0 is the start pose itself, so shots join without even a rounding step."""
    rng = random.Random(11)
    for _ in range(300):
        start = random_pose(rng)
        center = tuple(rng.uniform(-1, 1) for _ in range(3))
        assert motion.orbit(start, (0.0, 0.0, 1.0), vec.vec(center), 90, 0.0) == start
        assert motion.dolly(start, 0.5, 0.0) == start


# -- flights ----------------------------------------------------------------------------------

A = make_pose((0, 0, 2), (0, 0, 0), (0, 1, 0), 30)
B = make_pose((2, 0, 0), (0, 0, 0), (0, 0, 1), 30)
C = make_pose((0, -2, 0), (0, 0, 0), (1, 0, 0), 30)
D = make_pose((0.3, 0.4, 1.2), (0.3, 0.4, -0.8), (0, 1, 0), 30)


@pytest.mark.parametrize("spline", [False, True])
def test_flight_hits_its_keyframes_exactly(spline: bool) -> None:
    path = FlightPath([Knot(0.0, A), Knot(0.3, B), Knot(0.7, C), Knot(1.0, D)], spline)
    assert path(0.0) == A
    assert path(0.3) == B
    assert path(0.7) == C
    assert path(1.0) == D
    # ... and is continuous through them.
    for at, pose in [(0.3, B), (0.7, C)]:
        for near in (at - 1e-9, at + 1e-9):
            assert close(path(near).position, pose.position, 1e-7)
            assert close(path(near).view_up, pose.view_up, 1e-7)


@pytest.mark.parametrize("spline", [False, True])
def test_no_dolly_creep(spline: bool) -> None:
    """Keyframes at equal distances from their focal point keep that distance all the way."""
    knots = [Knot(0.0, A), Knot(0.4, B), Knot(1.0, C)] if spline else [Knot(0.0, A), Knot(1.0, B)]
    path = FlightPath(knots, spline)
    for t in STEPS:
        assert path(t).distance == pytest.approx(2.0, rel=1e-13)


def test_no_dolly_creep_with_a_moving_focal_point() -> None:
    a = make_pose((0, 0, 1.5), (0, 0, 0.5), (0, 1, 0), 30)
    b = make_pose((1.3, 0.2, 0.0), (0.3, 0.2, 0.0), (0, 1, 0), 30)
    for spline in (False, True):
        path = FlightPath([Knot(0.0, a), Knot(1.0, b)], spline)
        assert all(path(t).distance == pytest.approx(1.0, rel=1e-13) for t in STEPS)


@pytest.mark.parametrize("spline", [False, True])
def test_no_roll_wobble(spline: bool) -> None:
    path = FlightPath([Knot(0.0, A), Knot(0.3, B), Knot(0.7, C), Knot(1.0, D)], spline)
    for t in STEPS:
        assert_orthonormal(path(t))


def test_linear_flight_turns_at_constant_angular_speed() -> None:
    path = FlightPath([Knot(0.0, A), Knot(1.0, B)], spline=False)
    qs = [Rig.of(path(t)).orientation for t in STEPS]
    angles = [2 * math.acos(min(1.0, abs(vec.quat_dot(a, b)))) for a, b in itertools.pairwise(qs)]
    assert angles == pytest.approx([angles[0]] * len(angles), rel=1e-6)


def test_linear_flight_moves_the_focal_point_in_a_straight_line() -> None:
    a = make_pose((0, 0, 2), (0, 0, 0), (0, 1, 0), 30)
    b = make_pose((0, 0, 3), (1, 2, 0), (0, 1, 0), 30)
    path = FlightPath([Knot(0.0, a), Knot(1.0, b)], spline=False)
    assert close(path(0.25).focal_point, (0.25, 0.5, 0.0), 1e-15)


def test_spline_through_collinear_evenly_timed_focal_points_is_straight() -> None:
    poses = [make_pose((x, 0, 2), (x, 0, 0), (0, 1, 0), 30) for x in (0.0, 1.0, 2.0)]
    path = FlightPath([Knot(0.0, poses[0]), Knot(0.5, poses[1]), Knot(1.0, poses[2])], True)
    for t in STEPS:
        assert close(path(t).focal_point, (2.0 * t, 0.0, 0.0), 1e-12)
        assert close(path(t).position, (2.0 * t, 0.0, 2.0), 1e-12)


def test_zoom_is_interpolated_in_log_tan() -> None:
    wide = make_pose((0, 0, 2), (0, 0, 0), (0, 1, 0), 60)
    narrow = make_pose((0, 0, 2), (0, 0, 0), (0, 1, 0), 20)
    path = FlightPath([Knot(0.0, wide), Knot(1.0, narrow)], spline=False)
    half = math.tan(math.radians(30)), math.tan(math.radians(10))
    for t in STEPS:
        expected = 2 * math.degrees(math.atan(half[0] ** (1 - t) * half[1] ** t))
        assert path(t).view_angle == pytest.approx(expected, abs=1e-12)
    # Equal zoom factors per step: the picture scales evenly.
    sizes = [math.tan(math.radians(path(i / 10).view_angle) / 2) for i in range(11)]
    ratios = [b / a for a, b in itertools.pairwise(sizes)]
    assert ratios == pytest.approx([ratios[0]] * 10, rel=1e-12)


def test_flight_path_needs_knots_at_0_and_1() -> None:
    for knots in ([Knot(0.0, A)], [Knot(0.1, A), Knot(1.0, B)], [Knot(0.0, A), Knot(0.9, B)]):
        with pytest.raises(ValueError) as error:
            FlightPath(knots, spline=False)
        assert str(error.value) == "a flight path needs knots at 0 and at 1"


def test_flight_clamps_progress() -> None:
    path = FlightPath([Knot(0.0, A), Knot(1.0, B)], spline=True)
    assert path(-0.5) == A
    assert path(1.5) == B


# -- carried view-up --------------------------------------------------------------------------


def test_carry_up_turns_view_up_with_the_camera() -> None:
    previous = make_pose((0, 0, 2), (0, 0, 0), (0, 1, 0), 30)
    # Looking down from above: the view direction turns 90 degrees about x; up follows.
    up = motion.carry_up(previous, (0.0, 2.0, 0.0), (0.0, 0.0, 0.0))
    assert close(up, (0.0, 0.0, -1.0), 1e-15)
    # Turning about the up axis leaves up alone.
    assert close(motion.carry_up(previous, (2.0, 0.0, 0.0), (0.0, 0.0, 0.0)), (0.0, 1.0, 0.0))
    # Same direction, or exactly reversed: the previous up is kept.
    assert motion.carry_up(previous, (0.0, 0.0, 5.0), (0.0, 0.0, 1.0)) == previous.view_up
    assert motion.carry_up(previous, (0.0, 0.0, -2.0), (0.0, 0.0, 0.0)) == previous.view_up


def _angle(a: vec.Vec, b: vec.Vec) -> float:
    return math.degrees(math.acos(max(-1.0, min(1.0, vec.dot(vec.unit(a), vec.unit(b))))))


# The seed's flight: three keyframes at uneven times (0, 0.14, 1), ending close to the volume.
SEED = [
    make_pose((0.0, 0.0, 1.488), (0.0, 0.0, 0.0), (-1.0, 0.0, 0.0), 30),
    make_pose((-0.28, -0.495, 1.375), (-0.00016, -0.0003, -4.22e-5), (-0.981, 0.0255, -0.193), 30),
    make_pose(
        (-0.0237, -0.092, 0.1564),
        (-0.000117, -0.000439, -9.76e-5),
        (-0.98678, -0.02077, -0.16076),
        30,
    ),
]
SEED_TIMES = (0.0, 0.14, 1.0)
FINE = [i / 2000 for i in range(2001)]


@pytest.mark.parametrize("times", [SEED_TIMES, (0.0, 0.5, 1.0), (0.0, 0.9, 1.0)])
def test_spline_never_swings_past_a_keyframe(times: tuple[float, ...]) -> None:
    """Between two keyframes the view direction stays within the angle between theirs (plus
    0.5 degrees), and the distance between their distances."""
    path = FlightPath([Knot(t, p) for t, p in zip(times, SEED, strict=True)], spline=True)
    for (ta, a), (tb, b) in itertools.pairwise(zip(times, SEED, strict=True)):
        span = _angle(a.forward, b.forward)
        low, high = sorted((a.distance, b.distance))
        for t in FINE:
            if ta <= t <= tb:
                pose = path(t)
                assert _angle(a.forward, pose.forward) <= span + 0.5
                assert _angle(b.forward, pose.forward) <= span + 0.5
                assert low * (1 - 1e-12) <= pose.distance <= high * (1 + 1e-12)


def test_spline_keeps_equal_distances_equal() -> None:
    """Two keyframes at equal distance: no creep between them (it was 0.7 % with Catmull-Rom)."""
    a = make_pose((0, 0, 1), (0, 0, 0), (0, 1, 0), 30)
    b = make_pose((0.6, 0, 0.8), (0, 0, 0), (0, 1, 0), 30)
    c = make_pose((0, 0.5, 0.2), (0, 0, -0.1), (0, 1, 0), 30)
    path = FlightPath([Knot(0.0, a), Knot(0.14, b), Knot(1.0, c)], spline=True)
    for t in FINE:
        if t <= 0.14:
            assert path(t).distance == pytest.approx(1.0, rel=1e-12)


@pytest.mark.parametrize("at", [0.14])
def test_spline_is_smooth_through_a_keyframe(at: float) -> None:
    """Position and orientation change at the same rate on both sides of a keyframe."""
    path = FlightPath([Knot(t, p) for t, p in zip(SEED_TIMES, SEED, strict=True)], spline=True)
    h = 1e-5
    before = vec.scale(vec.sub(path(at).position, path(at - h).position), 1 / h)
    after = vec.scale(vec.sub(path(at + h).position, path(at).position), 1 / h)
    assert close(before, after, 1e-3 * vec.norm(before))
    turn_before = _angle(path(at - h).forward, path(at).forward) / h
    turn_after = _angle(path(at).forward, path(at + h).forward) / h
    assert turn_before == pytest.approx(turn_after, rel=2e-3)


def test_limited_slope() -> None:
    assert motion.limited_slope(1.0, -1.0, 1.0, 1.0) == 0.0  # an extremum stays at the knot
    assert motion.limited_slope(0.0, 2.0, 1.0, 1.0) == 0.0
    assert motion.limited_slope(2.0, 2.0, 1.0, 3.0) == pytest.approx(2.0)
    # Never more than three times the smaller secant: each segment stays monotone.
    for left, right in [(1.0, 100.0), (100.0, 1.0), (0.01, 5.0)]:
        for hl, hr in [(1.0, 1.0), (0.14, 0.86), (0.86, 0.14)]:
            slope = motion.limited_slope(left, right, hl, hr)
            assert 0.0 < slope <= 3.0 * min(left, right)


def test_hermite_ends() -> None:
    assert motion.hermite(2.0, 5.0, 0.3, -1.0, 0.0) == 2.0
    assert motion.hermite(2.0, 5.0, 0.3, -1.0, 1.0) == 5.0


def test_quaternion_log_and_exp_are_inverse() -> None:
    for v in [(0.1, -0.2, 0.3), (1.0, 2.0, -0.5), (0.0, 0.0, 0.0), (3.0, 0.0, 0.0)]:
        assert close(vec.quat_log(vec.quat_exp(v)), v, 1e-12)
