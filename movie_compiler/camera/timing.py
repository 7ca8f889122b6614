"""When a shot's keyframes are reached: a keyframe's ``at`` is a time, never moved by easing.

A track (the camera of a flight, a transfer function, a clip plane, ...) passes through its
keyframes at the times ``at`` gives: a keyframe at ``at = 0.14`` of a 200-frame shot is reached
at frame 28, as in ParaView's own animation. Easing shapes the motion *between* keyframes only:

- the shot's ``easing`` shapes how the whole track starts and stops: ``ease-in`` makes the
  first segment start at rest and reach the track's own speed at its first inner keyframe,
  ``ease-out`` makes the last segment leave that speed and end at rest (``ease-in-out`` both).
  A track with one segment takes the shot's easing curve as it is.
- a keyframe's own ``easing`` replaces the timing of the segment that arrives at it (for
  example ``ease-in-out`` to stop there and start again).

Inner segments without an easing of their own run at the track's own pace, so a spline
through the keyframes keeps its smooth speed there.
"""

from __future__ import annotations

import bisect
from collections.abc import Sequence

from movie_compiler.camera import easing


def _start_at_rest(s: float) -> float:
    """From rest to the segment's average speed: the cubic Hermite with slopes 0 and 1."""
    return s * s * (2.0 - s)


def _end_at_rest(s: float) -> float:
    """From the segment's average speed to rest: the cubic Hermite with slopes 1 and 0."""
    return s * (1.0 + s - s * s)


def segment_curves(
    count: int, shot_easing: str, own: Sequence[str | None]
) -> list[easing.EasingFunction]:
    """The timing curve of each of ``count`` segments.

    ``own[i]`` is the easing that the keyframe ending segment ``i`` asks for, or None.
    """
    starts = shot_easing in ("ease-in", "ease-in-out")
    stops = shot_easing in ("ease-out", "ease-in-out")
    curves: list[easing.EasingFunction] = []
    for i in range(count):
        if own[i] is not None:
            curves.append(easing.EASINGS[own[i]])  # type: ignore[index]
        elif count == 1:
            curves.append(easing.EASINGS[shot_easing])
        elif i == 0 and starts:
            curves.append(_start_at_rest)
        elif i == count - 1 and stops:
            curves.append(_end_at_rest)
        else:
            curves.append(easing.linear)
    return curves


class Timing:
    """Maps a shot's time to a track's parameter: equal at every keyframe, eased between."""

    def __init__(self, times: Sequence[float], shot_easing: str, own: Sequence[str | None]):
        if len(times) < 2 or list(times) != sorted(set(times)):
            raise ValueError("a timing needs at least two increasing times")
        if len(own) != len(times) - 1:
            raise ValueError("one easing (or None) per segment")
        self.times = list(times)
        self.curves = segment_curves(len(times) - 1, shot_easing, own)

    def segment(self, t: float) -> tuple[int, float]:
        """The segment holding time ``t`` (clamped to the knots) and the eased progress
        through it, from 0 to 1."""
        times = self.times
        t = min(times[-1], max(times[0], t))
        i = min(len(times) - 2, max(0, bisect.bisect_right(times, t) - 1))
        local = (t - times[i]) / (times[i + 1] - times[i])
        return i, self.curves[i](local)

    def __call__(self, t: float) -> float:
        """The track's parameter at shot time ``t``."""
        i, s = self.segment(t)
        return self.times[i] + s * (self.times[i + 1] - self.times[i])
