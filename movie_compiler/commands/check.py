"""``moviec check SCENE...``: validate scene files (without the dataset unless ``--data``)."""

from __future__ import annotations

import argparse
import logging
import sys
from typing import TYPE_CHECKING

from movie_compiler.commands._scene_args import add_scene_options
from movie_compiler.errors import ExitCode, MoviecError

if TYPE_CHECKING:
    from movie_compiler.config.load import LoadedScene

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
        help="also open the dataset: the array exists, is 3-D, has the scene's dtype, and "
        "its values meet the colour points; print what each pvbatch will hold in memory",
    )
    add_scene_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from movie_compiler.config.load import load_scene
    from movie_compiler.plan import plan

    failed = False
    estimates: list[str] = []
    for path in args.scenes:
        try:
            loaded = load_scene(path, args.overrides, args.profile)
            frames = plan(loaded.scene)
            if args.data:
                from movie_compiler.data.dataset import check_data

                check_data(loaded)
                estimates.append(f"{path}: {memory_line(loaded)}")
        except MoviecError as error:
            failed = True
            for line in error.lines:
                sys.stderr.write(f"{line}\n")
            continue
        seconds = frames.frames / frames.fps
        shots = f"{len(frames.shots)} shot{'s' if len(frames.shots) != 1 else ''}"
        print(f"{path}: ok ({shots}, {frames.frames} frames, {seconds:.1f} s)")
        if args.data and estimates:
            print(estimates.pop())
    return int(ExitCode.INVALID if failed else ExitCode.OK)


def memory_line(loaded: LoadedScene) -> str:
    """What one pvbatch holds for ``loaded`` on one rank (``build`` checks it per rank), and
    the memory this machine has."""
    from movie_compiler import fit
    from movie_compiler.data.facts import facts
    from movie_compiler.render import memory
    from movie_compiler.render.paraview import RENDERER_MODES

    dims = facts(loaded, None, measure=False).dims
    if dims is None:
        return "memory: not estimated (the XDMF file's shape is not a 3DCoRectMesh)"
    wanted = loaded.scene.volume.renderer
    name = wanted if isinstance(wanted, str) else wanted[0]
    estimate = fit.estimate_for(loaded, dims, RENDERER_MODES[name])
    available = memory.available_bytes()
    here = f"; {memory.gib(available)} GiB available here" if available is not None else ""
    size = " x ".join(str(n) for n in dims)
    return (
        f"memory: about {estimate.describe()} per pvbatch to render {size} voxels with "
        f"{name!r} on one rank{here}"
    )
