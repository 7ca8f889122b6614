"""The ``moviec`` command line: parse arguments, call one command, map errors to exit codes.

Each command lives in ``movie_compiler/commands/<name>.py`` with ``add_parser(subparsers)``
and ``run(args) -> int``. Nothing here knows what a command does.
"""

from __future__ import annotations

import argparse
import logging
import sys
from collections.abc import Sequence
from types import ModuleType

from movie_compiler import __version__
from movie_compiler.commands import (
    build,
    check,
    compile,
    convert,
    diff,
    doctor,
    import_state,
    plan,
    preview,
    schema,
    xdmf,
)
from movie_compiler.errors import ExitCode, MoviecError
from movie_compiler.logs import setup_logging

COMMANDS: list[ModuleType] = [
    check,
    compile,
    build,
    plan,
    preview,
    diff,
    import_state,
    convert,
    xdmf,
    schema,
    doctor,
]


def parser() -> argparse.ArgumentParser:
    main = argparse.ArgumentParser(
        prog="moviec",
        description="Compile a TOML scene file into a pvpython script, frames and a movie.",
        epilog="Exit codes: 0 ok, 1 a build step failed, 2 invalid input, 3 missing "
        "requirement, 130 interrupted. See docs/cli.md.",
    )
    main.add_argument("--version", action="version", version=f"moviec {__version__}")
    verbosity = main.add_mutually_exclusive_group()
    verbosity.add_argument(
        "-q", "--quiet", action="store_true", help="only warnings and errors; no progress bar"
    )
    verbosity.add_argument("-v", "--verbose", action="store_true", help="debug messages")
    sub = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    for command in COMMANDS:
        command.add_parser(sub)
    return main


def main(argv: Sequence[str] | None = None) -> int:
    args = parser().parse_args(argv)
    setup_logging(quiet=args.quiet, verbose=args.verbose)
    try:
        return int(args.run(args))
    except MoviecError as error:
        for line in error.lines:
            sys.stderr.write(f"{line}\n")
        return int(error.code)
    except KeyboardInterrupt:
        sys.stderr.write("moviec: interrupted\n")
        return int(ExitCode.INTERRUPTED)
    except OSError as error:  # the file system refused: a full disk, a read-only folder
        where = f"{error.filename}: " if error.filename else ""
        sys.stderr.write(f"moviec: {where}{error.strerror or error}\n")
        return int(ExitCode.FAILED)
    except BrokenPipeError:
        return int(ExitCode.FAILED)
    finally:
        logging.shutdown()


if __name__ == "__main__":
    sys.exit(main())
