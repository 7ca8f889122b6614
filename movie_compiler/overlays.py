"""Plan the text overlays (title, captions, stamp) as a track of the frame state.

Each frame's ``texts`` track is the list of texts it shows, each with its complete style and
its opacity (fading in and out with its shot). The frame cache keys a shot by its states, so a
caption edit re-renders only the shot it belongs to, and a hold with a caption that fades is
rendered frame by frame while the fade lasts and once after. Scenes without texts get no
``texts`` track, so their plans and cache keys are unchanged.

The scale bar, the colour legend and the orientation labels do not change from frame to frame
(the bar's pixels follow the camera track); they are script constants, part of every shot's
key through the script (:func:`movie_compiler.generate.pixel_source`).
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass
from typing import Any

from movie_compiler.config.model import Scene
from movie_compiler.config.overlay_model import TextStyle
from movie_compiler.sequence import frames_in

TEXT_TRACK = "texts"
"""The frame state's key of the texts a frame shows."""


@dataclass(frozen=True)
class Span:
    """A planned shot's place in the movie."""

    name: str
    first: int
    count: int


def has_texts(scene: Scene) -> bool:
    overlays = scene.overlays
    return bool(overlays.title or overlays.captions or overlays.stamp)


def fade_opacity(k: int, count: int, fade: int) -> float:
    """Opacity at frame ``k`` of ``count`` of a text fading in and out over ``fade`` frames
    (at most half of ``count``): ``(k + 1) / (fade + 1)`` at the start, mirrored at the end,
    1 between. A fade of 0 is 1 everywhere."""
    fade = min(fade, count // 2)
    if fade <= 0:
        return 1.0
    return min(1.0, (k + 1) / (fade + 1), (count - k) / (fade + 1))


def text_value(style: TextStyle, text: str, position: str, opacity: float) -> dict[str, Any]:
    """One text as the script draws it."""
    return {
        "text": text,
        "position": position,
        "size": style.size,
        "font": style.font,
        "bold": style.bold,
        "color": list(style.color),
        "box": list(style.box) if style.box is not None else None,
        "box_opacity": style.box_opacity,
        "opacity": round(opacity, 6),
    }


def text_track(scene: Scene, spans: Sequence[Span], card: bool) -> list[list[dict[str, Any]]]:
    """The ``texts`` track of every planned frame; ``spans`` are the planned shots, the title
    card first when ``card``."""
    overlays, fps = scene.overlays, scene.movie.fps
    total = spans[-1].first + spans[-1].count
    frames: list[list[dict[str, Any]]] = [[] for _ in range(total)]

    def show(span: Span, style: TextStyle, text: str, position: str) -> None:
        fade = frames_in(style.fade, fps)
        for k in range(span.count):
            opacity = fade_opacity(k, span.count, fade)
            frames[span.first + k].append(text_value(style, text, position, opacity))

    title = overlays.title
    if title is not None:
        show(spans[0], title, title.text, title.position)
    scene_spans = spans[1:] if card else spans
    by_name = {span.name: span for span in scene_spans}
    for caption in overlays.captions:
        show(by_name[caption.shot], caption, caption.text, caption.position)
    stamp = overlays.stamp
    if stamp is not None:
        for span in spans:
            for k in range(span.count):
                frame = span.first + k
                text = stamp.text.format(
                    frame=frame, time=frame / fps, shot=span.name, shot_frame=k
                )
                frames[frame].append(text_value(stamp, text, stamp.position, 1.0))
    return frames
