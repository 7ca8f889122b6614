"""A private X server for one build: started on a free display, stopped on every exit path.

Xvfb picks the display number itself and reports it on a pipe (``-displayfd``), so two builds
never race for the same number. On Linux the server is also told to die with its parent
(``PR_SET_PDEATHSIG``), so even ``kill -9`` of moviec leaves no Xvfb behind.
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import select
import shutil
import signal
import subprocess
import sys
import time
from collections.abc import Iterator

from movie_compiler.errors import MissingRequirement

SCREEN = "1280x1024x24"
START_TIMEOUT = 20.0


def _die_with_parent() -> None:  # pragma: no cover - runs in the child
    if sys.platform.startswith("linux"):
        with contextlib.suppress(OSError, AttributeError):
            libc = ctypes.CDLL("libc.so.6", use_errno=True)
            libc.prctl(1, signal.SIGTERM)  # PR_SET_PDEATHSIG


@contextlib.contextmanager
def xvfb(executable: str | None = None) -> Iterator[str]:
    """Run a private Xvfb for the duration of the block; yield its ``DISPLAY`` value."""
    program = executable or shutil.which("Xvfb")
    if program is None:
        raise MissingRequirement(
            "no X server: DISPLAY is not set and Xvfb is not installed "
            "(install it: apt-get install xvfb xauth)"
        )
    read_end, write_end = os.pipe()
    try:
        process = subprocess.Popen(
            [program, "-displayfd", str(write_end), "-screen", "0", SCREEN, "-nolisten", "tcp"],
            pass_fds=(write_end,),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.DEVNULL,
            stderr=subprocess.PIPE,
            preexec_fn=_die_with_parent,
        )
    except OSError as exc:
        os.close(read_end)
        os.close(write_end)
        raise MissingRequirement(f"cannot start Xvfb ({program}): {exc.strerror}") from None
    os.close(write_end)
    try:
        display = _read_display(read_end, process)
        yield f":{display}"
    finally:
        os.close(read_end)
        _stop(process)


def _read_display(fd: int, process: subprocess.Popen[bytes]) -> str:
    deadline = time.monotonic() + START_TIMEOUT
    data = b""
    while not data.endswith(b"\n"):
        remaining = deadline - time.monotonic()
        if remaining <= 0 or process.poll() is not None:
            if process.poll() is None:
                process.kill()
            _, err = process.communicate()
            lines = err.decode(errors="replace").strip().splitlines()
            detail = lines[-1] if lines else "no display number reported"
            raise MissingRequirement(f"Xvfb did not start: {detail}")
        ready, _, _ = select.select([fd], [], [], min(remaining, 0.5))
        if ready:
            chunk = os.read(fd, 64)
            if not chunk:
                continue
            data += chunk
    return data.decode().strip()


def _stop(process: subprocess.Popen[bytes]) -> None:
    if process.poll() is None:
        process.terminate()
        try:
            process.wait(timeout=5)
        except subprocess.TimeoutExpired:
            process.kill()
            process.wait()
    if process.stderr is not None:
        process.stderr.close()
