"""The bridge from a scene to its data: descriptions, ``check --data``, identity, input files."""

from __future__ import annotations

import os
import re
import shutil
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest

from movie_compiler.__main__ import main
from movie_compiler.config.load import load_scene
from movie_compiler.data import xdmf
from movie_compiler.data.checks import prepare as check_data
from movie_compiler.data.dataset import identity, input_files, write_description
from movie_compiler.data.store import select
from movie_compiler.errors import SceneError

WriteScene = Callable[..., Path]


def loaded_with(write_scene: WriteScene, **dataset: Any) -> Any:
    return load_scene(write_scene(dataset=dataset))


def source_of(write_scene: WriteScene, h5: Path, **dataset: Any) -> dict[str, Any]:
    return identity(loaded_with(write_scene, path=str(h5), array="/PLI", **dataset))["source"]  # type: ignore[no-any-return]


@pytest.fixture
def small_h5(tmp_path: Path) -> Path:
    """A file written without moviec: no stored value range, no pyramid."""
    path = tmp_path / "small.h5"
    with h5py.File(path, "w") as file:
        file["PLI"] = np.arange(4 * 5 * 6, dtype=np.uint8).reshape(4, 5, 6) + 10  # 10 .. 129
        file["flat"] = np.zeros((5, 6), np.uint8)
    return path


# -- descriptions ----------------------------------------------------------------------------


def test_description_of_an_hdf5_scene(
    mni_h5: Path, write_scene: WriteScene, tmp_path: Path
) -> None:
    loaded = loaded_with(write_scene, path=str(mni_h5), array="/PLI", voxel_size=[1.5, 1.0, 1.0])
    out = write_description(loaded, tmp_path / "build" / "dataset.xdmf")
    assert out == tmp_path / "build" / "dataset.xdmf"
    expected = xdmf.describe(select(mni_h5, "/PLI"), (1.5, 1.0, 1.0), "PLI", str(mni_h5))
    assert out.read_text() == expected
    assert [p.name for p in out.parent.iterdir()] == ["dataset.xdmf"]


def test_subsample_is_served_from_a_matching_level(mni_h5: Path, write_scene: WriteScene) -> None:
    full = {"kind": "full", "dataset": "/PLI", "factors": [1, 1, 1], "shape": [197, 233, 189]}
    assert source_of(write_scene, mni_h5) == full
    level = {
        "kind": "level",
        "dataset": "/PLI_levels/2",
        "factors": [1, 4, 4],
        "shape": [197, 59, 48],
        "level": 2,
    }
    assert source_of(write_scene, mni_h5, subsample=[1, 4, 4]) == level
    assert source_of(write_scene, mni_h5, level=2) == level
    slab = {"kind": "hyperslab", "dataset": "/PLI", "factors": [1, 4, 4], "shape": [197, 59, 48]}
    assert source_of(write_scene, mni_h5, subsample=[1, 4, 4], use_pyramid=False) == slab
    odd = source_of(write_scene, mni_h5, subsample=[2, 2, 2])
    assert odd == {
        "kind": "hyperslab",
        "dataset": "/PLI",
        "factors": [2, 2, 2],
        "shape": [99, 117, 95],
    }
    assert source_of(write_scene, mni_h5, level=0) == full


def test_a_missing_dataset_is_located_at_its_scene_line(
    write_scene: WriteScene, tmp_path: Path
) -> None:
    scene = write_scene(dataset={"path": "data/brain.h5", "array": "/PLI"})
    loaded = load_scene(scene)
    with pytest.raises(SceneError) as caught:
        write_description(loaded, tmp_path / "dataset.xdmf")
    assert str(caught.value) == f"{scene}:2:8: dataset.path: {tmp_path}/data/brain.h5: no such file"
    with pytest.raises(SceneError):
        identity(loaded)
    assert not (tmp_path / "dataset.xdmf").exists()


def test_missing_array_and_level_are_located(mni_h5: Path, write_scene: WriteScene) -> None:
    loaded = loaded_with(write_scene, path=str(mni_h5), array="/T1")
    with pytest.raises(SceneError) as caught:
        identity(loaded)
    where = loaded.where(("dataset", "array"))
    assert str(caught.value) == f"{where}: dataset.array: {mni_h5}: no dataset /T1 (it has: /PLI)"
    loaded = loaded_with(write_scene, path=str(mni_h5), array="/PLI", level=4)
    with pytest.raises(SceneError) as caught:
        identity(loaded)
    where = loaded.where(("dataset", "level"))
    assert str(caught.value) == (
        f"{where}: dataset.level: {mni_h5}: no level 4 of /PLI (it has levels 0 to 2)"
    )


def write_xdmf_beside(mni_h5: Path, folder: Path) -> Path:
    """A copy of the MNI file and an XDMF beside it that names it relatively."""
    folder.mkdir(parents=True, exist_ok=True)
    shutil.copy(mni_h5, folder / "mni.h5")
    out = folder / "mni.xdmf"
    args = ["--voxel-size", "1,1,1", "--level", "1", "--name", "T1", "-o", str(out)]
    assert main(["-q", "xdmf", str(folder / "mni.h5"), *args]) == 0
    assert ">mni.h5:/PLI_levels/1<" in out.read_text()
    return out


def test_xdmf_input_is_copied_with_absolute_references(
    mni_h5: Path, write_scene: WriteScene, tmp_path: Path
) -> None:
    source = write_xdmf_beside(mni_h5, tmp_path / "data")
    loaded = loaded_with(write_scene, path="data/mni.xdmf", array="T1")
    out = write_description(loaded, tmp_path / "build" / "dataset.xdmf")
    text = out.read_text()
    assert f">{tmp_path}/data/mni.h5:/PLI_levels/1<" in text
    assert 'Name="T1"' in text
    assert input_files(loaded) == [source, tmp_path / "data" / "mni.h5"]
    found = identity(loaded)
    assert [entry["path"] for entry in found["files"]] == [
        str(source),
        str(tmp_path / "data/mni.h5"),
    ]
    assert found["array"] == "T1"
    assert found["shape"] == [197, 117, 95]
    assert found["source"] == {
        "kind": "xdmf",
        "references": [f"{tmp_path}/data/mni.h5:/PLI_levels/1"],
    }

    misnamed = loaded_with(write_scene, path="data/mni.xdmf", array="Vx")
    with pytest.raises(SceneError) as caught:
        write_description(misnamed, tmp_path / "build" / "dataset.xdmf")
    assert str(caught.value) == (
        f"{misnamed.where(('dataset', 'array'))}: dataset.array: {source}: no attribute "
        "'Vx' (it has: 'T1')"
    )

    (tmp_path / "data" / "mni.h5").unlink()
    with pytest.raises(SceneError) as caught:
        write_description(loaded, tmp_path / "build" / "dataset.xdmf")
    assert str(caught.value) == (
        f"{loaded.where(('dataset', 'path'))}: dataset.path: {source}: refers to "
        f"{tmp_path}/data/mni.h5, which does not exist"
    )


def test_identity_follows_the_file_and_the_choice(
    mni_h5: Path, write_scene: WriteScene, tmp_path: Path
) -> None:
    h5 = tmp_path / "copy.h5"
    shutil.copy(mni_h5, h5)
    loaded = loaded_with(write_scene, path="copy.h5", array="/PLI")
    first = identity(loaded)
    info = h5.stat()
    assert first["files"] == [{"path": str(h5), "size": info.st_size, "mtime_ns": info.st_mtime_ns}]
    assert first["array"] == "/PLI" and first["shape"] == [197, 233, 189]
    assert first["dtype"] == "uint8"
    assert identity(loaded) == first
    os.utime(h5, ns=(info.st_atime_ns, info.st_mtime_ns + 1_000_000))
    assert identity(loaded) != first
    assert input_files(loaded) == [h5]


# -- check --data ----------------------------------------------------------------------------


def check(scene: Path, capsys: pytest.CaptureFixture[str], *options: str) -> tuple[int, str, str]:
    code = main([*options, "check", "--data", str(scene)])
    out, err = capsys.readouterr()
    return code, out, err


def test_check_data_passes_and_warns_about_uncovered_values(
    mni_h5: Path, write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    scene = write_scene(dataset={"path": str(mni_h5), "array": "/PLI"})
    code, out, err = check(scene, capsys)
    where = load_scene(scene).where(("dataset",))
    assert (code, err) == (
        0,
        f"{where}: dataset.dtype: not given; using uint8, as in /PLI in {mni_h5}\n",
    )
    ok, estimate = out.splitlines()
    assert ok.startswith(f"{scene}: ok")
    assert re.fullmatch(  # smart is counted as the GPU mapper; 1920 x 1080
        rf"{re.escape(str(scene))}: memory: about 0\.52 GiB \(volume 0\.01, mapper 0\.01, frame "
        r"0\.07, ParaView 0\.43\) per pvbatch to render 189 x 233 x 197 voxels with 'smart' on "
        r"one rank; \d+\.\d+ GiB available here",
        estimate,
    ), estimate
    colors = [[10, 0.0, 0.0, 0.0], [200, 1.0, 1.0, 1.0]]
    scene = write_scene(dataset={"path": str(mni_h5), "array": "/PLI"}, volume={"colors": colors})
    code, out, err = check(scene, capsys, "-q")
    where = load_scene(scene).where(("volume", "colors"))
    assert code == 0
    assert err == (
        f"warning: {where}: volume.colors: the colour points span 10 to 200, but the data range "
        f"from 0 to 255 (/PLI in {mni_h5}): values outside the points take the end colours\n"
    )


def test_check_data_reports_every_problem(
    small_h5: Path, write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    colors = [[150, 0.0, 0.0, 0.0], [255, 1.0, 1.0, 1.0]]
    dataset = {"path": "small.h5", "array": "/PLI", "dtype": "int16"}
    scene = write_scene(dataset=dataset, volume={"colors": colors})
    loaded = load_scene(scene)
    code, _, err = check(scene, capsys)
    assert code == 2
    assert err == (
        f"{small_h5}: no stored value range for /PLI; reading the data (moviec convert stores "
        "it)\n"
        f"{loaded.where(('dataset', 'dtype'))}: dataset.dtype: is 'int16', but /PLI in "
        f"{small_h5} holds uint8\n"
        f"{loaded.where(('volume', 'colors'))}: volume.colors: the colour points span 150 to 255, "
        f"but the data range from 10 to 129 (/PLI in {small_h5}): they do not overlap\n"
    )


@pytest.mark.parametrize(
    ("dataset", "key", "message"),
    [
        ({"array": "/flat"}, "array", "{h5}: /flat has 2 dimensions (5 x 6); expected 3"),
        (
            {"subsample": [1, 1, 8]},
            "subsample",
            "{h5}: subsample [1, 1, 8] does not fit /PLI of 4 x 5 x 6 (each factor at most the "
            "axis length)",
        ),
        (
            {"level": 1},
            "level",
            "{h5}: no level 1 of /PLI (it has no pyramid: moviec convert --levels N writes one)",
        ),
    ],
)
def test_check_data_shape_problems(
    small_h5: Path, write_scene: WriteScene, dataset: dict[str, Any], key: str, message: str
) -> None:
    loaded = loaded_with(write_scene, path="small.h5", **{"array": "/PLI", **dataset})
    with pytest.raises(SceneError) as caught:
        check_data(loaded)
    where = loaded.where(("dataset", key))
    assert str(caught.value) == f"{where}: dataset.{key}: {message.format(h5=small_h5)}"


def test_check_data_of_an_xdmf_scene(
    mni_h5: Path, write_scene: WriteScene, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    write_xdmf_beside(mni_h5, tmp_path / "data")
    scene = write_scene(dataset={"path": "data/mni.xdmf", "array": "T1"})
    assert check(scene, capsys)[0] == 0
    scene = write_scene(dataset={"path": "data/mni.xdmf", "array": "T2"})
    code, _, err = check(scene, capsys)
    where = load_scene(scene).where(("dataset", "array"))
    assert code == 2
    assert (
        err
        == f"{where}: dataset.array: {tmp_path}/data/mni.xdmf: no attribute 'T2' (it has: 'T1')\n"
    )


# -- compile, and real ParaView --------------------------------------------------------------


@pytest.mark.paraview
def test_compiled_descriptions_load_in_paraview(
    mni_h5: Path, write_scene: WriteScene, tmp_path: Path, run_pvbatch: Callable[..., Any]
) -> None:
    from test_xdmf import read_in_paraview

    write_xdmf_beside(mni_h5, tmp_path / "data")
    scenes = {
        "level": write_scene(
            name="level.toml",
            dataset={"path": str(mni_h5), "array": "/PLI", "subsample": [1, 4, 4]},
        ),
        "slab": write_scene(
            name="slab.toml",
            dataset={
                "path": str(mni_h5),
                "array": "/PLI",
                "subsample": [1, 4, 4],
                "use_pyramid": False,
            },
        ),
        "xdmf": write_scene(name="xdmf.toml", dataset={"path": "data/mni.xdmf", "array": "T1"}),
    }
    for name, scene in scenes.items():
        assert main(["-q", "compile", str(scene), "-o", str(tmp_path / name)]) == 0
    files = [tmp_path / name / "dataset.xdmf" for name in scenes]
    found = read_in_paraview(run_pvbatch, tmp_path, files)
    level, slab, copied = (found[str(f)] for f in files)
    assert level["extent"] == slab["extent"] == [0, 47, 0, 58, 0, 196]
    assert level["bounds"] == pytest.approx(slab["bounds"])
    assert level["range"] != slab["range"]  # a block mean is not a strided sample
    assert copied["extent"] == [0, 94, 0, 116, 0, 196] and copied["name"] == "T1"
    for seen in (level, slab, copied):
        assert seen["scale"] == pytest.approx(1.0)
        assert seen["offset"] == pytest.approx([0.0, 0.0, 0.0], abs=1e-12)
