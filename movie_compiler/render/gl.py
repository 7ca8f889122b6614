"""The OpenGL that pvbatch renders with: its limits, probed once and cached.

``script/probe.py --limits`` opens a render window (so it needs the display a build would
use: a private Xvfb when there is none) and reports the largest 3D texture, which bounds each
axis of a volume the GPU mapper can draw (see :mod:`movie_compiler.render.texture`). The
answer is cached with the ParaView probe, per executable and per display: the user's
``DISPLAY`` (which may be a GPU), a private Xvfb (Mesa), or headless rendering.
"""

from __future__ import annotations

import json
import logging
import os
import subprocess
from dataclasses import dataclass
from importlib import resources
from typing import Any

from movie_compiler.errors import ToolError
from movie_compiler.render import mpi, probe_cache
from movie_compiler.render.messages import last_meaningful_line
from movie_compiler.render.paraview import PROBE_TIMEOUT, ParaViewInfo, display_env
from movie_compiler.render.process import describe_exit

log = logging.getLogger(__name__)


@dataclass(frozen=True)
class GLLimits:
    """What the OpenGL of one pvbatch on one display can hold."""

    max_3d_texture: int
    """``GL_MAX_3D_TEXTURE_SIZE``: the longest axis of a volume the GPU mapper can upload."""
    max_texture: int
    """``GL_MAX_TEXTURE_SIZE`` (2D textures)."""
    renderer: str
    """``GL_RENDERER``, such as ``llvmpipe (LLVM 15.0.6, 256 bits)``."""
    version: str
    """``GL_VERSION``."""

    @property
    def software(self) -> bool:
        """True for Mesa's software rasterisers: textures then live in main memory."""
        return any(name in self.renderer for name in ("llvmpipe", "softpipe", "swrast"))


def display_tag(info: ParaViewInfo) -> str:
    """Which OpenGL a build would get: headless, a private Xvfb, or the user's display."""
    if not info.needs_display:
        return "headless"
    shown = os.environ.get("DISPLAY")
    return f"display={shown}" if shown else "xvfb"


def limits(
    info: ParaViewInfo, *, use_cache: bool = True, env: dict[str, str] | None = None
) -> GLLimits:
    """The OpenGL limits of ``info``'s pvbatch on the display a build would use (``env``: an
    environment with that display already; default: start one if needed)."""
    probe = resources.files("movie_compiler.script").joinpath("probe.py")
    key = probe_cache.executable_key(info.executable, probe.read_text("utf-8"))
    key = f"{key}|gl|{display_tag(info)}"
    document = probe_cache.load(key) if use_cache else None
    if document is None and env is not None:
        document = _run(info, env)
    if document is None:
        with display_env(info) as started:
            document = _run(info, started)
        probe_cache.store(key, document)
    try:
        return GLLimits(
            max_3d_texture=int(document["max_3d_texture"]),
            max_texture=int(document["max_texture"]),
            renderer=str(document.get("renderer", "")),
            version=str(document.get("version", "")),
        )
    except (KeyError, TypeError, ValueError) as exc:
        raise ToolError(f"unexpected answer from the OpenGL probe: {exc}") from None


def _run(info: ParaViewInfo, env: dict[str, str]) -> dict[str, Any]:
    script = resources.files("movie_compiler.script").joinpath("probe.py")
    with resources.as_file(script) as path:
        try:
            result = subprocess.run(
                [info.executable, str(path), "--limits"],
                env=mpi.singleton_env(env),  # a lone pvbatch: no MPI daemon (see mpi.py)
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=PROBE_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise ToolError(
                f"{info.executable} did not answer within {PROBE_TIMEOUT:.0f} s "
                "(probing OpenGL's limits)"
            ) from None
    for line in result.stdout.splitlines():
        if line.startswith("moviec-limits "):
            try:
                document: dict[str, Any] = json.loads(line.split(" ", 1)[1])
            except json.JSONDecodeError:
                break
            return document
    detail = last_meaningful_line(result.stderr) or "it printed no answer"
    raise ToolError(
        f"pvbatch could not report OpenGL's limits ({describe_exit(result.returncode)}: {detail})"
    )
