"""Check a built movie with an independent decoder (PyAV): codec, size, frame rate and frame
count must equal what the scene plans (each crossfade of N frames makes the movie N frames
shorter).

    python tools/verify_movie.py SCENE [--profile NAME] [--set KEY=VALUE]...
"""

from __future__ import annotations

import argparse
import sys
from fractions import Fraction

import av

from movie_compiler.config.load import load_scene
from movie_compiler.encode import EncodeSettings, frame_rate
from movie_compiler.plan import plan

CODEC_NAMES = {"h264": "h264", "vp9": "vp9", "gif": "gif"}


def main() -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n")[0])
    parser.add_argument("scene")
    parser.add_argument("--profile")
    parser.add_argument("--set", dest="overrides", action="append", default=[])
    args = parser.parse_args()

    loaded = load_scene(args.scene, args.overrides, args.profile)
    frames = plan(loaded.scene)
    settings = EncodeSettings.from_scene(loaded.scene, loaded.output)
    expected = {
        "codec": CODEC_NAMES[settings.codec],
        "size": tuple(loaded.scene.movie.resolution),
        "fps": frame_rate(frames.fps / frames.frame_step),
        "frames": len(frames.rendered()) - sum(s.crossfade or 0 for s in loaded.scene.shots),
    }
    with av.open(str(loaded.output)) as container:
        stream = container.streams.video[0]
        found = {
            "codec": stream.codec_context.name,
            "size": (stream.width, stream.height),
            "fps": Fraction(stream.average_rate),
            "frames": sum(1 for _ in container.decode(stream)),
        }
    shown = (
        f"{found['codec']} {found['size'][0]}x{found['size'][1]} {float(found['fps']):g} fps "
        f"{found['frames']} frames"
    )
    if found != expected:
        print(f"{loaded.output}: {shown}; the plan says {expected}", file=sys.stderr)
        return 1
    print(f"{loaded.output}: {shown}, as planned (decoded with PyAV {av.__version__})")
    return 0


if __name__ == "__main__":
    sys.exit(main())
