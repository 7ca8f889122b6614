"""A private X server for one build: started on a free display, stopped on every exit path.

Xvfb picks the display number itself and reports it on a pipe (``-displayfd``), so two builds
never race for the same number. The server runs in its own session, so a Ctrl-C reaches moviec
first and moviec stops pvbatch before the X server it draws on. On Linux it is also told to die
with its parent (``PR_SET_PDEATHSIG``), so even ``kill -9`` of moviec leaves no Xvfb behind.
"""

from __future__ import annotations

import contextlib
import os
import select
import shutil
import subprocess
import tempfile
import time
from collections.abc import Iterator
from typing import IO

from movie_compiler.errors import MissingRequirement
from movie_compiler.render.process import spawn, stop

SCREEN = "1280x1024x24"
START_TIMEOUT = 20.0


@contextlib.contextmanager
def xvfb(executable: str | None = None) -> Iterator[str]:
    """Run a private Xvfb for the duration of the block; yield its ``DISPLAY`` value."""
    program = executable or shutil.which("Xvfb")
    if program is None:
        raise MissingRequirement(
            "no X server: DISPLAY is not set and Xvfb is not installed "
            "(install it: apt-get install xvfb xauth)"
        )
    # Xvfb's messages go to a file, not a pipe nobody drains while pvbatch runs.
    # -noreset: by default the server resets when its last client disconnects, and drops
    # connections that arrive meanwhile; pvbatch then aborts ("bad X server connection").
    command = [program, "-displayfd", "FD", "-screen", "0", SCREEN, "-nolisten", "tcp", "-noreset"]
    with tempfile.TemporaryFile() as messages:
        read_end, write_end = os.pipe()
        try:
            command[2] = str(write_end)
            process = spawn(
                command,
                pass_fds=(write_end,),
                stdin=subprocess.DEVNULL,
                stdout=subprocess.DEVNULL,
                stderr=messages,
            )
        except OSError as exc:
            os.close(read_end)
            raise MissingRequirement(f"cannot start Xvfb ({program}): {exc.strerror}") from None
        finally:
            os.close(write_end)
        try:
            display = _read_display(read_end, process, messages)
            yield f":{display}"
        finally:
            os.close(read_end)
            stop(process)


def _read_display(fd: int, process: subprocess.Popen[bytes], messages: IO[bytes]) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            stop(process)
            messages.seek(0)
            lines = messages.read().decode(errors="replace").strip().splitlines()
            detail = lines[-1].strip() if lines else "no display number reported"
            raise MissingRequirement(f"Xvfb did not start: {detail}")
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.5))
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:
                continue
            data += chunk
    return data.decode().strip()
