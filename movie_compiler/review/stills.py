"""Preview stills: real ParaView frames at a small size, and the contact sheet of them.

The stills are frames of the scene with ``movie.resolution`` overridden by the preview size,
rendered by the build's own stages (:func:`movie_compiler.build.prepare` and
:func:`movie_compiler.build.render_frames`): one pvbatch that loads the data once, and a frame
cache that keeps them (a second preview of an unchanged shot renders nothing).
"""

from __future__ import annotations

import dataclasses
import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path

from movie_compiler import fsutil
from movie_compiler.config.load import LoadedScene, scene_digest
from movie_compiler.errors import InputError
from movie_compiler.plan import Plan

log = logging.getLogger(__name__)

DEFAULT_WIDTH = 320


@dataclass(frozen=True)
class Still:
    """One preview still."""

    shot: int
    """Index of its shot."""
    frame: int
    """The movie's planned frame."""
    label: str
    """``first``, ``middle``, ``last`` or ``keyframe N``."""
    path: Path | None = None


def parse_size(text: str) -> tuple[int, int]:
    """``WxH`` -> (width, height), both even and at least 16."""
    width, x, height = text.lower().partition("x")
    try:
        size = (int(width), int(height))
    except ValueError:
        raise InputError(f"--size {text}: expected WIDTHxHEIGHT, such as 320x180") from None
    if not x or min(size) < 16 or size[0] % 2 or size[1] % 2:
        raise InputError(f"--size {text}: both sides even and at least 16, such as 320x180")
    return size


def default_size(loaded: LoadedScene) -> tuple[int, int]:
    """:data:`DEFAULT_WIDTH` wide, the movie's aspect, even height."""
    width, height = loaded.scene.movie.resolution
    small = max(16, round(DEFAULT_WIDTH * height / width / 2) * 2)
    return DEFAULT_WIDTH, small


def resized(loaded: LoadedScene, size: tuple[int, int]) -> LoadedScene:
    """``loaded`` with ``movie.resolution`` set to ``size`` (its own digest: its own build
    folder and frame keys)."""
    movie = loaded.scene.movie.model_copy(update={"resolution": tuple(size)})
    scene = loaded.scene.model_copy(update={"movie": movie})
    return dataclasses.replace(loaded, scene=scene, digest=scene_digest(scene))


def choose(plan: Plan, shots: Sequence[int] | None = None) -> list[Still]:
    """Each shot's first, middle and last frame and its keyframes (only ``shots`` if given)."""
    stills: list[Still] = []
    for shot in plan.shots:
        if shots is not None and shot.index not in shots:
            continue
        last = shot.frames - 1
        marks: dict[int, str] = {0: "first", last // 2: "middle", last: "last"}
        for number, frame in enumerate(shot.keyframes, start=1):
            local = min(frame, last)
            marks[local] = f"{marks[local]}, key {number}" if local in marks else f"key {number}"
        for local in sorted(marks):
            stills.append(Still(shot.index, shot.first + local, marks[local]))
    return stills


def render(
    loaded: LoadedScene,
    size: tuple[int, int],
    *,
    shots: Sequence[int] | None = None,
    cache_dir: Path | None = None,
) -> tuple[Plan, list[Still], int]:
    """Render the preview stills of ``loaded`` (cached like frames); return the plan, the
    stills with their paths, and how many frames pvbatch rendered."""
    from movie_compiler.build import prepare, render_frames

    small = resized(loaded, size)
    prepared = prepare(small, cache_dir=cache_dir)
    stills = choose(prepared.plan, shots)
    frames = sorted({s.frame for s in stills})
    rendered = render_frames(prepared, frames, allow_blank=True)
    log.info("preview: %d stills, %d rendered", len(frames), rendered)
    cache = prepared.space.frames
    found = [
        dataclasses.replace(s, path=cache.frame_path(prepared.plan, prepared.keys, s.frame))
        for s in stills
    ]
    return prepared.plan, found, rendered


def contact_sheet(
    plan: Plan, stills: Sequence[Still], target: Path, *, title: str = "", columns: int = 5
) -> Path:
    """Write the stills as a grid, one shot per row block, each labelled with its shot's
    name and frame number."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.image as mpimg
    import matplotlib.pyplot as plt

    by_shot: dict[int, list[Still]] = {}
    for still in stills:
        by_shot.setdefault(still.shot, []).append(still)
    rows: list[list[Still]] = []
    for group in by_shot.values():
        rows.extend(group[i : i + columns] for i in range(0, len(group), columns))
    width = min(columns, max((len(r) for r in rows), default=1))
    first = mpimg.imread(str(rows[0][0].path)) if rows else None
    aspect = first.shape[0] / first.shape[1] if first is not None else 9 / 16
    cell = 2.6
    figure, axes = plt.subplots(
        max(1, len(rows)),
        width,
        figsize=(cell * width, (cell * aspect + 0.55) * max(1, len(rows)) + 0.4),
        squeeze=False,
    )
    for axis in axes.flat:
        axis.axis("off")
    for r, row in enumerate(rows):
        for c, still in enumerate(row):
            axis = axes[r][c]
            assert still.path is not None
            axis.imshow(mpimg.imread(str(still.path)))
            shot = plan.shots[still.shot]
            axis.set_title(
                f"shots[{shot.index}] {shot.name}\nframe {still.frame} ({still.label})",
                fontsize=8,
            )
    if title:
        figure.suptitle(title, fontsize=10)
    figure.tight_layout()
    with fsutil.atomic_path(target, suffix=".png") as temporary:
        figure.savefig(temporary, format="png", dpi=100)
    plt.close(figure)
    return target
