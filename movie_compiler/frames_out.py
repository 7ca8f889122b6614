"""Readable copies of a build's frames: ``moviec build --frames-out DIR``.

The frame cache names folders by hashes (what made the frames), which is right for caching and
useless for looking. This stage gives each finished frame of the build a name a person can
find: ``DIR/NN-SHOT/FRAME.png``, ``NN`` the shot's number (from 01), ``SHOT`` its name, and
``FRAME`` the frame's number in the movie's plan (six digits). Files are hard links where the
file system allows (no space used), copies elsewhere; each appears whole (written under a
temporary name, then renamed), and one from an earlier build is replaced.
"""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Sequence
from pathlib import Path

from movie_compiler import fsutil
from movie_compiler.cache import FrameCache
from movie_compiler.plan import Plan

_UNSAFE = re.compile(r"[^A-Za-z0-9._-]+")


def shot_folder(index: int, name: str) -> str:
    """``01-orbit``: the shot's number and its name, with anything but letters, digits, '.',
    '_' and '-' replaced by '_'."""
    safe = _UNSAFE.sub("_", name).strip("._") or "shot"
    return f"{index + 1:02d}-{safe[:80]}"


def export(
    frames_plan: Plan, cache: FrameCache, keys: Sequence[str], frames: Sequence[int], out: Path
) -> int:
    """Link or copy the finished ``frames`` into ``out``; return how many."""
    count = 0
    for frame in frames:
        source = cache.frame_path(frames_plan, keys, frame)
        if not source.is_file():
            continue
        shot = frames_plan.shot_of(frame)
        target = out / shot_folder(shot.index, shot.name) / f"{frame:06d}.png"
        with fsutil.atomic_path(target, suffix=".png") as temporary:
            temporary.unlink()
            try:
                os.link(source, temporary)
            except OSError:
                shutil.copyfile(source, temporary)
        count += 1
    return count
