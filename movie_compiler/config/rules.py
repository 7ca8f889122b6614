"""Rules that involve more than one field, all in one place.

Each rule yields ``(key path, message)``; the loader turns the key path into a file position.
The rules run on a scene that already passed the model's per-field checks.
"""

from __future__ import annotations

import re
import shlex
from collections.abc import Iterator, Sequence
from pathlib import PurePath

from movie_compiler.camera import vec
from movie_compiler.config import keypath, limits, overlay_rules
from movie_compiler.config.keypath import KeyPath
from movie_compiler.config.limits import CODEC_FOR_SUFFIX
from movie_compiler.config.model import (
    Box,
    CameraState,
    Flight,
    Keyframe,
    Orbit,
    Plane,
    Scene,
    ShotBase,
)
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
        *_clip_normals(scene),
        *_encode(scene),
        *overlay_rules.check(scene),
        *limits.check(scene),
        *_cluster(scene),
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
    yield from _points(("volume",), "colors", volume.colors, _kind(scene))
    yield from _points(("volume",), "opacity", volume.opacity, _kind(scene))
    yield from _plane_and_box(("volume",), volume.clip, volume.box)
    yield from _slices(("volume",), volume.slices)
    if not volume.visible and not volume.slices:
        yield (("volume", "visible"), "false hides the volume: give volume.slices to show")


def _points(
    path: KeyPath, name: str, points: Sequence[Sequence[float]], dtype: str | None
) -> Iterator[Finding]:
    """A colour or opacity point set at ``path + (name,)``."""
    if name == "opacity":
        for index, point in enumerate(points):
            if len(point) == 3:
                yield (
                    (*path, name, index),
                    "expected 2 values [scalar, opacity] or 4 [scalar, opacity, midpoint, "
                    f"sharpness], got {len(point)}",
                )
    for index, point in enumerate(points):
        for component, value in enumerate(point[1:], start=1):
            if not 0.0 <= value <= 1.0:
                what = (
                    ("r", "g", "b")[component - 1]
                    if name == "colors"
                    else ("opacity", "midpoint", "sharpness")[component - 1]
                )
                yield (
                    (*path, name, index, component),
                    f"{what} must be from 0 to 1, got {value:g}",
                )
    if dtype == FRACTION:
        limits_: tuple[float, float] | None = (0.0, 1.0)
    else:
        limits_ = DTYPE_RANGES[dtype] if dtype is not None else None
    yield from _scalars((*path, name), [p[0] for p in points], dtype, limits_)


FRACTION = "fraction"
"""What :func:`_kind` says for points given as fractions of the data's range."""


def _kind(scene: Scene) -> str | None:
    """What the points' scalars must lie in: the dtype's range, or 0 to 1 (fractions)."""
    return FRACTION if scene.volume.scalars == "fraction" else scene.dataset.dtype


def _scalars(
    path: KeyPath, scalars: Sequence[float], dtype: str | None, limits: tuple[float, float] | None
) -> Iterator[Finding]:
    for index, value in enumerate(scalars):
        if limits is not None and not limits[0] <= value <= limits[1]:
            where = (
                'must be from 0 to 1 (volume.scalars = "fraction": a share of the data\'s range)'
                if dtype == FRACTION
                else f"is outside the range of dataset.dtype = {dtype!r} "
                f"({limits[0]:g} to {limits[1]:g})"
            )
            yield ((*path, index, 0), f"scalar {value:g} {where}")
        if index and value <= scalars[index - 1]:
            yield (
                (*path, index, 0),
                f"scalars must increase strictly: {value:g} follows {scalars[index - 1]:g}",
            )


def _plane_and_box(path: KeyPath, clip: Plane | None, box: Box | None) -> Iterator[Finding]:
    if clip is not None:
        normal = vec.vec(clip.normal)
        if vec.norm(normal) == 0.0:
            yield ((*path, "clip", "normal"), "must not be zero")
        elif sum(1 for c in normal if c != 0.0) != 1:
            yield (
                (*path, "clip", "normal"),
                f"must lie along an axis, such as [1, 0, 0] or [0, 0, -1], got {_fmt(normal)} "
                "(ParaView 5.11 clips a volume without re-filtering it only along its axes)",
            )
    if box is not None:
        for axis, (low, high) in enumerate(zip(box.min, box.max, strict=True)):
            if low >= high:
                yield (
                    (*path, "box", "max", axis),
                    f"must be larger than min[{axis}] = {low:g}, got {high:g} (a box has a "
                    "positive size)",
                )


def _placement(path: KeyPath, camera: CameraState | Keyframe) -> Iterator[Finding]:
    """A camera is placed by its position, or by a direction and a fit."""
    if camera.position is not None and camera.direction is not None:
        yield ((*path, "direction"), "give position or direction (with fit), not both")
    elif camera.position is None and camera.direction is None:
        yield (path, "give position, or direction and fit")
    if camera.direction is not None and camera.fit is None:
        yield ((*path, "direction"), "give fit with direction (how much of the frame to fill)")
    if camera.fit is not None and camera.direction is None:
        yield ((*path, "fit"), "goes with direction, instead of position")


def _camera(path: KeyPath, camera: CameraState | Keyframe) -> Iterator[Finding]:
    placement = list(_placement(path, camera))
    yield from placement
    if placement or camera.focal_point is None:
        return
    if camera.position is not None:
        view = vec.sub(vec.vec(camera.focal_point), vec.vec(camera.position))
        if vec.norm(view) == 0.0:
            yield (
                (*path, "focal_point"),
                f"must differ from position {_fmt(vec.vec(camera.position))}",
            )
            return
        named = f"focal_point - position = {_fmt(view)}"
    else:
        assert camera.direction is not None
        view = vec.vec(camera.direction)
        if vec.norm(view) == 0.0:
            yield ((*path, "direction"), "must not be zero")
            return
        named = f"direction = {_fmt(view)}"
    if camera.view_up is not None:
        if vec.norm(vec.vec(camera.view_up)) == 0.0:
            yield ((*path, "view_up"), "must not be zero")
        elif vec.parallel(view, vec.vec(camera.view_up)):
            yield (
                (*path, "view_up"),
                f"{_fmt(vec.vec(camera.view_up))} is parallel to the view direction ({named})",
            )


def _projection(scene: Scene) -> Iterator[Finding]:
    camera = scene.camera
    if camera.parallel_scale is not None and camera.projection != "orthographic":
        yield (
            ("camera", "parallel_scale"),
            f'only with projection = "orthographic" (projection = "{camera.projection}")',
        )


def _slices(path: KeyPath, planes: Sequence[Plane]) -> Iterator[Finding]:
    for index, plane in enumerate(planes):
        if vec.norm(vec.vec(plane.normal)) == 0.0:
            yield ((*path, "slices", index, "normal"), "must not be zero")


def _clip_normals(scene: Scene) -> Iterator[Finding]:
    """One clip plane per movie: it sweeps along its normal, which never turns."""
    first: tuple[KeyPath, vec.Vec] | None = None
    if scene.volume.clip is not None:
        first = (("volume", "clip", "normal"), vec.vec(scene.volume.clip.normal))
    for index, shot in enumerate(scene.shots):
        for k, keyframe in enumerate(shot.keyframes):
            if keyframe.clip is None or vec.norm(vec.vec(keyframe.clip.normal)) == 0.0:
                continue
            path: KeyPath = ("shots", index, "keyframes", k, "clip", "normal")
            normal = vec.vec(keyframe.clip.normal)
            if first is None:
                first = (path, normal)
            elif not vec.parallel(first[1], normal) or vec.dot(first[1], normal) < 0.0:
                yield (
                    path,
                    f"must be the same direction as {keypath.format_key(first[0])} = "
                    f"{_fmt(first[1])}, got {_fmt(normal)} (a clip plane sweeps along its "
                    "normal, which does not turn)",
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
        yield from _keyframes(path, shot, scene)


def _keyframes(path: KeyPath, shot: ShotBase, scene: Scene) -> Iterator[Finding]:
    frames = shot.keyframes
    kind = type(shot).__name__.lower()
    for k, keyframe in enumerate(frames):
        kpath = (*path, "keyframes", k)
        if k and keyframe.at <= frames[k - 1].at:
            yield (
                (*kpath, "at"),
                f"must increase strictly: {keyframe.at:g} follows {frames[k - 1].at:g}",
            )
        camera_keys = keyframe.camera_keys()
        if not camera_keys and not keyframe.volume_keys():
            yield (
                kpath,
                "animates nothing: give a camera (flights), colors, opacity, opacity_scale, "
                "clip, box or slices",
            )
        if camera_keys and not isinstance(shot, Flight):
            yield (
                (*kpath, camera_keys[0]),
                f"{'an' if kind[0] in 'aeiou' else 'a'} {kind} shot moves the camera itself, so "
                "its keyframes cannot animate the camera; use a flight shot",
            )
        elif camera_keys:
            yield from _camera_keyframe(kpath, keyframe, scene)
        if keyframe.colors is not None:
            yield from _points(kpath, "colors", keyframe.colors, _kind(scene))
        if keyframe.opacity is not None:
            yield from _points(kpath, "opacity", keyframe.opacity, _kind(scene))
        yield from _plane_and_box(kpath, keyframe.clip, keyframe.box)
        if keyframe.slices is not None:
            yield from _slices(kpath, keyframe.slices)
            count = len(scene.volume.slices)
            if len(keyframe.slices) != count:
                yield (
                    (*kpath, "slices"),
                    f"gives {len(keyframe.slices)} planes for the {count} of volume.slices: a "
                    "keyframe moves the slices, one plane for each, in the same order",
                )
    if not isinstance(shot, Flight):
        return
    cameras = [k for k, keyframe in enumerate(frames) if keyframe.places_camera()]
    if not cameras:
        yield (
            (*path, "keyframes"),
            "a flight needs a keyframe with position (or direction and fit) and focal_point",
        )
        return
    last = cameras[-1]
    if frames[last].at != 1.0:
        yield (
            (*path, "keyframes", last, "at"),
            f"the last keyframe must be at 1 (the end of the shot), got {frames[last].at:g}",
        )
    if shot.start is not None and frames[cameras[0]].at == 0.0:
        yield (
            (*path, "start"),
            "the keyframe at 0 already says where the flight starts; give one of them",
        )


def _camera_keyframe(kpath: KeyPath, keyframe: Keyframe, scene: Scene) -> Iterator[Finding]:
    if keyframe.focal_point is None:
        if keyframe.places_camera():
            given = "position" if keyframe.position is not None else "direction"
            yield ((*kpath, given), f"give focal_point with {given}")
        else:
            yield (
                (*kpath, keyframe.camera_keys()[0]),
                "a camera keyframe gives position (or direction and fit) and focal_point",
            )
    elif not keyframe.places_camera():
        yield ((*kpath, "focal_point"), "give position (or direction and fit) with focal_point")
    else:
        yield from _camera(kpath, keyframe)
    if keyframe.parallel_scale is not None and scene.camera.projection != "orthographic":
        yield (
            (*kpath, "parallel_scale"),
            f'only with camera.projection = "orthographic" (projection = '
            f'"{scene.camera.projection}")',
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


SBATCH_OWN = {
    "-a": "--array",
    "--array": "it is the render tasks' windows",
    "-d": "--dependency",
    "--dependency": "the encode job waits for the render tasks",
    "-o": "--output",
    "--output": "the logs go to the build folder",
    "-e": "--error",
    "--error": "the logs go to the build folder",
    "-J": "--job-name",
    "--job-name": "it names the scene",
    "--parsable": "moviec reads the job id",
    "--wrap": "moviec writes the batch scripts",
    "-W": "--wait",
    "--wait": "use moviec build --wait",
}
"""sbatch options moviec sets itself, and why."""
SBATCH_KEYED = {
    "-p": "partition",
    "--partition": "partition",
    "-A": "account",
    "--account": "account",
    "-t": "time",
    "--time": "time",
    "-N": "nodes",
    "--nodes": "nodes",
    "-n": "ntasks",
    "--ntasks": "ntasks",
    "-c": "cpus_per_task",
    "--cpus-per-task": "cpus_per_task",
    "--mem": "mem",
}
"""sbatch options that have a key of their own in [cluster]."""


SLURM_TIME = re.compile(r"\d+(:\d+){0,2}|\d+-\d+(:\d+){0,2}|UNLIMITED|unlimited|INFINITE|infinite")
"""sbatch's --time forms: MM, MM:SS, HH:MM:SS, D-HH, D-HH:MM, D-HH:MM:SS."""
MEMORY = re.compile(r"\d+[KMGT]?")


def _cluster(scene: Scene) -> Iterator[Finding]:
    cluster = scene.cluster
    for name in ("partition", "account"):
        value = getattr(cluster, name)
        if value is not None and (not value or any(c.isspace() or c == "," for c in value)):
            yield (("cluster", name), f"one {name} name, without spaces or commas, got {value!r}")
    for name in ("time", "encode_time"):
        value = getattr(cluster, name)
        if value is not None and not SLURM_TIME.fullmatch(value):
            yield (
                ("cluster", name),
                "expected a Slurm time limit: minutes (90), HH:MM:SS (1:30:00) or D-HH:MM:SS "
                f"(1-12:00:00), got {value!r}",
            )
    if cluster.mem is not None and not MEMORY.fullmatch(cluster.mem):
        yield (("cluster", "mem"), f"expected a size such as 64G or 4000M, got {cluster.mem!r}")
    ntasks = cluster.ntasks if cluster.ntasks is not None else cluster.ranks
    if ntasks < cluster.ranks:
        yield (
            ("cluster", "ntasks"),
            f"must be at least ranks ({cluster.ranks}): each MPI rank is a Slurm task, "
            f"got {ntasks}",
        )
    elif ntasks < cluster.nodes:
        key = "ntasks" if cluster.ntasks is not None else "nodes"
        yield (
            ("cluster", key),
            f"{cluster.nodes} nodes need at least as many tasks (ranks), got {ntasks}",
        )
    for index, line in enumerate(cluster.setup):
        if "\n" in line or "\r" in line:
            yield (("cluster", "setup", index), "one shell line per entry (no line breaks)")
    for index, option in enumerate(cluster.options):
        name = re.split(r"[=\s]", option.strip(), maxsplit=1)[0]
        if not option.startswith("-") or "\n" in option:
            yield (
                ("cluster", "options", index),
                f"expected one sbatch option such as '--qos=normal', got {option!r}",
            )
        elif name in SBATCH_OWN:
            why = SBATCH_OWN[name]
            long = why if why.startswith("--") else name
            reason = SBATCH_OWN[long] if why.startswith("--") else why
            yield (("cluster", "options", index), f"moviec sets {long} itself ({reason})")
        elif name in SBATCH_KEYED:
            yield (
                ("cluster", "options", index),
                f"use cluster.{SBATCH_KEYED[name]} instead of {option!r}",
            )
    try:
        words = shlex.split(cluster.launcher)
    except ValueError as exc:
        yield (("cluster", "launcher"), f"not a command line: {exc}")
    else:
        if not words:
            yield (("cluster", "launcher"), "must name a program, such as 'srun --mpi=pmix'")


def _names(mapping: dict[str, str]) -> str:
    return ", ".join(mapping)


def _fmt(v: vec.Vec) -> str:
    return "[" + ", ".join(f"{x:g}" for x in v) + "]"
