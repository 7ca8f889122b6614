"""``moviec diff OLD NEW`` / ``moviec diff SCENE --rev REV``: what changed, what re-renders."""

from __future__ import annotations

import argparse
import json
import logging
import sys
from pathlib import Path
from typing import TYPE_CHECKING, Any

from movie_compiler.commands._scene_args import add_scene_options
from movie_compiler.errors import ExitCode, InputError

if TYPE_CHECKING:
    from movie_compiler.config.load import LoadedScene
    from movie_compiler.review.compare import Comparison

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "diff",
        help="what changed between two scenes, and which shots a build re-renders",
        description="Compare two scenes (OLD NEW), or a scene with its version in a git "
        "revision (SCENE --rev REV): each changed key path with its old and new value (renamed "
        "and reordered shots shown as such), and the shots whose frames a build of the new "
        "scene would render, with the build cache's keys. Exit 0, also when they differ.",
    )
    parser.add_argument("scenes", nargs="+", metavar="SCENE", help="OLD NEW, or SCENE with --rev")
    parser.add_argument("--rev", metavar="GIT_REV", help="compare SCENE with this revision of it")
    parser.add_argument("--json", action="store_true", help="print one JSON object")
    parser.add_argument(
        "--report",
        type=Path,
        metavar="DIR",
        help="also write DIR/index.html and DIR/summary.md with before/after pictures "
        "(needs the dataset and ParaView)",
    )
    add_scene_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from movie_compiler.config.load import load_scene
    from movie_compiler.review import compare

    if args.rev is not None:
        if len(args.scenes) != 1:
            raise InputError("diff --rev REV takes one SCENE")
        scene = args.scenes[0]
        new = load_scene(scene, args.overrides, args.profile)
        old = compare.load_revision(scene, args.rev, args.overrides, args.profile)
    else:
        if len(args.scenes) != 2:
            raise InputError("diff takes OLD NEW, or one SCENE with --rev REV")
        old = load_scene(args.scenes[0], args.overrides, args.profile)
        new = load_scene(args.scenes[1], args.overrides, args.profile)
    if args.report is not None and args.report.exists() and not args.report.is_dir():
        raise InputError(f"{args.report}: is a file; --report names the folder to write into")
    result = compare.compare(old, new)
    if args.json:
        print(json.dumps(document(result), indent=1, ensure_ascii=False))
    else:
        print(text(result))
    if args.report is not None:
        from movie_compiler.review import report

        sys.stdout.flush()
        written = report.write(result, args.report)
        log.info("wrote %s", written)
    return int(ExitCode.OK)


def name(loaded: LoadedScene) -> str:
    """How messages name a scene: its file, or ``REV:path`` for a revision."""
    return loaded.origins.file if loaded.origins is not None else str(loaded.path)


def document(result: Comparison) -> dict[str, Any]:
    """The diff as ``--json`` prints it."""
    return {
        "old": name(result.old),
        "new": name(result.new),
        "same": result.same,
        "changes": [c.document() for c in result.changes],
        "rerender": [r.document() for r in result.rerender],
        "keys": "build" if result.keys.build else "scene",
        "keys_note": result.keys.reason or None,
    }


def text(result: Comparison) -> str:
    """The diff as text."""
    if result.same:
        return "no changes"
    lines = ["changes:"] if result.changes else ["no changes to the scene's values"]
    lines += [f"  {c}" for c in result.changes]
    if not result.rerender:
        lines.append("re-render: nothing (every frame is in the cache of the old scene)")
        return "\n".join(lines)
    total = sum(r.frames for r in result.rerender)
    movie = len(result.new_plan.rendered())
    lines.append(f"re-render: {total} of {movie} frames")
    for r in result.rerender:
        lines.append(f"  shots[{r.index}] {r.shot!r}: {r.frames} of {r.of} frames")
    if not result.keys.build:
        lines.append(f"  (keyed without the data: {result.keys.reason})")
    return "\n".join(lines)
