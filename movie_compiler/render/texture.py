"""Will the volume fit OpenGL's 3D texture? Pure functions, no ParaView.

ParaView's GPU volume mapper uploads each process's piece of the volume as one 3D texture.
When an axis of the piece is longer than the OpenGL's ``GL_MAX_3D_TEXTURE_SIZE`` (2048 with
Mesa's llvmpipe, 2048-16384 on GPUs), pvbatch does not fail gracefully: it aborts (SIGABRT in
``vtkTextureObject``) at the first render, also in ``Smart`` mode, which picks the GPU mapper
whenever OpenGL is there. ParaView 5.11 does not expose the mapper's own partitioning.

Under MPI, ParaView's XDMF reader gives each rank one block of the volume, split as VTK's
``vtkExtentTranslator`` does in block mode: the longest axis is halved (in proportion to the
ranks on each side), again and again. :func:`pieces` repeats that split (tested against
VTK's own in pvbatch), so moviec knows each rank's block before anything is loaded.
Dimensions here are ParaView's ``(x, y, z)``: the HDF5 shape reversed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass

Dims = tuple[int, int, int]

GPU_MODES = ("GPU Based", "Smart")
"""ParaView modes that upload the volume as a 3D texture (``Smart`` picks the GPU mapper
wherever OpenGL works)."""
CPU_MODE = "Ray Cast Only"
MAX_RANKS = 4096
"""The largest rank count :func:`ranks_to_fit` considers."""


def xyz(shape_zyx: Sequence[int]) -> Dims:
    """ParaView's dimensions of an HDF5 array of shape ``(z, y, x)``."""
    return (int(shape_zyx[2]), int(shape_zyx[1]), int(shape_zyx[0]))


def piece_extent(dims: Dims, piece: int, count: int) -> tuple[int, ...] | None:
    """Point extent ``(x0, x1, y0, y1, z0, z1)`` of piece ``piece`` of ``count``, as
    ``vtkExtentTranslator`` splits a whole extent in block mode; None if it cannot be split
    that far. Neighbouring pieces share their boundary plane of points."""
    ext = [0, dims[0] - 1, 0, dims[1] - 1, 0, dims[2] - 1]
    while count > 1:
        size = [ext[1] - ext[0], ext[3] - ext[2], ext[5] - ext[4]]
        if size[2] >= size[1] and size[2] >= size[0]:
            axis = 2
        elif size[1] >= size[0]:
            axis = 1
        else:
            axis = 0
        if size[axis] < 1:
            return None
        first = count // 2
        middle = size[axis] * first // count + ext[2 * axis]
        if piece < first:
            ext[2 * axis + 1] = middle
            count = first
        else:
            ext[2 * axis] = middle
            count -= first
            piece -= first
    return tuple(ext)


def largest_piece(dims: Dims, ranks: int) -> Dims:
    """The longest extent per axis among the ``ranks`` pieces (points)."""
    longest = [0, 0, 0]
    for piece in range(max(1, ranks)):
        ext = piece_extent(dims, piece, max(1, ranks))
        if ext is None:
            return dims  # cannot split that far: no rank is smaller than the whole
        for axis in range(3):
            longest[axis] = max(longest[axis], ext[2 * axis + 1] - ext[2 * axis] + 1)
    return (longest[0], longest[1], longest[2])


def fits(dims: Dims, limit: int) -> bool:
    """Whether a block of ``dims`` points fits a 3D texture of ``limit`` texels per axis."""
    return max(dims) <= limit


def ranks_to_fit(dims: Dims, limit: int) -> int | None:
    """The smallest rank count whose largest piece fits ``limit``; None beyond
    :data:`MAX_RANKS`."""
    ranks = 1
    while ranks <= MAX_RANKS:
        if fits(largest_piece(dims, ranks), limit):
            return ranks
        ranks += 1
    return None


def subsample_to_fit(dims: Dims, limit: int) -> tuple[int, int, int]:
    """The smallest factors per axis, ``(z, y, x)`` as a scene's ``subsample``, that bring
    every axis within ``limit`` (``ceil(n / f)`` points per axis)."""
    factors = [-(-n // limit) if n > limit else 1 for n in dims]
    return (factors[2], factors[1], factors[0])


@dataclass(frozen=True)
class Choice:
    """The renderer resolved for a volume on this OpenGL."""

    mode: str | None
    """ParaView's ``VolumeRenderingMode`` to use; None: none of the scene's fits."""
    skipped: tuple[str, ...] = ()
    """Modes of the scene's list passed over because the volume does not fit the texture."""
    smart_on_cpu: bool = False
    """``Smart`` resolved to the CPU ray caster (the volume does not fit the texture)."""


def resolve(modes: Sequence[str], piece: Dims, limit: int | None) -> Choice:
    """The first of ``modes`` (ParaView's names, available ones only) that can draw a piece of
    ``piece`` points with a 3D texture limit of ``limit`` (None: unknown, nothing is
    excluded). ``Smart`` that does not fit becomes the CPU ray caster, as ``Smart`` would if
    it knew: it promises a working renderer, not the GPU."""
    skipped: list[str] = []
    for mode in modes:
        if mode not in GPU_MODES or limit is None or fits(piece, limit):
            return Choice(mode, tuple(skipped))
        if mode == "Smart":
            return Choice(CPU_MODE, tuple(skipped), smart_on_cpu=True)
        skipped.append(mode)
    return Choice(None, tuple(skipped))
