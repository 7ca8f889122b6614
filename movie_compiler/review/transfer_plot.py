"""``transfer-function.png``: the colour bar and the opacity curve over the data's histogram.

The histogram is read from the coarsest level of the file's pyramid (a block mean: a few MB
even for a 200 GB volume), or from the array itself when there is no pyramid. Colours are
drawn interpolated in RGB (the scene's ``color_space`` is named in the title when it is
another); opacity points are joined linearly (their midpoint and sharpness are not drawn). The
scene's own points come first; each keyframe that sets colours or opacity adds a curve.
"""

from __future__ import annotations

import logging
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

import numpy as np

from movie_compiler import fsutil
from movie_compiler.config.load import LoadedScene

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class Curves:
    """One transfer function to draw."""

    label: str
    colors: list[list[float]]
    opacity: list[list[float]]
    dashed: bool = False


@dataclass(frozen=True)
class Histogram:
    counts: Any
    edges: Any
    source: str
    """What was read: ``/T1_levels/2 (48 x 59 x 50)``."""


def scene_curves(loaded: LoadedScene, prefix: str = "", dashed: bool = False) -> list[Curves]:
    """The scene's transfer function and each keyframe's that sets one."""
    volume = loaded.scene.volume
    colors = [list(p) for p in volume.colors]
    opacity = [list(p[:2]) for p in volume.opacity]
    out = [Curves(f"{prefix}[volume]", colors, opacity, dashed)]
    for i, shot in enumerate(loaded.scene.shots):
        for k, key in enumerate(shot.keyframes):
            if key.colors is None and key.opacity is None:
                continue
            colors = [list(p) for p in key.colors] if key.colors is not None else colors
            opacity = [list(p[:2]) for p in key.opacity] if key.opacity is not None else opacity
            out.append(Curves(f"{prefix}shots[{i}].keyframes[{k}]", colors, opacity, dashed))
    return out


def histogram(loaded: LoadedScene, bins: int = 128) -> Histogram | None:
    """The histogram of the coarsest stored level of an HDF5 dataset (None for XDMF input or
    when the data cannot be read)."""
    from movie_compiler.config.rules import XDMF_SUFFIXES
    from movie_compiler.data.store import array_path, find_volume, levels_of, open_hdf5

    dataset = loaded.scene.dataset
    if dataset.path.lower().endswith(XDMF_SUFFIXES):
        return None
    path = loaded.resolve(dataset.path)
    try:
        with open_hdf5(path) as file:
            name = find_volume(file, path) if dataset.array is None else array_path(dataset.array)
            levels = levels_of(file, name)
            coarsest = levels[max(levels)]
            values = np.asarray(file[coarsest.path][...])
    except Exception as error:  # the preview still draws the curves without the data
        log.warning("no histogram: %s", error)
        return None
    values = values[np.isfinite(values)] if values.dtype.kind == "f" else values.ravel()
    if values.size == 0:
        return None
    counts, edges = np.histogram(values, bins=bins)
    shape = " x ".join(map(str, coarsest.shape))
    return Histogram(counts, edges, f"{coarsest.path} ({shape})")


def draw(
    groups: Sequence[tuple[str, Sequence[Curves]]], hist: Histogram | None, target: Path
) -> Path:
    """One panel per group (a scene, or before/after) with its curves over the histogram,
    and one colour bar per curve."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt

    curves_all = [c for _, group in groups for c in group]
    bars = len(curves_all)
    figure = plt.figure(figsize=(10, 3.6 * len(groups) + 0.45 * bars + 0.6))
    ratios = [6] * len(groups) + [0.8] * bars
    grid = figure.add_gridspec(len(groups) + bars, 1, height_ratios=ratios, hspace=0.6)
    low = min(min(p[0] for p in c.colors + c.opacity) for c in curves_all)
    high = max(max(p[0] for p in c.colors + c.opacity) for c in curves_all)
    if hist is not None:
        low, high = min(low, float(hist.edges[0])), max(high, float(hist.edges[-1]))
    scalars = np.linspace(low, high, 512)
    styles: Any = matplotlib.color_sequences["tab10"]
    for g, (title, group) in enumerate(groups):
        axis = figure.add_subplot(grid[g])
        if hist is not None:
            counts = np.maximum(hist.counts, 1)
            twin = axis.twinx()
            twin.bar(
                hist.edges[:-1],
                counts,
                width=np.diff(hist.edges),
                align="edge",
                color="0.82",
                zorder=0,
            )
            twin.set_yscale("log")
            twin.set_ylabel(f"voxels (log), {hist.source}", fontsize=8)
            axis.set_zorder(twin.get_zorder() + 1)
            axis.patch.set_visible(False)
        for c, curve in enumerate(group):
            xs = [p[0] for p in curve.opacity]
            ys = [p[1] for p in curve.opacity]
            xs, ys = [low, *xs, high], [ys[0], *ys, ys[-1]]
            axis.plot(
                xs,
                ys,
                "--" if curve.dashed else "-",
                marker="o",
                ms=4,
                color=styles[c % len(styles)],
                label=curve.label,
            )
        axis.set_xlim(low, high)
        axis.set_ylim(-0.02, 1.02)
        axis.set_ylabel("opacity")
        axis.set_title(title, fontsize=10)
        axis.legend(fontsize=8, loc="upper left")
    for b, curve in enumerate(curves_all):
        axis = figure.add_subplot(grid[len(groups) + b])
        points = np.array(curve.colors, dtype=float)
        rgb = np.stack([np.interp(scalars, points[:, 0], points[:, c]) for c in (1, 2, 3)], -1)
        axis.imshow(rgb[np.newaxis, :, :], aspect="auto", extent=(low, high, 0, 1))
        axis.set_yticks([])
        axis.set_ylabel(curve.label, rotation=0, ha="right", va="center", fontsize=8)
        if b < bars - 1:
            axis.set_xticks([])
    figure.axes[-1].set_xlabel("data value")
    with fsutil.atomic_path(target, suffix=".png") as temporary:
        figure.savefig(temporary, format="png", dpi=80, bbox_inches="tight")
    plt.close(figure)
    return target


def color_space_note(loaded: LoadedScene) -> str:
    space = loaded.scene.volume.color_space
    return "" if space == "RGB" else f" (colours drawn in RGB; the movie blends them in {space})"
