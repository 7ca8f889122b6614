"""XDMF descriptions of HDF5 volumes, with the seed's normalised geometry.

The grid is a ``3DCoRectMesh`` with ``ORIGIN_DXDYDZ`` geometry, values slowest axis first
(ParaView's x is the array's last axis). The geometry is normalised as the seed's hand-made
files were: the physical extent of ``N`` voxels of size ``s`` is ``N * s``, the longest axis
spans 1.0, and the origin is ``-N * s / 2`` per axis (in normalised units), so the volume is
centred at 0. A subsample or a pyramid level keeps that extent: its spacing is the extent
divided by the number of voxels read. The render script's ``normalisation()`` uses the same
convention, so for these files it is the identity.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from xml.sax.saxutils import escape, quoteattr

from movie_compiler.data.store import DataProblem, Selection

NUMBER_TYPES = {
    "uint8": ("UChar", 1),
    "int8": ("Char", 1),
    "uint16": ("UShort", 2),
    "int16": ("Short", 2),
    "uint32": ("UInt", 4),
    "int32": ("Int", 4),
    "float32": ("Float", 4),
    "float64": ("Float", 8),
}
"""numpy type -> XDMF ``NumberType`` and ``Precision`` (as ParaView's XDMF reader maps them)."""

GRID_NAME = "Volume"
UNIT_LENGTH = "moviec.unit_length"
"""XDMF ``Information`` of the grid: the physical length (in the scene's ``dataset.unit``) of
one normalised unit, the longest axis. The render script reads it for the scale bar."""
XINCLUDE = "http://www.w3.org/2001/XInclude"


@dataclass(frozen=True)
class Geometry:
    """Origin and spacing of a grid, slowest axis first, in normalised units."""

    origin: tuple[float, float, float]
    spacing: tuple[float, float, float]
    unit_length: float
    """Physical length of one normalised unit: the longest axis, ``N * s``."""


def geometry(
    full_shape: Sequence[int], voxel_size: Sequence[float], read_shape: Sequence[int]
) -> Geometry:
    """Normalised geometry of ``read_shape`` voxels covering a volume of ``full_shape``."""
    lengths = [n * s for n, s in zip(full_shape, voxel_size, strict=True)]
    longest = max(lengths)
    extent = [length / longest for length in lengths]
    spacing = [e / m for e, m in zip(extent, read_shape, strict=True)]
    origin = [-e / 2.0 for e in extent]
    return Geometry(
        (origin[0], origin[1], origin[2]), (spacing[0], spacing[1], spacing[2]), longest
    )


def number(value: float) -> str:
    """A float as the shortest text that reads back as the same double."""
    return repr(float(value))


def describe(selection: Selection, voxel_size: Sequence[float], name: str, href: str) -> str:
    """The XDMF text for ``selection``; ``href`` names the HDF5 file as the XDMF should."""
    _check_href(href)
    read = selection.read_shape
    grid = geometry(selection.shape, voxel_size, read)
    number_type, precision = NUMBER_TYPES[selection.dtype.name]
    dims = " ".join(str(n) for n in read)
    source_dims = " ".join(str(n) for n in selection.read.shape)
    heavy = escape(f"{href}:{selection.read.path}")
    item = (
        f'Dimensions="{source_dims}" NumberType="{number_type}" Precision="{precision}" '
        'Format="HDF"'
    )
    if selection.stride is None:
        data = [f"    <DataItem {item}>{heavy}</DataItem>"]
    else:
        stride = " ".join(str(n) for n in selection.stride)
        data = [
            f'    <DataItem ItemType="HyperSlab" Type="HyperSlab" Dimensions="{dims}">',
            f'     <DataItem Dimensions="3 3" NumberType="Int" Format="XML">'
            f"0 0 0  {stride}  {dims}</DataItem>",
            f"     <DataItem {item}>{heavy}</DataItem>",
            "    </DataItem>",
        ]
    lines = [
        '<?xml version="1.0" ?>',
        '<!DOCTYPE Xdmf SYSTEM "Xdmf.dtd" []>',
        f"<!-- Written by moviec: {_comment(_what(selection, voxel_size))} -->",
        '<Xdmf Version="2.0">',
        " <Domain>",
        f'  <Grid Name="{GRID_NAME}" GridType="Uniform">',
        f'   <Information Name="{UNIT_LENGTH}" Value="{number(grid.unit_length)}"/>',
        f'   <Topology TopologyType="3DCoRectMesh" Dimensions="{dims}"/>',
        '   <Geometry GeometryType="ORIGIN_DXDYDZ">',
        '    <DataItem Name="Origin" Dimensions="3" NumberType="Float" Precision="8" '
        f'Format="XML">{" ".join(number(v) for v in grid.origin)}</DataItem>',
        '    <DataItem Name="Spacing" Dimensions="3" NumberType="Float" Precision="8" '
        f'Format="XML">{" ".join(number(v) for v in grid.spacing)}</DataItem>',
        "   </Geometry>",
        f'   <Attribute Name={quoteattr(name)} AttributeType="Scalar" Center="Node">',
        *data,
        "   </Attribute>",
        "  </Grid>",
        " </Domain>",
        "</Xdmf>",
    ]
    return "\n".join(lines) + "\n"


def _check_href(href: str) -> None:
    """ParaView's XDMF reader splits ``FILE:DATASET`` at a colon, so a file name cannot hold one."""
    if ":" in href:
        raise DataProblem(
            "path",
            f"{href}: ParaView's XDMF reader cannot read a file whose path holds ':'; "
            "rename it or link it from another path",
        )


def _what(selection: Selection, voxel_size: Sequence[float]) -> str:
    shape = " x ".join(str(n) for n in selection.shape)
    sizes = " x ".join(f"{v:g}" for v in voxel_size)
    factor = " x ".join(str(n) for n in selection.factor)
    how = {
        "full": "full resolution",
        "hyperslab": f"hyperslab with stride {factor}",
        "level": f"pyramid level {selection.read.level} ({factor} block mean)",
    }[selection.kind]
    return f"{selection.array} ({shape}, voxel size {sizes}), {how}"


def _comment(text: str) -> str:
    while "--" in text:
        text = text.replace("--", "- -")
    return text.rstrip("-")


# -- XDMF files written by others ---------------------------------------------------------


@dataclass(frozen=True)
class Reference:
    """A heavy-data file an XDMF file refers to."""

    file: Path
    dataset: str | None
    """The HDF5 dataset (``None`` for binary files and XIncludes)."""
    attribute: str | None
    """Name of the attribute it belongs to (``None`` outside attributes)."""


def absolutize(path: Path) -> tuple[str, list[Reference]]:
    """A copy of the XDMF file ``path`` whose file references are absolute, and those files."""
    root = parse(path)
    base = path.parent
    references: list[Reference] = []
    ET.register_namespace("xi", XINCLUDE)
    _walk(root, base, None, references)
    text = ET.tostring(root, encoding="unicode")
    return '<?xml version="1.0" ?>\n' + text + "\n", references


def parse(path: Path) -> ET.Element:
    """Parse an XDMF file; a ``dataset.path`` problem if it is not one."""
    if not path.exists():
        raise DataProblem("path", f"{path}: no such file")
    if not path.is_file():  # a FIFO would block the parser
        raise DataProblem("path", f"{path}: not a regular file")
    try:
        root = ET.parse(path).getroot()
    except ET.ParseError as exc:
        raise DataProblem("path", f"{path}: not an XDMF file ({exc})") from None
    except OSError as exc:
        raise DataProblem("path", f"{path}: cannot read: {exc.strerror or exc}") from None
    if _local(root.tag) != "Xdmf":
        raise DataProblem("path", f"{path}: not an XDMF file (its root is <{root.tag}>)")
    return root


def lengths(root: ET.Element) -> tuple[float, float, float] | None:
    """Physical lengths along world x, y, z (count times spacing, as the render script
    normalises them) of a 3DCoRectMesh grid with ORIGIN_DXDYDZ geometry; None for another."""
    topology = next((e for e in root.iter() if _local(e.tag) == "Topology"), None)
    geometry_ = next((e for e in root.iter() if _local(e.tag) == "Geometry"), None)
    if topology is None or geometry_ is None:
        return None
    if topology.get("TopologyType") != "3DCoRectMesh":
        return None
    if geometry_.get("GeometryType") != "ORIGIN_DXDYDZ":
        return None
    items = [e for e in geometry_ if _local(e.tag) == "DataItem"]
    try:
        counts = [int(n) for n in (topology.get("Dimensions") or "").split()]
        spacing = [float(v) for v in (items[1].text or "").split()]
    except (ValueError, IndexError):
        return None
    if len(counts) != 3 or len(spacing) != 3:
        return None
    nz, ny, nx = counts
    dz, dy, dx = spacing
    return (nx * dx, ny * dy, nz * dz)


def attributes(root: ET.Element) -> list[str]:
    """Names of the attributes (point or cell arrays) an XDMF document describes."""
    return [e.get("Name", "") for e in root.iter() if _local(e.tag) == "Attribute"]


def _walk(element: ET.Element, base: Path, attribute: str | None, out: list[Reference]) -> None:
    tag = _local(element.tag)
    if tag == "Attribute":
        attribute = element.get("Name", "")
    if tag == "DataItem" and element.text and element.text.strip():
        kind = element.get("Format", "XML").upper()
        if kind == "HDF":
            name, colon, dataset = element.text.strip().rpartition(":")
            if not colon:
                name, dataset = dataset, ""
            file = (base / name).resolve()
            _check_href(str(file))
            element.text = f"{file}:{dataset}"
            out.append(Reference(file, dataset or None, attribute))
        elif kind == "BINARY":
            file = (base / element.text.strip()).resolve()
            element.text = str(file)
            out.append(Reference(file, None, attribute))
    if element.tag == f"{{{XINCLUDE}}}include" and element.get("href"):
        file = (base / str(element.get("href"))).resolve()
        element.set("href", str(file))
        out.append(Reference(file, None, attribute))
    for child in element:
        _walk(child, base, attribute, out)


def local_name(tag: str) -> str:
    """An element's tag without its namespace."""
    return tag.rsplit("}", 1)[-1]


_local = local_name
