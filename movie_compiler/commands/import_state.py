"""``moviec import STATE.pvsm``: a ParaView state as scene TOML."""

from __future__ import annotations

import argparse
import sys
from pathlib import Path

from movie_compiler.errors import ExitCode, InputError


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "import",
        help="turn a saved ParaView state into scene TOML",
        description="Read a ParaView state file (File > Save State, or SaveState in pvpython) "
        "and print a scene: [camera] in moviec's normalised coordinates, [volume] colour and "
        "opacity points, colour space, shading and renderer, movie.background and "
        "movie.resolution, and a flight shot with the keyframes of a camera animation track.",
    )
    parser.add_argument("state", type=Path, metavar="STATE.pvsm")
    parser.add_argument(
        "--dataset",
        type=Path,
        metavar="PATH",
        help="the dataset the scene reads (HDF5 or XDMF; default: the XDMF file the state "
        "reads), whose geometry normalises the camera",
    )
    parser.add_argument("-o", "--output", type=Path, metavar="SCENE.toml", help="write it here")
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from movie_compiler import fsutil
    from movie_compiler.config.load import load_scene
    from movie_compiler.importer import pvsm, scene

    state = pvsm.read(args.state, str(args.state))
    text = scene.scene_toml(state, str(args.state), args.dataset)
    target = args.output
    if target is not None and target.is_dir():
        raise InputError(f"{target}: is a folder; -o names the scene file to write")
    check = target if target is not None else args.state.with_suffix(".toml")
    load_scene(check, text=text, shown=f"{args.state} (imported)")  # valid, or a located error
    if target is not None:
        fsutil.write_text(target, text)
    else:
        sys.stdout.write(text)
    return int(ExitCode.OK)
