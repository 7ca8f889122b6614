"""``camera-path.png``: where the camera goes over the whole movie, drawn with matplotlib.

Four panels: the top view (x, y), the front view (x, z), the side view (y, z) and a 3-D view,
all in moviec's normalised coordinates. Each shot's camera positions are a line in its own
colour with arrows in the direction of travel; focal points are a thin line of the same
colour; circles mark where shots begin, stars the flight keyframes; the grey box is the volume.
Several paths (a diff's before and after) are drawn in one plot, the earlier ones dashed.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from movie_compiler import fsutil
from movie_compiler.config.load import LoadedScene
from movie_compiler.errors import MoviecError
from movie_compiler.plan import Plan

VIEWS = (("top (x, y)", 0, 1), ("front (x, z)", 0, 2), ("side (y, z)", 1, 2))


@dataclass(frozen=True)
class Path3:
    """One movie's camera path to draw."""

    label: str
    plan: Plan
    dashed: bool = False


def volume_box(loaded: LoadedScene) -> tuple[float, float, float] | None:
    """Half the volume's extent on x, y, z in normalised coordinates (the longest axis spans
    1.0, centred at 0), or None when the data cannot be opened or is described by XDMF."""
    from movie_compiler.data import dataset

    voxel = loaded.scene.dataset.voxel_size
    try:
        shape = dataset.identity(loaded)["shape"]
    except MoviecError:
        return None
    if voxel is None or len(shape) != 3:
        return None
    # HDF5 arrays are slowest axis first; ParaView's x is the fastest
    lengths = [shape[2] * voxel[2], shape[1] * voxel[1], shape[0] * voxel[0]]
    longest = max(lengths)
    return (lengths[0] / longest / 2, lengths[1] / longest / 2, lengths[2] / longest / 2)


def draw(paths: Sequence[Path3], target: Path, box: tuple[float, float, float] | None) -> Path:
    """Write the camera paths of ``paths`` into ``target`` (PNG)."""
    import matplotlib

    matplotlib.use("Agg")
    import matplotlib.pyplot as plt
    from matplotlib.lines import Line2D

    figure = plt.figure(figsize=(13, 11))
    axes2d = [figure.add_subplot(2, 2, i + 1) for i in range(3)]
    axis3d = figure.add_subplot(2, 2, 4, projection="3d")
    colors: Any = matplotlib.color_sequences["tab10"]
    handles: list[Any] = []
    for p, path in enumerate(paths):
        style = "--" if path.dashed else "-"
        for shot in path.plan.shots:
            color = colors[(shot.index + 3 * p) % len(colors)]
            pos = [pose.position for pose in shot.poses] + [shot.end.position]
            focal = [pose.focal_point for pose in shot.poses] + [shot.end.focal_point]
            keys = [shot.poses[min(k, shot.frames - 1)].position for k in shot.keyframes]
            label = f"{path.label}shots[{shot.index}] {shot.name} ({shot.kind})"
            for axis, (_, a, b) in zip(axes2d, VIEWS, strict=True):
                (line,) = axis.plot(
                    [q[a] for q in pos], [q[b] for q in pos], style, color=color, lw=2
                )
                axis.plot([q[a] for q in focal], [q[b] for q in focal], ":", color=color, lw=1)
                axis.plot(pos[0][a], pos[0][b], "o", color=color, ms=7, mec="black")
                for q in keys:
                    axis.plot(q[a], q[b], "*", color=color, ms=13, mec="black")
                _arrows(axis, [(q[a], q[b]) for q in pos], color)
            if shot.index == 0 or shot.index == len(path.plan.shots) - 1:
                which = "start" if shot.index == 0 else "end"
                where = pos[0] if shot.index == 0 else shot.poses[-1].position
                for axis, (_, a, b) in zip(axes2d, VIEWS, strict=True):
                    axis.annotate(
                        f"{path.label}{which}",
                        (where[a], where[b]),
                        xytext=(6, (-12 if which == "end" else 6) - 12 * p),
                        textcoords="offset points",
                        fontsize=9,
                        weight="bold",
                    )
            axis3d.plot(*zip(*pos, strict=True), style, color=color, lw=2)
            axis3d.plot(*zip(*focal, strict=True), ":", color=color, lw=1)
            axis3d.scatter(*pos[0], color=color, s=40, edgecolors="black")
            for q in keys:
                axis3d.scatter(*q, color=color, marker="*", s=120, edgecolors="black")
            handles.append((line, label))
    for axis, (name, a, b) in zip(axes2d, VIEWS, strict=True):
        if box is not None:
            axis.add_patch(
                matplotlib.patches.Rectangle(
                    (-box[a], -box[b]), 2 * box[a], 2 * box[b], color="0.8", zorder=0
                )
            )
        axis.set_title(name)
        axis.set_xlabel("xyz"[a])
        axis.set_ylabel("xyz"[b])
        axis.set_aspect("equal", adjustable="datalim")
        axis.grid(True, lw=0.3)
    if box is not None:
        _box3d(axis3d, box)
    axis3d.set_title("3-D")
    axis3d.set_xlabel("x")
    axis3d.set_ylabel("y")
    axis3d.set_zlabel("z")
    _equal3d(axis3d, paths, box)
    legend: list[Any] = [h for h, _ in handles]
    names = [n for _, n in handles]
    marks: list[Any] = [
        Line2D([], [], ls="", marker="o", color="white", mec="black", label="shot begins"),
        Line2D([], [], ls="", marker="*", ms=12, color="white", mec="black", label="keyframe"),
        Line2D([], [], ls=":", color="black", label="focal point"),
        matplotlib.patches.Patch(color="0.8", label="volume"),
    ]
    figure.legend(
        [*legend, *marks],
        [*names, *(m.get_label() for m in marks)],
        loc="lower center",
        ncol=3,
        fontsize=9,
        frameon=False,
    )
    figure.suptitle("Camera positions (lines, arrows: direction of travel) and focal points")
    figure.tight_layout(rect=(0, 0.08, 1, 0.97))
    with fsutil.atomic_path(target, suffix=".png") as temporary:
        figure.savefig(temporary, format="png", dpi=80)
    plt.close(figure)
    return target


def _arrows(axis: Any, points: list[tuple[float, float]], color: Any) -> None:
    """Arrows along a path, about four per shot, pointing the way the camera moves."""
    if len(points) < 3:
        return
    step = max(1, len(points) // 4)
    for i in range(step // 2, len(points) - 1, step):
        (x0, y0), (x1, y1) = points[i], points[i + 1]
        if abs(x1 - x0) + abs(y1 - y0) < 1e-9:
            continue
        axis.annotate(
            "",
            xy=(x1, y1),
            xytext=(x0, y0),
            arrowprops={"arrowstyle": "-|>", "color": color, "lw": 1.5, "mutation_scale": 16},
        )


def _box3d(axis: Any, box: tuple[float, float, float]) -> None:
    x, y, z = box
    corners = [(sx * x, sy * y, sz * z) for sx in (-1, 1) for sy in (-1, 1) for sz in (-1, 1)]
    for i, a in enumerate(corners):
        for b in corners[i + 1 :]:
            if sum(1 for u, v in zip(a, b, strict=True) if u != v) == 1:
                axis.plot(*zip(a, b, strict=True), color="0.6", lw=1)


def _equal3d(axis: Any, paths: Sequence[Path3], box: tuple[float, float, float] | None) -> None:
    points = [pose.position for p in paths for s in p.plan.shots for pose in s.poses]
    if box is not None:
        points += [box, (-box[0], -box[1], -box[2])]
    low = [min(q[i] for q in points) for i in range(3)]
    high = [max(q[i] for q in points) for i in range(3)]
    half = max(h - lo for lo, h in zip(low, high, strict=True)) / 2 or 1.0
    for i, setter in enumerate((axis.set_xlim, axis.set_ylim, axis.set_zlim)):
        middle = (low[i] + high[i]) / 2
        setter(middle - half, middle + half)
