"""``moviec doctor``: check that this machine can build movies, and say how to fix what is not.

One line per check: its status (``ok``, ``warn``, ``FAIL``, ``info``, ``skip``), what was
found, and for a problem what to do about it. Exit 0 when everything a build needs works,
3 otherwise. A real test render makes it take a few seconds.
"""

from __future__ import annotations

import argparse
import contextlib
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import dataclass

from movie_compiler.errors import ExitCode, MissingRequirement, MoviecError
from movie_compiler.render import gl, memory, mpi
from movie_compiler.render.health import try_renderers
from movie_compiler.render.paraview import ParaViewInfo, probe
from movie_compiler.render.xvfb import xvfb

GIB = 1024**3
DISK_FAIL = 1 * GIB
DISK_WARN = 10 * GIB


@dataclass(frozen=True)
class Check:
    """The outcome of one check."""

    status: str
    """``ok``; ``warn``: works, with a caveat; ``FAIL``: builds cannot work; ``info``; ``skip``."""
    name: str
    found: str
    advice: str = ""
    """What to do about it, for ``warn`` and ``FAIL``."""

    def __str__(self) -> str:
        if not self.advice:
            return f"{self.status:<4}  {self.name}: {self.found}"
        return f"{self.status:<4}  {self.name}: {self.found.rstrip('.')}; {self.advice}"


def add_parser(sub: argparse._SubParsersAction[argparse.ArgumentParser]) -> None:
    parser = sub.add_parser(
        "doctor",
        help="check ParaView, the display, ffmpeg and disk space",
        description="Check that this machine can build movies: ParaView and its renderers, an X "
        "display or Xvfb, a real test render, ffmpeg and its encoders, free disk space, MPI, "
        "Slurm. "
        "Prints one line per check with a fix for each problem; exits 0 if a build can work, "
        "3 otherwise.",
    )
    parser.set_defaults(run=run)


def run(args: argparse.Namespace) -> int:
    failed = False
    for check in checks():
        print(check, flush=True)
        failed |= check.status == "FAIL"
    print("some checks failed: fix them before building" if failed else "ready to build movies")
    return int(ExitCode.MISSING if failed else ExitCode.OK)


def checks() -> Iterator[Check]:
    """Every check, in order; slow ones (the test render) run when their turn comes."""
    info, check = _paraview()
    yield check
    if info is not None:
        yield from _renderers(info)
    with contextlib.ExitStack() as stack:
        env, check = _display(info, stack)
        yield check
        if info is None or env is None:
            yield Check("skip", "test render", "needs ParaView and a display")
        else:
            yield from _test_render(info, env)
            yield _opengl(info, env)
    yield _memory()
    yield _ffmpeg()
    yield _disk()
    yield _mpi()
    yield _slurm()


def _paraview() -> tuple[ParaViewInfo | None, Check]:
    try:
        info = probe(use_cache=False)
    except MoviecError as error:  # its message says how to fix it
        return None, Check("FAIL", "ParaView", str(error))
    where = f"{info.executable}, Python {info.python}"
    return info, Check("ok", "ParaView", f"{info.version} ({where})")


def _renderers(info: ParaViewInfo) -> Iterator[Check]:
    if not info.renderers:
        yield Check("FAIL", "renderers", "none", "install a ParaView with volume rendering")
        return
    yield Check("ok", "renderers", ", ".join(info.renderers))
    usable = " or ".join(name for name in info.renderers if name != "smart") or "smart"
    if "ospray" not in info.renderers:
        why = "no ray tracing" if "OSPRay Based" in info.modes else "no OSPRay"
        yield Check("warn", "ospray", f"not in this ParaView build ({why})", f"use {usable}")


def _display(
    info: ParaViewInfo | None, stack: contextlib.ExitStack
) -> tuple[dict[str, str] | None, Check]:
    env = dict(os.environ)
    if info is not None and not info.needs_display:
        return env, Check("ok", "display", "not needed (ParaView renders headless: EGL/OSMesa)")
    if env.get("DISPLAY"):
        return env, Check("ok", "display", f"DISPLAY={env['DISPLAY']} (used as it is)")
    program = shutil.which("Xvfb")
    if program is None:
        return None, Check(
            "FAIL",
            "display",
            "DISPLAY is not set and Xvfb is not installed",
            "install it: apt-get install xvfb xauth",
        )
    started = time.monotonic()
    try:
        display = stack.enter_context(xvfb(program))
    except MoviecError as error:
        return None, Check("FAIL", "display", str(error), "check the Xvfb installation")
    seconds = time.monotonic() - started
    found = f"no DISPLAY; {program} starts ({seconds:.1f} s); each build runs a private one"
    return {**env, "DISPLAY": display}, Check("ok", "display", found)


def _test_render(info: ParaViewInfo, env: dict[str, str]) -> Iterator[Check]:
    try:
        trials = try_renderers(info, env)
    except MoviecError as error:
        advice = (
            "check that DISPLAY names a working X server, or unset it so moviec starts Xvfb"
            if os.environ.get("DISPLAY")
            else "run `pvbatch` on a small script by hand to see ParaView's complaint"
        )
        yield Check("FAIL", "test render", str(error), advice)
        return
    working = [trial.renderer for trial in trials if trial.ok]
    for trial in trials:
        name = f"render {trial.renderer}"
        if trial.ok:
            found = f"drew a test volume ({trial.drawn:.0%} of the image, {trial.seconds:.2f} s)"
            yield Check("ok", name, found)
            continue
        found = trial.error or "the image is blank"
        if working:
            yield Check("warn", name, found, f"use {' or '.join(working)}")
        else:
            advice = "check the OpenGL driver (Mesa: apt-get install libgl1-mesa-dri)"
            yield Check("FAIL", name, found, advice)


def _opengl(info: ParaViewInfo, env: dict[str, str]) -> Check:
    """The OpenGL pvbatch gets, and the largest volume its GPU renderers can hold."""
    try:
        found = gl.limits(info, use_cache=False, env=env)
    except MoviecError as error:
        return Check("warn", "OpenGL", str(error), "builds check the limit in pvbatch instead")
    return Check(
        "info",
        "OpenGL",
        f"{found.renderer}, {found.version}; gpu and smart draw volumes of at most "
        f"{found.max_3d_texture} voxels per axis (per MPI rank); longer ones: ray-cast, a "
        "pyramid level, or --mpi N",
    )


def _memory() -> Check:
    """Memory for pvbatch: builds compare their estimate with it before loading."""
    available = memory.available_bytes()
    if available is None:
        return Check("info", "memory", "unknown (no /proc/meminfo); builds do not check it")
    cores = os.cpu_count() or 1
    return Check(
        "info",
        "memory",
        f"{memory.gib(available)} GiB available, {cores} cores; each build estimates what "
        "every pvbatch holds and stops before loading when it does not fit",
    )


def _ffmpeg() -> Check:
    from movie_compiler.encode import ENCODER, ffmpeg_executable, ffmpeg_version

    required = {ENCODER["h264"]}  # the default codec; the others are optional
    try:
        program = ffmpeg_executable()
        version = ffmpeg_version()
        listing = subprocess.run(
            [program, "-hide_banner", "-encoders"],
            capture_output=True,
            text=True,
            timeout=30,
            check=True,
        ).stdout
    except (MoviecError, OSError, subprocess.SubprocessError) as error:
        advice = "reinstall it: pip install --force-reinstall imageio-ffmpeg"
        return Check("FAIL", "ffmpeg", f"not usable ({error})", advice)
    names = {line.split()[1] for line in listing.splitlines() if len(line.split()) > 1}
    missing = [name for name in ENCODER.values() if name not in names]
    found = f"{version} (imageio-ffmpeg: {os.path.basename(program)})"
    if required & set(missing):
        advice = "install imageio-ffmpeg's own build: pip install --force-reinstall imageio-ffmpeg"
        return Check("FAIL", "ffmpeg", f"{found} lacks {', '.join(missing)}", advice)
    if missing:
        return Check("warn", "ffmpeg", f"{found} lacks {', '.join(missing)}", "encode MP4 only")
    return Check("ok", "ffmpeg", f"{found} with {', '.join(ENCODER.values())}")


def _disk() -> Check:
    folder = os.getcwd()
    free = shutil.disk_usage(folder).free
    found = f"{free / GIB:.1f} GiB free in {folder}"
    advice = "free some space, or build in another folder (frames need ~2-10 MB each in 4K)"
    if free < DISK_FAIL:
        return Check("FAIL", "disk", found, advice)
    if free < DISK_WARN:
        return Check("warn", "disk", found, advice)
    return Check("ok", "disk", found)


def _mpi() -> Check:
    """The launcher of ``build --mpi N`` (optional)."""
    try:
        program = mpi.launcher(ranks=2)[0]  # the command that two or more ranks would use
    except MissingRequirement as exc:
        if os.environ.get(mpi.ENV, "").strip():
            return Check("warn", "MPI", str(exc))
        return Check(
            "info",
            "MPI",
            "mpiexec not found (optional: data-parallel rendering with build --mpi N)",
            "install an MPI (Debian: apt-get install openmpi-bin), or set MOVIEC_MPIEXEC",
        )
    try:
        answer = subprocess.run(
            [program, "--version"], capture_output=True, text=True, timeout=10
        ).stdout
    except (OSError, subprocess.SubprocessError):
        answer = ""
    version = answer.strip().splitlines()[0] if answer.strip() else "version unknown"
    return Check(
        "info", "MPI", f"{version} ({program}; data-parallel rendering with build --mpi N)"
    )


def _slurm() -> Check:
    """The commands of ``build --executor slurm`` (optional; the controller is not asked)."""
    program = shutil.which("sbatch")
    if program is None:
        return Check(
            "info",
            "Slurm",
            "sbatch not found (optional: build --executor slurm, from a cluster's login node)",
        )
    conf = os.environ.get("SLURM_CONF") or "/etc/slurm/slurm.conf"
    if not os.path.exists(conf):
        return Check(
            "info",
            "Slurm",
            f"sbatch at {program}, no {conf} (optional: build --executor slurm needs a "
            "cluster's login node)",
        )
    return Check("info", "Slurm", f"sbatch at {program}, {conf} (build --executor slurm)")
