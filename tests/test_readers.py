"""Input slices: natural order, checks with exact messages, and streaming of every format."""

from __future__ import annotations

import threading
from pathlib import Path

import nibabel
import numpy as np
import pytest
import tifffile

from movie_compiler.data.readers import Stack, expand, natural_key, open_stack
from movie_compiler.data.stream import prefetch
from movie_compiler.errors import InputError


@pytest.fixture
def crop(mni_t1: np.ndarray) -> np.ndarray:
    """12 slices of 40 x 30 from the middle of the MNI template."""
    return np.ascontiguousarray(mni_t1[90:102, 100:140, 80:110])


def write_raw(folder: Path, volume: np.ndarray, name: str = "slice_{}.raw") -> list[Path]:
    folder.mkdir(parents=True, exist_ok=True)
    paths = []
    for index, plane in enumerate(volume):
        path = folder / name.format(index)
        plane.tofile(path)
        paths.append(path)
    return paths


def read_all(stack: Stack, start: int = 0) -> np.ndarray:
    return np.stack(list(stack.slices(start)))


# -- order -----------------------------------------------------------------------------------


def test_natural_key_orders_numbers_by_value() -> None:
    names = ["slice_10.raw", "slice_2.raw", "slice_1.raw", "Slice_3.raw", "slice_02.raw"]
    assert sorted(names, key=natural_key) == [
        "slice_1.raw",
        "slice_02.raw",
        "slice_2.raw",
        "Slice_3.raw",
        "slice_10.raw",
    ]


def test_natural_key_compares_numbers_inside_names() -> None:
    names = ["a10b2", "a2b10", "a2b9", "b", "a"]
    assert sorted(names, key=natural_key) == ["a", "a2b9", "a2b10", "a10b2", "b"]


def test_a_folder_expands_in_natural_order(tmp_path: Path, crop: np.ndarray) -> None:
    write_raw(tmp_path / "raw", crop)
    stack = open_stack([str(tmp_path / "raw")], slice_shape=(40, 30), dtype="uint8")
    assert [Path(n).name for n in stack.names()] == [f"slice_{i}.raw" for i in range(12)]
    assert np.array_equal(read_all(stack), crop)


def test_named_files_are_put_in_natural_order_too(tmp_path: Path, crop: np.ndarray) -> None:
    paths = write_raw(tmp_path, crop)
    shell_order = sorted(str(p) for p in paths)  # what `slice_*.raw` gives: 0, 1, 10, 11, 2
    stack = open_stack(shell_order, slice_shape=(40, 30), dtype="uint8")
    assert np.array_equal(read_all(stack), crop)


# -- checks, with exact messages -------------------------------------------------------------


def test_missing_input(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        expand([str(tmp_path / "nowhere")])
    assert str(caught.value) == f"{tmp_path / 'nowhere'}: no such file or folder"


def test_empty_folder(tmp_path: Path) -> None:
    with pytest.raises(InputError) as caught:
        expand([str(tmp_path)])
    assert str(caught.value) == f"{tmp_path}: no slice files in this folder"


def test_a_folder_with_several_suffixes(tmp_path: Path, crop: np.ndarray) -> None:
    write_raw(tmp_path, crop)
    (tmp_path / "notes.txt").write_text("scan notes")
    with pytest.raises(InputError) as caught:
        expand([str(tmp_path)])
    assert str(caught.value) == (
        f"{tmp_path}: holds files with different suffixes (12 .raw, 1 .txt); name the slice "
        f"files instead, such as {tmp_path}/*.raw"
    )


def test_a_file_given_twice(tmp_path: Path, crop: np.ndarray) -> None:
    first = write_raw(tmp_path, crop[:1])[0]
    (tmp_path / "alias.raw").symlink_to(first)
    with pytest.raises(InputError) as caught:
        expand([str(first), str(tmp_path / "alias.raw")])
    assert str(caught.value) == f"{tmp_path}/alias.raw: given twice (also as {first})"


def test_raw_slices_need_shape_and_dtype(tmp_path: Path, crop: np.ndarray) -> None:
    write_raw(tmp_path, crop[:1])
    with pytest.raises(InputError) as caught:
        open_stack([str(tmp_path)])
    assert str(caught.value) == (
        f"{tmp_path}/slice_0.raw: raw slices need --slice-shape ROWS,COLS and --dtype (such as "
        "--slice-shape 28721,31076 --dtype uint8)"
    )


def test_raw_slice_of_the_wrong_size(tmp_path: Path, crop: np.ndarray) -> None:
    paths = write_raw(tmp_path, crop)
    paths[7].write_bytes(paths[7].read_bytes()[:-30])
    with pytest.raises(InputError) as caught:
        open_stack([str(tmp_path)], slice_shape=(40, 30), dtype="uint8")
    assert (
        str(caught.value)
        == f"{tmp_path}/slice_7.raw: expected 1200 bytes (40 x 30 uint8), got 1170"
    )


def test_raw_slices_of_the_wrong_dtype(tmp_path: Path, crop: np.ndarray) -> None:
    write_raw(tmp_path, crop)
    with pytest.raises(InputError) as caught:
        open_stack([str(tmp_path)], slice_shape=(40, 30), dtype="uint16")
    assert str(caught.value) == (
        f"{tmp_path}/slice_0.raw: expected 2400 bytes (40 x 30 uint16), got 1200"
    )


def test_big_endian_raw_slices(tmp_path: Path, crop: np.ndarray) -> None:
    volume = crop.astype(np.uint16) * 200
    write_raw(tmp_path, volume.astype(">u2"))
    stack = open_stack([str(tmp_path)], slice_shape=(40, 30), dtype="uint16", byte_order="big")
    data = read_all(stack)
    assert data.dtype == np.dtype("uint16") and data.dtype.isnative
    assert np.array_equal(data, volume)


def test_one_kind_of_file_at_a_time(tmp_path: Path, crop: np.ndarray) -> None:
    raw = write_raw(tmp_path, crop[:1])[0]
    tifffile.imwrite(tmp_path / "slice_1.tif", crop[1])
    with pytest.raises(InputError) as caught:
        open_stack([str(raw), str(tmp_path / "slice_1.tif")], slice_shape=(40, 30), dtype="uint8")
    assert str(caught.value) == (
        f"{tmp_path}/slice_1.tif: is TIFF, but {raw} is raw slices; convert one kind of file "
        "at a time"
    )


# -- TIFF ------------------------------------------------------------------------------------


def test_tiff_slices_and_stacks(tmp_path: Path, crop: np.ndarray) -> None:
    for index, plane in enumerate(crop[:5]):
        tifffile.imwrite(tmp_path / f"a_{index}.tif", plane)
    tifffile.imwrite(tmp_path / "a_5.tif", crop[5:9], photometric="minisblack")  # 4 pages
    tifffile.imwrite(tmp_path / "a_6.tif", crop[9:], photometric="minisblack", compression="zlib")
    stack = open_stack([str(tmp_path)])
    assert stack.kind == "tiff"
    assert stack.shape == (12, 40, 30)
    assert [part.count for part in stack.parts] == [1, 1, 1, 1, 1, 4, 3]
    assert np.array_equal(read_all(stack), crop)
    assert np.array_equal(read_all(stack, start=7), crop[7:])


def test_tiff_of_another_shape(tmp_path: Path, crop: np.ndarray) -> None:
    tifffile.imwrite(tmp_path / "a_1.tif", crop[0])
    tifffile.imwrite(tmp_path / "a_2.tif", crop[1, :39])
    with pytest.raises(InputError) as caught:
        open_stack([str(tmp_path)])
    assert str(caught.value) == (
        f"{tmp_path}/a_2.tif: expected 40 x 30 slices (as in {tmp_path}/a_1.tif), got 39 x 30"
    )


def test_tiff_page_of_another_shape(tmp_path: Path, crop: np.ndarray) -> None:
    with tifffile.TiffWriter(tmp_path / "stack.tif") as tif:
        tif.write(crop[0])
        tif.write(crop[1, :, :29])
    with pytest.raises(InputError) as caught:
        open_stack([str(tmp_path / "stack.tif")])
    assert str(caught.value) == (
        f"{tmp_path}/stack.tif: page 2: expected 40 x 30 (as page 1), got 40 x 29"
    )


def test_tiff_of_the_wrong_dtype(tmp_path: Path, crop: np.ndarray) -> None:
    tifffile.imwrite(tmp_path / "a_1.tif", crop[0].astype(np.uint16))
    with pytest.raises(InputError) as caught:
        open_stack([str(tmp_path)], dtype="uint8")
    assert str(caught.value) == f"{tmp_path}/a_1.tif: expected uint8 (--dtype), got uint16"


def test_tiffs_of_mixed_dtypes(tmp_path: Path, crop: np.ndarray) -> None:
    tifffile.imwrite(tmp_path / "a_1.tif", crop[0])
    tifffile.imwrite(tmp_path / "a_2.tif", crop[1].astype(np.float32))
    with pytest.raises(InputError) as caught:
        open_stack([str(tmp_path)])
    assert str(caught.value) == (
        f"{tmp_path}/a_2.tif: expected uint8 (as in {tmp_path}/a_1.tif), got float32"
    )


def test_colour_tiff(tmp_path: Path, crop: np.ndarray) -> None:
    tifffile.imwrite(tmp_path / "rgb.tif", np.stack([crop[0]] * 3, axis=-1), photometric="rgb")
    with pytest.raises(InputError) as caught:
        open_stack([str(tmp_path / "rgb.tif")])
    assert (
        str(caught.value)
        == f"{tmp_path}/rgb.tif: expected grey 2-D slices, got pages of 40 x 30 x 3"
    )


def test_a_file_that_is_not_a_tiff(tmp_path: Path) -> None:
    (tmp_path / "slice.tif").write_bytes(b"not a TIFF at all")
    with pytest.raises(InputError) as caught:
        open_stack([str(tmp_path / "slice.tif")])
    assert str(caught.value).startswith(f"{tmp_path}/slice.tif: cannot read as TIFF: ")


# -- NIfTI -----------------------------------------------------------------------------------


def test_nifti_is_read_in_its_on_disk_order(tmp_path: Path, crop: np.ndarray) -> None:
    volume = np.ascontiguousarray(crop.transpose(1, 2, 0))  # (i, j, k) = (40, 30, 12)
    image = nibabel.Nifti1Image(volume, np.diag([0.5, 0.7, 2.0, 1.0]))
    for name in ("v.nii", "v.nii.gz"):
        nibabel.save(image, tmp_path / name)
        stack = open_stack([str(tmp_path / name)])
        assert stack.kind == "nifti"
        assert stack.shape == (12, 30, 40)  # (k, j, i), slowest first
        assert stack.voxel_size == pytest.approx((2.0, 0.7, 0.5))
        assert np.array_equal(read_all(stack), volume.transpose(2, 1, 0))
        assert np.array_equal(read_all(stack, start=10), volume.transpose(2, 1, 0)[10:])


def test_scaled_nifti_gives_float32(tmp_path: Path, crop: np.ndarray) -> None:
    image = nibabel.Nifti1Image(crop.astype(np.int16), np.eye(4))
    image.header.set_slope_inter(0.5, 10.0)
    nibabel.save(image, tmp_path / "scaled.nii")
    stack = open_stack([str(tmp_path / "scaled.nii")])
    assert stack.dtype == np.dtype("float32")
    expected = (crop.astype(np.float32) * 0.5 + 10.0).transpose(2, 1, 0)
    assert np.array_equal(read_all(stack), expected)


def test_nifti_that_is_not_3d(tmp_path: Path, crop: np.ndarray) -> None:
    nibabel.save(nibabel.Nifti1Image(np.stack([crop, crop], -1), np.eye(4)), tmp_path / "t.nii")
    with pytest.raises(InputError) as caught:
        open_stack([str(tmp_path / "t.nii")])
    assert str(caught.value) == f"{tmp_path}/t.nii: expected a 3-D volume, got 12 x 40 x 30 x 2"


def test_truncated_nifti(tmp_path: Path, crop: np.ndarray) -> None:
    nibabel.save(nibabel.Nifti1Image(crop, np.eye(4)), tmp_path / "t.nii")
    data = (tmp_path / "t.nii").read_bytes()
    (tmp_path / "t.nii").write_bytes(data[:-100])
    with pytest.raises(InputError) as caught:
        open_stack([str(tmp_path / "t.nii")])
    assert (
        str(caught.value)
        == f"{tmp_path}/t.nii: expected at least {len(data)} bytes, got {len(data) - 100}"
    )


def test_the_real_mni_template(mni_t1: np.ndarray) -> None:
    from conftest import mni_template_path

    stack = open_stack([str(mni_template_path())])
    assert stack.shape == (189, 233, 197)
    assert stack.voxel_size == (1.0, 1.0, 1.0)
    assert np.array_equal(read_all(stack), mni_t1.transpose(2, 1, 0))


# -- the reader thread -----------------------------------------------------------------------


def test_prefetch_yields_in_order_and_raises_reader_errors() -> None:
    def items():  # type: ignore[no-untyped-def]
        yield from range(5)
        raise InputError("slice_5.raw: cannot read: Input/output error")

    seen = []
    with pytest.raises(InputError, match=r"slice_5\.raw"):
        for item in prefetch(items(), 2):
            seen.append(item)
    assert seen == [0, 1, 2, 3, 4]


def test_prefetch_stops_the_reader_when_the_consumer_stops() -> None:
    closed = threading.Event()

    def items():  # type: ignore[no-untyped-def]
        try:
            yield from range(1000)
        finally:
            closed.set()

    for item in prefetch(items(), 2):
        if item == 3:
            break
    assert closed.wait(5)
