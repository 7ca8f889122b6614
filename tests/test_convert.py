"""``moviec convert`` end to end: real data read back bit-exact, the pyramid against an
independent reference, bad inputs, interruption and resume (including ``kill -9``)."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import time
from pathlib import Path
from typing import Any

import h5py
import numpy as np
import pytest
import tifffile

from movie_compiler.__main__ import main
from movie_compiler.data import pyramid
from movie_compiler.data.convert import Options, convert
from movie_compiler.data.readers import open_stack
from movie_compiler.errors import InputError

RAW = ["--slice-shape", "233,189", "--dtype", "uint8"]


def write_raw(folder: Path, volume: np.ndarray) -> Path:
    folder.mkdir(parents=True, exist_ok=True)
    for index, plane in enumerate(volume):
        np.ascontiguousarray(plane).tofile(folder / f"slice_{index}.raw")
    return folder


def content(path: Path) -> dict[str, Any]:
    """Every dataset and attribute of an HDF5 file."""
    out: dict[str, Any] = {}

    def visit(name: str, item: Any) -> None:
        attrs = {key: np.asarray(value).tolist() for key, value in item.attrs.items()}
        data = item[...] if isinstance(item, h5py.Dataset) else None
        out[name] = (data, attrs)

    with h5py.File(path, "r") as file:
        file.visititems(visit)
    return out


def assert_same_content(a: Path, b: Path) -> None:
    first, second = content(a), content(b)
    assert sorted(first) == sorted(second)
    for name in first:
        data_a, attrs_a = first[name]
        data_b, attrs_b = second[name]
        assert attrs_a == attrs_b, name
        assert (data_a is None and data_b is None) or np.array_equal(data_a, data_b), name


def reference_level(previous: np.ndarray, halve_z: bool) -> np.ndarray:
    """A 2x block mean written independently of the converter: pad odd axes with the edge,
    average the blocks, round halves up."""
    axes = (0, 1, 2) if halve_z else (1, 2)
    pad = [(0, previous.shape[a] % 2 if a in axes else 0) for a in range(3)]
    padded = np.pad(previous.astype(np.float64), pad, mode="edge")
    z, y, x = padded.shape
    if halve_z:
        blocks = padded.reshape(z // 2, 2, y // 2, 2, x // 2, 2).mean(axis=(1, 3, 5))
    else:
        blocks = padded.reshape(z, y // 2, 2, x // 2, 2).mean(axis=(2, 4))
    if previous.dtype.kind == "f":
        return blocks.astype(previous.dtype)
    return np.floor(blocks + 0.5).astype(previous.dtype)


def leftovers(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir() if p.suffix in (".h5", ".partial", ".json"))


# -- real data, bit-exact ----------------------------------------------------------------------


def test_raw_slices_convert_bit_exact(
    mni_t1: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slices = write_raw(tmp_path / "slices", mni_t1)
    out = tmp_path / "out" / "mni.h5"
    assert main(["convert", str(slices), "-o", str(out), "--array", "/PLI", *RAW]) == 0
    err = capsys.readouterr().err
    assert (
        f"197 slices of 233 x 189 uint8 from 197 raw files, in this order: {slices}/slice_0.raw, "
        f"{slices}/slice_1.raw, {slices}/slice_2.raw, ..., {slices}/slice_195.raw, "
        f"{slices}/slice_196.raw\n"
    ) in err
    with h5py.File(out, "r") as file:
        dataset = file["PLI"]
        assert np.array_equal(dataset[...], mni_t1)
        assert dataset.chunks == (1, 233, 189)
        assert dataset.compression is None
        assert (dataset.attrs["min"], dataset.attrs["max"]) == (mni_t1.min(), mni_t1.max())
        assert list(dataset.attrs["factor"]) == [1, 1, 1]
        assert "voxel_size" not in dataset.attrs
    assert out.read_bytes()[8] == 0  # superblock version 0: any HDF5 reads it
    assert leftovers(out.parent) == ["mni.h5"]


def test_tiff_slices_and_stacks_convert_bit_exact(mni_t1: np.ndarray, tmp_path: Path) -> None:
    single = tmp_path / "single"
    single.mkdir()
    for index, plane in enumerate(mni_t1):
        tifffile.imwrite(single / f"slice_{index}.tif", plane)
    tifffile.imwrite(tmp_path / "stack_1.tiff", mni_t1[:100], photometric="minisblack")
    tifffile.imwrite(tmp_path / "stack_2.tiff", mni_t1[100:], photometric="minisblack")
    assert main(["-q", "convert", str(single), "-o", str(tmp_path / "a.h5")]) == 0
    stacks = [str(tmp_path / "stack_2.tiff"), str(tmp_path / "stack_1.tiff")]
    assert main(["-q", "convert", *stacks, "-o", str(tmp_path / "b.h5"), "--dtype", "uint8"]) == 0
    for name in ("a.h5", "b.h5"):
        with h5py.File(tmp_path / name, "r") as file:
            assert np.array_equal(file["volume"][...], mni_t1), name


def test_nifti_converts_in_its_on_disk_order(mni_t1: np.ndarray, tmp_path: Path) -> None:
    from conftest import mni_template_path

    out = tmp_path / "mni.h5"
    assert main(["-q", "convert", str(mni_template_path()), "-o", str(out), "--levels", "1"]) == 0
    with h5py.File(out, "r") as file:
        assert np.array_equal(file["volume"][...], mni_t1.transpose(2, 1, 0))
        assert list(file["volume"].attrs["voxel_size"]) == [1.0, 1.0, 1.0]
        level = file["volume_levels/1"]
        assert list(level.attrs["factor"]) == [2, 2, 2]  # isotropic voxels: all axes halve
        assert list(level.attrs["voxel_size"]) == [2.0, 2.0, 2.0]


def test_nifti_orientation_is_printed_and_stored(
    tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """The header's affine says which way x, y, z point: the template is RAS."""
    from conftest import mni_template_path

    out = tmp_path / "mni.h5"
    assert main(["convert", str(mni_template_path()), "-o", str(out)]) == 0
    assert 'set dataset.orientation = "RAS" in the scene' in capsys.readouterr().err
    with h5py.File(out, "r") as file:
        assert file["volume"].attrs["orientation"] == b"RAS"


def test_raw_slices_store_no_orientation(tmp_path: Path) -> None:
    slices = write_raw(tmp_path / "in", np.zeros((3, 4, 6), np.uint8))
    out = tmp_path / "raw.h5"
    args = ["--slice-shape", "4,6", "--dtype", "uint8"]
    assert main(["-q", "convert", str(slices), "-o", str(out), *args]) == 0
    with h5py.File(out, "r") as file:
        assert "orientation" not in file["volume"].attrs


# -- the pyramid -------------------------------------------------------------------------------


@pytest.mark.parametrize(
    ("voxel_size", "factors"),
    [
        (None, [(1, 2, 2), (1, 4, 4), (1, 8, 8)]),
        ("1,1,1", [(2, 2, 2), (4, 4, 4), (8, 8, 8)]),
        ("4,1,1", [(1, 2, 2), (1, 4, 4), (2, 8, 8)]),
    ],
)
def test_pyramid_levels_are_block_means(
    mni_t1: np.ndarray, tmp_path: Path, voxel_size: str | None, factors: list[Any]
) -> None:
    crop = np.ascontiguousarray(mni_t1[80:93, 90:127, 70:99])  # 13 x 37 x 29: all odd
    slices = write_raw(tmp_path / "slices", crop)
    out = tmp_path / "p.h5"
    extra = ["--voxel-size", voxel_size] if voxel_size else []
    args = ["--slice-shape", "37,29", "--dtype", "uint8", "--levels", "3", *extra]
    assert main(["-q", "convert", str(slices), "-o", str(out), *args]) == 0
    with h5py.File(out, "r") as file:
        previous, previous_factor = crop, (1, 1, 1)
        for level, factor in enumerate(factors, start=1):
            dataset = file[f"volume_levels/{level}"]
            assert tuple(dataset.attrs["factor"]) == factor
            assert dataset.attrs["level"] == level
            expected = reference_level(previous, factor[0] != previous_factor[0])
            assert dataset.shape == pyramid.level_shape(crop.shape, factor)
            assert np.array_equal(dataset[...], expected), f"level {level}"
            assert (dataset.attrs["min"], dataset.attrs["max"]) == (expected.min(), expected.max())
            previous, previous_factor = expected, factor


def test_pyramid_factors_keep_the_seed_voxels_near_cubes() -> None:
    factors = pyramid.plan_factors((234, 28721, 31076), 6, (40.0, 1.0, 1.0))
    assert factors == [(1, 2, 2), (1, 4, 4), (1, 8, 8), (1, 16, 16), (1, 32, 32), (2, 64, 64)]
    assert pyramid.max_levels((234, 28721, 31076)) == 14


@pytest.mark.parametrize("dtype", ["int16", "float32", "uint16"])
def test_pyramid_of_other_types(dtype: str) -> None:
    rng = np.random.default_rng(7)
    volume = rng.integers(-3000, 3000, size=(5, 9, 11)).astype(dtype)
    if dtype == "float32":
        volume = volume / np.float32(7)
    elif dtype == "uint16":
        volume = volume + np.uint16(3000)
    builder = pyramid.Builder(volume.dtype, [(2, 2, 2)])
    emitted = [e for plane in volume for e in builder.push(plane)] + builder.finish()
    level = np.stack([data for _, _, data in emitted])
    assert [index for _, index, _ in emitted] == [0, 1, 2]
    expected = reference_level(volume, halve_z=True)
    if dtype == "float32":
        assert np.allclose(level, expected, rtol=1e-6)
    else:
        assert np.array_equal(level, expected)


def test_gzip_writes_the_same_content(mni_t1: np.ndarray, tmp_path: Path) -> None:
    slices = write_raw(tmp_path / "slices", mni_t1)
    plain, packed = tmp_path / "plain.h5", tmp_path / "packed.h5"
    args = [*RAW, "--levels", "2", "--voxel-size", "2,1,1"]
    assert main(["-q", "convert", str(slices), "-o", str(plain), *args]) == 0
    assert (
        main(["-q", "convert", str(slices), "-o", str(packed), *args, "--compression", "gzip"]) == 0
    )
    assert_same_content(plain, packed)
    with h5py.File(packed, "r") as file:
        assert file["volume"].compression == "gzip"
        assert file["volume"].chunks == (1, 233, 189)
    assert packed.stat().st_size < plain.stat().st_size / 2


# -- bad inputs --------------------------------------------------------------------------------


def run_failing(args: list[str], capsys: pytest.CaptureFixture[str]) -> str:
    assert main(["-q", "convert", *args]) == 2
    return capsys.readouterr().err


def test_a_slice_of_the_wrong_size_stops_before_writing(
    mni_t1: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slices = write_raw(tmp_path / "slices", mni_t1[:20])
    bad = slices / "slice_13.raw"
    bad.write_bytes(bad.read_bytes()[:-189])
    err = run_failing([str(slices), "-o", str(tmp_path / "out.h5"), *RAW], capsys)
    assert err == f"{bad}: expected 44037 bytes (233 x 189 uint8), got 43848\n"
    assert leftovers(tmp_path) == []


def test_mixed_shapes_and_dtypes_and_missing_files(
    mni_t1: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    tifffile.imwrite(tmp_path / "a_1.tif", mni_t1[0])
    tifffile.imwrite(tmp_path / "a_2.tif", mni_t1[1, :200])
    out = ["-o", str(tmp_path / "out.h5")]
    err = run_failing([str(tmp_path / "a_1.tif"), str(tmp_path / "a_2.tif"), *out], capsys)
    assert err == (
        f"{tmp_path}/a_2.tif: expected 233 x 189 slices (as in {tmp_path}/a_1.tif), got 200 x 189\n"
    )
    err = run_failing([str(tmp_path / "a_1.tif"), *out, "--dtype", "uint16"], capsys)
    assert err == f"{tmp_path}/a_1.tif: expected uint16 (--dtype), got uint8\n"
    err = run_failing([str(tmp_path / "a_1.tif"), str(tmp_path / "a_3.tif"), *out], capsys)
    assert err == f"{tmp_path}/a_3.tif: no such file or folder\n"
    assert leftovers(tmp_path) == []


def test_existing_output_and_too_many_levels(
    mni_t1: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    slices = write_raw(tmp_path / "slices", mni_t1[:3])
    out = tmp_path / "out.h5"
    out.write_bytes(b"precious")
    err = run_failing([str(slices), "-o", str(out), *RAW], capsys)
    assert err == f"{out}: exists; pass --force to replace it\n"
    assert out.read_bytes() == b"precious"
    err = run_failing([str(slices), "-o", str(out), *RAW, "--force", "--levels", "8"], capsys)
    assert err == "--levels 8: slices of 233 x 189 allow at most 7 levels\n"
    assert main(["-q", "convert", str(slices), "-o", str(out), *RAW, "--force"]) == 0
    assert h5py.is_hdf5(out)


def test_a_slice_that_changes_during_the_conversion_leaves_nothing(
    mni_t1: np.ndarray, tmp_path: Path
) -> None:
    slices = write_raw(tmp_path / "slices", mni_t1[:30])
    stack = open_stack([str(slices)], slice_shape=(233, 189), dtype="uint8")
    bad = slices / "slice_17.raw"
    bad.write_bytes(bad.read_bytes()[:1000])  # after the check, before the conversion
    with pytest.raises(InputError) as caught:
        convert(stack, tmp_path / "out.h5", Options(levels=2, checkpoint_bytes=0))
    assert str(caught.value) == f"{bad}: expected 44037 bytes, got 1000 (the file ended early)"
    assert leftovers(tmp_path) == []


def test_one_conversion_at_a_time_per_output(
    mni_t1: np.ndarray, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    from movie_compiler import fsutil

    slices = write_raw(tmp_path / "slices", mni_t1[:8])
    out = tmp_path / "out" / "mni.h5"
    out.parent.mkdir()
    args = ["-q", "convert", str(slices), "-o", str(out), "--slice-shape", "233,189"]
    args += ["--dtype", "uint8"]
    with fsutil.exclusive(out):  # as a running conversion holds it
        assert main(args) == 2
    assert capsys.readouterr().err.strip() == (
        f"{out}: another moviec convert is writing it; wait for it to finish"
    )
    assert leftovers(out.parent) == []
    assert main(args) == 0
    assert sorted(p.name for p in out.parent.iterdir()) == ["mni.h5"]  # no lock file left


@pytest.mark.parametrize("where", [20_000, 400_000, -20, -6])
def test_a_damaged_compressed_nifti_stops_the_conversion(
    where: int, tmp_path: Path, capsys: pytest.CaptureFixture[str]
) -> None:
    """Damage in the deflate data or in the gzip trailer (its CRC) is found: exit 2, no file."""
    from conftest import mni_template_path

    data = bytearray(mni_template_path().read_bytes())
    data[where] ^= 0x5A
    damaged = tmp_path / "in" / "damaged.nii.gz"
    damaged.parent.mkdir()
    damaged.write_bytes(bytes(data))
    out = tmp_path / "out" / "mni.h5"
    out.parent.mkdir()
    assert main(["-q", "convert", str(damaged), "-o", str(out)]) == 2
    err = capsys.readouterr().err.strip().splitlines()
    assert len(err) == 1 and err[0].startswith(f"{damaged}: "), err
    assert "CRC check failed" in err[0] or "the compressed data is damaged" in err[0], err
    assert leftovers(out.parent) == []


# -- interruption and resume -------------------------------------------------------------------


def interrupt_after(monkeypatch: pytest.MonkeyPatch, slices: int) -> None:
    """Make the next conversion stop with Ctrl-C when it writes full-resolution slice N."""
    from movie_compiler.data import writer

    original = writer.Writer.write

    def write(self: writer.Writer, level: int, index: int, array: np.ndarray) -> None:
        if level == 0 and index == slices:
            raise KeyboardInterrupt
        original(self, level, index, array)

    monkeypatch.setattr(writer.Writer, "write", write)


def test_an_interrupted_conversion_resumes(
    mni_t1: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    slices = write_raw(tmp_path / "slices", mni_t1)
    args = [str(slices), *RAW, "--levels", "2", "--voxel-size", "1,1,1", "--checkpoint", "0.4"]
    assert main(["-q", "convert", *args, "-o", str(tmp_path / "clean.h5")]) == 0
    out = tmp_path / "out.h5"
    with monkeypatch.context() as patch:
        interrupt_after(patch, 120)
        assert main(["convert", *args, "-o", str(out)]) == 130
    assert "interrupted: run the same command again to resume" in capsys.readouterr().err
    assert not out.exists()
    assert leftovers(tmp_path) == ["clean.h5", "out.h5.partial", "out.h5.partial.json"]
    assert main(["convert", *args, "-o", str(out)]) == 0
    # Checkpoints after 0.4 MB (10 slices) on multiples of 4 (the pyramid's slice groups).
    assert f"resuming {out}.partial at slice 120 of 197\n" in capsys.readouterr().err
    assert_same_content(out, tmp_path / "clean.h5")
    assert leftovers(tmp_path) == ["clean.h5", "out.h5"]


def test_changed_inputs_start_again(
    mni_t1: np.ndarray,
    tmp_path: Path,
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
) -> None:
    slices = write_raw(tmp_path / "slices", mni_t1[:50])
    out = tmp_path / "out.h5"
    args = [str(slices), *RAW, "--checkpoint", "0.1", "-o", str(out)]
    with monkeypatch.context() as patch:
        interrupt_after(patch, 30)
        assert main(["-q", "convert", *args]) == 130
    (slices / "slice_3.raw").write_bytes(np.full((233, 189), 7, np.uint8).tobytes())
    assert main(["convert", *args]) == 0
    err = capsys.readouterr().err
    assert f"{out}.partial is unfinished; starting again (it was made from other inputs" in err
    with h5py.File(out, "r") as file:
        assert np.array_equal(file["volume"][3], np.full((233, 189), 7, np.uint8))
        assert np.array_equal(file["volume"][4:], mni_t1[4:50])


def test_kill_9_then_rerun_gives_the_same_file(mni_t1: np.ndarray, tmp_path: Path) -> None:
    """A real ``kill -9`` at a moment after the first checkpoint, then the same command."""
    slices = tmp_path / "slices"
    slices.mkdir()
    for index in range(400):  # 400 slices of 466 x 378 (4 MNI slices tiled), 70 MB
        plane = np.tile(mni_t1[40 + index % 120], (2, 2))
        plane.tofile(slices / f"slice_{index}.raw")
    args = ["--slice-shape", "466,378", "--dtype", "uint8", "--levels", "2"]
    args += ["--voxel-size", "1,1,1", "--checkpoint", "2"]
    moviec = [sys.executable, "-m", "movie_compiler"]
    command = [*moviec, "convert", str(slices), *args]
    clean, out = tmp_path / "clean.h5", tmp_path / "out.h5"
    subprocess.run([*moviec, "-q", "convert", str(slices), *args, "-o", str(clean)], check=True)

    journal = tmp_path / "out.h5.partial.json"
    process = subprocess.Popen([*command, "-o", str(out)], stderr=subprocess.DEVNULL)
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline and process.poll() is None:
        if journal.exists() and '"done": 0,' not in journal.read_text():
            break
        time.sleep(0.002)
    os.kill(process.pid, signal.SIGKILL)
    process.wait()
    assert not out.exists(), "the conversion finished before it could be killed"
    assert (tmp_path / "out.h5.partial").exists()

    rerun = subprocess.run([*command, "-o", str(out)], capture_output=True, text=True)
    assert rerun.returncode == 0, rerun.stderr
    assert f"resuming {out}.partial at slice " in rerun.stderr
    assert_same_content(out, clean)
    assert leftovers(tmp_path) == ["clean.h5", "out.h5"]
