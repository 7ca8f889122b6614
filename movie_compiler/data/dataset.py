"""The bridge from a scene to its data.

- :func:`write_description`: the XDMF file the render script reads (``dataset.xdmf``);
- :func:`check_data`: ``moviec check --data``;
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
from collections.abc import Callable
from pathlib import Path
from typing import Any, TypeVar

from movie_compiler import fsutil
from movie_compiler.config.load import LoadedScene
from movie_compiler.config.rules import XDMF_SUFFIXES
from movie_compiler.data import xdmf
from movie_compiler.data.store import (
    DataProblem,
    Selection,
    open_hdf5,
    scan_range,
    select,
    stored_range,
)
from movie_compiler.errors import Problem, SceneError
from movie_compiler.generate import array_name

log = logging.getLogger(__name__)

T = TypeVar("T")


def write_description(loaded: LoadedScene, out_path: Path) -> Path:
    """Write the XDMF file the render script reads; return its path."""
    path = _path(loaded)
    if _is_xdmf(loaded):
        text, references = _located(loaded, lambda: xdmf.absolutize(path))
        _stat_all(loaded, path, [ref.file for ref in references])
        _xdmf_source(loaded, path)  # the scene's attribute is there, or a located problem
    else:
        selection = _selection(loaded)
        voxel_size = loaded.scene.dataset.voxel_size
        assert voxel_size is not None  # the scene rules require it for HDF5 input
        name = array_name(loaded) or selection.array.rsplit("/", 1)[-1]
        href = str(selection.file)
        text = _located(loaded, lambda: xdmf.describe(selection, voxel_size, name, href))
    fsutil.write_text(out_path, text)
    return out_path


def check_data(loaded: LoadedScene) -> None:
    """Check the dataset against the scene; raise one :class:`SceneError` with every problem.

    The array exists and is 3-D, its type is ``dataset.dtype``, the level exists and the
    subsample fits. Its value range (stored by ``moviec convert``, else read in blocks) is
    compared with the colour and opacity points: a warning when the points do not cover the
    data, an error when they do not overlap it at all.
    """
    path = _path(loaded)
    dataset = loaded.scene.dataset
    if _is_xdmf(loaded):
        found = _xdmf_source(loaded, path)
        if found is None:
            return
        file, array = found
        selection = _located(loaded, lambda: select(file, array))
    else:
        selection = _selection(loaded)
    problems: list[Problem] = []
    if selection.dtype.name != dataset.dtype:
        problems.append(
            loaded.problem(
                ("dataset", "dtype"),
                f"is {dataset.dtype!r}, but {selection.array} in {selection.file} holds "
                f"{selection.dtype.name}",
            )
        )
    value_range = _value_range(selection)
    if value_range is not None:
        problems.extend(_compare_range(loaded, selection, value_range))
    if problems:
        raise SceneError(problems)


def identity(loaded: LoadedScene) -> dict[str, Any]:
    """What a render reads, from file metadata only (no content is hashed).

    The files (absolute path, size, mtime_ns), the array, its shape and type, and the source:
    ``full``, a ``hyperslab`` with its factors, a pyramid ``level``, or an ``xdmf`` file's
    own references. If any of it changes, frames must be rendered again.
    """
    path = _path(loaded)
    if _is_xdmf(loaded):
        _, references = _located(loaded, lambda: xdmf.absolutize(path))
        root = _located(loaded, lambda: xdmf.parse(path))
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
    selection = _selection(loaded)
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
    path = _path(loaded)
    if not _is_xdmf(loaded):
        return [path]
    _, references = _located(loaded, lambda: xdmf.absolutize(path))
    files = [path]
    for ref in references:
        if ref.file not in files:
            files.append(ref.file)
    return files


# -- helpers -------------------------------------------------------------------------------


def _path(loaded: LoadedScene) -> Path:
    return loaded.resolve(loaded.scene.dataset.path)


def _is_xdmf(loaded: LoadedScene) -> bool:
    return loaded.scene.dataset.path.lower().endswith(XDMF_SUFFIXES)


def _located(loaded: LoadedScene, action: Callable[[], T]) -> T:
    """Run ``action``; turn a :class:`DataProblem` into a located :class:`SceneError`."""
    try:
        return action()
    except DataProblem as problem:
        raise SceneError([loaded.problem(("dataset", problem.key), problem.message)]) from None
    except ValueError as exc:
        raise SceneError([loaded.problem(("dataset", "array"), str(exc))]) from None


def _selection(loaded: LoadedScene) -> Selection:
    dataset = loaded.scene.dataset
    return _located(
        loaded,
        lambda: select(
            _path(loaded),
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


def _xdmf_source(loaded: LoadedScene, path: Path) -> tuple[Path, str] | None:
    """The HDF5 file and dataset behind the scene's attribute of an XDMF file."""
    _, references = _located(loaded, lambda: xdmf.absolutize(path))
    names = xdmf.attributes(_located(loaded, lambda: xdmf.parse(path)))
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


def _value_range(selection: Selection) -> tuple[float, float] | None:
    with open_hdf5(selection.file) as file:
        item = file[selection.read.path]
        found = stored_range(item)
        if found is None:
            log.info(
                "%s: no stored value range for %s; reading the data (moviec convert stores it)",
                selection.file,
                selection.read.path,
            )
            found = scan_range(item)
    return found


def _compare_range(
    loaded: LoadedScene, selection: Selection, value_range: tuple[float, float]
) -> list[Problem]:
    low, high = value_range
    volume = loaded.scene.volume
    problems: list[Problem] = []
    source = f"{selection.read.path} in {selection.file}"
    for key, label, points in (
        ("colors", "colour", volume.colors),
        ("opacity", "opacity", volume.opacity),
    ):
        first, last = points[0][0], points[-1][0]
        span = f"the {label} points span {first:g} to {last:g}"
        data = f"the data range from {low:g} to {high:g} ({source})"
        if high < first or low > last:
            problems.append(
                loaded.problem(("volume", key), f"{span}, but {data}: they do not overlap")
            )
        elif low < first or high > last:
            log.warning(
                "%s: volume.%s: %s, but %s: values outside the points take the end %s",
                loaded.where(("volume", key)),
                key,
                span,
                data,
                "colours" if key == "colors" else "opacities",
            )
    return problems


def selection(loaded: LoadedScene) -> Selection | None:
    """What the render reads from an HDF5 ``dataset.path`` (None for XDMF input)."""
    return None if _is_xdmf(loaded) else _selection(loaded)


def xdmf_source(loaded: LoadedScene) -> tuple[Path, str] | None:
    """For XDMF input, the HDF5 file and dataset behind the scene's attribute, if it is read
    from HDF5."""
    return _xdmf_source(loaded, _path(loaded)) if _is_xdmf(loaded) else None
