"""The memory estimate of one pvbatch (or rank): pure arithmetic, stated per part."""

from __future__ import annotations

from movie_compiler.render.memory import MIB, available_bytes, estimate

GIB = 1 << 30


def test_the_parts_of_an_estimate() -> None:
    piece = (2000, 2000, 64)  # 256 MB of uint8
    ray = estimate(piece, 1, "Ray Cast Only", shade=False, resolution=(640, 360))
    assert ray.volume == 256_000_000
    assert ray.mapper == 25_600_000
    assert ray.frame == 640 * 360 * 36
    assert ray.base == 440 * MIB
    assert ray.total == ray.base + ray.frame + ray.volume + ray.mapper
    shaded = estimate(piece, 1, "Ray Cast Only", shade=True, resolution=(640, 360))
    assert shaded.mapper == 25_600_000 + 768_000_000
    gpu = estimate(piece, 2, "GPU Based", shade=True, resolution=(3840, 2160))
    assert gpu.volume == gpu.mapper == 512_000_000
    assert gpu.frame == 3840 * 2160 * 36


def test_an_estimate_reads_as_gib_by_part() -> None:
    shown = estimate((2220, 2052, 234), 1, "Ray Cast Only", shade=False, resolution=(1920, 1080))
    assert shown.describe() == ("1.6 GiB (volume 0.99, mapper 0.10, frame 0.07, ParaView 0.43)")


def test_available_memory_from_meminfo() -> None:
    text = "MemTotal:       24000000 kB\nMemFree:  1000 kB\nMemAvailable:   20971520 kB\n"
    assert available_bytes(text) == 20 * GIB
    assert available_bytes("MemTotal: 1 kB\n") is None
    assert (available_bytes() or 0) > 0
