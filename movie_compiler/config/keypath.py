"""Key paths: `shots[1].keyframes[2].position` <-> `("shots", 1, "keyframes", 2, "position")`."""

from __future__ import annotations

import json
import re

KeyPath = tuple[str | int, ...]

_BARE = re.compile(r"[A-Za-z0-9_-]+")
_PART = re.compile(r"([A-Za-z0-9_-]+)((?:\[\d+\])*)")
_INDEX = re.compile(r"\[(\d+)\]")


def format_key(path: KeyPath) -> str:
    """Render a key path the way users write it: ``shots[1].keyframes[2].position``.

    A key that TOML would have to quote (a space, a dot, non-ASCII letters, an empty key) is
    quoted as TOML does: ``profiles."my preview".movie``.
    """
    out = ""
    for part in path:
        if isinstance(part, int):
            out += f"[{part}]"
        else:
            name = part if _BARE.fullmatch(part) else json.dumps(part, ensure_ascii=False)
            out += f".{name}" if out else name
    return out


def parse_key(text: str) -> KeyPath:
    """Parse ``movie.resolution`` or ``shots[1].frames`` (also ``shots.1.frames``).

    Raises ValueError for anything else.
    """
    if not text:
        raise ValueError("empty key")
    path: list[str | int] = []
    for piece in text.split("."):
        if not piece:
            raise ValueError(f"empty key part in {text!r}")
        match = _PART.fullmatch(piece)
        if match is None:
            raise ValueError(
                f"{piece!r} is not a key (letters, digits, '_' and '-', then any [N] indices)"
            )
        name, indices = match.groups()
        path.append(int(name) if name.isdigit() and path else name)
        path.extend(int(i) for i in _INDEX.findall(indices))
    return tuple(path)
