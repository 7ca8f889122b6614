"""The seed's frame loop, for comparison: a Path-based camera track and, per frame, a
screenshot then `GoToNext()`; or, with method `animation`, ParaView's own `SaveAnimation`.
Run by bench_render.py under pvbatch:

    pvbatch seed_loop.py SETTINGS.json METHOD OUT_DIR

METHOD is `loop` (writes OUT_DIR/image_NNNN.png, as the seed does) or `animation` (writes
OUT_DIR/image.NNNN.png). SETTINGS.json holds what bench_render.py also puts into the moviec
scene, so that both draw the same picture:

    data, array      the XDMF file (from `moviec xdmf`) and the name of its point array
    size, frames     [width, height] and the number of orbit frames
    renderer         ParaView's VolumeRenderingMode, such as "GPU Based"
    colors, opacity  [scalar, r, g, b] and [scalar, opacity] points, interpolated in RGB
    background       [r, g, b]
    distance         camera distance from the centre of the volume (the origin)
    view_angle       vertical field of view in degrees

The camera starts on the -y axis looking at the origin with +z up and orbits about +z. Data
are read before the clock starts; the clock covers everything from the first render on (the
seed's `GoToFirst()` and loop, or the `SaveAnimation` call). Prints one line of JSON: the
method, frames, seconds, seconds per loop iteration (loop only), renders counted during the
timed part and renders before it.
"""

import json
import math
import sys
import time

from paraview.simple import (
    CameraKeyFrame,
    ColorBy,
    CreateRenderView,
    GetAnimationScene,
    GetCameraTrack,
    GetColorTransferFunction,
    GetOpacityTransferFunction,
    SaveAnimation,
    SaveScreenshot,
    Show,
    XDMFReader,
)

settings_file, method, out_dir = sys.argv[1:4]
with open(settings_file, encoding="utf-8") as stream:
    settings = json.load(stream)
width, height = settings["size"]
frames = settings["frames"]
array = settings["array"]

view = CreateRenderView()
view.ViewSize = [width, height]
view.OrientationAxesVisibility = 0
view.UseColorPaletteForBackground = 0
view.Background = settings["background"]
renders = [0]
view.GetRenderWindow().AddObserver("StartEvent", lambda *_: renders.__setitem__(0, renders[0] + 1))

reader = XDMFReader(FileNames=[settings["data"]])
reader.PointArrayStatus = [array]
reader.UpdatePipeline()
display = Show(reader, view)
display.SetRepresentationType("Volume")
ColorBy(display, ("POINTS", array))
display.VolumeRenderingMode = settings["renderer"]
display.Shade = 0
colors = GetColorTransferFunction(array)
colors.AutomaticRescaleRangeMode = "Never"
colors.ColorSpace = "RGB"
colors.RGBPoints = [value for point in settings["colors"] for value in point]
colors.ScalarRangeInitialized = 1.0
opacity = GetOpacityTransferFunction(array)
opacity.Points = [value for s, o in settings["opacity"] for value in (s, o, 0.5, 0.0)]
opacity.ScalarRangeInitialized = 1

# The seed's orbit: one keyframe holding 7 path points (what the GUI's "Create Orbit" makes).
radius = settings["distance"]
points = []
for k in range(7):
    angle = 2 * math.pi * k / 7
    points += [radius * math.sin(angle), -radius * math.cos(angle), 0.0]
first = CameraKeyFrame()
first.Position = points[:3]
first.FocalPoint = [0.0, 0.0, 0.0]
first.ViewUp = [0.0, 0.0, 1.0]
first.ViewAngle = settings["view_angle"]
first.PositionPathPoints = points
first.FocalPathPoints = [0.0, 0.0, 0.0]
first.ClosedPositionPath = 1
last = CameraKeyFrame()
last.KeyTime = 1.0
last.Position = points[:3]
last.ViewUp = [0.0, 0.0, 1.0]
last.ViewAngle = settings["view_angle"]
track = GetCameraTrack(view=view)
track.Mode = "Path-based"
track.KeyFrames = [first, last]
view.CameraViewAngle = settings["view_angle"]
scene = GetAnimationScene()
scene.NumberOfFrames = frames

setup_renders = renders[0]
renders[0] = 0
per_frame = []
started = time.monotonic()
if method == "loop":
    scene.GoToFirst()
    for i in range(frames):
        SaveScreenshot(
            f"{out_dir}/image_{i:04d}.png",
            view,
            ImageResolution=[width, height],
            TransparentBackground=0,
        )
        scene.GoToNext()
        per_frame.append(time.monotonic() - started - sum(per_frame))
elif method == "animation":
    SaveAnimation(
        f"{out_dir}/image.png",
        view,
        ImageResolution=[width, height],
        TransparentBackground=0,
        FrameWindow=[0, frames - 1],
    )
else:
    sys.exit(f"unknown method {method!r}: expected loop or animation")
seconds = time.monotonic() - started
result = {
    "method": method,
    "frames": frames,
    "seconds": seconds,
    "frame_seconds": per_frame,
    "renders": renders[0],
    "setup_renders": setup_renders,
}
print(json.dumps(result), flush=True)
