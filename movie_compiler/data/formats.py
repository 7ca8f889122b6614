"""One input file each: raw slices, TIFF pages, NIfTI volumes.

A part is probed (checked from its size or header, without reading pixels) and later
streamed one slice at a time, always as a C-contiguous 2-D array in native byte order.
"""

from __future__ import annotations

import math
import os
import zlib
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Any, Protocol

import numpy as np

from movie_compiler.errors import InputError

_UINT8 = np.dtype("uint8")
NIFTI_UNITS = {"meter": "m", "mm": "mm", "micron": "um"}
"""NIfTI's spatial units (nibabel's names) as a scene's ``dataset.unit``."""


@dataclass(frozen=True)
class SlicePart:
    """One input file holding ``count`` slices of ``shape`` (rows, cols)."""

    path: Path
    shown: str
    """The file as the user named it (for messages)."""
    count: int
    shape: tuple[int, int]
    dtype: np.dtype[Any]
    """Type of the slices it yields (native byte order)."""
    voxel_size: tuple[float, float, float] | None = None
    unit: str | None = None
    """Unit of ``voxel_size`` as a scene's ``dataset.unit`` names it, if the file says."""
    orientation: str | None = None
    """Anatomical directions of ParaView's x, y, z axes (NIfTI's i, j, k), such as ``"RAS"``,
    from a NIfTI header's affine; None when the file does not say."""

    @property
    def slice_bytes(self) -> int:
        return self.shape[0] * self.shape[1] * self.dtype.itemsize

    def slices(self, start: int = 0) -> Iterator[np.ndarray]:
        """Slices ``start`` .. ``count - 1`` of this file."""
        raise NotImplementedError

    def _fail_read(self, exc: OSError) -> InputError:
        return InputError(f"{self.shown}: cannot read: {exc.strerror or exc}")


def _native(array: np.ndarray) -> np.ndarray:
    if not array.dtype.isnative:
        array = array.astype(array.dtype.newbyteorder("="))
    return np.ascontiguousarray(array)


class _Readable(Protocol):
    def readinto(self, buffer: memoryview, /) -> int | None: ...


def _read_exact(stream: _Readable, array: np.ndarray, shown: str, expected: int) -> None:
    """Fill ``array`` from ``stream`` or stop with a message naming the file."""
    view = memoryview(array.data).cast("B")
    got = 0
    while got < len(view):
        n = stream.readinto(view[got:])
        if not n:
            raise InputError(
                f"{shown}: expected {expected} bytes, got {got} (the file ended early)"
            )
        got += n


@dataclass(frozen=True)
class RawPart(SlicePart):
    """One raw slice: ``rows * cols`` values of ``disk_dtype``, nothing else."""

    disk_dtype: np.dtype[Any] = _UINT8

    @classmethod
    def probe(
        cls, path: Path, shown: str, shape: tuple[int, int], disk_dtype: np.dtype[Any]
    ) -> RawPart:
        expected = shape[0] * shape[1] * disk_dtype.itemsize
        try:
            size = path.stat().st_size
            with open(path, "rb"):
                pass
        except OSError as exc:
            raise InputError(f"{shown}: cannot read: {exc.strerror or exc}") from None
        if size != expected:
            raise InputError(
                f"{shown}: expected {expected} bytes ({shape[0]} x {shape[1]} "
                f"{disk_dtype.name}), got {size}"
            )
        native = disk_dtype.newbyteorder("=")
        return cls(path, shown, 1, shape, native, disk_dtype=disk_dtype)

    def slices(self, start: int = 0) -> Iterator[np.ndarray]:
        if start >= 1:
            return
        array = np.empty(self.shape, dtype=self.disk_dtype)
        try:
            with open(self.path, "rb", buffering=0) as stream:
                _read_exact(stream, array, self.shown, self.slice_bytes)
                if hasattr(os, "posix_fadvise"):  # read once: leave the page cache to others
                    os.posix_fadvise(stream.fileno(), 0, 0, os.POSIX_FADV_DONTNEED)
        except OSError as exc:
            raise self._fail_read(exc) from None
        yield _native(array)


@dataclass(frozen=True)
class TiffPart(SlicePart):
    """A TIFF file: one slice per page."""

    def slices(self, start: int = 0) -> Iterator[np.ndarray]:
        import tifffile

        try:
            with tifffile.TiffFile(self.path) as tif:
                for index in range(start, self.count):
                    page = tif.pages[index]
                    assert isinstance(page, tifffile.TiffPage)
                    yield _native(page.asarray())
        except OSError as exc:
            raise self._fail_read(exc) from None
        except (tifffile.TiffFileError, ValueError, RuntimeError) as exc:
            raise InputError(f"{self.shown}: cannot read as TIFF: {exc}") from None


def probe_tiff(path: Path, shown: str) -> TiffPart:
    """Check that every page of a TIFF file is a 2-D slice of one shape and type."""
    import tifffile

    try:
        with tifffile.TiffFile(path) as tif:
            pages = [(page.shape, page.dtype) for page in tif.pages]
    except OSError as exc:
        raise InputError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    except (tifffile.TiffFileError, ValueError, RuntimeError) as exc:
        raise InputError(f"{shown}: cannot read as TIFF: {exc}") from None
    if not pages:
        raise InputError(f"{shown}: holds no images")
    shape, dtype = pages[0]
    if len(shape) != 2:
        raise InputError(
            f"{shown}: expected grey 2-D slices, got pages of {' x '.join(map(str, shape))}"
        )
    for index, (other_shape, other_dtype) in enumerate(pages[1:], start=1):
        if other_shape != shape:
            raise InputError(
                f"{shown}: page {index + 1}: expected {shape[0]} x {shape[1]} (as page 1), "
                f"got {' x '.join(map(str, other_shape))}"
            )
        if other_dtype != dtype:
            raise InputError(
                f"{shown}: page {index + 1}: expected {np.dtype(dtype).name} (as page 1), "
                f"got {np.dtype(other_dtype).name}"
            )
    native = np.dtype(dtype).newbyteorder("=")
    return TiffPart(path, shown, len(pages), (shape[0], shape[1]), native)


@dataclass(frozen=True)
class NiftiPart(SlicePart):
    """A NIfTI volume ``(i, j, k)`` read as ``k`` slices of ``(j, i)`` (its on-disk order)."""

    data_file: str = ""
    offset: int = 0
    disk_dtype: np.dtype[Any] = _UINT8
    slope: float = 1.0
    inter: float = 0.0

    def slices(self, start: int = 0) -> Iterator[np.ndarray]:
        from nibabel.openers import ImageOpener

        plain = self.shape[0] * self.shape[1] * self.disk_dtype.itemsize
        scaled = (self.slope, self.inter) != (1.0, 0.0)
        try:
            with ImageOpener(self.data_file, "rb") as stream:
                stream.seek(self.offset + start * plain)
                for _ in range(start, self.count):
                    array = np.empty(self.shape, dtype=self.disk_dtype)
                    _read_exact(stream, array, self.shown, plain)
                    array = _native(array)
                    if scaled:
                        array = (array * self.slope + self.inter).astype(self.dtype)
                    yield array
                while stream.read(1 << 20):  # to the end: gzip checks its CRC only there
                    pass
        except OSError as exc:
            raise self._fail_read(exc) from None
        except EOFError:
            raise InputError(f"{self.shown}: the compressed data ends early") from None
        except zlib.error as exc:
            raise InputError(f"{self.shown}: the compressed data is damaged ({exc})") from None


def probe_nifti(path: Path, shown: str) -> NiftiPart:
    """Check a NIfTI header: a 3-D volume stored in Fortran order, with known size."""
    import nibabel
    from nibabel.filebasedimages import ImageFileError

    try:
        image: Any = nibabel.load(path)
    except OSError as exc:
        raise InputError(f"{shown}: cannot read: {exc.strerror or exc}") from None
    except (ImageFileError, ValueError, EOFError, zlib.error) as exc:
        raise InputError(f"{shown}: cannot read as NIfTI: {exc}") from None
    shape = tuple(int(n) for n in image.shape)
    if len(shape) == 4 and shape[3] == 1:
        shape = shape[:3]
    if len(shape) != 3:
        raise InputError(f"{shown}: expected a 3-D volume, got {' x '.join(map(str, shape))}")
    proxy = image.dataobj
    if getattr(proxy, "order", "F") != "F":
        raise InputError(f"{shown}: expected a volume stored in Fortran order (NIfTI's)")
    disk_dtype = np.dtype(proxy.dtype)
    slope, inter = float(proxy.slope), float(proxy.inter)
    if not (math.isfinite(slope) and math.isfinite(inter)) or slope == 0.0:
        slope, inter = 1.0, 0.0
    dtype = disk_dtype.newbyteorder("=")
    if (slope, inter) != (1.0, 0.0):
        dtype = np.dtype("float32")
    data_file = str(proxy.file_like)
    needed = proxy.offset + math.prod(shape) * disk_dtype.itemsize
    if not data_file.endswith((".gz", ".bz2", ".zst")):
        size = Path(data_file).stat().st_size
        if size < needed:
            raise InputError(f"{shown}: expected at least {needed} bytes, got {size}")
    zooms = [float(z) for z in image.header.get_zooms()[:3]]
    voxel_size = (zooms[2], zooms[1], zooms[0]) if all(z > 0 for z in zooms) else None
    unit = NIFTI_UNITS.get(str(image.header.get_xyzt_units()[0])) if voxel_size else None
    codes: tuple[str | None, ...] = (
        tuple(nibabel.aff2axcodes(image.affine))  # type: ignore[no-untyped-call]
        if image.affine is not None
        else (None,)
    )
    orientation = "".join(c for c in codes if c) if None not in codes else None
    return NiftiPart(
        path,
        shown,
        count=shape[2],
        shape=(shape[1], shape[0]),
        dtype=dtype,
        voxel_size=voxel_size,
        unit=unit,
        orientation=orientation,
        data_file=data_file,
        offset=int(proxy.offset),
        disk_dtype=disk_dtype,
        slope=slope,
        inter=inter,
    )
