"""Build a movie: plan, render the frames the cache lacks with ParaView, encode, record.

:func:`build` is the list of stages, each a function of its own so that a preview, a diff or
a cluster executor can run the same ones: :func:`prepare` (plan, renderer, dataset description,
cache keys, script), :func:`render_frames` (any set of frames, on any process that sees the
cache), :func:`finish` (check every frame, encode, record provenance). ``moviec build``
(commands/build.py) only parses the command line and calls :func:`build`.
"""

from __future__ import annotations

import json
import logging
import time
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from movie_compiler import (
    cache,
    encode,
    fit,
    fsutil,
    generate,
    interrupts,
    provenance,
    transitions,
)
from movie_compiler.config.load import LoadedScene
from movie_compiler.data import checks, dataset, facts
from movie_compiler.errors import InputError, MissingRequirement, ToolError
from movie_compiler.frames_out import export as export_frames
from movie_compiler.logs import progress_enabled
from movie_compiler.plan import Plan, plan
from movie_compiler.render import paraview, runner

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Workspace:
    """Where a build keeps its files."""

    root: Path
    """The cache folder (`.moviec` beside the scene, or --cache-dir)."""
    build_dir: Path
    """render.py, plan.json, dataset.xdmf and logs of this resolved scene."""
    frames: cache.FrameCache


@dataclass(frozen=True)
class Prepared:
    """What the stages after :func:`prepare` need: the resolved scene, its plan, the cache keys
    and the written script. Any process that sees the cache folder can render a set of frames
    or finish the movie from it (a local build, a preview, a cluster task)."""

    loaded: LoadedScene
    plan: Plan
    space: Workspace
    info: paraview.ParaViewInfo
    renderer: str
    """ParaView's name of the renderer chosen (the frames are keyed by it)."""
    keys: list[str]
    """The cache key of every shot."""
    script: Path
    ranks: int


def build(
    loaded: LoadedScene,
    *,
    frame_range: str | None = None,
    force: bool = False,
    jobs: int = 1,
    ranks: int = 1,
    allow_blank: bool = False,
    encode_movie: bool = True,
    cache_dir: Path | None = None,
    strict: bool = False,
    frames_out: Path | None = None,
) -> Path | None:
    """Build the movie of ``loaded``; return its path (None when not encoded)."""
    started = time.monotonic()
    # 1. Check the data, plan, choose the renderer, describe the data, key the shots, write
    # the script.
    prepared = prepare(loaded, cache_dir=cache_dir, ranks=ranks, jobs=jobs, strict=strict)
    if encode_movie:  # a folder that cannot take the movie is found now, not after rendering
        fsutil.check_writable(prepared.loaded.output.parent)
    wanted = select_frames(prepared.plan, frame_range)
    # 2. Render what the cache lacks (each state once).
    render_frames(prepared, wanted, force=force, jobs=jobs, allow_blank=allow_blank)
    prepared.space.frames.wait_for_holders(prepared.plan, prepared.keys, wanted)
    if frames_out is not None:  # readable names for the frames of this build
        count = export_frames(
            prepared.plan, prepared.space.frames, prepared.keys, wanted, frames_out
        )
        log.info("%d frames in %s, named by shot and frame", count, frames_out)
    # 3. Check every frame of the movie, encode, record provenance.
    missing = prepared.space.frames.missing(prepared.plan, prepared.keys, prepared.plan.rendered())
    if missing and frame_range is None:
        raise ToolError(
            f"{len(missing)} frames are missing after rendering (another build removed "
            f"them?); build again"
        )
    if not encode_movie or missing:
        if missing:
            log.info(
                "%d of %d frames still missing; not encoding",
                len(missing),
                len(prepared.plan.rendered()),
            )
        return None
    output = finish(prepared)
    log.info("wrote %s in %.1f s", output, time.monotonic() - started)
    return output


def prepare(
    loaded: LoadedScene,
    *,
    cache_dir: Path | None = None,
    ranks: int = 1,
    jobs: int = 1,
    strict: bool = False,
) -> Prepared:
    """Check the data against the scene (the scene takes from the file what it leaves out:
    element type, voxel size, unit), find ParaView and choose the renderer, describe the
    dataset (dataset.xdmf, and dataset.json: its value range and normalisation), check before
    loading that the renderer and this machine's memory can hold it (fit.py), plan every
    frame, key each shot by what makes its frames, and write the script and plan into the
    build folder. Nothing is written before the data check passed."""
    interrupts.check()
    loaded = checks.prepare(loaded, strict=strict)
    space = workspace(loaded, cache_dir)
    interrupts.check()
    info = paraview.probe()
    keyed = key_shots(loaded, info, space.build_dir, cache_root=space.root, ranks=ranks, jobs=jobs)
    frames_plan, renderer, keys = keyed.plan, keyed.renderer, keyed.keys
    written = generate.write(space.build_dir, loaded, frames_plan, shot_dirs=keys)
    return Prepared(loaded, frames_plan, space, info, renderer, keys, written["script"], ranks)


@dataclass(frozen=True)
class Keyed:
    """A scene planned and keyed as the build renders it."""

    plan: Plan
    renderer: str
    """ParaView's name of the renderer resolved for this data."""
    keys: list[str]


def key_shots(
    loaded: LoadedScene,
    info: paraview.ParaViewInfo,
    folder: Path,
    *,
    cache_root: Path | None,
    ranks: int = 1,
    jobs: int = 1,
) -> Keyed:
    """Describe the dataset into ``folder`` (dataset.xdmf and dataset.json), resolve the
    renderer against OpenGL's texture limit and this machine's memory, plan every frame and
    key each shot. ``prepare()`` does this in the build folder; ``moviec plan`` and ``moviec
    diff`` in a temporary one, so that their keys are the build's."""
    choose_renderer(loaded, info)  # a renderer the scene insists on and ParaView lacks: exit 3
    description = dataset.write_description(loaded, folder / generate.DATASET_NAME)
    known = facts.facts(loaded, cache_root)
    facts_file = facts.write(folder / generate.FACTS_NAME, known)
    renderer = fit.check(loaded, info, known, ranks=ranks, jobs=jobs).mode
    frames_plan = plan(loaded.scene, dataset.extent(description))
    keys = cache.scene_keys(
        loaded,
        frames_plan,
        description=description.read_text("utf-8") + facts_file.read_text("utf-8"),
        renderer=renderer,
        paraview_version=info.version,
        ranks=ranks,
    )
    return Keyed(frames_plan, renderer, keys)


def render_frames(
    prepared: Prepared,
    frames: Sequence[int],
    *,
    force: bool = False,
    jobs: int = 1,
    allow_blank: bool = False,
    log_path: Path | None = None,
) -> int:
    """Render those of ``frames`` that the cache lacks; frames whose state equals one already
    rendered (or being rendered) get its file. Frames are claimed first: those another live
    build has claimed are left to it. Return how many pvbatch rendered."""
    space, frames_plan, keys = prepared.space, prepared.plan, prepared.keys
    space.frames.prepare(frames_plan, keys, prepared.loaded.path, frames)  # their shots only
    if force:
        space.frames.remove(frames_plan, keys, frames)
    todo = space.frames.missing(frames_plan, keys, frames)
    with space.frames.claim(frames_plan, keys, todo) as claims:
        wanted = [frame for frame in frames if frame not in claims.busy]
        render_list, links = space.frames.duplicates(frames_plan, keys, wanted, claims.frames)
        log.info(
            "%s: %d frames, %d cached, %d to render, %d repeated",
            prepared.loaded.path.name,
            len(frames),
            len(frames) - len(todo),
            len(render_list),
            len(links),
        )
        if claims.busy:
            owners = sorted({str(owner) for owner in claims.busy.values()})
            log.info(
                "%d frames are being rendered by another build (%s); leaving them to it",
                len(claims.busy),
                "; ".join(owners[:3]) + (" ..." if len(owners) > 3 else ""),
            )
        if render_list:
            log_path = log_path or space.build_dir / "render.log"
            with paraview.display_env(prepared.info) as env:
                report = runner.render(
                    prepared.script,
                    render_list,
                    space.frames.root,
                    info=prepared.info,
                    env=env,
                    log_path=log_path,
                    jobs=jobs,
                    ranks=prepared.ranks,
                    allow_blank=allow_blank,
                    progress=progress_enabled(),
                )
            if report.renderer != prepared.renderer:  # the frames are keyed by the renderer
                raise ToolError(
                    f"pvbatch rendered with {report.renderer!r}, not {prepared.renderer!r}; see "
                    f"{log_path}"
                )
        for frame, source in links:
            space.frames.link(frames_plan, keys, frame, source)
    return len(render_list)


def finish(prepared: Prepared) -> Path:
    """Check that every frame of the movie is there, complete and of the movie's size; encode
    them (unless the movie is up to date) and write the provenance sidecar."""
    loaded, frames_plan, keys, space = prepared.loaded, prepared.plan, prepared.keys, prepared.space
    movie_frames = frames_plan.rendered()
    fill_repeats(prepared, movie_frames)
    bad = space.frames.verify(frames_plan, keys, movie_frames, loaded.scene.movie.resolution)
    if bad:
        raise ToolError(
            f"{len(bad)} of {len(movie_frames)} frames are missing or damaged "
            f"({cache.describe_frames(bad)}); render them with: moviec build "
            f"{loaded.path} --frames {cache.frame_ranges(bad)}"
        )
    output = loaded.output
    scene = loaded.scene
    settings = encode.EncodeSettings.from_scene(scene, output)
    document = movie_document(prepared, settings)
    files = [space.frames.frame_path(frames_plan, keys, f) for f in movie_frames]
    if transitions.has_transitions(scene):  # blends of rendered frames: nothing re-renders
        transitions_dir = space.root / "transitions"
        files = transitions.movie_files(
            scene, frames_plan, files, document, space.frames.root, transitions_dir
        )
    if up_to_date(output, document):
        log.info("%s is up to date", output)
        return output
    encode.encode(
        files,
        output,
        fps=frames_plan.fps / frames_plan.frame_step,
        settings=settings,
        metadata=provenance.container_metadata(loaded, prepared.info.version),
        log_path=space.build_dir / "encode.log",
        progress=progress_enabled(),
    )
    provenance.write_sidecar(output, document)
    return output


def fill_repeats(prepared: Prepared, frames: Sequence[int]) -> int:
    """Give each missing frame of ``frames`` whose state equals a finished frame's that
    frame's file (a hold's frames, rendered by one task of a cluster build, repeated here).
    Return how many were filled."""
    space, frames_plan, keys = prepared.space, prepared.plan, prepared.keys
    todo = space.frames.missing(frames_plan, keys, frames)
    if not todo:
        return 0
    _, links = space.frames.duplicates(frames_plan, keys, frames, todo)
    filled = 0
    for frame, source in links:
        if space.frames.frame_path(frames_plan, keys, source).is_file():
            space.frames.link(frames_plan, keys, frame, source)
            filled += 1
    return filled


def movie_document(prepared: Prepared, settings: encode.EncodeSettings) -> dict[str, Any]:
    """The provenance sidecar of the movie these frames make (hashing a large dataset takes
    a while the first time; the checksums are cached)."""
    loaded = prepared.loaded
    document = provenance.sidecar(
        loaded,
        prepared.plan,
        output=loaded.output,
        paraview={
            "version": prepared.info.version,
            "python": prepared.info.python,
            "renderer": prepared.renderer,
            "mpi_ranks": prepared.ranks,
        },
        inputs=[loaded.path, *dataset.input_files(loaded)],
        encode=settings,
        cache_dir=prepared.space.root / "checksums",
    )
    return {**document, "frame_cache": prepared.keys}


def up_to_date(output: Path, document: dict[str, Any]) -> bool:
    """Whether ``output`` was encoded from exactly these frames and settings (its sidecar,
    written after the movie, says so)."""
    sidecar = output.with_name(output.name + provenance.SIDECAR_SUFFIX)
    try:
        recorded = json.loads(sidecar.read_text("utf-8"))
        fresh = output.stat().st_mtime_ns <= sidecar.stat().st_mtime_ns
    except (OSError, ValueError):
        return False
    same = ("scene", "movie", "shots", "frame_cache", "inputs", "transitions")
    return fresh and all(recorded.get(k) == json.loads(json.dumps(document.get(k))) for k in same)


def workspace(loaded: LoadedScene, cache_dir: Path | None) -> Workspace:
    """The build's folders. The build folder is named by the scene and the hash of the
    resolved scene, so builds with other profiles or --set values never share one."""
    root = cache_dir if cache_dir is not None else loaded.base_dir / ".moviec"
    name = loaded.path.stem + (f".{loaded.profile}" if loaded.profile else "")
    build_dir = root / "builds" / f"{name}-{loaded.digest[:12]}"
    build_dir.mkdir(parents=True, exist_ok=True)
    return Workspace(root=root, build_dir=build_dir, frames=cache.FrameCache(root / "frames"))


def choose_renderer(loaded: LoadedScene, info: paraview.ParaViewInfo) -> str:
    """The first of the scene's renderers that this ParaView has."""
    wanted = loaded.scene.volume.renderer
    choices = [wanted] if isinstance(wanted, str) else list(wanted)
    for name in choices:
        if name in info.renderers:
            if name != choices[0]:
                log.warning("renderer %r is not available; using %r", choices[0], name)
            return paraview.RENDERER_MODES[name]
    available = ", ".join(info.renderers) or "none"
    raise MissingRequirement(
        f"{loaded.where(('volume', 'renderer'))}: volume.renderer: "
        f"{' or '.join(repr(c) for c in choices)} not available in ParaView {info.version} "
        f"(it has: {available}); choose one of those, or list fallbacks such as "
        f'["{choices[0]}", "gpu"]'
    )


def select_frames(frames_plan: Plan, frame_range: str | None) -> list[int]:
    """The movie's frames (every ``frame_step``-th), limited to ``A:B[,C:D...]`` if given
    (half-open ranges of planned frames; ``A`` alone is one frame)."""
    frames = frames_plan.rendered()
    if frame_range is None:
        return frames
    selected: set[int] = set()
    for part in frame_range.split(","):
        first, colon, stop = part.strip().partition(":")
        try:
            start = int(first) if first else 0
            end = int(stop) if stop else frames_plan.frames
            if not colon:
                end = start + 1
        except ValueError:
            raise InputError(
                f"--frames {frame_range}: expected A:B or A:B,C:D, such as 0:100"
            ) from None
        if not 0 <= start < end <= frames_plan.frames:
            raise InputError(
                f"--frames {frame_range}: {part.strip()} is outside the movie's frames "
                f"0:{frames_plan.frames}"
            )
        selected.update(range(start, end))
    return [f for f in frames if f in selected]
