"""The scene tables for what is drawn over the volume and between shots: `[overlays]` (title,
captions, frame stamp, scale bar, colour legend, orientation) and `[transitions]` (fades).

Sizes are fractions of the frame height, so a draft and a 4K render of a scene look alike.
Cross-field rules (a scale bar needs `dataset.voxel_size`, a caption names an existing shot,
...) live in :mod:`movie_compiler.config.overlay_rules`.
"""

from __future__ import annotations

from typing import Annotated, Literal

from pydantic import Field

from movie_compiler.config.model_base import RGB, Flag, Int, Number, Positive, Table, Text, Unit

Placement = Literal[
    "upper_left", "upper_center", "upper_right", "center", "lower_left", "lower_center",
    "lower_right",
]  # fmt: skip
"""Where in the frame an overlay sits: a corner, the middle of the upper or lower edge, or the
centre of the frame."""

Font = Literal["Arial", "Courier", "Times"]
"""ParaView's font families: `Arial` (sans serif), `Courier` (monospace), `Times` (serif)."""

TextSize = Annotated[Number, Field(gt=0.0, le=0.5)]
Seconds = Annotated[Number, Field(ge=0.0, le=3600.0)]


class TextStyle(Table):
    """How a text overlay looks."""

    size: TextSize = 0.05
    """Font size as a fraction of the frame height (ParaView's `FontSize` is set to
    `size * height` pixels; capital letters are about 0.7 of it)."""
    font: Font = "Arial"
    """Font family: `Arial`, `Courier` or `Times`."""
    bold: Flag = False
    """Bold type."""
    color: RGB = (1.0, 1.0, 1.0)
    """Text colour `[r, g, b]`, each from 0 to 1."""
    box: RGB | None = None
    """Colour of a box drawn behind the text; none by default."""
    box_opacity: Unit = 0.6
    """Opacity of the box behind the text (0 transparent, 1 opaque)."""
    fade: Seconds = 0.5
    """Seconds over which the text fades in at its start and out at its end (at most half of
    the time it is shown); 0: it appears and disappears at once."""


class Title(TextStyle):
    """`[overlays.title]`: the movie's title in the frames."""

    text: Annotated[Text, Field(min_length=1)]
    """The title; `\\n` breaks lines."""
    seconds: Seconds = 3.0
    """Length of the title card, a still shown before the first shot (`seconds * movie.fps`
    frames, rounded half up); 0: no card, the title is shown over the first shot instead."""
    card_volume: Flag = False
    """Show the first shot's first view behind the title card; by default the card is the
    background colour only."""
    position: Placement = "center"
    """Where the title sits."""
    size: TextSize = 0.08
    """Font size as a fraction of the frame height."""


class Caption(TextStyle):
    """`[[overlays.captions]]`: a text shown during one shot."""

    shot: Annotated[Text, Field(min_length=1)]
    """Name of the shot (its `name`, or `shot-N` for the Nth shot without a name)."""
    text: Annotated[Text, Field(min_length=1)]
    """The caption; `\\n` breaks lines."""
    position: Placement = "lower_center"
    """Where the caption sits."""
    size: TextSize = 0.045
    """Font size as a fraction of the frame height."""


class Stamp(TextStyle):
    """`[overlays.stamp]`: the frame number or time in every frame."""

    text: Annotated[Text, Field(min_length=1)] = "{time:.2f} s"
    """A Python format string with the fields `frame` (the movie's planned frame, from 0),
    `time` (seconds from the movie's start), `shot` (the shot's name) and `shot_frame`."""
    position: Placement = "lower_right"
    """Where the stamp sits."""
    size: TextSize = 0.035
    """Font size as a fraction of the frame height."""
    fade: Seconds = 0.0
    """The stamp does not fade."""


class ScaleBar(Table):
    """`[overlays.scale_bar]`: a bar of a physical length (orthographic shots only: in
    perspective, a length on screen depends on its depth, so no bar is honest)."""

    length: Positive | None = None
    """Length of the bar in `dataset.unit`. Default: the largest 1, 2 or 5 x 10^k that is at
    most a fifth of the frame's width in the movie's first frame (such as 500 um or 2 mm)."""
    position: Placement = "lower_left"
    """Corner or edge where the bar and its label sit (not `center`)."""
    color: RGB = (1.0, 1.0, 1.0)
    """Colour of the bar and its label."""
    thickness: Annotated[Number, Field(gt=0.0, le=0.1)] = 0.008
    """Height of the bar as a fraction of the frame height."""
    size: TextSize = 0.035
    """Font size of the label as a fraction of the frame height."""
    font: Font = "Arial"
    """Font family of the label."""
    label: Flag = True
    """Write the length above the bar (such as `500 µm`)."""


class Legend(Table):
    """`[overlays.legend]`: ParaView's colour legend (scalar bar) for the colour transfer
    function, following it when keyframes change it."""

    title: Text | None = None
    """Title of the legend; default: the name of the dataset's array."""
    unit: Text = ""
    """Unit or a label shown after the title, such as `a.u.` or `T1 intensity`."""
    position: Placement = "upper_right"
    """Corner or edge where the legend sits (not `center`)."""
    size: TextSize = 0.03
    """Font size of the labels as a fraction of the frame height (the title is 1.2 times it)."""
    length: Annotated[Number, Field(gt=0.0, le=1.0)] = 0.33
    """Length of the colour bar as a fraction of the frame's height."""
    thickness: Annotated[Number, Field(gt=0.0, le=0.2)] = 0.025
    """Width of the colour bar as a fraction of the frame height."""
    color: RGB = (1.0, 1.0, 1.0)
    """Colour of the title and labels."""
    font: Font = "Arial"
    """Font family of the title and labels."""


class Orientation(Table):
    """`[overlays.orientation]`: which way the volume faces."""

    labels: Flag = True
    """Anatomical direction letters (R/L, A/P, S/I) beside the volume's six faces, from
    `dataset.orientation`."""
    axes: Flag = False
    """ParaView's orientation axes (the x, y, z triad) in the lower left corner."""
    distance: Annotated[Number, Field(gt=0.0, le=5.0)] = 0.6
    """Distance of each letter from the volume's centre, in normalised units (the volume spans
    at most -0.5 to 0.5)."""
    size: TextSize = 0.045
    """Font size of the letters as a fraction of the frame height."""
    color: RGB = (1.0, 0.85, 0.3)
    """Colour of the letters."""
    font: Font = "Arial"
    """Font family of the letters."""


class Overlays(Table):
    """`[overlays]`: what is drawn over the volume. Each part is drawn only when its table
    is given."""

    title: Title | None = None
    """A title card before the first shot, or the title over it."""
    captions: list[Caption] = Field(default_factory=list)
    """Texts shown during a shot, fading in and out with it."""
    stamp: Stamp | None = None
    """Frame number or time in every frame."""
    scale_bar: ScaleBar | None = None
    """A bar of a physical length (needs `dataset.voxel_size` and orthographic projection)."""
    legend: Legend | None = None
    """The colour legend of the transfer function."""
    orientation: Orientation | None = None
    """Anatomical direction letters and the orientation axes."""


class Fade(Table):
    """A fade from or to a colour."""

    frames: Annotated[Int, Field(ge=1, le=100_000)]
    """Length of the fade in frames of the movie (after `movie.frame_step`)."""
    color: RGB = (0.0, 0.0, 0.0)
    """The colour faded from or to, `[r, g, b]`."""


class Transitions(Table):
    """`[transitions]`: fades at the movie's start and end, made from the rendered frames in
    the encode step (changing them re-renders nothing). Crossfades between shots are the
    shots' `crossfade` key."""

    fade_in: Fade | None = None
    """Fade in from a colour: the movie's first frame is the colour, frame k of N is k/N
    picture."""
    fade_out: Fade | None = None
    """Fade out to a colour: the movie's last frame is the colour."""
