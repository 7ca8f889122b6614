"""The tests' own Slurm (tools/local_slurm.py): a real job runs and finishes."""

from __future__ import annotations

import subprocess
import time
from pathlib import Path

import pytest

pytestmark = pytest.mark.slurm


def test_a_wrapped_job_runs_and_finishes(slurm: dict[str, str], tmp_path: Path) -> None:
    out = tmp_path / "out.log"
    submitted = subprocess.run(
        ["sbatch", "--parsable", "--output", str(out), "--wrap", "echo ran $SLURM_JOB_ID"],
        env=slurm,
        capture_output=True,
        text=True,
        check=True,
    )
    job = submitted.stdout.strip().split(";")[0]
    deadline = time.monotonic() + 60
    while time.monotonic() < deadline:
        state = subprocess.run(
            ["scontrol", "show", "job", job], env=slurm, capture_output=True, text=True
        ).stdout
        if "JobState=COMPLETED" in state:
            break
        time.sleep(0.2)
    assert "JobState=COMPLETED" in state and "ExitCode=0:0" in state
    assert out.read_text() == f"ran {job}\n"
