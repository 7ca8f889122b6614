"""XDMF descriptions: the seed's geometry from its shape alone (golden), ``moviec xdmf``, and
real ParaView reading full, hyperslab and pyramid-level files."""

from __future__ import annotations

import ast
import json
import shutil
import xml.etree.ElementTree as ET
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from movie_compiler.__main__ import main
from movie_compiler.data import xdmf
from movie_compiler.data.store import Level, Selection

ROOT = Path(__file__).resolve().parent.parent
SEED_SHAPE = (234, 28721, 31076)
SEED_VOXEL = (40.0, 1.0, 1.0)

READ_XDMF = """
import json, sys
from paraview import servermanager
from paraview.simple import XDMFReader

def fail(message, code):
    raise SystemExit(message)

#@normalisation

out = {}
for path in sys.argv[1:]:
    reader = XDMFReader(FileNames=[path])
    reader.UpdatePipeline()
    info = reader.GetDataInformation()
    name = reader.PointData.keys()[0]
    array = reader.GetPointDataInformation().GetArray(name)
    DATA_FILE = path
    scale, offset = normalisation(reader)
    out[path] = {
        "bounds": list(info.GetBounds()),
        "extent": list(info.GetExtent()),
        "name": name,
        "range": list(array.GetRange()),
        "vtk_type": array.GetDataType(),
        "scale": scale,
        "offset": list(offset),
    }
print("RESULT " + json.dumps(out))
"""
"""A pvpython script: for each XDMF file, what ParaView's XDMF reader makes of it, and what
the render script's own ``normalisation()`` (copied from the template) computes."""


def reader_script(folder: Path) -> Path:
    """``READ_XDMF`` with the template's ``normalisation`` function pasted in."""
    template = (ROOT / "movie_compiler" / "script" / "template.py").read_text(encoding="utf-8")
    tree = ast.parse(template)
    function = next(
        node
        for node in tree.body
        if isinstance(node, ast.FunctionDef) and node.name == "normalisation"
    )
    source = ast.get_source_segment(template, function)
    assert source is not None
    path = folder / "read_xdmf.py"
    path.write_text(READ_XDMF.replace("#@normalisation", source), encoding="utf-8")
    return path


def read_in_paraview(
    run_pvbatch: Callable[..., Any], folder: Path, files: list[Path]
) -> dict[str, Any]:
    result = run_pvbatch(reader_script(folder), *[str(f) for f in files])
    line = next(x for x in result.stdout.splitlines() if x.startswith("RESULT "))
    return json.loads(line[len("RESULT ") :])  # type: ignore[no-any-return]


def seed_selection(
    level: int | None = None, stride: tuple[int, int, int] | None = None
) -> Selection:
    """The seed's volume, described without any data."""
    read = Level(0, "/PLI", SEED_SHAPE, (1, 1, 1))
    if level is not None:
        factor = (1, 2**level, 2**level)
        shape = (234, -(-28721 // factor[1]), -(-31076 // factor[2]))
        read = Level(level, f"/PLI_levels/{level}", shape, factor)
    return Selection(
        Path("Vervet_Sehrinde.h5"), "/PLI", SEED_SHAPE, np.dtype("uint8"), read, stride
    )


# -- the seed's numbers ----------------------------------------------------------------------


def test_seed_geometry_from_its_shape_alone() -> None:
    grid = xdmf.geometry(SEED_SHAPE, SEED_VOXEL, SEED_SHAPE)
    # The seed's hand-typed values, to the digits it gave.
    assert grid.spacing[0] == pytest.approx(1.2872e-3, rel=5e-5)
    assert grid.spacing[1] == pytest.approx(3.21792e-5, rel=5e-6)
    assert grid.spacing[2] == pytest.approx(3.21792e-5, rel=5e-6)
    assert grid.origin[0] == pytest.approx(-0.151, abs=5e-4)
    assert grid.origin[1] == pytest.approx(-0.4621, abs=5e-5)
    assert grid.origin[2] == -0.5
    # The longest axis spans 1.0; every axis is centred at 0.
    extents = [n * s for n, s in zip(SEED_SHAPE, grid.spacing, strict=True)]
    assert max(extents) == pytest.approx(1.0, rel=1e-12)
    assert [o + e / 2 for o, e in zip(grid.origin, extents, strict=True)] == pytest.approx(
        [0.0, 0.0, 0.0], abs=1e-12
    )


def test_a_subsample_keeps_the_physical_extent() -> None:
    full = xdmf.geometry(SEED_SHAPE, SEED_VOXEL, SEED_SHAPE)
    read = (234, 7181, 7769)  # ceil(28721 / 4), ceil(31076 / 4)
    sub = xdmf.geometry(SEED_SHAPE, SEED_VOXEL, read)
    assert sub.origin == full.origin
    for axis in range(3):
        assert read[axis] * sub.spacing[axis] == pytest.approx(
            SEED_SHAPE[axis] * full.spacing[axis]
        )
    assert sub.spacing[1] == pytest.approx(4 * full.spacing[1], rel=2e-4)  # 28721 / 7181


@pytest.mark.parametrize(
    ("name", "selection"),
    [
        ("seed_full.xdmf", seed_selection()),
        ("seed_hyperslab_1x4x4.xdmf", seed_selection(stride=(1, 4, 4))),
        ("seed_level_2.xdmf", seed_selection(level=2)),
    ],
)
def test_seed_descriptions(
    name: str, selection: Selection, golden: Callable[[str, str], None]
) -> None:
    text = xdmf.describe(selection, SEED_VOXEL, "PLI", "Vervet_Sehrinde.h5")
    golden(f"xdmf/{name}", text)
    root = ET.fromstring(text.split("\n", 3)[3])  # well-formed (after declaration, doctype)
    assert root.tag == "Xdmf"
    topology = root.find("./Domain/Grid/Topology")
    assert topology is not None
    assert topology.get("TopologyType") == "3DCoRectMesh"


# -- moviec xdmf -----------------------------------------------------------------------------


def test_xdmf_command_names_the_file_relative_or_absolute(mni_h5: Path, tmp_path: Path) -> None:
    out = tmp_path / "described" / "mni.xdmf"
    assert main(["-q", "xdmf", str(mni_h5), "--voxel-size", "1,1,1", "-o", str(out)]) == 0
    relative = Path("..", "..", *mni_h5.parts[len(tmp_path.parent.parts) :])
    text = out.read_text()
    assert f">{relative}:/PLI</DataItem>" in text
    assert '<Attribute Name="PLI" ' in text
    args = ["--voxel-size", "1,1,1", "--absolute", "--name", "T1 & <more>"]
    assert main(["-q", "xdmf", str(mni_h5), *args, "-o", str(out)]) == 0
    text = out.read_text()
    assert f">{mni_h5}:/PLI</DataItem>" in text
    assert '<Attribute Name="T1 &amp; &lt;more&gt;" ' in text


def test_xdmf_command_uses_the_stored_voxel_size(mni_t1: np.ndarray, tmp_path: Path) -> None:
    slices = tmp_path / "slices"
    slices.mkdir()
    for index, plane in enumerate(mni_t1[:10]):
        plane.tofile(slices / f"s{index}.raw")
    h5 = tmp_path / "v.h5"
    args = ["--slice-shape", "233,189", "--dtype", "uint8", "--voxel-size", "2,0.5,0.5"]
    assert main(["-q", "convert", str(slices), "-o", str(h5), *args]) == 0
    assert main(["-q", "xdmf", str(h5), "-o", str(tmp_path / "v.xdmf")]) == 0
    root = ET.parse(tmp_path / "v.xdmf").getroot()
    spacing = root.find("./Domain/Grid/Geometry/DataItem[@Name='Spacing']")
    assert spacing is not None and spacing.text is not None
    assert [float(v) for v in spacing.text.split()] == pytest.approx(
        [2 / 116.5, 0.5 / 116.5, 0.5 / 116.5]
    )


@pytest.fixture
def odd_file(tmp_path: Path) -> Path:
    path = tmp_path / "odd.h5"
    with h5py.File(path, "w") as file:
        file["flat"] = np.zeros((4, 5), np.uint8)
        file["a/vol"] = np.zeros((4, 5, 6), np.uint8)
        file["b/vol"] = np.zeros((4, 5, 6), np.int16)
    return path


def test_xdmf_command_errors(
    mni_h5: Path, odd_file: Path, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    out = ["-o", str(tmp_path / "x.xdmf")]
    cases = [
        ([str(tmp_path / "no.h5"), *out], f"{tmp_path}/no.h5: no such file"),
        ([str(tmp_path), *out], f"{tmp_path}: is a folder, not an HDF5 file"),
        ([str(mni_h5), "--array", "/T1", *out], f"{mni_h5}: no dataset /T1 (it has: /PLI)"),
        ([str(mni_h5), *out], f"{mni_h5}: /PLI has no stored voxel size; give --voxel-size Z,Y,X"),
        (
            [str(mni_h5), "--voxel-size", "1,1,1", "--level", "3", *out],
            f"{mni_h5}: no level 3 of /PLI (it has levels 0 to 2)",
        ),
        (
            [str(mni_h5), "--voxel-size", "1,1,1", "--subsample", "1,1,190", *out],
            f"{mni_h5}: subsample [1, 1, 190] does not fit /PLI of 197 x 233 x 189 (each factor "
            "at most the axis length)",
        ),
        (
            [str(odd_file), "--array", "flat", *out],
            f"{odd_file}: /flat has 2 dimensions (4 x 5); expected 3",
        ),
        ([str(odd_file), *out], f"{odd_file}: holds several volumes (/a/vol, /b/vol); name one"),
        (
            [str(odd_file), "--array", "/a", *out],
            f"{odd_file}: /a is a group, not a dataset",
        ),
        (
            [str(odd_file), "--array", "/a/vol", "--level", "1", "--voxel-size", "1,1,1", *out],
            f"{odd_file}: no level 1 of /a/vol (it has no pyramid: moviec convert --levels N "
            "writes one)",
        ),
    ]
    colon = tmp_path / "scan:2" / "mni.h5"
    colon.parent.mkdir()
    shutil.copy(mni_h5, colon)
    cases.append(
        (
            [str(colon), "--voxel-size", "1,1,1", "--absolute", *out],
            f"{colon}: ParaView's XDMF reader cannot read a file whose path holds ':'; rename it "
            "or link it from another path",
        )
    )
    (tmp_path / "not.h5").write_text("plain text")
    cases.append(([str(tmp_path / "not.h5"), *out], f"{tmp_path}/not.h5: not an HDF5 file"))
    for args, message in cases:
        assert main(["-q", "xdmf", *args]) == 2, args
        assert capsys.readouterr().err == message + "\n"
    assert not (tmp_path / "x.xdmf").exists()


# -- real ParaView ---------------------------------------------------------------------------


@pytest.mark.paraview
def test_paraview_reads_full_hyperslab_and_level(
    mni_h5: Path, mni_t1: np.ndarray, tmp_path: Path, run_pvbatch: Callable[..., Any]
) -> None:
    files = {
        "full": ([], mni_t1.shape),
        "hyperslab": (["--subsample", "1,4,4"], (197, 59, 48)),
        "level": (["--level", "2"], (197, 59, 48)),
    }
    for name, (extra, _) in files.items():
        args = ["--voxel-size", "1.5,1,1", *extra, "-o", str(tmp_path / f"{name}.xdmf")]
        assert main(["-q", "xdmf", str(mni_h5), *args]) == 0
    with h5py.File(mni_h5, "r") as file:
        level = file["PLI_levels/2"][...]
    expected_range = {
        "full": [mni_t1.min(), mni_t1.max()],
        "hyperslab": [mni_t1[:, ::4, ::4].min(), mni_t1[:, ::4, ::4].max()],
        "level": [level.min(), level.max()],
    }
    paths = [tmp_path / f"{name}.xdmf" for name in files]
    found = read_in_paraview(run_pvbatch, tmp_path, paths)
    lengths = [197 * 1.5, 233.0, 189.0]  # z, y, x
    extent_zyx = [n / max(lengths) for n in lengths]
    for name, (_, shape) in files.items():
        seen = found[str(tmp_path / f"{name}.xdmf")]
        assert seen["name"] == "PLI"
        assert seen["vtk_type"] == 3  # VTK_UNSIGNED_CHAR
        assert seen["extent"] == [0, shape[2] - 1, 0, shape[1] - 1, 0, shape[0] - 1], name
        assert seen["range"] == [float(v) for v in expected_range[name]], name
        for axis in range(3):  # ParaView's x is the array's last axis
            length = extent_zyx[2 - axis]
            count = shape[2 - axis]
            low, high = seen["bounds"][2 * axis : 2 * axis + 2]
            assert low == pytest.approx(-length / 2)
            assert high == pytest.approx(-length / 2 + (count - 1) * length / count)
        # The render script's normalisation is the identity for moviec's own files.
        assert seen["scale"] == pytest.approx(1.0)
        assert seen["offset"] == pytest.approx([0.0, 0.0, 0.0], abs=1e-12)


@pytest.mark.paraview
def test_paraview_reads_every_type(tmp_path: Path, run_pvbatch: Callable[..., Any]) -> None:
    vtk_types = {
        "uint8": 3,
        "int8": 2,
        "uint16": 5,
        "int16": 4,
        "uint32": 7,
        "int32": 6,
        "float32": 10,
        "float64": 11,
    }
    values = np.arange(-60, 60).reshape(4, 5, 6)
    path = tmp_path / "types.h5"
    with h5py.File(path, "w") as file:
        for name in vtk_types:
            data = values - values.min() if name.startswith("u") else values
            file[name] = data.astype(name) if name[0] != "f" else data.astype(name) / 8
    for name in vtk_types:
        args = ["--array", name, "--voxel-size", "1,1,1", "-o", str(tmp_path / f"{name}.xdmf")]
        assert main(["-q", "xdmf", str(path), *args]) == 0
    found = read_in_paraview(run_pvbatch, tmp_path, [tmp_path / f"{n}.xdmf" for n in vtk_types])
    for name, vtk_type in vtk_types.items():
        seen = found[str(tmp_path / f"{name}.xdmf")]
        data = values - values.min() if name.startswith("u") else values
        expected = [data.min(), data.max()] if name[0] != "f" else [-7.5, 7.375]
        assert seen["vtk_type"] == vtk_type, name
        assert seen["range"] == [float(v) for v in expected], name
        assert seen["extent"] == [0, 5, 0, 4, 0, 3]


def test_reader_script_is_valid_python(tmp_path: Path) -> None:
    compile(reader_script(tmp_path).read_text(), "read_xdmf.py", "exec")
