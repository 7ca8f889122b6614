"""The data check that runs before anything is rendered: values taken from the file, element
type and voxel size compared, value ranges against the transfer functions, degenerate data.

Every class is checked through ``check --data`` and through ``build`` / ``compile``, which
must stop at exit 2 before writing anything (no ParaView is needed to get there)."""

from __future__ import annotations

import os
import threading
from collections.abc import Callable
from pathlib import Path
from typing import Any

import h5py
import nibabel
import numpy as np
import pytest

from movie_compiler.__main__ import main
from movie_compiler.config.load import load_scene
from movie_compiler.data.checks import prepare
from movie_compiler.errors import SceneError

WriteScene = Callable[..., Path]


def write_h5(
    path: Path,
    data: np.ndarray,
    name: str = "vol",
    *,
    voxel_size: list[float] | None = None,
    unit: str | None = None,
    value_range: tuple[float, float] | None = None,
) -> Path:
    with h5py.File(path, "w") as file:
        file[name] = data
        if voxel_size is not None:
            file[name].attrs["voxel_size"] = np.array(voxel_size, dtype="float64")
        if unit is not None:
            file[name].attrs["unit"] = np.bytes_(unit)
        if value_range is not None:
            file[name].attrs["min"], file[name].attrs["max"] = value_range
    return path


def ramp(shape: tuple[int, int, int] = (4, 5, 6), dtype: str = "uint8") -> np.ndarray:
    return np.arange(int(np.prod(shape)), dtype="float64").reshape(shape).astype(dtype)


def run(capsys: pytest.CaptureFixture[str], *args: str) -> tuple[int, str, str]:
    code = main(list(args))
    out, err = capsys.readouterr()
    return code, out, err


def scene_on(write_scene: WriteScene, h5: Path, top: float = 119, **dataset: Any) -> Path:
    """A scene on ``h5`` (array /vol) whose points span 0 to ``top`` (the ramp's values)."""
    table = {"path": h5.name, "array": "/vol", **dataset}
    table = {k: v for k, v in table.items() if v is not None}
    colors = [[0, 0.0, 0.0, 0.0], [top, 1.0, 1.0, 1.0]]
    opacity = [[0, 0.0], [top, 1.0]]
    scene = {
        "dataset": table,
        "volume": {"colors": colors, "opacity": opacity},
        "camera": {"position": [0.0, 0.0, 2.0]},
        "shots": [{"type": "orbit", "frames": 4}],
    }
    return write_scene(scene=scene)


# -- values the scene leaves to the file ------------------------------------------------------


def test_dtype_voxel_size_and_unit_come_from_the_file_and_say_so(
    tmp_path: Path, write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    h5 = write_h5(
        tmp_path / "b.h5",
        ramp(dtype="float32"),
        voxel_size=[2.0, 1.0, 1.0],
        unit="mm",
        value_range=(0.0, 119.0),
    )
    scene = scene_on(write_scene, h5, voxel_size=None)
    loaded = load_scene(scene)
    where = loaded.where(("dataset",))
    code, _, err = run(capsys, "check", "--data", str(scene))
    assert (code, err) == (
        0,
        (
            f"{where}: dataset.dtype: not given; using float32, as in /vol in {h5}\n"
            f"{where}: dataset.voxel_size: not given; using [2, 1, 1] mm, as recorded in /vol in "
            f"{h5}\n"
        ),
    )
    assert loaded.scene.dataset.dtype is None
    completed = prepare(loaded)
    assert completed.scene.dataset.dtype == "float32"
    assert completed.scene.dataset.voxel_size == (2.0, 1.0, 1.0)
    assert completed.scene.dataset.unit == "mm"
    assert completed.digest == loaded.digest  # the scene as written names the movie


def test_a_scene_that_states_what_the_file_says_is_the_same_scene(
    tmp_path: Path, write_scene: WriteScene
) -> None:
    h5 = write_h5(tmp_path / "b.h5", ramp(), voxel_size=[2.0, 1.0, 1.0], unit="mm")
    implicit = prepare(load_scene(scene_on(write_scene, h5)))
    explicit_scene = scene_on(write_scene, h5, voxel_size=[2.0, 1.0, 1.0], unit="mm", dtype="uint8")
    explicit = prepare(load_scene(explicit_scene))
    assert implicit.scene.dataset == explicit.scene.dataset


def test_a_scene_without_voxel_size_over_a_file_without_one(
    tmp_path: Path, write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    h5 = write_h5(tmp_path / "b.h5", ramp())
    scene = scene_on(write_scene, h5, dtype="uint8")
    where = load_scene(scene).where(("dataset", "voxel_size"))
    code, _, err = run(capsys, "check", "--data", str(scene))
    assert code == 2
    assert err.splitlines()[-1] == (
        f"{where}: dataset.voxel_size: not given, and /vol in {h5} records none; give "
        "[z, y, x], slowest axis first (or convert with --voxel-size)"
    )


@pytest.mark.parametrize(
    ("dataset", "key", "message"),
    [
        ({"dtype": "uint16"}, "dtype", "is 'uint16', but /vol in {h5} holds uint8"),
        (
            {"voxel_size": [1.0, 1.0, 1.0]},
            "voxel_size",
            "is [1, 1, 1] mm, but /vol in {h5} records [2, 1, 1] mm; correct one of them (or "
            "leave voxel_size out to use the file's)",
        ),
        (
            {"voxel_size": [2.0, 1.0, 1.0], "unit": "um"},
            "voxel_size",
            "is [2, 1, 1] um, but /vol in {h5} records [2, 1, 1] mm; correct one of them (or "
            "leave voxel_size out to use the file's)",
        ),
    ],
)
def test_what_disagrees_with_the_file_is_located(
    tmp_path: Path,
    write_scene: WriteScene,
    capsys: pytest.CaptureFixture[str],
    dataset: dict[str, Any],
    key: str,
    message: str,
) -> None:
    h5 = write_h5(tmp_path / "b.h5", ramp(), voxel_size=[2.0, 1.0, 1.0], unit="mm")
    scene = scene_on(write_scene, h5, **dataset)
    where = load_scene(scene).where(("dataset", key))
    expected = f"{where}: dataset.{key}: {message.format(h5=h5)}\n"
    code, _, err = run(capsys, "-q", "check", "--data", str(scene))
    assert (code, err) == (2, expected)
    # The build stops at the same line before writing anything (no ParaView needed).
    code, _, err = run(capsys, "-q", "build", str(scene))
    assert (code, err) == (2, expected)
    assert not (tmp_path / ".moviec").exists()


def test_voxel_sizes_compare_across_units(
    tmp_path: Path, write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    h5 = write_h5(tmp_path / "b.h5", ramp(), voxel_size=[2.0, 1.0, 1.0], unit="mm")
    scene = scene_on(write_scene, h5, voxel_size=[2000.0, 1000.0, 1000.0], unit="um")
    assert run(capsys, "-q", "check", "--data", str(scene))[0] == 0


def test_the_filled_dtype_checks_the_scalars(
    tmp_path: Path, write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    h5 = write_h5(tmp_path / "b.h5", ramp(dtype="int8"), voxel_size=[1.0, 1.0, 1.0])
    scene = write_scene(
        dataset={"path": h5.name, "array": "/vol"},
        volume={"colors": [[0, 0.0, 0.0, 0.0], [200, 1.0, 1.0, 1.0]]},
    )
    where = load_scene(scene).where(("volume", "colors", 1, 0))
    code, _, err = run(capsys, "-q", "check", "--data", str(scene))
    assert code == 2
    assert err.splitlines()[0] == (
        f"{where}: volume.colors[1][0]: scalar 200 is outside the range of dataset.dtype = "
        "'int8' (-128 to 127)"
    )


def test_an_element_type_moviec_does_not_render(
    tmp_path: Path, write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    h5 = write_h5(tmp_path / "b.h5", ramp(dtype="float16"), voxel_size=[1.0, 1.0, 1.0])
    scene = scene_on(write_scene, h5)
    where = load_scene(scene).where(("dataset", "array"))
    code, _, err = run(capsys, "-q", "check", "--data", str(scene))
    assert code == 2
    assert err.splitlines()[0] == (
        f"{where}: dataset.array: /vol in {h5} holds float16; moviec renders uint8, int8, "
        "uint16, int16, uint32, int32, float32, float64 (convert it)"
    )


# -- value ranges against the transfer functions ----------------------------------------------


@pytest.mark.parametrize(
    ("points", "ending"),
    [
        # points 0 to 255 over data 0 to 383
        ((0, 255), "values outside the points take the end {ends}"),
        # data 0 to 383 fill 3 % of points 0 to 12000: almost one colour
        ((0, 12000), "the data use 3% of the points' span and show almost one colour and opacity"),
    ],
)
def test_points_that_do_not_span_the_data_warn_and_fail_under_strict(
    tmp_path: Path,
    write_scene: WriteScene,
    capsys: pytest.CaptureFixture[str],
    points: tuple[float, float],
    ending: str,
) -> None:
    data = ramp(dtype="float32") * (383.0 / 119.0)
    h5 = write_h5(tmp_path / "b.h5", data, voxel_size=[1.0, 1.0, 1.0], value_range=(0.0, 383.0))
    low, high = points
    scene = write_scene(
        dataset={"path": h5.name, "array": "/vol"},
        volume={
            "colors": [[low, 0.0, 0.0, 0.0], [high, 1.0, 1.0, 1.0]],
            "opacity": [[low, 0.0], [high, 1.0]],
        },
    )
    loaded = load_scene(scene)
    lines = []
    for key, label, ends in (("colors", "colour", "colours"), ("opacity", "opacity", "opacities")):
        lines.append(
            f"{loaded.where(('volume', key))}: volume.{key}: the {label} points span {low:g} to "
            f"{high:g}, but the data range from 0 to 383 (/vol in {h5}): "
            + ending.format(ends=ends)
        )
    code, _, err = run(capsys, "-q", "check", "--data", str(scene))
    assert (code, err) == (0, "".join(f"warning: {line}\n" for line in lines))
    code, _, err = run(capsys, "-q", "check", "--data", "--strict", str(scene))
    assert (code, err) == (2, "".join(f"{line}\n" for line in lines))
    code, _, err = run(capsys, "-q", "build", "--strict", str(scene))
    assert (code, err) == (2, "".join(f"{line}\n" for line in lines))
    assert not (tmp_path / ".moviec").exists()


# -- degenerate data ----------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("shape", "dataset", "key", "message"),
    [
        (
            (0, 5, 6),
            {},
            "array",
            "/vol in {h5} is 0 x 5 x 6: an axis with no voxels; volume rendering needs at "
            "least 2 voxels along every axis",
        ),
        (
            (1, 1, 1),
            {},
            "array",
            "/vol in {h5} is 1 x 1 x 1: an axis with a single voxel; volume rendering needs at "
            "least 2 voxels along every axis",
        ),
        (
            (4, 5, 6),
            {"subsample": [1, 5, 1]},
            "subsample",
            "this subsample reads 4 x 1 x 6 of /vol in {h5} (4 x 5 x 6); volume rendering "
            "needs at least 2 voxels along every axis",
        ),
        (
            (4, 5, 6),
            {"voxel_size": [1e300, 1.0, 1e-300]},
            "voxel_size",
            "[1e+300, 1, 1e-300] over 4 x 5 x 6 voxels gives no usable spacing once the "
            "longest axis spans 1 (the sizes differ too much, or overflow)",
        ),
        (
            (4, 5, 6),
            {"voxel_size": [1e308, 1.0, 1.0]},
            "voxel_size",
            "[1e+308, 1, 1] over 4 x 5 x 6 voxels gives no usable spacing once the longest "
            "axis spans 1 (the sizes differ too much, or overflow)",
        ),
    ],
)
def test_degenerate_data_is_located_and_nothing_is_written(
    tmp_path: Path,
    write_scene: WriteScene,
    capsys: pytest.CaptureFixture[str],
    shape: tuple[int, int, int],
    dataset: dict[str, Any],
    key: str,
    message: str,
) -> None:
    h5 = write_h5(tmp_path / "b.h5", ramp(shape), value_range=(0, 119))
    scene = scene_on(write_scene, h5, **{"voxel_size": [1.0, 1.0, 1.0], **dataset})
    where = load_scene(scene).where(("dataset", key))
    expected = f"{where}: dataset.{key}: {message.format(h5=h5)}\n"
    before = sorted(os.listdir(tmp_path))
    for command in (["check", "--data"], ["build"], ["compile", "-o", str(tmp_path / "out")]):
        code, _, err = run(capsys, "-q", *command, str(scene))
        assert (command[0], code, err) == (command[0], 2, expected)
    assert sorted(os.listdir(tmp_path)) == before  # no .moviec, no out/


@pytest.mark.parametrize(
    ("name", "why"),
    [
        ("a:b", "holds ':', where ParaView's XDMF reader splits FILE:DATASET"),
        ("\u00e9t\u00e9", "is not ASCII, which ParaView's XDMF reader cannot open (it crashes)"),
        ("trail ", "ends in a blank, which ParaView's XDMF reader drops"),
    ],
)
def test_dataset_names_the_xdmf_reader_cannot_follow(
    tmp_path: Path,
    write_scene: WriteScene,
    capsys: pytest.CaptureFixture[str],
    name: str,
    why: str,
) -> None:
    h5 = write_h5(tmp_path / "b.h5", ramp(), name, voxel_size=[1.0, 1.0, 1.0])
    scene = scene_on(write_scene, h5, array="/" + name)
    where = load_scene(scene).where(("dataset", "array"))
    expected = (
        f"{where}: dataset.array: the HDF5 dataset name {'/' + name!r} {why}; rename it in the "
        "file (h5py: file.move(old, new))\n"
    )
    for command in (["check", "--data"], ["build"]):
        assert run(capsys, "-q", *command, str(scene))[::2] == (2, expected)
    assert not (tmp_path / ".moviec").exists()


def test_a_fifo_as_dataset_is_refused_without_opening_it(
    tmp_path: Path, write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    fifo = tmp_path / "pipe.h5"
    os.mkfifo(fifo)
    scene = scene_on(write_scene, fifo)
    where = load_scene(scene).where(("dataset", "path"))
    result: list[tuple[int, str, str]] = []
    worker = threading.Thread(
        target=lambda: result.append(run(capsys, "check", "--data", str(scene)))
    )
    worker.start()
    worker.join(timeout=60)
    if worker.is_alive():  # unblock the reader so the test process can end
        with open(fifo, "wb"):
            pass
        worker.join()
        pytest.fail("check --data blocked on a FIFO")
    assert result[0][::2] == (2, f"{where}: dataset.path: {fifo}: not a regular file\n")


# -- moviec convert tells what it stored ---------------------------------------------------------


def test_a_nifti_of_floats_needs_no_numbers_typed_by_hand(
    tmp_path: Path, write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    data = (np.arange(6 * 5 * 4, dtype="float32").reshape(6, 5, 4) * 3.2).astype("float32")
    image = nibabel.Nifti1Image(data, np.diag([1.5, 1.0, 0.5, 1.0]))
    image.header.set_zooms((1.5, 1.0, 0.5))
    image.header.set_xyzt_units("mm")
    nifti = tmp_path / "brain.nii.gz"
    nibabel.save(image, nifti)
    h5 = tmp_path / "brain.h5"
    code, _, err = run(capsys, "convert", str(nifti), "-o", str(h5), "--array", "/T1")
    assert code == 0
    assert (
        f"wrote {h5}: /T1 of 4 x 5 x 6 float32, values 0 to 380.8, voxel size 0.5 x 1 x 1.5 "
        "mm\n" in err
    )
    scene = scene_on(write_scene, h5, top=380.8, array="/T1")
    completed = prepare(load_scene(scene))
    dataset = completed.scene.dataset
    assert (dataset.dtype, dataset.voxel_size, dataset.unit) == ("float32", (0.5, 1.0, 1.5), "mm")
    # Not even the data's range: points as fractions of it.
    scene = scene_on(write_scene, h5, top=1.0, array="/T1")
    scene.write_text(scene.read_text().replace("[volume]\n", '[volume]\nscalars = "fraction"\n'))
    volume = prepare(load_scene(scene)).scene.volume
    assert volume.scalars == "data"
    assert [p[0] for p in volume.colors] == pytest.approx([0.0, 380.8], rel=1e-6)
    assert [p[0] for p in volume.opacity] == pytest.approx([0.0, 380.8], rel=1e-6)


def test_fractions_are_shares_of_the_data_range_also_in_keyframes(
    tmp_path: Path, write_scene: WriteScene
) -> None:
    data = np.linspace(10, 129, 4 * 5 * 6).astype(np.float32).reshape(4, 5, 6)
    h5 = write_h5(tmp_path / "b.h5", data, voxel_size=[1.0, 1.0, 1.0], value_range=(10, 129))
    scene = scene_on(write_scene, h5, top=1.0)
    text = scene.read_text()
    text = text.replace("[volume]\n", '[volume]\nscalars = "fraction"\n', 1)
    scene.write_text(text + "keyframes = [{ at = 1, opacity = [[0.5, 0.0], [1.0, 1.0]] }]\n")
    completed = prepare(load_scene(scene))
    low, high = 10.0, 129.0  # the ramp's values
    assert [p[0] for p in completed.scene.volume.colors] == [low, high]
    keyframe = completed.scene.shots[0].keyframes[0]
    assert keyframe.opacity is not None
    assert [p[0] for p in keyframe.opacity] == [low + 0.5 * (high - low), high]


def test_convert_stores_the_unit_it_is_given(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slices = tmp_path / "slices"
    slices.mkdir()
    for index in range(3):
        np.full((4, 5), index, np.uint16).tofile(slices / f"s{index}.raw")
    h5 = tmp_path / "out.h5"
    args = ["--slice-shape", "4,5", "--dtype", "uint16", "--voxel-size", "2,1,1", "--unit", "um"]
    code, _, err = run(capsys, "convert", str(slices), "-o", str(h5), "--levels", "1", *args)
    assert code == 0
    assert (
        f"wrote {h5}: /volume of 3 x 4 x 5 uint16, values 0 to 2, voxel size 2 x 1 x 1 um, "
        "1 pyramid level\n" in err
    )
    with h5py.File(h5) as file:
        assert file["volume"].attrs["unit"] == b"um"


def test_scene_errors_raise_before_the_value_range_is_read(
    tmp_path: Path, write_scene: WriteScene
) -> None:
    h5 = write_h5(tmp_path / "b.h5", ramp(), voxel_size=[1.0, 1.0, 1.0])
    loaded = load_scene(scene_on(write_scene, h5, array="/missing"))
    with pytest.raises(SceneError) as caught:
        prepare(loaded)
    assert str(caught.value).endswith(f"dataset.array: {h5}: no dataset /missing (it has: /vol)")


@pytest.mark.parametrize(
    ("shape", "options", "message"),
    [
        ((0, 5, 6), [], "/vol in {h5} is 0 x 5 x 6: an axis with no voxels"),
        ((1, 1, 1), [], "/vol in {h5} is 1 x 1 x 1: an axis with a single voxel"),
        ((4, 5, 6), ["--subsample", "4,1,1"], "--subsample reads 1 x 5 x 6 of /vol in {h5}"),
    ],
)
def test_the_xdmf_command_refuses_degenerate_data_without_a_traceback(
    tmp_path: Path,
    capsys: pytest.CaptureFixture[str],
    shape: tuple[int, int, int],
    options: list[str],
    message: str,
) -> None:
    h5 = write_h5(tmp_path / "b.h5", ramp(shape), voxel_size=[1.0, 1.0, 1.0])
    out = tmp_path / "b.xdmf"
    code, _, err = run(capsys, "xdmf", str(h5), "-o", str(out), *options)
    assert code == 2
    assert err.startswith(message.format(h5=h5))
    assert not out.exists()


def test_the_xdmf_command_refuses_unusable_spacing(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    h5 = write_h5(tmp_path / "b.h5", ramp())
    out = tmp_path / "b.xdmf"
    code, _, err = run(capsys, "xdmf", str(h5), "-o", str(out), "--voxel-size", "1e308,1,1")
    assert (code, err) == (
        2,
        "[1e+308, 1, 1] over 4 x 5 x 6 voxels gives no usable spacing once the longest axis "
        "spans 1 (the sizes differ too much, or overflow)\n",
    )
    assert not out.exists()


def test_a_build_does_not_read_a_large_volume_for_its_value_range(
    tmp_path: Path, write_scene: WriteScene, capsys: pytest.CaptureFixture[str]
) -> None:
    """Without a stored range, a build compares the points only if the data is small enough to
    read quickly; ``check --data`` always reads it."""
    h5 = write_h5(tmp_path / "b.h5", ramp(), voxel_size=[1.0, 1.0, 1.0])  # no stored range
    scene = scene_on(write_scene, h5, top=20)  # points 0 to 20 over values 0 to 119
    loaded = load_scene(scene)
    prepare(loaded, scan_limit=100)  # 120 bytes: not read, nothing to warn about
    assert "warning" not in capsys.readouterr().err
    code, _, err = run(capsys, "-q", "check", "--data", str(scene))
    assert code == 0 and "values outside the points take the end colours" in err
