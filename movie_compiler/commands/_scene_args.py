"""Options shared by the commands that read a scene."""

from __future__ import annotations

import argparse


def add_scene_options(parser: argparse.ArgumentParser) -> None:
    parser.add_argument(
        "--set",
        dest="overrides",
        action="append",
        default=[],
        metavar="KEY.PATH=VALUE",
        help="override a scene value, parsed as TOML (a bare word is a string); repeatable, "
        "e.g. --set movie.resolution=[640,360] --set shots[0].frames=50",
    )
    parser.add_argument(
        "--profile",
        metavar="NAME",
        help="apply [profiles.NAME] from the scene, or the built-in 'draft' (half width and "
        "height, twice the subsample, every second frame)",
    )
    parser.add_argument(
        "--strict",
        action="store_true",
        help="treat the data check's warnings as errors (colour or opacity points that do "
        "not span the data's value range)",
    )
