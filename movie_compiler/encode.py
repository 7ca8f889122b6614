"""Encode: PNG frames in movie order -> one movie file, with ffmpeg from imageio-ffmpeg.

The frames may live in several folders (one per shot). They reach ffmpeg through a temporary
folder of symbolic links named ``000000.png, 000001.png, ...`` read by the image2 demuxer at an
exact rational frame rate, so every frame lasts exactly ``1 / fps`` and nothing is copied.

The movie is written atomically: ffmpeg writes a temporary file beside the output, renamed only
after ffmpeg succeeded and wrote every frame. Codecs, defaults and metadata are described in
``docs/encoding.md``.
"""

from __future__ import annotations

import logging
import os
import shlex
import subprocess
import tempfile
from collections.abc import Iterator, Mapping, Sequence
from dataclasses import dataclass
from fractions import Fraction
from pathlib import Path
from typing import IO, Literal, cast

from movie_compiler import fsutil, interrupts
from movie_compiler.config.limits import CODEC_FOR_SUFFIX
from movie_compiler.config.model import Scene
from movie_compiler.errors import (
    DiskFull,
    InputError,
    MissingRequirement,
    ToolError,
    is_disk_full,
    says_disk_full,
)
from movie_compiler.render.process import describe_exit, spawn

log = logging.getLogger(__name__)

Codec = Literal["h264", "vp9", "gif"]

DEFAULT_CRF: dict[str, int] = {"h264": 18, "vp9": 31}
"""``-crf`` when the scene gives none: 18 for x264 (visually lossless), 31 for VP9 (Google's
recommendation for 1080p video on demand). GIF has no CRF."""

CONTAINER: dict[str, str] = {"h264": "mp4", "vp9": "webm", "gif": "gif"}
"""``-f``: the muxer of each codec."""

ENCODER: dict[str, str] = {"h264": "libx264", "vp9": "libvpx-vp9", "gif": "gif"}
"""``-c:v``: ffmpeg's encoder of each codec."""

GIF_PALETTE = (
    "split[frames][stats];"
    "[stats]palettegen=max_colors=256:stats_mode=full[palette];"
    "[frames][palette]paletteuse=dither=sierra2_4a"
)
"""GIF filter graph: one 256-colour palette from the whole movie (so colours do not flicker
between frames), applied with error-diffusion dithering. Holds the movie's frames in memory
until the palette is known."""

COLOUR = (
    "scale=out_color_matrix=bt709:out_range=tv,"
    "setparams=colorspace=bt709:color_primaries=bt709:color_trc=bt709:range=tv"
)
"""H.264/VP9 filter: convert RGB with the BT.709 matrix to limited-range YUV and tag the
stream as BT.709, so players convert it back the same way (ffmpeg's default, the BT.601
matrix untagged, shifts colours in players that assume BT.709)."""

PROGRESS_EVERY = "0.5"
"""``-stats_period``: seconds between progress reports."""


@dataclass(frozen=True)
class EncodeSettings:
    """How the movie is encoded, resolved from the scene's ``[encode]`` and the output name."""

    codec: Codec
    crf: int | None
    """``-crf``; None for GIF."""
    preset: str
    """x264 ``-preset`` (used for H.264 only)."""

    @classmethod
    def from_scene(cls, scene: Scene, output: Path) -> EncodeSettings:
        """Settings for ``scene`` written to ``output``: the codec from ``[encode].codec`` or
        the output's suffix (``.mp4`` H.264, ``.webm`` VP9, ``.gif`` GIF), the CRF from
        ``[encode].crf`` or :data:`DEFAULT_CRF`."""
        suffix = output.suffix.lower()
        implied = CODEC_FOR_SUFFIX.get(suffix)
        if implied is None:
            raise InputError(
                f"{output}: cannot tell the codec from the suffix {suffix!r}; "
                f"use one of {', '.join(CODEC_FOR_SUFFIX)}"
            )
        codec = cast(Codec, scene.encode.codec or implied)
        if codec != implied:
            raise InputError(f"{output}: encode.codec = {codec!r} does not go into a {suffix} file")
        crf = None if codec == "gif" else scene.encode.crf
        if codec != "gif" and crf is None:
            crf = DEFAULT_CRF[codec]
        return cls(codec=codec, crf=crf, preset=scene.encode.preset)


def frame_rate(fps: float | Fraction) -> Fraction:
    """``fps`` as an exact fraction for ffmpeg: 12.5 -> 25/2, 29.97002997 -> 30000/1001."""
    if fps <= 0:
        raise ValueError(f"fps must be positive, got {fps}")
    return Fraction(fps).limit_denominator(100_000)


def codec_options(settings: EncodeSettings) -> list[str]:
    """The encoder's output options, each default beside its ffmpeg flag."""
    if settings.codec == "h264":
        return [
            "-vf", COLOUR,  # BT.709 matrix and tags
            "-c:v", ENCODER["h264"],
            "-preset", settings.preset,  # scene [encode].preset, default "slow"
            "-crf", str(settings.crf),  # scene [encode].crf, default 18
            "-pix_fmt", "yuv420p",  # 4:2:0, what browsers and phones decode
            "-movflags", "+faststart+use_metadata_tags",  # index first; keep custom tags
        ]  # fmt: skip
    if settings.codec == "vp9":
        return [
            "-vf", COLOUR,  # BT.709 matrix and tags
            "-c:v", ENCODER["vp9"],
            "-crf", str(settings.crf),  # scene [encode].crf, default 31
            "-b:v", "0",  # constant quality: no bitrate cap
            "-deadline", "good",  # libvpx quality/speed mode
            "-cpu-used", "2",  # speed within "good": 0 slowest .. 5 fastest
            "-row-mt", "1",  # encode tile rows on several threads
            "-pix_fmt", "yuv420p",  # 4:2:0, what browsers decode
        ]  # fmt: skip
    return [
        "-filter_complex", GIF_PALETTE,  # one palette for the whole movie
        "-loop", "0",  # loop forever
    ]  # fmt: skip


def ffmpeg_command(
    pattern: str,
    output: Path,
    *,
    fps: float | Fraction,
    settings: EncodeSettings,
    metadata: Mapping[str, str],
    executable: str = "ffmpeg",
) -> list[str]:
    """The exact argument list that encodes the image sequence ``pattern`` (such as
    ``/tmp/x/%06d.png``, numbered from 0) into ``output``. Progress goes to standard output as
    ``key=value`` lines; metadata are separate arguments (GIF stores none, so none is passed)."""
    rate = frame_rate(fps)
    tags: list[str] = []
    if settings.codec != "gif":
        for key, value in metadata.items():
            tags += ["-metadata", f"{key}={value}"]
    return [
        executable,
        "-nostdin",
        "-y",  # the temporary output exists already (created empty, safely)
        "-nostats",
        "-progress", "pipe:1",
        "-stats_period", PROGRESS_EVERY,
        "-xerror",  # stop at the first unreadable frame instead of skipping it
        "-framerate", f"{rate.numerator}/{rate.denominator}",
        "-start_number", "0",
        "-i", pattern,
        *codec_options(settings),
        *tags,
        "-f", CONTAINER[settings.codec],
        str(output),
    ]  # fmt: skip


def ffmpeg_executable() -> str:
    """The ffmpeg to run: ``IMAGEIO_FFMPEG_EXE``, or the one shipped with imageio-ffmpeg."""
    try:
        import imageio_ffmpeg

        return str(imageio_ffmpeg.get_ffmpeg_exe())
    except (ImportError, RuntimeError) as exc:
        raise MissingRequirement(
            f"ffmpeg not found ({exc}); install moviec's dependencies "
            "(pip install imageio-ffmpeg) or set IMAGEIO_FFMPEG_EXE to an ffmpeg binary"
        ) from None


def ffmpeg_version() -> str:
    """The version of :func:`ffmpeg_executable`, such as ``7.1`` or ``n9.0.2-17-g2a571b6068``."""
    exe = ffmpeg_executable()
    try:
        out = subprocess.run([exe, "-version"], capture_output=True, text=True, check=True)
    except (OSError, subprocess.CalledProcessError) as exc:
        raise MissingRequirement(f"cannot run {exe} -version: {exc}") from None
    first = out.stdout.split("\n", 1)[0]
    return first.split("version", 1)[-1].strip().split(" ", 1)[0]


def encode(
    frames: Sequence[Path],
    output: Path,
    *,
    fps: float | Fraction,
    settings: EncodeSettings,
    metadata: Mapping[str, str],
    log_path: Path,
    progress: bool = True,
) -> None:
    """Encode ``frames`` (PNG files in movie order) into ``output``; ffmpeg's messages go to
    ``log_path``. Raise :class:`ToolError` when ffmpeg fails or writes fewer frames; then, as
    after an interruption, nothing is left under ``output`` or a temporary name."""
    if not frames:
        raise InputError(f"{output}: no frames to encode")
    _check_frames(frames)
    if settings.codec == "gif" and frame_rate(fps) > 50:
        log.warning("%s: browsers play GIFs faster than 50 fps at 10 fps", output)
    exe = ffmpeg_executable()
    log_path.parent.mkdir(parents=True, exist_ok=True)
    with tempfile.TemporaryDirectory(prefix="moviec-frames-") as folder:
        pattern = _link_frames(frames, Path(folder))
        try:
            with fsutil.atomic_path(output, suffix=output.suffix) as temporary:
                command = ffmpeg_command(
                    pattern, temporary, fps=fps, settings=settings, metadata=metadata,
                    executable=exe,
                )  # fmt: skip
                _run(command, len(frames), log_path, progress, ENCODER[settings.codec])
        except OSError as exc:
            if is_disk_full(exc):
                raise DiskFull(output.parent, f"writing {output.name}") from None
            raise ToolError(f"cannot write {output}: {exc.strerror or exc}") from None
    log.info("encoded %d frames into %s", len(frames), output)


def _check_frames(frames: Sequence[Path]) -> None:
    """Every frame is a PNG of the first frame's size (read from the PNG header)."""
    size = None
    for frame in frames:
        try:
            with open(frame, "rb") as stream:
                head = stream.read(24)
        except OSError as exc:
            raise ToolError(f"frame {frame}: {exc.strerror or exc}") from None
        if len(head) < 24 or head[:8] != b"\x89PNG\r\n\x1a\n" or head[12:16] != b"IHDR":
            raise ToolError(f"frame {frame}: not a PNG file")
        this = (int.from_bytes(head[16:20], "big"), int.from_bytes(head[20:24], "big"))
        if size is None:
            size = this
        elif this != size:
            raise ToolError(
                f"frame {frame}: {this[0]} x {this[1]} pixels, but the first frame "
                f"({frames[0]}) is {size[0]} x {size[1]}"
            )


def _link_frames(frames: Sequence[Path], folder: Path) -> str:
    """Link ``frames`` into ``folder`` as ``000000.png, ...``; return ffmpeg's pattern."""
    for index, frame in enumerate(frames):
        link = folder / f"{index:06d}.png"
        target = Path(frame).resolve()
        try:
            os.symlink(target, link)
        except OSError:
            os.link(target, link)  # where symbolic links are not allowed
    return str(folder).replace("%", "%%") + os.sep + "%06d.png"


def _run(command: list[str], expected: int, log_path: Path, progress: bool, encoder: str) -> None:
    """Run ffmpeg; follow its progress; kill it if moviec is interrupted."""
    log.debug("running %s", shlex.join(command))
    try:
        log_file = open(log_path, "w", encoding="utf-8")  # noqa: SIM115 (closed below)
    except OSError as exc:
        raise ToolError(f"cannot write the encoder's log {log_path}: {exc.strerror}") from None
    with log_file:
        log_file.write(f"$ {shlex.join(command)}\n")
        log_file.flush()
        try:
            process = spawn(  # its own session, dying with moviec
                command, stdin=subprocess.DEVNULL, stdout=subprocess.PIPE, stderr=log_file,
                text=True, encoding="utf-8", errors="replace",
            )  # fmt: skip
        except OSError as exc:
            raise MissingRequirement(f"cannot run {command[0]}: {exc.strerror}") from None
        with process:  # closes the pipe and reaps ffmpeg on every way out
            try:
                assert process.stdout is not None
                written = _follow(process.stdout, expected, progress)
                code = process.wait()
            except BaseException:
                process.kill()
                raise
    if code != 0:
        text = log_path.read_text(encoding="utf-8", errors="replace")
        if "Unknown encoder" in text or "Encoder not found" in text:
            raise MissingRequirement(
                f"{command[0]} has no {encoder} encoder; use the ffmpeg of imageio-ffmpeg "
                f"(unset IMAGEIO_FFMPEG_EXE) or one built with it; see {log_path}"
            )
        if says_disk_full(text):
            output = Path(command[-1])
            raise DiskFull(output.parent, "ffmpeg writing the movie; the frames are kept")
        raise ToolError(f"ffmpeg failed ({describe_exit(code)}); see {log_path}")
    if written != expected:
        raise ToolError(f"ffmpeg wrote {written} of {expected} frames; see {log_path}")


def _follow(stream: IO[str], expected: int, progress: bool) -> int:
    """Read ``-progress`` reports until ffmpeg closes its output; return the last frame count."""
    written = 0
    for frame in _frames_reported(stream) if not progress else _with_bar(stream, expected):
        written = frame
    return written


def _frames_reported(stream: IO[str]) -> Iterator[int]:
    for line in stream:
        interrupts.check()
        key, _, value = line.strip().partition("=")
        if key == "frame" and value.isdigit():
            yield int(value)


def _with_bar(stream: IO[str], expected: int) -> Iterator[int]:
    from rich.console import Console
    from rich.progress import BarColumn, MofNCompleteColumn, Progress, TimeRemainingColumn

    columns = ("encoding", BarColumn(), MofNCompleteColumn(), TimeRemainingColumn())
    with Progress(*columns, console=Console(stderr=True), transient=True) as bar:
        task = bar.add_task("encoding", total=expected)
        for frame in _frames_reported(stream):
            bar.update(task, completed=frame)
            yield frame
