"""The one door for values into generated Python: every literal in a generated script is
rendered here.

User text (titles, paths, array and shot names) only ever becomes a string literal via
``repr``, which escapes quotes, backslashes, newlines and every non-printable character, so no
user value can become code, not even inside a comment (:func:`comment` quotes it too).
"""

from __future__ import annotations

import math
from collections.abc import Mapping, Sequence
from typing import Any

Value = Any


def literal(value: Value) -> str:
    """``value`` as Python source that evaluates to an equal value.

    Supported: None, bool, int, float (NaN and infinities as ``float('nan')`` etc.), str,
    and lists, tuples and dicts (with str keys) of those. Anything else is a TypeError.
    """
    if value is None or isinstance(value, bool):
        return repr(value)
    if isinstance(value, int):
        return repr(int(value))
    if isinstance(value, float):
        if math.isnan(value):
            return "float('nan')"
        if math.isinf(value):
            return "float('inf')" if value > 0 else "-float('inf')"
        return repr(float(value))
    if isinstance(value, str):
        return repr(str(value))
    if isinstance(value, tuple):
        items = [literal(v) for v in value]
        return "(" + ", ".join(items) + ("," if len(items) == 1 else "") + ")"
    if isinstance(value, list):
        return "[" + ", ".join(literal(v) for v in value) + "]"
    if isinstance(value, Mapping):
        for key in value:
            if not isinstance(key, str):
                raise TypeError(f"dict keys must be str, got {type(key).__name__}")
        return "{" + ", ".join(f"{literal(k)}: {literal(v)}" for k, v in value.items()) + "}"
    raise TypeError(f"no literal for {type(value).__name__}")


def assignment(name: str, value: Value, note: str | None = None) -> str:
    """``NAME = <literal>`` with an optional trailing comment; ``name`` is the generator's own
    identifier, never user text."""
    if not (name.isidentifier() and name.isupper()):
        raise ValueError(f"{name!r} is not an upper-case identifier")
    line = f"{name} = {literal(value)}"
    return f"{line}  # {note}" if note else line


def rows(name: str, values: Sequence[Sequence[Value]], note: str | None = None) -> str:
    """A list of rows laid out one row per line (transfer-function points)."""
    if not (name.isidentifier() and name.isupper()):
        raise ValueError(f"{name!r} is not an upper-case identifier")
    head = f"{name} = [" + (f"  # {note}" if note else "")
    body = [f"    {literal(list(row))}," for row in values]
    return "\n".join([head, *body, "]"])


def table(name: str, value: Mapping[str, Value] | None, note: str | None = None) -> str:
    """A dict laid out one key per line (``None`` on one line), for settings a person reads."""
    if value is None:
        return assignment(name, value, note)
    if not (name.isidentifier() and name.isupper()):
        raise ValueError(f"{name!r} is not an upper-case identifier")
    head = f"{name} = {{" + (f"  # {note}" if note else "")
    body = [f"    {literal(str(key))}: {literal(item)}," for key, item in value.items()]
    return "\n".join([head, *body, "}"])


def comment(text: str) -> str:
    """User text for a comment: quoted and escaped like a literal, so it stays on one line."""
    return literal(str(text))
