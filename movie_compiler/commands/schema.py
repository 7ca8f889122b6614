"""``moviec schema``: the JSON Schema of scene files (``schemas/scene.schema.json``)."""

from __future__ import annotations

import argparse
import json
import sys
from pathlib import Path
from typing import Any

from movie_compiler import fsutil
from movie_compiler.errors import ExitCode, InputError

DEFAULT_PATH = Path("schemas/scene.schema.json")
DOCS_PATH = Path("docs/scene-format.md")


def scene_schema() -> dict[str, Any]:
    """The JSON Schema (draft 2020-12) generated from the scene model, reshaped for editors
    (:mod:`movie_compiler.config.json_schema`)."""
    from movie_compiler.config.json_schema import for_editors
    from movie_compiler.config.model import Scene

    schema = for_editors(Scene.model_json_schema())
    return {"$schema": "https://json-schema.org/draft/2020-12/schema", **schema}


def schema_text() -> str:
    return json.dumps(scene_schema(), indent=2, ensure_ascii=False) + "\n"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "schema",
        help="print the JSON Schema of scene files",
        description="Print the JSON Schema of scene files. Editors use it for completion and "
        "checks: put '#:schema PATH' on a scene's first line, PATH relative to the scene (e.g. "
        "'#:schema ../schemas/scene.schema.json' for a scene in scenes/).",
    )
    parser.add_argument(
        "--markdown",
        action="store_true",
        help=f"the scene reference as Markdown ({DOCS_PATH}) instead of the JSON Schema",
    )
    group = parser.add_mutually_exclusive_group()
    group.add_argument("-o", "--output", type=Path, metavar="FILE", help="write it to FILE")
    group.add_argument(
        "--check",
        nargs="?",
        const=DEFAULT_PATH,
        type=Path,
        metavar="FILE",
        help=f"exit 2 if FILE (default {DEFAULT_PATH}, or {DOCS_PATH} with --markdown) "
        "differs from what would be generated now",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    from movie_compiler.config import docs

    text = docs.markdown() if args.markdown else schema_text()
    if args.check is not None:
        if args.markdown and args.check == DEFAULT_PATH:
            args.check = DOCS_PATH
        markdown = " --markdown" if args.markdown else ""
        try:
            committed = args.check.read_text(encoding="utf-8")
        except OSError as exc:
            raise InputError(f"{args.check}: cannot read: {exc.strerror}") from None
        if committed != text:
            raise InputError(
                f"{args.check}: stale; regenerate it with: moviec schema{markdown} -o {args.check}"
            )
        print(f"{args.check}: up to date")
        return int(ExitCode.OK)
    if args.output is not None:
        fsutil.write_text(args.output, text)
        return int(ExitCode.OK)
    sys.stdout.write(text)
    return int(ExitCode.OK)
