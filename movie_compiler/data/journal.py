"""Checkpoints of an unfinished conversion: ``OUT.h5.partial`` and ``OUT.h5.partial.json``.

The partial file is written under its own name and renamed to ``OUT.h5`` only when complete,
so a file named like the output is always complete. The journal beside it records, at each
checkpoint, how many slices are safely on disk, the value ranges seen so far, and a key of
everything the content depends on (input paths, sizes and modification times; shape, type,
layout and options). A rerun with the same key continues after the last checkpoint; anything
else (another key, no journal, a compressed file, an unreadable file) starts again.
"""

from __future__ import annotations

import json
import logging
import os
from pathlib import Path
from typing import Any

import h5py

from movie_compiler import fsutil
from movie_compiler.data.writer import Layout

log = logging.getLogger(__name__)

FORMAT = 1


class Journal:
    """The checkpoint file of one output."""

    def __init__(self, partial: Path, key: dict[str, Any]) -> None:
        self.partial = partial
        self.path = partial.with_name(partial.name + ".json")
        self.key = json.loads(json.dumps(key))

    def resume_point(self, layout: Layout) -> tuple[int, list[list[float] | None]]:
        """The first slice to convert and the value ranges so far (0 and none: start again)."""
        empty: list[list[float] | None] = [None] * len(layout.paths)
        if not self.partial.exists():
            self.path.unlink(missing_ok=True)
            return 0, empty
        state = self._read()
        reason = None
        if state is None:
            reason = "it has no checkpoint"
        elif state.get("key") != self.key:
            reason = "it was made from other inputs or options"
        elif not layout.resumable:
            reason = "a compressed conversion cannot be resumed"
        elif not self._intact(layout):
            reason = "it cannot be read"
        if state is None or reason is not None:
            log.info("%s is unfinished; starting again (%s)", self.partial, reason)
            self.discard()
            return 0, empty
        ranges = [list(found) if found is not None else None for found in state["ranges"]]
        return int(state["done"]), ranges

    def commit(self, done: int, ranges: list[list[float] | None]) -> None:
        """Record that slices ``0 .. done - 1`` (and their pyramid slices) are written."""
        state = {"format": FORMAT, "key": self.key, "done": done, "ranges": ranges}
        fsutil.write_text(self.path, json.dumps(state) + "\n")

    def sync(self) -> None:
        """Flush the partial file to disk (before a checkpoint says its slices are there)."""
        fd = os.open(self.partial, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def finish(self, output: Path) -> None:
        """The conversion is complete: give the file its name, drop the journal."""
        self.sync()
        os.replace(self.partial, output)
        self.path.unlink(missing_ok=True)
        fd = os.open(output.parent, os.O_RDONLY)
        try:
            os.fsync(fd)
        finally:
            os.close(fd)

    def discard(self) -> None:
        """Remove the partial file and its journal."""
        self.partial.unlink(missing_ok=True)
        self.path.unlink(missing_ok=True)

    def _read(self) -> dict[str, Any] | None:
        try:
            state = json.loads(self.path.read_text(encoding="utf-8"))
        except (OSError, ValueError):
            return None
        if not isinstance(state, dict) or state.get("format") != FORMAT:
            return None
        if not isinstance(state.get("done"), int) or not isinstance(state.get("ranges"), list):
            return None
        return state

    def _intact(self, layout: Layout) -> bool:
        try:
            with h5py.File(self.partial, "r") as file:
                for name, shape in zip(layout.paths, layout.shapes, strict=True):
                    item = file.get(name)
                    if not isinstance(item, h5py.Dataset) or item.shape != shape:
                        return False
        except OSError:
            return False
        return True
