"""Cross-field rules of `[overlays]`, `[transitions]`, shots' `crossfade` and
`dataset.orientation`; each yields ``(key path, message)`` like :mod:`.rules`."""

from __future__ import annotations

from collections.abc import Iterator
from pathlib import PurePath

from movie_compiler.config import rules
from movie_compiler.config.keypath import KeyPath
from movie_compiler.config.model import Scene
from movie_compiler.sequence import movie_frame_counts, shot_names

Finding = tuple[KeyPath, str]

AXIS_PAIRS = ("LR", "AP", "SI")
"""Anatomical directions come in opposite pairs; an orientation names one of each."""


def check(scene: Scene) -> Iterator[Finding]:
    yield from _orientation(scene)
    yield from _overlays(scene)
    yield from _crossfades(scene)
    yield from _fades(scene)


def _orientation(scene: Scene) -> Iterator[Finding]:
    code = scene.dataset.orientation
    if code is None:
        return
    for pair in AXIS_PAIRS:
        if sum(code.count(letter) for letter in pair) != 1:
            yield (
                ("dataset", "orientation"),
                f"must name each of R/L, A/P, S/I once, such as 'RAS' or 'LPI', got {code!r}",
            )
            return


def _overlays(scene: Scene) -> Iterator[Finding]:
    overlays = scene.overlays
    names = shot_names(scene)
    for index, caption in enumerate(overlays.captions):
        if caption.shot not in names:
            shown = ", ".join(repr(name) for name in names)
            yield (
                ("overlays", "captions", index, "shot"),
                f"no shot is named {caption.shot!r} (the shots: {shown})",
            )
        elif names.count(caption.shot) > 1:
            yield (
                ("overlays", "captions", index, "shot"),
                f"{names.count(caption.shot)} shots are named {caption.shot!r}; give them "
                "different names",
            )
    if overlays.stamp is not None:
        try:
            overlays.stamp.text.format(frame=0, time=0.0, shot="shot", shot_frame=0)
        except KeyError as exc:
            yield (
                ("overlays", "stamp", "text"),
                f"unknown field {exc}; the fields are frame, time, shot and shot_frame",
            )
        except (IndexError, ValueError) as exc:
            yield (
                ("overlays", "stamp", "text"),
                f"not a format string of frame, time, shot and shot_frame: {exc}",
            )
    bar = overlays.scale_bar
    if bar is not None:
        if PurePath(scene.dataset.path).suffix.lower() in rules.XDMF_SUFFIXES:
            yield (
                ("overlays", "scale_bar"),
                "needs HDF5 input with dataset.voxel_size: an XDMF file does not say the "
                "physical size of its voxels",
            )
        elif scene.dataset.voxel_size is None:
            yield (
                ("overlays", "scale_bar"),
                "needs dataset.voxel_size: the bar's length comes from the physical size of a "
                "voxel",
            )
        if scene.camera.projection != "orthographic":
            yield (
                ("overlays", "scale_bar"),
                'needs camera.projection = "orthographic": in perspective a length on screen '
                "depends on its depth, so no bar is true for the whole picture",
            )
        if bar.position == "center":
            yield (("overlays", "scale_bar", "position"), "must be a corner or an edge, not center")
    if overlays.legend is not None and overlays.legend.position == "center":
        yield (("overlays", "legend", "position"), "must be a corner or an edge, not center")
    orientation = overlays.orientation
    if orientation is not None and orientation.labels and scene.dataset.orientation is None:
        yield (
            ("overlays", "orientation", "labels"),
            'need dataset.orientation (such as "RAS"; `moviec convert` prints it for NIfTI input)',
        )


def _lengths_known(scene: Scene) -> bool:
    """Whether every shot gives its length (the shot rules report those that do not)."""
    return all(shot.frames is not None or shot.seconds is not None for shot in scene.shots)


def _crossfades(scene: Scene) -> Iterator[Finding]:
    if not any(shot.crossfade for shot in scene.shots) or not _lengths_known(scene):
        return
    counts = movie_frame_counts(scene)
    names = shot_names(scene)
    offset = len(counts) - len(scene.shots)  # a title card is a shot of its own
    fades = [0] * (offset + 1) + [shot.crossfade or 0 for shot in scene.shots[1:]] + [0]
    for index, shot in enumerate(scene.shots):
        if shot.crossfade is None:
            continue
        path: KeyPath = ("shots", index, "crossfade")
        if index == 0:
            yield (path, "the first shot has no previous shot to cross-fade from")
            continue
        at = offset + index
        for other, name, shared in ((at - 1, names[index - 1], fades[at - 1]),
                                    (at, names[index], fades[at + 1])):  # fmt: skip
            if shot.crossfade + shared > counts[other]:
                also = f", {shared} of them in another crossfade" if shared else ""
                yield (
                    path,
                    f"{shot.crossfade} frames is longer than shot {name!r} ({counts[other]} "
                    f"movie frames{also})",
                )
                break


def _fades(scene: Scene) -> Iterator[Finding]:
    if not _lengths_known(scene):
        return
    counts = movie_frame_counts(scene)
    total = sum(counts) - sum(shot.crossfade or 0 for shot in scene.shots[1:])
    fades = scene.transitions
    for name, fade in (("fade_in", fades.fade_in), ("fade_out", fades.fade_out)):
        if fade is not None and fade.frames > total:
            yield (
                ("transitions", name, "frames"),
                f"{fade.frames} frames is longer than the movie ({total} frames)",
            )
