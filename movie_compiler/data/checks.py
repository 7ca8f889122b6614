"""The data check: the dataset compared with the scene before anything is written or rendered.

:func:`prepare` is the first stage of every command that renders (``build``; ``compile`` when
the dataset is there; ``check --data`` runs it alone), and the one a preview or a batch
submission calls before queueing work. It

- takes from the file what the scene leaves out: the element type (``dataset.dtype``), the
  voxel size and its unit that ``moviec convert`` stores (from NIfTI headers, or its options),
  and says so;
- refuses (located at the scene key, exit 2) what cannot render or would render wrongly: an
  element type or a stored voxel size that disagrees with the scene, no voxel size at all, an
  axis of fewer than two voxels, a spacing that is not a finite positive number once the
  longest axis spans 1, a dataset name that ParaView's XDMF reader cannot follow;
- compares the data's value range with the colour and opacity points: points that miss the
  data entirely are an error; points that do not cover it, or data that use only a sliver of
  the points' span, are warnings naming both ranges (errors with ``strict``).
"""

from __future__ import annotations

import dataclasses
import logging
import math
from collections.abc import Sequence

from movie_compiler.config import rules
from movie_compiler.config.load import LoadedScene
from movie_compiler.data import DTYPES
from movie_compiler.data.dataset import dataset_path, is_xdmf, located, selection_of, xdmf_source
from movie_compiler.data.degenerate import fmt, name_problem, shape_problem, spacing_problem
from movie_compiler.data.store import Selection, open_hdf5, scan_range, select, stored_range
from movie_compiler.errors import Problem, SceneError

log = logging.getLogger(__name__)

UNIT_METRES = {"nm": 1e-9, "um": 1e-6, "mm": 1e-3, "cm": 1e-2, "m": 1.0}
SLIVER = 0.1
"""Data whose range fills less than this share of the points' span draw almost one colour."""
SCAN_LIMIT = 1 << 30
"""Bytes of data a build reads to find a value range the file does not store."""
RELATIVE_TOLERANCE = 1e-6
"""Voxel sizes that differ by less than this (relative) are the same (float32 attributes)."""


@dataclasses.dataclass
class Findings:
    """What the data check found: errors stop the command, warnings are printed."""

    errors: list[Problem] = dataclasses.field(default_factory=list)
    warnings: list[Problem] = dataclasses.field(default_factory=list)


def prepare(
    loaded: LoadedScene, *, strict: bool = False, scan_limit: int | None = SCAN_LIMIT
) -> LoadedScene:
    """Check the dataset against the scene and return the scene completed from the file.

    Raise one :class:`SceneError` with every problem (with ``strict``, warnings too);
    otherwise log the warnings and what was taken from the file. A value range that the file
    does not store is read from the data only up to ``scan_limit`` bytes (None: always, as
    ``check --data`` does); beyond, the points are not compared.
    """
    completed, findings = inspect(loaded, scan_limit)
    errors = [*findings.errors, *(findings.warnings if strict else [])]
    if errors:
        raise SceneError(errors)
    for warning in findings.warnings:
        log.warning("%s", warning)
    return completed


def inspect(loaded: LoadedScene, scan_limit: int | None = None) -> tuple[LoadedScene, Findings]:
    """The scene completed from the file, and what the check found (nothing is raised for a
    finding; a file that cannot be read at all raises a located :class:`SceneError`)."""
    findings = Findings()
    if is_xdmf(loaded):
        found = xdmf_source(loaded, dataset_path(loaded))
        if found is None:
            return loaded, findings
        file, array = found
        selection = located(loaded, lambda: select(file, array))
        _check_name(loaded, selection.read.path, findings, key="array")
        completed = _fill(loaded, dtype=_dtype(loaded, selection, findings))
    else:
        selection = selection_of(loaded)
        dtype = _dtype(loaded, selection, findings)
        voxel_size, unit = _voxel_size(loaded, selection, findings)
        completed = _fill(loaded, dtype=dtype, voxel_size=voxel_size, unit=unit)
        _check_name(loaded, selection.read.path, findings, key="array")
        if _check_shape(loaded, selection, findings) and voxel_size is not None:
            _check_spacing(loaded, selection, voxel_size, findings)
    findings.errors.extend(_rules(loaded, completed))
    value_range = _value_range(selection, scan_limit)
    if loaded.scene.volume.scalars == "fraction":
        if value_range is None:
            findings.errors.append(
                loaded.problem(
                    ("volume", "scalars"),
                    f'"fraction" needs the value range of {selection.read.path} in '
                    f"{selection.file}, which the file does not store and which is too large "
                    "to read for it here; convert it with moviec convert (which stores it), or "
                    "give the points in data values",
                )
            )
            return completed, findings
        return _to_data(completed, value_range), findings
    if value_range is not None:
        _compare_range(loaded, selection, value_range, findings)
    return completed, findings


def _to_data(loaded: LoadedScene, value_range: tuple[float, float]) -> LoadedScene:
    """The scene with its colour and opacity points (and their keyframes') given as fractions
    of ``value_range`` turned into data values."""
    low, high = value_range
    log.info(
        '%s: volume.scalars = "fraction": 0 to 1 is the data\'s range, %g to %g',
        _at(loaded),
        low,
        high,
    )

    def data(points: Sequence[Sequence[float]] | None) -> list[tuple[float, ...]] | None:
        if points is None:
            return None
        return [(low + p[0] * (high - low), *p[1:]) for p in points]

    scene = loaded.scene
    volume = scene.volume.model_copy(
        update={
            "scalars": "data",
            "colors": data(scene.volume.colors),
            "opacity": data(scene.volume.opacity),
        }
    )
    shots = [
        shot.model_copy(
            update={
                "keyframes": [
                    k.model_copy(update={"colors": data(k.colors), "opacity": data(k.opacity)})
                    for k in shot.keyframes
                ]
            }
        )
        for shot in scene.shots
    ]
    return dataclasses.replace(
        loaded, scene=scene.model_copy(update={"volume": volume, "shots": shots})
    )


# -- what the scene may leave to the file -----------------------------------------------------


def _dtype(loaded: LoadedScene, selection: Selection, findings: Findings) -> str | None:
    stated = loaded.scene.dataset.dtype
    held = selection.dtype.name
    source = f"{selection.array} in {selection.file}"
    if held not in DTYPES:
        findings.errors.append(
            loaded.problem(
                ("dataset", "array"),
                f"{source} holds {held}; moviec renders {', '.join(DTYPES)} (convert it)",
            )
        )
        return stated
    if stated is None:
        log.info("%s: dataset.dtype: not given; using %s, as in %s", _at(loaded), held, source)
        return held
    if stated != held:
        findings.errors.append(
            loaded.problem(("dataset", "dtype"), f"is {stated!r}, but {source} holds {held}")
        )
    return stated


def _voxel_size(
    loaded: LoadedScene, selection: Selection, findings: Findings
) -> tuple[tuple[float, ...] | None, str | None]:
    dataset = loaded.scene.dataset
    stored: tuple[float, ...] | None = selection.voxel_size
    stored_unit = selection.unit
    source = f"{selection.array} in {selection.file}"
    unit = dataset.unit if dataset.unit is not None else stored_unit
    if dataset.voxel_size is None:
        if stored is None:
            findings.errors.append(
                loaded.problem(
                    ("dataset", "voxel_size"),
                    f"not given, and {source} records none; give [z, y, x], slowest axis "
                    "first (or convert with --voxel-size)",
                )
            )
            return None, unit
        if dataset.unit is not None and stored_unit is not None:
            stored = _in_unit(stored, stored_unit, dataset.unit)
        log.info(
            "%s: dataset.voxel_size: not given; using %s%s, as recorded in %s",
            _at(loaded),
            fmt(stored),
            f" {unit}" if unit else " (no unit recorded)",
            source,
        )
        return stored, unit
    if dataset.unit is None and stored_unit is not None:
        log.info(
            "%s: dataset.unit: not given; using %s, as recorded in %s", _at(loaded), unit, source
        )
    if stored is not None:
        compared: tuple[float, ...] = stored
        if dataset.unit is not None and stored_unit is not None:
            compared = _in_unit(stored, stored_unit, dataset.unit)
        if not all(
            math.isclose(a, b, rel_tol=RELATIVE_TOLERANCE)
            for a, b in zip(dataset.voxel_size, compared, strict=True)
        ):
            stated_unit = f" {unit}" if unit else ""
            recorded_unit = f" {stored_unit}" if stored_unit else ""
            findings.errors.append(
                loaded.problem(
                    ("dataset", "voxel_size"),
                    f"is {fmt(dataset.voxel_size)}{stated_unit}, but {source} records "
                    f"{fmt(stored)}{recorded_unit}; correct one of them (or leave voxel_size "
                    "out to use the file's)",
                )
            )
    return dataset.voxel_size, unit


def _in_unit(sizes: Sequence[float], unit: str, wanted: str) -> tuple[float, ...]:
    if unit not in UNIT_METRES or wanted not in UNIT_METRES:
        return tuple(sizes)
    scale = UNIT_METRES[unit] / UNIT_METRES[wanted]
    return tuple(v * scale for v in sizes)


def _fill(
    loaded: LoadedScene,
    *,
    dtype: str | None,
    voxel_size: tuple[float, ...] | None = None,
    unit: str | None = None,
) -> LoadedScene:
    """``loaded`` with the values taken from the file. Its digest stays the scene's as written
    (profile and overrides applied): what names the scene in the script, the movie and the
    build folder does not depend on whether the data was there."""
    dataset = loaded.scene.dataset
    changes: dict[str, object] = {}
    if dataset.dtype is None and dtype is not None:
        changes["dtype"] = dtype
    if dataset.voxel_size is None and voxel_size is not None:
        changes["voxel_size"] = tuple(voxel_size)
    if dataset.unit is None and unit in UNIT_METRES:
        changes["unit"] = unit
    if not changes:
        return loaded
    scene = loaded.scene.model_copy(update={"dataset": dataset.model_copy(update=changes)})
    return dataclasses.replace(loaded, scene=scene)


def _rules(loaded: LoadedScene, completed: LoadedScene) -> list[Problem]:
    """The scene's cross-field rules on the values taken from the file (the scalars against
    the element type): the scene as written passed them already."""
    if completed is loaded:
        return []
    return [completed.problem(key, message) for key, message in rules.check(completed.scene)]


# -- degenerate data ----------------------------------------------------------------------------


def _check_shape(loaded: LoadedScene, selection: Selection, findings: Findings) -> bool:
    by_level = loaded.scene.dataset.level is not None
    how = f"level {selection.read.level}" if by_level else "this subsample"
    found = shape_problem(selection, how)
    if found is not None:
        key, message = found
        if key != "array":
            key = "level" if by_level else "subsample"
        findings.errors.append(loaded.problem(("dataset", key), message))
    return found is None


def _check_spacing(
    loaded: LoadedScene, selection: Selection, voxel_size: Sequence[float], findings: Findings
) -> None:
    message = spacing_problem(selection, voxel_size)
    if message is None:
        return
    given = loaded.scene.dataset.voxel_size is not None
    findings.errors.append(
        loaded.problem(
            ("dataset", "voxel_size" if given else "path"),
            message if given else f"the stored voxel size {message}",
        )
    )


def _check_name(loaded: LoadedScene, name: str, findings: Findings, *, key: str) -> None:
    message = name_problem(name)
    if message is not None:
        findings.errors.append(loaded.problem(("dataset", key), message))


# -- values against the transfer functions ----------------------------------------------------


def _value_range(selection: Selection, scan_limit: int | None) -> tuple[float, float] | None:
    with open_hdf5(selection.file) as file:
        item = file[selection.read.path]
        found = stored_range(item)
        size = int(item.size) * item.dtype.itemsize
        unknown = found is None or not all(math.isfinite(v) for v in found)
        if unknown and scan_limit is not None and size > scan_limit:
            log.info(
                "%s: no stored value range for %s; not read (%.1f GB) to compare it with the "
                "points: moviec check --data does",
                selection.file,
                selection.read.path,
                size / 1e9,
            )
            return None
        if unknown:
            log.info(
                "%s: no stored value range for %s; reading the data (moviec convert stores it)",
                selection.file,
                selection.read.path,
            )
            found = scan_range(item)
    return found


def _compare_range(
    loaded: LoadedScene,
    selection: Selection,
    value_range: tuple[float, float],
    findings: Findings,
) -> None:
    low, high = value_range
    volume = loaded.scene.volume
    source = f"{selection.read.path} in {selection.file}"
    for key, label, points in (
        ("colors", "colour", volume.colors),
        ("opacity", "opacity", volume.opacity),
    ):
        first, last = points[0][0], points[-1][0]
        span = f"the {label} points span {first:g} to {last:g}"
        data = f"the data range from {low:g} to {high:g} ({source})"
        ends = "colours" if key == "colors" else "opacities"
        if high < first or low > last:
            findings.errors.append(
                loaded.problem(("volume", key), f"{span}, but {data}: they do not overlap")
            )
        elif low < first or high > last:
            findings.warnings.append(
                loaded.problem(
                    ("volume", key),
                    f"{span}, but {data}: values outside the points take the end {ends}",
                )
            )
        elif last > first and (high - low) < SLIVER * (last - first):
            share = (high - low) / (last - first)
            findings.warnings.append(
                loaded.problem(
                    ("volume", key),
                    f"{span}, but {data}: the data use {share:.0%} of the points' span and "
                    "show almost one colour and opacity",
                )
            )


def _at(loaded: LoadedScene) -> str:
    return loaded.where(("dataset",))
