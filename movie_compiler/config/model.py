"""The scene model: what a moviec TOML scene file may say.

Every field carries a docstring; it becomes the field's description in the JSON Schema
(`schemas/scene.schema.json`) and in `docs/scene-format.md`. Rules that involve more than
one field (strictly increasing scalars, cameras that look somewhere, even frame sizes, ...)
live in :mod:`movie_compiler.config.rules`, so that each problem can name both fields.
"""

from __future__ import annotations

from typing import Annotated, Any, Literal

from pydantic import ConfigDict, Field

from movie_compiler.config.model_base import (
    RGB,
    Flag,
    Int,
    Number,
    Positive,
    Table,
    Text,
    Unit,
    Vec3,
)
from movie_compiler.config.overlay_model import Overlays, Transitions

SCHEMA_ID = "https://moviec.example.org/schemas/scene.schema.json"
PROFILE_NAME = r"^[A-Za-z][A-Za-z0-9_-]*$"
"""What a profile may be called: a letter, then letters, digits, '_' or '-'."""


ColorPoints = Annotated[
    list[Annotated[tuple[Number, ...], Field(min_length=4, max_length=4)]], Field(min_length=1)
]
OpacityPoints = Annotated[
    list[Annotated[tuple[Number, ...], Field(min_length=2, max_length=4)]], Field(min_length=1)
]

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
    dtype: DType | None = None
    """Element type of the array; colour and opacity scalars must lie in its range. Default:
    the file's (the build and `moviec check --data` read it, and refuse a scene that
    disagrees with the file)."""
    voxel_size: Annotated[tuple[Positive, ...], Field(min_length=3, max_length=3)] | None = None
    """Physical size of one voxel per array axis, slowest axis first (as h5py shows the
    shape). Default: the size `moviec convert` stored in the file (from a NIfTI header or
    `--voxel-size`); needed when the file records none. A size that disagrees with the
    file's stops the build."""
    unit: LengthUnit | None = None
    """Unit of `voxel_size`. Default: the unit `moviec convert` stored with the voxel size
    (NIfTI headers usually say `mm`), else none stated. Units only matter when the scene's
    voxel size is compared with the file's."""
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
    orientation: Annotated[Text, Field(pattern=r"^[RLAPSI]{3}$")] | None = None
    """Anatomical directions of ParaView's x, y and z axes (the array's fastest, middle and
    slowest axis), each the direction its index grows towards, as NIfTI axis codes: `"RAS"`
    means x grows to the right, y to anterior, z to superior. `moviec convert` prints it for
    NIfTI input and stores it in the HDF5 file; `[overlays.orientation]` labels need it."""


class Plane(Table):
    """A plane in normalised world coordinates: the points `x` with `normal . x = offset`."""

    normal: Vec3
    """Direction the plane faces (any length but zero); a clip keeps what lies on this side."""
    offset: Number = 0.0
    """Signed distance of the plane from the volume's centre along the normal, in normalised
    units (the longest axis spans 1.0): keyframes that change it sweep the plane."""


class Box(Table):
    """An axis-aligned box in normalised world coordinates (the volume spans at most -0.5 to
    0.5 on each axis)."""

    min: Vec3
    """The corner with the smallest coordinates."""
    max: Vec3
    """The corner with the largest coordinates; larger than `min` on every axis."""


class Volume(Table):
    """`[volume]`: how the volume is drawn."""

    renderer: Renderer | Annotated[list[Renderer], Field(min_length=1)] = "smart"
    """Volume renderer, or a list of renderers in order of preference: the first one this
    ParaView has is used. A single renderer that is unavailable stops the build. `gpu` and
    `smart` are checked before loading against OpenGL's 3D texture limit (per axis, per MPI
    rank): a list takes the next renderer, `smart` becomes the CPU ray caster, `gpu` alone
    stops the build and says what fits."""
    colors: ColorPoints
    """Colour transfer function: `[scalar, r, g, b]` points, scalars strictly increasing
    inside the range of `dataset.dtype`, colours from 0 to 1 (ParaView's `RGBPoints`)."""
    opacity: OpacityPoints
    """Opacity transfer function: `[scalar, opacity]` or `[scalar, opacity, midpoint,
    sharpness]` points (midpoint 0.5 and sharpness 0 by default), scalars strictly
    increasing, the other values from 0 to 1."""
    scalars: Literal["data", "fraction"] = "data"
    """What the scalars of `colors` and `opacity` (and their keyframes) are: `data` values,
    or a `fraction` of the data's value range (0 its lowest value, 1 its highest; the range
    `moviec convert` stores, or measured), so a first scene needs no number from the file."""
    color_space: Literal["RGB", "HSV", "Lab", "Diverging", "Step"] = "RGB"
    """Colour space in which colours are interpolated between points."""
    shade: Flag = False
    """Shade the volume with the scene's light (gradient-based lighting)."""
    opacity_scale: Unit = 1.0
    """Multiplies every opacity: 1 draws the transfer function as it is, 0 hides the volume.
    Keyframes that change it fade the whole volume in or out."""
    clip: Plane | None = None
    """Draw only what lies on the normal's side of this plane (no re-filtering of the data:
    the volume mapper clips while it samples). Keyframes that change `offset` sweep it."""
    box: Box | None = None
    """Draw only what lies inside this box, a volume of interest; keyframes grow or shrink
    it."""
    slices: list[Plane] = Field(default_factory=list)
    """Planes through the volume, drawn opaque and coloured by `colors` (a slice filter per
    plane); keyframes move them. With `visible = false` they are shown alone."""
    visible: Flag = True
    """Draw the volume; `false` shows only the slices."""
    opacity_unit_distance: Positive | None = None
    """Distance, in normalised world units, over which a sample of opacity 1 hides what is
    behind it. Default: ParaView's estimate from the data (it depends on the subsample, so set
    it to make draft and final renders look alike)."""


class CameraState(Table):
    """A camera: where it is (or the way it looks and how much of the frame the volume fills),
    what it looks at, which way is up."""

    position: Vec3 | None = None
    """Camera position in normalised world coordinates (the dataset's longest physical axis
    spans 1.0, centred at the origin). Or give `direction` and `fit` instead."""
    direction: Vec3 | None = None
    """The way the camera looks (towards `focal_point`), instead of a position: the camera is
    placed along it at the distance where the volume fills `fit` of the frame."""
    fit: Annotated[Number, Field(gt=0.0, le=10.0)] | None = None
    """With `direction`: how much of the frame the volume's bounding box fills, 0.9 for 90 %
    of the height or width, whichever is tighter (computed from the data's bounds and the view
    angle, without ParaView; in orthographic projection it sets the zoom). Where the data is
    not at hand (`moviec compile` without it), the cube that holds any volume is framed."""
    focal_point: Vec3 = (0.0, 0.0, 0.0)
    """Point the camera looks at."""
    view_up: Vec3 = (0.0, 1.0, 0.0)
    """Up direction of the picture; must not be parallel to the view direction. For brain
    data in RAS orientation (NIfTI, converted by `moviec convert`), superior is `+z`: use
    `[0, 0, 1]`."""
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
    """A state a shot passes through at a given time: a camera (flights only), transfer
    functions, a fade, a clip plane or a box. What a keyframe leaves out keeps following its own
    keyframes, or stays as it was."""

    at: Annotated[Number, Field(ge=0.0, le=1.0)]
    """When the state is reached, as a fraction of the shot, from 0 (its first frame) to 1
    (its end, the next shot's first frame); strictly increasing. Easing never moves it: a
    keyframe at 0.14 of a 200-frame shot is reached at frame 28."""
    easing: Easing | None = None
    """Timing of the way here from the previous keyframe, replacing the default: inner
    segments run at the motion's own pace, and the shot's `easing` shapes only the first and
    last segment (how the motion starts and stops)."""
    position: Vec3 | None = None
    """Camera position (flights only; given with `focal_point`)."""
    direction: Vec3 | None = None
    """The way the camera looks, with `fit`, instead of `position` (flights only)."""
    fit: Annotated[Number, Field(gt=0.0, le=10.0)] | None = None
    """With `direction`: how much of the frame the volume fills (as `camera.fit`)."""
    focal_point: Vec3 | None = None
    """Point the camera looks at (flights only; given with `position`)."""
    view_up: Vec3 | None = None
    """Up direction; default: the previous keyframe's, turned with the camera."""
    view_angle: Annotated[Number, Field(gt=0.0, lt=180.0)] | None = None
    """Field of view in degrees (a zoom); default: unchanged."""
    parallel_scale: Positive | None = None
    """Orthographic zoom: half the height of the picture in world units; default: unchanged."""
    colors: ColorPoints | None = None
    """Colour transfer function reached here (as `volume.colors`). Point sets of different
    sizes are interpolated by resampling both onto the union of their scalars."""
    opacity: OpacityPoints | None = None
    """Opacity transfer function reached here (as `volume.opacity`)."""
    opacity_scale: Unit | None = None
    """Whole-volume opacity reached here (as `volume.opacity_scale`): 0 to fade out."""
    clip: Plane | None = None
    """Clip plane reached here (as `volume.clip`). From no clip, the plane starts where it
    clips nothing."""
    box: Box | None = None
    """Box reached here (as `volume.box`). From no box, it starts around the whole volume."""
    slices: list[Plane] | None = None
    """Slice planes reached here, one for each of `volume.slices`, in the same order."""

    def camera_keys(self) -> list[str]:
        """The camera keys this keyframe gives."""
        keys = (
            "position",
            "direction",
            "fit",
            "focal_point",
            "view_up",
            "view_angle",
            "parallel_scale",
        )
        return [key for key in keys if getattr(self, key) is not None]

    def places_camera(self) -> bool:
        """Whether this keyframe says where the camera is (a position, or a direction)."""
        return self.position is not None or self.direction is not None

    def volume_keys(self) -> list[str]:
        """The volume keys this keyframe gives."""
        keys = ("colors", "opacity", "opacity_scale", "clip", "box", "slices")
        return [key for key in keys if getattr(self, key) is not None]


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
    keyframes: list[Keyframe] = Field(default_factory=list)
    """States the shot passes through, in order of `at`: transfer functions, fades, clip
    planes and boxes in every shot, and the camera in flights."""
    crossfade: Annotated[Int, Field(ge=1, le=100_000)] | None = None
    """Blend this many movie frames (after `movie.frame_step`) of the previous shot's end
    into this shot's start, made from the rendered frames in the encode step: the two shots
    overlap, so the movie is this many frames shorter. Not on the first shot."""


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
    """Cameras (and other states) to pass through, in order of `at`; at least one gives
    `position` and `focal_point`, and the last of those is at 1."""
    interpolation: Literal["linear", "spline"] = "spline"
    """`linear`: straight between keyframes; `spline`: a smooth curve through them whose
    slopes are limited by the neighbouring keyframes, so it never swings past one (each
    coordinate, the distance and the zoom stay between two keyframes' values)."""


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


Count = Annotated[Int, Field(ge=1)]


class Cluster(Table):
    """`[cluster]`: how `moviec build --executor slurm` submits its jobs to Slurm. None of it
    changes the frames: editing it re-renders nothing. Command-line options
    (`--tasks`, `--partition`, `--account`, `--time`, `--mpi`) override it; a profile can set
    it too (`[profiles.jureca.cluster]`). See docs/cluster.md."""

    tasks: Annotated[Int, Field(ge=1, le=10000)] = 4
    """Render tasks in the job array; each renders one contiguous window of the frames the
    cache lacks (fewer when there are fewer frames)."""
    partition: Text | None = None
    """Slurm partition of both jobs (`sbatch --partition`); default: the cluster's default."""
    account: Text | None = None
    """Account charged (`sbatch --account`); default: your default account."""
    time: Text | None = None
    """Time limit of each render task (`sbatch --time`): `MM`, `MM:SS`, `HH:MM:SS`, `D-HH`,
    `D-HH:MM` or `D-HH:MM:SS`; default: the partition's."""
    encode_time: Text | None = None
    """Time limit of the verify-and-encode job; default: `time`."""
    nodes: Count = 1
    """Nodes per render task (`sbatch --nodes`); more than one only with MPI ranks spread over
    them."""
    ntasks: Count | None = None
    """Slurm tasks per render task (`sbatch --ntasks`); default: `ranks`."""
    ranks: Count = 1
    """MPI ranks per render task: pvbatch runs under `launcher` (`--mpi N` overrides)."""
    cpus_per_task: Count | None = None
    """CPUs per Slurm task (`sbatch --cpus-per-task`): the cores each rank's renderer gets."""
    mem: Text | None = None
    """Memory per node (`sbatch --mem`), such as `64G`; default: the partition's."""
    launcher: Text = "srun --mpi=pmix"
    """How a task starts its MPI ranks: a command line to which `-n RANKS` is added (as
    `MOVIEC_MPIEXEC`)."""
    setup: list[Text] = Field(default_factory=list)
    """Shell lines both jobs run first, one per entry, such as
    `"module load ParaView/5.11.2"`: the compute nodes need the same ParaView as the node
    that submits (the frames are keyed by its version)."""
    options: list[Text] = Field(default_factory=list)
    """More `sbatch` options for both jobs, one per entry, such as `"--qos=normal"` or
    `"--constraint=mem192"`."""


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
    overlays: Overlays = Overlays()
    """Title, captions, stamp, scale bar, colour legend and orientation drawn in the frames."""
    transitions: Transitions = Transitions()
    """Fades in and out of the movie (crossfades are the shots' `crossfade`)."""
    cluster: Cluster = Cluster()
    """Slurm settings of `moviec build --executor slurm`; not part of the movie."""
    profiles: dict[Annotated[Text, Field(pattern=PROFILE_NAME)], dict[str, Any]] = Field(
        default_factory=dict
    )
    """Named sets of overrides, chosen with `--profile NAME`: each is a partial scene (for
    example `[profiles.preview.movie]` with `resolution = [960, 540]`). A `draft` profile
    here replaces the built-in one."""
