"""dataset.json: the value range and normalisation moviec gives the render script."""

from __future__ import annotations

import json
import os
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from movie_compiler.config.load import load_scene
from movie_compiler.data import facts
from movie_compiler.data.facts import DataFacts

WriteScene = Callable[..., Path]


def loaded_with(write_scene: WriteScene, **dataset: Any) -> Any:
    return load_scene(write_scene(dataset={"voxel_size": [1.0, 1.0, 1.0], **dataset}))


def old(path: Path) -> Path:
    """Date ``path`` back a minute: a file modified just now is measured but not remembered."""
    os.utime(path, (path.stat().st_atime - 60, path.stat().st_mtime - 60))
    return path


def test_moviec_files_give_their_stored_range(
    mni_h5: Path, mni_t1: np.ndarray, write_scene: WriteScene, tmp_path: Path
) -> None:
    loaded = loaded_with(write_scene, path=str(mni_h5), array="/PLI")
    found = facts.facts(loaded, tmp_path / "cache")
    data = mni_t1  # the file holds it slice by slice: (197, 233, 189)
    assert found == DataFacts(
        (189, 233, 197), (float(data.min()), float(data.max())), 1.0, (0, 0, 0)
    )
    assert not (tmp_path / "cache").exists()  # nothing measured
    level = facts.facts(loaded_with(write_scene, path=str(mni_h5), array="/PLI", level=2), None)
    with h5py.File(mni_h5) as file:
        stored = file["/PLI_levels/2"]
        assert level.value_range == (float(stored.attrs["min"]), float(stored.attrs["max"]))
        assert level.dims == (stored.shape[2], stored.shape[1], stored.shape[0])


def test_hyperslabs_and_other_files_are_measured_once(
    mni_h5: Path, write_scene: WriteScene, tmp_path: Path
) -> None:
    copy = old(Path(shutil.copy(mni_h5, tmp_path / "mni.h5")))
    loaded = loaded_with(
        write_scene, path=str(copy), array="/PLI", subsample=[1, 3, 3], use_pyramid=False
    )
    with h5py.File(copy) as file:
        part = file["/PLI"][:, ::3, ::3]
    expected = (float(part.min()), float(part.max()))
    cache = tmp_path / "cache"
    assert facts.facts(loaded, cache).value_range == expected
    (entry,) = (cache / "ranges").iterdir()
    document = json.loads(entry.read_text())
    assert document["range"] == list(expected)
    document["range"] = [1.0, 2.0]  # what is remembered is what the next build uses
    entry.write_text(json.dumps(document))
    assert facts.facts(loaded, cache).value_range == (1.0, 2.0)
    assert facts.facts(loaded, cache, measure=False).value_range == (1.0, 2.0)
    os.utime(copy)  # a changed file is measured again
    assert facts.facts(loaded, cache).value_range == expected
    assert facts.facts(loaded, None, measure=False).value_range is None


def test_a_file_written_without_moviec_is_measured(write_scene: WriteScene, tmp_path: Path) -> None:
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as file:
        file["v"] = np.arange(3 * 4 * 5, dtype=np.float32).reshape(3, 4, 5) - 7.5
        file["v"].attrs["min"] = 100.0  # someone else's attribute: not trusted
    loaded = loaded_with(write_scene, path=str(path), array="/v", dtype="float32")
    assert facts.facts(loaded, None).value_range == (-7.5, 51.5)


def test_xdmf_geometry_gives_the_normalisation(write_scene: WriteScene, tmp_path: Path) -> None:
    path = tmp_path / "other.h5"
    with h5py.File(path, "w") as file:
        file["v"] = np.full((4, 6, 10), 3, dtype=np.uint8)
    xdmf = tmp_path / "other.xdmf"
    xdmf.write_text(
        '<?xml version="1.0" ?>\n<Xdmf Version="2.0"><Domain><Grid Name="g">'
        '<Topology TopologyType="3DCoRectMesh" Dimensions="4 6 10"/>'
        '<Geometry GeometryType="ORIGIN_DXDYDZ">'
        '<DataItem Dimensions="3" Format="XML">3 2 1</DataItem>'
        '<DataItem Dimensions="3" Format="XML">4 1 0.5</DataItem></Geometry>'
        '<Attribute Name="v" Center="Node"><DataItem Dimensions="4 6 10" NumberType="UChar" '
        'Precision="1" Format="HDF">other.h5:/v</DataItem></Attribute>'
        "</Grid></Domain></Xdmf>\n"
    )
    scene = write_scene(dataset={"path": str(xdmf), "array": "v"})
    found = facts.facts(load_scene(scene), None)
    # x: 10 points of 0.5 from 1 (length 5); y: 6 of 1 from 2 (6); z: 4 of 4 from 3 (16)
    assert found.dims == (10, 6, 4)
    assert found.scale == 1 / 16
    assert found.offset == pytest.approx((-(1 + 2.5) / 16, -(2 + 3) / 16, -(3 + 8) / 16))
    assert found.value_range == (3.0, 3.0)


@pytest.mark.paraview
def test_the_given_range_and_normalisation_change_no_pixel(
    mni_h5: Path,
    write_scene: WriteScene,
    tmp_path: Path,
    run_pvbatch: Callable[..., Any],
) -> None:
    """The script with dataset.json (the range cached on the array, the normalisation given)
    renders the same bytes as without it (ParaView measures both), with either renderer."""
    for renderer in ("gpu", "ray-cast"):
        scene = write_scene(
            dataset={"path": str(mni_h5), "array": "/PLI", "voxel_size": [1.0, 1.0, 1.0]},
            volume={"renderer": renderer},
            movie={"resolution": [96, 64]},
            camera={"position": [-1.6, 1.2, 0.8], "view_up": [0, 0, 1]},
        )
        out = tmp_path / renderer
        from movie_compiler.__main__ import main

        assert main(["-q", "compile", str(scene), "-o", str(out)]) == 0
        given = json.loads((out / "dataset.json").read_text())
        assert given["scale"] == 1.0 and given["range"] is not None
        with_facts = run_pvbatch(out / "render.py", "--frames", "0:2", "--output", "a", cwd=out)
        (out / "dataset.json").unlink()
        without = run_pvbatch(out / "render.py", "--frames", "0:2", "--output", "b", cwd=out)
        for result in (with_facts, without):
            names = [line.split()[1] for line in result.stdout.splitlines() if "-stage " in line]
            assert names == ["read", "show"]
        first = sorted((out / "a").glob("*/*.png"))
        assert [p.read_bytes() for p in first] == [
            (out / "b" / p.relative_to(out / "a")).read_bytes() for p in first
        ]
        assert len(first) == 2
