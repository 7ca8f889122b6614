"""``moviec xdmf FILE.h5 -o OUT.xdmf``: describe an HDF5 volume for ParaView's XDMF reader."""

from __future__ import annotations

import argparse
import logging
import os
from pathlib import Path

from movie_compiler import fsutil
from movie_compiler.commands.convert import factors, triple
from movie_compiler.errors import ExitCode, InputError

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "xdmf",
        help="write the XDMF file that lets ParaView read an HDF5 volume",
        description="Write an XDMF description of a 3-D HDF5 dataset: a 3DCoRectMesh whose "
        "longest physical axis spans 1.0, centred at 0 (as moviec's scenes expect). "
        "--subsample reads every Nth voxel through an HDF5 hyperslab; --level reads a "
        "pyramid level written by `moviec convert --levels`.",
    )
    parser.add_argument("file", type=Path, metavar="FILE.h5")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.xdmf")
    parser.add_argument(
        "--array", help="HDF5 dataset, such as /PLI (default: the file's only volume)"
    )
    parser.add_argument(
        "--voxel-size",
        type=triple,
        metavar="Z,Y,X",
        help="physical voxel size, slowest axis first (default: the size stored by convert)",
    )
    choice = parser.add_mutually_exclusive_group()
    choice.add_argument(
        "--subsample", type=factors, metavar="Z,Y,X", help="read every Nth voxel per axis"
    )
    choice.add_argument("--level", type=int, metavar="N", help="read pyramid level N")
    parser.add_argument(
        "--name", help="name of the array in ParaView (default: the dataset's name)"
    )
    parser.add_argument(
        "--absolute",
        action="store_true",
        help="name the HDF5 file by its absolute path (default: relative to OUT.xdmf)",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from movie_compiler.data import xdmf
    from movie_compiler.data.degenerate import shape_problem, spacing_problem
    from movie_compiler.data.store import DataProblem, select

    try:
        selection = select(
            args.file,
            args.array,
            subsample=args.subsample or (1, 1, 1),
            level=args.level,
            use_pyramid=False,
        )
    except DataProblem as problem:
        raise InputError(problem.message) from None
    except ValueError as exc:
        raise InputError(f"--array: {exc}") from None
    voxel_size = args.voxel_size or selection.voxel_size
    if voxel_size is None:
        raise InputError(
            f"{args.file}: {selection.array} has no stored voxel size; give --voxel-size Z,Y,X"
        )
    how = f"--level {args.level}" if args.level is not None else "--subsample"
    degenerate = shape_problem(selection, how)
    message = degenerate[1] if degenerate else spacing_problem(selection, voxel_size)
    if message is not None:
        raise InputError(message)
    target = args.file.resolve()
    href = str(target) if args.absolute else os.path.relpath(target, args.output.resolve().parent)
    name = args.name or selection.array.rsplit("/", 1)[-1]
    try:
        text = xdmf.describe(selection, voxel_size, name, href)
    except DataProblem as problem:
        raise InputError(problem.message) from None
    fsutil.write_text(args.output, text)
    factor = "x".join(map(str, selection.factor))
    how = {
        "full": "full resolution",
        "hyperslab": f"hyperslab with stride {factor}",
        "level": f"pyramid level {selection.read.level} ({factor} block mean)",
    }[selection.kind]
    shape = " x ".join(map(str, selection.read_shape))
    log.info("wrote %s: %s of %s, %s", args.output, shape, selection.array, how)
    return int(ExitCode.OK)
