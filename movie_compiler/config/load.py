"""Load a scene file: TOML -> profile -> ``--set`` overrides -> model -> cross-field rules.

Every problem comes back located (``PATH:LINE:COL: key.path: message``) in one
:class:`~movie_compiler.errors.SceneError`; nothing here prints or exits. What works but
deserves a word (a movie of hours) is logged as a located warning.
"""

from __future__ import annotations

import ast
import hashlib
import json
import logging
import re
import tomllib
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any

import pydantic

from movie_compiler.config import limits, messages, rules
from movie_compiler.config import overrides as overrides_
from movie_compiler.config.keypath import KeyPath, format_key, parse_key
from movie_compiler.config.locate import locate
from movie_compiler.config.model import Scene
from movie_compiler.config.origins import Origins
from movie_compiler.config.overrides import lower_first
from movie_compiler.errors import InputError, Problem, SceneError

Raw = dict[str, Any]
log = logging.getLogger(__name__)


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
    origins: Origins | None = field(default=None, repr=False, compare=False)

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


def load_scene(
    path: str | Path,
    overrides: Sequence[str] = (),
    profile: str | None = None,
    *,
    text: str | None = None,
    shown: str | None = None,
) -> LoadedScene:
    """Read, merge and validate a scene file; raise :class:`SceneError` on any problem.

    Profiles the scene defines but that are not applied are validated too, so a typo in one
    is found by ``moviec check`` and not only when it is used.

    ``text`` is the scene's text when it does not come from ``path`` (an older revision of
    the file; its relative paths still resolve beside ``path``), and ``shown`` how messages
    name it (default: ``path``).
    """
    scene_path = Path(path)
    shown = shown if shown is not None else str(path)
    text = _read(scene_path, shown) if text is None else text.removeprefix("\ufeff")
    file_raw = _parse(text, shown)
    origins = Origins(shown, locate(text))

    raw = file_raw
    if profile is not None:
        changes = overrides_.profile_changes(raw, profile, origins)
        raw = overrides_.apply_profile(raw, profile, changes, scene_path)
    for override in overrides:
        key, value = overrides_.parse_override(override)
        raw = overrides_.apply_override(raw, key, value, override, origins)

    result = _validate(raw, origins)
    found = [
        *(result if isinstance(result, list) else []),
        *_check_profiles(file_raw, profile, shown, text, scene_path),
    ]
    if found or not isinstance(result, Scene):
        raise SceneError(sorted(found, key=lambda p: origins.order(p.where)))
    for key, message in limits.warnings(result):
        log.warning("%s", Problem(origins.where(key), format_key(key), message))
    return LoadedScene(
        scene=result,
        path=scene_path.resolve(),
        digest=scene_digest(result),
        profile=profile,
        overrides=tuple(overrides),
        origins=origins,
    )


NOT_THE_MOVIE = frozenset({"profiles", "cluster"})
"""Tables that do not change the movie: left out of its digest and its provenance."""


def scene_digest(scene: Scene) -> str:
    """SHA-256 of the scene's canonical JSON (``profiles`` and ``cluster`` left out)."""
    data = scene.model_dump(mode="json", exclude=set(NOT_THE_MOVIE))
    canonical = json.dumps(data, sort_keys=True, separators=(",", ":"), ensure_ascii=False)
    return hashlib.sha256(canonical.encode("utf-8")).hexdigest()


def _validate(raw: Raw, origins: Origins, prefix: KeyPath = ()) -> Scene | list[Problem]:
    """The scene, or every problem: the model's, else the cross-field rules'."""
    try:
        scene = Scene.model_validate(raw)
    except pydantic.ValidationError as exc:
        return messages.problems(exc, raw, origins, prefix)
    findings = rules.check(scene)
    if findings:
        found = [Problem(origins.where(key), format_key((*prefix, *key)), m) for key, m in findings]
        return sorted(found, key=lambda p: origins.order(p.where))
    return scene


def _check_profiles(
    raw: Raw, applied: str | None, shown: str, text: str, scene_path: Path
) -> list[Problem]:
    """Problems that the scene's own profiles would cause, shown under ``profiles.NAME``."""
    profiles = raw.get("profiles")
    if not isinstance(profiles, dict):
        return []
    found: list[Problem] = []
    for name in profiles:
        if name == applied:
            continue
        origins = Origins(shown, locate(text))
        changes = overrides_.profile_changes(raw, name, origins)
        merged = overrides_.apply_profile(raw, name, changes, scene_path)
        result = _validate(merged, origins)
        if isinstance(result, Scene):
            continue
        changed = [leaf for leaf, _ in overrides_.leaves(changes)]
        for problem in result:  # only what the profile changed; the rest is reported anyway
            key = _key_or_none(problem.key)
            if key is not None and any(_related(key, leaf) for leaf in changed):
                key_text = f"profiles.{name}.{problem.key}"
                found.append(Problem(problem.where, key_text, problem.message))
    return found


def _related(a: KeyPath, b: KeyPath) -> bool:
    return a[: len(b)] == b or b[: len(a)] == a


def _key_or_none(text: str) -> KeyPath | None:
    try:
        return parse_key(text)
    except ValueError:
        return None


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
        text = data.decode("utf-8")
    except UnicodeDecodeError as exc:
        line = data.count(b"\n", 0, exc.start) + 1
        column = exc.start - (data.rfind(b"\n", 0, exc.start) + 1) + 1
        where = f"{shown}:{line}:{column}"
        raise SceneError([Problem(where, "", "not UTF-8 text (TOML files are UTF-8)")]) from None
    return text.removeprefix("\ufeff")  # a byte-order mark is not part of the document


def _parse(text: str, shown: str) -> Raw:
    try:
        return tomllib.loads(text)
    except tomllib.TOMLDecodeError as exc:
        message = str(exc)
        match = overrides_.TOML_POSITION.search(message)
        message = message[: match.start()] if match else message
        if match and match.group(1):
            line, column = int(match.group(1)), int(match.group(2))
        else:  # at the end of the document
            lines = text.split("\n")
            line, column = len(lines), len(lines[-1]) + 1
        message = _KEY_TUPLE.sub(_table_name, message)
        if message == "Illegal character '\\n'" and _open_quote(text.split("\n")[line - 1]):
            message = "unterminated string"
        where = f"{shown}:{line}:{column}"
        raise SceneError([Problem(where, "", f"invalid TOML: {lower_first(message)}")]) from None


_KEY_TUPLE = re.compile(r"\((?:'(?:[^'\\]|\\.)*',? ?)+\)")
"""A key path as tomllib's messages spell it, a Python tuple: ``('movie', 'x')``."""


def _table_name(match: re.Match[str]) -> str:
    """``('movie', 'x')`` -> ``[movie.x]``, as the scene spells the table."""
    try:
        parts = ast.literal_eval(match.group(0))
    except (ValueError, SyntaxError):
        return match.group(0)
    if not isinstance(parts, tuple) or not all(isinstance(p, str) for p in parts):
        return match.group(0)
    return "[" + ".".join(toml_key(p) for p in parts) + "]"


def toml_key(key: str) -> str:
    """A key as TOML writes it: bare when it can be, else quoted."""
    if key and all(c.isascii() and (c.isalnum() or c in "_-") for c in key):
        return key
    return json.dumps(key, ensure_ascii=False)


def _open_quote(line: str) -> bool:
    """Whether ``line`` ends inside a one-line string (a rough count, for the message)."""
    code = line.split("#", 1)[0] if line.count('"') % 2 == 0 else line
    return code.replace('\\"', "").count('"') % 2 == 1 or code.count("'") % 2 == 1
