"""What one pvbatch (or one MPI rank) holds in memory while it renders: a pure estimate.

Measured on this project's machine (ParaView 5.11, Mesa llvmpipe; peak resident memory of
pvbatch after two renders, see docs/rendering.md):

- ParaView, Python and OpenGL themselves: about 440 MiB;
- the frame: about 36 bytes per pixel (colour and depth buffers, the screenshot, IceT's
  images): 75 MiB at 1920 x 1080, 290 MiB at 3840 x 2160;
- the volume as read: one copy, ``voxels * itemsize``; while it is read, briefly a second
  one (a 1.07 GB volume peaked at 2.36 GiB before its first render, the same at 1920 x 1080
  and 3840 x 2160; a 256 MB one did not show it: counted anyway, so the estimate errs on the
  safe side);
- what the mapper adds: the CPU ray caster (``Ray Cast Only``) about 10 % for its min-max
  volume, and 3 bytes per voxel more when shaded (gradient directions and magnitudes); the
  GPU mapper a copy of the volume as its 3D texture (in main memory with a software OpenGL;
  on a GPU the driver keeps it in video memory, and often a copy in main memory too).

``Smart`` is counted as what it resolves to (see :mod:`movie_compiler.render.texture`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

MIB = 1 << 20
BASE_BYTES = 440 * MIB
"""ParaView, its Python and OpenGL, with an empty view."""
FRAME_BYTES_PER_PIXEL = 36
RAY_CAST_EXTRA = 0.10
"""The CPU ray caster's min-max volume and tables, as a fraction of the volume."""
SHADE_BYTES_PER_VOXEL = 3
"""The CPU ray caster's gradient directions (2 bytes) and magnitudes (1 byte) per voxel."""


@dataclass(frozen=True)
class Estimate:
    """Bytes one process holds, by part."""

    base: int
    frame: int
    volume: int
    mapper: int
    loading: int = 0
    """The second copy of the volume while it is read (freed before rendering)."""

    @property
    def total(self) -> int:
        """The peak: while loading, or while rendering, whichever is larger."""
        return self.base + self.volume + max(self.loading, self.mapper + self.frame)

    def describe(self) -> str:
        """``2.4 GiB (volume 0.99, mapper 0.10, frame 0.07, ParaView 0.43; peak while
        loading)``."""
        parts = [
            ("volume", self.volume),
            ("mapper", self.mapper),
            ("frame", self.frame),
            ("ParaView", self.base),
        ]
        shown = ", ".join(f"{name} {gib(value)}" for name, value in parts)
        when = "; peak while loading" if self.loading > self.mapper + self.frame else ""
        return f"{gib(self.total)} GiB ({shown}{when})"


def gib(value: int) -> str:
    """Bytes as GiB with one decimal (two below 1 GiB)."""
    amount = value / (1 << 30)
    return f"{amount:.2f}" if amount < 1 else f"{amount:.1f}"


def estimate(
    piece: Sequence[int], itemsize: int, mode: str, *, shade: bool, resolution: Sequence[int]
) -> Estimate:
    """What one process holds to render a block of ``piece`` points (``x, y, z``) of
    ``itemsize``-byte values with ParaView's ``mode`` at ``resolution`` pixels."""
    voxels = int(piece[0]) * int(piece[1]) * int(piece[2])
    volume = voxels * itemsize
    if mode == "Ray Cast Only":
        mapper = int(volume * RAY_CAST_EXTRA) + (voxels * SHADE_BYTES_PER_VOXEL if shade else 0)
    elif mode in ("GPU Based", "Smart"):
        mapper = volume
    else:  # OSPRay: its own copy of the volume
        mapper = volume
    frame = int(resolution[0]) * int(resolution[1]) * FRAME_BYTES_PER_PIXEL
    return Estimate(base=BASE_BYTES, frame=frame, volume=volume, mapper=mapper, loading=volume)


def available_bytes(meminfo: str | None = None) -> int | None:
    """``MemAvailable`` of ``/proc/meminfo`` (or of ``meminfo``'s text), in bytes; None where
    it cannot be known."""
    if meminfo is None:
        try:
            with open("/proc/meminfo", encoding="ascii") as stream:
                meminfo = stream.read()
        except OSError:
            return None
    for line in meminfo.splitlines():
        name, _, value = line.partition(":")
        if name == "MemAvailable":
            words = value.split()
            if words and words[0].isdigit():
                return int(words[0]) * 1024
    return None
