"""Plan the frames: the complete state of every frame, computed from the scene in pure Python.

Each frame's :class:`~movie_compiler.state.FrameState` holds its camera (from the shot's
motion) and the volume's tracks (transfer functions, opacity scale, clip plane, box), each
following the keyframes that set it and carrying its value from shot to shot. A keyframe's
``at`` is the time it is reached (:mod:`movie_compiler.camera.timing`).

The frame-count rule: a shot of N frames shows its motion at times ``k / N`` for
``k = 0 .. N-1``; its end state (time 1) is the first frame of the next shot. So shots join
without a repeated frame and a 360 degree orbit loops without repeating its first frame. To end
a movie on a flight's last keyframe, follow the flight with a ``hold`` shot.

With ``movie.frame_step = S`` every planned frame ``g`` with ``g % S == 0`` is rendered and the
movie plays at ``fps / S``: the same motion and duration with fewer frames.
"""

from __future__ import annotations

import math
from collections.abc import Callable, Mapping, Sequence
from dataclasses import dataclass
from typing import Any

from movie_compiler.camera import easing, framing, motion, vec
from movie_compiler.camera.motion import Knot, Pose
from movie_compiler.camera.timing import Timing
from movie_compiler.camera.vec import Vec
from movie_compiler.config.model import (
    CameraState,
    Dolly,
    Flight,
    Hold,
    Keyframe,
    Orbit,
    Scene,
    ShotBase,
)
from movie_compiler.state import TRACKS, FrameState, frame_state


@dataclass(frozen=True)
class PlannedShot:
    """One shot's frames."""

    index: int
    name: str
    kind: str
    first: int
    """Global index of the shot's first frame."""
    poses: tuple[Pose, ...]
    """One camera per frame."""
    states: tuple[FrameState, ...]
    """One complete state per frame (camera included)."""
    keyframes: tuple[int, ...]
    """Frames of the shot (counted from its first) at or after each keyframe's time."""
    start: Pose
    end: Pose
    """Where the camera ends: the next shot's start."""
    end_volume: Mapping[str, Any]
    """The volume's tracks at the shot's end: where the next shot starts from."""

    @property
    def frames(self) -> int:
        return len(self.poses)

    @property
    def stop(self) -> int:
        """Global index one past the shot's last frame."""
        return self.first + len(self.poses)


@dataclass(frozen=True)
class Plan:
    """Every frame of a movie."""

    shots: tuple[PlannedShot, ...]
    fps: float
    frame_step: int
    orthographic: bool

    @property
    def frames(self) -> int:
        """Planned frames (before ``frame_step``)."""
        return self.shots[-1].stop if self.shots else 0

    def rendered(self) -> list[int]:
        """Global indices of the frames that are rendered and encoded."""
        return list(range(0, self.frames, self.frame_step))

    def shot_of(self, frame: int) -> PlannedShot:
        for shot in self.shots:
            if shot.first <= frame < shot.stop:
                return shot
        raise IndexError(frame)

    def pose(self, frame: int) -> Pose:
        shot = self.shot_of(frame)
        return shot.poses[frame - shot.first]

    def state(self, frame: int) -> FrameState:
        """Everything ``frame`` shows."""
        shot = self.shot_of(frame)
        return shot.states[frame - shot.first]

    def camera(self, frame: int) -> dict[str, Any]:
        """What the generated script sets on ParaView's camera for ``frame``."""
        return dict(self.state(frame)["camera"])


def camera_value(pose: Pose, orthographic: bool) -> dict[str, Any]:
    """The camera track's value: what the script sets on ParaView's camera."""
    value: dict[str, Any] = {
        "position": list(pose.position),
        "focal_point": list(pose.focal_point),
        "view_up": list(pose.view_up),
        "view_angle": pose.view_angle,
    }
    if orthographic:
        value["parallel_scale"] = pose.scale
    return value


def frames_in(seconds: float, fps: float) -> int:
    """Frames in ``seconds`` at ``fps``, rounded half up (12.5 -> 13)."""
    return math.floor(seconds * fps + 0.5)


def shot_frames(shot: ShotBase, fps: float) -> int:
    """A shot's length in frames (``frames``, or ``seconds * fps`` rounded half up)."""
    if shot.frames is not None:
        return shot.frames
    assert shot.seconds is not None  # the rules require one of them
    return max(1, frames_in(shot.seconds, fps))


def plan(scene: Scene, extent: Vec | None = None) -> Plan:
    """Plan every frame of ``scene``. ``extent``: the volume's half extents after the
    normalisation (from the data; cameras placed by ``fit`` need it), or None for the cube
    that holds any volume."""
    cam = scene.camera
    orthographic = cam.projection == "orthographic"
    place = Placement(
        extent or framing.UNIT_CUBE,
        scene.movie.resolution[0] / scene.movie.resolution[1],
        orthographic,
    )
    pose = place(cam, cam.view_up, cam.view_angle, cam.parallel_scale)
    volume = {name: track.initial(scene.volume) for name, track in TRACKS.items()}
    shots: list[PlannedShot] = []
    first = 0
    for index, shot in enumerate(scene.shots):
        start = pose
        if shot.start is not None:
            s = shot.start
            start = place(s, s.view_up, s.view_angle, pose.parallel_scale)
        count = shot_frames(shot, scene.movie.fps)
        times = [k / count for k in range(count)]
        camera = _camera_path(shot, start, place)
        tracks = {name: _volume_track(shot, name, value) for name, value in volume.items()}
        poses = tuple(camera(t) for t in times)
        states = tuple(
            frame_state(camera_value(p, orthographic), {name: f(t) for name, f in tracks.items()})
            for p, t in zip(poses, times, strict=True)
        )
        end = camera(1.0)
        volume = {name: f(1.0) for name, f in tracks.items()}
        shots.append(
            PlannedShot(
                index=index,
                name=shot.name or f"shot-{index + 1}",
                kind=type(shot).__name__.lower(),
                first=first,
                poses=poses,
                states=states,
                keyframes=tuple(math.ceil(k.at * count - 1e-9) for k in shot.keyframes),
                start=poses[0],
                end=end,
                end_volume=volume,
            )
        )
        first += count
        pose = end
    return Plan(
        shots=tuple(shots),
        fps=scene.movie.fps,
        frame_step=scene.movie.frame_step,
        orthographic=orthographic,
    )


@dataclass(frozen=True)
class Placement:
    """Turns a camera of the scene (a position, or a direction and a fit) into a pose."""

    extent: Vec
    aspect: float
    orthographic: bool

    def __call__(
        self,
        camera: CameraState | Keyframe,
        view_up: Sequence[float],
        view_angle: float,
        parallel_scale: float | None,
    ) -> Pose:
        assert camera.focal_point is not None
        focal = vec.vec(camera.focal_point)
        if camera.position is not None:
            return motion.make_pose(camera.position, focal, view_up, view_angle, parallel_scale)
        assert camera.direction is not None and camera.fit is not None
        direction = vec.unit(vec.vec(camera.direction))
        distance = framing.fit_distance(
            direction, view_up, focal, view_angle, camera.fit, self.aspect, self.extent
        )
        if self.orthographic:
            parallel_scale = framing.fit_scale(
                direction, view_up, focal, camera.fit, self.aspect, self.extent
            )
        position = vec.sub(focal, vec.scale(direction, distance))
        return motion.make_pose(position, focal, view_up, view_angle, parallel_scale)


def _camera_path(shot: ShotBase, start: Pose, place: Placement) -> Callable[[float], Pose]:
    """The shot's camera as a function of its time from 0 to 1."""
    if isinstance(shot, Flight):
        knots = _knots(shot, start, place)
        path = motion.FlightPath(knots, spline=shot.interpolation == "spline")
        camera_keys = [k for k in shot.keyframes if k.places_camera()]
        arrivals = camera_keys if len(knots) > len(camera_keys) else camera_keys[1:]
        timing = Timing([k.at for k in knots], shot.easing, [k.easing for k in arrivals])
        return lambda t: path(timing(t))
    ease = easing.EASINGS[shot.easing]
    if isinstance(shot, Orbit):
        axis = vec.vec(shot.axis) if shot.axis is not None else start.view_up
        center = vec.vec(shot.center) if shot.center is not None else start.focal_point
        return lambda t: motion.orbit(start, axis, center, shot.degrees, ease(t))
    if isinstance(shot, Dolly):
        return lambda t: motion.dolly(start, shot.factor, ease(t))
    if isinstance(shot, Hold):
        return lambda t: start
    raise TypeError(f"unknown shot {type(shot).__name__}")  # pragma: no cover


def _volume_track(shot: ShotBase, name: str, start: Any) -> Callable[[float], Any]:
    """One volume track over the shot's time: from ``start`` through the keyframes that set
    it, holding the last value after them."""
    track = TRACKS[name]
    keys = [k for k in shot.keyframes if getattr(k, name) is not None]
    if not keys:
        return lambda t: start
    times = [k.at for k in keys]
    values = [track.keyframe(getattr(k, name)) for k in keys]
    own = [k.easing for k in keys]
    if times[0] > 0.0:
        times, values = [0.0, *times], [start, *values]
    else:
        own = own[1:]
    if len(times) == 1:
        return lambda t: values[0]
    timing = Timing(times, shot.easing, own)
    last = times[-1]

    def value(t: float) -> Any:
        if t >= last:
            return values[-1]
        i, s = timing.segment(t)
        return track.mix(values[i], values[i + 1], s)

    return value


def _knots(shot: Flight, start: Pose, place: Placement) -> list[Knot]:
    keyframes = [k for k in shot.keyframes if k.places_camera()]
    knots = [] if keyframes[0].at == 0.0 else [Knot(0.0, start)]
    previous = start
    for keyframe in keyframes:
        assert keyframe.focal_point is not None
        focal = vec.vec(keyframe.focal_point)
        if keyframe.view_up is not None:
            up = vec.vec(keyframe.view_up)
        elif keyframe.position is not None:
            up = motion.carry_up(previous, vec.vec(keyframe.position), focal)
        else:
            assert keyframe.direction is not None
            up = motion.carry_up(previous, vec.sub(focal, vec.vec(keyframe.direction)), focal)
        angle = keyframe.view_angle if keyframe.view_angle is not None else previous.view_angle
        scale = (
            keyframe.parallel_scale
            if keyframe.parallel_scale is not None
            else previous.parallel_scale
        )
        previous = place(keyframe, up, angle, scale)
        knots.append(Knot(keyframe.at, previous))
    return knots
