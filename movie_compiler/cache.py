"""The frame cache: each shot's frames live in a folder named by a hash of what made them.

A shot's key covers everything that changes its pixels: the complete state of each of its
frames (camera, transfer functions, opacity scale, clip plane, box: so where it starts, its
motion and its timing), the render script without the lines that
only name the scene (frame size, background, projection, transfer functions, renderers,
shading, the template's code), the dataset description ParaView reads (geometry, hyperslab
or pyramid level), the identity of the data files (paths, sizes, modification times), the
renderer used, and the ParaView and moviec versions. The scene's title, the other shots, the
encoder settings and the frame step do not enter it. So:

- an unchanged scene re-renders nothing, and an edit re-renders only the shots it touched;
- frames of an older scene are never reused: another key is another folder;
- an interrupted build resumes: frames are written under a temporary name and renamed when
  complete, so every ``NNNNNN.png`` in a shot folder is a finished frame.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import shutil
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from movie_compiler import __version__, fsutil, generate
from movie_compiler.config.load import LoadedScene
from movie_compiler.data import dataset
from movie_compiler.plan import Plan, PlannedShot
from movie_compiler.render.process import running

log = logging.getLogger(__name__)

KEY_LENGTH = 20
"""Hex digits of the SHA-256 used as a shot folder's name."""
SHOT_RECORD = "shot.json"


def render_inputs(
    *,
    script: str,
    description: str,
    data_identity: Mapping[str, Any],
    renderer: str,
    paraview_version: str,
    ranks: int = 1,
) -> dict[str, Any]:
    """What every frame of a scene depends on besides its camera.

    ``script`` is the render script without the lines that only name the scene
    (:func:`movie_compiler.generate.pixel_source`): frame size, background, projection,
    transfer functions, renderer list, shading, and the template's code. ``description`` is
    the dataset.xdmf text ParaView reads (geometry from the voxel size, hyperslab or pyramid
    level, files). Hashing both, rather than listing scene keys, keeps the key complete when
    the scene format grows.

    ``ranks`` is the number of MPI ranks: compositing the parts of the volume that ranks
    render changes pixels slightly. A serial build's key leaves it out.
    """
    inputs = {
        "script": _sha256(script),
        "description": _sha256(description),
        "data": dict(data_identity),
        "renderer": renderer,
        "paraview": paraview_version,
        "moviec": __version__,
    }
    return inputs if ranks == 1 else {**inputs, "mpi_ranks": ranks}


def _sha256(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()


def scene_keys(
    loaded: LoadedScene,
    plan: Plan,
    *,
    description: str,
    renderer: str,
    paraview_version: str,
    ranks: int = 1,
) -> list[str]:
    """The cache key of every shot of ``loaded`` (``description``: the dataset.xdmf text)."""
    inputs = render_inputs(
        script=generate.pixel_source(loaded),
        description=description,
        data_identity=dataset.identity(loaded),
        renderer=renderer,
        paraview_version=paraview_version,
        ranks=ranks,
    )
    return [shot_key(plan, shot, inputs) for shot in plan.shots]


def shot_key(plan: Plan, shot: PlannedShot, inputs: Mapping[str, Any]) -> str:
    """The cache key of ``shot``'s frames."""
    document = {
        "states": [state.key for state in shot.states],
        "inputs": inputs,
    }
    canonical = json.dumps(document, sort_keys=True, separators=(",", ":"), allow_nan=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()[:KEY_LENGTH]


@dataclass(frozen=True)
class FrameCache:
    """Shot folders under one root (by default ``.moviec/frames`` beside the scene)."""

    root: Path

    def shot_dir(self, key: str) -> Path:
        return self.root / key

    def frame_path(self, plan: Plan, keys: Sequence[str], frame: int) -> Path:
        shot = plan.shot_of(frame)
        return self.shot_dir(keys[shot.index]) / f"{frame - shot.first:06d}.png"

    def missing(self, plan: Plan, keys: Sequence[str], frames: Sequence[int]) -> list[int]:
        """The frames of ``frames`` that have no finished file yet."""
        return [f for f in frames if not self.frame_path(plan, keys, f).is_file()]

    def prepare(
        self,
        plan: Plan,
        keys: Sequence[str],
        scene_file: Path,
        frames: Sequence[int] | None = None,
    ) -> None:
        """Create the shot folders (only of the shots of ``frames``, if given), describe each
        one, and remove partial frames left by an interrupted render. A partial frame names
        the process writing it, so one that a concurrent build is still writing is left
        alone."""
        wanted = None if frames is None else {plan.shot_of(f).index for f in frames}
        for shot, key in zip(plan.shots, keys, strict=True):
            if wanted is not None and shot.index not in wanted:
                continue
            folder = self.shot_dir(key)
            folder.mkdir(parents=True, exist_ok=True)
            for stale in folder.glob("[0-9]*.partial.png"):
                if not _writer_alive(stale):
                    log.debug("removing unfinished %s", stale)
                    stale.unlink(missing_ok=True)
            record = folder / SHOT_RECORD
            if not record.exists():
                description = {
                    "moviec": __version__,
                    "scene": str(scene_file),
                    "shot": shot.name,
                    "type": shot.kind,
                    "frames": shot.frames,
                }
                fsutil.write_text(record, json.dumps(description, indent=1) + "\n")

    def duplicates(
        self, plan: Plan, keys: Sequence[str], wanted: Sequence[int], todo: Sequence[int]
    ) -> tuple[list[int], list[tuple[int, int]]]:
        """Split ``todo`` into frames to render and ``(frame, source)`` pairs to link.

        Frames with the same state have the same pixels (everything else a frame depends on
        is the same for the whole scene), so a hold shot, or a shot that returns to an
        earlier view with the same transfer functions and clips, is rendered once.
        """
        missing = set(todo)
        source: dict[str, int] = {}
        for frame in wanted:  # finished frames first: they need no render at all
            if frame not in missing:
                source.setdefault(plan.state(frame).key, frame)
        render: list[int] = []
        links: list[tuple[int, int]] = []
        for frame in todo:
            key = plan.state(frame).key
            if key in source:
                links.append((frame, source[key]))
            else:
                source[key] = frame
                render.append(frame)
        return render, links

    def link(self, plan: Plan, keys: Sequence[str], frame: int, source: int) -> None:
        """Give ``frame`` the finished file of ``source`` (a hard link, or a copy)."""
        target = self.frame_path(plan, keys, frame)
        with fsutil.atomic_path(target, suffix=".png") as temporary:
            temporary.unlink()
            try:
                os.link(self.frame_path(plan, keys, source), temporary)
            except OSError:
                shutil.copyfile(self.frame_path(plan, keys, source), temporary)

    def verify(
        self, plan: Plan, keys: Sequence[str], frames: Sequence[int], size: Sequence[int]
    ) -> list[int]:
        """The frames of ``frames`` whose file is missing, not a complete PNG, or not
        ``size`` (width, height) pixels."""
        return [f for f in frames if png_size(self.frame_path(plan, keys, f)) != tuple(size)]

    def remove(self, plan: Plan, keys: Sequence[str], frames: Sequence[int]) -> None:
        """Delete the files of ``frames`` (for ``--force``)."""
        for frame in frames:
            self.frame_path(plan, keys, frame).unlink(missing_ok=True)


def remove_unfinished(root: Path) -> None:
    """Remove the partial frames under ``root`` (one level of shot folders) whose writer is
    gone: run after pvbatch stopped, so a failed or interrupted render leaves none."""
    for stale in root.glob("*/[0-9]*.partial.png"):
        if not _writer_alive(stale):
            stale.unlink(missing_ok=True)


def _writer_alive(partial: Path) -> bool:
    """Whether the process named in ``NNNNNN.PID.partial.png`` still runs (on this host) and is
    the one that wrote it."""
    parts = partial.name.split(".")
    if len(parts) != 4 or not parts[1].isdigit():
        return False  # an older script's partial frame: its writer is gone
    try:
        written = partial.stat().st_mtime
    except FileNotFoundError:
        return False
    return running(int(parts[1]), since=written)


PNG_SIGNATURE = b"\x89PNG\r\n\x1a\n"
PNG_END = b"\x00\x00\x00\x00IEND\xaeB`\x82"


def png_size(path: Path) -> tuple[int, int] | None:
    """``(width, height)`` of a complete PNG file (its header read, its end chunk present), or
    None for a missing, truncated or foreign file."""
    try:
        with path.open("rb") as stream:
            head = stream.read(24)
            stream.seek(0, os.SEEK_END)
            if stream.tell() < 24 + len(PNG_END):
                return None
            stream.seek(-len(PNG_END), os.SEEK_END)
            tail = stream.read()
    except OSError:
        return None
    if head[:8] != PNG_SIGNATURE or head[12:16] != b"IHDR" or tail != PNG_END:
        return None
    return int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big")


def frame_ranges(frames: Sequence[int]) -> str:
    """Frames as half-open ranges for ``--frames``: ``[3, 4, 5, 9]`` -> ``"3:6,9:10"``."""
    ranges: list[list[int]] = []
    for frame in sorted(frames):
        if ranges and frame <= ranges[-1][1]:
            ranges[-1][1] = max(ranges[-1][1], frame + 1)
        else:
            ranges.append([frame, frame + 1])
    return ",".join(f"{a}:{b}" for a, b in ranges)


def describe_frames(frames: Sequence[int], most: int = 10) -> str:
    """A short list of frames for a message: ``frames 3, 4, 9`` or the first ``most``."""
    shown = ", ".join(str(f) for f in sorted(frames)[:most])
    more = f" and {len(frames) - most} more" if len(frames) > most else ""
    return f"frame{'s' if len(frames) > 1 else ''} {shown}{more}"
