"""The frame cache: each shot's frames live in a folder named by a hash of what made them.

A shot's key covers everything that changes its pixels: the camera of each of its frames
(so where it starts, its motion and its timing), the render script without the lines that
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

from movie_compiler import __version__, fsutil
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


def shot_key(plan: Plan, shot: PlannedShot, inputs: Mapping[str, Any]) -> str:
    """The cache key of ``shot``'s frames."""
    document = {
        "cameras": [plan.camera(i) for i in range(shot.first, shot.stop)],
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

        Frames with the same camera have the same pixels (everything else a frame depends on
        is the same for the whole scene), so a hold shot, or a shot that returns to an
        earlier view, is rendered once.
        """
        missing = set(todo)
        source: dict[str, int] = {}
        for frame in wanted:  # finished frames first: they need no render at all
            if frame not in missing:
                source.setdefault(_camera_key(plan, frame), frame)
        render: list[int] = []
        links: list[tuple[int, int]] = []
        for frame in todo:
            key = _camera_key(plan, frame)
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

    def remove(self, plan: Plan, keys: Sequence[str], frames: Sequence[int]) -> None:
        """Delete the files of ``frames`` (for ``--force``)."""
        for frame in frames:
            self.frame_path(plan, keys, frame).unlink(missing_ok=True)


def _camera_key(plan: Plan, frame: int) -> str:
    return json.dumps(plan.camera(frame), sort_keys=True)


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
