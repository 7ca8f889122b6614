"""Files that are either complete or absent: write to a temporary name, then rename."""

from __future__ import annotations

import contextlib
import errno
import fcntl
import os
import tempfile
from collections.abc import Iterator
from pathlib import Path

from movie_compiler import interrupts


def _read_umask() -> int:
    umask = os.umask(0)  # the only way to read it; done once, before any thread starts
    os.umask(umask)
    return umask


_UMASK = _read_umask()


@contextlib.contextmanager
def atomic_path(path: Path, suffix: str = "") -> Iterator[Path]:
    """Yield a temporary path beside ``path``; rename it to ``path`` if the block succeeds,
    delete it otherwise. ``suffix`` keeps tools that choose formats by extension happy."""
    for folder in (path.parent, *path.parent.parents):
        if folder.exists():
            if not folder.is_dir():
                raise OSError(errno.ENOTDIR, "is a file, not a folder", str(folder))
            break
    temporary: Path | None = None
    try:
        try:
            path.parent.mkdir(parents=True, exist_ok=True)
            with interrupts.deferred():  # created and recorded for removal, never one alone
                fd, name = tempfile.mkstemp(
                    prefix=f".{path.name}.", suffix=f".partial{suffix}", dir=path.parent
                )
                os.close(fd)
                temporary = Path(name)
        except OSError as exc:  # name the file the caller asked for, not the temporary one
            raise OSError(exc.errno, exc.strerror, str(path)) from None
        yield temporary
        if temporary.exists():
            temporary.chmod(_default_mode())
        os.replace(temporary, path)
    finally:
        if temporary is not None:
            temporary.unlink(missing_ok=True)


def check_writable(folder: Path) -> None:
    """Raise :class:`OSError` (naming ``folder``) unless a file can be created in ``folder``
    (created if missing). A real file is tried: permissions do not tell about read-only
    mounts, and root passes every permission check."""
    try:
        folder.mkdir(parents=True, exist_ok=True)
        with interrupts.deferred():
            fd, name = tempfile.mkstemp(prefix=".moviec-", suffix=".probe", dir=folder)
            os.close(fd)
            os.unlink(name)
    except OSError as exc:
        raise OSError(exc.errno, exc.strerror, str(folder)) from None


def write_text(path: Path, text: str) -> None:
    """Write ``text`` (UTF-8) to ``path`` atomically."""
    write_bytes(path, text.encode("utf-8"))


def write_bytes(path: Path, data: bytes) -> None:
    """Write ``data`` to ``path`` atomically, flushed to disk before the rename."""
    with atomic_path(path) as temporary:
        try:
            with open(temporary, "wb") as stream:
                stream.write(data)
                stream.flush()
                os.fsync(stream.fileno())
        except OSError as exc:  # name the file the caller asked for, not the temporary one
            raise OSError(exc.errno, exc.strerror, str(path)) from None


def _default_mode() -> int:
    """The mode a plain ``open()`` gives a new file (mkstemp makes it 0600)."""
    return 0o666 & ~_UMASK


class Busy(Exception):
    """Another process holds the lock."""


def _acquire(lock: Path, target: Path) -> int:
    while True:
        fd = os.open(lock, os.O_RDWR | os.O_CREAT, 0o644)
        try:
            fcntl.flock(fd, fcntl.LOCK_EX | fcntl.LOCK_NB)
        except BlockingIOError:
            os.close(fd)
            raise Busy(str(target)) from None
        try:
            same = os.fstat(fd).st_ino == os.stat(lock).st_ino
        except FileNotFoundError:
            same = False
        if same:
            return fd
        os.close(fd)  # the holder removed it as we opened it: take the new one


@contextlib.contextmanager
def exclusive(target: Path) -> Iterator[None]:
    """Hold an exclusive lock on ``target`` (a hidden ``.NAME.lock`` beside it) or raise
    :class:`Busy` at once. The lock file is removed on exit; a process that opened it just
    before is made to notice (the inode check) instead of running alongside."""
    lock = target.with_name(f".{target.name}.lock")
    fd = None
    try:
        with interrupts.deferred():  # a Ctrl-C lands before the file exists or after fd is set
            fd = _acquire(lock, target)
        yield
    finally:
        if fd is not None:
            lock.unlink(missing_ok=True)
            os.close(fd)
