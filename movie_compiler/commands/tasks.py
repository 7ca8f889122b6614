"""``moviec render-task`` and ``moviec encode-task``: the steps of a Slurm submission.

The batch scripts that ``moviec build --executor slurm`` writes run these on the compute
nodes; they can be run by hand in the same way (see docs/cluster.md).
"""

from __future__ import annotations

import argparse
from pathlib import Path


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    render = sub.add_parser(
        "render-task",
        help="(in a Slurm job) render one window of a submission's frames",
        description="Render window N of the frames of a submission folder written by moviec "
        "build --executor slurm, claiming each frame in the cache first.",
    )
    render.add_argument("folder", metavar="SUBMISSION_DIR", type=Path)
    render.add_argument("--task", type=int, required=True, metavar="N")
    render.add_argument("--token", help="the submission's token (checks the folder is shared)")
    render.set_defaults(run=run_render)
    encode = sub.add_parser(
        "encode-task",
        help="(in a Slurm job) verify every frame of a submission and encode the movie",
        description="Check that every frame of a submission exists, is complete and has the "
        "movie's size, then encode the movie and write its sidecar; fail naming what is "
        "missing and the command that renders it.",
    )
    encode.add_argument("folder", metavar="SUBMISSION_DIR", type=Path)
    encode.add_argument("--render-job", default="", metavar="JOB", help="the render job array")
    encode.add_argument("--token", help="the submission's token (checks the folder is shared)")
    encode.set_defaults(run=run_encode)


def run_render(args: argparse.Namespace) -> int:
    from movie_compiler import slurm

    return slurm.render_task(args.folder, args.task, args.token)


def run_encode(args: argparse.Namespace) -> int:
    from movie_compiler import slurm

    return slurm.encode_task(args.folder, args.render_job, args.token)
