"""The resolution pyramid: 2x block means, built one slice at a time.

Level ``l`` is the 2x block mean of level ``l - 1`` in-plane (rows and columns), and along the
slice axis too where that keeps the voxels nearer to cubes. That needs the voxel size; without
it, levels halve in-plane only. Unlike a strided hyperslab, a block mean is anti-aliased.

Odd sizes: the last block of an axis averages the voxels it has (the edge voxel counts twice),
so a halved axis of ``n`` voxels becomes ``ceil(n / 2)``, as a hyperslab of stride 2 would.
Integers are rounded to the nearest value (halves up); floats are averaged in float64.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from typing import Any

import numpy as np

Factor = tuple[int, int, int]
Emitted = tuple[int, int, np.ndarray]
"""``(level, slice index in that level, slice)``."""

_WIDE = {
    "uint8": "uint16",
    "int8": "int16",
    "uint16": "uint32",
    "int16": "int32",
    "uint32": "uint64",
    "int32": "int64",
    "float32": "float64",
    "float64": "float64",
}
SUPPORTED = tuple(_WIDE)
"""Element types a pyramid (and so a conversion) supports: those of the scene's dtype."""


def max_levels(shape: Sequence[int]) -> int:
    """How many times a slice of ``shape[1:]`` can be halved before an axis reaches 1."""
    return max(0, int(min(shape[1], shape[2])).bit_length() - 1)


def plan_factors(
    shape: Sequence[int], levels: int, voxel_size: Sequence[float] | None
) -> list[Factor]:
    """Factors of levels 1 .. ``levels`` relative to full resolution, ``(z, y, x)``.

    In-plane factors double at every level. The slice axis doubles too when that brings the
    voxel's aspect (slice spacing / in-plane size) nearer to 1 on a log scale, and when more
    than one slice is left.
    """
    factors: list[Factor] = []
    z_factor, plane = 1, 1
    for _ in range(levels):
        plane *= 2
        if voxel_size is not None and math.ceil(shape[0] / z_factor) > 1:
            in_plane = math.sqrt(voxel_size[1] * voxel_size[2]) * plane
            keep = abs(math.log(voxel_size[0] * z_factor / in_plane))
            halve = abs(math.log(voxel_size[0] * z_factor * 2 / in_plane))
            if halve < keep:
                z_factor *= 2
        factors.append((z_factor, plane, plane))
    return factors


def level_shape(shape: Sequence[int], factor: Sequence[int]) -> tuple[int, int, int]:
    """Shape of a level: ``ceil(n / f)`` per axis."""
    return (
        -(-shape[0] // factor[0]),
        -(-shape[1] // factor[1]),
        -(-shape[2] // factor[2]),
    )


def sum4(array: np.ndarray, wide: np.dtype[Any]) -> np.ndarray:
    """Sums of 2x2 blocks in ``wide`` precision; an odd last row/column counts twice."""
    rows, cols = array.shape
    summed = np.add(array[0 : rows - rows % 2 : 2], array[1::2], dtype=wide)
    if rows % 2:
        summed = np.concatenate([summed, array[-1:].astype(wide) * 2])
    out: np.ndarray = np.add(summed[:, 0 : cols - cols % 2 : 2], summed[:, 1::2])
    if cols % 2:
        out = np.concatenate([out, summed[:, -1:] * 2], axis=1)
    return out


def mean_of(total: np.ndarray, count: int, dtype: np.dtype[Any]) -> np.ndarray:
    """``total / count`` as ``dtype``; integers rounded to nearest, halves up."""
    if dtype.kind == "f":
        return (total * (1.0 / count)).astype(dtype)
    total += count // 2
    total >>= count.bit_length() - 1
    return total.astype(dtype)


class Builder:
    """Feed full-resolution slices in order; get back the finished slices of every level.

    ``start`` is the first full-resolution slice fed (when resuming); it must be a multiple
    of every level's slice factor, so that no block straddles it.
    """

    def __init__(self, dtype: np.dtype[Any], factors: Sequence[Factor], start: int = 0) -> None:
        self.dtype = np.dtype(dtype)
        self.wide = np.dtype(_WIDE[self.dtype.name])
        previous = 1
        self.halves_z: list[bool] = []
        for factor in factors:
            self.halves_z.append(factor[0] != previous)
            previous = factor[0]
        self.pending: list[np.ndarray | None] = [None] * len(factors)
        if any(start % factor[0] for factor in factors):
            raise ValueError(f"cannot start a pyramid at slice {start}")
        self.counts = [start // factor[0] for factor in factors]

    def push(self, array: np.ndarray) -> list[Emitted]:
        """Add the next full-resolution slice."""
        return self._feed(0, array)

    def finish(self) -> list[Emitted]:
        """Complete the last block of levels that still wait for a second slice."""
        out: list[Emitted] = []
        for index in range(len(self.pending)):
            waiting = self.pending[index]
            if waiting is not None:
                self.pending[index] = None
                out.extend(self._emit(index, mean_of(waiting, 4, self.dtype)))
        return out

    def _feed(self, index: int, array: np.ndarray) -> list[Emitted]:
        """Feed a slice of level ``index`` into level ``index + 1`` and beyond."""
        if index >= len(self.halves_z):
            return []
        total = sum4(array, self.wide)
        if not self.halves_z[index]:
            return self._emit(index, mean_of(total, 4, self.dtype))
        waiting = self.pending[index]
        if waiting is None:
            self.pending[index] = total
            return []
        self.pending[index] = None
        total += waiting
        return self._emit(index, mean_of(total, 8, self.dtype))

    def _emit(self, index: int, result: np.ndarray) -> list[Emitted]:
        out: list[Emitted] = [(index + 1, self.counts[index], result)]
        self.counts[index] += 1
        out.extend(self._feed(index + 1, result))
        return out
