"""A small on-disk cache of what moviec learned about programs (``paraview.json``).

It lives in ``$XDG_CACHE_HOME/moviec`` (default ``~/.cache/moviec``). Entries are keyed by the
program's real path, size and modification time and by the probe that produced them, so a
new ParaView, or a new probe, is probed again. The cache is only an optimisation: when it
cannot be read or written, moviec probes again and says so in the debug log.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
from pathlib import Path
from typing import Any

from movie_compiler import fsutil

log = logging.getLogger(__name__)

FILE_NAME = "paraview.json"
MAX_ENTRIES = 16


def cache_dir() -> Path:
    """``$XDG_CACHE_HOME/moviec``, or ``~/.cache/moviec``."""
    base = os.environ.get("XDG_CACHE_HOME") or os.path.join(os.path.expanduser("~"), ".cache")
    return Path(base) / "moviec"


def executable_key(program: str, probe_text: str) -> str:
    """Identity of ``program`` as installed now, and of the probe that asks it."""
    real = os.path.realpath(program)
    stat = os.stat(real)
    probe = hashlib.sha256(probe_text.encode("utf-8")).hexdigest()[:16]
    return f"{real}|{stat.st_size}|{stat.st_mtime_ns}|{probe}"


def load(key: str) -> dict[str, Any] | None:
    """The document stored under ``key``, or None."""
    entry = _entries().get(key)
    if isinstance(entry, dict):
        log.debug("ParaView probe: cached in %s", cache_dir() / FILE_NAME)
        return entry
    return None


def store(key: str, document: dict[str, Any]) -> None:
    """Remember ``document`` under ``key`` (dropping entries of other versions of the program).

    A key is :func:`executable_key`, optionally followed by ``|`` and what else it depends
    on (such as the display of the OpenGL limits); entries of the same executable identity
    are kept side by side."""
    program = key.split("|", 1)[0]
    identity = "|".join(key.split("|")[:4])
    entries = {
        k: v
        for k, v in _entries().items()
        if k.split("|", 1)[0] != program or "|".join(k.split("|")[:4]) == identity
    }
    entries[key] = document
    kept = dict(list(entries.items())[-MAX_ENTRIES:])
    path = cache_dir() / FILE_NAME
    try:
        fsutil.write_text(path, json.dumps(kept, indent=1, sort_keys=True) + "\n")
    except OSError as exc:
        log.debug("cannot write %s: %s", path, exc.strerror)


def _entries() -> dict[str, Any]:
    path = cache_dir() / FILE_NAME
    try:
        data = json.loads(path.read_text(encoding="utf-8"))
    except FileNotFoundError:
        return {}
    except (OSError, ValueError) as exc:
        log.debug("ignoring %s: %s", path, exc)
        return {}
    return data if isinstance(data, dict) else {}
