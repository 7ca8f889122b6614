"""Errors that reach the user as a message and an exit code, never as a traceback.

Exit codes (documented in docs/cli.md):

====  ===========================================================================
0     success
1     a build step failed: ParaView or ffmpeg exited with an error (see its log), or the file
      system refused a write (a full disk, a read-only folder)
2     invalid input: scene file, command-line option, or input data
3     a requirement is missing: ParaView, a renderer, an X server, ffmpeg, an MPI launcher,
      Slurm
4     the movie is incomplete after a cluster build: frames are missing (a task failed, was
      cancelled or lost its node), the cache folder is not shared by the nodes, or the scene
      changed after submission; rendered frames are kept, the message says what to run
130   interrupted (Ctrl-C); everything written so far is complete and kept
====  ===========================================================================
"""

from __future__ import annotations

import errno
from collections.abc import Sequence
from dataclasses import dataclass
from enum import IntEnum
from pathlib import Path


class ExitCode(IntEnum):
    """The process exit codes of ``moviec``."""

    OK = 0
    FAILED = 1
    INVALID = 2
    MISSING = 3
    INCOMPLETE = 4
    INTERRUPTED = 130


class MoviecError(Exception):
    """A problem the user can act on. ``str(error)`` is the whole message."""

    code: ExitCode = ExitCode.FAILED

    def __init__(self, message: str, code: ExitCode | None = None) -> None:
        super().__init__(message)
        if code is not None:
            self.code = code

    @property
    def lines(self) -> list[str]:
        """The message as the lines printed to standard error."""
        return str(self).splitlines()


class InputError(MoviecError):
    """The user's input (scene, options, data files) is invalid."""

    code = ExitCode.INVALID


class ToolError(MoviecError):
    """ParaView or ffmpeg failed."""

    code = ExitCode.FAILED


class DiskFull(ToolError):
    """A write failed because the disk (or the user's quota) is full."""

    def __init__(self, where: Path | str, doing: str) -> None:
        super().__init__(
            f"{where}: disk full ({doing}); free some space there and run the command again: "
            "what was finished is kept"
        )


DISK_FULL_ERRNOS = (errno.ENOSPC, errno.EDQUOT)
DISK_FULL_TEXT = ("No space left on device", "Disk quota exceeded", "out of disk space")
"""How a child process (pvbatch, ffmpeg, Python) says that the disk is full."""


def is_disk_full(error: BaseException) -> bool:
    """Whether ``error`` is a write refused for want of space (h5py's errors carry the errno
    only in their text)."""
    if not isinstance(error, OSError):
        return False
    return error.errno in DISK_FULL_ERRNOS or says_disk_full(str(error))


def says_disk_full(text: str) -> bool:
    """Whether a child's messages say that the disk is full."""
    lowered = text.lower()
    return any(phrase.lower() in lowered for phrase in DISK_FULL_TEXT)


class MissingRequirement(MoviecError):
    """Something this machine lacks: ParaView, a renderer, an X server."""

    code = ExitCode.MISSING


class Incomplete(MoviecError):
    """A cluster build ended without the whole movie; what was rendered is kept."""

    code = ExitCode.INCOMPLETE


@dataclass(frozen=True)
class Problem:
    """One located problem in a scene: ``PATH:LINE:COL: key.path: message``."""

    where: str
    """``file:line:col``, or the command-line option that set the value."""
    key: str
    """The key path in the scene, such as ``shots[1].keyframes[2].position``."""
    message: str

    def __str__(self) -> str:
        return (
            f"{self.where}: {self.key}: {self.message}"
            if self.key
            else f"{self.where}: {self.message}"
        )


class SceneError(InputError):
    """A scene file has one or more problems; each is printed on its own line."""

    def __init__(self, problems: Sequence[Problem]) -> None:
        self.problems = list(problems)
        super().__init__("\n".join(str(p) for p in self.problems))
