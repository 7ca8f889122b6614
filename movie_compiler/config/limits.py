"""What the encoders can take, checked with the scene instead of after the rendering.

Measured with the ffmpeg moviec uses (imageio-ffmpeg's build, libx264 and libvpx-vp9):

- **ffmpeg** itself refuses frames where ``(width + 128) * (height + 128)`` reaches
  ``2**31 / 8`` (``av_image_check_size``): 16384 x 16384 cannot even be read back as PNG.
- **H.264**: the largest level, 6.2, allows 139264 macroblocks of 16 x 16 pixels per frame
  (8192 x 4352), at most ``sqrt(8 * 139264)`` = 1055 macroblocks (16880 pixels) along a side.
  libx264 stamps larger frames with level 6.2 anyway and players refuse them.
- **VP9**: its largest level, 6.2, has the same picture size limit (35651584 pixels) and at
  most 16384 pixels along a side; libvpx needed 14 GB of memory for one 16384 x 8192 frame.
- **GIF**: delays are whole hundredths of a second and browsers play delays under 0.02 s as
  0.1 s, so a GIF plays at most 50 frames per second; its palette filter holds every frame
  in memory (4 bytes per pixel) until the palette is known.

:func:`check` gives the problems (the scene rules call it), :func:`warnings` what deserves a
word before a long plan is made.
"""

from __future__ import annotations

import math
from collections.abc import Iterator
from pathlib import PurePath

from movie_compiler.config.keypath import KeyPath
from movie_compiler.config.model import Scene

Finding = tuple[KeyPath, str]

FFMPEG_PIXELS = (1 << 31) // 8
"""``(width + 128) * (height + 128)`` must stay below this (ffmpeg's image size check)."""
MACROBLOCKS = 139264
"""Frame size limit of H.264 and VP9 level 6.2, in 16 x 16 blocks (8192 x 4352 pixels)."""
SIDE = {"h264": 16880, "vp9": 16384}
"""Longest side each codec's largest level allows, in pixels."""
GIF_FPS = 50.0
"""Fastest frame rate a GIF plays at (delays under 0.02 s are played as 0.1 s)."""
GIF_MEMORY = 8 << 30
"""Memory the GIF palette filter may hold (every frame, 4 bytes per pixel) before a warning."""
MAX_SHOT_FRAMES = 1_000_000
"""Longest shot, in frames (as `frames` allows); longer ones cannot be planned."""
LONG_MOVIE = 3600.0
"""A movie longer than this (seconds) gets a warning with its duration."""
CODEC_FOR_SUFFIX = {".mp4": "h264", ".webm": "vp9", ".gif": "gif"}


def codec_of(scene: Scene) -> str | None:
    """The codec of the movie: ``[encode].codec`` or the output's suffix (None if unknown)."""
    output = scene.movie.output
    suffix = PurePath(output).suffix.lower() if output else ".mp4"
    return scene.encode.codec or CODEC_FOR_SUFFIX.get(suffix)


def check(scene: Scene) -> Iterator[Finding]:
    """Sizes and rates the movie's encoder cannot take, and shots too long to plan."""
    width, height = scene.movie.resolution
    codec = codec_of(scene)
    size = ("movie", "resolution")
    name = {"h264": "H.264", "vp9": "VP9", "gif": "GIF"}.get(codec or "", "")
    if (width + 128) * (height + 128) >= FFMPEG_PIXELS:
        yield (
            size,
            f"{width} x {height} is larger than ffmpeg reads or writes: (width + 128) x "
            f"(height + 128) must be under {FFMPEG_PIXELS}",
        )
    elif codec in SIDE:
        blocks = math.ceil(width / 16) * math.ceil(height / 16)
        longest = max(width, height)
        alternative = "; use a smaller size"
        if blocks > MACROBLOCKS:
            yield (
                size,
                f"{width} x {height} is {blocks} macroblocks of 16 x 16 pixels; {name}'s largest "
                f"level (6.2) allows {MACROBLOCKS} (such as 8192 x 4352){alternative}",
            )
        elif longest > SIDE[str(codec)]:
            yield (
                size,
                f"{longest} pixels along a side; {name}'s largest level (6.2) allows "
                f"{SIDE[str(codec)]}{alternative}",
            )
    rate = scene.movie.fps / scene.movie.frame_step
    if codec == "gif" and rate > GIF_FPS:
        yield (
            ("movie", "fps"),
            f"a GIF plays at most {GIF_FPS:g} frames per second (its delays are whole hundredths "
            f"of a second; browsers slow shorter ones to 0.1 s), got {rate:g}; lower it, raise "
            "movie.frame_step, or use .mp4",
        )
    for index, shot in enumerate(scene.shots):
        if shot.seconds is not None and shot.frames is None:
            frames = math.floor(shot.seconds * scene.movie.fps + 0.5)
            if frames > MAX_SHOT_FRAMES:
                yield (
                    ("shots", index, "seconds"),
                    f"{shot.seconds:g} s at {scene.movie.fps:g} fps is {frames} frames; a shot "
                    f"has at most {MAX_SHOT_FRAMES}",
                )


def warnings(scene: Scene) -> Iterator[Finding]:
    """What works but deserves a word before planning: a very long movie, a GIF whose
    palette would hold more frames in memory than a workstation has."""
    fps = scene.movie.fps
    frames = sum(
        shot.frames
        if shot.frames is not None
        else max(1, math.floor((shot.seconds or 0.0) * fps + 0.5))
        for shot in scene.shots
    )
    seconds = frames / fps
    if seconds > LONG_MOVIE:
        rendered = -(-frames // scene.movie.frame_step)
        yield (
            ("shots",),
            f"the movie lasts {_duration(seconds)} ({frames} frames at {fps:g} fps, "
            f"{rendered} to render); check the shots' seconds and frames",
        )
    width, height = scene.movie.resolution
    if codec_of(scene) == "gif":
        held = -(-frames // scene.movie.frame_step) * width * height * 4
        if held > GIF_MEMORY:
            yield (
                ("movie", "resolution"),
                f"a GIF of {width} x {height} holds every frame in memory until its palette is "
                f"made: {held / 2**30:.1f} GiB for this movie; use .mp4 or .webm, or a smaller "
                "size",
            )


def _duration(seconds: float) -> str:
    hours, rest = divmod(round(seconds), 3600)
    minutes, secs = divmod(rest, 60)
    if hours:
        return f"{hours} h {minutes:02d} min"
    return f"{minutes} min {secs:02d} s"
