"""The bridge from a scene to its data.

- :func:`write_description`: the XDMF file the render script reads (``dataset.xdmf``);
- the data check (``moviec check --data``, and the first stage of a build) is
  :mod:`movie_compiler.data.checks`;
- :func:`identity`: what a render reads, cheaply, for cache keys;
- :func:`input_files`: every file a movie is made from.

An HDF5 ``dataset.path`` gets moviec's normalised geometry from the file's shape and the
scene's ``voxel_size``; ``subsample`` is served from a pyramid level with the same factors
when the file has one (and ``use_pyramid`` is true), else read as a hyperslab; ``level``
picks a level. An XDMF ``dataset.path`` is copied with its file references made absolute.
Every problem is located at the scene key it concerns.
"""

from __future__ import annotations

import logging
import math
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from movie_compiler import fsutil
from movie_compiler.camera import framing
from movie_compiler.config.load import LoadedScene
from movie_compiler.config.rules import XDMF_SUFFIXES
from movie_compiler.data import xdmf
from movie_compiler.data.store import DataProblem, Selection, select
from movie_compiler.errors import SceneError
from movie_compiler.generate import array_name

log = logging.getLogger(__name__)

T = TypeVar("T")


def write_description(loaded: LoadedScene, out_path: Path) -> Path:
    """Write the XDMF file the render script reads; return its path."""
    path = dataset_path(loaded)
    if is_xdmf(loaded):
        text, references = located(loaded, lambda: xdmf.absolutize(path))
        _stat_all(loaded, path, [ref.file for ref in references])
        xdmf_source(loaded, path)  # the scene's attribute is there, or a located problem
    else:
        selection = selection_of(loaded)
        voxel_size = loaded.scene.dataset.voxel_size or selection.voxel_size
        if voxel_size is None:  # the data check says so first (movie_compiler.data.checks)
            message = f"not given, and {selection.array} in {selection.file} records none"
            raise SceneError([loaded.problem(("dataset", "voxel_size"), message)])
        name = array_name(loaded) or selection.array.rsplit("/", 1)[-1]
        href = str(selection.file)
        text = located(loaded, lambda: xdmf.describe(selection, voxel_size, name, href))
    fsutil.write_text(out_path, text)
    return out_path


def extent(description: Path) -> tuple[float, float, float] | None:
    """Half extents of the volume after the render script's normalisation (the longest axis
    spans 1.0), from the dataset description it reads; None where the grid is not one moviec
    can measure (cameras placed by ``fit`` then frame the cube that holds any volume)."""
    measured = xdmf.lengths(xdmf.parse(description))
    if measured is None or min(measured) <= 0.0 or not all(map(math.isfinite, measured)):
        return None
    return framing.normalised_extent(measured)


def identity(loaded: LoadedScene) -> dict[str, Any]:
    """What a render reads, from file metadata only (no content is hashed).

    The files (absolute path, size, mtime_ns), the array, its shape and type, and the source:
    ``full``, a ``hyperslab`` with its factors, a pyramid ``level``, or an ``xdmf`` file's
    own references. If any of it changes, frames must be rendered again.
    """
    path = dataset_path(loaded)
    if is_xdmf(loaded):
        _, references = located(loaded, lambda: xdmf.absolutize(path))
        root = located(loaded, lambda: xdmf.parse(path))
        names = xdmf.attributes(root)
        array = loaded.scene.dataset.array or (names[0] if names else None)
        topology = next((e for e in root.iter() if e.tag.endswith("Topology")), None)
        dims = (topology.get("Dimensions") or "") if topology is not None else ""
        return {
            "files": _stat_all(loaded, path, [ref.file for ref in references]),
            "array": array,
            "shape": [int(n) for n in dims.split() if n.isdigit()],
            "source": {
                "kind": "xdmf",
                "references": sorted({f"{ref.file}:{ref.dataset or ''}" for ref in references}),
            },
        }
    selection = selection_of(loaded)
    source: dict[str, Any] = {
        "kind": selection.kind,
        "dataset": selection.read.path,
        "factors": list(selection.factor),
        "shape": list(selection.read_shape),
    }
    if selection.kind == "level":
        source["level"] = selection.read.level
    return {
        "files": _stat_all(loaded, path, []),
        "array": selection.array,
        "shape": list(selection.shape),
        "dtype": selection.dtype.name,
        "source": source,
    }


def input_files(loaded: LoadedScene) -> list[Path]:
    """Every file the movie is made from: the dataset file and, for XDMF, what it refers to."""
    path = dataset_path(loaded)
    if not is_xdmf(loaded):
        return [path]
    _, references = located(loaded, lambda: xdmf.absolutize(path))
    files = [path]
    for ref in references:
        if ref.file not in files:
            files.append(ref.file)
    return files


# -- helpers -------------------------------------------------------------------------------


def dataset_path(loaded: LoadedScene) -> Path:
    return loaded.resolve(loaded.scene.dataset.path)


def is_xdmf(loaded: LoadedScene) -> bool:
    return loaded.scene.dataset.path.lower().endswith(XDMF_SUFFIXES)


def located(loaded: LoadedScene, action: Callable[[], T]) -> T:
    """Run ``action``; turn a :class:`DataProblem` into a located :class:`SceneError`."""
    try:
        return action()
    except DataProblem as problem:
        raise SceneError([loaded.problem(("dataset", problem.key), problem.message)]) from None
    except ValueError as exc:
        raise SceneError([loaded.problem(("dataset", "array"), str(exc))]) from None


def selection_of(loaded: LoadedScene) -> Selection:
    dataset = loaded.scene.dataset
    return located(
        loaded,
        lambda: select(
            dataset_path(loaded),
            dataset.array,
            subsample=dataset.subsample,  # type: ignore[arg-type]
            level=dataset.level,
            use_pyramid=dataset.use_pyramid,
        ),
    )


def _stat_all(loaded: LoadedScene, path: Path, others: list[Path]) -> list[dict[str, Any]]:
    out: list[dict[str, Any]] = []
    for file in [path, *others]:
        if any(entry["path"] == str(file) for entry in out):
            continue
        try:
            info = file.stat()
        except OSError:
            message = (
                f"{file}: no such file"
                if file == path
                else f"{path}: refers to {file}, which does not exist"
            )
            raise SceneError([loaded.problem(("dataset", "path"), message)]) from None
        out.append({"path": str(file), "size": info.st_size, "mtime_ns": info.st_mtime_ns})
    return out


def xdmf_source(loaded: LoadedScene, path: Path) -> tuple[Path, str] | None:
    """The HDF5 file and dataset behind the scene's attribute of an XDMF file."""
    _, references = located(loaded, lambda: xdmf.absolutize(path))
    names = xdmf.attributes(located(loaded, lambda: xdmf.parse(path)))
    wanted = loaded.scene.dataset.array
    if wanted is not None and wanted not in names:
        listed = ", ".join(repr(n) for n in names) or "none"
        raise SceneError(
            [
                loaded.problem(
                    ("dataset", "array"), f"{path}: no attribute {wanted!r} (it has: {listed})"
                )
            ]
        )
    name = wanted if wanted is not None else (names[0] if names else None)
    for ref in references:
        if ref.attribute == name and ref.dataset is not None:
            return ref.file, ref.dataset
    log.info("%s: attribute %r is not read from HDF5; its values are not checked", path, name)
    return None


def selection(loaded: LoadedScene) -> Selection | None:
    """What the render reads from an HDF5 ``dataset.path`` (None for XDMF input)."""
    return None if is_xdmf(loaded) else selection_of(loaded)


def hdf5_behind(loaded: LoadedScene) -> tuple[Path, str] | None:
    """For XDMF input, the HDF5 file and dataset behind the scene's attribute, if it is read
    from HDF5."""
    return xdmf_source(loaded, dataset_path(loaded)) if is_xdmf(loaded) else None
