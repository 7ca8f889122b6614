"""pydantic's validation errors -> one located, human line per problem."""

from __future__ import annotations

import datetime
import difflib
import functools
import json
import math
import re
import typing
from collections.abc import Sequence
from typing import Any

import pydantic

from movie_compiler.config.keypath import KeyPath, format_key
from movie_compiler.config.model import PROFILE_NAME, SHOT_TYPES, Scene
from movie_compiler.config.origins import Origins
from movie_compiler.config.overrides import lower_first
from movie_compiler.errors import Problem

Raw = dict[str, Any]

_LENGTH_ERRORS = ("too_short", "too_long")
_SEQUENCE_LABEL = re.compile(r"^(list|tuple)\[")

_SIMPLE = {
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
    "wrong_length": "expected {max_length} values, got {actual_length}",
}


def problems(
    exc: pydantic.ValidationError, raw: Raw, origins: Origins, prefix: KeyPath = ()
) -> list[Problem]:
    """One problem per offending key, in document order. ``prefix`` is put before each key
    path in the message (a profile's problems are shown under ``profiles.NAME``)."""
    errors = [_as_length_error(e, raw) for e in exc.errors(include_url=False) if _applies(e, raw)]
    located: dict[KeyPath, Problem] = {}
    for error in errors:
        loc = _strip_labels(tuple(error["loc"]))
        kind = error["type"]
        if kind in (*_LENGTH_ERRORS, "wrong_length") and any(_below(loc, e) for e in errors):
            continue  # the failing elements are reported; their absence is no news
        if kind in ("union_tag_invalid", "union_tag_not_found"):
            loc = (*loc, "type")
        if loc in located:
            continue
        anchor = loc[:-1] if kind in ("missing", "union_tag_not_found") else loc
        where = origins.where(anchor, key=kind == "extra_forbidden")
        located[loc] = Problem(where, format_key((*prefix, *loc)), _message(error, loc, raw))
    return sorted(located.values(), key=lambda p: origins.order(p.where))


def _applies(error: Any, raw: Raw) -> bool:
    """For a value that may be a string or an array (``renderer``), keep only the errors of
    the form the user wrote."""
    loc = tuple(error["loc"])
    for i, part in enumerate(loc):
        if isinstance(part, str) and "[" in part:
            value = _value_at(raw, _strip_labels(loc[:i]))
            return bool(_SEQUENCE_LABEL.match(part)) == isinstance(value, list)
    return True


def _as_length_error(error: Any, raw: Raw) -> Any:
    """An item's error in an array longer than its schema allows is the array's length error
    (``resolution = [320, 240, 3]``: two values expected, not a third one that is too small)."""
    loc = _strip_labels(tuple(error["loc"]))
    if error["type"] in _LENGTH_ERRORS:  # of an array of fixed length: "expected 3 values"
        node: Any = _schema()
        for part in loc:
            node = _resolve(node, part) if node is not None else None
        if node is not None and node.get("minItems") == node.get("maxItems") is not None:
            ctx = {**error["ctx"], "max_length": node["maxItems"]}
            return {**error, "type": "wrong_length", "ctx": ctx}
        return error
    schema: Any = _schema()
    value: Any = raw
    for depth, part in enumerate(loc):
        schema = _resolve(schema, part)
        if schema is None or not isinstance(value, dict | list):
            return error
        if isinstance(value, list) and isinstance(part, int):
            if part >= len(value):
                return error
        elif isinstance(value, dict) and part in value:
            pass
        else:
            return error
        value = value[part]
        most = schema.get("maxItems") if isinstance(value, list) else None
        if most is not None and len(value) > most and depth + 1 < len(loc):
            fixed = schema.get("minItems") == most
            return {
                "type": "wrong_length" if fixed else "too_long",
                "loc": loc[: depth + 1],
                "ctx": {"max_length": most, "actual_length": len(value)},
                "input": value,
            }
    return error


@functools.cache
def _schema() -> dict[str, Any]:
    return Scene.model_json_schema()


def _resolve(node: Any, part: str | int) -> Any:
    """The schema of ``part`` (a key or an index) inside ``node``; None if unknown."""
    node = _deref(node)
    options = node.get("anyOf") or node.get("oneOf") or [node]
    for option in (_deref(o) for o in options):
        if isinstance(part, str) and part in option.get("properties", {}):
            return _deref(option["properties"][part])
        if isinstance(part, int) and "items" in option:
            return _deref(option["items"])
    return None


def _deref(node: Any) -> Any:
    while isinstance(node, dict) and "$ref" in node:
        node = _schema()["$defs"][node["$ref"].rsplit("/", 1)[-1]]
    return node


def _below(loc: KeyPath, error: Any) -> bool:
    other = _strip_labels(tuple(error["loc"]))
    return len(other) > len(loc) and other[: len(loc)] == loc


def _strip_labels(loc: KeyPath) -> KeyPath:
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


def _message(error: Any, loc: KeyPath, raw: Raw) -> str:
    kind = error["type"]
    ctx = dict(error.get("ctx") or {})
    value = error.get("input")
    if kind == "extra_forbidden":
        return "unknown key" + suggest(str(loc[-1]), allowed_keys(loc[:-1], raw))
    if kind == "union_tag_not_found":
        return f"required, but missing (the shot type: {', '.join(SHOT_TYPES)})"
    if kind == "union_tag_invalid":
        tag = str(ctx.get("tag", ""))
        hint = suggest(tag, list(SHOT_TYPES), only_hint=True)
        return f"unknown shot type {show(tag)}; expected one of: {', '.join(SHOT_TYPES)}{hint}"
    if kind == "literal_error":
        expected = str(ctx.get("expected", ""))
        hint = suggest(str(value), re.findall(r"'([^']*)'", expected), only_hint=True)
        return f"expected {expected}, got {show(value)}{hint}"
    if kind == "too_short" and ctx.get("actual_length") == 0:
        return "must not be empty"
    if kind == "string_pattern_mismatch" and ctx.get("pattern") == PROFILE_NAME:
        rule = "a profile name starts with a letter, then letters, digits, '_' or '-'"
        return f"{rule}; got {show(value)}"
    if kind in _SIMPLE:
        return _SIMPLE[kind].format(input=show(value), **ctx)
    text = re.sub(r"^(Value|Assertion) error, ", "", str(error.get("msg", kind)))
    return lower_first(text)


def show(value: Any) -> str:
    """A value as TOML would spell it, shortened."""
    if isinstance(value, dict):
        return "a table"
    if isinstance(value, float) and not math.isfinite(value):
        return "nan" if math.isnan(value) else ("inf" if value > 0 else "-inf")
    if isinstance(value, datetime.date | datetime.time):
        return value.isoformat()
    try:
        text = json.dumps(value, ensure_ascii=False, allow_nan=False)
    except (TypeError, ValueError):
        text = repr(value)
    return text if len(text) <= 60 else text[:57] + "..."


def suggest(name: str, allowed: Sequence[str], *, only_hint: bool = False) -> str:
    """'; did you mean ...?' for a close match, else the allowed names (or nothing)."""
    close = difflib.get_close_matches(name, allowed, n=1, cutoff=0.6)
    if close:
        return f"; did you mean {close[0]!r}?"
    if only_hint or not allowed:
        return ""
    return f"; expected one of: {', '.join(allowed)}"


def allowed_keys(path: KeyPath, raw: Raw) -> list[str]:
    """The keys the model accepts at ``path`` (for 'did you mean' hints)."""
    annotation: Any = Scene
    node: Any = raw
    for part in path:
        if isinstance(part, str):
            model = _model_in(annotation, node)
            if model is None or part not in model.model_fields:
                return []
            annotation = model.model_fields[part].annotation
        node = _value_at(node, (part,))
    model = _model_in(annotation, node)
    return list(model.model_fields) if model is not None else []


def _value_at(node: Any, path: KeyPath) -> Any:
    for part in path:
        if isinstance(node, dict):
            node = node.get(part)
        elif isinstance(node, list) and isinstance(part, int) and 0 <= part < len(node):
            node = node[part]
        else:
            return None
    return node


def _model_in(annotation: Any, node: Any) -> Any:
    """The pydantic model inside an annotation (through Optional, list and shot unions)."""
    if isinstance(annotation, type) and issubclass(annotation, pydantic.BaseModel):
        return annotation
    models = [m for m in (_model_in(a, node) for a in typing.get_args(annotation)) if m]
    if len(models) > 1 and isinstance(node, dict):
        shot_type = SHOT_TYPES.get(str(node.get("type")))
        if shot_type in models:
            return shot_type
    return models[0] if models else None
