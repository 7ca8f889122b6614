# @header
# Run it with ParaView's pvbatch (it needs an X server, or a ParaView built for EGL/OSMesa):
#
#     pvbatch render.py [--frames A:B[,C:D...]] [--output DIR] [--skip-existing] [--allow-blank]
#
# (arguments may also come from a file: pvbatch render.py @ARGS.txt, one per line)
#
# It reads the state of every frame (camera, transfer functions, clip plane, box, texts) from
# plan.json beside it, sets what changed since the previous frame, renders each requested frame
# exactly once and writes it as PNG under a temporary name, renamed when complete. For each
# frame it prints one line: "moviec-frame INDEX RENDERS SECONDS PATH". Problems it can name end
# in one line "moviec-error: MESSAGE" and exit code 2 (data) or 3 (this ParaView lacks
# something). It imports only ParaView and the standard library.

import argparse
import importlib.util
import json
import os
import socket
import sys
import time

from paraview import servermanager
from paraview.simple import (
    ColorBy,
    CreateRenderView,
    GetColorTransferFunction,
    GetOpacityTransferFunction,
    Render,
    SaveScreenshot,
    Show,
    Slice,
    XDMFReader,
)
from paraview.vtk.vtkCommonCore import vtkDataArray, vtkInformationVector
from paraview.vtk.vtkCommonExecutionModel import (
    vtkExtentTranslator,
    vtkStreamingDemandDrivenPipeline,
)
from paraview.vtk.vtkIOImage import vtkPNGReader
from paraview.vtk.vtkRenderingOpenGL2 import vtkTextureObject

HERE = os.path.dirname(os.path.abspath(__file__))

# -- Scene ----------------------------------------------------------------------------------
# @scene


def fail(message, code):
    sys.stdout.flush()
    sys.stderr.write("moviec-error: " + message + "\n")
    sys.stderr.flush()
    # Not sys.exit: ParaView's teardown after a render can crash and hide the exit code, and
    # under MPI mpiexec then stops the other ranks instead of leaving them waiting.
    os._exit(code)


def is_root():
    return servermanager.vtkProcessModule.GetProcessModule().GetPartitionId() == 0


def check_paraview():
    manager = servermanager.vtkSMProxyManager
    version = (manager.GetVersionMajor(), manager.GetVersionMinor())
    if version < MIN_PARAVIEW:
        need = ".".join(str(part) for part in MIN_PARAVIEW)
        fail(f"ParaView {version[0]}.{version[1]} is too old; moviec needs {need} or newer", 3)


# -- Data -----------------------------------------------------------------------------------
# @data


def stage(name, started):
    """Report how long a stage took: "moviec-stage NAME SECONDS" (rank 0 only)."""
    if is_root():
        print(f"moviec-stage {name} {time.monotonic() - started:.3f}", flush=True)


def read_facts():
    """What moviec knows of the data (dataset.json, written with dataset.xdmf): its value
    range and normalisation. Empty when the file is missing: then ParaView measures both."""
    try:
        with open(DATA_FACTS_FILE, encoding="utf-8") as stream:
            return json.load(stream)
    except FileNotFoundError:
        return {}


def load_data(facts):
    """Read the volume, check that the array is there, and give it its known value range."""
    started = time.monotonic()
    if not os.path.exists(DATA_FILE):
        fail(f"dataset description {DATA_FILE} is missing (moviec writes it at build time)", 2)
    reader = XDMFReader(FileNames=[DATA_FILE])
    arrays = list(reader.PointData.keys())
    name = ARRAY if ARRAY is not None else (arrays[0] if arrays else None)
    if name not in arrays:
        listed = ", ".join(arrays) or "none"
        fail(f"array {name!r} is not in {DATA_FILE} (it has: {listed})", 2)
    reader.PointArrayStatus = [name]
    reader.UpdatePipeline()
    stage("read", started)
    if facts.get("range") is not None:
        give_range(reader, name, facts["range"])
    return reader, name


def give_range(reader, name, value_range):
    """Cache the value range on this process's array, as VTK does after computing it, so
    that ParaView's Show does not read every value twice (GetRange, then GetFiniteRange).
    The array must not be modified afterwards: that drops the cached range."""
    output = reader.GetClientSideObject().GetOutputDataObject(0)
    if not hasattr(output, "GetPointData"):
        return  # not one image (several grids): let ParaView measure
    array = output.GetPointData().GetArray(name)
    if array is None or array.GetNumberOfComponents() != 1:
        return
    for key in (vtkDataArray.PER_COMPONENT(), vtkDataArray.PER_FINITE_COMPONENT()):
        per_component = vtkInformationVector()
        per_component.SetNumberOfInformationObjects(1)
        per_component.GetInformationObject(0).Set(
            vtkDataArray.COMPONENT_RANGE(), [float(value) for value in value_range], 2
        )
        array.GetInformation().Set(key, per_component)


def data_bounds(reader):
    """The whole volume's bounds in the data's coordinates, from its extent, origin and
    spacing (no pass over the data, unlike ParaView's data information)."""
    source = reader.GetClientSideObject()
    image = source.GetOutputDataObject(0)
    if not hasattr(image, "GetSpacing"):
        return reader.GetDataInformation().GetBounds()
    whole = source.GetOutputInformation(0).Get(vtkStreamingDemandDrivenPipeline.WHOLE_EXTENT())
    origin, spacing = image.GetOrigin(), image.GetSpacing()
    return [origin[i // 2] + whole[i] * spacing[i // 2] for i in range(6)]


def normalisation(reader):
    """Scale and offset that make the longest physical axis span 1.0, centred at the origin.

    The physical extent of N voxels of spacing s is N * s (as in moviec's own XDMF files,
    where this is the identity). moviec passes it in dataset.json where it knows it; this
    asks ParaView for the bounds instead, which costs a pass over the data information.
    """
    info = reader.GetDataInformation()
    bounds, extent = info.GetBounds(), info.GetExtent()
    lengths, lows = [], []
    for axis in range(3):
        count = extent[2 * axis + 1] - extent[2 * axis] + 1
        low, high = bounds[2 * axis], bounds[2 * axis + 1]
        spacing = (high - low) / (count - 1) if count > 1 else 0.0
        lengths.append(count * spacing)
        lows.append(low)
    longest = max(lengths)
    if longest <= 0.0:
        fail(f"{DATA_FILE} holds a volume without extent", 2)
    scale = 1.0 / longest
    offset = [-(lows[axis] + lengths[axis] / 2.0) * scale for axis in range(3)]
    return scale, offset


# -- Display --------------------------------------------------------------------------------
# @display


def available_renderers(display):
    """The volume renderers this ParaView can really draw with."""
    modes = list(display.GetProperty("VolumeRenderingMode").Available)
    ray_tracing = importlib.util.find_spec("vtkmodules.vtkRenderingRayTracing") is not None
    if "OSPRay Based" in modes and not ray_tracing:
        modes.remove("OSPRay Based")  # listed, but this build draws blank frames with it
    return modes


def texture_limit(view):
    """GL_MAX_3D_TEXTURE_SIZE of this process's OpenGL: the longest axis the GPU mapper can
    upload (a longer one makes pvbatch abort at the first render)."""
    Render(view)  # an empty view: creates the OpenGL context
    texture = vtkTextureObject()
    texture.SetContext(view.GetRenderWindow())
    return texture.GetMaximumTextureSize3D()


def largest_piece(reader):
    """The longest axes, in points, of the blocks ParaView gives the MPI ranks (one block,
    the whole volume, without MPI)."""
    information = reader.GetClientSideObject().GetOutputInformation(0)
    whole = list(information.Get(vtkStreamingDemandDrivenPipeline.WHOLE_EXTENT()))
    ranks = servermanager.vtkProcessModule.GetProcessModule().GetNumberOfLocalPartitions()
    translator = vtkExtentTranslator()
    longest = [0, 0, 0]
    for piece in range(ranks):
        extent = [0] * 6
        translator.PieceToExtentThreadSafe(
            piece, ranks, 0, whole, extent, vtkExtentTranslator.BLOCK_MODE, 0
        )
        for axis in range(3):
            longest[axis] = max(longest[axis], extent[2 * axis + 1] - extent[2 * axis] + 1)
    return longest


def choose_renderer(reader, display, limit):
    """The first of RENDERERS that this ParaView has and that can draw the volume: the GPU
    modes only if every rank's block fits OpenGL's 3D texture; Smart that does not fit
    becomes the CPU ray caster (as moviec build decides before loading)."""
    modes = available_renderers(display)
    usable = [mode for mode in RENDERERS if mode in modes]
    if not usable:
        wanted = " or ".join(repr(mode) for mode in RENDERERS)
        fail(
            f"volume renderer {wanted} is not available in this ParaView (it has: "
            f"{', '.join(modes)}); choose one of those in volume.renderer, or list fallbacks "
            'such as ["ospray", "gpu"]',
            3,
        )
    if limit is None:
        return usable[0]
    piece = largest_piece(reader)
    for mode in usable:
        if mode not in ("GPU Based", "Smart") or max(piece) <= limit:
            return mode
        if mode == "Smart":
            return "Ray Cast Only"
    size = " x ".join(str(n) for n in piece)
    fail(
        f"volume renderer 'GPU Based' cannot hold a block of {size} voxels: OpenGL's 3D "
        f"texture limit is {limit} per axis; use a coarser level, the 'ray-cast' renderer, or "
        "more MPI ranks",
        3,
    )


def show_volume(view, reader, array, facts):
    started = time.monotonic()
    gpu = any(mode in ("GPU Based", "Smart") for mode in RENDERERS)
    limit = texture_limit(view) if gpu else None  # before Show: this render must be empty
    display = Show(reader, view)
    display.SetRepresentationType("Volume")
    ColorBy(display, ("POINTS", array))
    chosen = choose_renderer(reader, display, limit)
    display.VolumeRenderingMode = chosen
    display.Visibility = int(VOLUME_VISIBLE)
    display.Shade = int(SHADE)
    if facts.get("scale") is not None and facts.get("offset") is not None:
        scale, offset = facts["scale"], facts["offset"]
    else:
        scale, offset = normalisation(reader)
    display.Scale = [scale, scale, scale]
    display.Position = offset
    if OPACITY_UNIT_DISTANCE is not None:
        display.ScalarOpacityUnitDistance = OPACITY_UNIT_DISTANCE / scale
    stage("show", started)
    return chosen, display


def make_view():
    view = CreateRenderView()
    view.ViewSize = RESOLUTION
    view.OrientationAxesVisibility = 0
    view.UseColorPaletteForBackground = 0
    view.Background = BACKGROUND
    view.CameraParallelProjection = int(PROJECTION == "orthographic")
    return view


# -- Transfer functions ---------------------------------------------------------------------
# @transfer


def transfer_functions(array):
    colors = GetColorTransferFunction(array)
    colors.AutomaticRescaleRangeMode = "Never"
    colors.ColorSpace = COLOR_SPACE
    opacity = GetOpacityTransferFunction(array)
    return colors, opacity


# @overlays


# -- Frames ---------------------------------------------------------------------------------
# @frames


def read_plan():
    with open(PLAN_FILE, encoding="utf-8") as stream:
        plan = json.load(stream)
    if plan.get("format") != PLAN_FORMAT:
        fail(f"{PLAN_FILE} has format {plan.get('format')!r}, not {PLAN_FORMAT}; compile again", 2)
    if plan.get("scene_sha256") != SCENE_SHA256:
        fail(f"{PLAN_FILE} was planned for another scene; compile the scene again", 2)
    return plan


def frame_paths(plan):
    """Relative output path of every planned frame: SHOT_DIR/NNNNNN.png."""
    paths = []
    for shot in plan["shots"]:
        for number in range(shot["stop"] - shot["first"]):
            paths.append(f"{shot['dir']}/{number:06d}.png")
    return paths


def parse_frames(text, total):
    """'A:B,C:D' (half-open ranges; 'A' alone is one frame) -> sorted frame indices."""
    selected = set()
    for part in text.split(","):
        first, colon, stop = part.strip().partition(":")
        start = int(first) if first else 0
        end = (int(stop) if stop else total) if colon else start + 1
        if not 0 <= start <= end <= total:
            fail(f"--frames {part} is outside 0:{total}", 2)
        selected.update(range(start, end))
    return sorted(selected)


class Setters:
    """Sets each track of a frame state on ParaView: one method per track, named after it."""

    def __init__(self, view, reader, array, display, colors, opacity):
        self.active_camera = view.GetActiveCamera()
        self.view = view
        self.reader = reader
        self.array = array
        self.display = display
        self.slice_filters = []
        self.opacity_points = None
        self.opacity_factor = None
        self.color_function = colors
        self.opacity_function = opacity
        self.region = {"clip": None, "box": None}
        self.overlays = None  # set in main(): needs the plan

    def texts(self, items):
        self.overlays.texts(items)

    def camera(self, state):
        camera = self.active_camera
        camera.SetPosition(*state["position"])
        camera.SetFocalPoint(*state["focal_point"])
        camera.SetViewUp(*state["view_up"])
        camera.SetViewAngle(state["view_angle"])
        if "parallel_scale" in state:
            camera.SetParallelScale(state["parallel_scale"])
        self.overlays.camera(state)

    def colors(self, points):
        self.color_function.RGBPoints = [value for point in points for value in point]
        self.color_function.ScalarRangeInitialized = 1.0

    def opacity(self, points):
        self.opacity_points = points
        self.set_opacity()

    def opacity_scale(self, scale):
        self.opacity_factor = scale
        self.set_opacity()

    def set_opacity(self):
        """The opacity points, each opacity times the whole volume's opacity scale."""
        if self.opacity_points is None or self.opacity_factor is None:
            return  # the other one is set next, for the same frame
        scaled = [[p[0], p[1] * self.opacity_factor, p[2], p[3]] for p in self.opacity_points]
        self.opacity_function.Points = [value for point in scaled for value in point]
        self.opacity_function.ScalarRangeInitialized = 1

    def clip(self, plane):
        self.region["clip"] = plane
        self.crop()

    def box(self, box):
        self.region["box"] = box
        self.crop()

    def slices(self, planes):
        """Move each slice plane (a slice filter per plane, made at the first frame)."""
        scale, position = self.display.Scale, self.display.Position
        while len(self.slice_filters) < len(planes):
            cut = Slice(Input=self.reader)
            cut.SliceType = "Plane"
            shown = Show(cut, self.view)
            ColorBy(shown, ("POINTS", self.array))
            shown.Scale = scale
            shown.Position = position
            self.slice_filters.append(cut)
        for cut, plane in zip(self.slice_filters, planes, strict=True):
            # The plane's point nearest the centre, from world into the data's coordinates.
            point = [n * plane["offset"] for n in plane["normal"]]
            cut.SliceType.Origin = [(point[a] - position[a]) / scale[a] for a in range(3)]
            cut.SliceType.Normal = plane["normal"]

    def crop(self):
        """Crop the volume to the box, cut by the clip plane (whose normal lies along an axis),
        with the volume mapper's cropping planes: moving them re-filters nothing."""
        box, plane = self.region["box"], self.region["clip"]
        if box is None and plane is None:
            self.display.UseCropping = 0
            return
        low = list(box["min"]) if box is not None else [-1.0, -1.0, -1.0]
        high = list(box["max"]) if box is not None else [1.0, 1.0, 1.0]
        if plane is not None:  # keep normal . x >= offset
            axis = max(range(3), key=lambda a: abs(plane["normal"][a]))
            if plane["normal"][axis] > 0.0:
                low[axis] = max(low[axis], plane["offset"])
            else:
                high[axis] = min(high[axis], -plane["offset"])
        # World = data * scale + position; ParaView's cropping plane i of axis a is
        # origin[a] + data_bounds[i] * crop_scale[a].
        bounds = data_bounds(self.reader)
        scale, position = self.display.Scale, self.display.Position
        origin, factors = [], []
        for a in range(3):
            lo = (low[a] - position[a]) / scale[a]
            hi = max(lo, (high[a] - position[a]) / scale[a])
            extent = bounds[2 * a + 1] - bounds[2 * a]
            factor = (hi - lo) / extent if extent > 0.0 else 1.0
            factors.append(factor)
            origin.append(lo - bounds[2 * a] * factor)
        self.display.CroppingOrigin = origin
        self.display.CroppingScale = factors
        self.display.UseCropping = 1


def apply_state(setters, state, previous):
    """Set the tracks whose value differs from the previous frame's."""
    for name, value in state.items():
        if previous is None or previous.get(name) != value:
            setter = getattr(setters, name, None)
            if setter is None:
                fail(f"{PLAN_FILE} animates {name!r}, which this script cannot set", 2)
            setter(value)


def hides_volume(state):
    """Whether the state hides the whole volume on purpose (faded out, a plane or box beyond
    it, and no slice): such a frame is meant to be background only. An opacity function that
    is zero everywhere is not such a purpose: its blank frames stop the build."""
    if state.get("slices"):
        return False
    if not VOLUME_VISIBLE or state["opacity_scale"] <= 0.0:
        return True
    plane = state.get("clip")
    if plane is not None and plane["offset"] >= 0.5 * sum(abs(c) for c in plane["normal"]):
        return True
    box = state.get("box")
    return box is not None and any(
        box["min"][axis] >= 0.5 or box["max"][axis] <= -0.5 for axis in range(3)
    )


def is_blank(path):
    """True when the image has one colour everywhere (the renderer drew nothing)."""
    reader = vtkPNGReader()
    reader.SetFileName(path)
    reader.Update()
    scalars = reader.GetOutput().GetPointData().GetScalars()
    components = scalars.GetNumberOfComponents()
    data = bytes(memoryview(scalars).cast("B"))  # 8-bit channels, pixel after pixel
    pixels = len(data) // components
    return all(data[c::components] == data[c : c + 1] * pixels for c in range(min(3, components)))


def not_saved(partial):
    """ParaView could not write a frame: remove what it wrote, say why."""
    if os.path.exists(partial):
        os.remove(partial)
    folder = os.path.dirname(partial)
    stats = os.statvfs(folder)
    if stats.f_bavail * stats.f_frsize < RESOLUTION[0] * RESOLUTION[1] * 4 + (1 << 20):
        fail(f"cannot write {partial}: No space left on device", 1)
    fail(f"cannot write {partial}: ParaView's PNG writer failed", 1)


def main():
    parser = argparse.ArgumentParser(
        description="Render frames of a moviec scene.", fromfile_prefix_chars="@"
    )
    parser.add_argument(
        "--frames",
        help="frames of the movie to render, such as 0:100,150:200 (half-open ranges of planned "
        "frames, of which every frame_step-th is in the movie); @FILE reads arguments from FILE",
    )
    parser.add_argument("--output", default=os.path.join(HERE, "frames"))
    parser.add_argument("--skip-existing", action="store_true")
    parser.add_argument("--allow-blank", action="store_true")
    args = parser.parse_args()

    check_paraview()
    plan = read_plan()
    paths = frame_paths(plan)
    total = len(paths)
    if args.frames:
        frames = [f for f in parse_frames(args.frames, total) if f % plan["frame_step"] == 0]
    else:
        frames = list(range(0, total, plan["frame_step"]))
    if args.skip_existing:
        frames = [f for f in frames if not os.path.exists(os.path.join(args.output, paths[f]))]

    view = make_view()
    facts = read_facts()
    reader, array = load_data(facts)
    renderer, display = show_volume(view, reader, array, facts)
    setters = Setters(view, reader, array, display, *transfer_functions(array))
    setters.overlays = Overlays(view, setters.color_function, plan)
    previous = None
    renders = [0]
    count_render = lambda *_: renders.__setitem__(0, renders[0] + 1)  # noqa: E731
    view.GetRenderWindow().AddObserver("StartEvent", count_render)
    root = is_root()
    writer = f"{socket.gethostname()}.{os.getpid()}"
    if root:
        print(f"moviec-start {len(frames)} {renderer.replace(' ', '_')}", flush=True)

    for index in frames:
        started = time.monotonic()
        renders[0] = 0
        state = plan["frames"][index]
        apply_state(setters, state, previous)
        previous = state
        final = os.path.join(args.output, paths[index])
        # One per process, named by its host and process id: a cache shared by cluster
        # nodes tells a live writer on another node from one that died.
        partial = f"{final[: -len('.png')]}.{writer}.partial.png"
        if root:
            os.makedirs(os.path.dirname(final), exist_ok=True)
        saved = SaveScreenshot(partial, view, ImageResolution=RESOLUTION, TransparentBackground=0)
        if root and not saved:
            not_saved(partial)
        if root:
            if not args.allow_blank and not hides_volume(state) and is_blank(partial):
                os.remove(partial)
                fail(
                    f"frame {index} is blank (one colour everywhere): renderer {renderer!r} drew "
                    "nothing; pass --allow-blank if the scene means it",
                    3,
                )
            os.replace(partial, final)
            seconds = time.monotonic() - started
            print(f"moviec-frame {index} {renders[0]} {seconds:.3f} {paths[index]}", flush=True)


if __name__ == "__main__":
    main()
