"""The build's stages without ParaView: frame selections, the frame check before encoding."""

from __future__ import annotations

import zlib
from collections.abc import Callable
from pathlib import Path

import pytest

from movie_compiler import cache
from movie_compiler.build import select_frames
from movie_compiler.cache import FrameCache
from movie_compiler.config.load import load_scene
from movie_compiler.errors import InputError
from movie_compiler.plan import plan

WriteScene = Callable[..., Path]


def png(width: int, height: int) -> bytes:
    """A tiny valid PNG header and end chunk (the frame check reads nothing else)."""

    def chunk(kind: bytes, data: bytes) -> bytes:
        body = kind + data
        return len(data).to_bytes(4, "big") + body + zlib.crc32(body).to_bytes(4, "big")

    header = width.to_bytes(4, "big") + height.to_bytes(4, "big") + bytes([8, 2, 0, 0, 0])
    return cache.PNG_SIGNATURE + chunk(b"IHDR", header) + chunk(b"IEND", b"")


def test_png_size(tmp_path: Path) -> None:
    good = tmp_path / "good.png"
    good.write_bytes(png(320, 240))
    assert cache.png_size(good) == (320, 240)
    truncated = tmp_path / "truncated.png"
    truncated.write_bytes(png(320, 240)[:-5])
    assert cache.png_size(truncated) is None
    foreign = tmp_path / "foreign.png"
    foreign.write_bytes(b"GIF89a" + bytes(40))
    assert cache.png_size(foreign) is None
    assert cache.png_size(tmp_path / "missing.png") is None


def test_verify_names_missing_damaged_and_wrongly_sized_frames(
    write_scene: WriteScene, tmp_path: Path
) -> None:
    frames_plan = plan(load_scene(write_scene()).scene)  # one orbit of 4 frames
    frames = FrameCache(tmp_path / "frames")
    keys = ["k"]
    (tmp_path / "frames" / "k").mkdir(parents=True)
    for frame in range(4):
        frames.frame_path(frames_plan, keys, frame).write_bytes(png(640, 360))
    frames.frame_path(frames_plan, keys, 1).unlink()
    frames.frame_path(frames_plan, keys, 2).write_bytes(png(320, 180))
    frames.frame_path(frames_plan, keys, 3).write_bytes(png(640, 360)[:30])
    assert frames.verify(frames_plan, keys, range(4), (640, 360)) == [1, 2, 3]


def test_frame_ranges_and_descriptions() -> None:
    assert cache.frame_ranges([9, 3, 4, 5]) == "3:6,9:10"
    assert cache.frame_ranges([]) == ""
    assert cache.describe_frames([7]) == "frame 7"
    assert cache.describe_frames(list(range(12)), most=3) == "frames 0, 1, 2 and 9 more"


def test_select_frames_takes_ranges_like_the_script(write_scene: WriteScene) -> None:
    shots = [{"type": "orbit", "frames": 10}]
    frames_plan = plan(load_scene(write_scene(shots=shots)).scene)
    assert select_frames(frames_plan, None) == list(range(10))
    assert select_frames(frames_plan, "2:4,7,8:") == [2, 3, 7, 8, 9]
    with pytest.raises(InputError) as error:
        select_frames(frames_plan, "2:4,8:12")
    assert str(error.value) == "--frames 2:4,8:12: 8:12 is outside the movie's frames 0:10"
    with pytest.raises(InputError) as error:
        select_frames(frames_plan, "a:b")
    assert str(error.value) == "--frames a:b: expected A:B or A:B,C:D, such as 0:100"
