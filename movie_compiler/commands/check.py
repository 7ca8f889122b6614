"""``moviec check SCENE...``: validate scene files (without the dataset unless ``--data``)."""

from __future__ import annotations

import argparse
import logging
import sys

from movie_compiler.commands._scene_args import add_scene_options
from movie_compiler.errors import ExitCode, MoviecError
from movie_compiler.logs import shorten

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "check",
        help="validate scene files",
        description="Validate scene files. Prints one line per problem, "
        "PATH:LINE:COL: key.path: message, and exits 2 if any scene is invalid.",
    )
    parser.add_argument("scenes", nargs="+", metavar="SCENE")
    parser.add_argument(
        "--data",
        action="store_true",
        help="also open the dataset, as a build does first: the array exists and is 3-D with "
        "at least 2 voxels per axis, its element type and voxel size agree with the scene's, "
        "and its values meet the colour and opacity points",
    )
    add_scene_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from movie_compiler.config.load import load_scene
    from movie_compiler.plan import plan

    failed = False
    for path in args.scenes:
        try:
            loaded = load_scene(path, args.overrides, args.profile)
            frames = plan(loaded.scene)
            if args.data:
                from movie_compiler.data.checks import prepare

                prepare(loaded, strict=args.strict, scan_limit=None)
        except MoviecError as error:
            failed = True
            for line in error.lines:
                sys.stderr.write(f"{shorten(line)}\n")
            continue
        seconds = frames.frames / frames.fps
        shots = f"{len(frames.shots)} shot{'s' if len(frames.shots) != 1 else ''}"
        overlap = sum(shot.crossfade or 0 for shot in loaded.scene.shots)
        also = f", crossfades overlap {overlap} movie frames" if overlap else ""
        print(f"{path}: ok ({shots}, {frames.frames} frames, {seconds:.1f} s{also})")
    return int(ExitCode.INVALID if failed else ExitCode.OK)
