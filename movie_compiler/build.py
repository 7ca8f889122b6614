"""Build a movie: plan, render the frames the cache lacks with ParaView, encode, record.

:func:`build` is the list of stages; ``moviec build`` (commands/build.py) only parses the
command line and calls it.
"""

from __future__ import annotations

import json
import logging
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from movie_compiler import cache, encode, fit, generate, provenance
from movie_compiler.config.load import LoadedScene
from movie_compiler.data import dataset, facts
from movie_compiler.errors import InputError, MissingRequirement, ToolError
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
) -> Path | None:
    """Build the movie of ``loaded``; return its path (None when not encoded)."""
    started = time.monotonic()
    scene = loaded.scene
    space = workspace(loaded, cache_dir)

    # 1. Plan every frame (pure Python), and check the requested range against it.
    frames_plan = plan(scene)
    wanted = select_frames(frames_plan, frame_range)

    # 2. Find ParaView and choose the renderer the scene allows.
    info = paraview.probe()
    renderer = choose_renderer(loaded, info)

    # 3. Describe the dataset for ParaView (dataset.xdmf beside the script, and dataset.json:
    #    its value range and normalisation), then check before loading that the renderer and
    #    this machine's memory can hold it at that level (fit.py).
    description = dataset.write_description(loaded, space.build_dir / generate.DATASET_NAME)
    known = facts.facts(loaded, space.root)
    facts_file = facts.write(space.build_dir / generate.FACTS_NAME, known)
    renderer = fit.check(loaded, info, known, ranks=ranks, jobs=jobs).mode

    # 4. Key each shot by what makes its frames; write the script and plan.
    inputs = cache.render_inputs(
        script=generate.pixel_source(loaded),
        description=description.read_text("utf-8") + facts_file.read_text("utf-8"),
        data_identity=dataset.identity(loaded),
        renderer=renderer,
        paraview_version=info.version,
        ranks=ranks,
    )
    keys = [cache.shot_key(frames_plan, shot, inputs) for shot in frames_plan.shots]
    written = generate.write(space.build_dir, loaded, frames_plan, shot_dirs=keys)
    space.frames.prepare(frames_plan, keys, loaded.path)

    # 5. Render what is missing; frames with the same camera are rendered once.
    if force:
        space.frames.remove(frames_plan, keys, wanted)
    todo = space.frames.missing(frames_plan, keys, wanted)
    render_list, links = space.frames.duplicates(frames_plan, keys, wanted, todo)
    log.info(
        "%s: %d frames, %d cached, %d to render, %d repeated",
        loaded.path.name,
        len(wanted),
        len(wanted) - len(todo),
        len(render_list),
        len(links),
    )
    if render_list:
        with paraview.display_env(info) as env:
            report = runner.render(
                written["script"],
                render_list,
                space.frames.root,
                info=info,
                env=env,
                log_path=space.build_dir / "render.log",
                jobs=jobs,
                ranks=ranks,
                allow_blank=allow_blank,
                progress=progress_enabled(),
            )
        if report.renderer != renderer:  # the frames are keyed by the renderer chosen here
            raise ToolError(
                f"pvbatch rendered with {report.renderer!r}, not {renderer!r}; see "
                f"{space.build_dir / 'render.log'}"
            )
    for frame, source in links:
        space.frames.link(frames_plan, keys, frame, source)

    # 6. Encode once every frame of the movie is there.
    movie_frames = frames_plan.rendered()
    missing = space.frames.missing(frames_plan, keys, movie_frames)
    if missing and frame_range is None:
        raise ToolError(
            f"{len(missing)} frames are missing after rendering (another build removed "
            f"them?); build again"
        )
    if not encode_movie or missing:
        if missing:
            log.info("%d of %d frames still missing; not encoding", len(missing), len(movie_frames))
        return None
    output = loaded.output
    settings = encode.EncodeSettings.from_scene(scene, output)
    document = provenance.sidecar(  # before encoding: hashing a large dataset takes a while
        loaded,
        frames_plan,
        output=output,
        paraview={
            "version": info.version,
            "python": info.python,
            "renderer": renderer,
            "mpi_ranks": ranks,
        },
        inputs=[loaded.path, *dataset.input_files(loaded)],
        encode=settings,
        cache_dir=space.root / "checksums",
    )
    document = {**document, "frame_cache": keys}
    if up_to_date(output, document):
        log.info("%s is up to date", output)
        return output
    encode.encode(
        [space.frames.frame_path(frames_plan, keys, f) for f in movie_frames],
        output,
        fps=frames_plan.fps / frames_plan.frame_step,
        settings=settings,
        metadata=provenance.container_metadata(loaded, info.version),
        log_path=space.build_dir / "encode.log",
        progress=progress_enabled(),
    )

    # 7. Record provenance beside the movie.
    provenance.write_sidecar(output, document)
    log.info("wrote %s in %.1f s", output, time.monotonic() - started)
    return output


def up_to_date(output: Path, document: dict[str, Any]) -> bool:
    """Whether ``output`` was encoded from exactly these frames and settings (its sidecar,
    written after the movie, says so)."""
    sidecar = output.with_name(output.name + provenance.SIDECAR_SUFFIX)
    try:
        recorded = json.loads(sidecar.read_text("utf-8"))
        fresh = output.stat().st_mtime_ns <= sidecar.stat().st_mtime_ns
    except (OSError, ValueError):
        return False
    same = ("scene", "movie", "shots", "frame_cache", "inputs")
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
    """The movie's frames (every ``frame_step``-th), limited to ``A:B`` if given."""
    frames = frames_plan.rendered()
    if frame_range is None:
        return frames
    first, colon, stop = frame_range.partition(":")
    try:
        start = int(first) if first else 0
        end = int(stop) if stop else frames_plan.frames
        if not colon:
            end = start + 1
    except ValueError:
        raise InputError(f"--frames {frame_range}: expected A:B, such as 0:100") from None
    if not 0 <= start < end <= frames_plan.frames:
        raise InputError(
            f"--frames {frame_range}: outside the movie's frames 0:{frames_plan.frames}"
        )
    return [f for f in frames if start <= f < end]
