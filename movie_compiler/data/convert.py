"""``moviec convert``: stream slices into one HDF5 file with a resolution pyramid.

The stages, in order:

1. check every input (:func:`movie_compiler.data.readers.open_stack`) before writing anything;
2. plan the layout: full resolution plus ``levels`` block-mean levels;
3. resume an unfinished conversion of the same inputs and options, or start afresh;
4. stream: a reader thread reads the next slices while this thread writes the current one,
   its pyramid slices and its value range; a checkpoint records progress now and then;
5. store the value ranges, rename ``OUT.h5.partial`` to ``OUT.h5``.

At most a few slices are in memory at any time, whatever the number of slices.
"""

from __future__ import annotations

import logging
import shutil
import time
from concurrent.futures import ThreadPoolExecutor
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from movie_compiler import fsutil, interrupts
from movie_compiler.data import pyramid
from movie_compiler.data.journal import Journal
from movie_compiler.data.readers import KIND_NAMES, Stack
from movie_compiler.data.store import array_path, chunk_shape, finite_range, level_path
from movie_compiler.data.stream import Progress, prefetch
from movie_compiler.data.writer import Layout, Writer
from movie_compiler.errors import DiskFull, InputError, ToolError, is_disk_full

log = logging.getLogger(__name__)

PREFETCH_SLICES = 2
"""Slices the reader thread may read ahead of the writer."""


@dataclass(frozen=True)
class Options:
    """How to convert (the command-line options of ``moviec convert``)."""

    array: str = "/volume"
    levels: int = 0
    voxel_size: tuple[float, float, float] | None = None
    unit: str | None = None
    compression: str = "none"
    gzip_level: int = 4
    checkpoint_bytes: int = 1 << 30
    force: bool = False


@dataclass(frozen=True)
class Result:
    """What a conversion wrote."""

    path: Path
    layout: Layout
    seconds: float
    resumed_at: int
    """First slice converted by this run (0 unless it resumed)."""
    converted_bytes: int
    """Input bytes converted by this run."""


def plan_layout(stack: Stack, options: Options) -> Layout:
    """The datasets a conversion of ``stack`` writes."""
    try:
        array = array_path(options.array)
    except ValueError as exc:
        raise InputError(f"--array: {exc}") from None
    most = pyramid.max_levels(stack.shape)
    if options.levels > most:
        raise InputError(
            f"--levels {options.levels}: slices of {stack.shape[1]} x {stack.shape[2]} allow "
            f"at most {most} levels"
        )
    if stack.dtype.name not in pyramid.SUPPORTED:
        raise InputError(
            f"{stack.parts[0].shown}: holds {stack.dtype.name}; moviec converts "
            f"{', '.join(pyramid.SUPPORTED)}"
        )
    voxel_size = options.voxel_size or stack.voxel_size
    unit = options.unit or (stack.unit if options.voxel_size is None else None)
    factors = [(1, 1, 1), *pyramid.plan_factors(stack.shape, options.levels, voxel_size)]
    shapes = [pyramid.level_shape(stack.shape, factor) for factor in factors]
    return Layout(
        paths=(array, *(level_path(array, n) for n in range(1, len(factors)))),
        shapes=tuple(shapes),
        factors=tuple(factors),
        chunks=tuple(chunk_shape(shape, stack.dtype, options.compression) for shape in shapes),
        dtype=stack.dtype,
        compression=options.compression,
        gzip_level=options.gzip_level,
        voxel_size=voxel_size,
        unit=unit if voxel_size is not None else None,
        orientation=stack.orientation,
    )


def convert(stack: Stack, output: Path, options: Options) -> Result:
    """Convert ``stack`` into the HDF5 file ``output`` (see the module's stages); one
    conversion at a time per output file."""
    output.parent.mkdir(parents=True, exist_ok=True)
    try:
        with fsutil.exclusive(output):
            return _convert(stack, output, options)
    except fsutil.Busy:
        raise InputError(
            f"{output}: another moviec convert is writing it; wait for it to finish"
        ) from None


def _convert(stack: Stack, output: Path, options: Options) -> Result:
    layout = plan_layout(stack, options)
    if output.is_dir():
        raise InputError(f"{output}: is a folder; name the HDF5 file to write")
    if output.exists() and not options.force:
        raise InputError(f"{output}: exists; pass --force to replace it")
    output.parent.mkdir(parents=True, exist_ok=True)
    _log_plan(stack, layout)

    journal = Journal(output.with_name(output.name + ".partial"), _key(stack, layout))
    start, ranges = journal.resume_point(layout)
    if start:
        log.info("resuming %s at slice %d of %d", journal.partial, start, stack.shape[0])
    _check_space(journal.partial, layout, stack)
    try:
        writer = Writer(journal.partial, layout, create=start == 0)
        if start == 0 and layout.resumable:
            journal.commit(0, ranges)
    except BaseException as exc:  # a partial file without a checkpoint is worth nothing
        if start == 0:
            journal.discard()
        if isinstance(exc, OSError):
            raise _write_failed(journal.partial, exc, resumable=False) from None
        raise
    began = time.monotonic()
    try:
        ranges = _stream(stack, writer, journal, layout, start, ranges, options)
        for level, found in enumerate(ranges):
            writer.set_range(level, found)
        writer.close()
        journal.finish(output)
    except InputError:
        writer.close()
        journal.discard()
        raise
    except KeyboardInterrupt:
        writer.close()
        if layout.resumable:
            log.warning("interrupted: run the same command again to resume")
        else:
            journal.discard()
        raise
    except OSError as exc:
        writer.close()
        if not layout.resumable:
            journal.discard()  # a compressed file cannot be resumed: free its space now
        raise _write_failed(journal.partial, exc, resumable=layout.resumable) from None
    finally:
        writer.close()
    seconds = time.monotonic() - began
    converted = (stack.shape[0] - start) * stack.slice_bytes
    log.info("%s", stored_summary(output, layout, ranges[0]))
    log.info(
        "converted %.0f MB in %.1f s (%.0f MB/s)",
        converted / 1e6,
        seconds,
        converted / max(seconds, 1e-9) / 1e6,
    )
    return Result(output, layout, seconds, start, converted)


Range = list[float] | None


def stored_summary(output: Path, layout: Layout, value_range: Range) -> str:
    """What a conversion stored, in the terms of a scene's ``[dataset]``: shape, element
    type, value range, voxel size and unit, pyramid levels."""
    shape = " x ".join(map(str, layout.shapes[0]))
    values = (
        f"values {value_range[0]:g} to {value_range[1]:g}"
        if value_range is not None
        else "no finite values"
    )
    if layout.voxel_size is None:
        voxel = "no voxel size (give dataset.voxel_size in the scene, or --voxel-size)"
    else:
        sizes = " x ".join(f"{v:g}" for v in layout.voxel_size)
        voxel = f"voxel size {sizes} {layout.unit or '(unit unknown)'}"
    levels = len(layout.paths) - 1
    pyramid_text = f", {levels} pyramid level{'s' if levels != 1 else ''}" if levels else ""
    return (
        f"wrote {output}: {layout.paths[0]} of {shape} {layout.dtype.name}, {values}, "
        f"{voxel}{pyramid_text}"
    )


def _stream(
    stack: Stack,
    writer: Writer,
    journal: Journal,
    layout: Layout,
    start: int,
    ranges: list[Range],
    options: Options,
) -> list[Range]:
    """Write slices ``start`` .. end and the pyramid; return the value range of every level.

    Three things overlap: the reader thread reads the next slices, a worker thread computes
    the pyramid of the current slice, and this thread writes it (writes release the GIL).
    """
    builder = pyramid.Builder(layout.dtype, layout.factors[1:], start)
    group = max(factor[0] for factor in layout.factors)  # a checkpoint leaves no slice pending
    total = stack.shape[0]
    since = 0
    with (
        Progress(total, stack.slice_bytes, start) as progress,
        ThreadPoolExecutor(max_workers=1, thread_name_prefix="pyramid") as worker,
    ):
        for index, array in enumerate(prefetch(stack.slices(start), PREFETCH_SLICES), start):
            interrupts.check()
            levels = worker.submit(builder.push, array) if len(layout.paths) > 1 else None
            writer.write(0, index, array)
            ranges[0] = _merge(ranges[0], finite_range(array))
            for level, number, data in levels.result() if levels is not None else ():
                writer.write(level, number, data)
                ranges[level] = _merge(ranges[level], finite_range(data))
            since += stack.slice_bytes
            progress.advance()
            done = index + 1
            checkpoint = layout.resumable and since >= options.checkpoint_bytes
            if checkpoint and done % group == 0 and done < total:
                writer.flush()
                journal.sync()
                journal.commit(done, ranges)
                since = 0
        for level, number, data in builder.finish():
            writer.write(level, number, data)
            ranges[level] = _merge(ranges[level], finite_range(data))
    return ranges


def _write_failed(partial: Path, exc: OSError, *, resumable: bool) -> Exception:
    """A failed write: a full disk says so (an uncompressed conversion keeps its checkpoints
    and resumes once there is room; anything else was removed); anything else a failed step."""
    if is_disk_full(exc):
        doing = (
            f"writing {partial.name}; its checkpoints are kept and the same command resumes"
            if resumable
            else f"writing {partial.name}, which was removed"
        )
        return DiskFull(partial.parent, doing)
    return ToolError(f"{partial}: writing failed: {exc.strerror or exc}")


def _merge(known: Range, found: tuple[float, float] | None) -> Range:
    if found is None:
        return known
    if known is None:
        return [found[0], found[1]]
    return [min(known[0], found[0]), max(known[1], found[1])]


def _key(stack: Stack, layout: Layout) -> dict[str, Any]:
    """Everything the content of the output depends on (a resume must match it)."""
    return {
        "inputs": stack.fingerprint(),
        "shape": list(stack.shape),
        "dtype": stack.dtype.name,
        "paths": list(layout.paths),
        "factors": [list(f) for f in layout.factors],
        "chunks": [list(c) for c in layout.chunks],
        "compression": layout.compression,
        "gzip_level": layout.gzip_level,
        "voxel_size": list(layout.voxel_size) if layout.voxel_size else None,
        **({"unit": layout.unit} if layout.unit else {}),
        "orientation": layout.orientation,
    }


def _check_space(partial: Path, layout: Layout, stack: Stack) -> None:
    """Stop before starting if the uncompressed output cannot fit."""
    if not layout.resumable:
        return
    written = partial.stat().st_blocks * 512 if partial.exists() else 0
    need = layout.nbytes - written
    free = shutil.disk_usage(partial.parent).free
    if need > free:
        raise DiskFull(
            partial.parent,
            f"the conversion needs {size_text(need)} more, {size_text(free)} are free",
        )


def size_text(count: int) -> str:
    """A byte count for people: ``512 bytes``, ``3.2 kB``, ``41.9 MB``, ``1.3 GB``."""
    if count < 1000:
        return f"{count} bytes"
    for unit, scale in (("kB", 1e3), ("MB", 1e6), ("GB", 1e9), ("TB", 1e12)):
        if count < scale * 1000 or unit == "TB":
            return f"{count / scale:.1f} {unit}"
    raise AssertionError("unreachable")


def _log_plan(stack: Stack, layout: Layout) -> None:
    names = stack.names()
    shown = names if len(names) <= 6 else [*names[:3], "...", *names[-2:]]
    depth, rows, cols = stack.shape
    log.info(
        "%d slices of %d x %d %s from %d %s file%s, in this order: %s",
        depth,
        rows,
        cols,
        stack.dtype.name,
        len(names),
        KIND_NAMES[stack.kind].removesuffix(" slices"),
        "" if len(names) == 1 else "s",
        ", ".join(shown),
    )
    for number, name in enumerate(names, 1):
        log.debug("  %d: %s", number, name)
    if layout.orientation is not None:
        log.info(
            'orientation %s from the NIfTI header: set dataset.orientation = "%s" in the scene',
            layout.orientation,
            layout.orientation,
        )
    if len(layout.paths) > 1 and layout.voxel_size is None:
        log.info("no voxel size (--voxel-size): the pyramid halves in-plane only")
    for path, shape, factor in zip(
        layout.paths[1:], layout.shapes[1:], layout.factors[1:], strict=True
    ):
        log.info(
            "pyramid %s: %s (block mean of %s)",
            path,
            " x ".join(map(str, shape)),
            " x ".join(map(str, factor)),
        )
    if layout.compression == "gzip":
        log.info(
            "gzip level %d; a compressed conversion restarts if interrupted", layout.gzip_level
        )
