"""OpenGL's 3D texture limit: each rank's block, the renderer resolved against it."""

from __future__ import annotations

import json
from pathlib import Path

import pytest

from movie_compiler.render.texture import (
    CPU_MODE,
    Choice,
    largest_piece,
    piece_extent,
    ranks_to_fit,
    resolve,
    subsample_to_fit,
    xyz,
)

LONG = (8, 2100, 8)
"""A volume with one axis longer than llvmpipe's 2048."""
SEED_14 = (2220, 2052, 234)
"""The benchmark's seed-shaped volume (x, y, z)."""


def test_hdf5_shape_to_paraview_dimensions() -> None:
    assert xyz((234, 2052, 2220)) == SEED_14


def test_pieces_split_the_longest_axis_and_share_a_boundary_plane() -> None:
    assert piece_extent(LONG, 0, 1) == (0, 7, 0, 2099, 0, 7)
    assert piece_extent(LONG, 0, 2) == (0, 7, 0, 1049, 0, 7)
    assert piece_extent(LONG, 1, 2) == (0, 7, 1049, 2099, 0, 7)
    assert piece_extent(LONG, 0, 3) == (0, 7, 0, 699, 0, 7)
    assert largest_piece(LONG, 2) == (8, 1051, 8)
    assert largest_piece(SEED_14, 2) == (1111, 2052, 234)
    assert largest_piece(SEED_14, 4) == (1111, 1027, 234)


def test_the_smallest_rank_count_that_fits() -> None:
    assert ranks_to_fit(LONG, 2048) == 2
    assert ranks_to_fit((100, 100, 100), 2048) == 1
    assert ranks_to_fit(SEED_14, 2048) == 4  # x halves first, then y; three ranks leave 2052
    assert ranks_to_fit(xyz((234, 28721, 31076)), 2048) == 256


def test_the_smallest_subsample_that_fits() -> None:
    assert subsample_to_fit(LONG, 2048) == (1, 2, 1)
    assert subsample_to_fit(xyz((234, 28721, 31076)), 2048) == (1, 15, 16)
    assert subsample_to_fit((10, 10, 10), 2048) == (1, 1, 1)


def test_resolving_the_renderer() -> None:
    fits, long = (2048, 10, 10), (2049, 10, 10)
    assert resolve(["GPU Based"], fits, 2048) == Choice("GPU Based")
    assert resolve(["GPU Based"], long, 2048) == Choice(None, ("GPU Based",))
    assert resolve(["Smart"], long, 2048) == Choice(CPU_MODE, smart_on_cpu=True)
    assert resolve(["Smart"], fits, 2048) == Choice("Smart")
    assert resolve(["GPU Based", "Ray Cast Only"], long, 2048) == Choice(CPU_MODE, ("GPU Based",))
    assert resolve(["GPU Based"], long, None) == Choice("GPU Based")  # unknown: the script checks
    assert resolve(["Ray Cast Only"], long, 16) == Choice(CPU_MODE)


@pytest.mark.paraview
def test_pieces_are_split_as_vtk_splits_them(run_pvbatch, tmp_path: Path) -> None:  # type: ignore[no-untyped-def]
    shapes = [LONG, SEED_14, (2000, 2000, 64), (5, 7, 3), (100, 37, 250), (3, 3, 3000)]
    script = tmp_path / "split.py"
    script.write_text(
        "import json, sys\n"
        "from paraview.vtk.vtkCommonExecutionModel import vtkExtentTranslator\n"
        "translator = vtkExtentTranslator()\n"
        "out = {}\n"
        f"for dims in {shapes!r}:\n"
        "    whole = [0, dims[0] - 1, 0, dims[1] - 1, 0, dims[2] - 1]\n"
        "    for count in range(1, 9):\n"
        "        for piece in range(count):\n"
        "            extent = [0] * 6\n"
        "            translator.PieceToExtentThreadSafe(\n"
        "                piece, count, 0, whole, extent, vtkExtentTranslator.BLOCK_MODE, 0)\n"
        "            out[f'{dims}|{count}|{piece}'] = extent\n"
        "print('extents ' + json.dumps(out))\n",
        encoding="utf-8",
    )
    result = run_pvbatch(script)
    line = next(x for x in result.stdout.splitlines() if x.startswith("extents "))
    vtk = json.loads(line.split(" ", 1)[1])
    for shape in shapes:
        for count in range(1, 9):
            for piece in range(count):
                expected = tuple(vtk[f"{shape}|{count}|{piece}"])
                assert piece_extent(shape, piece, count) == expected, (shape, count, piece)
