"""Load a scene file: TOML -> profile -> ``--set`` overrides -> model -> cross-field rules.

Every problem comes back located (``PATH:LINE:COL: key.path: message``) in one
:class:`~movie_compiler.errors.SceneError`; nothing here prints or exits.
"""

from __future__ import annotations

import copy
import difflib
import hashlib
import json
import re
import tomllib
import typing
from collections.abc import Callable, Sequence
from dataclasses import dataclass, field
from pathlib import Path, PurePath
from typing import Any

import pydantic

from movie_compiler.config import rules
from movie_compiler.config.keypath import KeyPath, format_key, parse_key
from movie_compiler.config.locate import Positions, locate
from movie_compiler.config.model import SHOT_TYPES, Scene
from movie_compiler.errors import InputError, Problem, SceneError

Raw = dict[str, Any]

_TOML_POSITION = re.compile(r"\s*\(at line (\d+), column (\d+)\)$")
_TOML_END = re.compile(r"\s*\(at end of document\)$")


@dataclass(frozen=True)
class LoadedScene:
    """A validated scene and where it came from."""

    scene: Scene
    path: Path
    """The scene file (absolute)."""
    digest: str
    """SHA-256 of the resolved scene (profile and overrides applied), hex."""
    profile: str | None = None
    overrides: tuple[str, ...] = ()
    origins: _Origins | None = field(default=None, repr=False, compare=False)

    def where(self, key: KeyPath) -> str:
        """Where the value at ``key`` was set: ``file:line:col`` or the ``--set`` option."""
        if self.origins is None:
            return str(self.path)
        return self.origins.where(key)

    def problem(self, key: KeyPath, message: str) -> Problem:
        """A located problem about the value at ``key``."""
        return Problem(self.where(key), format_key(key), message)

    @property
    def base_dir(self) -> Path:
        """Folder against which the scene's relative paths resolve."""
        return self.path.parent

    def resolve(self, relative: str) -> Path:
        """A path from the scene, resolved against the scene file's folder."""
        return (self.base_dir / Path(relative).expanduser()).resolve()

    @property
    def output(self) -> Path:
        """The movie file."""
        return self.resolve(self.scene.movie.output or self.path.with_suffix(".mp4").name)


@dataclass
class _Origins:
    """Where values came from: the file (by position) or an override (by its text)."""

    file: str
    positions: Positions
    overrides: list[tuple[KeyPath, str]] = field(default_factory=list)

    def where(self, path: KeyPath, *, key: bool = False) -> str:
        for override_path, text in reversed(self.overrides):
            if path[: len(override_path)] == override_path:
                return text
        line, column = self.positions.find(path, key=key)
        return f"{self.file}:{line}:{column}"


def load_scene(
    path: str | Path,
    overrides: Sequence[str] = (),
    profile: str | None = None,
) -> LoadedScene:
    """Read, merge and validate a scene file; raise :class:`SceneError` on any problem."""
    scene_path = Path(path)
    shown = str(path)
    text = _read(scene_path, shown)
    raw = _parse(text, shown)
    origins = _Origins(shown, locate(text))

    if profile is not None:
        raw = _apply_profile(raw, profile, origins, scene_path)
    for override in overrides:
        key, value = _parse_override(override)
        raw = _apply(raw, key, value, override, origins)

    try:
        scene = Scene.model_validate(raw)
    except pydantic.ValidationError as exc:
        raise SceneError(_problems(exc, raw, origins)) from None
    findings = rules.check(scene)
    if findings:
        raise SceneError(
            [Problem(origins.where(key), format_key(key), msg) for key, msg in findings]
        )
    return LoadedScene(
        scene=scene,
        path=scene_path.resolve(),
        digest=scene_digest(scene),
        profile=profile,
        overrides=tuple(overrides),
        origins=origins,
    )


def scene_digest(scene: Scene) -> str:
    """SHA-256 of the scene's canonical JSON (the ``profiles`` table left out)."""
    data = scene.model_dump(mode="json", exclude={"profiles"})
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


# -- reading ------------------------------------------------------------------------------


def _read(path: Path, shown: str) -> str:
    try:
        data = path.read_bytes()
    except FileNotFoundError:
        raise InputError(f"{shown}: no such scene file") from None
    except IsADirectoryError:
        raise InputError(f"{shown}: is a folder, not a scene file") from None
    except OSError as exc:
        raise InputError(f"{shown}: cannot read: {exc.strerror}") from None
    try:
        return data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        raise SceneError(
            [Problem(f"{shown}:{line}:{column}", "", "not UTF-8 text (TOML files are UTF-8)")]
        ) from None


def _parse(text: str, shown: str) -> Raw:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = _TOML_POSITION.search(message)
        if match:
            where = f"{shown}:{match.group(1)}:{match.group(2)}"
            message = message[: match.start()]
        elif _TOML_END.search(message):
            lines = text.split("\n")
            where = f"{shown}:{len(lines)}:{len(lines[-1]) + 1}"
            message = _TOML_END.sub("", message)
        else:
            where = f"{shown}:1:1"
        raise SceneError([Problem(where, "", f"invalid TOML: {_lower_first(message)}")]) from None


# -- profiles and overrides ---------------------------------------------------------------


def draft_profile(raw: Raw) -> Raw:
    """The built-in ``draft`` profile: half width and height (a quarter of the pixels, kept
    even), twice the in-plane subsample (or the next pyramid level), every second frame."""
    movie = raw.get("movie", {})
    dataset = raw.get("dataset", {})
    out: Raw = {"movie": {}, "dataset": {}}
    width, height = _pair(movie.get("resolution"), (1920, 1080))
    out["movie"]["resolution"] = [max(16, width // 4 * 2), max(16, height // 4 * 2)]
    step = movie.get("frame_step", 1)
    out["movie"]["frame_step"] = (
        step * 2 if isinstance(step, int) and not isinstance(step, bool) else step
    )
    level = dataset.get("level")
    if isinstance(level, int) and not isinstance(level, bool):
        out["dataset"]["level"] = level + 1
    else:
        z, y, x = _triple(dataset.get("subsample"), (1, 1, 1))
        out["dataset"]["subsample"] = [z, y * 2, x * 2]
    return out


BUILTIN_PROFILES: dict[str, Callable[[Raw], Raw]] = {"draft": draft_profile}


def _apply_profile(raw: Raw, name: str, origins: _Origins, scene_path: Path) -> Raw:
    """Merge profile ``name`` into ``raw``. A profile that does not set ``movie.output`` writes
    its movie beside the scene's as ``NAME.PROFILE.SUFFIX``, so a draft never replaces the
    final movie."""
    profiles = raw.get("profiles", {})
    if isinstance(profiles, dict) and name in profiles:
        changes = profiles[name]
        if not isinstance(changes, dict):
            where = origins.where(("profiles", name))
            raise SceneError(
                [Problem(where, f"profiles.{name}", "must be a table of scene values")]
            )
        for leaf, _ in _leaves(changes):
            origins.overrides.append((leaf, origins.where(("profiles", name, *leaf))))
    elif name in BUILTIN_PROFILES:
        changes = BUILTIN_PROFILES[name](raw)
        for leaf, _ in _leaves(changes):
            origins.overrides.append((leaf, f"--profile {name}"))
    else:
        known = sorted({*BUILTIN_PROFILES, *(profiles if isinstance(profiles, dict) else {})})
        raise InputError(f"{origins.file}: no profile {name!r} (the scene has: {', '.join(known)})")
    merged = _merge(raw, changes)
    movie = merged.setdefault("movie", {})
    sets_output = isinstance(changes.get("movie"), dict) and "output" in changes["movie"]
    if isinstance(movie, dict) and not sets_output:
        output = movie.get("output")
        base = PurePath(output) if isinstance(output, str) else PurePath(scene_path.stem + ".mp4")
        movie["output"] = str(base.with_name(f"{base.stem}.{name}{base.suffix}"))
    return merged


def _parse_override(text: str) -> tuple[KeyPath, Any]:
    key_text, sep, value_text = text.partition("=")
    if not sep:
        raise InputError(f"--set {text}: expected KEY.PATH=VALUE, such as movie.fps=30")
    try:
        key = parse_key(key_text.strip())
    except ValueError as exc:
        raise InputError(f"--set {text}: {exc}") from None
    try:
        value = tomllib.loads(f"v = {value_text}")["v"]
    except tomllib.TOMLDecodeError:
        value = value_text  # a bare string, such as a path
    return key, value


def _apply(raw: Raw, key: KeyPath, value: Any, text: str, origins: _Origins) -> Raw:
    out = copy.deepcopy(raw)
    node: Any = out
    for depth, part in enumerate(key[:-1]):
        nxt = key[depth + 1]
        if isinstance(part, int):
            if not isinstance(node, list) or part >= len(node):
                size = len(node) if isinstance(node, list) else 0
                where = format_key(key[: depth + 1])
                raise InputError(f"--set {text}: {where}: no such element (there are {size})")
            node = node[part]
        else:
            if not isinstance(node, dict):
                raise InputError(f"--set {text}: {format_key(key[:depth])} is not a table")
            node = node.setdefault(part, [] if isinstance(nxt, int) else {})
    last = key[-1]
    if isinstance(last, int):
        if not isinstance(node, list) or last > len(node):
            raise InputError(f"--set {text}: {format_key(key)}: no such element")
        if last == len(node):
            node.append(value)
        else:
            node[last] = value
    elif isinstance(node, dict):
        node[last] = value
    else:
        raise InputError(f"--set {text}: {format_key(key[:-1])} is not a table")
    origins.overrides.append((key, f"--set {text}"))
    return out


def _merge(base: Raw, changes: Raw) -> Raw:
    out = copy.deepcopy(base)
    for key, value in changes.items():
        if isinstance(value, dict) and isinstance(out.get(key), dict):
            out[key] = _merge(out[key], value)
        else:
            out[key] = copy.deepcopy(value)
    return out


def _leaves(table: Raw, prefix: KeyPath = ()) -> list[tuple[KeyPath, Any]]:
    out: list[tuple[KeyPath, Any]] = []
    for key, value in table.items():
        if isinstance(value, dict) and value:
            out.extend(_leaves(value, (*prefix, key)))
        else:
            out.append(((*prefix, key), value))
    return out


def _pair(value: Any, default: tuple[int, int]) -> tuple[int, int]:
    if isinstance(value, list) and len(value) == 2 and all(type(v) is int for v in value):
        return value[0], value[1]
    return default


def _triple(value: Any, default: tuple[int, int, int]) -> tuple[int, int, int]:
    if isinstance(value, list) and len(value) == 3 and all(type(v) is int for v in value):
        return value[0], value[1], value[2]
    return default


# -- validation errors --------------------------------------------------------------------


def _problems(exc: pydantic.ValidationError, raw: Raw, origins: _Origins) -> list[Problem]:
    problems: list[Problem] = []
    seen: set[KeyPath] = set()
    for error in exc.errors(include_url=False):
        loc = _strip_tags(tuple(error["loc"]))
        if loc in seen:  # one problem per key: a union reports once per member
            continue
        seen.add(loc)
        kind = error["type"]
        if kind == "union_tag_not_found":
            loc = (*loc, "type")
        message = _message(error, loc, raw)
        located = loc[:-1] if kind in ("missing", "union_tag_not_found") else loc
        where = origins.where(located, key=kind == "extra_forbidden")
        problems.append(Problem(where, format_key(loc), message))
    return problems


def _strip_tags(loc: KeyPath) -> KeyPath:
    """Drop the union labels pydantic puts in paths: ``shots.1.flight.frames`` ->
    ``shots.1.frames``, ``volume.renderer.literal[...]`` -> ``volume.renderer``."""
    out: list[str | int] = []
    for i, part in enumerate(loc):
        if i >= 2 and loc[i - 2] == "shots" and isinstance(loc[i - 1], int) and part in SHOT_TYPES:
            continue
        if isinstance(part, str) and "[" in part:  # no scene key contains '['
            continue
        out.append(part)
    return tuple(out)


_SIMPLE_MESSAGES = {
    "missing": "required, but missing",
    "finite_number": "must be a finite number, got {input}",
    "float_type": "expected a number, got {input}",
    "float_parsing": "expected a number, got {input}",
    "int_type": "expected a whole number, got {input}",
    "int_parsing": "expected a whole number, got {input}",
    "int_from_float": "expected a whole number, got {input}",
    "bool_type": "expected true or false, got {input}",
    "bool_parsing": "expected true or false, got {input}",
    "string_type": "expected a string, got {input}",
    "string_too_short": "must not be empty",
    "tuple_type": "expected an array, got {input}",
    "list_type": "expected an array, got {input}",
    "model_type": "expected a table, got {input}",
    "model_attributes_type": "expected a table, got {input}",
    "dict_type": "expected a table, got {input}",
    "greater_than": "must be greater than {gt}, got {input}",
    "greater_than_equal": "must be at least {ge}, got {input}",
    "less_than": "must be less than {lt}, got {input}",
    "less_than_equal": "must be at most {le}, got {input}",
    "too_short": "expected at least {min_length} items, got {actual_length}",
    "too_long": "expected at most {max_length} items, got {actual_length}",
    "string_pattern_mismatch": "must match {pattern}, got {input}",
}


def _message(error: Any, loc: KeyPath, raw: Raw) -> str:
    kind = error["type"]
    ctx = dict(error.get("ctx") or {})
    shown = _show(error.get("input"))
    if kind == "extra_forbidden":
        allowed = _allowed_keys(loc[:-1], raw)
        return "unknown key" + _suggest(str(loc[-1]), allowed)
    if kind in ("union_tag_invalid", "union_tag_not_found"):
        expected = ", ".join(SHOT_TYPES)
        if kind == "union_tag_not_found":
            return f"required, but missing (the shot type: {expected})"
        tag = str(ctx.get("tag", ""))
        return f"unknown shot type {_show(tag)}; expected one of: {expected}" + _suggest(
            tag, list(SHOT_TYPES), only_hint=True
        )
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        options = re.findall(r"'([^']*)'", expected)
        hint = _suggest(str(error.get("input")), options, only_hint=True)
        return f"expected {expected}, got {shown}{hint}"
    if kind in _SIMPLE_MESSAGES:
        return _SIMPLE_MESSAGES[kind].format(
            input=shown, **{k: _show(v) if k == "pattern" else v for k, v in ctx.items()}
        )
    text = str(error.get("msg", kind))
    text = re.sub(r"^(Value|Assertion) error, ", "", text)
    return _lower_first(text)


def _show(value: Any) -> str:
    """A value as TOML would spell it, shortened."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, float) and value != value:
        return "nan"
    try:
        text = json.dumps(value, ensure_ascii=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def _suggest(name: str, allowed: Sequence[str], *, only_hint: bool = False) -> str:
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    if only_hint or not allowed:
        return ""
    return f"; expected one of: {', '.join(allowed)}"


def _allowed_keys(path: KeyPath, raw: Raw) -> list[str]:
    """The keys the model accepts at ``path`` (for 'did you mean' hints)."""
    annotation: Any = Scene
    node: Any = raw
    for part in path:
        if isinstance(part, str):
            model = _model_in(annotation, node)
            if model is None or part not in model.model_fields:
                return []
            annotation = model.model_fields[part].annotation
        node = _child(node, part)
    model = _model_in(annotation, node)
    return list(model.model_fields) if model is not None else []


def _child(node: Any, part: str | int) -> Any:
    if isinstance(node, dict):
        return node.get(part)
    if isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
        return node[part]
    return None


def _model_in(annotation: Any, node: Any) -> Any:
    """The pydantic model inside an annotation (through Optional, list and shot unions)."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    args = typing.get_args(annotation)
    models = [m for m in (_model_in(a, node) for a in args) if m is not None]
    if len(models) > 1 and isinstance(node, dict):
        shot_type = SHOT_TYPES.get(str(node.get("type")))
        if shot_type in models:
            return shot_type
    return models[0] if models else None


def _lower_first(text: str) -> str:
    return text[:1].lower() + text[1:] if text[:2] != text[:2].upper() else text
