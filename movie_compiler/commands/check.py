"""``moviec check SCENE...``: validate scene files (without the dataset unless ``--data``).

``--format`` chooses how problems are written: ``text`` (one ``PATH:LINE:COL: key: message``
line each on standard error), ``github`` (workflow annotations on standard output, shown on
the pull request's lines) or ``json`` (one list of objects on standard output).
"""

from __future__ import annotations

import argparse
import json
import logging
import re
import sys
from typing import TYPE_CHECKING, Any

from movie_compiler.commands._scene_args import add_scene_options
from movie_compiler.errors import ExitCode, MoviecError, SceneError
from movie_compiler.logs import shorten

if TYPE_CHECKING:
    from movie_compiler.config.load import LoadedScene

log = logging.getLogger(__name__)

FORMATS = ("text", "github", "json")
_WHERE = re.compile(r"(?P<file>.+?):(?P<line>\d+)(?::(?P<column>\d+))?")


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
        help="also open the dataset, as a build does first: the array exists and is 3-D with "
        "at least 2 voxels per axis, its element type and voxel size agree with the scene's, "
        "and its values meet the colour and opacity points; print what each pvbatch will hold "
        "in memory",
    )
    parser.add_argument(
        "--format",
        choices=FORMATS,
        default="text",
        help="text (default): lines on stderr; github: workflow annotations "
        "(::error file=...,line=...,col=...::...) on stdout; json: a list of problems on stdout",
    )
    add_scene_options(parser)
    parser.set_defaults(run=run)


def problems_of(error: MoviecError, path: str) -> list[dict[str, Any]]:
    """A scene's problems as objects: file, line, column (None where unknown), key, message."""
    if isinstance(error, SceneError):
        found = [(p.where, p.key, p.message) for p in error.problems]
    else:
        found = [(path, "", line.removeprefix(f"{path}: ")) for line in error.lines]
    out = []
    for where, key, message in found:
        match = _WHERE.fullmatch(where)
        out.append(
            {
                "file": match["file"] if match else where if where.endswith(".toml") else path,
                "line": int(match["line"]) if match else None,
                "column": int(match["column"]) if match and match["column"] else None,
                "key": key,
                "message": message if match or where.endswith(".toml") else f"{where}: {message}",
            }
        )
    return out


def annotation(problem: dict[str, Any]) -> str:
    """A GitHub workflow command for one problem (its data escaped as GitHub requires)."""

    def escape(text: str, prop: bool = False) -> str:
        text = text.replace("%", "%25").replace("\r", "%0D").replace("\n", "%0A")
        return text.replace(":", "%3A").replace(",", "%2C") if prop else text

    where = [f"file={escape(problem['file'], True)}"]
    if problem["line"] is not None:
        where.append(f"line={problem['line']}")
    if problem["column"] is not None:
        where.append(f"col={problem['column']}")
    title = f"title={escape(problem['key'], True)}" if problem["key"] else ""
    text = f"{problem['key']}: {problem['message']}" if problem["key"] else problem["message"]
    return f"::error {','.join([*where, title] if title else where)}::{escape(text)}"


def run(args: argparse.Namespace) -> int:
    from movie_compiler.config.load import load_scene
    from movie_compiler.plan import plan

    failed = False
    found: list[dict[str, Any]] = []
    estimates: list[str] = []
    for path in args.scenes:
        try:
            loaded = load_scene(path, args.overrides, args.profile)
            frames = plan(loaded.scene)
            if args.data:
                from movie_compiler.data.checks import prepare

                loaded = prepare(loaded, strict=args.strict, scan_limit=None)
                estimates.append(f"{path}: {memory_line(loaded)}")
        except MoviecError as error:
            failed = True
            if args.format == "text":
                for line in error.lines:
                    sys.stderr.write(f"{shorten(line)}\n")
            else:
                found.extend(problems_of(error, path))
            continue
        if args.format == "text":
            seconds = frames.frames / frames.fps
            shots = f"{len(frames.shots)} shot{'s' if len(frames.shots) != 1 else ''}"
            overlap = sum(shot.crossfade or 0 for shot in loaded.scene.shots)
            also = f", crossfades overlap {overlap} movie frames" if overlap else ""
            print(f"{path}: ok ({shots}, {frames.frames} frames, {seconds:.1f} s{also})")
            if args.data and estimates:
                print(estimates.pop())
    if args.format == "github":
        for problem in found:
            print(annotation(problem))
    elif args.format == "json":
        print(json.dumps(found, indent=1, ensure_ascii=False))
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
