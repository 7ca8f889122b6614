"""Data that volume rendering cannot show, found before ParaView is started.

Pure functions of what the HDF5 file says (its shape, the voxel size, dataset names); the
data check (:mod:`movie_compiler.data.checks`) locates their messages at the scene's keys,
``moviec xdmf`` prints them as they are.
"""

from __future__ import annotations

import math
from collections.abc import Sequence

from movie_compiler.data import xdmf
from movie_compiler.data.store import Selection


def shape_problem(selection: Selection, how: str) -> tuple[str, str] | None:
    """Why ``selection`` cannot be volume-rendered (fewer than 2 voxels along an axis, in the
    file or in what is read ``how``), and which ``dataset`` key it concerns; None if it can."""
    source = f"{selection.array} in {selection.file}"
    full = " x ".join(map(str, selection.shape))
    if min(selection.shape) < 2:
        what = "no voxels" if min(selection.shape) == 0 else "a single voxel"
        return "array", (
            f"{source} is {full}: an axis with {what}; volume rendering needs at least 2 "
            "voxels along every axis"
        )
    read = selection.read_shape
    if min(read) < 2:
        return "level" if selection.read.level else "subsample", (
            f"{how} reads {' x '.join(map(str, read))} of {source} ({full}); volume "
            "rendering needs at least 2 voxels along every axis"
        )
    return None


def spacing_problem(selection: Selection, voxel_size: Sequence[float]) -> str | None:
    """Why the normalised geometry (longest axis 1.0) of ``selection`` with ``voxel_size``
    has no finite, positive spacing; None if it has."""
    try:
        grid = xdmf.geometry(selection.shape, voxel_size, selection.read_shape)
        values = [*grid.spacing, *grid.origin]
    except (OverflowError, ZeroDivisionError, ValueError):
        values = [math.nan]
    if all(math.isfinite(v) for v in values) and all(v > 0 for v in values[:3]):
        return None
    return (
        f"{fmt(voxel_size)} over {' x '.join(map(str, selection.shape))} voxels gives no "
        "usable spacing once the longest axis spans 1 (the sizes differ too much, or overflow)"
    )


def name_problem(name: str) -> str | None:
    """Why ParaView 5.11's XDMF reader cannot follow the HDF5 dataset ``name``: it splits
    ``FILE:DATASET`` at a colon, drops trailing blanks, and crashes on names that are not
    ASCII (each tried in pvbatch); None if it can."""
    why = None
    if ":" in name:
        why = "holds ':', where ParaView's XDMF reader splits FILE:DATASET"
    elif not name.isascii():
        why = "is not ASCII, which ParaView's XDMF reader cannot open (it crashes)"
    elif name != name.rstrip():
        why = "ends in a blank, which ParaView's XDMF reader drops"
    if why is None:
        return None
    rename = "rename it in the file (h5py: file.move(old, new))"
    return f"the HDF5 dataset name {name!r} {why}; {rename}"


def fmt(values: Sequence[float]) -> str:
    """``[1, 0.5, 2]``."""
    return "[" + ", ".join(f"{v:g}" for v in values) + "]"
