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
