# -- Overlays -------------------------------------------------------------------------------
# Texts (title, captions, stamp) follow the frame state's "texts" track, the scale bar follows
# the camera, the legend and the orientation labels are set once. Sizes are fractions of the
# frame height: ParaView's FontSize is in pixels (at 72 dpi) whatever the frame size, so it is
# computed from RESOLUTION.

import math

from paraview.simple import GetScalarBar, Text

WINDOW_LOCATIONS = {
    "upper_left": "Upper Left Corner",
    "upper_center": "Upper Center",
    "upper_right": "Upper Right Corner",
    "lower_left": "Lower Left Corner",
    "lower_center": "Lower Center",
    "lower_right": "Lower Right Corner",
}
MARGIN = 0.02  # between the scale bar and the frame's edges, a fraction of the frame height
METRES = {"nm": 1e-9, "um": 1e-6, "mm": 1e-3, "cm": 1e-2, "m": 1.0}
SHOWN_UNITS = [("m", "m"), ("mm", "mm"), ("um", "\u00b5m"), ("nm", "nm")]


def font_size(size):
    """ParaView's FontSize (pixels) of a text `size` times the frame height."""
    return max(1, round(size * RESOLUTION[1]))


def nice_length(most):
    """The largest 1, 2 or 5 x 10^k that is at most `most` (a positive length)."""
    power = 10.0 ** math.floor(math.log10(most))
    for step in (5.0, 2.0, 1.0):
        if step * power <= most * (1.0 + 1e-9):
            return step * power
    return power / 2.0  # pragma: no cover - 1 x 10^k always fits


def length_label(length, unit):
    """`length` in `unit` as text in the largest unit where it is at least 1: 0.5 mm is
    '500 \u00b5m', 2000 um is '2 mm'."""
    metres = length * METRES[unit]
    for name, shown in SHOWN_UNITS:
        value = metres / METRES[name]
        if value >= 1.0 - 1e-9 or name == "nm":
            return f"{value:.6g} {shown}"
    return f"{length:.6g} {unit}"  # pragma: no cover


def text_position(display, text, size, font, bold):
    """Lower-left corner (normalised) that centres `text` in the frame."""
    from paraview.vtk.vtkRenderingCore import vtkTextProperty, vtkTextRenderer

    prop = vtkTextProperty()
    prop.SetFontFamilyAsString(font)
    prop.SetFontSize(font_size(size))
    prop.SetBold(int(bold))
    box = [0, 0, 0, 0]
    vtkTextRenderer.GetInstance().GetBoundingBox(prop, text, box, 72)
    pad = display.Padding
    width, height = box[1] - box[0] + 1 + 2 * pad, box[3] - box[2] + 1 + 2 * pad
    return [0.5 - width / 2.0 / RESOLUTION[0], 0.5 - height / 2.0 / RESOLUTION[1]]


def style_text(display, item):
    """Font, colour, box and opacity of a text display."""
    display.FontFamily = item["font"]
    display.FontSize = font_size(item["size"])
    display.Padding = max(1, round(0.25 * font_size(item["size"])))
    display.Bold = int(item["bold"])
    display.Color = item["color"]
    display.Opacity = item["opacity"]
    if item.get("box") is None:
        display.ShowBorder = "Never"
    else:
        display.ShowBorder = "Always"
        display.BorderColor = item["box"]
        display.BackgroundColor = [*item["box"], item["box_opacity"] * item["opacity"]]


class Overlays:
    """What is drawn over the volume."""

    def __init__(self, view, colors, plan):
        self.view = view
        self.slots = []  # (Text source, its display), reused from frame to frame
        self.bar = None
        self.labels = []  # (text actor, world position)
        view.OrientationAxesVisibility = int(ORIENTATION is not None and ORIENTATION["axes"])
        if LEGEND is not None:
            self.legend(colors)
        if ORIENTATION is not None:
            for letter, position in ORIENTATION["labels"]:
                self.label(letter, position)
        if SCALE_BAR is not None:
            self.bar = ScaleBar(view, plan)

    def texts(self, items):
        """Show `items` (the "texts" track), hide the texts of earlier frames beyond them."""
        while len(self.slots) < len(items):
            source = Text()
            self.slots.append((source, Show(source, self.view)))
        for index, (source, display) in enumerate(self.slots):
            if index >= len(items):
                display.Visibility = 0
                continue
            item = items[index]
            source.Text = item["text"]
            style_text(display, item)
            if item["position"] == "center":
                display.WindowLocation = "Any Location"
                display.Position = text_position(
                    display, item["text"], item["size"], item["font"], item["bold"]
                )
            else:
                display.WindowLocation = WINDOW_LOCATIONS[item["position"]]
            display.Visibility = 1

    def camera(self, state):
        if self.bar is not None:
            self.bar.place(state)
        self.place_labels()

    def legend(self, colors):
        bar = GetScalarBar(colors, self.view)
        bar.Title = LEGEND["title"]
        bar.ComponentTitle = f"({LEGEND['unit']})" if LEGEND["unit"] else ""
        bar.RangeLabelFormat = "%.4g"
        bar.WindowLocation = WINDOW_LOCATIONS[LEGEND["position"]]
        horizontal = LEGEND["position"] in ("upper_center", "lower_center")
        bar.AutoOrient = 0
        bar.Orientation = "Horizontal" if horizontal else "Vertical"
        bar.TitleFontSize = font_size(LEGEND["size"] * 1.2)
        bar.LabelFontSize = font_size(LEGEND["size"])
        bar.TitleFontFamily = bar.LabelFontFamily = LEGEND["font"]
        bar.TitleColor = bar.LabelColor = LEGEND["color"]
        bar.ScalarBarLength = LEGEND["length"]
        bar.ScalarBarThickness = font_size(LEGEND["thickness"])
        bar.Visibility = 1

    def label(self, letter, position):
        """An anatomical direction letter, drawn flat on top of the picture where the point
        `position` (world coordinates) is seen: the same with every volume renderer."""
        from paraview.vtk.vtkRenderingCore import vtkTextActor

        actor = vtkTextActor()
        actor.SetInput(letter)
        prop = actor.GetTextProperty()
        prop.SetFontFamilyAsString(ORIENTATION["font"])
        prop.SetFontSize(font_size(ORIENTATION["size"]))
        prop.SetBold(1)
        prop.SetColor(*ORIENTATION["color"])
        prop.SetJustificationToCentered()
        prop.SetVerticalJustificationToCentered()
        self.view.GetClientSideObject().GetNonCompositedRenderer().AddActor2D(actor)
        self.labels.append((actor, position))

    def place_labels(self):
        """Project each label's point with the camera and the frame's aspect (not the
        renderer's state, which the first render of a process has not set yet)."""
        if not self.labels:
            return
        width, height = RESOLUTION
        camera = self.view.GetActiveCamera()
        matrix = camera.GetCompositeProjectionTransformMatrix(width / height, -1.0, 1.0)
        for actor, position in self.labels:
            x, y, _, w = matrix.MultiplyPoint([*position, 1.0])
            actor.SetDisplayPosition(
                round((x / w + 1.0) * width / 2.0), round((y / w + 1.0) * height / 2.0)
            )


class ScaleBar:
    """A bar of SCALE_BAR["length"] (in the dataset's unit) and its label, drawn in pixels on
    top of the picture: exact in orthographic projection, where one world unit is
    height / (2 * parallel_scale) pixels at every depth."""

    def __init__(self, view, plan):
        from paraview.vtk.vtkCommonCore import vtkPoints
        from paraview.vtk.vtkCommonDataModel import vtkCellArray, vtkPolyData
        from paraview.vtk.vtkRenderingCore import vtkActor2D, vtkPolyDataMapper2D, vtkTextActor

        self.unit_length = unit_length()
        length = SCALE_BAR["length"]
        if length is None:  # a fifth of the width in the movie's first frame, at most
            first = plan["frames"][0]["camera"]["parallel_scale"]
            most = RESOLUTION[0] / 5.0 * (2.0 * first / RESOLUTION[1]) * self.unit_length
            length = nice_length(most)
        self.length = length
        self.points = vtkPoints()
        self.points.SetNumberOfPoints(4)
        cells = vtkCellArray()
        cells.InsertNextCell(4)
        for corner in range(4):
            cells.InsertCellPoint(corner)
        shape = vtkPolyData()
        shape.SetPoints(self.points)
        shape.SetPolys(cells)
        mapper = vtkPolyDataMapper2D()
        mapper.SetInputData(shape)
        self.shape = shape
        self.actor = vtkActor2D()
        self.actor.SetMapper(mapper)
        self.actor.GetProperty().SetColor(*SCALE_BAR["color"])
        self.text = vtkTextActor()
        self.text.SetInput(length_label(length, SCALE_BAR["unit"]))
        prop = self.text.GetTextProperty()
        prop.SetFontFamilyAsString(SCALE_BAR["font"])
        prop.SetFontSize(font_size(SCALE_BAR["size"]))
        prop.SetColor(*SCALE_BAR["color"])
        prop.SetJustificationToCentered()
        prop.SetVerticalJustificationToBottom()
        self.text.SetVisibility(int(SCALE_BAR["label"]))
        renderer = view.GetClientSideObject().GetNonCompositedRenderer()
        renderer.AddActor2D(self.actor)
        renderer.AddActor2D(self.text)

    def place(self, camera):
        """Size and place the bar for the camera `camera` (a state's camera track)."""
        width, height = RESOLUTION
        pixels = self.length / self.unit_length * height / (2.0 * camera["parallel_scale"])
        pixels = max(1, round(pixels))
        thick = max(1, round(SCALE_BAR["thickness"] * height))
        margin = round(MARGIN * height)
        label = font_size(SCALE_BAR["size"]) + margin // 2 if SCALE_BAR["label"] else 0
        where = SCALE_BAR["position"]
        if where.endswith("left"):
            x = margin
        elif where.endswith("right"):
            x = width - margin - pixels
        else:
            x = (width - pixels) // 2
        y = margin if where.startswith("lower") else height - margin - label - thick
        for corner, (u, v) in enumerate(((0, 0), (pixels, 0), (pixels, thick), (0, thick))):
            self.points.SetPoint(corner, x + u, y + v, 0.0)
        self.points.Modified()
        self.shape.Modified()
        self.text.SetDisplayPosition(x + pixels // 2, y + thick + margin // 2)


def unit_length():
    """Physical length of one normalised unit (the longest axis), from the dataset
    description."""
    import xml.etree.ElementTree as ET

    for info in ET.parse(DATA_FILE).getroot().iter("Information"):
        if info.get("Name") == "moviec.unit_length":
            return float(info.get("Value"))
    fail(f"{DATA_FILE} does not say the physical size of the volume (moviec.unit_length)", 2)
