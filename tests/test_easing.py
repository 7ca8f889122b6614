"""Easing curves: time in [0, 1] -> progress in [0, 1]."""

from __future__ import annotations

import itertools

import pytest

from movie_compiler.camera import easing
from movie_compiler.config.model import Easing

NAMES = list(easing.EASINGS)
SAMPLES = [k / 1000 for k in range(1001)]


def test_every_easing_of_the_model_has_a_curve() -> None:
    assert list(Easing.__args__) == NAMES  # type: ignore[attr-defined]


@pytest.mark.parametrize("name", NAMES)
def test_endpoints_are_exact(name: str) -> None:
    assert easing.ease(name, 0.0) == 0.0
    assert easing.ease(name, 1.0) == 1.0


@pytest.mark.parametrize("name", NAMES)
def test_monotonic_and_inside_the_unit_interval(name: str) -> None:
    values = [easing.ease(name, t) for t in SAMPLES]
    assert all(0.0 <= v <= 1.0 for v in values)
    assert all(b > a for a, b in itertools.pairwise(values))


def test_linear_is_the_identity() -> None:
    assert all(easing.linear(t) == t for t in SAMPLES)


@pytest.mark.parametrize(
    ("name", "t", "expected"),
    [
        ("ease-in", 0.5, 0.125),
        ("ease-in", 0.25, 0.015625),
        ("ease-out", 0.5, 0.875),
        ("ease-out", 0.75, 0.984375),
        ("ease-in-out", 0.25, 0.0625),
        ("ease-in-out", 0.5, 0.5),
        ("ease-in-out", 0.75, 0.9375),
    ],
)
def test_cubic_values(name: str, t: float, expected: float) -> None:
    assert easing.ease(name, t) == expected


def test_ease_in_out_is_point_symmetric() -> None:
    for t in SAMPLES:
        assert easing.ease_in_out(1.0 - t) == pytest.approx(1.0 - easing.ease_in_out(t), abs=1e-15)


def test_ease_out_mirrors_ease_in() -> None:
    for t in SAMPLES:
        assert easing.ease_out(t) == pytest.approx(1.0 - easing.ease_in(1.0 - t), abs=1e-15)


@pytest.mark.parametrize(
    ("name", "start", "end"),
    [
        ("linear", 1.0, 1.0),
        ("ease-in", 0.0, 3.0),
        ("ease-out", 3.0, 0.0),
        ("ease-in-out", 0.0, 0.0),
    ],
)
def test_slopes_at_the_ends(name: str, start: float, end: float) -> None:
    """Eased ends start or stop at rest; the others keep their speed."""
    h = 1e-6
    assert (easing.ease(name, h) - easing.ease(name, 0.0)) / h == pytest.approx(start, abs=1e-5)
    assert (easing.ease(name, 1.0) - easing.ease(name, 1.0 - h)) / h == pytest.approx(end, abs=1e-5)


def test_ease_in_out_is_smooth_at_its_middle() -> None:
    h = 1e-7
    left = (easing.ease_in_out(0.5) - easing.ease_in_out(0.5 - h)) / h
    right = (easing.ease_in_out(0.5 + h) - easing.ease_in_out(0.5)) / h
    assert left == pytest.approx(3.0, rel=1e-5)  # 12 t^2 at t = 1/2
    assert right == pytest.approx(3.0, rel=1e-5)


def test_unknown_easing_is_a_key_error() -> None:
    with pytest.raises(KeyError):
        easing.ease("bounce", 0.5)
