"""The semantic diff of two scenes: changed key paths, renamed and moved shots.

Both scenes are compared as validated models (``1`` and ``1.0`` are the same, a key set to its
default is no change). Shots are matched before they are compared, so that a renamed shot is a
rename and a reordered one a move, not a removal and an addition: first by name, then by equal
content, then by position. Moves are the matched shots outside the longest run that kept its
order, so inserting a shot does not move the ones after it.
"""

from __future__ import annotations

from dataclasses import dataclass
from typing import Any

from movie_compiler.config.keypath import KeyPath, format_key
from movie_compiler.config.model import Scene


@dataclass(frozen=True)
class Change:
    """One difference between two scenes."""

    key: str
    """Key path as moviec's messages write it: ``shots[1].easing`` (new positions of shots;
    the old position for a removed shot)."""
    old: Any
    new: Any
    kind: str = "change"
    """``change``, ``add``, ``remove``, ``rename`` or ``move``."""

    def document(self) -> dict[str, Any]:
        return {"key": self.key, "old": self.old, "new": self.new, "kind": self.kind}

    def __str__(self) -> str:
        if self.kind == "move":
            return f"{self.key}: moved from {self.old} ({self.new!r})"
        if self.kind == "add":
            return f"{self.key}: added {_show(self.new)}"
        if self.kind == "remove":
            return f"{self.key}: removed {_show(self.old)}"
        note = " (renamed)" if self.kind == "rename" else ""
        return f"{self.key}: {_show(self.old)} -> {_show(self.new)}{note}"


def _show(value: Any) -> str:
    if isinstance(value, list):
        return "[" + ", ".join(_show(v) for v in value) + "]"
    if isinstance(value, float) and value.is_integer():
        return str(int(value)) if abs(value) < 1e15 else repr(value)
    if isinstance(value, dict):
        shown = (f"{k} = {_show(v)}" for k, v in value.items() if v is not None)
        return "{" + ", ".join(shown) + "}"
    if value is None:
        return "(unset)"
    return repr(value)


def shot_label(shot: dict[str, Any], index: int) -> str:
    """How a shot is named in messages: its name, or its type and position."""
    return str(shot.get("name") or f"{shot.get('type')} shot {index}")


def match_shots(old: list[dict[str, Any]], new: list[dict[str, Any]]) -> list[tuple[int, int]]:
    """Pairs ``(old index, new index)`` of the same shot in both scenes."""
    pairs: dict[int, int] = {}  # new -> old

    def free_old() -> list[int]:
        return [i for i in range(len(old)) if i not in pairs.values()]

    def free_new() -> list[int]:
        return [j for j in range(len(new)) if j not in pairs]

    old_names = [s.get("name") for s in old]
    new_names = [s.get("name") for s in new]
    for j, name in enumerate(new_names):
        if name and new_names.count(name) == 1 and old_names.count(name) == 1:
            pairs[j] = old_names.index(name)
    for j in free_new():  # renamed (or unnamed) but otherwise the same
        body = {k: v for k, v in new[j].items() if k != "name"}
        for i in free_old():
            if {k: v for k, v in old[i].items() if k != "name"} == body:
                pairs[j] = i
                break
    for j in free_new():  # the same place, changed: unless a name says it is another shot
        taken = _named_elsewhere(new[j], old_names) or _named_elsewhere(old[j], new_names)
        if j in free_old() and not taken:
            pairs[j] = j
    return sorted(((i, j) for j, i in pairs.items()), key=lambda p: p[1])


def _named_elsewhere(shot: dict[str, Any], names: list[Any]) -> bool:
    return bool(shot.get("name")) and shot.get("name") in names


def _kept_order(pairs: list[tuple[int, int]]) -> set[tuple[int, int]]:
    """The longest chain of pairs whose old indices increase with the new ones."""
    best: list[list[tuple[int, int]]] = []
    for pair in pairs:  # sorted by new index; O(n^2) is plenty for a movie's shots
        chains = [c for c in best if c[-1][0] < pair[0]]
        longest = sorted(chains, key=lambda c: -len(c))[0] if chains else []
        best.append([*longest, pair])
    return set(sorted(best, key=lambda c: -len(c))[0]) if best else set()


def changes(old: Scene, new: Scene) -> list[Change]:
    """Every difference from ``old`` to ``new``, shots matched."""
    a = old.model_dump(mode="json")
    b = new.model_dump(mode="json")
    found: list[Change] = []
    for table in sorted(set(a) | set(b), key=lambda t: (t == "shots", t)):
        if table != "shots":
            _compare(a.get(table), b.get(table), (table,), found)
    old_shots, new_shots = a["shots"], b["shots"]
    pairs = match_shots(old_shots, new_shots)
    kept = _kept_order(pairs)
    matched_new = {j for _, j in pairs}
    matched_old = {i for i, _ in pairs}
    for i in range(len(old_shots)):
        if i not in matched_old:
            found.append(Change(f"shots[{i}]", _summary(old_shots[i]), None, "remove"))
    for j in range(len(new_shots)):
        if j not in matched_new:
            found.append(Change(f"shots[{j}]", None, _summary(new_shots[j]), "add"))
    for i, j in pairs:
        shot, before = new_shots[j], old_shots[i]
        if (i, j) not in kept:
            found.append(Change(f"shots[{j}]", f"shots[{i}]", shot_label(shot, j), "move"))
        if before.get("name") != shot.get("name"):
            found.append(Change(f"shots[{j}].name", before.get("name"), shot.get("name"), "rename"))
        rest_a = {k: v for k, v in before.items() if k != "name"}
        rest_b = {k: v for k, v in shot.items() if k != "name"}
        _compare(rest_a, rest_b, ("shots", j), found)
    return found


def _summary(shot: dict[str, Any]) -> dict[str, Any]:
    """A shot's keys that were set (not None), its name and type first."""
    first = {k: shot[k] for k in ("name", "type") if shot.get(k) is not None}
    return {**first, **{k: v for k, v in shot.items() if v is not None and k not in first}}


def _compare(a: Any, b: Any, key: KeyPath, found: list[Change]) -> None:
    if a == b:
        return
    if isinstance(a, dict) and isinstance(b, dict):
        for name in [*a, *(k for k in b if k not in a)]:
            _compare(a.get(name), b.get(name), (*key, name), found)
        return
    if (
        isinstance(a, list)
        and isinstance(b, list)
        and len(a) == len(b)
        and any(isinstance(v, dict | list) for v in [*a, *b])
    ):
        for index, (x, y) in enumerate(zip(a, b, strict=True)):
            _compare(x, y, (*key, index), found)
        return
    if isinstance(a, list) and isinstance(b, list) and any(isinstance(v, dict) for v in [*a, *b]):
        for index in range(max(len(a), len(b))):
            if index >= len(a):
                found.append(Change(format_key((*key, index)), None, b[index], "add"))
            elif index >= len(b):
                found.append(Change(format_key((*key, index)), a[index], None, "remove"))
            else:
                _compare(a[index], b[index], (*key, index), found)
        return
    found.append(Change(format_key(key), a, b))
