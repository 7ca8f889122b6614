"""Ctrl-C that is never lost.

Python turns SIGINT into :class:`KeyboardInterrupt` wherever the main thread happens to be.
When that is inside a finaliser (``__del__``, a weakref callback, as h5py and subprocess
objects run while they are collected), Python prints "Exception ignored ... KeyboardInterrupt"
and carries on: a build interrupted at that instant ran to its end. :func:`install` records
every SIGINT as well, and :func:`check`, called where moviec waits (between stages, while
children run, before exiting), raises it again if it was swallowed. A SIGINT that arrives
while a module is being imported is only recorded, and raised by the next :func:`check`.
"""

from __future__ import annotations

import contextlib
import signal
import threading
from collections.abc import Iterator
from types import FrameType

_received = threading.Event()
_held = threading.Event()
"""A Ctrl-C that arrived inside :func:`deferred`, raised when it ends."""
_deferring = [0]
DEFERRED = {signal.SIGTERM}
"""Signals blocked inside :func:`deferred` (SIGINT is held back by its handler instead: the
kernel may hand a process-wide SIGINT to any thread whose mask lets it through)."""


def _on_sigint(signum: int, frame: FrameType | None) -> None:
    _received.set()
    if _deferring[0]:
        _held.set()
        return  # raised when the deferred block ends
    if _importing(frame):
        return  # raised at the next check(): an import cut in two can break the interpreter
    raise KeyboardInterrupt


def _importing(frame: FrameType | None) -> bool:
    """Whether a module is being imported (pydantic_core, interrupted while it imports the
    datetime module, panics instead of raising KeyboardInterrupt)."""
    while frame is not None:
        if frame.f_code.co_filename.startswith("<frozen importlib"):
            return True
        frame = frame.f_back
    return False


def install() -> None:
    """Handle SIGINT in the main thread: remember it, then raise :class:`KeyboardInterrupt`."""
    _received.clear()
    _held.clear()
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, _on_sigint)


def received() -> bool:
    """Whether a Ctrl-C arrived since :func:`install`."""
    return _received.is_set()


def check() -> None:
    """Raise :class:`KeyboardInterrupt` if a Ctrl-C arrived and was swallowed."""
    if _received.is_set():
        raise KeyboardInterrupt


@contextlib.contextmanager
def deferred() -> Iterator[None]:
    """Hold SIGINT and SIGTERM back for a few statements that must not be cut in two (a file
    created and its name recorded for removal); they are delivered when the block ends."""
    if threading.current_thread() is not threading.main_thread():
        yield  # Python delivers signals to the main thread only
        return
    previous = signal.pthread_sigmask(signal.SIG_BLOCK, DEFERRED)
    _deferring[0] += 1
    try:
        yield
    finally:
        _deferring[0] -= 1
        signal.pthread_sigmask(signal.SIG_SETMASK, previous)
    if not _deferring[0] and _held.is_set():
        _held.clear()
        raise KeyboardInterrupt


def ignore() -> None:
    """Ignore SIGINT from now on (the program is about to exit with its decided code)."""
    if threading.current_thread() is threading.main_thread():
        signal.signal(signal.SIGINT, signal.SIG_IGN)
