"""The frame cache's clean-up of partial frames, the process check it relies on, and claims:
what makes a cache shared by several hosts (cluster nodes) safe."""

from __future__ import annotations

import json
import os
import subprocess
import sys
import time
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import Any

import pytest

from movie_compiler import cache as cache_module
from movie_compiler.cache import FrameCache, Owner
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
    dead = folder / f"000000.{ended.pid}.partial.png"  # an older script's name
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


# -- a cache shared by several hosts ------------------------------------------------------------

HOST = cache_module.this_host()


def test_partial_frames_name_their_host_and_process() -> None:
    assert cache_module.partial_writer(Path("000007.node01.42.partial.png")) == ("node01", 42)
    assert cache_module.partial_writer(Path("000007.jrc0042.jureca.7.partial.png")) == (
        "jrc0042.jureca",
        7,
    )
    assert cache_module.partial_writer(Path("000007.42.partial.png")) == (HOST, 42)
    assert cache_module.partial_writer(Path("000007.partial.png")) is None


def test_a_writer_on_another_host_lives_until_its_lease_ends() -> None:
    now = time.time()
    assert cache_module.writer_alive("elsewhere", 1, now - 10, now)
    assert not cache_module.writer_alive("elsewhere", 1, now - cache_module.LEASE - 1, now)
    # This host's processes are looked up, whatever the file's age.
    assert cache_module.writer_alive(HOST, os.getpid(), now, now)


def test_prepare_keeps_another_hosts_fresh_partial_frames_and_removes_local_dead_ones(
    tmp_path: Path, write_scene: Callable[..., Path]
) -> None:
    loaded = load_scene(write_scene())
    frames_plan = plan(loaded.scene)
    keys = ["key0"]
    frames = FrameCache(tmp_path / "frames")
    folder = frames.shot_dir("key0")
    folder.mkdir(parents=True)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    local_dead = folder / f"000000.{HOST}.{ended.pid}.partial.png"
    remote_fresh = folder / "000001.node-b.cluster.77.partial.png"
    remote_stale = folder / "000002.node-b.cluster.78.partial.png"
    for path in (local_dead, remote_fresh, remote_stale):
        path.write_bytes(b"png")
    old = time.time() - cache_module.LEASE - 60
    os.utime(remote_stale, (old, old))
    frames.prepare(frames_plan, keys, loaded.path)
    assert sorted(p.name for p in folder.glob("*.partial.png")) == [remote_fresh.name]


def claims_setup(
    tmp_path: Path, write_scene: Callable[..., Path]
) -> tuple[FrameCache, Any, list[str]]:
    frames_plan = plan(load_scene(write_scene()).scene)  # one orbit of 4 frames
    frames = FrameCache(tmp_path / "frames")
    frames.shot_dir("k").mkdir(parents=True)
    return frames, frames_plan, ["k"]


def test_two_builds_never_claim_the_same_frame(
    tmp_path: Path, write_scene: Callable[..., Path], sleeper: subprocess.Popen[bytes]
) -> None:
    frames, frames_plan, keys = claims_setup(tmp_path, write_scene)
    other = Owner(HOST, sleeper.pid)  # a live process of this host
    with frames.claim(frames_plan, keys, [0, 1], owner=other) as theirs:
        assert theirs.frames == [0, 1]
        claim = frames.claim_path(frames_plan, keys, 0)
        assert json.loads(claim.read_text())["pid"] == sleeper.pid
        with frames.claim(frames_plan, keys, range(4)) as mine:
            assert mine.frames == [2, 3]
            assert mine.busy == {0: other, 1: other}
            assert frames.holders(frames_plan, keys, range(4)) == {
                0: other, 1: other, 2: Owner.me(), 3: Owner.me()
            }  # fmt: skip
        assert not frames.claim_path(frames_plan, keys, 2).exists()  # released
    assert not list(frames.shot_dir("k").glob("*.claim"))


def test_claims_of_gone_processes_are_taken_over(
    tmp_path: Path, write_scene: Callable[..., Path]
) -> None:
    frames, frames_plan, keys = claims_setup(tmp_path, write_scene)
    ended = subprocess.Popen([sys.executable, "-c", "pass"])
    ended.wait()
    stale = time.time() - cache_module.LEASE - 60
    owners = {
        0: Owner(HOST, ended.pid),  # this host, process ended
        1: Owner("node-b", 5),  # another host, silent for longer than the lease
        2: Owner("node-c", 6, "77_1"),  # another host, its Slurm job has ended
        3: Owner("node-d", 7, "78_0"),  # another host, its job runs
    }
    for frame, owner in owners.items():
        path = frames.claim_path(frames_plan, keys, frame)
        path.write_text(owner.line())
        if frame == 1:
            os.utime(path, (stale, stale))
    frames = FrameCache(frames.root, job_alive=lambda job: job == "78_0")
    with frames.claim(frames_plan, keys, range(4)) as claims:
        assert claims.frames == [0, 1, 2]
        assert claims.busy == {3: owners[3]}


def test_a_frame_finished_meanwhile_is_not_claimed(
    tmp_path: Path, write_scene: Callable[..., Path]
) -> None:
    frames, frames_plan, keys = claims_setup(tmp_path, write_scene)
    frames.frame_path(frames_plan, keys, 1).write_bytes(b"png")
    with frames.claim(frames_plan, keys, range(4)) as claims:
        assert claims.frames == [0, 2, 3]


def test_a_claim_holder_refreshes_its_claims(
    tmp_path: Path, write_scene: Callable[..., Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setattr(cache_module, "HEARTBEAT", 0.05)
    frames, frames_plan, keys = claims_setup(tmp_path, write_scene)
    with frames.claim(frames_plan, keys, [0]) as claims:
        path = claims.paths[0]
        old = time.time() - 1000
        os.utime(path, (old, old))
        deadline = time.monotonic() + 30
        while path.stat().st_mtime < time.time() - 100:
            assert time.monotonic() < deadline
            time.sleep(0.02)
