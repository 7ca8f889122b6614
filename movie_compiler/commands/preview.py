"""``moviec preview SCENE -o DIR``: contact sheet, camera path and transfer function."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from movie_compiler.commands._scene_args import add_scene_options
from movie_compiler.errors import ExitCode, InputError

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "preview",
        help="contact sheet, camera path and transfer function of a scene",
        description="Write DIR/contact-sheet.png (ParaView stills at each shot's first, middle "
        "and last frame and at every keyframe, labelled), DIR/camera-path.png (camera "
        "positions and focal points over the whole movie, with the volume's box) and "
        "DIR/transfer-function.png (colours and opacity over the data's histogram). The stills "
        "are rendered by one pvbatch and kept in the frame cache.",
    )
    parser.add_argument("scene", metavar="SCENE")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="DIR")
    parser.add_argument(
        "--size",
        metavar="WxH",
        help="size of the stills (default: 320 pixels wide, the movie's aspect)",
    )
    parser.add_argument(
        "--cache-dir",
        type=Path,
        metavar="DIR",
        help="where stills and build files live (default: .moviec beside the scene)",
    )
    add_scene_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from movie_compiler.config.load import load_scene
    from movie_compiler.review import preview, stills

    if args.output.exists() and not args.output.is_dir():
        raise InputError(f"{args.output}: is a file; -o names the folder to write into")
    size = stills.parse_size(args.size) if args.size else None
    loaded = load_scene(args.scene, args.overrides, args.profile)
    written = preview.write(loaded, args.output, size, cache_dir=args.cache_dir)
    for path in (written.contact_sheet, written.camera_path, written.transfer_function):
        print(path)
    return int(ExitCode.OK)
