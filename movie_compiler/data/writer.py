"""The HDF5 file a conversion writes: datasets created up front, slices written as they come.

Uncompressed datasets are allocated in full when they are created (``H5D_ALLOC_TIME_EARLY``,
never filled), so writing a slice afterwards changes no HDF5 metadata: a conversion killed at
any moment leaves a file whose structure is intact and whose slices up to the last checkpoint
are complete. That is what makes resuming safe. Their chunks are whole-row strips allocated in
order, so a slice is one contiguous run of bytes at an address HDF5 reports
(``H5Dget_chunk_info_by_coord``): it is written there with ``pwrite``, in one call that
releases the GIL, exactly as HDF5 would store it (no filters, native byte order).

Compressed (gzip) datasets cannot be allocated ahead, so they are not resumable. Their chunks
are compressed in a thread pool (zlib releases the GIL) and written with ``H5Dwrite_chunk``;
HDF5's deflate filter reads them back (it stores plain zlib streams).
"""

from __future__ import annotations

import itertools
import os
import zlib
from collections.abc import Sequence
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import h5py
import numpy as np

from movie_compiler import __version__
from movie_compiler.data.pyramid import Factor
from movie_compiler.data.store import LIBVER


@dataclass(frozen=True)
class Layout:
    """The datasets of one conversion: level 0 (full resolution) first."""

    paths: tuple[str, ...]
    shapes: tuple[tuple[int, int, int], ...]
    factors: tuple[Factor, ...]
    chunks: tuple[tuple[int, int, int], ...]
    dtype: np.dtype[Any]
    compression: str
    """``none`` or ``gzip``."""
    gzip_level: int
    voxel_size: tuple[float, float, float] | None
    unit: str | None = None
    """Unit of ``voxel_size`` (``mm``, ``um``, ...), stored as the ``unit`` attribute."""
    orientation: str | None = None
    """Anatomical directions of x, y, z (``dataset.orientation``), stored as an attribute."""

    @property
    def resumable(self) -> bool:
        return self.compression == "none"

    @property
    def nbytes(self) -> int:
        """Size of all levels, uncompressed."""
        size = self.dtype.itemsize
        return sum(int(np.prod(shape)) * size for shape in self.shapes)


class Writer:
    """An open output file (created, or reopened to resume)."""

    def __init__(self, path: Path, layout: Layout, *, create: bool) -> None:
        self.layout = layout
        self.file = h5py.File(path, "w" if create else "r+", libver=LIBVER)
        try:
            if create:
                self._create()
            self.datasets = [self.file[name] for name in layout.paths]
        except BaseException:
            self.file.close()
            raise
        self.pool = (
            ThreadPoolExecutor(max_workers=os.cpu_count() or 1, thread_name_prefix="gzip")
            if layout.compression == "gzip"
            else None
        )
        self.fd = os.open(path, os.O_WRONLY) if self.pool is None else -1

    def _create(self) -> None:
        layout = self.layout
        for level, (name, shape, factor, chunks) in enumerate(
            zip(layout.paths, layout.shapes, layout.factors, layout.chunks, strict=True)
        ):
            if layout.compression == "gzip":
                dataset = self.file.create_dataset(
                    name,
                    shape=shape,
                    dtype=layout.dtype,
                    chunks=chunks,
                    compression="gzip",
                    compression_opts=layout.gzip_level,
                    track_times=False,
                )
            else:
                dcpl = h5py.h5p.create(h5py.h5p.DATASET_CREATE)
                dcpl.set_alloc_time(h5py.h5d.ALLOC_TIME_EARLY)
                dcpl.set_fill_time(h5py.h5d.FILL_TIME_NEVER)
                dataset = self.file.create_dataset(
                    name,
                    shape=shape,
                    dtype=layout.dtype,
                    chunks=chunks,
                    dcpl=dcpl,
                    track_times=False,
                )
            # Every attribute exists from the start, so finishing only rewrites values.
            dataset.attrs.create("level", level, dtype="int32")
            dataset.attrs.create("factor", np.array(factor, dtype="int32"))
            placeholder = np.nan if layout.dtype.kind == "f" else 0
            dataset.attrs.create("min", placeholder, dtype=layout.dtype)
            dataset.attrs.create("max", placeholder, dtype=layout.dtype)
            if layout.voxel_size is not None:
                voxel = np.array(layout.voxel_size, dtype="float64") * np.array(factor)
                dataset.attrs.create("voxel_size", voxel)
                if layout.unit is not None:
                    dataset.attrs.create("unit", np.bytes_(layout.unit))
            if level == 0:
                dataset.attrs.create("converter", np.bytes_(f"moviec {__version__}"))
                if layout.orientation is not None:
                    dataset.attrs.create("orientation", np.bytes_(layout.orientation))
        self.file.flush()

    def write(self, level: int, index: int, array: np.ndarray) -> None:
        """Write slice ``index`` of ``level``."""
        dataset = self.datasets[level]
        if self.pool is None:
            self._write_plain(level, index, array)
            return
        chunks = self.layout.chunks[level]
        tiles = _tiles(array.shape, chunks)
        compressed = self.pool.map(
            lambda t: zlib.compress(_tile(array, t, chunks), self.layout.gzip_level), tiles
        )
        for (row, col), data in zip(tiles, compressed, strict=True):
            dataset.id.write_direct_chunk((index, row, col), data)

    def _write_plain(self, level: int, index: int, array: np.ndarray) -> None:
        """Write a slice into its preallocated strips, in one ``pwrite`` where contiguous."""
        dataset_id = self.datasets[level].id
        rows = self.layout.shapes[level][1]
        strip_rows = self.layout.chunks[level][1]
        strip = strip_rows * array.shape[1] * array.itemsize
        offsets = [
            dataset_id.get_chunk_info_by_coord((index, row, 0)).byte_offset
            for row in range(0, rows, strip_rows)
        ]
        if any(offset is None for offset in offsets):  # not allocated: let HDF5 write it
            self.datasets[level].write_direct(array, dest_sel=np.s_[index])
            return
        data = memoryview(np.ascontiguousarray(array).data).cast("B")
        if all(b - a == strip for a, b in itertools.pairwise(offsets)):
            _pwrite(self.fd, data, offsets[0])
            return
        for number, offset in enumerate(offsets):
            _pwrite(self.fd, data[number * strip : (number + 1) * strip], offset)

    def set_range(self, level: int, found: Sequence[float] | None) -> None:
        """Store the value range of a level (left at the placeholder if there is none)."""
        if found is not None:
            dtype = self.layout.dtype
            self.datasets[level].attrs.modify("min", np.asarray(found[0], dtype=dtype))
            self.datasets[level].attrs.modify("max", np.asarray(found[1], dtype=dtype))

    def flush(self) -> None:
        self.file.flush()

    def close(self) -> None:
        """Close the file (again: no effect)."""
        if self.pool is not None:
            self.pool.shutdown()
            self.pool = None
        if self.fd >= 0:
            os.close(self.fd)
            self.fd = -1
        if self.file.id.valid:
            self.file.close()


def _pwrite(fd: int, data: memoryview, offset: int) -> None:
    """Write all of ``data`` at ``offset``, then start writing it to disk in the background.

    The write-behind keeps the disk busy while the next slices are read and computed, and
    keeps the page cache from filling with gigabytes of dirty pages on a large conversion.
    """
    start, size = offset, len(data)
    while data:
        written = os.pwrite(fd, data, offset)
        data, offset = data[written:], offset + written
    if hasattr(os, "posix_fadvise"):
        os.posix_fadvise(fd, start, size, os.POSIX_FADV_DONTNEED)


def _tiles(shape: Sequence[int], chunks: Sequence[int]) -> list[tuple[int, int]]:
    return [(r, c) for r in range(0, shape[0], chunks[1]) for c in range(0, shape[1], chunks[2])]


def _tile(array: np.ndarray, corner: tuple[int, int], chunks: Sequence[int]) -> bytes:
    """One chunk's bytes; edge chunks padded with zeros to the full chunk size."""
    row, col = corner
    part = array[row : row + chunks[1], col : col + chunks[2]]
    if part.shape == (chunks[1], chunks[2]):
        return part.tobytes()
    padded = np.zeros((chunks[1], chunks[2]), dtype=array.dtype)
    padded[: part.shape[0], : part.shape[1]] = part
    return padded.tobytes()
