"""Benchmark ``moviec preview`` against a full ``moviec build`` of the same scene.

    .venv/bin/python bench/bench_preview.py [SCENE] [--work DIR]

Runs, as whole processes and each with a fresh ``--cache-dir`` (so nothing comes from the
cache), ``moviec build SCENE`` (every frame rendered and the movie encoded, written into the
work folder) and then ``moviec preview SCENE`` (the stills, the contact sheet, the camera
path, the transfer function). Prints both wall times and their ratio. Target for
``scenes/demo.toml``: the preview costs at most 15 % of the build. Needs ``make demo/mni152.h5``.
"""

from __future__ import annotations

import argparse
import subprocess
import sys
import tempfile
import time
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
MOVIEC = [sys.executable, "-m", "movie_compiler"]
TARGET = 0.15


def timed(command: list[str]) -> float:
    started = time.monotonic()
    subprocess.run(command, check=True, cwd=ROOT, stdout=subprocess.DEVNULL)
    return time.monotonic() - started


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.splitlines()[1].strip())
    parser.add_argument("scene", nargs="?", default=str(ROOT / "scenes" / "demo.toml"))
    parser.add_argument("--work", type=Path, help="keep the files here (default: a temp folder)")
    args = parser.parse_args()
    with tempfile.TemporaryDirectory(prefix="moviec-bench-preview-") as temporary:
        work = args.work or Path(temporary)
        work.mkdir(parents=True, exist_ok=True)
        movie = work / "movie.mp4"
        build = timed(
            [
                *MOVIEC,
                "-q",
                "build",
                args.scene,
                "--cache-dir",
                str(work / "build-cache"),
                "--set",
                f'movie.output="{movie}"',
            ]
        )
        preview = timed(
            [
                *MOVIEC,
                "-q",
                "preview",
                args.scene,
                "-o",
                str(work / "preview"),
                "--cache-dir",
                str(work / "preview-cache"),
            ]
        )
    ratio = preview / build
    verdict = "meets" if ratio <= TARGET else "misses"
    print(f"scene:   {args.scene}")
    print(f"build:   {build:.1f} s (every frame rendered, encoded)")
    print(f"preview: {preview:.1f} s (stills, contact sheet, camera path, transfer function)")
    print(f"ratio:   {ratio:.3f} of the build ({verdict} the target of {TARGET:.2f})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
