"""The encode step: settings, the exact ffmpeg command, and real encodes checked with PyAV."""

from __future__ import annotations

import os
import signal
import subprocess
import threading
import time
from collections.abc import Callable, Sequence
from fractions import Fraction
from pathlib import Path
from typing import Any

import av
import numpy as np
import pytest

from movie_compiler import encode as encode_module
from movie_compiler.config.load import load_scene
from movie_compiler.encode import (
    COLOUR,
    GIF_PALETTE,
    EncodeSettings,
    encode,
    ffmpeg_command,
    ffmpeg_executable,
    frame_rate,
)
from movie_compiler.errors import InputError, MissingRequirement, ToolError

WriteScene = Callable[..., Path]

WIDTH, HEIGHT = 64, 48
SHOTS = (5, 7)
"""Frames per folder: two shots."""
METADATA = {
    "title": 'Vervet "brain" = 1',
    "comment": "made by moviec",
    "moviec_version": "0.1.0",
    "moviec_scene_sha256": "ab" * 32,
}

# -- helpers ------------------------------------------------------------------------------


def picture(index: int) -> np.ndarray:
    """Frame ``index``: a colour ramp that moves right by 8 levels per frame."""
    x = np.arange(WIDTH)[None, :].repeat(HEIGHT, axis=0)
    value = (x * 4 + index * 8) % 256
    return np.stack([value, 255 - value, np.full_like(value, 128)], axis=-1).astype(np.uint8)


def write_png(path: Path, rgb: np.ndarray) -> None:
    with av.open(str(path), "w", format="image2") as container:
        stream = container.add_stream("png")
        stream.height, stream.width = rgb.shape[:2]
        stream.pix_fmt = "rgb24"
        frame = av.VideoFrame.from_ndarray(rgb, format="rgb24")
        for packet in [*stream.encode(frame), *stream.encode()]:
            container.mux(packet)


def only_files(folder: Path) -> list[str]:
    return sorted(p.name for p in folder.iterdir())


def fake_ffmpeg(tmp_path: Path, body: str) -> str:
    script = tmp_path / "fake-ffmpeg"
    script.write_text("#!/bin/sh\n" + body)
    script.chmod(0o755)
    return str(script)


@pytest.fixture(scope="module")
def frames(tmp_path_factory: pytest.TempPathFactory) -> list[Path]:
    """12 PNG frames in two shot folders, in movie order."""
    root = tmp_path_factory.mktemp("frames")
    paths = []
    index = 0
    for shot, count in enumerate(SHOTS):
        folder = root / f"shot-{shot}"
        folder.mkdir()
        for local in range(count):
            path = folder / f"{local:06d}.png"
            write_png(path, picture(index))
            paths.append(path)
            index += 1
    return paths


def settings_for(codec: str) -> EncodeSettings:
    return {
        "h264": EncodeSettings("h264", 18, "slow"),
        "vp9": EncodeSettings("vp9", 31, "slow"),
        "gif": EncodeSettings("gif", None, "slow"),
    }[codec]


def run_encode(frames: Sequence[Path], output: Path, codec: str, fps: float = 12.5) -> None:
    encode(
        frames,
        output,
        fps=fps,
        settings=settings_for(codec),
        metadata=METADATA,
        log_path=output.parent / "logs" / "encode.log",
        progress=False,
    )


# -- settings and command -------------------------------------------------------------------


@pytest.mark.parametrize(
    ("encode_table", "output", "expected"),
    [
        ({}, "movie.mp4", EncodeSettings("h264", 18, "slow")),
        ({}, "movie.webm", EncodeSettings("vp9", 31, "slow")),
        ({}, "movie.GIF", EncodeSettings("gif", None, "slow")),
        ({"crf": 23, "preset": "fast"}, "movie.mp4", EncodeSettings("h264", 23, "fast")),
        ({"codec": "vp9", "crf": 40}, "movie.webm", EncodeSettings("vp9", 40, "slow")),
    ],
)
def test_settings_from_scene(
    write_scene: WriteScene, encode_table: dict[str, Any], output: str, expected: EncodeSettings
) -> None:
    loaded = load_scene(write_scene(movie={"output": output}, encode=encode_table))
    assert EncodeSettings.from_scene(loaded.scene, loaded.output) == expected


def test_settings_refuse_a_codec_the_output_cannot_hold(
    tmp_path: Path, write_scene: WriteScene
) -> None:
    loaded = load_scene(write_scene(encode={"codec": "h264"}))
    with pytest.raises(InputError, match=r"x\.webm: encode\.codec = 'h264' does not go into"):
        EncodeSettings.from_scene(loaded.scene, tmp_path / "x.webm")
    with pytest.raises(InputError, match=r"cannot tell the codec from the suffix '\.avi'"):
        EncodeSettings.from_scene(loaded.scene, tmp_path / "x.avi")


@pytest.mark.parametrize(
    ("fps", "expected"),
    [(25.0, "25/1"), (12.5, "25/2"), (30000 / 1001, "30000/1001"), (25 / 3 / 2, "25/6")],
)
def test_frame_rate_is_exact(fps: float, expected: str) -> None:
    assert str(frame_rate(fps)) == expected.removesuffix("/1")


INPUT = ["-nostdin", "-y", "-nostats", "-progress", "pipe:1", "-stats_period", "0.5", "-xerror"]


def test_ffmpeg_command_h264() -> None:
    command = ffmpeg_command(
        "/f/%06d.png", Path("/o/m.mp4"), fps=12.5, settings=settings_for("h264"),
        metadata={"title": "A b", "moviec_version": "0.1.0"},
    )  # fmt: skip
    assert command == [
        "ffmpeg", *INPUT, "-framerate", "25/2", "-start_number", "0", "-i", "/f/%06d.png",
        "-vf", COLOUR, "-c:v", "libx264", "-preset", "slow", "-crf", "18", "-pix_fmt", "yuv420p",
        "-movflags", "+faststart+use_metadata_tags",
        "-metadata", "title=A b", "-metadata", "moviec_version=0.1.0",
        "-f", "mp4", "/o/m.mp4",
    ]  # fmt: skip


def test_ffmpeg_command_vp9() -> None:
    command = ffmpeg_command(
        "/f/%06d.png", Path("/o/m.webm"), fps=25, settings=EncodeSettings("vp9", 40, "fast"),
        metadata={"title": "A"}, executable="/usr/bin/ffmpeg",
    )  # fmt: skip
    assert command == [
        "/usr/bin/ffmpeg", *INPUT, "-framerate", "25/1", "-start_number", "0",
        "-i", "/f/%06d.png", "-vf", COLOUR,
        "-c:v", "libvpx-vp9", "-crf", "40", "-b:v", "0", "-deadline", "good", "-cpu-used", "2",
        "-row-mt", "1", "-pix_fmt", "yuv420p", "-metadata", "title=A", "-f", "webm", "/o/m.webm",
    ]  # fmt: skip


def test_ffmpeg_command_gif_has_one_palette_and_no_metadata() -> None:
    command = ffmpeg_command(
        "/f/%06d.png", Path("/o/m.gif"), fps=10, settings=settings_for("gif"),
        metadata={"title": "A"},
    )  # fmt: skip
    assert command == [
        "ffmpeg", *INPUT, "-framerate", "10/1", "-start_number", "0", "-i", "/f/%06d.png",
        "-filter_complex", GIF_PALETTE, "-loop", "0", "-f", "gif", "/o/m.gif",
    ]  # fmt: skip
    assert "palettegen" in GIF_PALETTE and "paletteuse" in GIF_PALETTE


def test_metadata_values_stay_single_arguments() -> None:
    hostile = "a'b\"c; rm -rf / $(x)\nnext=line"
    command = ffmpeg_command(
        "/f/%06d.png", Path("/o/m.mp4"), fps=25, settings=settings_for("h264"),
        metadata={"title": hostile},
    )  # fmt: skip
    assert command[command.index("-metadata") + 1] == f"title={hostile}"


# -- real encodes ---------------------------------------------------------------------------

CASES = [
    ("movie.mp4", "h264", "h264", "yuv420p", 12.5),
    ("movie.mp4", "h264", "h264", "yuv420p", 25.0),
    ("movie.webm", "vp9", "vp9", "yuv420p", 12.5),
    ("movie.gif", "gif", "gif", None, 12.5),
]


@pytest.mark.parametrize(("name", "codec", "decoder", "pix_fmt", "fps"), CASES)
def test_real_encode(
    tmp_path: Path,
    frames: list[Path],
    name: str,
    codec: str,
    decoder: str,
    pix_fmt: str | None,
    fps: float,
) -> None:
    output = tmp_path / name
    run_encode(frames, output, codec, fps)
    assert only_files(tmp_path) == ["logs", name]
    assert oct(output.stat().st_mode & 0o777) == "0o644"

    with av.open(str(output)) as container:
        stream = container.streams.video[0]
        assert stream.codec_context.name == decoder
        assert (stream.width, stream.height) == (WIDTH, HEIGHT)
        assert stream.average_rate == Fraction(fps)
        if pix_fmt is not None:
            context = stream.codec_context
            assert context.pix_fmt == pix_fmt
            colour = (context.colorspace, context.color_primaries, context.color_trc)
            assert colour == (1, 1, 1)  # BT.709 (ffmpeg's AVCOL_*_BT709)
            assert context.color_range == 1  # limited ("tv") range
        tags = {key.lower(): value for key, value in container.metadata.items()}
        decoded = [f.to_ndarray(format="rgb24").astype(int) for f in container.decode(stream)]

    if codec == "gif":
        assert not set(METADATA) & set(tags)  # GIF has no place for them
    else:
        assert {key: tags.get(key) for key in METADATA} == METADATA
    assert len(decoded) == sum(SHOTS)
    inputs = [picture(i).astype(int) for i in range(sum(SHOTS))]
    assert np.abs(decoded[0] - inputs[0]).mean() < 6
    for index, image in enumerate(decoded):  # in order, across both shot folders
        errors = [np.abs(image - reference).mean() for reference in inputs]
        assert int(np.argmin(errors)) == index


def test_progress_bar_does_not_disturb_the_encode(tmp_path: Path, frames: list[Path]) -> None:
    output = tmp_path / "movie.mp4"
    encode(
        frames, output, fps=25, settings=settings_for("h264"), metadata={},
        log_path=tmp_path / "encode.log", progress=True,
    )  # fmt: skip
    with av.open(str(output)) as container:
        assert container.streams.video[0].frames == sum(SHOTS)


def test_frame_folder_with_percent_sign(
    tmp_path: Path, frames: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    scratch = tmp_path / "100%d tmp"
    scratch.mkdir()
    monkeypatch.setattr("tempfile.tempdir", str(scratch))
    run_encode(frames, tmp_path / "movie.webm", "vp9")
    with av.open(str(tmp_path / "movie.webm")) as container:
        assert len(list(container.decode(video=0))) == sum(SHOTS)


# -- failures leave nothing behind ------------------------------------------------------------


def test_corrupt_frame_data(tmp_path: Path, frames: list[Path]) -> None:
    broken = tmp_path / "broken.png"
    broken.write_bytes(frames[3].read_bytes()[:60])  # header intact, image data cut short
    out = tmp_path / "out"
    with pytest.raises(ToolError, match=r"^ffmpeg failed \(exit \d+\); see .*encode\.log$"):
        run_encode([*frames[:3], broken, *frames[4:]], out / "movie.mp4", "h264")
    assert only_files(out) == ["logs"]


def test_previous_movie_survives_a_failed_encode(tmp_path: Path, frames: list[Path]) -> None:
    output = tmp_path / "movie.mp4"
    output.write_bytes(b"the previous movie")
    broken = tmp_path / "broken.png"
    broken.write_bytes(frames[0].read_bytes()[:60])
    with pytest.raises(ToolError):
        run_encode([*frames, broken], output, "h264")
    assert output.read_bytes() == b"the previous movie"
    assert only_files(tmp_path) == ["broken.png", "logs", "movie.mp4"]


def test_not_a_png(tmp_path: Path, frames: list[Path]) -> None:
    text = tmp_path / "frame.png"
    text.write_text("not an image")
    with pytest.raises(ToolError, match=r"frame .*frame\.png: not a PNG file$"):
        run_encode([*frames, text], tmp_path / "movie.mp4", "h264")
    with pytest.raises(ToolError, match=r"frame .*missing\.png: No such file"):
        run_encode([*frames, tmp_path / "missing.png"], tmp_path / "movie.mp4", "h264")
    assert only_files(tmp_path) == ["frame.png"]


def test_frames_of_another_size(tmp_path: Path, frames: list[Path]) -> None:
    small = tmp_path / "small.png"
    write_png(small, np.zeros((24, 32, 3), np.uint8))
    with pytest.raises(ToolError, match=r"small\.png: 32 x 24 pixels, but the first frame"):
        run_encode([*frames, small], tmp_path / "movie.mp4", "h264")


def test_no_frames(tmp_path: Path) -> None:
    with pytest.raises(InputError, match="no frames to encode"):
        run_encode([], tmp_path / "movie.mp4", "h264")


def test_unwritable_folder(tmp_path: Path, frames: list[Path]) -> None:
    (tmp_path / "file").write_text("a file, not a folder")
    with pytest.raises(ToolError, match=r"^cannot write .*file/movie\.mp4: "):
        encode(
            frames, tmp_path / "file" / "movie.mp4", fps=25, settings=settings_for("h264"),
            metadata={}, log_path=tmp_path / "encode.log", progress=False,
        )  # fmt: skip
    assert only_files(tmp_path) == ["file"]


def test_killed_ffmpeg(tmp_path: Path, frames: list[Path], monkeypatch: pytest.MonkeyPatch) -> None:
    class KilledAtOnce(subprocess.Popen[str]):
        def __init__(self, *args: object, **kwargs: object) -> None:
            super().__init__(*args, **kwargs)  # type: ignore[call-overload]
            self.kill()

    exe = ffmpeg_executable()
    monkeypatch.setattr(encode_module, "ffmpeg_executable", lambda: exe)
    monkeypatch.setattr(subprocess, "Popen", KilledAtOnce)
    with pytest.raises(ToolError, match=r"^ffmpeg failed \(killed by SIGKILL\); see "):
        run_encode(frames, tmp_path / "movie.mp4", "h264")
    assert only_files(tmp_path) == ["logs"]


def test_interrupted_encode_kills_ffmpeg(
    tmp_path: Path, frames: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    """Ctrl-C while ffmpeg runs (in real time, so slowly): ffmpeg is killed, nothing is left."""
    pid_file = tmp_path / "ffmpeg.pid"
    slow = fake_ffmpeg(tmp_path, f'echo $$ > "{pid_file}"\nexec "{ffmpeg_executable()}" -re "$@"\n')
    monkeypatch.setattr(encode_module, "ffmpeg_executable", lambda: slow)
    main = threading.get_ident()
    done = threading.Event()

    def interrupt() -> None:
        while not pid_file.exists() and not done.is_set():
            time.sleep(0.01)
        time.sleep(0.3)
        if not done.is_set():
            signal.pthread_kill(main, signal.SIGINT)

    # Python's own Ctrl-C handler, even where the test runner ignores SIGINT (a background job)
    previous = signal.signal(signal.SIGINT, signal.default_int_handler)
    thread = threading.Thread(target=interrupt)
    thread.start()
    out = tmp_path / "out"
    try:
        with pytest.raises(KeyboardInterrupt):
            # 12 s in real time: the interrupt comes long before, even on a loaded machine
            run_encode(frames, out / "movie.mp4", "h264", fps=1)
    finally:
        done.set()
        thread.join()
        signal.signal(signal.SIGINT, previous)
    with pytest.raises(ProcessLookupError):
        os.kill(int(pid_file.read_text()), 0)
    assert only_files(out) == ["logs"]


def test_missing_frames_in_the_output_are_an_error(
    tmp_path: Path, frames: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = (
        'out=""; for a; do out="$a"; done; echo data > "$out"; printf "frame=3\\nprogress=end\\n"\n'
    )
    monkeypatch.setattr(encode_module, "ffmpeg_executable", lambda: fake_ffmpeg(tmp_path, script))
    out = tmp_path / "out"
    with pytest.raises(ToolError, match=r"^ffmpeg wrote 3 of 12 frames; see "):
        run_encode(frames, out / "movie.mp4", "h264")
    assert only_files(out) == ["logs"]


def test_ffmpeg_without_the_encoder(
    tmp_path: Path, frames: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    script = "echo \"Unknown encoder 'libx264'\" >&2; exit 8\n"
    monkeypatch.setattr(encode_module, "ffmpeg_executable", lambda: fake_ffmpeg(tmp_path, script))
    with pytest.raises(MissingRequirement, match=r"has no libx264 encoder"):
        run_encode(frames, tmp_path / "movie.mp4", "h264")


def test_ffmpeg_missing(
    tmp_path: Path, frames: list[Path], monkeypatch: pytest.MonkeyPatch
) -> None:
    monkeypatch.setenv("IMAGEIO_FFMPEG_EXE", str(tmp_path / "no-ffmpeg"))
    with pytest.raises(MissingRequirement, match=r"cannot run .*no-ffmpeg"):
        run_encode(frames, tmp_path / "movie.mp4", "h264")
    assert only_files(tmp_path) == ["logs"]
