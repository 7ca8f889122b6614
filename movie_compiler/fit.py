"""Before loading: can this machine draw the volume at the level the scene reads?

Two limits, both checked from what moviec knows of the data (:mod:`movie_compiler.data.facts`)
before ParaView reads a byte:

- **OpenGL's 3D texture** (:mod:`movie_compiler.render.texture`): ``gpu`` and ``smart`` are
  resolved against each MPI rank's block of the volume. A list of renderers falls back to the
  next one; ``smart`` becomes the CPU ray caster; ``gpu`` alone stops the build with the ways
  out (a pyramid level or a subsample that fits, ``ray-cast``, the smallest ``--mpi N``).
- **Memory** (:mod:`movie_compiler.render.memory`): the estimate per process, times the
  processes on this machine, against the memory available; too much stops the build with a
  level or a number of ranks that fits.
"""

from __future__ import annotations

import logging
import os
from dataclasses import dataclass

import numpy as np

from movie_compiler.config.keypath import KeyPath
from movie_compiler.config.load import LoadedScene
from movie_compiler.data import dataset
from movie_compiler.data.facts import DataFacts
from movie_compiler.data.store import levels_of, open_hdf5
from movie_compiler.errors import MissingRequirement, MoviecError
from movie_compiler.render import gl, memory, mpi, texture
from movie_compiler.render.paraview import RENDERER_MODES, ParaViewInfo

log = logging.getLogger(__name__)

NAMES = {mode: name for name, mode in RENDERER_MODES.items()}


@dataclass(frozen=True)
class Fit:
    """The renderer and memory of a build, resolved before loading."""

    mode: str
    """ParaView's ``VolumeRenderingMode``."""
    piece: texture.Dims
    """The largest rank's block, ``(x, y, z)`` points (the whole volume on one rank)."""
    estimate: memory.Estimate
    """What each pvbatch (each rank) holds."""
    processes: int
    """pvbatch processes (ranks) on this machine at once."""


def check(
    loaded: LoadedScene, info: ParaViewInfo, found: DataFacts, *, ranks: int, jobs: int
) -> Fit:
    """Resolve the renderer and check the memory; raise a located :class:`MissingRequirement`
    when the volume cannot be drawn here as the scene says."""
    wanted = loaded.scene.volume.renderer
    choices = [wanted] if isinstance(wanted, str) else list(wanted)
    modes = [RENDERER_MODES[name] for name in choices if name in info.renderers]
    dims = found.dims
    if dims is None:  # an XDMF file moviec cannot read the shape of: the script checks
        return Fit(modes[0], (0, 0, 0), memory.Estimate(0, 0, 0, 0), 0)
    piece = texture.largest_piece(dims, ranks)
    limit = None
    if any(mode in texture.GPU_MODES for mode in modes):
        try:
            limit = gl.limits(info).max_3d_texture
        except MoviecError as error:
            log.warning("cannot learn OpenGL's 3D texture limit (%s); pvbatch checks it", error)
    choice = texture.resolve(modes, piece, limit)
    if choice.mode is None:
        assert limit is not None
        raise MissingRequirement(_texture_message(loaded, dims, piece, limit, ranks))
    for mode in choice.skipped:
        log.warning(
            "%s: volume.renderer: %r cannot hold %s voxels per rank (OpenGL's 3D texture limit "
            "is %d); using %r",
            loaded.where(("volume", "renderer")),
            NAMES[mode],
            _size(piece),
            limit,
            NAMES[choice.mode],
        )
    if choice.smart_on_cpu:
        log.info(
            "smart: %s voxels per rank exceed OpenGL's 3D texture limit (%d); rendering with "
            "the CPU ray caster",
            _size(piece),
            limit,
        )
    estimated = estimate_for(loaded, piece, choice.mode)
    local = jobs * (1 if os.environ.get(mpi.ENV, "").strip() else ranks)
    _check_memory(loaded, estimated, local, dims, ranks, choice.mode)
    return Fit(choice.mode, piece, estimated, local)


def estimate_for(loaded: LoadedScene, piece: texture.Dims, mode: str) -> memory.Estimate:
    """What one process holds to render ``piece`` of ``loaded``'s data with ``mode``."""
    scene = loaded.scene
    itemsize = np.dtype(scene.dataset.dtype).itemsize
    resolution = scene.movie.resolution
    return memory.estimate(piece, itemsize, mode, shade=scene.volume.shade, resolution=resolution)


def _check_memory(
    loaded: LoadedScene,
    estimated: memory.Estimate,
    processes: int,
    dims: texture.Dims,
    ranks: int,
    mode: str,
) -> None:
    available = memory.available_bytes()
    need = estimated.total * processes
    if available is None or need <= available:
        return
    times = f" x {processes} processes" if processes > 1 else ""
    ways = []
    level = _level_that_fits(loaded, ranks, available // max(1, processes), mode)
    if level is not None:
        ways.append(f"dataset.level = {level}")
    nodes = _ranks_for_memory(loaded, dims, available, mode)
    if nodes is not None and estimated.total > available:  # one process alone is too big
        ways.append(
            f"--mpi {nodes} with one rank per node of this size (MOVIEC_MPIEXEC, such as "
            '"mpiexec --hostfile hosts")'
        )
    if processes > ranks:
        ways.append("fewer --jobs")
    raise MissingRequirement(
        f"{loaded.where(_data_key(loaded))}: {'.'.join(map(str, _data_key(loaded)))}: "
        f"rendering needs "
        f"about {estimated.describe()} per pvbatch{times}, but this machine has "
        f"{memory.gib(available)} GiB available; "
        + ("use " + ", or ".join(ways) if ways else "use a machine with more memory")
    )


def _data_key(loaded: LoadedScene) -> KeyPath:
    data = loaded.scene.dataset
    if data.level is not None:
        return ("dataset", "level")
    if data.subsample != (1, 1, 1):
        return ("dataset", "subsample")
    return ("dataset", "path")


def _levels(loaded: LoadedScene) -> list[tuple[int, texture.Dims]]:
    """The pyramid levels of an HDF5 dataset, ``(level, (x, y, z))``, coarser than the one
    the scene reads."""
    selection = dataset.selection(loaded)
    if selection is None:
        return []
    with open_hdf5(selection.file) as file:
        levels = levels_of(file, selection.array)
    current = selection.read.level
    return [(n, texture.xyz(lv.shape)) for n, lv in levels.items() if n > current]


def _level_that_fits(loaded: LoadedScene, ranks: int, budget: int, mode: str) -> int | None:
    for number, dims in _levels(loaded):
        if estimate_for(loaded, texture.largest_piece(dims, ranks), mode).total <= budget:
            return number
    return None


def _ranks_for_memory(
    loaded: LoadedScene, dims: texture.Dims, budget: int, mode: str
) -> int | None:
    for ranks in range(2, texture.MAX_RANKS + 1):
        if estimate_for(loaded, texture.largest_piece(dims, ranks), mode).total <= budget:
            return ranks
    return None


def _texture_message(
    loaded: LoadedScene, dims: texture.Dims, piece: texture.Dims, limit: int, ranks: int
) -> str:
    ways = []
    for number, level_dims in _levels(loaded):
        if texture.fits(texture.largest_piece(level_dims, ranks), limit):
            ways.append(f"dataset.level = {number} ({_size(level_dims)})")
            break
    selection = dataset.selection(loaded)
    if selection is not None:
        factors = texture.subsample_to_fit(texture.xyz(selection.shape), limit)
        ways.append(f"dataset.subsample = [{', '.join(str(f) for f in factors)}]")
    ways.append('renderer = "ray-cast" (or a list such as ["gpu", "ray-cast"])')
    needed = texture.ranks_to_fit(dims, limit)
    if needed is not None:
        ways.append(f"--mpi {needed}")
    rank = f" (the largest of {ranks} ranks' blocks)" if ranks > 1 else ""
    return (
        f"{loaded.where(('volume', 'renderer'))}: volume.renderer: 'gpu' cannot draw "
        f"{_size(piece)} voxels{rank}: OpenGL's 3D texture limit here is {limit} per axis, "
        f"and a longer axis makes pvbatch abort; use {', or '.join(ways)}"
    )


def _size(dims: texture.Dims) -> str:
    return " x ".join(str(n) for n in dims)
