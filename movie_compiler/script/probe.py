# Probe a ParaView installation for moviec. Run it with pvbatch:
#
#     pvbatch probe.py                       (no display needed: it renders nothing)
#     pvbatch probe.py --render DIR MODE...  (needs a display, or a headless ParaView)
#
# The first form prints one line "moviec-probe JSON" with the ParaView and Python versions,
# the volume rendering modes ParaView offers, whether ray tracing (OSPRay) is built in, and
# the rendering capability bits. The second renders a small Wavelet volume with each named
# VolumeRenderingMode into DIR and prints one line "moviec-render JSON" per mode, saying
# whether the image shows anything. It imports only ParaView and the standard library.

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
    parser.add_argument("modes", nargs="*", help="VolumeRenderingMode values to render with")
    args = parser.parse_args()
    if args.render:
        render(args.render, args.modes)
    else:
        describe()


if __name__ == "__main__":
    main()
