"""The JSON Schema for editors: pydantic's schema, reshaped where editors and validators need it.

- A shot's ``type`` selects its keys with ``if``/``then``. pydantic writes the union of shot
  types as ``oneOf`` with OpenAPI's ``discriminator`` keyword, which JSON Schema validators
  ignore: a misspelt key inside a shot then fails every branch ("not valid under any of the
  given schemas", once per shot type and key) and completion offers every type's keys. With
  ``if``/``then`` a validator names the bad key once, and an editor completes the keys of the
  shot's own type.
- ``X | None`` fields lose their ``null`` branch and ``default: null``: TOML has no null, and
  editors list a key once per branch.
"""

from __future__ import annotations

from typing import Any

TYPE_DESCRIPTION = "Kind of camera motion; it decides which other keys the shot takes."


def for_editors(schema: dict[str, Any]) -> dict[str, Any]:
    """``schema`` (pydantic's) reshaped as described above; the input is not changed."""
    reshaped: dict[str, Any] = _walk(schema, schema.get("$defs", {}))
    return reshaped


def _walk(node: Any, defs: dict[str, Any]) -> Any:
    if isinstance(node, list):
        return [_walk(item, defs) for item in node]
    if not isinstance(node, dict):
        return node
    node = {key: _walk(value, defs) for key, value in node.items()}
    if "discriminator" in node and "oneOf" in node:
        return _select_by_type(node, defs)
    branches = node.get("anyOf")
    if isinstance(branches, list) and {"type": "null"} in branches:
        rest = [b for b in branches if b != {"type": "null"}]
        node = {k: v for k, v in node.items() if k != "anyOf"}
        if node.get("default", 0) is None:
            del node["default"]
        if len(rest) == 1:
            return {**rest[0], **node}
        return {**node, "anyOf": rest}
    return node


def _select_by_type(node: dict[str, Any], defs: dict[str, Any]) -> dict[str, Any]:
    """``oneOf`` + ``discriminator`` -> an object whose ``type`` selects a definition."""
    name = node["discriminator"]["propertyName"]
    mapping: dict[str, str] = node["discriminator"]["mapping"]
    rules = [
        {
            "if": {"properties": {name: {"const": value}}, "required": [name]},
            "then": {"$ref": ref},
        }
        for value, ref in mapping.items()
    ]
    rest = {k: v for k, v in node.items() if k not in ("discriminator", "oneOf")}
    return {
        **rest,
        "type": "object",
        "required": [name],
        "properties": {name: {"enum": list(mapping), "description": TYPE_DESCRIPTION}},
        "allOf": rules,
    }
