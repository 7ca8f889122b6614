"""Plan the frames: the camera of every frame, computed from the scene in pure Python.

The frame-count rule: a shot of N frames shows its motion at times ``k / N`` for
``k = 0 .. N-1``; its end state (time 1) is the first frame of the next shot. So shots join
without a repeated frame and a 360 degree orbit loops without repeating its first frame. To end
a movie on a flight's last keyframe, follow the flight with a ``hold`` shot.

With ``movie.frame_step = S`` every planned frame ``g`` with ``g % S == 0`` is rendered and the
movie plays at ``fps / S``: the same motion and duration with fewer frames.
"""

from __future__ import annotations

import math
from collections.abc import Callable
from dataclasses import dataclass
from typing import Any

from movie_compiler.camera import easing, motion, vec
from movie_compiler.camera.motion import Knot, Pose
from movie_compiler.config.model import Dolly, Flight, Hold, Orbit, Scene, ShotBase


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
    start: Pose
    end: Pose
    """Where the shot ends: the next shot's start."""

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
    parallel_scale: float | None

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

    def camera(self, frame: int) -> dict[str, Any]:
        """What the generated script sets on ParaView's camera for ``frame``."""
        pose = self.pose(frame)
        state: dict[str, Any] = {
            "position": list(pose.position),
            "focal_point": list(pose.focal_point),
            "view_up": list(pose.view_up),
            "view_angle": pose.view_angle,
        }
        if self.orthographic:
            state["parallel_scale"] = (
                self.parallel_scale
                if self.parallel_scale is not None
                else pose.distance * math.tan(math.radians(pose.view_angle) / 2.0)
            )
        return state


def frames_in(seconds: float, fps: float) -> int:
    """Frames in ``seconds`` at ``fps``, rounded half up (12.5 -> 13)."""
    return math.floor(seconds * fps + 0.5)


def shot_frames(shot: ShotBase, fps: float) -> int:
    """A shot's length in frames (``frames``, or ``seconds * fps`` rounded half up)."""
    if shot.frames is not None:
        return shot.frames
    assert shot.seconds is not None  # the rules require one of them
    return max(1, frames_in(shot.seconds, fps))


def plan(scene: Scene) -> Plan:
    """Plan every frame of ``scene``."""
    cam = scene.camera
    pose = motion.make_pose(cam.position, cam.focal_point, cam.view_up, cam.view_angle)
    shots: list[PlannedShot] = []
    first = 0
    for index, shot in enumerate(scene.shots):
        start = pose
        if shot.start is not None:
            s = shot.start
            start = motion.make_pose(s.position, s.focal_point, s.view_up, s.view_angle)
        path = _path(shot, start)
        count = shot_frames(shot, scene.movie.fps)
        ease = easing.EASINGS[shot.easing]
        poses = tuple(path(ease(k / count)) for k in range(count))
        end = path(1.0)
        shots.append(
            PlannedShot(
                index=index,
                name=shot.name or f"shot-{index + 1}",
                kind=type(shot).__name__.lower(),
                first=first,
                poses=poses,
                start=poses[0],
                end=end,
            )
        )
        first += count
        pose = end
    return Plan(
        shots=tuple(shots),
        fps=scene.movie.fps,
        frame_step=scene.movie.frame_step,
        orthographic=cam.projection == "orthographic",
        parallel_scale=cam.parallel_scale,
    )


def _path(shot: ShotBase, start: Pose) -> Callable[[float], Pose]:
    """The shot's pose as a function of its progress from 0 to 1."""
    if isinstance(shot, Orbit):
        axis = vec.vec(shot.axis) if shot.axis is not None else start.view_up
        center = vec.vec(shot.center) if shot.center is not None else start.focal_point
        return lambda u: motion.orbit(start, axis, center, shot.degrees, u)
    if isinstance(shot, Dolly):
        return lambda u: motion.dolly(start, shot.factor, u)
    if isinstance(shot, Flight):
        return motion.FlightPath(_knots(shot, start), spline=shot.interpolation == "spline")
    if isinstance(shot, Hold):
        return lambda u: start
    raise TypeError(f"unknown shot {type(shot).__name__}")  # pragma: no cover


def _knots(shot: Flight, start: Pose) -> list[Knot]:
    knots = [] if shot.keyframes[0].at == 0.0 else [Knot(0.0, start)]
    previous = start
    for keyframe in shot.keyframes:
        position, focal = vec.vec(keyframe.position), vec.vec(keyframe.focal_point)
        up = (
            vec.vec(keyframe.view_up)
            if keyframe.view_up is not None
            else motion.carry_up(previous, position, focal)
        )
        angle = keyframe.view_angle if keyframe.view_angle is not None else previous.view_angle
        previous = motion.make_pose(position, focal, up, angle)
        knots.append(Knot(keyframe.at, previous))
    return knots
