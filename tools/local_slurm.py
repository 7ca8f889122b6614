"""A real single-node Slurm of its own, for the tests and the benchmark (root only).

It runs munged, slurmctld and slurmd from Debian's ``munge`` and ``slurm-wlm`` packages
(``tools/install-system`` installs them) in the foreground as children of the caller, with
a private configuration, state and spool folder, munge socket and ports, so it touches no
system Slurm and several can run at once. The node is this machine (``hostname -s``) with
its real CPU count and memory, reached on the loopback address only. Client commands
(sbatch, squeue, srun, ...) find it through ``SLURM_CONF``.

    with local_slurm(Path("/tmp/slurm")) as env:    # env: os.environ plus SLURM_CONF
        subprocess.run(["sbatch", "--wrap", "hostname"], env=env)

or by hand: ``python tools/local_slurm.py DIR`` starts it and prints the ``export`` line,
then waits until Ctrl-C or SIGTERM.
"""

from __future__ import annotations

import contextlib
import os
import secrets
import shutil
import signal
import socket
import subprocess
import sys
import time
from collections.abc import Iterator
from pathlib import Path

MUNGE_KEY = Path("/etc/munge/munge.key")
PROGRAMS = ("munged", "slurmctld", "slurmd", "sbatch", "squeue", "scontrol", "sinfo", "srun")
START_TIMEOUT = 60.0
PARTITION = "debug"


class SlurmUnavailable(RuntimeError):
    """Slurm cannot be started here; the message says why."""


def free_port() -> int:
    with socket.socket(socket.AF_INET, socket.SOCK_STREAM) as probe:
        probe.bind(("127.0.0.1", 0))
        return int(probe.getsockname()[1])


def memory_mb() -> int:
    for line in Path("/proc/meminfo").read_text().splitlines():
        if line.startswith("MemTotal:"):
            return int(line.split()[1]) // 1024
    raise SlurmUnavailable("no MemTotal in /proc/meminfo")


def node_config(folder: Path) -> str:
    """slurm.conf for one node, this machine, under ``folder``."""
    host = socket.gethostname().split(".")[0]
    cpus = os.cpu_count() or 1
    memory = max(256, memory_mb() - 1024)  # leave the daemons some room
    return f"""\
# A single-node Slurm for moviec's tests (tools/local_slurm.py); everything under {folder}
ClusterName=moviectest
SlurmctldHost={host}(127.0.0.1)
SlurmUser=root
SlurmdUser=root
SlurmctldPort={free_port()}
SlurmdPort={free_port()}
AuthType=auth/munge
AuthInfo=socket={folder}/munge/munge.socket
CredType=cred/munge
StateSaveLocation={folder}/state
SlurmdSpoolDir={folder}/spool
SlurmctldPidFile={folder}/slurmctld.pid
SlurmdPidFile={folder}/slurmd.pid
SlurmctldLogFile={folder}/slurmctld.log
SlurmdLogFile={folder}/slurmd.log
ProctrackType=proctrack/linuxproc
TaskPlugin=task/none
SelectType=select/cons_tres
SelectTypeParameters=CR_Core
SchedulerType=sched/backfill
AccountingStorageType=accounting_storage/none
JobAcctGatherType=jobacct_gather/none
JobCompType=jobcomp/none
MpiDefault=none
ReturnToService=2
MailProg=/bin/true
KillWait=5
MinJobAge=600
NodeName={host} NodeAddr=127.0.0.1 CPUs={cpus} RealMemory={memory} State=UNKNOWN
PartitionName={PARTITION} Nodes={host} Default=YES MaxTime=INFINITE State=UP
"""


def _check() -> None:
    missing = [name for name in PROGRAMS if shutil.which(name) is None]
    if missing:
        raise SlurmUnavailable(
            f"{', '.join(missing)} not found: run tools/install-system (Debian's slurm-wlm and "
            "munge)"
        )
    if os.geteuid() != 0:
        raise SlurmUnavailable("a private Slurm needs root (slurmd starts jobs as their user)")


def _munge_key() -> Path:
    """The system's munge key; created (as Debian's postinst does) when missing."""
    if not MUNGE_KEY.exists():
        MUNGE_KEY.parent.mkdir(parents=True, exist_ok=True)
        with contextlib.suppress(FileExistsError):
            descriptor = os.open(MUNGE_KEY, os.O_WRONLY | os.O_CREAT | os.O_EXCL, 0o600)
            with os.fdopen(descriptor, "wb") as stream:
                stream.write(secrets.token_bytes(1024))
    return MUNGE_KEY


def _wait(what: str, ready: object, process: subprocess.Popen[bytes], log: Path) -> None:
    deadline = time.monotonic() + START_TIMEOUT
    while time.monotonic() < deadline:
        if process.poll() is not None:
            tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
            raise SlurmUnavailable(f"{what} exited with {process.returncode}:\n{tail}")
        if ready():  # type: ignore[operator]
            return
        time.sleep(0.2)
    tail = log.read_text(errors="replace")[-2000:] if log.exists() else ""
    raise SlurmUnavailable(f"{what} not ready after {START_TIMEOUT:.0f} s:\n{tail}")


def _quiet(command: list[str], env: dict[str, str]) -> subprocess.CompletedProcess[str]:
    return subprocess.run(command, env=env, capture_output=True, text=True, timeout=30)


def _spawn(command: list[str], env: dict[str, str], log: Path) -> subprocess.Popen[bytes]:
    """A daemon in the foreground, in its own session, dying with this process."""
    sys.path.insert(0, str(Path(__file__).resolve().parent.parent))
    from movie_compiler.render.process import spawn

    with open(log, "ab") as stream:
        return spawn(command, env=env, stdin=subprocess.DEVNULL, stdout=stream, stderr=stream)


@contextlib.contextmanager
def local_slurm(folder: Path) -> Iterator[dict[str, str]]:
    """Start munged, slurmctld and slurmd under ``folder``; yield the environment for client
    commands (``SLURM_CONF`` set); cancel every job and stop the daemons afterwards."""
    _check()
    folder = folder.absolute()
    for name in ("state", "spool", "munge"):
        (folder / name).mkdir(parents=True, exist_ok=True)
    (folder / "munge").chmod(0o700)
    conf = folder / "slurm.conf"
    conf.write_text(node_config(folder), encoding="utf-8")
    env = {**os.environ, "SLURM_CONF": str(conf)}
    socket_path = folder / "munge" / "munge.socket"
    daemons: list[subprocess.Popen[bytes]] = []
    try:
        munged = _spawn(
            [
                "munged",
                "--foreground",
                "--force",
                f"--key-file={_munge_key()}",
                f"--socket={socket_path}",
                f"--pid-file={folder}/munge/munged.pid",
                f"--log-file={folder}/munge/munged.log",
                f"--seed-file={folder}/munge/munged.seed",
            ],
            env,
            folder / "munged.out",
        )
        daemons.append(munged)
        _wait("munged", socket_path.exists, munged, folder / "munged.out")
        ctld = _spawn(["slurmctld", "-D", "-i", "-f", str(conf)], env, folder / "slurmctld.out")
        daemons.append(ctld)
        ping = lambda: _quiet(["scontrol", "ping"], env).stdout.count("UP") > 0  # noqa: E731
        _wait("slurmctld", ping, ctld, folder / "slurmctld.log")
        slurmd = _spawn(["slurmd", "-D", "-f", str(conf)], env, folder / "slurmd.out")
        daemons.append(slurmd)
        idle = lambda: _quiet(["sinfo", "-h", "-o", "%T"], env).stdout.strip() == "idle"  # noqa: E731
        _wait("slurmd", idle, slurmd, folder / "slurmd.log")
        yield env
    finally:
        if len(daemons) == 3:
            _quiet(["scancel", "--full", "--user", str(os.geteuid())], env)
            _wait_no_jobs(env)
        for daemon in reversed(daemons):  # slurmd, slurmctld, munged
            if daemon.poll() is None:
                daemon.send_signal(signal.SIGTERM)
                try:
                    daemon.wait(timeout=15)
                except subprocess.TimeoutExpired:
                    daemon.kill()
                    daemon.wait()


def _wait_no_jobs(env: dict[str, str], timeout: float = 30.0) -> None:
    deadline = time.monotonic() + timeout
    while time.monotonic() < deadline:
        if not _quiet(["squeue", "-h", "-o", "%i"], env).stdout.strip():
            return
        time.sleep(0.3)


def main(argv: list[str]) -> int:
    if len(argv) != 1:
        sys.stderr.write("usage: local_slurm.py DIR\n")
        return 2

    def stop(signum: int, frame: object) -> None:
        raise KeyboardInterrupt

    signal.signal(signal.SIGTERM, stop)  # also when started in the background (SIGINT ignored)
    try:
        with local_slurm(Path(argv[0])) as env:
            print(f"export SLURM_CONF={env['SLURM_CONF']}", flush=True)
            with contextlib.suppress(KeyboardInterrupt):
                signal.pause()
    except SlurmUnavailable as error:
        sys.stderr.write(f"local_slurm: {error}\n")
        return 3
    return 0


if __name__ == "__main__":
    sys.exit(main(sys.argv[1:]))
