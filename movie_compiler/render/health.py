"""A real test render: does this ParaView draw a volume with each of its renderers?"""

from __future__ import annotations

import json
import subprocess
import tempfile
from collections.abc import Mapping, Sequence
from dataclasses import dataclass
from importlib import resources

from movie_compiler.errors import ToolError
from movie_compiler.render import mpi
from movie_compiler.render.messages import last_meaningful_line
from movie_compiler.render.paraview import RENDERER_MODES, ParaViewInfo
from movie_compiler.render.process import describe_exit, spawn, stop

RENDER_TIMEOUT = 60.0
DRAWN_FRACTION = 0.01
"""A test image counts as drawn when at least this fraction of its pixels is not background."""


@dataclass(frozen=True)
class RendererTrial:
    """How one renderer fared on the test volume."""

    renderer: str
    """moviec's name of the renderer, such as ``gpu``."""
    drawn: float
    """Fraction of the image's pixels that are not background."""
    seconds: float
    error: str = ""
    """ParaView's complaint, if it refused the renderer."""

    @property
    def ok(self) -> bool:
        """True when the renderer drew the volume."""
        return not self.error and self.drawn >= DRAWN_FRACTION


def try_renderers(
    info: ParaViewInfo, env: Mapping[str, str], renderers: Sequence[str] | None = None
) -> list[RendererTrial]:
    """Render a small Wavelet volume with each of ``renderers`` (default: all that ``info``
    lists) under ``env``; raise :class:`ToolError` if pvbatch itself fails."""
    names = list(info.renderers if renderers is None else renderers)
    script = resources.files("movie_compiler.script").joinpath("probe.py")
    with (
        tempfile.TemporaryDirectory(prefix="moviec-doctor-") as folder,
        resources.as_file(script) as path,
    ):
        command = [info.executable, str(path), "--render", folder]
        command += [RENDERER_MODES[name] for name in names]
        process = spawn(
            command,
            env=mpi.singleton_env(env),
            stdin=subprocess.DEVNULL,
            stdout=subprocess.PIPE,
            stderr=subprocess.PIPE,
            text=True,
            errors="replace",
        )
        try:
            out, err = process.communicate(timeout=RENDER_TIMEOUT)
        except subprocess.TimeoutExpired:
            raise ToolError(f"the test render took longer than {RENDER_TIMEOUT:.0f} s") from None
        finally:
            stop(process)
    results: dict[str, RendererTrial] = {}
    modes = {mode: name for name, mode in RENDERER_MODES.items()}
    for line in out.splitlines():
        if line.startswith("moviec-render "):
            document = json.loads(line.split(" ", 1)[1])
            name = modes[document["mode"]]
            results[name] = RendererTrial(
                renderer=name,
                drawn=float(document.get("drawn", 0.0)),
                seconds=float(document["seconds"]),
                error=str(document.get("error", "")),
            )
    if process.returncode != 0 or len(results) != len(names):
        detail = last_meaningful_line(err) or "no output"
        raise ToolError(f"pvbatch failed ({describe_exit(process.returncode)}): {detail}")
    return [results[name] for name in names]
