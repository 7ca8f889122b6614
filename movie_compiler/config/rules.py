"""Rules that involve more than one field, all in one place.

Each rule yields ``(key path, message)``; the loader turns the key path into a file position.
The rules run on a scene that already passed the model's per-field checks.
"""

from __future__ import annotations

from collections.abc import Iterator, Sequence
from pathlib import PurePath

from movie_compiler.camera import vec
from movie_compiler.config import limits
from movie_compiler.config.keypath import KeyPath
from movie_compiler.config.limits import CODEC_FOR_SUFFIX
from movie_compiler.config.model import CameraState, Flight, Keyframe, Orbit, Scene
from movie_compiler.plan import frames_in

Finding = tuple[KeyPath, str]

DTYPE_RANGES: dict[str, tuple[float, float] | None] = {
    "uint8": (0, 255),
    "int8": (-128, 127),
    "uint16": (0, 65535),
    "int16": (-32768, 32767),
    "uint32": (0, 4294967295),
    "int32": (-2147483648, 2147483647),
    "float32": None,
    "float64": None,
}
HDF5_SUFFIXES = (".h5", ".hdf5", ".he5")
XDMF_SUFFIXES = (".xdmf", ".xmf")
CRF_RANGES = {"h264": (0, 51), "vp9": (0, 63)}


def check(scene: Scene) -> list[Finding]:
    """Every cross-field problem of ``scene``, in document order."""
    return [
        *_movie(scene),
        *_dataset(scene),
        *_volume(scene),
        *_camera(("camera",), scene.camera),
        *_projection(scene),
        *_shots(scene),
        *_encode(scene),
        *limits.check(scene),
    ]


def _movie(scene: Scene) -> Iterator[Finding]:
    width, height = scene.movie.resolution
    if width % 2 or height % 2:
        yield (
            ("movie", "resolution"),
            f"width and height must be even (yuv420p), got {width} x {height}",
        )
    output = scene.movie.output
    if output is not None and PurePath(output).suffix.lower() not in CODEC_FOR_SUFFIX:
        yield (
            ("movie", "output"),
            f"suffix must be one of {_names(CODEC_FOR_SUFFIX)}, got {output!r}",
        )


def _dataset(scene: Scene) -> Iterator[Finding]:
    data = scene.dataset
    suffix = PurePath(data.path).suffix.lower()
    if suffix in HDF5_SUFFIXES:
        if data.array is None:
            yield (
                ("dataset", "array"),
                "required for HDF5 input (the dataset's path in the file, such as '/PLI')",
            )
    elif suffix in XDMF_SUFFIXES:
        if data.subsample != (1, 1, 1):
            yield (
                ("dataset", "subsample"),
                "only for HDF5 input; an XDMF file describes its own hyperslab",
            )
        if data.level is not None:
            yield (("dataset", "level"), "only for HDF5 input")
    else:
        yield (
            ("dataset", "path"),
            f"must be an HDF5 ({', '.join(HDF5_SUFFIXES)}) or XDMF ({', '.join(XDMF_SUFFIXES)}) "
            f"file, got {data.path!r}",
        )
    if suffix in HDF5_SUFFIXES and data.level is not None and data.subsample != (1, 1, 1):
        yield (
            ("dataset", "level"),
            f"give subsample or level, not both (subsample = {list(data.subsample)})",
        )


def _volume(scene: Scene) -> Iterator[Finding]:
    volume = scene.volume
    dtype = scene.dataset.dtype
    limits = DTYPE_RANGES[dtype] if dtype is not None else None
    for index, point in enumerate(volume.opacity):
        if len(point) == 3:
            yield (
                ("volume", "opacity", index),
                "expected 2 values [scalar, opacity] or 4 [scalar, opacity, midpoint, "
                f"sharpness], got {len(point)}",
            )
    for name, points in (("colors", volume.colors), ("opacity", volume.opacity)):
        for index, point in enumerate(points):
            for component, value in enumerate(point[1:], start=1):
                if not 0.0 <= value <= 1.0:
                    what = (
                        ("r", "g", "b")[component - 1]
                        if name == "colors"
                        else ("opacity", "midpoint", "sharpness")[component - 1]
                    )
                    yield (
                        ("volume", name, index, component),
                        f"{what} must be from 0 to 1, got {value:g}",
                    )
        yield from _scalars(name, [p[0] for p in points], dtype, limits)


def _scalars(
    name: str, scalars: Sequence[float], dtype: str | None, limits: tuple[float, float] | None
) -> Iterator[Finding]:
    for index, value in enumerate(scalars):
        if limits is not None and not limits[0] <= value <= limits[1]:
            yield (
                ("volume", name, index, 0),
                f"scalar {value:g} is outside the range of dataset.dtype = {dtype!r} "
                f"({limits[0]:g} to {limits[1]:g})",
            )
        if index and value <= scalars[index - 1]:
            yield (
                ("volume", name, index, 0),
                f"scalars must increase strictly: {value:g} follows {scalars[index - 1]:g}",
            )


def _camera(path: KeyPath, camera: CameraState | Keyframe) -> Iterator[Finding]:
    direction = vec.sub(vec.vec(camera.focal_point), vec.vec(camera.position))
    if vec.norm(direction) == 0.0:
        yield (
            (*path, "focal_point"),
            f"must differ from position {_fmt(vec.vec(camera.position))}",
        )
        return
    if camera.view_up is not None:
        if vec.norm(vec.vec(camera.view_up)) == 0.0:
            yield ((*path, "view_up"), "must not be zero")
        elif vec.parallel(direction, vec.vec(camera.view_up)):
            yield (
                (*path, "view_up"),
                f"{_fmt(vec.vec(camera.view_up))} is parallel to the view direction "
                f"(focal_point - position = {_fmt(direction)})",
            )


def _projection(scene: Scene) -> Iterator[Finding]:
    camera = scene.camera
    if camera.parallel_scale is not None and camera.projection != "orthographic":
        yield (
            ("camera", "parallel_scale"),
            f'only with projection = "orthographic" (projection = "{camera.projection}")',
        )


def _shots(scene: Scene) -> Iterator[Finding]:
    for index, shot in enumerate(scene.shots):
        path: KeyPath = ("shots", index)
        if shot.frames is None and shot.seconds is None:
            yield ((*path,), "give its length: frames or seconds")
        elif shot.frames is not None and shot.seconds is not None:
            yield ((*path, "seconds"), f"give frames or seconds, not both (frames = {shot.frames})")
        elif shot.seconds is not None and frames_in(shot.seconds, scene.movie.fps) < 1:
            yield (
                (*path, "seconds"),
                f"{shot.seconds:g} s at {scene.movie.fps:g} fps is less than one frame",
            )
        if shot.start is not None:
            yield from _camera((*path, "start"), shot.start)
        if isinstance(shot, Orbit):
            if shot.degrees == 0.0:
                yield (
                    (*path, "degrees"),
                    "must not be 0 (use a hold shot to keep the camera still)",
                )
            if shot.axis is not None and vec.norm(vec.vec(shot.axis)) == 0.0:
                yield ((*path, "axis"), "must not be zero")
        if isinstance(shot, Flight):
            yield from _keyframes(path, shot)


def _keyframes(path: KeyPath, shot: Flight) -> Iterator[Finding]:
    frames = shot.keyframes
    for k, keyframe in enumerate(frames):
        kpath = (*path, "keyframes", k)
        if k and keyframe.at <= frames[k - 1].at:
            yield (
                (*kpath, "at"),
                f"must increase strictly: {keyframe.at:g} follows {frames[k - 1].at:g}",
            )
        yield from _camera(kpath, keyframe)
    if frames[-1].at != 1.0:
        yield (
            (*path, "keyframes", len(frames) - 1, "at"),
            f"the last keyframe must be at 1 (the end of the shot), got {frames[-1].at:g}",
        )
    if shot.start is not None and frames[0].at == 0.0:
        yield (
            (*path, "start"),
            "the keyframe at 0 already says where the flight starts; give one of them",
        )


def _encode(scene: Scene) -> Iterator[Finding]:
    encode = scene.encode
    output = scene.movie.output
    suffix = PurePath(output).suffix.lower() if output else ".mp4"
    implied = CODEC_FOR_SUFFIX.get(suffix)
    codec = encode.codec or implied
    if encode.codec is not None and implied is not None and encode.codec != implied:
        yield (
            ("encode", "codec"),
            f"{encode.codec!r} does not go into a {suffix} file (movie.output = {output!r}); "
            f"use {implied!r}",
        )
    if encode.crf is not None and codec is not None:
        if codec == "gif":
            yield (("encode", "crf"), "GIF has no CRF; remove it")
        else:
            low, high = CRF_RANGES[codec]
            if not low <= encode.crf <= high:
                yield (
                    ("encode", "crf"),
                    f"must be from {low} to {high} for {codec}, got {encode.crf}",
                )


def _names(mapping: dict[str, str]) -> str:
    return ", ".join(mapping)


def _fmt(v: vec.Vec) -> str:
    return "[" + ", ".join(f"{x:g}" for x in v) + "]"
