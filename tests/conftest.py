"""Shared fixtures: real brain data, and real pvbatch under a private X server.

Tests marked ``paraview`` run real pvbatch. They fail (never skip) when ParaView is missing:
`make test` installs it. Set MOVIEC_PVBATCH to use another pvbatch.
"""

from __future__ import annotations

import importlib.util
import os
import shutil
import subprocess
from collections.abc import Iterator
from pathlib import Path

import numpy as np
import pytest

from movie_compiler.render.xvfb import xvfb

ROOT = Path(__file__).resolve().parent.parent
MNI_TEMPLATE = "datasets/data/mni_icbm152_t1_tal_nlin_sym_09a_converted.nii.gz"


def mni_template_path() -> Path:
    """The MNI152 T1 template inside nilearn's wheel (found without importing nilearn)."""
    spec = importlib.util.find_spec("nilearn")
    if spec is None or spec.origin is None:
        pytest.fail("nilearn is not installed: run `make test`, which installs it")
    path = Path(spec.origin).parent / MNI_TEMPLATE
    if not path.exists():
        pytest.fail(f"{path} is missing from the nilearn package")
    return path


@pytest.fixture(scope="session")
def mni_t1() -> np.ndarray:
    """The MNI152 T1 template as a uint8 array of shape (197, 233, 189) (nibabel's order)."""
    import nibabel

    image = nibabel.load(mni_template_path())
    data = np.asarray(image.dataobj)
    assert data.dtype == np.uint8 and data.shape == (197, 233, 189)
    return data


@pytest.fixture(scope="session")
def pvbatch() -> str:
    """Path of the pvbatch to test with."""
    path = os.environ.get("MOVIEC_PVBATCH") or shutil.which("pvbatch")
    if not path:
        pytest.fail("pvbatch not found: run `make test`, which installs ParaView")
    return path


@pytest.fixture(scope="session")
def display() -> Iterator[str]:
    """An X display for pvbatch: the session's own, or a private Xvfb."""
    if os.environ.get("DISPLAY"):
        yield os.environ["DISPLAY"]
        return
    with xvfb() as value:
        yield value


@pytest.fixture
def run_pvbatch(pvbatch: str, display: str):  # type: ignore[no-untyped-def]
    """Run ``pvbatch SCRIPT ARGS...``; return the completed process (text output)."""

    def run(
        script: Path | str,
        *args: str,
        cwd: Path | None = None,
        timeout: float = 600,
        check: bool = True,
    ) -> subprocess.CompletedProcess[str]:
        env = {**os.environ, "DISPLAY": display}
        result = subprocess.run(
            [pvbatch, str(script), *args],
            cwd=cwd,
            env=env,
            capture_output=True,
            text=True,
            timeout=timeout,
        )
        if check and result.returncode != 0:
            pytest.fail(f"pvbatch {script} exited {result.returncode}:\n{result.stderr[-3000:]}")
        return result

    return run


# -- scenes written by tests, and golden files --------------------------------------------------

from collections.abc import Callable  # noqa: E402
from typing import Any  # noqa: E402

GOLDEN = Path(__file__).resolve().parent / "golden"

MINIMAL_SCENE: dict[str, Any] = {
    "dataset": {"path": "brain.h5", "array": "/t1", "voxel_size": [1.0, 1.0, 1.0]},
    "volume": {
        "colors": [[0, 0.0, 0.0, 0.0], [255, 1.0, 1.0, 1.0]],
        "opacity": [[0, 0.0], [255, 1.0]],
    },
    "camera": {"position": [0.0, 0.0, 2.0]},
    "shots": [{"type": "orbit", "frames": 4}],
}
"""The smallest valid scene (as parsed TOML)."""


def toml_value(value: Any) -> str:
    """``value`` as a TOML value (inline tables and arrays, basic strings)."""
    if isinstance(value, bool):
        return "true" if value else "false"
    if isinstance(value, int | float):
        return repr(value)
    if isinstance(value, str):
        out = []
        for ch in value:
            if ch in '"\\':
                out.append("\\" + ch)
            elif ord(ch) < 0x20 or ord(ch) == 0x7F:
                out.append(f"\\u{ord(ch):04x}")
            else:
                out.append(ch)
        return '"' + "".join(out) + '"'
    if isinstance(value, list | tuple):
        return "[" + ", ".join(toml_value(v) for v in value) + "]"
    if isinstance(value, dict):
        return "{ " + ", ".join(f"{toml_key(k)} = {toml_value(v)}" for k, v in value.items()) + " }"
    raise TypeError(type(value).__name__)


def toml_key(key: str) -> str:
    bare = key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key)
    return key if bare else toml_value(key)


def toml_document(scene: dict[str, Any]) -> str:
    """A scene as a TOML document: one table per top-level key, one ``[[shots]]`` per shot."""
    lines: list[str] = []
    for name, table in scene.items():
        if name == "shots":
            for shot in table:
                lines.append("[[shots]]")
                lines.extend(f"{toml_key(k)} = {toml_value(v)}" for k, v in shot.items())
                lines.append("")
            continue
        lines.append(f"[{toml_key(name)}]")
        lines.extend(f"{toml_key(k)} = {toml_value(v)}" for k, v in table.items())
        lines.append("")
    return "\n".join(lines)


def scene_with(**tables: Any) -> dict[str, Any]:
    """The minimal scene with whole tables replaced or merged: ``scene_with(movie={...})``;
    a table given as a dict is merged into the minimal one, ``shots`` replaces the list."""
    import copy

    scene = copy.deepcopy(MINIMAL_SCENE)
    for name, value in tables.items():
        if isinstance(value, dict):
            scene[name] = {**scene.get(name, {}), **value}
        else:
            scene[name] = value
    return scene


@pytest.fixture
def write_scene(tmp_path: Path) -> Callable[..., Path]:
    """Write a scene as TOML into a temporary folder and return its path:
    ``write_scene(movie={"title": "x"})`` merges tables into the minimal scene (``shots``
    replaces the list), ``write_scene(scene=...)`` writes a whole scene dict."""

    def write(scene: dict[str, Any] | None = None, name: str = "scene.toml", **tables: Any) -> Path:
        path = tmp_path / name
        text = toml_document(scene if scene is not None else scene_with(**tables))
        path.write_text(text, encoding="utf-8")
        return path

    return write


def pytest_addoption(parser: pytest.Parser) -> None:
    parser.addoption(
        "--regen-golden",
        action="store_true",
        default=False,
        help="rewrite the golden files under tests/golden/ from the current output",
    )


@pytest.fixture
def golden(request: pytest.FixtureRequest) -> Callable[[str, str], None]:
    """Compare ``text`` with ``tests/golden/NAME``; with --regen-golden, rewrite the file."""
    import difflib
    import shlex

    regen = bool(request.config.getoption("--regen-golden"))

    def check(name: str, text: str) -> None:
        path = GOLDEN / name
        if regen:
            path.parent.mkdir(parents=True, exist_ok=True)
            path.write_text(text, encoding="utf-8", newline="\n")
            return
        command = f"pytest {shlex.quote(request.node.nodeid)} --regen-golden"
        if not path.exists():
            pytest.fail(f"golden file {path} is missing; write it with:\n    {command}")
        expected = path.read_text(encoding="utf-8")
        if text != expected:
            diff = "".join(
                difflib.unified_diff(
                    expected.splitlines(keepends=True),
                    text.splitlines(keepends=True),
                    fromfile=f"tests/golden/{name} (expected)",
                    tofile=f"tests/golden/{name} (generated)",
                )
            )
            pytest.fail(
                f"generated output differs from tests/golden/{name}:\n{diff}\n"
                f"If the change is intended, regenerate the golden files with:\n"
                f"    {command}\n"
                f"(or all of them: pytest --regen-golden) and record it in the CHANGELOG.",
                pytrace=False,
            )

    return check


@pytest.fixture(scope="session")
def mni_h5(mni_t1: np.ndarray, tmp_path_factory: pytest.TempPathFactory) -> Path:
    """The MNI152 T1 template written as raw slices and converted by ``moviec convert``:
    array ``/PLI`` (197 x 233 x 189 uint8) with 2 in-plane pyramid levels (factors 1x2x2 and
    1x4x4), no stored voxel size. Shared by the session: copy it before changing it."""
    from movie_compiler.__main__ import main

    folder = tmp_path_factory.mktemp("mni-h5")
    slices = folder / "slices"
    slices.mkdir()
    for index, plane in enumerate(mni_t1):
        plane.tofile(slices / f"slice_{index}.raw")
    out = folder / "mni.h5"
    args = ["--array", "/PLI", "--slice-shape", "233,189", "--dtype", "uint8", "--levels", "2"]
    assert main(["-q", "convert", str(slices), "-o", str(out), *args]) == 0
    return out


# -- a real single-node Slurm -------------------------------------------------------------------


@pytest.fixture(scope="session")
def slurm(tmp_path_factory: pytest.TempPathFactory) -> Iterator[dict[str, str]]:
    """A private single-node Slurm (munged, slurmctld, slurmd; tools/local_slurm.py) for the
    session; yields the environment for client commands and for moviec (``SLURM_CONF``).
    It also sets ``SLURM_CONF`` in this process while it runs. Fails (never skips) when Slurm
    is missing: `make test` installs it."""
    import sys

    sys.path.insert(0, str(ROOT / "tools"))
    from local_slurm import SlurmUnavailable, local_slurm

    folder = tmp_path_factory.mktemp("slurm")
    before = os.environ.get("SLURM_CONF")
    try:
        with local_slurm(folder) as env:
            os.environ["SLURM_CONF"] = env["SLURM_CONF"]
            yield env
    except SlurmUnavailable as error:
        pytest.fail(f"cannot start a local Slurm: {error}")
    finally:
        if before is None:
            os.environ.pop("SLURM_CONF", None)
        else:
            os.environ["SLURM_CONF"] = before


def build_scene(scene: Path, cache: Path) -> None:
    """``moviec build SCENE --cache-dir CACHE`` as a user runs it; fails the test with moviec's
    messages when it does not succeed."""
    import sys

    command = [sys.executable, "-m", "movie_compiler", "build", str(scene), "--cache-dir"]
    result = subprocess.run([*command, str(cache)], capture_output=True, text=True, timeout=600)
    assert result.returncode == 0, result.stderr


def read_rgb(path: Path) -> np.ndarray:
    """A PNG frame as an RGB array, decoded by PyAV (not by ParaView or moviec)."""
    import av

    with av.open(str(path)) as container:
        return next(container.decode(video=0)).to_ndarray(format="rgb24")  # type: ignore[no-any-return]
