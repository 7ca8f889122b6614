"""What moviec knows of the data before ParaView loads it (``dataset.json``).

The render script reads ``dataset.json`` beside ``dataset.xdmf``, so that it need not find
out by reading every voxel:

- ``range``: the value range of the array as loaded. The script puts it on the array as
  VTK's cached range (``vtkDataArray``'s ``PER_COMPONENT`` and ``PER_FINITE_COMPONENT``
  information), which ParaView's ``Show`` then reads instead of scanning the array twice
  (``GetRange`` and ``GetFiniteRange``: about 32 s per GB of uint8 on two cores). The range
  comes from the ``min``/``max`` attributes ``moviec convert`` stores for every level; other
  arrays (and hyperslabs) are measured once with h5py and remembered in the cache folder,
  keyed by the file's path, size, modification time and inode.
- ``scale`` and ``offset``: the normalisation (the longest physical axis spans 1.0, centred
  at 0). moviec's own descriptions are normalised already (identity); for an XDMF file it is
  computed from the file's ``ORIGIN_DXDYDZ`` geometry. Without it the script asks ParaView
  for the data's bounds (a full pass over the data information).
- ``dims``: ParaView's ``(x, y, z)`` points of the whole volume as read.
"""

from __future__ import annotations

import hashlib
import json
import logging
import math
import os
import time
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from movie_compiler import fsutil
from movie_compiler.config.load import LoadedScene
from movie_compiler.data import dataset, xdmf
from movie_compiler.data.store import DataProblem, open_hdf5, scan_range, stored_range

log = logging.getLogger(__name__)

FILE_NAME = "dataset.json"
RACY_SECONDS = 2.0
"""A file modified less than this long ago is measured but its range not remembered."""


@dataclass(frozen=True)
class DataFacts:
    """The facts of ``dataset.json``."""

    dims: tuple[int, int, int] | None
    """ParaView's ``(x, y, z)`` points of the volume as read; None if unknown."""
    value_range: tuple[float, float] | None
    """Min and max of the values as read (NaN and infinities left out); None: let ParaView
    scan."""
    scale: float | None
    """Normalisation: scale of world coordinates; None: the script measures it."""
    offset: tuple[float, float, float] | None
    """Normalisation: translation after scaling, ParaView's ``(x, y, z)``."""

    def document(self) -> dict[str, Any]:
        return {
            "format": 1,
            "dims": list(self.dims) if self.dims else None,
            "range": list(self.value_range) if self.value_range else None,
            "scale": self.scale,
            "offset": list(self.offset) if self.offset else None,
        }


def facts(loaded: LoadedScene, cache_dir: Path | None, *, measure: bool = True) -> DataFacts:
    """The facts of ``loaded``'s data; ranges that must be measured are cached in
    ``cache_dir/ranges`` (not cached when it is None; not measured unless ``measure``)."""
    selection = dataset.selection(loaded)
    if selection is not None:  # HDF5 input: moviec's own normalised description
        read = selection.read_shape
        stride = selection.stride or (1, 1, 1)
        found = value_range(selection.file, selection.read.path, stride, cache_dir, measure)
        return DataFacts((read[2], read[1], read[0]), found, 1.0, (0.0, 0.0, 0.0))
    path = loaded.resolve(loaded.scene.dataset.path)
    root = xdmf.parse(path)
    dims, scale, offset = _xdmf_geometry(root)
    source = dataset.hdf5_behind(loaded)
    found = None
    if source is not None and _plain_reference(root, source[1]):
        found = value_range(source[0], source[1], (1, 1, 1), cache_dir, measure)
    return DataFacts(dims, found, scale, offset)


def write(path: Path, found: DataFacts) -> Path:
    fsutil.write_text(path, json.dumps(found.document(), sort_keys=True) + "\n")
    return path


def value_range(
    file: Path,
    array: str,
    stride: tuple[int, int, int],
    cache_dir: Path | None,
    measure: bool = True,
) -> tuple[float, float] | None:
    """The range of ``array`` (or its hyperslab of ``stride``) in ``file``: stored by
    moviec convert, remembered from an earlier measurement, or measured now (None if not
    ``measure``, or if the file cannot be read here: then ParaView measures it)."""
    try:
        return _value_range(file, array, stride, cache_dir, measure)
    except (DataProblem, KeyError, OSError) as exc:
        log.debug("no value range for %s in %s: %s", array, file, exc)
        return None


def _value_range(
    file: Path,
    array: str,
    stride: tuple[int, int, int],
    cache_dir: Path | None,
    measure: bool,
) -> tuple[float, float] | None:
    with open_hdf5(file) as handle:
        item = handle[array]
        base = handle[array.split("_levels/")[0]] if "_levels/" in array else item
        if stride == (1, 1, 1) and "converter" in base.attrs:
            stored = stored_range(item)
            if stored is not None and all(math.isfinite(v) for v in stored):
                return stored
        info = os.stat(file)
        identity = {
            "path": str(file.resolve()),
            "size": info.st_size,
            "mtime_ns": info.st_mtime_ns,
            "inode": info.st_ino,
            "array": array,
            "stride": list(stride),
        }
        entry = None
        if cache_dir is not None:
            name = hashlib.sha256(json.dumps(identity, sort_keys=True).encode()).hexdigest()
            entry = cache_dir / "ranges" / f"{name}.json"
            remembered = _read(entry)
            if remembered is not None and remembered.get("identity") == identity:
                low, high = remembered["range"]
                return float(low), float(high)
        if not measure:
            return None
        started = time.monotonic()
        found = scan_range(item, stride)
        log.info(
            "measured the value range of %s in %s in %.1f s (remembered for the next build)",
            array,
            file,
            time.monotonic() - started,
        )
    settled = time.time() - info.st_mtime_ns / 1e9 >= RACY_SECONDS
    if entry is not None and found is not None and settled:
        document = {"identity": identity, "range": list(found)}
        try:
            fsutil.write_text(entry, json.dumps(document, sort_keys=True) + "\n")
        except OSError as exc:  # a cache that cannot be written only costs time
            log.debug("cannot remember the range of %s: %s", file, exc)
    return found


def _read(entry: Path) -> dict[str, Any] | None:
    try:
        data = json.loads(entry.read_text(encoding="utf-8"))
    except (OSError, ValueError):
        return None
    ok = isinstance(data, dict) and isinstance(data.get("range"), list) and len(data["range"]) == 2
    return data if ok else None


def _plain_reference(root: Any, array: str) -> bool:
    """Whether the attribute reads ``array`` whole (not through a hyperslab or function)."""
    for element in root.iter():
        if xdmf.local_name(element.tag) != "DataItem" or not element.text:
            continue
        if element.text.strip().endswith(f":{array}"):
            return element.get("ItemType") is None and all(
                xdmf.local_name(parent.tag) != "DataItem" or parent is element
                for parent in _ancestors(root, element)
            )
    return False


def _ancestors(root: Any, target: Any) -> list[Any]:
    parents = {child: parent for parent in root.iter() for child in parent}
    chain, node = [], target
    while node in parents:
        node = parents[node]
        chain.append(node)
    return chain


def _xdmf_geometry(
    root: Any,
) -> tuple[tuple[int, int, int] | None, float | None, tuple[float, float, float] | None]:
    """Dimensions and normalisation of a 3DCoRectMesh with ORIGIN_DXDYDZ geometry given in
    XML; Nones for anything else (the script then measures the bounds)."""
    topology = next((e for e in root.iter() if xdmf.local_name(e.tag) == "Topology"), None)
    geometry = next((e for e in root.iter() if xdmf.local_name(e.tag) == "Geometry"), None)
    if topology is None:
        return None, None, None
    counts = [int(n) for n in (topology.get("Dimensions") or "").split() if n.isdigit()]
    dims = (counts[2], counts[1], counts[0]) if len(counts) == 3 else None
    kind = (topology.get("TopologyType") or "").lower()
    if dims is None or kind != "3dcorectmesh" or geometry is None:
        return dims, None, None
    if (geometry.get("GeometryType") or geometry.get("Type") or "").upper() != "ORIGIN_DXDYDZ":
        return dims, None, None
    items = [e for e in geometry if xdmf.local_name(e.tag) == "DataItem"]
    try:
        numbers = [[float(v) for v in (e.text or "").split()] for e in items]
    except ValueError:
        return dims, None, None
    if (
        len(numbers) != 2
        or any(len(n) != 3 for n in numbers)
        or any(e.get("Format", "XML").upper() != "XML" for e in items)
    ):
        return dims, None, None
    origin, spacing = numbers[0][::-1], numbers[1][::-1]  # XDMF: z y x
    lengths = [n * s for n, s in zip(dims, spacing, strict=True)]
    longest = max(lengths)
    if not longest > 0.0:
        return dims, None, None
    scale = 1.0 / longest
    offset = tuple(
        -(low + length / 2.0) * scale for low, length in zip(origin, lengths, strict=True)
    )
    return dims, scale, (offset[0], offset[1], offset[2])
