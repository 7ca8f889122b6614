"""Provenance: what made a movie, in its container metadata and in a sidecar JSON beside it.

The container carries a few tags (title, scene hash, versions; see :func:`container_metadata`);
the sidecar ``MOVIE.json`` carries everything: the fully resolved scene, the frame count per
shot, the encoder settings, the software versions and the checksum of every input file. The
format is described in ``docs/encoding.md``.
"""

from __future__ import annotations

import hashlib
import json
import logging
import os
import platform
import time
from collections.abc import Mapping, Sequence
from pathlib import Path
from typing import Any

from movie_compiler import __version__, fsutil
from movie_compiler.config.load import LoadedScene
from movie_compiler.encode import EncodeSettings, codec_options, ffmpeg_version, frame_rate
from movie_compiler.errors import InputError
from movie_compiler.plan import Plan, PlannedShot

log = logging.getLogger(__name__)

SIDECAR_SUFFIX = ".json"
"""The sidecar is the movie's name plus this: ``vervet.mp4`` -> ``vervet.mp4.json``."""

RACY_SECONDS = 2.0
"""A file modified less than this long ago is hashed but its digest not cached: a change
within the same modification-time tick would otherwise go unnoticed."""

LOG_SIZE = 1 << 30
"""Files at least this large (1 GiB) are announced before they are hashed."""


def sha256_file(path: Path, cache_dir: Path | None = None) -> str:
    """SHA-256 of ``path``'s bytes, hex, read in a stream.

    With ``cache_dir`` the digest is cached there, keyed by the resolved path and checked
    against the file's size, modification time (ns) and inode, so a large dataset is hashed
    once and hashed again whenever it changes."""
    resolved = path.resolve()
    before = os.stat(resolved)
    entry = cache_dir / "sha256" / f"{_sha256_text(str(resolved))}.json" if cache_dir else None
    identity = {
        "path": str(resolved),
        "size": before.st_size,
        "mtime_ns": before.st_mtime_ns,
        "inode": before.st_ino,
    }
    if entry is not None:
        cached = _read_entry(entry)
        if cached is not None and cached.get("identity") == identity:
            return str(cached["sha256"])
    if before.st_size >= LOG_SIZE:
        log.info("computing the SHA-256 of %s (%.1f GiB)", path, before.st_size / (1 << 30))
    with open(resolved, "rb") as stream:
        digest = hashlib.file_digest(stream, "sha256").hexdigest()
    after = os.stat(resolved)
    unchanged = (after.st_size, after.st_mtime_ns) == (before.st_size, before.st_mtime_ns)
    settled = time.time() - after.st_mtime_ns / 1e9 >= RACY_SECONDS
    if entry is not None and unchanged and settled:
        document = {"identity": identity, "sha256": digest}
        try:
            fsutil.write_text(entry, json.dumps(document, sort_keys=True) + "\n")
        except OSError as exc:  # a cache that cannot be written only costs time
            log.debug("cannot cache the digest of %s: %s", path, exc)
    return digest


def container_metadata(loaded: LoadedScene, paraview_version: str) -> dict[str, str]:
    """The tags written into the movie file with ``-metadata key=value``.

    MP4 and WebM keep all of them (WebM reads the custom keys back in upper case); GIF keeps
    none. The sidecar JSON has the rest."""
    tags = {
        "title": loaded.scene.movie.title,
        "comment": (
            f"made by moviec {__version__} with ParaView {paraview_version} "
            f"from scene sha256:{loaded.digest}"
        ),
        "moviec_version": __version__,
        "paraview_version": paraview_version,
        "moviec_scene_sha256": loaded.digest,
    }
    return {key: value for key, value in tags.items() if value}


def sidecar(
    loaded: LoadedScene,
    plan: Plan,
    *,
    output: Path,
    paraview: Mapping[str, Any],
    inputs: Sequence[Path],
    encode: EncodeSettings,
    cache_dir: Path | None = None,
) -> dict[str, Any]:
    """The sidecar document of the movie ``output`` made from ``loaded`` and ``plan``.

    ``paraview`` describes the ParaView that rendered it (at least ``version``); ``inputs`` are
    the files read (the scene, the dataset's files), each recorded with its size and SHA-256
    (folders are expanded to their files). Paths inside the movie's folder are written
    relative to it, others absolute."""
    base = output.resolve().parent
    fps = frame_rate(plan.fps / plan.frame_step)
    frames = len(plan.rendered())
    width, height = loaded.scene.movie.resolution
    return {
        "moviec": __version__,
        "scene": {
            "file": _shown(loaded.path, base),
            "sha256": loaded.digest,
            "profile": loaded.profile,
            "overrides": [o for o in loaded.overrides if not o.startswith("cluster.")],
            "resolved": loaded.scene.model_dump(mode="json", exclude={"cluster"}),
        },
        "movie": {
            "file": output.name,
            "codec": encode.codec,
            "crf": encode.crf,
            "preset": encode.preset if encode.codec == "h264" else None,
            "encoder_options": codec_options(encode),
            "fps": plan.fps / plan.frame_step,
            "frame_rate": f"{fps.numerator}/{fps.denominator}",
            "frames": frames,
            "seconds": float(frames / fps),
            "resolution": [width, height],
        },
        "shots": [
            {
                "name": shot.name,
                "type": shot.kind,
                "frames": shot.frames,
                "encoded_frames": _encoded(shot, plan.frame_step),
            }
            for shot in plan.shots
        ],
        "software": {
            "moviec": __version__,
            "paraview": dict(paraview),
            "ffmpeg": ffmpeg_version(),
            "python": platform.python_version(),
            "platform": platform.platform(),
        },
        "inputs": [
            {"path": _shown(file, base), "bytes": file.stat().st_size, "sha256": digest}
            for file, digest in _hashed(inputs, cache_dir)
        ],
    }


def write_sidecar(output: Path, document: Mapping[str, Any]) -> Path:
    """Write ``document`` to ``OUTPUT.json`` (atomically, keys sorted); return its path."""
    path = output.with_name(output.name + SIDECAR_SUFFIX)
    text = json.dumps(document, indent=2, sort_keys=True, ensure_ascii=False, allow_nan=False)
    fsutil.write_text(path, text + "\n")
    log.info("wrote %s", path)
    return path


def _encoded(shot: PlannedShot, step: int) -> int:
    """How many of the shot's frames are rendered and encoded (every ``step``-th overall)."""
    first = -(-shot.first // step) * step
    return len(range(first, shot.stop, step))


def _hashed(inputs: Sequence[Path], cache_dir: Path | None) -> list[tuple[Path, str]]:
    files: list[Path] = []
    for path in inputs:
        if path.is_dir():
            files += sorted(p for p in path.rglob("*") if p.is_file())
        elif path.is_file():
            files.append(path)
        else:
            raise InputError(f"{path}: input file not found (for the movie's checksums)")
    unique = list(dict.fromkeys(p.resolve() for p in files))
    return [(file, sha256_file(file, cache_dir)) for file in unique]


def _shown(path: Path, base: Path) -> str:
    resolved = path.resolve()
    return resolved.relative_to(base).as_posix() if resolved.is_relative_to(base) else str(resolved)


def _read_entry(entry: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    return data if isinstance(data, dict) and isinstance(data.get("sha256"), str) else None


def _sha256_text(text: str) -> str:
    return hashlib.sha256(text.encode("utf-8")).hexdigest()
