"""``moviec build SCENE``: compile, render the missing frames with ParaView, encode the movie."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from movie_compiler.commands._scene_args import add_scene_options
from movie_compiler.errors import ExitCode, InputError

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "build",
        help="render a scene with ParaView and encode the movie",
        description="Compile the scene, render the frames that are not in the frame cache yet "
        "(each shot's frames are keyed by what made them), and encode the movie with ffmpeg. "
        "An interrupted build resumes where it stopped.",
    )
    parser.add_argument("scene", metavar="SCENE")
    add_scene_options(parser)
    parser.add_argument(
        "--frames",
        metavar="A:B",
        help="render only planned frames A to B-1 (no movie unless all frames are then present)",
    )
    parser.add_argument("--force", action="store_true", help="re-render frames already cached")
    parser.add_argument(
        "--jobs", type=int, default=1, metavar="N", help="render with N pvbatch processes at once"
    )
    parser.add_argument(
        "--mpi",
        type=int,
        default=1,
        metavar="N",
        help="run each pvbatch as N MPI ranks that share the volume (data-parallel; the "
        "launcher is mpiexec, or MOVIEC_MPIEXEC)",
    )
    parser.add_argument(
        "--allow-blank",
        action="store_true",
        help="accept frames of a single colour (otherwise the first one stops the build)",
    )
    parser.add_argument("--no-encode", action="store_true", help="render frames only")
    parser.add_argument(
        "--frames-out",
        type=Path,
        metavar="DIR",
        help="also put the build's frames in DIR, named by shot and frame "
        "(DIR/01-SHOT/000042.png; hard links where possible, else copies)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="where frames and build files live (default: .moviec beside the scene)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    for option in ("jobs", "mpi"):
        if getattr(args, option) < 1:
            raise InputError(f"--{option} must be at least 1, got {getattr(args, option)}")
    from movie_compiler.build import build
    from movie_compiler.config.load import load_scene

    loaded = load_scene(args.scene, args.overrides, args.profile)
    try:
        build(
            loaded,
            frame_range=args.frames,
            force=args.force,
            jobs=args.jobs,
            ranks=args.mpi,
            allow_blank=args.allow_blank,
            encode_movie=not args.no_encode,
            cache_dir=args.cache_dir,
            strict=args.strict,
            frames_out=args.frames_out,
        )
    except KeyboardInterrupt:
        log.warning("finished frames are kept; build again to resume")
        raise
    return int(ExitCode.OK)
