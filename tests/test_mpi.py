"""The MPI launcher for `moviec build --mpi N`: which command, which environment."""

from __future__ import annotations

import os
import stat
import subprocess
from pathlib import Path

import pytest

from movie_compiler.errors import MissingRequirement
from movie_compiler.render import mpi


def program(folder: Path, name: str) -> Path:
    path = folder / name
    path.write_text("#!/bin/sh\nexit 0\n")
    path.chmod(path.stat().st_mode | stat.S_IXUSR)
    return path


def test_one_rank_needs_no_launcher(tmp_path: Path) -> None:
    assert mpi.launcher(1, {"PATH": str(tmp_path)}) == []


def test_mpiexec_from_path(tmp_path: Path) -> None:
    mpiexec = program(tmp_path, "mpiexec")
    assert mpi.launcher(4, {"PATH": str(tmp_path)}) == [str(mpiexec), "-n", "4"]


def test_the_launcher_from_the_environment_keeps_its_options(tmp_path: Path) -> None:
    srun = program(tmp_path, "srun")
    env = {"PATH": str(tmp_path), mpi.ENV: "srun --mpi=pmix  --label"}
    assert mpi.launcher(2, env) == [str(srun), "--mpi=pmix", "--label", "-n", "2"]


def test_an_absolute_launcher(tmp_path: Path) -> None:
    launcher = program(tmp_path, "my mpiexec")
    env = {"PATH": "", mpi.ENV: f"'{launcher}' --oversubscribe"}
    assert mpi.launcher(2, env) == [str(launcher), "--oversubscribe", "-n", "2"]


def test_no_mpiexec(tmp_path: Path) -> None:
    with pytest.raises(MissingRequirement) as caught:
        mpi.launcher(2, {"PATH": str(tmp_path)})
    assert str(caught.value) == (
        "--mpi 2 needs mpiexec, which is not on PATH: install an MPI (Debian: apt-get install "
        "openmpi-bin) or set MOVIEC_MPIEXEC to the launcher"
    )


def test_a_launcher_that_is_not_there(tmp_path: Path) -> None:
    env = {"PATH": str(tmp_path), mpi.ENV: "mpirun -x DISPLAY"}
    with pytest.raises(MissingRequirement) as caught:
        mpi.launcher(2, env)
    assert str(caught.value) == (
        "MOVIEC_MPIEXEC=mpirun -x DISPLAY: mpirun is not an executable program (point it at "
        "an MPI launcher such as mpiexec, or unset it to use mpiexec from PATH)"
    )


def test_a_launcher_line_that_does_not_parse(tmp_path: Path) -> None:
    with pytest.raises(MissingRequirement) as caught:
        mpi.launcher(2, {"PATH": str(tmp_path), mpi.ENV: "mpiexec 'unclosed"})
    assert str(caught.value) == "MOVIEC_MPIEXEC=mpiexec 'unclosed: No closing quotation"


def test_root_may_run_open_mpi(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 0)
    env = mpi.launcher_env(2, {"PATH": "/bin"})
    assert env == {"PATH": "/bin", **mpi.ROOT_ENV}
    assert mpi.launcher_env(1, {"PATH": "/bin"}) == {"PATH": "/bin", **mpi.SINGLETON_ENV}
    # A value the user set is kept.
    assert mpi.launcher_env(2, {"OMPI_ALLOW_RUN_AS_ROOT": "0"})["OMPI_ALLOW_RUN_AS_ROOT"] == "0"


def test_one_rank_runs_as_an_isolated_singleton() -> None:
    assert mpi.launcher_env(1, {}) == {"OMPI_MCA_ess_singleton_isolated": "1"}
    assert mpi.launcher_env(2, {}).get("OMPI_MCA_ess_singleton_isolated") is None
    mine = {"OMPI_MCA_ess_singleton_isolated": "0"}
    assert mpi.singleton_env(mine) == mine  # a value the user set wins


@pytest.mark.paraview
def test_a_lone_pvbatch_starts_no_mpi_daemon(pvbatch: str, tmp_path: Path) -> None:
    """Open MPI's singleton start forks an ``orted``; the isolated singleton does not."""
    script = tmp_path / "children.py"
    script.write_text(
        "import os\n"
        "me = str(os.getpid())\n"
        "kids = [p for p in os.listdir('/proc') if p.isdigit() and\n"
        "        open(f'/proc/{p}/stat').read().split(') ')[1].split()[1] == me]\n"
        "print('children', len(kids))\n"
    )
    env = {k: v for k, v in os.environ.items() if k != "DISPLAY"}
    for environment, expected in ((env, 1), (mpi.singleton_env(env), 0)):
        result = subprocess.run(
            [pvbatch, str(script)], env=environment, capture_output=True, text=True, timeout=300
        )
        assert f"children {expected}" in result.stdout, result.stdout + result.stderr


def test_other_users_get_no_root_switches(monkeypatch: pytest.MonkeyPatch) -> None:
    monkeypatch.setattr(os, "geteuid", lambda: 1000)
    assert mpi.launcher_env(2, {"PATH": "/bin"}) == {"PATH": "/bin"}
