"""Profiles and ``--set`` overrides, applied to the raw TOML tables before validation."""

from __future__ import annotations

import copy
import re
import tomllib
from collections.abc import Callable
from pathlib import Path, PurePath
from typing import Any

from movie_compiler.config.keypath import KeyPath, format_key, parse_key
from movie_compiler.config.origins import Origins
from movie_compiler.errors import InputError, Problem, SceneError

Raw = dict[str, Any]

TOML_POSITION = re.compile(r"\s*\((?:at line (\d+), column (\d+)|at end of document)\)$")
"""Where tomllib's messages say the problem is (line and column, or the end)."""


def draft_profile(raw: Raw) -> Raw:
    """The built-in ``draft`` profile: half width and height (a quarter of the pixels, kept
    even), every second frame, and for HDF5 input the next pyramid level (when the scene names
    a level) or twice the in-plane subsample (served from a pyramid level with those factors
    if the file has one, else a hyperslab)."""
    movie = raw.get("movie", {})
    dataset = raw.get("dataset", {})
    out: Raw = {"movie": {}, "dataset": {}}
    width, height = _ints(movie.get("resolution"), (1920, 1080))
    out["movie"]["resolution"] = [max(16, width // 4 * 2), max(16, height // 4 * 2)]
    step = movie.get("frame_step", 1)
    out["movie"]["frame_step"] = step * 2 if _is_int(step) else step
    path = dataset.get("path")
    if isinstance(path, str) and PurePath(path).suffix.lower() in (".xdmf", ".xmf"):
        del out["dataset"]  # an XDMF file describes its own sampling
        return out
    level = dataset.get("level")
    if _is_int(level):
        out["dataset"]["level"] = level + 1
    else:
        z, y, x = _ints(dataset.get("subsample"), (1, 1, 1))
        out["dataset"]["subsample"] = [z, y * 2, x * 2]
    return out


BUILTIN_PROFILES: dict[str, Callable[[Raw], Raw]] = {"draft": draft_profile}


def profile_changes(raw: Raw, name: str, origins: Origins) -> Raw:
    """The tables profile ``name`` changes, with their origins recorded."""
    profiles = raw.get("profiles", {})
    if isinstance(profiles, dict) and name in profiles:
        changes = profiles[name]
        if not isinstance(changes, dict):
            where = origins.where(("profiles", name))
            raise SceneError(
                [Problem(where, f"profiles.{name}", "must be a table of scene values")]
            )
        for leaf, _ in leaves(changes):
            full = ("profiles", name, *leaf)
            origins.override(leaf, origins.where(full), origins.where(full, key=True))
        return changes
    if name in BUILTIN_PROFILES:
        changes = BUILTIN_PROFILES[name](raw)
        for leaf, _ in leaves(changes):
            origins.override(leaf, f"--profile {name}")
        return changes
    own = sorted(profiles) if isinstance(profiles, dict) else []
    has = f"the scene has: {', '.join(own)}; " if own else "the scene has none; "
    raise InputError(
        f"{origins.file}: no profile {name!r} ({has}built in: {', '.join(BUILTIN_PROFILES)})"
    )


def apply_profile(raw: Raw, name: str, changes: Raw, scene_path: Path) -> Raw:
    """``raw`` with a profile's ``changes`` merged in. A profile that does not set
    ``movie.output`` writes its movie beside the scene's as ``NAME.PROFILE.SUFFIX``, so a
    draft never replaces the final movie."""
    merged = merge(raw, changes)
    movie = merged.setdefault("movie", {})
    sets_output = isinstance(changes.get("movie"), dict) and "output" in changes["movie"]
    if isinstance(movie, dict) and not sets_output:
        output = movie.get("output")
        base = PurePath(output) if isinstance(output, str) else PurePath(scene_path.stem + ".mp4")
        movie["output"] = str(base.with_name(f"{base.stem}.{name}{base.suffix}"))
    return merged


def parse_override(text: str) -> tuple[KeyPath, Any]:
    """``KEY.PATH=VALUE`` -> key path and value (TOML, or a bare string such as a path)."""
    key_text, sep, value_text = text.partition("=")
    if not sep:
        raise InputError(f"--set {text}: expected KEY.PATH=VALUE, such as movie.fps=30")
    try:
        key = parse_key(key_text.strip())
    except ValueError as exc:
        raise InputError(f"--set {text}: {exc}") from None
    try:
        value = tomllib.loads(f"v = {value_text}")["v"]
    except tomllib.TOMLDecodeError as exc:
        if value_text.strip()[:1] in ("[", "{", '"', "'"):  # meant as TOML, but is not
            reason = TOML_POSITION.sub("", str(exc))
            raise InputError(f"--set {text}: invalid TOML value: {lower_first(reason)}") from None
        value = value_text
    return key, value


def apply_override(raw: Raw, key: KeyPath, value: Any, text: str, origins: Origins) -> Raw:
    """``raw`` with the value at ``key`` replaced (tables on the way are created)."""
    out = copy.deepcopy(raw)
    node: Any = out
    for depth, part in enumerate(key[:-1]):
        if isinstance(part, int):
            node = _element(node, part, key[: depth + 1], text)
        elif isinstance(node, dict):
            node = node.setdefault(part, [] if isinstance(key[depth + 1], int) else {})
        else:
            raise InputError(f"--set {text}: {format_key(key[:depth])} is not a table")
    last = key[-1]
    if isinstance(last, int):
        if isinstance(node, list) and last == len(node):
            node.append(value)
        else:
            _element(node, last, key, text)
            node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise InputError(f"--set {text}: {format_key(key[:-1])} is not a table")
    origins.override(key, f"--set {text}")
    return out


def _element(node: Any, index: int, key: KeyPath, text: str) -> Any:
    if isinstance(node, list) and index < len(node):
        return node[index]
    size = len(node) if isinstance(node, list) else 0
    raise InputError(f"--set {text}: {format_key(key)}: no such element (there are {size})")


def merge(base: Raw, changes: Raw) -> Raw:
    """``base`` with ``changes`` merged in: tables merge, everything else is replaced."""
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def leaves(table: Raw, prefix: KeyPath = ()) -> list[tuple[KeyPath, Any]]:
    """The key paths of the non-table values in ``table``."""
    out: list[tuple[KeyPath, Any]] = []
    for key, value in table.items():
        if isinstance(value, dict) and value:
            out.extend(leaves(value, (*prefix, key)))
        else:
            out.append(((*prefix, key), value))
    return out


def lower_first(text: str) -> str:
    """Lower-case the first letter unless the word is an acronym (``HDF5``)."""
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text


def _is_int(value: Any) -> bool:
    return isinstance(value, int) and not isinstance(value, bool)


def _ints(value: Any, default: tuple[int, ...]) -> tuple[int, ...]:
    if isinstance(value, list) and len(value) == len(default) and all(map(_is_int, value)):
        return tuple(value)
    return default
