# Probe a ParaView installation for moviec. Run it with pvbatch:
#
#     pvbatch probe.py                       (no display needed: it renders nothing)
#     pvbatch probe.py --render DIR MODE...  (needs a display, or a headless ParaView)
#     pvbatch probe.py --limits              (needs a display, or a headless ParaView)
#
# The first form prints one line "moviec-probe JSON" with the ParaView and Python versions,
# the volume rendering modes ParaView offers, whether ray tracing (OSPRay) is built in, and
# the rendering capability bits. The second renders a small Wavelet volume with each named
# VolumeRenderingMode into DIR and prints one line "moviec-render JSON" per mode, saying
# whether the image shows anything. The third prints one line "moviec-limits JSON" with the
# limits of the OpenGL that pvbatch renders with: the largest 3D texture (the GPU volume
# mapper's bound on each axis of a volume), the largest 2D texture, and the OpenGL vendor,
# renderer and version. It imports only ParaView and the standard library.

import argparse
import importlib.util
import json
import os
import sys
import time

SIZE = 96
"""Width and height of the test image, in pixels."""


def emit(kind, document):
    sys.stdout.write(f"moviec-{kind} {json.dumps(document, sort_keys=True)}\n")
    sys.stdout.flush()


def describe():
    """Versions, volume rendering modes and capabilities, without rendering."""
    from paraview import servermanager, simple  # noqa: F401 - simple opens the session
    from paraview.modules.vtkRemotingViews import vtkPVRenderingCapabilitiesInformation

    manager = servermanager.vtkSMProxyManager
    proxies = manager.GetProxyManager().GetActiveSessionProxyManager()
    prototype = proxies.GetPrototypeProxy("representations", "UniformGridRepresentation")
    domain = prototype.GetProperty("VolumeRenderingMode").FindDomain("vtkSMEnumerationDomain")
    modes = [domain.GetEntryText(index) for index in range(domain.GetNumberOfEntries())]
    capabilities = vtkPVRenderingCapabilitiesInformation.GetLocalCapabilities()
    headless = capabilities & vtkPVRenderingCapabilitiesInformation.HEADLESS_RENDERING
    version = (manager.GetVersionMajor(), manager.GetVersionMinor(), manager.GetVersionPatch())
    emit(
        "probe",
        {
            "version": ".".join(str(part) for part in version),
            "python": ".".join(str(part) for part in sys.version_info[:3]),
            "modes": modes,
            "ray_tracing": importlib.util.find_spec("vtkmodules.vtkRenderingRayTracing")
            is not None,
            "headless": bool(headless),
            "capabilities": int(capabilities),
        },
    )


def limits():
    """The OpenGL limits that matter to volume rendering, from a real render window."""
    from paraview import simple
    from paraview.vtk.vtkRenderingOpenGL2 import vtkTextureObject

    view = simple.CreateRenderView()
    view.ViewSize = [SIZE, SIZE]
    simple.Render(view)  # creates the OpenGL context
    window = view.GetRenderWindow()
    texture = vtkTextureObject()
    texture.SetContext(window)
    strings = {}
    for line in window.ReportCapabilities().splitlines():
        name, colon, value = line.partition(":")
        if colon and name.startswith("OpenGL ") and name.endswith(" string"):
            strings[name[len("OpenGL ") : -len(" string")]] = value.strip()
    emit(
        "limits",
        {
            "max_3d_texture": int(texture.GetMaximumTextureSize3D()),
            "max_texture": int(texture.GetMaximumTextureSize(window)),
            "vendor": strings.get("vendor", ""),
            "renderer": strings.get("renderer", ""),
            "version": strings.get("version", ""),
        },
    )


def drawn_fraction(path, background):
    """Fraction of the image's pixels whose colour differs from the background."""
    from paraview.vtk.vtkIOImage import vtkPNGReader

    reader = vtkPNGReader()
    reader.SetFileName(path)
    reader.Update()
    scalars = reader.GetOutput().GetPointData().GetScalars()
    channels = min(3, scalars.GetNumberOfComponents())
    expected = [round(value * 255) for value in background]
    count = scalars.GetNumberOfTuples()
    differ = 0
    for index in range(count):
        pixel = scalars.GetTuple(index)
        if any(abs(pixel[c] - expected[c]) > 2 for c in range(channels)):
            differ += 1
    return differ / count if count else 0.0


def render(directory, modes):
    """Render a Wavelet volume with each mode; report what was drawn."""
    from paraview import simple

    background = [0.0, 0.0, 0.0]
    source = simple.Wavelet(WholeExtent=[-15, 16, -15, 16, -15, 16])
    view = simple.CreateRenderView()
    view.ViewSize = [SIZE, SIZE]
    view.OrientationAxesVisibility = 0
    view.UseColorPaletteForBackground = 0
    view.Background = background
    display = simple.Show(source, view)
    display.SetRepresentationType("Volume")
    simple.ColorBy(display, ("POINTS", "RTData"))
    simple.ResetCamera(view)
    for mode in modes:
        started = time.time()
        path = os.path.join(directory, mode.replace(" ", "_") + ".png")
        result = {"mode": mode, "path": path}
        try:
            display.VolumeRenderingMode = mode
            simple.SaveScreenshot(path, view, ImageResolution=[SIZE, SIZE])
            result["drawn"] = drawn_fraction(path, background)
        except Exception as error:  # report it, then try the next mode
            result["error"] = f"{type(error).__name__}: {error}"
        result["seconds"] = round(time.time() - started, 3)
        emit("render", result)


def main():
    parser = argparse.ArgumentParser(description="Probe ParaView for moviec.")
    parser.add_argument("--render", metavar="DIR", help="render a test volume into DIR")
    parser.add_argument("--limits", action="store_true", help="report the OpenGL limits")
    parser.add_argument("modes", nargs="*", help="VolumeRenderingMode values to render with")
    args = parser.parse_args()
    if args.limits:
        limits()
    elif args.render:
        render(args.render, args.modes)
    else:
        describe()


if __name__ == "__main__":
    main()
