"""Data-parallel rendering: pvbatch under an MPI launcher.

With ``moviec build --mpi N`` each pvbatch becomes ``mpiexec -n N pvbatch ...``: ParaView
splits the volume among N ranks, each reads and renders its own part, and IceT composites
the image on rank 0, which alone runs the script's frame loop and writes the files. That is
what spreads a volume too large for one machine's memory over the nodes of an allocation.

The launcher is ``mpiexec`` from PATH, or ``MOVIEC_MPIEXEC``: a command line split like a
shell's (``"mpiexec --oversubscribe"``, ``"srun --mpi=pmix"``) to which ``-n N`` is added.
Open MPI refuses to run as root unless told; moviec tells it so when it runs as root, since a
build's container or cluster job may well be root.
"""

from __future__ import annotations

import os
import shlex
import shutil
from collections.abc import Mapping

from movie_compiler.errors import MissingRequirement

ENV = "MOVIEC_MPIEXEC"

ROOT_ENV = {"OMPI_ALLOW_RUN_AS_ROOT": "1", "OMPI_ALLOW_RUN_AS_ROOT_CONFIRM": "1"}
"""Open MPI's own switches for running as root (other MPIs ignore them)."""

SINGLETON_ENV = {"OMPI_MCA_ess_singleton_isolated": "1"}
"""Debian's pvbatch initialises MPI even when no launcher started it. Open MPI 4 then forks an
``orted`` daemon for the lone process (a "singleton"), with its session directory and PMIx
server; now and then that start-up fails ("Local abort before MPI_INIT completed", measured:
1 of 20 soak builds with two pvbatch at once) and pvbatch dies before rendering. An isolated
singleton starts no daemon: pvbatch needs none for one rank. Other MPIs ignore the variable."""


def launcher(ranks: int, env: Mapping[str, str] | None = None) -> list[str]:
    """The command that starts ``ranks`` copies of what follows it; ``[]`` for one rank."""
    if ranks <= 1:
        return []
    environ = os.environ if env is None else env
    configured = environ.get(ENV, "").strip()
    if configured:
        try:
            words = shlex.split(configured)
        except ValueError as exc:
            raise MissingRequirement(f"{ENV}={configured}: {exc}") from None
        program = shutil.which(words[0], path=environ.get("PATH"))
        if program is None:
            raise MissingRequirement(
                f"{ENV}={configured}: {words[0]} is not an executable program (point it at "
                "an MPI launcher such as mpiexec, or unset it to use mpiexec from PATH)"
            )
        return [program, *words[1:], "-n", str(ranks)]
    program = shutil.which("mpiexec", path=environ.get("PATH"))
    if program is None:
        raise MissingRequirement(
            f"--mpi {ranks} needs mpiexec, which is not on PATH: install an MPI "
            "(Debian: apt-get install openmpi-bin) or set MOVIEC_MPIEXEC to the launcher"
        )
    return [program, "-n", str(ranks)]


def singleton_env(env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for a pvbatch started without a launcher (see :data:`SINGLETON_ENV`); a value
    the user set wins."""
    result = dict(env)
    for key, value in SINGLETON_ENV.items():
        result.setdefault(key, value)
    return result


def launcher_env(ranks: int, env: Mapping[str, str]) -> dict[str, str]:
    """``env`` for the launcher: Open MPI may run as root when moviec does; one rank runs
    as an isolated singleton."""
    if ranks <= 1:
        return singleton_env(env)
    result = dict(env)
    if os.geteuid() == 0:
        for key, value in ROOT_ENV.items():
            result.setdefault(key, value)
    return result
