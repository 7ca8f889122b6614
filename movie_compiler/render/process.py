"""Child processes that never outlive moviec: their own process group, killed with their parent.

Every helper program moviec starts (pvbatch, Xvfb) runs in a new session, so a Ctrl-C in the
terminal reaches moviec alone and moviec stops its children in order (pvbatch first, then the
X server they draw on). On Linux each child is also told to receive a signal when moviec dies
(``PR_SET_PDEATHSIG``), so even ``kill -9`` of moviec leaves nothing behind.

The death signal is tied to the *thread* that started the child: start children from a thread
that lives as long as they do (the main thread, normally).
"""

from __future__ import annotations

import contextlib
import ctypes
import os
import signal
import subprocess
import sys
from collections.abc import Callable
from pathlib import Path
from typing import Any, cast

PR_SET_PDEATHSIG = 1
STOP_TIMEOUT = 5.0
"""Seconds a child gets to exit after SIGTERM before it is killed."""


def _load_prctl() -> Callable[[int, int], int] | None:
    """libc's ``prctl``, looked up once in moviec (a forked child must not call dlopen)."""
    if not sys.platform.startswith("linux"):
        return None
    try:
        function = ctypes.CDLL("libc.so.6", use_errno=True).prctl
    except (OSError, AttributeError):
        return None
    function.argtypes = [ctypes.c_int, ctypes.c_ulong]
    function.restype = ctypes.c_int
    return cast("Callable[[int, int], int]", function)


_PRCTL = _load_prctl()


def die_with_parent(sig: int = signal.SIGTERM) -> Callable[[], None]:
    """A ``preexec_fn`` that makes the child receive ``sig`` when its parent dies.

    It runs between fork and exec, possibly while other threads of moviec held locks at the
    fork; so it only calls the ``prctl`` looked up beforehand.
    """
    parent = os.getpid()
    prctl = _PRCTL
    number = int(sig)

    def preexec() -> None:  # pragma: no cover - runs in the child
        if prctl is not None:
            prctl(PR_SET_PDEATHSIG, number)
            if os.getppid() != parent:  # the parent died before prctl took effect
                os.kill(os.getpid(), number)

    return preexec


def spawn(command: list[str], **options: Any) -> subprocess.Popen[Any]:
    """Start ``command`` in its own session, dying with moviec; ``options`` go to Popen."""
    return subprocess.Popen(
        command,
        start_new_session=True,
        preexec_fn=die_with_parent(),
        **options,
    )


def stop(process: subprocess.Popen[Any], timeout: float = STOP_TIMEOUT) -> None:
    """Terminate ``process`` and its process group; kill them if they linger."""
    stop_all([process], timeout)


def stop_all(processes: list[subprocess.Popen[Any]], timeout: float = STOP_TIMEOUT) -> None:
    """Terminate several processes at once (each with its process group), then wait for each;
    kill those that linger, and what they started in their group."""
    alive = [process for process in processes if process.poll() is None]
    for process in alive:
        _signal_group(process, signal.SIGTERM)
    for process in alive:
        try:
            process.wait(timeout=timeout)
        except subprocess.TimeoutExpired:
            _signal_group(process, signal.SIGKILL)
            process.wait()
        _signal_group(process, signal.SIGKILL)


def _signal_group(process: subprocess.Popen[Any], sig: int) -> None:
    with contextlib.suppress(ProcessLookupError, PermissionError):
        os.killpg(process.pid, sig)


def describe_exit(returncode: int) -> str:
    """``exit 1``, or ``killed by SIGKILL`` for a negative return code."""
    if returncode < 0:
        try:
            name = signal.Signals(-returncode).name
        except ValueError:
            name = f"signal {-returncode}"
        return f"killed by {name}"
    return f"exit {returncode}"


PROC = Path("/proc")


def running(pid: int, since: float) -> bool:
    """Whether ``pid`` is a live process (not a zombie) that already ran at ``since`` (a Unix
    time, such as the mtime of a file the process wrote).

    A process killed while its parent died stays a zombie until init reaps it, which some
    container inits never do; and a process id can be reused. Without ``/proc`` only the
    process id is checked.
    """
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:
        pass
    try:
        stat = (PROC / str(pid) / "stat").read_text()
        boot = _boot_time()
    except (OSError, ValueError):
        return True
    # "pid (name) state ppid ...": fields after the name; start time is field 22 of the line.
    fields = stat[stat.rindex(")") + 2 :].split()
    if fields[0] in ("Z", "X"):
        return False
    started = boot + int(fields[19]) / os.sysconf("SC_CLK_TCK")
    return started <= since + 1.0  # the boot time is in whole seconds


def _boot_time() -> float:
    for line in (PROC / "stat").read_text().splitlines():
        if line.startswith("btime "):
            return float(line.split()[1])
    raise ValueError("no btime in /proc/stat")
