"""``moviec doctor`` on this machine, and with one requirement taken away at a time."""

from __future__ import annotations

import contextlib
import os
import re
from pathlib import Path

import pytest

from movie_compiler.__main__ import main
from movie_compiler.commands.doctor import Check
from movie_compiler.render.paraview import probe

XVFB_LINE = (
    r"ok    display: no DISPLAY; \S+/Xvfb starts \(\d+\.\d s\); each build runs a private one"
)
FFMPEG_LINE = r"ok    ffmpeg: \S+ \(imageio-ffmpeg: ffmpeg\S*\) with libx264, libvpx-vp9, gif"
DISK_LINE = r"(ok  |warn)  disk: \d+\.\d GiB free in .+"
MPI_LINE = r"info  MPI: .+"
SLURM_LINE = r"info  Slurm: .+"
OPENGL_LINE = (
    r"info  OpenGL: llvmpipe \(LLVM [\d.]+, \d+ bits\), [\d.]+ \(Core Profile\) Mesa [\d.]+; "
    r"gpu and smart draw volumes of at most 2048 voxels per axis \(per MPI rank\); longer ones: "
    r"ray-cast, a pyramid level, or --mpi N"
)
MEMORY_LINE = (
    r"info  memory: \d+\.\d+ GiB available, \d+ cores; each build estimates what every pvbatch "
    r"holds and stops before loading when it does not fit"
)


@pytest.fixture(autouse=True)
def private_cache(monkeypatch: pytest.MonkeyPatch, tmp_path: Path) -> None:
    monkeypatch.setenv("XDG_CACHE_HOME", str(tmp_path / "cache"))


def doctor(capsys: pytest.CaptureFixture[str]) -> tuple[int, list[str]]:
    code = main(["doctor"])
    return code, capsys.readouterr().out.splitlines()


def path_without(folder: Path, programs: set[str]) -> Path:
    """A folder of links to every program on PATH except ``programs`` (pvbatch's MPI start-up
    needs the others)."""
    folder.mkdir()
    for directory in os.environ["PATH"].split(os.pathsep):
        with contextlib.suppress(OSError):
            for entry in os.scandir(directory):
                link = folder / entry.name
                if entry.name not in programs and not link.exists():
                    link.symlink_to(entry.path)
    return folder


def test_a_check_is_one_line_with_its_advice() -> None:
    check = Check("FAIL", "disk", "0.4 GiB free in /data", "free some space")
    assert str(check) == "FAIL  disk: 0.4 GiB free in /data; free some space"
    assert str(Check("ok", "MPI", "none")) == "ok    MPI: none"


@pytest.mark.paraview
def test_doctor_on_this_machine(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pvbatch: str
) -> None:
    monkeypatch.delenv("DISPLAY", raising=False)
    monkeypatch.setenv("MOVIEC_PVBATCH", pvbatch)
    code, lines = doctor(capsys)
    info = probe(pvbatch)
    assert code == 0, "\n".join(lines)
    expected = [
        re.escape(f"ok    ParaView: {info.version} ({info.executable}, Python {info.python})"),
        re.escape(f"ok    renderers: {', '.join(info.renderers)}"),
    ]
    if "ospray" not in info.renderers:  # Debian's ParaView
        expected.append(
            re.escape(
                "warn  ospray: not in this ParaView build (no ray tracing); use gpu or ray-cast"
            )
        )
    expected.append(XVFB_LINE)
    expected += [
        rf"ok    render {re.escape(name)}: drew a test volume \(\d+% of the image, \d+\.\d\d s\)"
        for name in info.renderers
    ]
    expected += [OPENGL_LINE, MEMORY_LINE]
    expected += [FFMPEG_LINE, DISK_LINE, MPI_LINE, SLURM_LINE, "ready to build movies"]
    assert len(lines) == len(expected), "\n".join(lines)
    for line, pattern in zip(lines, expected, strict=True):
        assert re.fullmatch(pattern, line), f"{line!r} does not match {pattern!r}"


def test_doctor_without_paraview(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], tmp_path: Path
) -> None:
    monkeypatch.setenv("MOVIEC_PVBATCH", str(tmp_path / "pvbatch"))
    monkeypatch.setenv("DISPLAY", ":0")
    code, lines = doctor(capsys)
    assert code == 3
    assert lines[:3] == [
        f"FAIL  ParaView: MOVIEC_PVBATCH={tmp_path}/pvbatch is not an executable file "
        "(point it at pvbatch, or unset it to use pvbatch from PATH)",
        "ok    display: DISPLAY=:0 (used as it is)",
        "skip  test render: needs ParaView and a display",
    ]
    assert lines[-1] == "some checks failed: fix them before building"


@pytest.mark.paraview
def test_doctor_without_an_x_server(
    monkeypatch: pytest.MonkeyPatch,
    capsys: pytest.CaptureFixture[str],
    tmp_path: Path,
    pvbatch: str,
) -> None:
    monkeypatch.setenv("MOVIEC_PVBATCH", pvbatch)
    monkeypatch.setenv("PATH", str(path_without(tmp_path / "bin", {"Xvfb", "mpiexec", "sbatch"})))
    monkeypatch.delenv("DISPLAY", raising=False)
    code, lines = doctor(capsys)
    assert code == 3
    assert lines[0].startswith("ok    ParaView: ")
    assert (
        "FAIL  display: DISPLAY is not set and Xvfb is not installed; install it: "
        "apt-get install xvfb xauth"
    ) in lines
    assert "skip  test render: needs ParaView and a display" in lines
    assert lines[-3:-1] == [
        "info  MPI: mpiexec not found (optional: data-parallel rendering with build --mpi N); "
        "install an MPI (Debian: apt-get install openmpi-bin), or set MOVIEC_MPIEXEC",
        "info  Slurm: sbatch not found (optional: build --executor slurm, from a cluster's "
        "login node)",
    ]


@pytest.mark.paraview
def test_doctor_with_a_display_that_does_not_work(
    monkeypatch: pytest.MonkeyPatch, capsys: pytest.CaptureFixture[str], pvbatch: str
) -> None:
    monkeypatch.setenv("MOVIEC_PVBATCH", pvbatch)
    monkeypatch.setenv("DISPLAY", ":9999")  # no such X server
    code, lines = doctor(capsys)
    assert code == 3
    assert "ok    display: DISPLAY=:9999 (used as it is)" in lines
    assert (
        "FAIL  test render: pvbatch failed (killed by SIGABRT): vtkXOpenGLRenderWindow: bad X "
        "server connection. DISPLAY=:9999. Aborting; check that DISPLAY names a working X "
        "server, or unset it so moviec starts Xvfb"
    ) in lines
