"""Easing curves: a shot's time ``t`` in [0, 1] -> its progress in [0, 1].

Each curve starts at 0, ends at 1 and never leaves [0, 1]. The eased ones are cubic, the
same family as CSS's ``ease-in``/``ease-out``/``ease-in-out`` keywords.
"""

from __future__ import annotations

from collections.abc import Callable

EasingFunction = Callable[[float], float]


def linear(t: float) -> float:
    return t


def ease_in(t: float) -> float:
    return t * t * t


def ease_out(t: float) -> float:
    u = 1.0 - t
    return 1.0 - u * u * u


def ease_in_out(t: float) -> float:
    if t < 0.5:
        return 4.0 * t * t * t
    u = 2.0 - 2.0 * t
    return 1.0 - u * u * u / 2.0


EASINGS: dict[str, EasingFunction] = {
    "linear": linear,
    "ease-in": ease_in,
    "ease-out": ease_out,
    "ease-in-out": ease_in_out,
}


def ease(name: str, t: float) -> float:
    """Progress after time ``t`` under the easing called ``name``."""
    return EASINGS[name](t)
