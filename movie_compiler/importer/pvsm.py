"""Read what a moviec scene needs from a ParaView state file (``.pvsm``, XML).

A state file lists server-manager proxies with their properties. From it this module takes the
first render view (size, background, camera, projection), the volume representation shown in
it (array, colour and opacity functions, colour space, shading, renderer, its transform), the
reader behind it (file name), and the camera animation track with its keyframes and the
animation scene's frame count. It reads XML only: ParaView is not needed.
"""

from __future__ import annotations

import xml.etree.ElementTree as ET
from dataclasses import dataclass, field
from pathlib import Path

from movie_compiler.errors import InputError

Values = list[str]


@dataclass(frozen=True)
class Proxy:
    group: str
    type: str
    id: str
    properties: dict[str, Values]
    """Each property's element values (or the ids of the proxies it refers to)."""
    enums: dict[str, dict[str, str]] = field(default_factory=dict)
    """For enumeration properties: value -> text."""

    def numbers(self, name: str) -> list[float]:
        return [float(v) for v in self.properties.get(name, [])]

    def number(self, name: str, default: float) -> float:
        values = self.numbers(name)
        return values[0] if values else default

    def text(self, name: str) -> str | None:
        """An enumeration's text, or the property's first value."""
        values = self.properties.get(name)
        if not values:
            return None
        return self.enums.get(name, {}).get(values[0], values[0])


@dataclass(frozen=True)
class CameraKey:
    time: float
    position: list[float]
    focal_point: list[float]
    view_up: list[float]
    view_angle: float
    parallel_scale: float


@dataclass(frozen=True)
class State:
    """What a scene can take from a ParaView state."""

    view: Proxy
    volume: Proxy | None
    colors: Proxy | None
    opacity: Proxy | None
    reader: Proxy | None
    camera_track: Proxy | None
    keys: list[CameraKey]
    frames: int
    """The animation scene's number of frames (1 without an animation scene)."""
    palette: Proxy | None = None
    """The colour palette (the background comes from it when the view says so)."""

    @property
    def background(self) -> list[float]:
        """The view's background colour."""
        if self.view.text("UseColorPaletteForBackground") == "1" and self.palette is not None:
            return self.palette.numbers("BackgroundColor")[:3]
        return self.view.numbers("Background")[:3]


def read(path: Path, shown: str) -> State:
    """Parse ``path``; raise a located :class:`InputError` if it is not a ParaView state."""
    try:
        root = ET.parse(path).getroot()
    except FileNotFoundError:
        raise InputError(f"{shown}: no such file") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: is a folder, not a ParaView state file") from None
    except ET.ParseError as error:
        line, column = error.position
        reason = str(error).split(":")[0]
        raise InputError(
            f"{shown}:{line}:{column + 1}: not a ParaView state file (not XML: {reason})"
        ) from None
    manager = root if root.tag == "ServerManagerState" else root.find("ServerManagerState")
    if manager is None:
        raise InputError(
            f"{shown}: not a ParaView state file (no ServerManagerState element; File > Save "
            "State in ParaView writes one)"
        )
    proxies = {p.id: p for p in (_proxy(e) for e in manager.iter("Proxy") if e.get("group"))}
    views = [p for p in proxies.values() if p.group == "views" and "RenderView" in p.type]
    if not views:
        raise InputError(f"{shown}: the state has no render view")
    view = views[0]
    volume = next(
        (
            proxies[i]
            for i in view.properties.get("Representations", [])
            if i in proxies
            and proxies[i].text("Representation") == "Volume"
            and proxies[i].text("Visibility") != "0"
        ),
        None,
    )

    def ref(proxy: Proxy | None, name: str) -> Proxy | None:
        ids = proxy.properties.get(name, []) if proxy is not None else []
        return proxies.get(ids[0]) if ids else None

    track = next(
        (
            p
            for p in proxies.values()
            if p.type == "CameraAnimationCue"
            and view.id in p.properties.get("AnimatedProxy", [])
            and p.text("Enabled") != "0"
        ),
        None,
    )
    keys = []
    for key_id in track.properties.get("KeyFrames", []) if track is not None else []:
        key = proxies.get(key_id)
        if key is None:
            raise InputError(f"{shown}: camera keyframe {key_id} is referred to but not saved")
        keys.append(
            CameraKey(
                time=key.number("KeyTime", 0.0),
                position=key.numbers("Position"),
                focal_point=key.numbers("FocalPoint"),
                view_up=key.numbers("ViewUp"),
                view_angle=key.number("ViewAngle", 30.0),
                parallel_scale=key.number("ParallelScale", 1.0),
            )
        )
    scene = next((p for p in proxies.values() if p.type == "AnimationScene"), None)
    frames = int(scene.number("NumberOfFrames", 1)) if scene is not None else 1
    return State(
        view=view,
        volume=volume,
        colors=ref(volume, "LookupTable"),
        opacity=ref(volume, "ScalarOpacityFunction"),
        reader=ref(volume, "Input"),
        camera_track=track,
        keys=sorted(keys, key=lambda k: k.time),
        frames=frames,
        palette=next((p for p in proxies.values() if p.type == "ColorPalette"), None),
    )


def _proxy(element: ET.Element) -> Proxy:
    properties: dict[str, Values] = {}
    enums: dict[str, dict[str, str]] = {}
    for prop in element.findall("Property"):
        name = prop.get("name") or ""
        values = [e.get("value") or "" for e in prop.findall("Element")]
        refs = [e.get("value") or "" for e in prop.findall("Proxy")]
        properties[name] = values or refs
        for domain in prop.findall("Domain"):
            if domain.get("name") == "enum":
                enums[name] = {
                    e.get("value") or "": e.get("text") or "" for e in domain.findall("Entry")
                }
    return Proxy(
        element.get("group") or "",
        element.get("type") or "",
        element.get("id") or "",
        properties,
        enums,
    )
