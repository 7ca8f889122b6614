"""The build cache's keys of a scene's shots, and what a build would render with them.

:func:`shot_keys` computes the keys exactly as ``moviec build`` does (the same
:func:`movie_compiler.cache.scene_keys`) when the dataset, ParaView and the scene's renderer are
there. Without them it computes *scene keys*: the same hash of each shot's frame states and of
the render script, with the scene's ``[dataset]`` table standing in for the dataset description
and identity. Two scenes keyed the same way have equal keys exactly where the build's keys are
equal, unless the data files themselves change; so a diff can say which shots re-render
without the 200 GB dataset.
"""

from __future__ import annotations

import json
import tempfile
from collections.abc import Callable, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from movie_compiler import cache, generate
from movie_compiler.config.load import LoadedScene
from movie_compiler.errors import MoviecError
from movie_compiler.plan import Plan


@dataclass(frozen=True)
class ShotKeys:
    """The key of every shot, and how it was made."""

    keys: list[str]
    build: bool
    """True: the build's own keys (dataset, ParaView and renderer found); False: scene keys."""
    reason: str = ""
    """Why these are not the build's keys (the first line of the problem met)."""
    data: str = ""
    """What the build reads: ``pyramid level 1 (2x2x2)``, ``hyperslab 1x4x4``, ``full``."""


@dataclass(frozen=True)
class ShotCount:
    """One shot's frames in the movie, and what a build would do with them."""

    frames: int
    """Frames of the movie from this shot (every ``frame_step``-th planned frame)."""
    cached: int
    """Frames already in the cache."""
    to_render: int
    """Frames a build renders now (after its repeated-frame detection)."""


def shot_keys(
    loaded: LoadedScene, plan: Plan, *, data: bool = True, cache_dir: Path | None = None
) -> ShotKeys:
    """The build's keys when possible (``data``), else scene keys with the reason."""
    if data:
        try:
            return _build_keys(loaded, cache_dir)
        except MoviecError as error:
            return scene_keys(loaded, plan, reason=error.lines[0])
    return scene_keys(loaded, plan, reason="not asked to read the dataset")


def _build_keys(loaded: LoadedScene, cache_dir: Path | None) -> ShotKeys:
    """The build's own keys: the same data check and keying stage (``build.key_shots``) in a
    temporary folder."""
    from movie_compiler.build import key_shots
    from movie_compiler.data import checks, dataset
    from movie_compiler.render import paraview

    loaded = checks.prepare(loaded)
    identity = dataset.identity(loaded)
    info = paraview.probe()
    root = cache_dir if cache_dir is not None else loaded.base_dir / ".moviec"
    with tempfile.TemporaryDirectory(prefix="moviec-keys-") as folder:
        keyed = key_shots(loaded, info, Path(folder), cache_root=root)
    return ShotKeys(keyed.keys, build=True, data=describe_source(identity["source"]))


def scene_keys(loaded: LoadedScene, plan: Plan, reason: str = "") -> ShotKeys:
    """Keys from the scene alone: the ``[dataset]`` table stands in for the data."""
    table = loaded.scene.dataset.model_dump(mode="json")
    inputs = cache.render_inputs(
        script=generate.pixel_source(loaded),
        description=json.dumps(table, sort_keys=True),
        data_identity={"scene": table},
        renderer=json.dumps(loaded.scene.volume.renderer),
        paraview_version="",
    )
    keys = [cache.shot_key(plan, shot, inputs) for shot in plan.shots]
    return ShotKeys(keys, build=False, reason=reason, data=describe_scene_data(loaded))


def describe_source(source: dict[str, Any]) -> str:
    """What the build reads, from :func:`movie_compiler.data.dataset.identity`'s source."""
    factors = "x".join(str(f) for f in source.get("factors", []))
    kind = source.get("kind")
    if kind == "level":
        return f"level {source['level']} ({factors})"
    if kind == "hyperslab":
        return f"hyperslab {factors}"
    return "xdmf" if kind == "xdmf" else "full"


def describe_scene_data(loaded: LoadedScene) -> str:
    """What the scene asks the build to read (without opening the data)."""
    dataset = loaded.scene.dataset
    if dataset.level is not None:
        return f"level {dataset.level}"
    factors = tuple(dataset.subsample or (1, 1, 1))
    return "full" if factors == (1, 1, 1) else f"subsample {'x'.join(map(str, factors))}"


def count(plan: Plan, keys: Sequence[str], present: Callable[[int], bool]) -> list[ShotCount]:
    """Per shot: the movie's frames, those ``present`` in the cache, and those a build would
    render (the build's own repeated-frame detection: a frame whose state equals a cached
    frame's, or an earlier frame's to render, is linked, not rendered)."""
    frames = plan.rendered()
    missing = [f for f in frames if not present(f)]
    render, _ = cache.FrameCache(Path()).duplicates(plan, keys, frames, missing)
    absent = set(missing)
    counts = []
    for shot in plan.shots:
        inside = [f for f in frames if shot.first <= f < shot.stop]
        counts.append(
            ShotCount(
                frames=len(inside),
                cached=sum(1 for f in inside if f not in absent),
                to_render=sum(1 for f in render if shot.first <= f < shot.stop),
            )
        )
    return counts


def cache_counts(
    loaded: LoadedScene, plan: Plan, keys: Sequence[str], cache_dir: Path | None = None
) -> list[ShotCount]:
    """:func:`count` against the frame cache on disk (``.moviec`` beside the scene, or
    ``cache_dir``)."""
    root = cache_dir if cache_dir is not None else loaded.base_dir / ".moviec"
    frames = cache.FrameCache(root / "frames")
    return count(plan, keys, lambda f: frames.frame_path(plan, keys, f).is_file())
