"""The ``moviec`` command line: parse arguments, call one command, map errors to exit codes.

Each command lives in ``movie_compiler/commands/<name>.py`` with ``add_parser(subparsers)``
and ``run(args) -> int``. Nothing here knows what a command does.

Ctrl-C is handled from the first statement of :func:`main`, before anything else is imported,
so that an interrupt at any moment ends with exit code 130 and no traceback (only while Python
itself starts and loads this module, a few milliseconds, is it Python's to handle).
"""

from __future__ import annotations

import sys
from collections.abc import Sequence
from typing import TYPE_CHECKING

from movie_compiler import interrupts

if TYPE_CHECKING:
    import argparse

EPILOG = (
    "Exit codes: 0 ok, 1 a build step failed (also a full disk or a read-only folder), "
    "2 invalid input, 3 missing requirement, 4 a cluster build left the movie incomplete, "
    "130 interrupted. See docs/cli.md."
)


def parser() -> argparse.ArgumentParser:
    import argparse

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
        tasks,
        xdmf,
    )

    main = argparse.ArgumentParser(
        prog="moviec",
        description="Compile a TOML scene file into a pvpython script, frames and a movie.",
        epilog=EPILOG,
    )
    main.add_argument("--version", action="version", version=f"moviec {__version__}")
    add_verbosity(main, argparse.SUPPRESS)
    sub = main.add_subparsers(dest="command", required=True, metavar="COMMAND")
    commands = (check, compile, build, plan, preview, diff, import_state, convert, xdmf)
    for command in (*commands, schema, doctor, tasks):
        command.add_parser(sub)
    for choice in sub.choices.values():  # -q/-v after the command too, as git and cargo take them
        add_verbosity(choice, argparse.SUPPRESS)
        if not choice.epilog:
            choice.epilog = EPILOG
    return main


def add_verbosity(parser: argparse.ArgumentParser, default: object) -> None:
    """``-q``/``-v``, accepted before and after the command (``default`` SUPPRESS, so a value
    given before the command is not reset by the subcommand's parser)."""
    group = parser.add_mutually_exclusive_group()
    group.add_argument(
        "-q",
        "--quiet",
        action="store_true",
        default=default,
        help="only warnings and errors; no progress bar",
    )
    group.add_argument(
        "-v", "--verbose", action="store_true", default=default, help="debug messages"
    )


def main(argv: Sequence[str] | None = None) -> int:
    try:
        interrupts.install()
        from movie_compiler.errors import ExitCode, MoviecError
        from movie_compiler.logs import setup_logging

        args = parser().parse_args(argv)
        quiet, verbose = getattr(args, "quiet", False), getattr(args, "verbose", False)
        if quiet and verbose:
            sys.stderr.write("moviec: error: -q and -v exclude each other\n")
            return 2
        setup_logging(quiet=quiet, verbose=verbose)
        code = int(args.run(args))
        interrupts.check()  # a Ctrl-C that a finaliser swallowed still ends with 130
        return code
    except KeyboardInterrupt:
        sys.stderr.write("moviec: interrupted\n")
        return 130
    except MoviecError as error:
        if interrupts.received():  # a child stopped because of the Ctrl-C
            sys.stderr.write("moviec: interrupted\n")
            return int(ExitCode.INTERRUPTED)
        from movie_compiler.logs import shorten

        for line in error.lines:
            sys.stderr.write(f"{shorten(line)}\n")
        return int(error.code)
    except OSError as error:  # the file system refused: a full disk, a read-only folder
        return _os_error(error)
    finally:
        if "logging" in sys.modules:
            sys.modules["logging"].shutdown()


def _os_error(error: OSError) -> int:
    import errno
    import os
    from pathlib import Path

    from movie_compiler.errors import DiskFull, ExitCode, is_disk_full
    from movie_compiler.logs import shorten

    if interrupts.received():
        sys.stderr.write("moviec: interrupted\n")
        return int(ExitCode.INTERRUPTED)
    if isinstance(error, BrokenPipeError):
        return int(ExitCode.FAILED)
    if is_disk_full(error):
        if error.filename:
            path = Path(os.fsdecode(error.filename))
            message = DiskFull(path.parent, f"writing {path.name}")
        else:
            message = DiskFull(os.getcwd(), "a write failed")
        sys.stderr.write(f"{shorten(str(message))}\n")
        return int(ExitCode.FAILED)
    where = f"{os.fsdecode(error.filename)}: " if error.filename else ""
    sys.stderr.write(shorten(f"moviec: {where}{error.strerror or error}") + "\n")
    if error.errno == errno.ENAMETOOLONG:  # a name given by the user
        return int(ExitCode.INVALID)
    return int(ExitCode.FAILED)


def entry() -> None:
    """The ``moviec`` program: :func:`main`, then exit with its code. A Ctrl-C after the
    outcome is decided is ignored, so that it cannot turn a finished command into a death by
    signal while the interpreter shuts down."""
    code = main()
    interrupts.ignore()
    sys.exit(code)


if __name__ == "__main__":
    entry()
