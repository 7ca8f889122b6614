"""``moviec compile SCENE -o DIR``: write the pvpython script and its frame plan."""

from __future__ import annotations

import argparse
import logging
from pathlib import Path

from movie_compiler.commands._scene_args import add_scene_options
from movie_compiler.errors import ExitCode, InputError

log = logging.getLogger(__name__)


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "compile",
        help="write the pvpython script and frame plan of a scene",
        description="Compile a scene into DIR/render.py and DIR/plan.json without running "
        "ParaView. If the dataset is present, DIR/dataset.xdmf and DIR/dataset.json (its value "
        "range and normalisation) are written too, so that "
        "`pvbatch DIR/render.py` renders the frames.",
    )
    parser.add_argument("scene", metavar="SCENE")
    parser.add_argument("-o", "--output", required=True, type=Path, metavar="DIR")
    add_scene_options(parser)
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from movie_compiler import generate
    from movie_compiler.config.load import load_scene
    from movie_compiler.data import dataset, facts
    from movie_compiler.data.checks import prepare
    from movie_compiler.data.dataset import dataset_path, write_description
    from movie_compiler.plan import plan

    if args.output.exists() and not args.output.is_dir():
        raise InputError(f"{args.output}: is a file; -o names the folder to write into")
    loaded = load_scene(args.scene, args.overrides, args.profile)
    data = dataset_path(loaded)
    extent = None
    if data.exists():  # checked before anything is written: a bad dataset leaves no files
        loaded = prepare(loaded, strict=args.strict)
        description = write_description(loaded, args.output / generate.DATASET_NAME)
        facts.write(args.output / generate.FACTS_NAME, facts.facts(loaded, None, measure=False))
        log.info("wrote %s", description)
        extent = dataset.extent(description)
    else:
        log.warning(
            "no %s: %s (build writes it when the dataset is present)",
            generate.DATASET_NAME,
            loaded.problem(("dataset", "path"), f"{data}: no such file"),
        )
    frames = plan(loaded.scene, extent)
    written = generate.write(args.output, loaded, frames)
    log.info("wrote %s and %s", written["script"], written["plan"])
    return int(ExitCode.OK)
