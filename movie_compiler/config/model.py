"""The scene model: what a moviec TOML scene file may say.

Every field carries a docstring; it becomes the field's description in the JSON Schema
(`schemas/scene.schema.json`) and in `docs/scene-format.md`. Rules that involve more than
one field (strictly increasing scalars, cameras that look somewhere, even frame sizes, ...)
live in :mod:`movie_compiler.config.rules`, so that each problem can name both fields.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import BaseModel, ConfigDict, Field, Strict

SCHEMA_ID = "https://moviec.example.org/schemas/scene.schema.json"
PROFILE_NAME = r"^[A-Za-z][A-Za-z0-9_-]*$"
"""What a profile may be called: a letter, then letters, digits, '_' or '-'."""


class Table(BaseModel):
    """Base of every scene table: unknown keys are errors, values are frozen and finite.

    Scalars are strict (TOML is typed: `frames = "5"` is an error, not 5); arrays become
    tuples.
    """

    model_config = ConfigDict(
        extra="forbid",
        frozen=True,
        allow_inf_nan=False,
        strict=False,
        use_attribute_docstrings=True,
        validate_default=True,
    )


Number = Annotated[float, Strict(), Field(allow_inf_nan=False)]
Unit = Annotated[float, Strict(), Field(ge=0.0, le=1.0)]
Positive = Annotated[float, Strict(), Field(gt=0.0, allow_inf_nan=False)]
Int = Annotated[int, Strict()]
Text = Annotated[str, Strict()]
Flag = Annotated[bool, Strict()]
Vec3 = Annotated[tuple[Number, ...], Field(min_length=3, max_length=3)]
RGB = Annotated[tuple[Unit, ...], Field(min_length=3, max_length=3)]

Easing = Literal["linear", "ease-in", "ease-out", "ease-in-out"]
"""Maps a shot's time to its progress. The three eased curves are cubic."""

Renderer = Literal["smart", "gpu", "ray-cast", "ospray"]
"""ParaView volume mappers: `smart` lets ParaView choose, `gpu` is the OpenGL ray caster,
`ray-cast` the CPU ray caster, `ospray` Intel's ray tracer (only in ParaView builds with
ray tracing)."""

DType = Literal["uint8", "int8", "uint16", "int16", "uint32", "int32", "float32", "float64"]
LengthUnit = Literal["nm", "um", "mm", "cm", "m"]


class Movie(Table):
    """`[movie]`: the output movie."""

    title: Text = ""
    """Title of the movie, written into the container metadata."""
    resolution: Annotated[
        tuple[Annotated[Int, Field(ge=16, le=16384)], ...], Field(min_length=2, max_length=2)
    ] = (1920, 1080)
    """Frame size in pixels, `[width, height]`; both even (H.264 and VP9 use yuv420p)."""
    fps: Annotated[Number, Field(gt=0.0, le=240.0)] = 25.0
    """Frames per second of the movie; shots given in `seconds` get `seconds * fps` frames,
    rounded half up."""
    background: RGB = (0.32, 0.34, 0.43)
    """Background colour `[r, g, b]`, each from 0 to 1."""
    output: Text | None = None
    """Movie file, relative to the scene file. Its suffix picks the container: `.mp4`,
    `.webm` or `.gif`. Default: the scene file's name with `.mp4`."""
    frame_step: Annotated[Int, Field(ge=1, le=100)] = 1
    """Render every Nth planned frame and play the movie at `fps / N`: same motion and
    duration, fewer frames. The `draft` profile doubles it."""


class Dataset(Table):
    """`[dataset]`: the volume to render."""

    path: Annotated[Text, Field(min_length=1)]
    """HDF5 file (`.h5`, `.hdf5`, `.he5`) or XDMF file (`.xdmf`, `.xmf`), relative to the
    scene file (also when set with `--set`)."""
    array: Text | None = None
    """HDF5 dataset holding the volume, such as `/PLI` (required for HDF5 input); for XDMF
    input, the name of the attribute to render (default: the first one)."""
    dtype: DType = "uint8"
    """Element type of the array; colour and opacity scalars must lie in its range.
    `moviec check --data` compares it with the file."""
    voxel_size: Annotated[tuple[Positive, ...], Field(min_length=3, max_length=3)] | None = None
    """Physical size of one voxel per array axis, slowest axis first (as h5py shows the
    shape). Required for HDF5 input."""
    unit: LengthUnit = "um"
    """Unit of `voxel_size`."""
    subsample: Annotated[
        tuple[Annotated[Int, Field(ge=1)], ...], Field(min_length=3, max_length=3)
    ] = (1, 1, 1)
    """Use every Nth voxel per axis (slowest first), e.g. `[1, 4, 4]`. Served from a stored
    pyramid level with the same factors when the file has one (see `use_pyramid`), else read
    as an HDF5 hyperslab. The physical extent does not change."""
    level: Annotated[Int, Field(ge=0)] | None = None
    """Read this level of the file's resolution pyramid (0 is full resolution, written by
    `moviec convert --levels`). Excludes `subsample`."""
    use_pyramid: Flag = True
    """Serve `subsample` from a pyramid level with the same factors when one exists: it
    loads much faster and is anti-aliased (block mean) rather than strided."""


class Volume(Table):
    """`[volume]`: how the volume is drawn."""

    renderer: Renderer | Annotated[list[Renderer], Field(min_length=1)] = "smart"
    """Volume renderer, or a list of renderers in order of preference: the first one this
    ParaView has is used. A single renderer that is unavailable stops the build. `gpu` and
    `smart` are checked before loading against OpenGL's 3D texture limit (per axis, per MPI
    rank): a list takes the next renderer, `smart` becomes the CPU ray caster, `gpu` alone
    stops the build and says what fits."""
    colors: Annotated[
        list[Annotated[tuple[Number, ...], Field(min_length=4, max_length=4)]],
        Field(min_length=1),
    ]
    """Colour transfer function: `[scalar, r, g, b]` points, scalars strictly increasing
    inside the range of `dataset.dtype`, colours from 0 to 1 (ParaView's `RGBPoints`)."""
    opacity: Annotated[
        list[Annotated[tuple[Number, ...], Field(min_length=2, max_length=4)]],
        Field(min_length=1),
    ]
    """Opacity transfer function: `[scalar, opacity]` or `[scalar, opacity, midpoint,
    sharpness]` points (midpoint 0.5 and sharpness 0 by default), scalars strictly
    increasing, the other values from 0 to 1."""
    color_space: Literal["RGB", "HSV", "Lab", "Diverging", "Step"] = "RGB"
    """Colour space in which colours are interpolated between points."""
    shade: Flag = False
    """Shade the volume with the scene's light (gradient-based lighting)."""
    opacity_unit_distance: Positive | None = None
    """Distance, in normalised world units, over which a sample of opacity 1 hides what is
    behind it. Default: ParaView's estimate from the data (it depends on the subsample, so set
    it to make draft and final renders look alike)."""


class CameraState(Table):
    """A camera: where it is, what it looks at, which way is up."""

    position: Vec3
    """Camera position in normalised world coordinates (the dataset's longest physical axis
    spans 1.0, centred at the origin)."""
    focal_point: Vec3 = (0.0, 0.0, 0.0)
    """Point the camera looks at."""
    view_up: Vec3 = (0.0, 1.0, 0.0)
    """Up direction of the picture; must not be parallel to the view direction."""
    view_angle: Annotated[Number, Field(gt=0.0, lt=180.0)] = 30.0
    """Vertical field of view in degrees (perspective projection)."""


class Camera(CameraState):
    """`[camera]`: where the first shot starts, and the projection of every shot."""

    projection: Literal["perspective", "orthographic"] = "perspective"
    """`orthographic` keeps sizes independent of depth (an honest scale bar)."""
    parallel_scale: Positive | None = None
    """Half the height of the picture in world units (orthographic projection). Default: what
    the view angle shows at the focal point."""


class Keyframe(Table):
    """A camera the flight passes through at a given point of its progress."""

    at: Annotated[Number, Field(ge=0.0, le=1.0)]
    """Progress through the shot, from 0 (its start) to 1 (its end), strictly increasing. The
    last keyframe is at 1. Without a keyframe at 0 the flight starts where the previous shot
    ended."""
    position: Vec3
    """Camera position."""
    focal_point: Vec3
    """Point the camera looks at."""
    view_up: Vec3 | None = None
    """Up direction; default: the previous keyframe's, turned with the camera."""
    view_angle: Annotated[Number, Field(gt=0.0, lt=180.0)] | None = None
    """Field of view in degrees (a zoom); default: unchanged."""


class ShotBase(Table):
    """Keys common to every shot."""

    name: Text = ""
    """Name shown in logs and review material; default `shot-N`."""
    frames: Annotated[Int, Field(ge=1, le=1_000_000)] | None = None
    """Length in frames. Give `frames` or `seconds`, not both."""
    seconds: Positive | None = None
    """Length in seconds (`seconds * movie.fps` frames, rounded half up)."""
    easing: Easing = "linear"
    """How the shot's progress follows time: `linear`, `ease-in`, `ease-out` or
    `ease-in-out`."""
    start: CameraState | None = None
    """Start from this camera instead of where the previous shot ended (a cut)."""


class Orbit(ShotBase):
    """Turn the camera around an axis through a centre: an exact rotation, even by
    construction."""

    type: Literal["orbit"]
    """The kind of shot: `orbit`."""
    degrees: Annotated[Number, Field(allow_inf_nan=False)] = 360.0
    """Angle turned over the shot, right-handed about `axis`; negative turns the other way.
    A shot of N frames shows the angles `degrees * k / N`, so a 360 degree orbit loops without
    repeating its first frame."""
    axis: Vec3 | None = None
    """Axis of rotation; default: the camera's view-up."""
    center: Vec3 | None = None
    """A point on the axis; default: the camera's focal point."""


class Flight(ShotBase):
    """Fly through keyframes. Focal point, distance, orientation and zoom are interpolated
    separately: distance and zoom geometrically (no dolly or zoom creep), orientation on the
    sphere of rotations (no roll wobble)."""

    type: Literal["flight"]
    """The kind of shot: `flight`."""
    keyframes: Annotated[list[Keyframe], Field(min_length=1)]
    """Cameras to pass through, in order of `at`."""
    interpolation: Literal["linear", "spline"] = "spline"
    """`linear`: straight between keyframes; `spline`: a smooth curve through them
    (Catmull-Rom, timed by `at`)."""


class Dolly(ShotBase):
    """Move the camera along its view direction towards (or away from) the focal point."""

    type: Literal["dolly"]
    """The kind of shot: `dolly`."""
    factor: Positive
    """Distance to the focal point at the end, as a multiple of the distance at the start:
    0.5 halves it. The distance changes geometrically, so the motion looks even."""


class Hold(ShotBase):
    """Keep the camera still."""

    type: Literal["hold"]
    """The kind of shot: `hold`."""


Shot = Annotated[Orbit | Flight | Dolly | Hold, Field(discriminator="type")]
SHOT_TYPES: dict[str, type[ShotBase]] = {
    "orbit": Orbit,
    "flight": Flight,
    "dolly": Dolly,
    "hold": Hold,
}


class Encode(Table):
    """`[encode]`: how frames become the movie (ffmpeg)."""

    codec: Literal["h264", "vp9", "gif"] | None = None
    """Video codec; default from `movie.output`'s suffix: `.mp4` H.264, `.webm` VP9,
    `.gif` GIF."""
    crf: Annotated[Int, Field(ge=0, le=63)] | None = None
    """Constant rate factor, lower is better: default 18 for H.264 (0-51), 31 for VP9 (0-63);
    not used for GIF."""
    preset: Literal[
        "ultrafast",
        "superfast",
        "veryfast",
        "faster",
        "fast",
        "medium",
        "slow",
        "slower",
        "veryslow",
    ] = "slow"
    """x264 speed/size trade-off (H.264 only)."""


class Scene(Table):
    """A moviec scene: one movie, compiled to a pvpython script and encoded with ffmpeg.

    Validate through :func:`movie_compiler.config.load.load_scene`, which also applies the
    cross-field rules, profiles and `--set` overrides.
    """

    model_config = ConfigDict(title="moviec scene", json_schema_extra={"$id": SCHEMA_ID})

    movie: Movie = Movie()
    """The output movie: size, frame rate, background, file."""
    dataset: Dataset
    """The volume to render."""
    volume: Volume
    """Transfer functions and renderer."""
    camera: Camera
    """The camera where the first shot starts, and the projection."""
    shots: Annotated[list[Shot], Field(min_length=1)]
    """Camera motion, shot after shot; each starts where the previous one ended."""
    encode: Encode = Encode()
    """Encoder settings."""
    profiles: dict[Annotated[Text, Field(pattern=PROFILE_NAME)], dict[str, Any]] = Field(
        default_factory=dict
    )
    """Named sets of overrides, chosen with `--profile NAME`: each is a partial scene (for
    example `[profiles.preview.movie]` with `resolution = [960, 540]`). A `draft` profile
    here replaces the built-in one."""
