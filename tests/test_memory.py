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
    assert ray.loading == ray.volume  # a second copy while it is read: the peak here
    assert ray.total == ray.base + 2 * ray.volume
    shaded = estimate(piece, 1, "Ray Cast Only", shade=True, resolution=(640, 360))
    assert shaded.mapper == 25_600_000 + 768_000_000
    assert shaded.total == shaded.base + shaded.volume + shaded.mapper + shaded.frame
    gpu = estimate(piece, 2, "GPU Based", shade=True, resolution=(3840, 2160))
    assert gpu.volume == gpu.mapper == 512_000_000
    assert gpu.frame == 3840 * 2160 * 36
    assert gpu.total == gpu.base + gpu.volume + gpu.mapper + gpu.frame


def test_an_estimate_reads_as_gib_by_part() -> None:
    shown = estimate((2220, 2052, 234), 1, "Ray Cast Only", shade=False, resolution=(1920, 1080))
    assert shown.describe() == (
        "2.4 GiB (volume 0.99, mapper 0.10, frame 0.07, ParaView 0.43; peak while loading)"
    )  # measured: 2.36 GiB (bench_scale.py)
    gpu = estimate((1110, 1026, 234), 1, "GPU Based", shade=False, resolution=(1920, 1080))
    assert gpu.describe() == "1.00 GiB (volume 0.25, mapper 0.25, frame 0.07, ParaView 0.43)"


def test_available_memory_from_meminfo() -> None:
    text = "MemTotal:       24000000 kB\nMemFree:  1000 kB\nMemAvailable:   20971520 kB\n"
    assert available_bytes(text) == 20 * GIB
    assert available_bytes("MemTotal: 1 kB\n") is None
    assert (available_bytes() or 0) > 0
