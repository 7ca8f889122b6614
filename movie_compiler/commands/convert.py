"""``moviec convert INPUT... -o OUT.h5``: slice files -> one HDF5 file with a pyramid."""

from __future__ import annotations

import argparse
import math
from pathlib import Path

from movie_compiler.data import DTYPES
from movie_compiler.errors import ExitCode

# numpy and h5py are imported by run(), so that other commands start without them.
KINDS = ("raw", "tiff", "nifti")
UNITS = ("nm", "um", "mm", "cm", "m")


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "convert",
        help="convert slice files (raw, TIFF, NIfTI) into one HDF5 file with a pyramid",
        description="Convert a stack of slices into one chunked HDF5 dataset that ParaView's "
        "XDMF reader loads (see `moviec xdmf`). Slices are taken in natural order of their "
        "paths (slice_2 before slice_10) and streamed: memory holds a few slices whatever "
        "their number. The file is written as OUT.h5.partial and renamed when complete; "
        "an interrupted conversion resumes when run again with the same arguments.",
    )
    parser.add_argument(
        "inputs",
        nargs="+",
        metavar="INPUT",
        help="slice files, or folders of them: raw slices (one per file), TIFF (.tif, "
        ".tiff; one slice per page) or NIfTI volumes (.nii, .nii.gz)",
    )
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="OUT.h5")
    parser.add_argument(
        "--array", default="/volume", help="HDF5 dataset to write (default: /volume)"
    )
    parser.add_argument(
        "--format", choices=KINDS, help="kind of input (default: from the suffix; raw otherwise)"
    )
    parser.add_argument(
        "--slice-shape",
        type=pair,
        metavar="ROWS,COLS",
        help="size of a raw slice; COLS varies fastest in the file (required for raw)",
    )
    parser.add_argument(
        "--dtype", choices=DTYPES, help="element type (required for raw; checked otherwise)"
    )
    parser.add_argument(
        "--byte-order",
        choices=("little", "big"),
        default="little",
        help="byte order of raw slices (default: little)",
    )
    parser.add_argument(
        "--levels",
        type=count,
        default=0,
        metavar="N",
        help="also write N pyramid levels, each a 2x block mean of the one before",
    )
    parser.add_argument(
        "--voxel-size",
        type=triple,
        metavar="Z,Y,X",
        help="voxel size, slowest axis first: stored in the file, and lets the pyramid halve "
        "the slice axis where that keeps voxels near cubes (NIfTI headers give it)",
    )
    parser.add_argument(
        "--unit",
        choices=UNITS,
        help="unit of --voxel-size, stored beside it (NIfTI headers give it)",
    )
    parser.add_argument(
        "--compression",
        choices=("none", "gzip"),
        default="none",
        help="gzip makes the file smaller and loading slower; it cannot be resumed",
    )
    parser.add_argument(
        "--gzip-level",
        type=int,
        choices=range(1, 10),
        default=4,
        metavar="1-9",
        help="gzip level, 1 fastest to 9 smallest (default: 4)",
    )
    parser.add_argument(
        "--checkpoint",
        type=float,
        default=1024.0,
        metavar="MB",
        help="record a resume point after about every MB of input (default: 1024)",
    )
    parser.add_argument("--force", action="store_true", help="replace OUT.h5 if it exists")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from movie_compiler.data.convert import Options, convert
    from movie_compiler.data.readers import open_stack

    stack = open_stack(
        args.inputs,
        kind=args.format,
        slice_shape=args.slice_shape,
        dtype=args.dtype,
        byte_order=args.byte_order,
    )
    options = Options(
        array=args.array,
        levels=args.levels,
        voxel_size=args.voxel_size,
        unit=args.unit,
        compression=args.compression,
        gzip_level=args.gzip_level,
        checkpoint_bytes=max(0, int(args.checkpoint * 1e6)),
        force=args.force,
    )
    convert(stack, args.output, options)
    return int(ExitCode.OK)


# -- argument types (also used by `moviec xdmf`) ----------------------------------------


def _parts(text: str, size: int) -> list[str]:
    parts = [part.strip() for part in text.replace("x", ",").split(",")]
    if len(parts) != size or not all(parts):
        raise argparse.ArgumentTypeError(f"expected {size} numbers separated by commas")
    return parts


def pair(text: str) -> tuple[int, int]:
    """``ROWS,COLS``: two positive whole numbers."""
    a, b = (_positive_int(part) for part in _parts(text, 2))
    return a, b


def factors(text: str) -> tuple[int, int, int]:
    """``Z,Y,X``: three positive whole numbers."""
    a, b, c = (_positive_int(part) for part in _parts(text, 3))
    return a, b, c


def triple(text: str) -> tuple[float, float, float]:
    """``Z,Y,X``: three positive numbers."""
    values = []
    for part in _parts(text, 3):
        try:
            value = float(part)
        except ValueError:
            raise argparse.ArgumentTypeError(f"{part!r} is not a number") from None
        if not (math.isfinite(value) and value > 0):
            raise argparse.ArgumentTypeError(f"{part!r} is not a positive number")
        values.append(value)
    return values[0], values[1], values[2]


def count(text: str) -> int:
    """A whole number, 0 or more."""
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 0:
        raise argparse.ArgumentTypeError(f"{text!r} is negative")
    return value


def _positive_int(text: str) -> int:
    try:
        value = int(text)
    except ValueError:
        raise argparse.ArgumentTypeError(f"{text!r} is not a whole number") from None
    if value < 1:
        raise argparse.ArgumentTypeError(f"{text!r} is not positive")
    return value
