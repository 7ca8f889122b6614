"""Find, order, check and stream the input slices of ``moviec convert``.

Three kinds of input, one kind per conversion:

- **raw** slices, one file per slice, ``--slice-shape ROWS,COLS`` and ``--dtype`` given (the
  seed's format);
- **TIFF**: one slice per page, single-page files or multi-page stacks (tifffile);
- **NIfTI** volumes (nibabel): stored in their on-disk order, slowest axis first, so the
  volume's axes are ``(k, j, i)`` and ParaView's x, y, z are NIfTI's i, j, k.

Folders expand to the files they hold (all with one suffix). All files are put in natural
order of their paths (``slice_2`` before ``slice_10``). Every file is checked before anything
is written, from the file system or from headers without reading pixels, so a bad stack stops
with one message naming the file, the expected and the actual value.
"""

from __future__ import annotations

import re
from collections import Counter
from collections.abc import Iterator, Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from movie_compiler.data.formats import RawPart, SlicePart, probe_nifti, probe_tiff
from movie_compiler.errors import InputError

KINDS = ("raw", "tiff", "nifti")
KIND_NAMES = {"raw": "raw slices", "tiff": "TIFF", "nifti": "NIfTI"}
_SUFFIX_KINDS = {".tif": "tiff", ".tiff": "tiff", ".nii": "nifti", ".nii.gz": "nifti"}
_DIGITS = re.compile(r"(\d+)")


def natural_key(text: str) -> tuple[Any, ...]:
    """Sort key that orders numbers by value: ``slice_2`` before ``slice_10``."""
    parts = _DIGITS.split(text)
    return (
        tuple(int(part) if index % 2 else part.casefold() for index, part in enumerate(parts)),
        text,
    )


def suffix_of(path: Path) -> str:
    """The file's suffix, lower case; ``.nii.gz`` counts as one."""
    name = path.name.lower()
    return ".nii.gz" if name.endswith(".nii.gz") else path.suffix.lower()


def kind_of(path: Path) -> str:
    """``raw``, ``tiff`` or ``nifti``, from the suffix (anything unknown is raw)."""
    return _SUFFIX_KINDS.get(suffix_of(path), "raw")


@dataclass(frozen=True)
class Stack:
    """The slices of one conversion, in order: parts (files) of one slice shape and type."""

    parts: tuple[SlicePart, ...]
    kind: str
    voxel_size: tuple[float, float, float] | None = None
    """From the files' headers (NIfTI), slowest axis first; None when they do not say."""
    unit: str | None = None
    """Unit of ``voxel_size`` from the files' headers (NIfTI), if they say."""
    orientation: str | None = None
    """Anatomical directions of x, y, z from the files' headers (NIfTI), such as ``"RAS"``;
    None when they do not say or disagree."""

    @property
    def shape(self) -> tuple[int, int, int]:
        rows, cols = self.parts[0].shape
        return (sum(part.count for part in self.parts), rows, cols)

    @property
    def dtype(self) -> np.dtype[Any]:
        return self.parts[0].dtype

    @property
    def slice_bytes(self) -> int:
        return self.shape[1] * self.shape[2] * self.dtype.itemsize

    @property
    def nbytes(self) -> int:
        return self.shape[0] * self.slice_bytes

    def names(self) -> list[str]:
        """The files as the user named them, in slice order."""
        return [part.shown for part in self.parts]

    def fingerprint(self) -> list[dict[str, Any]]:
        """Path, size and modification time of every file (what a resume must match)."""
        out = []
        for part in self.parts:
            info = part.path.stat()
            out.append({"path": str(part.path), "size": info.st_size, "mtime_ns": info.st_mtime_ns})
        return out

    def slices(self, start: int = 0) -> Iterator[np.ndarray]:
        """The slices from ``start`` on, each a C-contiguous 2-D array in native byte order."""
        first = 0
        for part in self.parts:
            if start < first + part.count:
                yield from part.slices(max(0, start - first))
            first += part.count


def open_stack(
    inputs: Sequence[str],
    *,
    kind: str | None = None,
    slice_shape: tuple[int, int] | None = None,
    dtype: str | None = None,
    byte_order: str = "little",
) -> Stack:
    """Expand, order and check ``inputs``; raise :class:`InputError` naming the first bad file.

    ``slice_shape`` and ``dtype`` are required for raw slices; for TIFF and NIfTI they are
    optional expectations that the files must meet.
    """
    files = expand(inputs)
    kinds = [(kind or kind_of(path), path, shown) for path, shown in files]
    first_kind, _, first_shown = kinds[0]
    for other_kind, _, shown in kinds[1:]:
        if other_kind != first_kind:
            raise InputError(
                f"{shown}: is {KIND_NAMES[other_kind]}, but {first_shown} is "
                f"{KIND_NAMES[first_kind]}; convert one kind of file at a time"
            )
    expected = np.dtype(dtype) if dtype is not None else None
    parts: list[SlicePart] = []
    if first_kind == "raw":
        if slice_shape is None or expected is None:
            raise InputError(
                f"{first_shown}: raw slices need --slice-shape ROWS,COLS and --dtype "
                "(such as --slice-shape 28721,31076 --dtype uint8)"
            )
        disk = expected.newbyteorder("<" if byte_order == "little" else ">")
        parts = [RawPart.probe(p, s, slice_shape, disk) for p, s in files]
    else:
        probe = probe_tiff if first_kind == "tiff" else probe_nifti
        parts = [probe(path, shown) for path, shown in files]
    _check_alike(parts, slice_shape, expected)
    sizes = {part.voxel_size for part in parts}
    voxel_size = sizes.pop() if len(sizes) == 1 else None
    units = {part.unit for part in parts}
    unit = units.pop() if len(units) == 1 and voxel_size is not None else None
    codes = {part.orientation for part in parts}
    orientation = codes.pop() if len(codes) == 1 else None
    return Stack(tuple(parts), first_kind, voxel_size, unit, orientation)


def expand(inputs: Sequence[str]) -> list[tuple[Path, str]]:
    """Files named by ``inputs`` (folders expanded), in natural order: ``(path, shown)``."""
    if not inputs:
        raise InputError("no input files given")
    found: list[tuple[Path, str]] = []
    for text in inputs:
        path = Path(text).expanduser()
        if path.is_dir():
            found.extend(_folder(path, text))
        elif path.is_file():
            found.append((path, text))
        elif path.exists():
            raise InputError(f"{text}: not a regular file")
        else:
            raise InputError(f"{text}: no such file or folder")
    seen: dict[Path, str] = {}
    for path, shown in found:
        resolved = path.resolve()
        if resolved in seen:
            raise InputError(f"{shown}: given twice (also as {seen[resolved]})")
        seen[resolved] = shown
    return sorted(found, key=lambda item: natural_key(item[1]))


def _folder(folder: Path, text: str) -> list[tuple[Path, str]]:
    files = [
        child for child in folder.iterdir() if child.is_file() and not child.name.startswith(".")
    ]
    if not files:
        raise InputError(f"{text}: no slice files in this folder")
    suffixes = Counter(suffix_of(child) or "(none)" for child in files)
    if len(suffixes) > 1:
        listed = ", ".join(f"{count} {suffix}" for suffix, count in sorted(suffixes.items()))
        common = suffixes.most_common(1)[0][0]
        raise InputError(
            f"{text}: holds files with different suffixes ({listed}); name the slice files "
            f"instead, such as {Path(text) / ('*' + common)}"
        )
    return [(child, str(Path(text) / child.name)) for child in files]


def _check_alike(
    parts: Sequence[SlicePart], slice_shape: tuple[int, int] | None, dtype: np.dtype[Any] | None
) -> None:
    """All parts have one slice shape and type (the given ones, if any)."""
    first = parts[0]
    shape_source = "--slice-shape" if slice_shape is not None else f"as in {first.shown}"
    dtype_source = "--dtype" if dtype is not None else f"as in {first.shown}"
    want_shape = slice_shape if slice_shape is not None else first.shape
    want_dtype = dtype.newbyteorder("=") if dtype is not None else first.dtype
    for part in parts:
        if part.shape != want_shape:
            raise InputError(
                f"{part.shown}: expected {_dims(want_shape)} slices ({shape_source}), "
                f"got {_dims(part.shape)}"
            )
        if part.dtype != want_dtype:
            raise InputError(
                f"{part.shown}: expected {want_dtype.name} ({dtype_source}), got {part.dtype.name}"
            )


def _dims(shape: Sequence[int]) -> str:
    return " x ".join(str(n) for n in shape)
