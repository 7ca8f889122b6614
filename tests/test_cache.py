"""The frame cache's clean-up of partial frames, and the process check it relies on."""

from __future__ import annotations

import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path

import pytest

from movie_compiler.cache import FrameCache
from movie_compiler.config.load import load_scene
from movie_compiler.plan import plan
from movie_compiler.render.process import running

SLEEPER = [sys.executable, "-c", "import time; time.sleep(60)"]


@pytest.fixture
def sleeper() -> Iterator[subprocess.Popen[bytes]]:
    process = subprocess.Popen(SLEEPER)
    yield process
    process.kill()
    process.wait()


def zombie() -> subprocess.Popen[bytes]:
    """A child that has exited and is not reaped yet (``wait`` is never called)."""
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    state = Path(f"/proc/{process.pid}/stat")
    deadline = time.monotonic() + 30
    while state.read_text().split(")")[1].split()[0] != "Z":
        assert time.monotonic() < deadline
        time.sleep(0.01)
    return process


def test_a_running_process_that_already_ran(sleeper: subprocess.Popen[bytes]) -> None:
    assert running(sleeper.pid, since=time.time() + 5)
    assert running(os.getpid(), since=time.time())


def test_a_process_younger_than_the_file_did_not_write_it(
    sleeper: subprocess.Popen[bytes],
) -> None:
    """A process id reused by a process started after the file was written."""
    assert not running(sleeper.pid, since=time.time() - 3600)


def test_an_ended_process() -> None:
    process = subprocess.Popen([sys.executable, "-c", "pass"])
    process.wait()
    assert not running(process.pid, since=time.time())


@pytest.mark.skipif(not Path("/proc/self/stat").exists(), reason="needs Linux's /proc")
def test_a_zombie_is_not_running() -> None:
    process = zombie()
    try:
        assert not running(process.pid, since=time.time())
    finally:
        process.wait()


def test_prepare_removes_partial_frames_whose_writer_is_gone(
    tmp_path: Path, write_scene: Callable[..., Path], sleeper: subprocess.Popen[bytes]
) -> None:
    loaded = load_scene(write_scene())
    frames_plan = plan(loaded.scene)
    keys = [f"key{shot.index}" for shot in frames_plan.shots]
    cache = FrameCache(tmp_path / "frames")
    folder = cache.shot_dir(keys[0])
    folder.mkdir(parents=True)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    dead = folder / f"000000.{ended.pid}.partial.png"
    live = folder / f"000001.{sleeper.pid}.partial.png"
    reused = folder / f"000002.{sleeper.pid}.partial.png"
    legacy = folder / "000003.partial.png"
    finished = folder / "000004.png"
    for path in (dead, live, reused, legacy, finished):
        path.write_bytes(b"png")
    an_hour_ago = time.time() - 3600
    os.utime(reused, (an_hour_ago, an_hour_ago))  # written before the sleeper started
    process = zombie()
    try:
        of_a_zombie = folder / f"000005.{process.pid}.partial.png"
        of_a_zombie.write_bytes(b"png")
        cache.prepare(frames_plan, keys, loaded.path)
    finally:
        process.wait()
    assert sorted(p.name for p in folder.glob("*.png")) == [live.name, finished.name]
