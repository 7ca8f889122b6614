"""Faults: full disks at every stage, read-only folders, Ctrl-C at any moment, atomic writes.

Full disks are real: a small tmpfs mounted for the test (root only; elsewhere these tests are
skipped, since mounting is the only honest way to fill a disk), resized to free space. Ctrl-C
is a real SIGINT sent to a real ``moviec`` at several moments. Tests that build run pvbatch.
"""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
import uuid
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from movie_compiler import fsutil

ROOT = Path(__file__).resolve().parent.parent
SCENE = """\
[movie]
resolution = [96, 64]
fps = 25
output = "{output}"

[dataset]
path = "{data}"
array = "/PLI"
voxel_size = [1.0, 1.0, 1.0]
subsample = [1, 4, 4]

[volume]
renderer = "gpu"
colors = [[0, 0, 0, 0], [140, 0.85, 0.45, 0.3], [255, 1, 1, 1]]
opacity = [[0, 0], [110, 0], [200, 0.5], [255, 0.9]]
opacity_unit_distance = 0.03

[camera]
position = [-1.6, 1.2, 0.8]
view_up = [0, 0, 1]

[[shots]]
type = "orbit"
frames = {frames}
"""

Mount = Callable[..., Path]


@pytest.fixture
def small_disk(tmp_path: Path) -> Iterator[Mount]:
    """``small_disk("96k")`` mounts a tmpfs of that size and returns its folder; unmounted
    when the test ends."""
    mounted: list[Path] = []

    def mount(size: str, options: str = "") -> Path:
        folder = tmp_path / f"disk{len(mounted)}"
        folder.mkdir()
        result = subprocess.run(
            ["mount", "-t", "tmpfs", "-o", f"size={size}{options}", "tmpfs", str(folder)],
            capture_output=True,
            text=True,
        )
        if result.returncode != 0:
            pytest.skip(f"cannot mount a tmpfs (needs root): {result.stderr.strip()}")
        mounted.append(folder)
        return folder

    yield mount
    for folder in reversed(mounted):
        subprocess.run(["umount", "-l", str(folder)], check=False)


def resize(folder: Path, size: str) -> None:
    subprocess.run(["mount", "-o", f"remount,size={size}", str(folder)], check=True)


def moviec(
    *args: str, env: dict[str, str] | None = None, timeout: float = 600
) -> subprocess.CompletedProcess[str]:
    return subprocess.run(
        [sys.executable, "-m", "movie_compiler", *args],
        capture_output=True,
        text=True,
        timeout=timeout,
        env={**os.environ, **(env or {})},
        cwd=ROOT,
    )


def files_under(folder: Path) -> list[str]:
    return sorted(str(p.relative_to(folder)) for p in folder.rglob("*") if p.is_file())


def stray(folder: Path) -> list[str]:
    """Temporary and partial files (what an interrupted or failed write must not leave)."""
    return [name for name in files_under(folder) if ".partial" in name or "moviec-" in name]


def write_scene(folder: Path, data: Path, output: Path, frames: int = 8) -> Path:
    path = folder / "scene.toml"
    path.write_text(SCENE.format(data=data, output=output, frames=frames), encoding="utf-8")
    return path


# -- atomic writes ----------------------------------------------------------------------------


def test_a_write_failing_half_way_keeps_the_previous_file(tmp_path: Path) -> None:
    """A file size limit makes the write fail after 64 KiB (EFBIG), as a full disk would:
    the previous file stays whole and no partial file is left."""
    target = tmp_path / "plan.json"
    target.write_text("previous\n")
    script = textwrap.dedent(
        f"""
        import resource, signal, sys
        from pathlib import Path
        from movie_compiler import fsutil
        signal.signal(signal.SIGXFSZ, signal.SIG_IGN)
        resource.setrlimit(resource.RLIMIT_FSIZE, (65536, resource.RLIM_INFINITY))
        try:
            fsutil.write_bytes(Path({str(target)!r}), b"x" * 1_000_000)
        except OSError as exc:
            print(exc.errno)
            sys.exit(0)
        sys.exit(1)
        """
    )
    result = subprocess.run([sys.executable, "-c", script], capture_output=True, text=True)
    assert result.returncode == 0, result.stderr
    assert int(result.stdout) == 27  # EFBIG: the write failed half-way
    assert target.read_text() == "previous\n"
    assert files_under(tmp_path) == ["plan.json"]


def test_a_write_onto_a_full_disk_keeps_the_previous_file(small_disk: Mount) -> None:
    disk = small_disk("64k")
    target = disk / "MOVIE.json"
    target.write_text("previous\n")
    with pytest.raises(OSError) as caught:
        fsutil.write_bytes(target, b"x" * 200_000)
    assert caught.value.errno == 28
    assert target.read_text() == "previous\n"
    assert files_under(disk) == ["MOVIE.json"]


def test_the_file_written_is_complete_or_absent_after_a_rename_failure(tmp_path: Path) -> None:
    target = tmp_path / "folder-in-the-way"
    target.mkdir()
    with pytest.raises(OSError):
        fsutil.write_bytes(target, b"new")
    assert target.is_dir() and files_under(tmp_path) == []


# -- full disks -------------------------------------------------------------------------------


def slices(tmp_path: Path, mni_t1: object) -> Path:
    import numpy as np

    folder = tmp_path / "slices"
    folder.mkdir()
    for index, plane in enumerate(np.asarray(mni_t1)):
        plane.tofile(folder / f"slice_{index:03d}.raw")
    return folder


RAW = ["--slice-shape", "233,189", "--dtype", "uint8"]


def test_convert_onto_a_disk_too_small_stops_before_writing(
    small_disk: Mount, tmp_path: Path, mni_t1: object
) -> None:
    source = slices(tmp_path, mni_t1)
    disk = small_disk("1m")
    result = moviec("convert", str(source), "-o", str(disk / "out.h5"), *RAW)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"{disk}: disk full (the conversion needs 8.7 MB more, 1.0 MB are free); free some "
        "space there and run the command again: what was finished is kept"
    )
    assert files_under(disk) == []


def test_a_gzip_conversion_that_fills_the_disk_removes_its_partial_file_and_resumes_later(
    small_disk: Mount, tmp_path: Path, mni_t1: object
) -> None:
    source = slices(tmp_path, mni_t1)
    disk = small_disk("1m")
    out = disk / "out.h5"
    args = ["convert", str(source), "-o", str(out), *RAW, "--compression", "gzip"]
    result = moviec(*args)
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"{disk}: disk full (writing out.h5.partial, which was removed); free some space "
        "there and run the command again: what was finished is kept"
    )
    assert files_under(disk) == []  # the space is free again
    resize(disk, "64m")
    result = moviec(*args)
    assert result.returncode == 0, result.stderr
    assert files_under(disk) == ["out.h5"]


@pytest.mark.paraview
def test_a_frame_cache_that_fills_the_disk_keeps_finished_frames_and_resumes(
    small_disk: Mount, tmp_path: Path, mni_h5: Path
) -> None:
    cache = small_disk("100k")
    movie = tmp_path / "movie.mp4"
    scene = write_scene(tmp_path, mni_h5, movie, frames=24)
    result = moviec("build", str(scene), "--cache-dir", str(cache))
    assert result.returncode == 1, result.stderr
    assert "disk full" in result.stderr.splitlines()[-1], result.stderr
    assert str(cache) in result.stderr.splitlines()[-1]
    assert "Traceback" not in result.stderr
    assert stray(cache) == []
    finished = [name for name in files_under(cache) if name.endswith(".png")]
    resize(cache, "64m")
    result = moviec("build", str(scene), "--cache-dir", str(cache))
    assert result.returncode == 0, result.stderr
    assert f"{len(finished)} cached" in result.stderr, result.stderr
    assert movie.exists() and stray(cache) == []


@pytest.mark.paraview
def test_a_movie_that_fills_the_disk_leaves_no_partial_movie_and_encodes_later(
    small_disk: Mount, tmp_path: Path, mni_h5: Path
) -> None:
    disk = small_disk("8k")
    movie = disk / "movie.mp4"
    scene = write_scene(tmp_path, mni_h5, movie, frames=40)  # a movie of more than 8 kB
    cache = tmp_path / "cache"
    result = moviec("build", str(scene), "--cache-dir", str(cache))
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1] == (
        f"{disk}: disk full (ffmpeg writing the movie; the frames are kept); free some space "
        "there and run the command again: what was finished is kept"
    )
    assert files_under(disk) == []
    resize(disk, "16m")
    result = moviec("build", str(scene), "--cache-dir", str(cache))
    assert result.returncode == 0, result.stderr
    assert "40 frames, 40 cached, 0 to render" in result.stderr
    assert files_under(disk) == ["movie.mp4", "movie.mp4.json"]


def test_a_read_only_movie_folder_is_found_before_rendering(
    small_disk: Mount, tmp_path: Path, mni_h5: Path
) -> None:
    folder = small_disk("1m", ",ro")
    scene = write_scene(tmp_path, mni_h5, folder / "movie.mp4")
    cache = tmp_path / "cache"
    result = moviec("build", str(scene), "--cache-dir", str(cache))
    assert result.returncode == 1, result.stderr
    assert result.stderr.splitlines()[-1] == f"moviec: {folder}: Read-only file system"
    assert not list(cache.glob("builds/*/render.log"))  # nothing was rendered


# -- Ctrl-C -----------------------------------------------------------------------------------


def processes_marked(mark: str) -> list[int]:
    """Processes whose environment carries ``mark`` (moviec's children inherit it)."""
    found = []
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            environ = (entry / "environ").read_bytes()
        except OSError:
            continue
        if f"MOVIEC_TEST_MARK={mark}".encode() in environ.split(b"\0"):
            found.append(int(entry.name))
    return found


STARTER = "from movie_compiler.__main__ import entry; print('started', flush=True); entry()"
"""``moviec`` as its entry point runs it, saying when it is about to call ``main()``: a SIGINT
during the interpreter's own start-up is Python's to handle (a traceback), not moviec's."""


def interrupt_after(args: list[str], delay: float, mark: str) -> tuple[int, str]:
    """Start moviec, send SIGINT ``delay`` seconds after Python started; return its exit code
    and stderr."""
    env = {**os.environ, "MOVIEC_TEST_MARK": mark}
    process = subprocess.Popen(
        [sys.executable, "-c", STARTER, *args],
        stdout=subprocess.PIPE,
        stderr=subprocess.PIPE,
        text=True,
        env=env,
        cwd=ROOT,
    )
    assert process.stdout is not None
    assert process.stdout.readline() == "started\n"
    time.sleep(delay)
    process.send_signal(signal.SIGINT)
    _, err = process.communicate(timeout=600)
    return process.returncode, err


@pytest.mark.paraview
@pytest.mark.parametrize("delay", [0.0, 0.01, 0.05, 0.3, 1.0, 2.0, 4.0])
def test_ctrl_c_at_any_moment_of_a_build_ends_with_130_and_leaves_nothing(
    tmp_path: Path, mni_h5: Path, delay: float
) -> None:
    movie = tmp_path / "out" / "movie.mp4"
    scene = write_scene(tmp_path, mni_h5, movie, frames=12)
    cache = tmp_path / "cache"
    mark = uuid.uuid4().hex
    code, err = interrupt_after(["build", str(scene), "--cache-dir", str(cache)], delay, mark)
    if code == 0:  # finished before the signal came: nothing to check but the leftovers
        assert movie.exists()
    else:
        assert code == 130, err
        assert "Traceback" not in err and "Exception ignored" not in err, err
        assert err.splitlines()[-1] == "moviec: interrupted", err
    assert processes_marked(mark) == []
    assert stray(tmp_path) == []


@pytest.mark.parametrize("delay", [0.0, 0.01, 0.05, 0.2, 0.4, 0.7])
def test_ctrl_c_at_any_moment_of_a_conversion_ends_with_130_and_leaves_nothing_stray(
    tmp_path: Path, mni_t1: object, delay: float
) -> None:
    source = slices(tmp_path, mni_t1)
    out = tmp_path / "out" / "out.h5"
    mark = uuid.uuid4().hex
    args = ["convert", str(source), "-o", str(out), *RAW, "--levels", "2", "--checkpoint", "1"]
    code, err = interrupt_after(args, delay, mark)
    assert code in (0, 130), err
    assert "Traceback" not in err, err
    assert processes_marked(mark) == []
    left = files_under(out.parent) if out.parent.exists() else []
    if code == 0:
        assert left == ["out.h5"]
    else:
        # Only the resume state may stay: the partial file with its checkpoint journal.
        assert set(left) <= {"out.h5.partial", "out.h5.partial.json"}, left
        assert ("out.h5.partial" in left) == ("out.h5.partial.json" in left), left
        result = moviec(*args)
        assert result.returncode == 0, result.stderr
        assert files_under(out.parent) == ["out.h5"]


def test_signals_are_held_back_inside_deferred_and_delivered_after() -> None:
    from movie_compiler import interrupts

    interrupts.install()
    with pytest.raises(KeyboardInterrupt):
        with interrupts.deferred():
            os.kill(os.getpid(), signal.SIGINT)
            reached = True  # the signal waits until the block ends
        pytest.fail("the signal was not delivered after the block")
    assert reached
    assert interrupts.received()
    signal.signal(signal.SIGINT, signal.default_int_handler)
