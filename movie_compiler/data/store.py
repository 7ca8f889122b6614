"""The HDF5 layout moviec writes, and how a file is read back.

Layout of ``moviec convert -o OUT.h5 --array /PLI --levels 2``::

    /PLI               full resolution, attributes level=0, factor=[1,1,1], min, max
    /PLI_levels/1      2x block mean, attributes level=1, factor=[1,2,2] (relative to /PLI)
    /PLI_levels/2      level=2, factor=[1,4,4] (or [2,4,4] where the slice axis is halved)

Every dataset is chunked by slice (see :func:`chunk_shape`), so the converter writes each slice
as it arrives. Files are written with ``libver=("earliest", "v110")``, so the HDF5 1.10 that
ParaView 5.11 links reads them.
"""

from __future__ import annotations

import math
from collections.abc import Sequence
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from movie_compiler.data.pyramid import Factor

LIBVER = ("earliest", "v110")
LEVELS_SUFFIX = "_levels"
CHUNK_BYTES = 1 << 20
READ_BLOCK_BYTES = 64 << 20


class DataProblem(Exception):
    """A problem with a data file; ``key`` is the ``dataset.*`` scene key it concerns."""

    def __init__(self, key: str, message: str) -> None:
        super().__init__(message)
        self.key = key
        self.message = message


def array_path(name: str) -> str:
    """``PLI`` or ``/PLI`` -> ``/PLI``."""
    parts = [part for part in name.split("/") if part]
    if not parts or any(part in (".", "..") for part in parts):
        raise ValueError(f"{name!r} is not an HDF5 dataset path such as /PLI")
    return "/" + "/".join(parts)


def level_path(array: str, level: int) -> str:
    """Where level ``level`` (1, 2, ...) of ``array`` lives."""
    return f"{array}{LEVELS_SUFFIX}/{level}"


def chunk_shape(
    shape: Sequence[int], dtype: np.dtype[Any], compression: str = "none"
) -> tuple[int, int, int]:
    """Chunks of one slice: whole-row strips of about 1 MiB, or tiles when compressed.

    ParaView's XDMF reader reads a whole dataset, a hyperslab, or (in parallel) one block
    per process, each in one ``H5Dread``. From uncompressed chunks HDF5 reads only the
    selected bytes, so the chunk shape costs nothing there; whole-row strips make each slice
    one contiguous run in the file (written in one call, read straight into place). A
    compressed chunk must be inflated whole, so compressed data uses square tiles (1024 x
    1024 for 8- and 16-bit data, 512 x 512 above) to bound what a partial read inflates.
    """
    rows, cols = int(shape[1]), int(shape[2])
    if compression == "none":
        strip = max(1, min(rows, CHUNK_BYTES // max(1, cols * dtype.itemsize)))
        return (1, strip, cols)
    side = 1024 if dtype.itemsize <= 2 else 512
    return (1, min(side, rows), min(side, cols))


@dataclass(frozen=True)
class Level:
    """One level of a file's pyramid (level 0 is the full-resolution array)."""

    level: int
    path: str
    shape: tuple[int, int, int]
    factor: Factor


def levels_of(file: h5py.File, array: str) -> dict[int, Level]:
    """The full-resolution array (level 0) and the pyramid levels stored beside it."""
    base = file[array]
    out = {0: Level(0, array, _shape(base), (1, 1, 1))}
    group = file.get(array + LEVELS_SUFFIX)
    if isinstance(group, h5py.Group):
        for name, item in group.items():
            if not (name.isdigit() and isinstance(item, h5py.Dataset) and item.ndim == 3):
                continue
            factor = item.attrs.get("factor")
            if factor is None or len(factor) != 3:
                continue
            level = int(name)
            out[level] = Level(level, item.name, _shape(item), _factor(factor))
    return dict(sorted(out.items()))


def stored_range(dataset: h5py.Dataset) -> tuple[float, float] | None:
    """The ``min`` and ``max`` attributes moviec stores, if present."""
    low, high = dataset.attrs.get("min"), dataset.attrs.get("max")
    if low is None or high is None:
        return None
    return float(np.asarray(low).item()), float(np.asarray(high).item())


def scan_range(dataset: h5py.Dataset, stride: Factor = (1, 1, 1)) -> tuple[float, float] | None:
    """Min and max of a 3-D dataset, or of its hyperslab of ``stride`` (starting at 0),
    read in blocks of about 64 MB (NaN ignored)."""
    depth, rows, cols = dataset.shape
    sz, sy, sx = stride
    row_bytes = max(1, cols * dataset.dtype.itemsize)
    block_rows = max(1, min(rows, READ_BLOCK_BYTES // row_bytes))
    block_rows = max(sy, block_rows - block_rows % sy)
    block_slices = max(1, READ_BLOCK_BYTES // (row_bytes * rows)) if block_rows >= rows else 1
    block_slices = max(sz, block_slices - block_slices % sz)
    low, high = math.inf, -math.inf
    for z in range(0, depth, block_slices):
        for r in range(0, rows, block_rows):
            block = dataset[z : z + block_slices : sz, r : r + block_rows : sy, ::sx]
            found = finite_range(block)
            if found is not None:
                low, high = min(low, found[0]), max(high, found[1])
    return (low, high) if low <= high else None


def finite_range(array: np.ndarray) -> tuple[float, float] | None:
    """Min and max of an array, NaN ignored; None if it holds no number."""
    if array.size == 0:
        return None
    if array.dtype.kind == "f":
        finite = array[np.isfinite(array)] if not np.isfinite(array).all() else array
        if finite.size == 0:
            return None
        return float(finite.min()), float(finite.max())
    return float(array.min()), float(array.max())


@dataclass(frozen=True)
class Selection:
    """What a description reads from an HDF5 file: all of a dataset, or a hyperslab."""

    file: Path
    array: str
    """The full-resolution dataset."""
    shape: tuple[int, int, int]
    """Shape of the full-resolution dataset."""
    dtype: np.dtype[Any]
    read: Level
    """The dataset read: the array itself or a pyramid level."""
    stride: Factor | None = None
    """Hyperslab stride over ``read`` (None: all of it)."""
    voxel_size: tuple[float, float, float] | None = None
    """The voxel size stored in the file (``voxel_size`` attribute), if any."""
    unit: str | None = None
    """The unit stored beside it (``unit`` attribute), if any."""

    @property
    def read_shape(self) -> tuple[int, int, int]:
        """Shape of what is read."""
        if self.stride is None:
            return self.read.shape
        shape, stride = self.read.shape, self.stride
        return (-(-shape[0] // stride[0]), -(-shape[1] // stride[1]), -(-shape[2] // stride[2]))

    @property
    def kind(self) -> str:
        """``full``, ``hyperslab`` or ``level``."""
        return "level" if self.read.level else "hyperslab" if self.stride else "full"

    @property
    def factor(self) -> Factor:
        """Subsampling relative to full resolution."""
        return self.stride if self.stride is not None else self.read.factor


def select(
    path: Path,
    array: str | None,
    *,
    subsample: Factor = (1, 1, 1),
    level: int | None = None,
    use_pyramid: bool = True,
) -> Selection:
    """Open ``path`` and choose what to read; raise :class:`DataProblem` if it cannot."""
    with open_hdf5(path) as file:
        name = find_volume(file, path) if array is None else array_path(array)
        item = file.get(name)
        if item is None:
            listed = ", ".join(volumes(file)) or "none"
            raise DataProblem("array", f"{path}: no dataset {name} (it has: {listed})")
        if not isinstance(item, h5py.Dataset):
            raise DataProblem("array", f"{path}: {name} is a group, not a dataset")
        if item.ndim != 3:
            dims = " x ".join(map(str, item.shape)) or "a scalar"
            raise DataProblem(
                "array", f"{path}: {name} has {item.ndim} dimensions ({dims}); expected 3"
            )
        if item.dtype.kind not in "uif":
            raise DataProblem("array", f"{path}: {name} holds {item.dtype}, not numbers")
        levels = levels_of(file, name)
        stored = item.attrs.get("voxel_size")
        voxel_size = _voxel_size(stored)
        unit = _text(item.attrs.get("unit")) if voxel_size is not None else None
        base = Selection(path, name, _shape(item), item.dtype, levels[0], None, voxel_size, unit)
        if level is not None:
            if level not in levels:
                raise DataProblem("level", f"{path}: no level {level} of {name}{_has(levels)}")
            return replace(base, read=levels[level])
        if tuple(subsample) == (1, 1, 1):
            return base
        shape = base.shape
        if any(k > n for k, n in zip(subsample, shape, strict=True)):
            raise DataProblem(
                "subsample",
                f"{path}: subsample {list(subsample)} does not fit {name} of "
                f"{' x '.join(map(str, shape))} (each factor at most the axis length)",
            )
        if use_pyramid:
            for found in levels.values():
                if found.level and found.factor == tuple(subsample):
                    return replace(base, read=found)
        return replace(base, stride=tuple(subsample))  # type: ignore[arg-type]


def open_hdf5(path: Path) -> h5py.File:
    """Open an HDF5 file for reading, or raise a ``dataset.path`` problem."""
    if not path.exists():
        raise DataProblem("path", f"{path}: no such file")
    if path.is_dir():
        raise DataProblem("path", f"{path}: is a folder, not an HDF5 file")
    if not path.is_file():  # a FIFO or a device would block or never end
        raise DataProblem("path", f"{path}: not a regular file")
    try:
        return h5py.File(path, "r")
    except OSError:
        if not h5py.is_hdf5(path):
            raise DataProblem("path", f"{path}: not an HDF5 file") from None
        raise DataProblem("path", f"{path}: cannot read this HDF5 file") from None


def volumes(file: h5py.File) -> list[str]:
    """The 3-D datasets in a file, pyramid levels left out."""
    found: list[str] = []

    def visit(name: str, item: Any) -> None:
        head, _, tail = name.rpartition("/")
        is_level = head.endswith(LEVELS_SUFFIX) and tail.isdigit()
        if isinstance(item, h5py.Dataset) and item.ndim == 3 and not is_level:
            found.append("/" + name)

    file.visititems(visit)
    return found


def find_volume(file: h5py.File, path: Path) -> str:
    """The one volume of a file; a problem if there are none or several."""
    found = volumes(file)
    if len(found) == 1:
        return found[0]
    if not found:
        raise DataProblem("array", f"{path}: holds no 3-D dataset")
    raise DataProblem("array", f"{path}: holds several volumes ({', '.join(found)}); name one")


def _has(levels: dict[int, Level]) -> str:
    if len(levels) == 1:
        return " (it has no pyramid: moviec convert --levels N writes one)"
    return f" (it has levels 0 to {max(levels)})"


def _shape(dataset: h5py.Dataset) -> tuple[int, int, int]:
    return (int(dataset.shape[0]), int(dataset.shape[1]), int(dataset.shape[2]))


def _factor(value: Any) -> Factor:
    return (int(value[0]), int(value[1]), int(value[2]))


def _voxel_size(value: Any) -> tuple[float, float, float] | None:
    if value is None or len(value) != 3:
        return None
    sizes = tuple(float(v) for v in value)
    if not all(math.isfinite(v) and v > 0 for v in sizes):
        return None
    return (sizes[0], sizes[1], sizes[2])


def _text(value: Any) -> str | None:
    if isinstance(value, bytes | np.bytes_):
        return bytes(value).decode("utf-8", "replace")
    return value if isinstance(value, str) else None
