"""``moviec plan SCENE``: one row per shot, with what a build would render now."""

from __future__ import annotations

import argparse
import json
import logging
from pathlib import Path
from typing import TYPE_CHECKING, Any

from movie_compiler.commands._scene_args import add_scene_options
from movie_compiler.errors import ExitCode

if TYPE_CHECKING:
    from movie_compiler.config.load import LoadedScene

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "plan",
        help="list the shots and what a build would render",
        description="One row per shot: index, name, type, first and last frame, seconds, the "
        "data the build reads, resolution, and how many of its frames are cached and how many "
        "a build would render now (with the build's own cache keys). Without the dataset, "
        "ParaView or the scene's renderer the cache columns stay empty.",
    )
    parser.add_argument("scene", metavar="SCENE")
    add_scene_options(parser)
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="the frame cache to count (default: .moviec beside the scene)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from movie_compiler.config.load import load_scene

    loaded = load_scene(args.scene, args.overrides, args.profile)
    document = plan_document(loaded, args.cache_dir)
    if args.json:
        if document["cache_unavailable"]:
            log.warning("cache columns left empty: %s", document["cache_unavailable"])
        print(json.dumps(document, indent=1))
    else:
        print(table(document))
    return int(ExitCode.OK)


def plan_document(loaded: LoadedScene, cache_dir: Path | None) -> dict[str, Any]:
    """The plan as ``--json`` prints it."""
    from movie_compiler.plan import plan
    from movie_compiler.review import keys

    frames_plan = plan(loaded.scene)
    shot_keys = keys.shot_keys(loaded, frames_plan)
    counts = keys.count(frames_plan, shot_keys.keys, lambda f: False)
    if shot_keys.build:
        counts = keys.cache_counts(loaded, frames_plan, shot_keys.keys, cache_dir)
    resolution = list(loaded.scene.movie.resolution)
    shots = []
    for shot, key, counted in zip(frames_plan.shots, shot_keys.keys, counts, strict=True):
        shots.append(
            {
                "index": shot.index,
                "name": shot.name,
                "type": shot.kind,
                "first": shot.first,
                "stop": shot.stop,
                "seconds": round(shot.frames / frames_plan.fps, 3),
                "frames": counted.frames,
                "data": shot_keys.data,
                "resolution": resolution,
                "key": key if shot_keys.build else None,
                "cached": counted.cached if shot_keys.build else None,
                "to_render": counted.to_render if shot_keys.build else None,
            }
        )
    return {
        "scene": str(loaded.path),
        "fps": frames_plan.fps,
        "frame_step": frames_plan.frame_step,
        "frames": len(frames_plan.rendered()),
        "cache": "build" if shot_keys.build else None,
        "cache_unavailable": None if shot_keys.build else shot_keys.reason,
        "shots": shots,
    }


COLUMNS = ("#", "name", "type", "frames", "seconds", "data", "resolution", "cached", "render")


def table(document: dict[str, Any]) -> str:
    """The plan as an aligned text table with a total row."""
    rows = []
    for shot in document["shots"]:
        rows.append(
            [
                str(shot["index"]),
                shot["name"],
                shot["type"],
                f"{shot['first']}-{shot['stop'] - 1} ({shot['frames']})",
                f"{shot['seconds']:g}",
                shot["data"],
                "x".join(map(str, shot["resolution"])),
                "" if shot["cached"] is None else str(shot["cached"]),
                "" if shot["to_render"] is None else str(shot["to_render"]),
            ]
        )
    shots = document["shots"]
    cached = [s["cached"] for s in shots if s["cached"] is not None]
    render = [s["to_render"] for s in shots if s["to_render"] is not None]
    seconds = sum(s["seconds"] for s in shots)
    rows.append(
        [
            "",
            "total",
            "",
            f"{document['frames']}",
            f"{seconds:g}",
            "",
            "",
            str(sum(cached)) if cached else "",
            str(sum(render)) if render else "",
        ]
    )
    widths = [max(len(c), *(len(r[i]) for r in rows)) for i, c in enumerate(COLUMNS)]
    lines = ["  ".join(c.ljust(w) for c, w in zip(COLUMNS, widths, strict=True)).rstrip()]
    for row in rows:
        lines.append("  ".join(c.ljust(w) for c, w in zip(row, widths, strict=True)).rstrip())
    if document["cache_unavailable"]:
        lines.append(f"(cache columns empty: {document['cache_unavailable']})")
    return "\n".join(lines)
