"""Find pvbatch, learn what it can do, and give it a display.

Probing runs ``script/probe.py`` under pvbatch without any display: it only asks ParaView for
its versions, volume rendering modes and build capabilities, and renders nothing (Debian's
pvbatch aborts when it must render without an X server, but starts fine). The answer is cached
per executable (path, size, modification time), so a build pays the probe's ~1.5 s only once.
"""

from __future__ import annotations

import contextlib
import json
import logging
import os
import shutil
import subprocess
import time
from collections.abc import Iterator
from dataclasses import asdict, dataclass
from importlib import resources
from typing import Any

from movie_compiler.errors import MissingRequirement, ToolError
from movie_compiler.render import mpi, probe_cache
from movie_compiler.render.messages import last_meaningful_line
from movie_compiler.render.process import describe_exit
from movie_compiler.render.xvfb import xvfb

log = logging.getLogger(__name__)

INSTALL_HINT = "apt-get install paraview python3-paraview xvfb xauth"
PROBE_TIMEOUT = 120.0
"""Seconds the probe may take (a cold start from a network file system can be slow)."""
MIN_PARAVIEW = (5, 10)
"""The oldest ParaView moviec supports (the generated script checks it too)."""

RENDERER_MODES = {
    "smart": "Smart",
    "gpu": "GPU Based",
    "ray-cast": "Ray Cast Only",
    "ospray": "OSPRay Based",
}
"""moviec's renderer names -> ParaView's `VolumeRenderingMode` values."""

OSPRAY_MODE = RENDERER_MODES["ospray"]


@dataclass(frozen=True)
class ParaViewInfo:
    """What one pvbatch is and can do."""

    executable: str
    """Absolute path of pvbatch."""
    version: str
    """ParaView's version, such as ``5.11.0``."""
    python: str
    """Version of the Python inside pvbatch, such as ``3.11.2``."""
    renderers: tuple[str, ...]
    """moviec renderer names this ParaView can draw with, in the order of
    :data:`RENDERER_MODES`. ``ospray`` only if ParaView was built with
    ray tracing (ParaView lists "OSPRay Based" either way, and draws blank frames without it)."""
    needs_display: bool
    """True for X builds (Debian's); False for builds that render headless with EGL/OSMesa."""
    modes: tuple[str, ...] = ()
    """ParaView's own ``VolumeRenderingMode`` values, as listed (including unusable ones)."""

    @property
    def version_tuple(self) -> tuple[int, ...]:
        """``(5, 11, 0)`` for ``5.11.0``."""
        return _version_tuple(self.version)


def find_pvbatch() -> str:
    """Absolute path of pvbatch: ``MOVIEC_PVBATCH`` if set, else ``pvbatch`` on PATH."""
    configured = os.environ.get("MOVIEC_PVBATCH")
    if configured:
        found = shutil.which(configured)
        if found is None:
            raise MissingRequirement(
                f"MOVIEC_PVBATCH={configured} is not an executable file "
                "(point it at pvbatch, or unset it to use pvbatch from PATH)"
            )
        return os.path.abspath(found)
    found = shutil.which("pvbatch")
    if found is None:
        raise MissingRequirement(
            f"ParaView not found: pvbatch is not on PATH (install it: {INSTALL_HINT}; "
            "or set MOVIEC_PVBATCH to a pvbatch)"
        )
    return os.path.abspath(found)


def probe(executable: str | None = None, *, use_cache: bool = True) -> ParaViewInfo:
    """What ``executable`` (default :func:`find_pvbatch`) is and can do; cached per binary."""
    program = os.path.abspath(executable) if executable else find_pvbatch()
    if not os.path.isfile(program) or not os.access(program, os.X_OK):
        raise MissingRequirement(f"{program} is not an executable file (install: {INSTALL_HINT})")
    probe_text = _probe_script().read_text(encoding="utf-8")
    key = probe_cache.executable_key(program, probe_text)
    document = probe_cache.load(key) if use_cache else None
    if document is None:
        document = _run_probe(program)
        probe_cache.store(key, document)
    info = _info(program, document)
    if info.version_tuple[:2] < MIN_PARAVIEW:
        need = ".".join(str(part) for part in MIN_PARAVIEW)
        raise MissingRequirement(
            f"ParaView {info.version} ({program}) is too old; moviec needs {need} or newer "
            f"(install a newer one, or set MOVIEC_PVBATCH to its pvbatch)"
        )
    return info


@contextlib.contextmanager
def display_env(info: ParaViewInfo) -> Iterator[dict[str, str]]:
    """The environment to run pvbatch in, for the duration of the block.

    Unchanged when ``DISPLAY`` is set or ``info`` renders headless; otherwise with a private
    Xvfb's display, stopped when the block ends in any way (error, Ctrl-C). Start it from the
    thread that runs pvbatch (see :mod:`movie_compiler.render.process`).
    """
    env = dict(os.environ)
    if env.get("DISPLAY") or not info.needs_display:
        yield env
        return
    with xvfb() as display:
        log.debug("started Xvfb on display %s", display)
        yield {**env, "DISPLAY": display}


def _probe_script() -> Any:
    return resources.files("movie_compiler.script").joinpath("probe.py")


def _run_probe(program: str) -> dict[str, Any]:
    """Run the probe script under ``program`` without a display; its JSON answer."""
    env = mpi.singleton_env({k: v for k, v in os.environ.items() if k != "DISPLAY"})
    started = time.monotonic()
    with resources.as_file(_probe_script()) as script:
        try:
            result = subprocess.run(
                [program, str(script)],
                env=env,
                stdin=subprocess.DEVNULL,
                capture_output=True,
                text=True,
                errors="replace",
                timeout=PROBE_TIMEOUT,
            )
        except subprocess.TimeoutExpired:
            raise ToolError(
                f"{program} did not answer within {PROBE_TIMEOUT:.0f} s (probing ParaView)"
            ) from None
        except OSError as exc:
            raise MissingRequirement(f"cannot run {program}: {exc.strerror}") from None
    log.debug("probed %s in %.2f s", program, time.monotonic() - started)
    for line in result.stdout.splitlines():
        if line.startswith("moviec-probe "):
            try:
                document: dict[str, Any] = json.loads(line.split(" ", 1)[1])
            except json.JSONDecodeError:
                break
            return document
    detail = last_meaningful_line(result.stderr) or "it printed no answer"
    raise MissingRequirement(
        f"{program} does not work as pvbatch ({describe_exit(result.returncode)}: {detail}); "
        f"install ParaView with its Python: {INSTALL_HINT}"
    )


def _info(program: str, document: dict[str, Any]) -> ParaViewInfo:
    try:
        modes = tuple(str(mode) for mode in document["modes"])
        usable = set(modes)
        if not document["ray_tracing"]:
            usable.discard(OSPRAY_MODE)
        renderers = tuple(name for name, mode in RENDERER_MODES.items() if mode in usable)
        info = ParaViewInfo(
            executable=program,
            version=str(document["version"]),
            python=str(document["python"]),
            renderers=renderers,
            needs_display=not document["headless"],
            modes=modes,
        )
        if len(info.version_tuple) < 2:
            raise ValueError(f"version {info.version!r}")
    except (KeyError, TypeError, ValueError) as exc:
        raise ToolError(f"unexpected answer from the ParaView probe of {program}: {exc}") from None
    return info


def _version_tuple(version: str) -> tuple[int, ...]:
    return tuple(int(part) for part in version.split(".")[:3] if part.isdigit())


def info_document(info: ParaViewInfo) -> dict[str, Any]:
    """``info`` as JSON-ready values (for provenance records)."""
    return asdict(info)
