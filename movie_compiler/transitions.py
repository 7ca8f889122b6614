"""Transitions: fades at the movie's start and end and crossfades between shots, made from the
rendered frames before encoding. Nothing is rendered again: a changed fade or crossfade only
blends other frames.

The frame-count rule: a crossfade of N frames into a shot overlaps the last N movie frames of
the shot before with the first N of the shot: overlapped frame k (0 .. N-1) shows
``(k + 1) / (N + 1)`` of the new shot, so neither shot's pure first or last frame is lost in
the blend, and the movie is N frames shorter per crossfade. Fades change no frame count: frame
k of a fade-in of N frames shows ``k / N`` of the picture (the first frame is the colour),
and the last N frames of a fade-out mirror it (the last frame is the colour).

Blended frames are PNG files in ``transitions/`` of the cache, named by a hash of how they are
made (source frames, which are named by their shot's key, weights and colours), so a rebuild
reuses them.
"""

from __future__ import annotations

import hashlib
import json
import logging
import struct
import subprocess
import zlib
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from movie_compiler import fsutil
from movie_compiler.cache import png_size
from movie_compiler.config.model import Scene
from movie_compiler.encode import ffmpeg_executable, frame_rate
from movie_compiler.errors import ToolError
from movie_compiler.plan import Plan

log = logging.getLogger(__name__)

RULE = (
    "a crossfade of N frames overlaps the last N movie frames of the shot before with the "
    "first N of its shot (frame k shows (k + 1) / (N + 1) of the new shot): the movie is N "
    "frames shorter per crossfade; fades change no frame count (a fade-in's first frame and a "
    "fade-out's last frame are the colour)"
)
"""The frame-count rule, as the sidecar records it."""


@dataclass(frozen=True)
class Blend:
    """A frame made of ``(1 - weight) * first + weight * second``."""

    first: Entry
    second: Entry | tuple[float, ...]
    """Another frame, or a colour ``(r, g, b)`` from 0 to 1."""
    weight: float

    def recipe(self, root: Path) -> Any:
        def part(entry: Entry | tuple[float, ...]) -> Any:
            if isinstance(entry, Path):
                return (
                    entry.relative_to(root).as_posix() if entry.is_relative_to(root) else str(entry)
                )
            if isinstance(entry, Blend):
                return entry.recipe(root)
            return list(entry)

        return [part(self.first), part(self.second), round(self.weight, 9)]


Entry = Path | Blend


def has_transitions(scene: Scene) -> bool:
    t = scene.transitions
    return bool(t.fade_in or t.fade_out or any(shot.crossfade for shot in scene.shots))


def sequence(scene: Scene, groups: Sequence[Sequence[Path]]) -> list[Entry]:
    """The movie's frames from ``groups`` (each planned shot's movie frames, in order; a title
    card first when there is one)."""
    offset = len(groups) - len(scene.shots)
    crossfades = [0] * offset + [shot.crossfade or 0 for shot in scene.shots]
    out: list[Entry] = []
    for group, fade in zip(groups, crossfades, strict=True):
        if fade:
            before = out[-fade:]
            del out[-fade:]
            out += [
                Blend(a, b, (k + 1) / (fade + 1))
                for k, (a, b) in enumerate(zip(before, group[:fade], strict=True))
            ]
            out += list(group[fade:])
        else:
            out += list(group)
    t = scene.transitions
    if t.fade_in is not None:
        n = t.fade_in.frames
        for k in range(n):
            out[k] = Blend(out[k], tuple(t.fade_in.color), 1.0 - k / n)
    if t.fade_out is not None:
        n = t.fade_out.frames
        for j in range(n):
            index = len(out) - n + j
            out[index] = Blend(out[index], tuple(t.fade_out.color), (j + 1) / n)
    return out


def movie_files(
    scene: Scene,
    frames_plan: Plan,
    files: Sequence[Path],
    document: dict[str, Any],
    cache_root: Path,
    folder: Path,
) -> list[Path]:
    """The movie's frame files, ``files`` (one per rendered frame) with the fades and
    crossfades made into ``folder``; the sidecar ``document`` gets ``transitions`` and the
    movie's frame count."""
    by_frame = dict(zip(frames_plan.rendered(), files, strict=True))
    groups = [
        [by_frame[f] for f in range(shot.first, shot.stop) if f in by_frame]
        for shot in frames_plan.shots
    ]
    entries = sequence(scene, groups)
    names = [shot.name for shot in frames_plan.shots]
    document["transitions"] = record(scene, names, len(files), len(entries))
    movie = document["movie"]
    seconds = float(len(entries) / frame_rate(movie["fps"]))
    document["movie"] = {**movie, "frames": len(entries), "seconds": seconds}
    return materialise(entries, cache_root, folder)


def record(scene: Scene, names: Sequence[str], rendered: int, encoded: int) -> dict[str, Any]:
    """What the sidecar says about transitions; ``names`` are the planned shots' names."""
    offset = len(names) - len(scene.shots)
    t = scene.transitions
    return {
        "rule": RULE,
        "fade_in": t.fade_in.model_dump(mode="json") if t.fade_in else None,
        "fade_out": t.fade_out.model_dump(mode="json") if t.fade_out else None,
        "crossfades": [
            {"from": names[offset + i - 1], "into": names[offset + i], "frames": shot.crossfade}
            for i, shot in enumerate(scene.shots)
            if shot.crossfade
        ],
        "rendered_frames": rendered,
        "movie_frames": encoded,
    }


def materialise(entries: Sequence[Entry], root: Path, folder: Path) -> list[Path]:
    """A PNG file for every entry: rendered frames as they are, blends written into
    ``folder`` (named by their recipe, reused when present). ``root`` is the frame cache."""
    made = 0
    out: list[Path] = []
    for entry in entries:
        if isinstance(entry, Path):
            out.append(entry)
            continue
        recipe = json.dumps(entry.recipe(root), separators=(",", ":"))
        path = folder / f"{hashlib.sha256(recipe.encode()).hexdigest()[:20]}.png"
        if png_size(path) is None:
            folder.mkdir(parents=True, exist_ok=True)
            with fsutil.atomic_path(path, suffix=".png") as temporary:
                temporary.write_bytes(png_bytes(pixels(entry)))
            made += 1
        out.append(path)
    log.info(
        "transitions: %d blended frames, %d made now",
        len(out) - sum(isinstance(e, Path) for e in entries),
        made,
    )
    return out


def pixels(entry: Entry) -> np.ndarray:
    """The RGB pixels (height x width x 3, uint8) of an entry."""
    if isinstance(entry, Path):
        return read_png(entry)
    first = pixels(entry.first).astype(np.float64)
    if isinstance(entry.second, Blend | Path):
        second = pixels(entry.second).astype(np.float64)
    else:
        second = np.broadcast_to(np.array(entry.second) * 255.0, first.shape)
    mixed = (1.0 - entry.weight) * first + entry.weight * second
    return np.clip(np.floor(mixed + 0.5), 0, 255).astype(np.uint8)


def read_png(path: Path) -> np.ndarray:
    """A PNG's RGB pixels, decoded by ffmpeg."""
    size = png_size(path)
    if size is None:
        raise ToolError(f"{path}: not a complete PNG file")
    command = [ffmpeg_executable(), "-v", "error", "-i", str(path), "-f", "rawvideo",
               "-pix_fmt", "rgb24", "-"]  # fmt: skip
    result = subprocess.run(command, capture_output=True, check=False)
    width, height = size
    if result.returncode != 0 or len(result.stdout) != width * height * 3:
        message = result.stderr.decode("utf-8", "replace").strip() or "short output"
        raise ToolError(f"cannot read {path}: {message}")
    return np.frombuffer(result.stdout, np.uint8).reshape(height, width, 3)


def png_bytes(image: np.ndarray) -> bytes:
    """An RGB image (height x width x 3, uint8) as a PNG file."""
    height, width, _ = image.shape
    rows = np.concatenate([np.zeros((height, 1), np.uint8), image.reshape(height, -1)], axis=1)

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return struct.pack(">I", len(data)) + body + struct.pack(">I", zlib.crc32(body))

    header = struct.pack(">IIBBBBB", width, height, 8, 2, 0, 0, 0)
    return b"".join([
        b"\x89PNG\r\n\x1a\n",
        chunk(b"IHDR", header),
        chunk(b"IDAT", zlib.compress(rows.tobytes(), 6)),
        chunk(b"IEND", b""),
    ])  # fmt: skip
