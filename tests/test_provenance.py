"""Provenance: file checksums (cached), container tags, and the sidecar JSON."""

from __future__ import annotations

import hashlib
import json
import os
import platform
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from movie_compiler import __version__
from movie_compiler.config.load import LoadedScene, load_scene
from movie_compiler.encode import EncodeSettings, codec_options, encode
from movie_compiler.errors import InputError
from movie_compiler.plan import plan
from movie_compiler.provenance import (
    container_metadata,
    sha256_file,
    sidecar,
    write_sidecar,
)

SCENE = """\
[movie]
title = "Vervet brain"
fps = 25.0
frame_step = 2
resolution = [64, 48]
output = "vervet.mp4"

[dataset]
path = "data/brain.h5"
array = "/T1"
voxel_size = [1.0, 1.0, 1.0]

[volume]
colors = [[0, 0, 0, 0], [255, 1, 1, 1]]
opacity = [[0, 0], [255, 1]]

[camera]
position = [0, 0, 3]

[[shots]]
name = "turn"
type = "orbit"
frames = 5

[[shots]]
type = "hold"
frames = 4
"""
PARAVIEW = {"version": "5.11.0", "python": "3.11.2", "renderer": "gpu"}
OLD = 1_500_000_000_000_000_000
"""A modification time (ns) long ago: digests of such files are cached."""


@pytest.fixture
def loaded(tmp_path: Path) -> LoadedScene:
    (tmp_path / "scene.toml").write_text(SCENE)
    (tmp_path / "data").mkdir()
    (tmp_path / "data" / "brain.h5").write_bytes(b"\x89HDF\r\n\x1a\n" + bytes(range(256)) * 40)
    return load_scene(tmp_path / "scene.toml")


def document_for(loaded: LoadedScene, cache: Path | None = None) -> dict[str, Any]:
    return sidecar(
        loaded,
        plan(loaded.scene),
        output=loaded.output,
        paraview=PARAVIEW,
        inputs=[loaded.path, loaded.resolve(loaded.scene.dataset.path)],
        encode=EncodeSettings.from_scene(loaded.scene, loaded.output),
        cache_dir=cache,
    )


# -- checksums ------------------------------------------------------------------------------


def test_sha256_streams_the_file(tmp_path: Path) -> None:
    data = os.urandom(3 << 20)
    (tmp_path / "f").write_bytes(data)
    assert sha256_file(tmp_path / "f") == hashlib.sha256(data).hexdigest()


def test_sha256_cache_is_used_until_the_file_changes(tmp_path: Path) -> None:
    path, cache = tmp_path / "volume.raw", tmp_path / "cache"
    path.write_bytes(b"a" * 1000)
    os.utime(path, ns=(OLD, OLD))
    first = sha256_file(path, cache)
    assert first == hashlib.sha256(b"a" * 1000).hexdigest()
    assert len(list((cache / "sha256").iterdir())) == 1

    # Same size and modification time: the cached digest is trusted (the file is not read).
    path.write_bytes(b"b" * 1000)
    os.utime(path, ns=(OLD, OLD))
    assert sha256_file(path, cache) == first
    assert sha256_file(path) != first

    os.utime(path, ns=(OLD + 1, OLD + 1))  # another modification time
    assert sha256_file(path, cache) == hashlib.sha256(b"b" * 1000).hexdigest()

    path.write_bytes(b"b" * 1001)  # another size
    os.utime(path, ns=(OLD + 1, OLD + 1))
    assert sha256_file(path, cache) == hashlib.sha256(b"b" * 1001).hexdigest()
    assert len(list((cache / "sha256").iterdir())) == 1  # one entry per file


def test_sha256_of_a_file_just_written_is_not_cached(tmp_path: Path) -> None:
    path, cache = tmp_path / "fresh.raw", tmp_path / "cache"
    path.write_bytes(b"fresh")
    assert sha256_file(path, cache) == hashlib.sha256(b"fresh").hexdigest()
    assert not (cache / "sha256").exists()


def test_sha256_cache_survives_a_damaged_entry(tmp_path: Path) -> None:
    path, cache = tmp_path / "volume.raw", tmp_path / "cache"
    path.write_bytes(b"volume")
    os.utime(path, ns=(OLD, OLD))
    sha256_file(path, cache)
    (entry,) = (cache / "sha256").iterdir()
    entry.write_text("{not json")
    assert sha256_file(path, cache) == hashlib.sha256(b"volume").hexdigest()
    assert json.loads(entry.read_text())["sha256"] == hashlib.sha256(b"volume").hexdigest()


# -- container metadata ---------------------------------------------------------------------


def test_container_metadata(loaded: LoadedScene) -> None:
    assert container_metadata(loaded, "5.11.0") == {
        "title": "Vervet brain",
        "comment": f"made by moviec {__version__} with ParaView 5.11.0 "
        f"from scene sha256:{loaded.digest}",
        "moviec_version": __version__,
        "paraview_version": "5.11.0",
        "moviec_scene_sha256": loaded.digest,
    }


def test_container_metadata_without_title(tmp_path: Path) -> None:
    (tmp_path / "s.toml").write_text(SCENE.replace('title = "Vervet brain"\n', ""))
    assert "title" not in container_metadata(load_scene(tmp_path / "s.toml"), "5.11.0")


def test_container_metadata_reaches_the_mp4(tmp_path: Path, loaded: LoadedScene) -> None:
    frame = tmp_path / "000000.png"
    with av.open(str(frame), "w", format="image2") as container:
        stream = container.add_stream("png")
        stream.width, stream.height, stream.pix_fmt = 64, 48, "rgb24"
        image = av.VideoFrame.from_ndarray(np.zeros((48, 64, 3), np.uint8), format="rgb24")
        for packet in [*stream.encode(image), *stream.encode()]:
            container.mux(packet)
    tags = container_metadata(loaded, "5.11.0")
    output = tmp_path / "m.mp4"
    encode(
        [frame, frame], output, fps=25, settings=EncodeSettings("h264", 18, "ultrafast"),
        metadata=tags, log_path=tmp_path / "log", progress=False,
    )  # fmt: skip
    with av.open(str(output)) as container:
        assert {key: container.metadata.get(key) for key in tags} == tags


# -- sidecar --------------------------------------------------------------------------------


def test_sidecar(loaded: LoadedScene, tmp_path: Path) -> None:
    document = document_for(loaded, tmp_path / "cache")
    data = (tmp_path / "data" / "brain.h5").read_bytes()
    scene_bytes = (tmp_path / "scene.toml").read_bytes()
    software = document.pop("software")
    resolved = document["scene"].pop("resolved")
    assert document == {
        "moviec": __version__,
        "scene": {"file": "scene.toml", "sha256": loaded.digest, "profile": None, "overrides": []},
        "movie": {
            "file": "vervet.mp4",
            "codec": "h264",
            "crf": 18,
            "preset": "slow",
            "encoder_options": codec_options(EncodeSettings("h264", 18, "slow")),
            "fps": 12.5,
            "frame_rate": "25/2",
            "frames": 5,
            "seconds": 0.4,
            "resolution": [64, 48],
        },
        "shots": [
            {"name": "turn", "type": "orbit", "frames": 5, "encoded_frames": 3},
            {"name": "shot-2", "type": "hold", "frames": 4, "encoded_frames": 2},
        ],
        "inputs": [
            {
                "path": "scene.toml",
                "bytes": len(scene_bytes),
                "sha256": hashlib.sha256(scene_bytes).hexdigest(),
            },
            {
                "path": "data/brain.h5",
                "bytes": len(data),
                "sha256": hashlib.sha256(data).hexdigest(),
            },
        ],
    }
    assert software == {
        "moviec": __version__,
        "paraview": PARAVIEW,
        "ffmpeg": software["ffmpeg"],
        "python": platform.python_version(),
        "platform": platform.platform(),
    }
    assert software["ffmpeg"]
    # The resolved scene has every default filled in.
    assert resolved["encode"] == {"codec": None, "crf": None, "preset": "slow"}
    assert resolved["movie"]["background"] == [0.32, 0.34, 0.43]
    assert resolved["shots"][1]["easing"] == "linear"


def test_sidecar_paths_outside_the_movie_folder_are_absolute(
    loaded: LoadedScene, tmp_path: Path
) -> None:
    elsewhere = tmp_path / "elsewhere"
    elsewhere.mkdir()
    (elsewhere / "a.raw").write_bytes(b"a")
    (elsewhere / "sub").mkdir()
    (elsewhere / "sub" / "b.raw").write_bytes(b"b")
    document = sidecar(
        loaded, plan(loaded.scene), output=tmp_path / "movies" / "v.gif", paraview=PARAVIEW,
        inputs=[elsewhere, elsewhere / "a.raw"], encode=EncodeSettings("gif", None, "slow"),
    )  # fmt: skip
    assert [entry["path"] for entry in document["inputs"]] == [
        str(elsewhere / "a.raw"),
        str(elsewhere / "sub" / "b.raw"),
    ]
    assert document["movie"]["crf"] is None and document["movie"]["preset"] is None


def test_sidecar_missing_input(loaded: LoadedScene, tmp_path: Path) -> None:
    with pytest.raises(InputError, match=r"gone\.h5: input file not found"):
        sidecar(
            loaded, plan(loaded.scene), output=loaded.output, paraview=PARAVIEW,
            inputs=[tmp_path / "gone.h5"], encode=EncodeSettings("h264", 18, "slow"),
        )  # fmt: skip


def test_sidecar_of_a_profile_and_overrides(tmp_path: Path, loaded: LoadedScene) -> None:
    draft = load_scene(tmp_path / "scene.toml", ["movie.fps=10"], profile="draft")
    document = document_for(draft)
    assert document["scene"]["profile"] == "draft"
    assert document["scene"]["overrides"] == ["movie.fps=10"]
    assert document["scene"]["sha256"] != loaded.digest
    assert document["movie"]["fps"] == 10 / 4  # draft doubles the step


def test_write_sidecar(loaded: LoadedScene, tmp_path: Path) -> None:
    document = document_for(loaded)
    path = write_sidecar(loaded.output, document)
    assert path == tmp_path / "vervet.mp4.json"
    text = path.read_text(encoding="utf-8")
    assert json.loads(text) == document
    assert text.endswith("}\n")
    shuffled = dict(reversed(list(document.items())))
    assert write_sidecar(loaded.output, shuffled).read_text(encoding="utf-8") == text
    assert list(json.loads(text)) == sorted(document)
    assert sorted(p.name for p in tmp_path.iterdir()) == [
        "data",
        "scene.toml",
        "vervet.mp4.json",
    ]
