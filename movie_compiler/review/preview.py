"""``moviec preview``: the contact sheet, the camera path and the transfer function of a scene."""

from __future__ import annotations

from dataclasses import dataclass
from pathlib import Path

from movie_compiler.config.load import LoadedScene
from movie_compiler.plan import plan
from movie_compiler.review import camera_plot, stills, transfer_plot

CONTACT_SHEET = "contact-sheet.png"
CAMERA_PATH = "camera-path.png"
TRANSFER_FUNCTION = "transfer-function.png"


@dataclass(frozen=True)
class Preview:
    contact_sheet: Path
    camera_path: Path
    transfer_function: Path
    stills: int
    rendered: int
    """Stills pvbatch rendered (the others came from the frame cache)."""


def write(
    loaded: LoadedScene,
    out_dir: Path,
    size: tuple[int, int] | None = None,
    *,
    cache_dir: Path | None = None,
) -> Preview:
    """Render the stills (one pvbatch, cached like frames) and draw the three images."""
    size = size or stills.default_size(loaded)
    frames_plan, shown, rendered = stills.render(loaded, size, cache_dir=cache_dir)
    title = loaded.scene.movie.title or loaded.path.name
    sheet = stills.contact_sheet(frames_plan, shown, out_dir / CONTACT_SHEET, title=title)
    box = camera_plot.volume_box(loaded)
    path = camera_plot.draw([camera_plot.Path3("", plan(loaded.scene))], out_dir / CAMERA_PATH, box)
    groups = [(title + transfer_plot.color_space_note(loaded), transfer_plot.scene_curves(loaded))]
    transfer = transfer_plot.draw(
        groups, transfer_plot.histogram(loaded), out_dir / TRANSFER_FUNCTION
    )
    return Preview(sheet, path, transfer, len({s.frame for s in shown}), rendered)
