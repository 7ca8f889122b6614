"""The movie's sequence of shots as the scene declares it, before any frame is planned: names
and frame counts, including the title card (a shot of its own before the first one)."""

from __future__ import annotations

import math

from movie_compiler.config.model import Scene, ShotBase

TITLE_SHOT = "title"
"""Name of the title card's shot."""


def frames_in(seconds: float, fps: float) -> int:
    """Frames in ``seconds`` at ``fps``, rounded half up (12.5 -> 13)."""
    return math.floor(seconds * fps + 0.5)


def shot_frames(shot: ShotBase, fps: float) -> int:
    """A shot's length in frames (``frames``, or ``seconds * fps`` rounded half up)."""
    if shot.frames is not None:
        return shot.frames
    assert shot.seconds is not None  # the rules require one of them
    return max(1, frames_in(shot.seconds, fps))


def shot_names(scene: Scene) -> list[str]:
    """The scene's shots by name (``shot-N`` for the Nth shot without one)."""
    return [shot.name or f"shot-{index + 1}" for index, shot in enumerate(scene.shots)]


def card_frames(scene: Scene) -> int:
    """Planned frames of the title card: 0 without one."""
    title = scene.overlays.title
    if title is None or title.seconds == 0.0:
        return 0
    return max(1, frames_in(title.seconds, scene.movie.fps))


def planned_counts(scene: Scene) -> list[int]:
    """Planned frames of each shot, the title card first when there is one."""
    card = card_frames(scene)
    counts = [shot_frames(shot, scene.movie.fps) for shot in scene.shots]
    return [card, *counts] if card else counts


def movie_frame_counts(scene: Scene) -> list[int]:
    """Frames of each shot in the movie (every ``frame_step``-th planned frame), in the order
    of :func:`planned_counts`."""
    step = scene.movie.frame_step
    counts, first = [], 0
    for count in planned_counts(scene):
        start = -(-first // step) * step
        counts.append(len(range(start, first + count, step)))
        first += count
    return counts
