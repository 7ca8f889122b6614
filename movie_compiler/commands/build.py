"""``moviec build SCENE``: compile, render the missing frames with ParaView, encode the movie."""

from __future__ import annotations

import argparse
import json
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
        default=None,
        metavar="N",
        help="run each pvbatch as N MPI ranks that share the volume (data-parallel; the "
        "launcher is mpiexec, or MOVIEC_MPIEXEC; with --executor slurm: ranks per task, "
        "under cluster.launcher)",
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
    cluster = parser.add_argument_group(
        "cluster", "render on a Slurm cluster (see docs/cluster.md); [cluster] sets the defaults"
    )
    cluster.add_argument(
        "--executor",
        choices=("local", "slurm"),
        default="local",
        help="local: render here (default); slurm: submit a job array that renders the "
        "missing frames and a job that verifies and encodes them",
    )
    cluster.add_argument(
        "--tasks", type=int, metavar="K", help="render tasks in the job array (cluster.tasks)"
    )
    cluster.add_argument("--partition", metavar="NAME", help="Slurm partition (cluster.partition)")
    cluster.add_argument("--account", metavar="NAME", help="Slurm account (cluster.account)")
    cluster.add_argument(
        "--time", metavar="LIMIT", help="time limit of each render task (cluster.time)"
    )
    cluster.add_argument(
        "--wait",
        action="store_true",
        help="wait for the encode job and exit with its result",
    )
    parser.set_defaults(run=run)


CLUSTER_OPTIONS = {"tasks": "tasks", "partition": "partition", "account": "account", "time": "time"}
"""Command-line options that set a [cluster] key (they become --set cluster.KEY=VALUE)."""


def run(args: argparse.Namespace) -> int:
    for option in ("jobs", "mpi"):
        value = getattr(args, option)
        if value is not None and value < 1:
            raise InputError(f"--{option} must be at least 1, got {value}")
    slurm = args.executor == "slurm"
    if not slurm:
        given = [f"--{name}" for name in (*CLUSTER_OPTIONS, "wait") if getattr(args, name)]
        if given:
            raise InputError(f"{', '.join(given)}: only with --executor slurm")
    elif args.jobs != 1:
        raise InputError("--jobs: with --executor slurm use --tasks (render tasks of the array)")
    from movie_compiler.build import build
    from movie_compiler.config.load import load_scene

    overrides = list(args.overrides)
    for option, key in CLUSTER_OPTIONS.items():
        value = getattr(args, option)
        if value is not None:
            shown = str(value) if isinstance(value, int) else json.dumps(value)
            overrides.append(f"cluster.{key}={shown}")
    loaded = load_scene(args.scene, overrides, args.profile)
    if slurm:
        from movie_compiler import slurm as executor

        return executor.submit(
            loaded,
            cache_dir=args.cache_dir,
            frame_range=args.frames,
            force=args.force,
            ranks=args.mpi,
            allow_blank=args.allow_blank,
            encode_movie=not args.no_encode,
            wait=args.wait,
        )
    try:
        build(
            loaded,
            frame_range=args.frames,
            force=args.force,
            jobs=args.jobs,
            ranks=args.mpi or 1,
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
