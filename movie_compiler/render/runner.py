"""Run a compiled render script under pvbatch and follow its progress.

The script (``script/template.py``) reports on standard output::

    moviec-start COUNT RENDERER                (RENDERER with "_" for spaces)
    moviec-frame INDEX RENDERS SECONDS PATH    (one line per finished frame)

and ends a failure it can name with ``moviec-error: MESSAGE`` on standard error and exit code
2 (the data) or 3 (this ParaView lacks something). With ``jobs`` > 1 the frames are split
into contiguous parts rendered by concurrent pvbatch processes (frame-parallel rendering);
with ``ranks`` > 1 each pvbatch runs under MPI (data-parallel rendering, see
:mod:`movie_compiler.render.mpi`). All output of pvbatch goes to a log file as it arrives.
"""

from __future__ import annotations

import logging
import os
import selectors
import shlex
import subprocess
import time
from collections import deque
from collections.abc import Mapping, Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import IO

from movie_compiler import fsutil, interrupts
from movie_compiler.cache import remove_unfinished
from movie_compiler.errors import (
    DiskFull,
    InputError,
    MissingRequirement,
    MoviecError,
    ToolError,
    says_disk_full,
)
from movie_compiler.render import mpi
from movie_compiler.render.messages import last_meaningful_line
from movie_compiler.render.paraview import ParaViewInfo
from movie_compiler.render.process import describe_exit, spawn, stop_all
from movie_compiler.render.progress import FrameProgress

log = logging.getLogger(__name__)

ERROR_PREFIX = "moviec-error:"


@dataclass(frozen=True)
class RenderReport:
    """What one run of the render script did."""

    frames: tuple[int, ...]
    """Frames rendered, in ascending order."""
    renders: dict[int, int]
    """Frame -> number of renders the script counted while making it (1 when all is well)."""
    seconds: dict[int, float]
    """Frame -> seconds the script spent on it."""
    renderer: str
    """ParaView's ``VolumeRenderingMode`` actually used, such as ``GPU Based`` ("" if no frame
    was asked for)."""
    wall_seconds: float
    """Seconds from starting pvbatch to its end, startup and data loading included."""
    paths: dict[int, str] = field(default_factory=dict)
    """Frame -> its PNG, relative to the output folder."""


def frame_ranges(frames: Sequence[int]) -> str:
    """The script's ``--frames`` syntax: ``[0, 1, 2, 5, 6, 9]`` -> ``"0:3,5:7,9:10"``."""
    parts: list[str] = []
    ordered = sorted(set(frames))
    index = 0
    while index < len(ordered):
        start = stop = ordered[index]
        while index + 1 < len(ordered) and ordered[index + 1] == stop + 1:
            index += 1
            stop += 1
        parts.append(f"{start}:{stop + 1}")
        index += 1
    return ",".join(parts)


LONGEST_ARGUMENT = 16_384
"""Longer frame selections go through a file: Linux limits one argument to 128 KiB."""


def _frames_argument(frames: Sequence[int], log_path: Path, job: int) -> list[str]:
    """``--frames SPEC``, or ``@FILE`` holding it when the selection is long (a draft of a
    long movie selects every second frame: one range per frame)."""
    spec = frame_ranges(frames)
    if len(spec) <= LONGEST_ARGUMENT:
        return ["--frames", spec]
    path = log_path.with_name(f"{log_path.stem}.frames-{job}.txt")
    fsutil.write_text(path, f"--frames\n{spec}\n")
    return [f"@{path}"]


def split_frames(frames: Sequence[int], jobs: int) -> list[list[int]]:
    """Split sorted ``frames`` into at most ``jobs`` contiguous parts of nearly equal size."""
    ordered = sorted(set(frames))
    count = max(1, min(jobs, len(ordered)))
    size, extra = divmod(len(ordered), count)
    parts, start = [], 0
    for part in range(count):
        stop = start + size + (1 if part < extra else 0)
        parts.append(ordered[start:stop])
        start = stop
    return [part for part in parts if part]


@dataclass
class _Job:
    """One pvbatch process and what it said so far."""

    number: int
    frames: list[int]
    process: subprocess.Popen[bytes]
    program: str
    """What runs pvbatch, as messages name it: ``pvbatch``, or the MPI launcher."""
    output_dir: Path = Path()
    """Where it writes frames."""
    open_streams: int = 2
    error: str | None = None
    stderr_tail: deque[str] = field(default_factory=lambda: deque(maxlen=200))


@dataclass
class _Log:
    """The log file of a run; lines of several jobs carry the job's number."""

    stream: IO[str]
    path: Path
    prefix: bool

    def line(self, job: _Job, text: str) -> None:
        self.stream.write(f"[{job.number}] {text}\n" if self.prefix else f"{text}\n")


@dataclass
class _Results:
    renderer: str = ""
    renders: dict[int, int] = field(default_factory=dict)
    seconds: dict[int, float] = field(default_factory=dict)
    paths: dict[int, str] = field(default_factory=dict)


def render(
    script: Path,
    frames: Sequence[int],
    output_dir: Path,
    *,
    info: ParaViewInfo,
    env: Mapping[str, str],
    log_path: Path,
    jobs: int = 1,
    ranks: int = 1,
    allow_blank: bool = False,
    progress: bool = True,
) -> RenderReport:
    """Render ``frames`` of ``script`` into ``output_dir`` with pvbatch; report what was made.

    Raises :class:`InputError` (the script's exit 2), :class:`MissingRequirement` (exit 3) with
    the script's own message, or :class:`ToolError` naming ``log_path`` for anything else. On
    Ctrl-C or any exception every pvbatch is stopped before the exception propagates; frames
    finished until then stay on disk.
    """
    wanted = sorted(set(frames))
    if not wanted:
        return RenderReport((), {}, {}, "", 0.0)
    script, output_dir = script.absolute(), output_dir.absolute()
    parts = split_frames(wanted, jobs)
    launch = mpi.launcher(ranks, env)
    if launch:
        log.info("each pvbatch runs as %d MPI ranks: %s", ranks, shlex.join(launch))
    job_env = mpi.launcher_env(ranks, _job_env(env, len(parts) * ranks))
    log_path.parent.mkdir(parents=True, exist_ok=True)
    results = _Results()
    started = time.monotonic()
    with (
        open(log_path, "w", encoding="utf-8", buffering=1) as log_file,
        FrameProgress(len(wanted), bar=progress) as bar,
    ):
        running: list[_Job] = []
        try:
            for number, part in enumerate(parts):
                frames_argument = _frames_argument(part, log_path, number)
                command = [*launch, info.executable, str(script), *frames_argument]
                command += ["--output", str(output_dir)]
                command += ["--allow-blank"] if allow_blank else []
                log_file.write(f"# job {number}: {shlex.join(command)}\n")
                try:
                    process = spawn(
                        command,
                        env=job_env,
                        cwd=script.parent,
                        stdin=subprocess.DEVNULL,
                        stdout=subprocess.PIPE,
                        stderr=subprocess.PIPE,
                    )
                except OSError as exc:
                    raise MissingRequirement(f"cannot run {command[0]}: {exc.strerror}") from None
                log.debug("started pvbatch (pid %d) for %s", process.pid, frames_argument)
                running.append(_Job(number, part, process, Path(command[0]).name, output_dir))
            _follow(running, _Log(log_file, log_path, len(parts) > 1), bar, results)
        except BaseException as error:
            if any(job.process.poll() is None for job in running):
                reason = "interrupted" if isinstance(error, KeyboardInterrupt) else "stopped"
                log_file.write(f"# moviec: {reason}; stopping pvbatch\n")
            raise
        finally:
            stop_all([job.process for job in running])
            remove_unfinished(output_dir)  # a stopped or failed pvbatch's partial frames
            for job in running:
                for stream in (job.process.stdout, job.process.stderr):
                    if stream is not None:
                        stream.close()
    wall = time.monotonic() - started
    missing = [frame for frame in wanted if frame not in results.seconds]
    if missing:
        raise ToolError(
            f"pvbatch ended without rendering frames {frame_ranges(missing)}; see {log_path}"
        )
    odd = [frame for frame in wanted if results.renders[frame] != 1]
    if odd:
        log.warning(
            "%d of %d frames took other than exactly one render (frames %s); see %s",
            len(odd),
            len(wanted),
            frame_ranges(odd),
            log_path,
        )
    log.debug("rendered %d frames in %.1f s", len(wanted), wall)
    return RenderReport(
        frames=tuple(wanted),
        renders={frame: results.renders[frame] for frame in wanted},
        seconds={frame: results.seconds[frame] for frame in wanted},
        renderer=results.renderer,
        wall_seconds=wall,
        paths={frame: results.paths[frame] for frame in wanted},
    )


def _job_env(env: Mapping[str, str], processes: int) -> dict[str, str]:
    """Concurrent software renderers (``processes`` pvbatch processes or MPI ranks) share the
    cores instead of each taking all of them."""
    result = dict(env)
    if processes > 1 and "LP_NUM_THREADS" not in result:
        result["LP_NUM_THREADS"] = str(max(1, (os.cpu_count() or 1) // processes))
    return result


def _follow(jobs: list[_Job], log_file: _Log, bar: FrameProgress, results: _Results) -> None:
    """Read every job's output as it arrives until all have ended; raise on the first failure."""
    pending: dict[int, bytes] = {}
    with selectors.DefaultSelector() as selector:
        for job in jobs:
            for stream, name in ((job.process.stdout, "out"), (job.process.stderr, "err")):
                assert stream is not None
                selector.register(stream, selectors.EVENT_READ, (job, name))
                pending[stream.fileno()] = b""
        while selector.get_map():
            interrupts.check()  # a Ctrl-C swallowed by a finaliser still stops the render
            for key, _ in selector.select(timeout=0.5):
                job, name = key.data
                fd = key.fd
                chunk = os.read(fd, 65536)
                data = pending[fd] + chunk
                lines = data.split(b"\n")
                pending[fd] = lines.pop() if chunk else b""
                if not chunk and lines[-1] == b"":
                    lines.pop()
                for raw in lines:
                    line = raw.decode("utf-8", errors="replace").rstrip("\r")
                    log_file.line(job, line)
                    _handle(line, name, job, bar, results)
                if not chunk:
                    selector.unregister(key.fileobj)
                    job.open_streams -= 1
                    if job.open_streams == 0:
                        _finished(job, log_file)


def _handle(line: str, stream: str, job: _Job, bar: FrameProgress, results: _Results) -> None:
    """Take in one line of the script's output."""
    if stream == "err":
        if line.startswith(ERROR_PREFIX):
            job.error = line[len(ERROR_PREFIX) :].strip()
        job.stderr_tail.append(line)
        return
    words = line.split(" ", 4)
    if words[0] == "moviec-frame" and len(words) == 5:
        try:
            frame, renders, seconds = int(words[1]), int(words[2]), float(words[3])
        except ValueError:
            log.debug("ignoring a malformed line from the script: %s", line)
            return
        results.renders[frame] = renders
        results.seconds[frame] = seconds
        results.paths[frame] = words[4]
        bar.frame_done()
    elif words[0] == "moviec-start" and len(words) >= 3 and not results.renderer:
        results.renderer = words[2].replace("_", " ")
        bar.started_rendering(results.renderer)


def _finished(job: _Job, log_file: _Log) -> None:
    """``job`` closed its output: wait for it and raise if it failed."""
    code = job.process.wait()
    log_file.stream.write(f"# job {job.number}: {job.program} {describe_exit(code)}\n")
    if code != 0:
        raise _failure(job, code, log_file.path)


def _failure(job: _Job, code: int, log_path: Path) -> MoviecError:
    """The error for a pvbatch that exited with ``code``."""
    if says_disk_full("\n".join([job.error or "", *job.stderr_tail])):
        return DiskFull(job.output_dir, f"pvbatch writing frames; see {log_path}")
    if job.error and code == 2:
        return InputError(job.error)
    if job.error and code == 3:
        return MissingRequirement(job.error)
    detail = job.error or last_meaningful_line("\n".join(job.stderr_tail))
    message = f"{job.program} failed ({describe_exit(code)}); see {log_path}"
    return ToolError(f"{message}\n{detail}" if detail else message)
