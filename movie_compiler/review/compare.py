"""Compare two versions of a scene: what changed, and what a build of the new one re-renders.

The re-render list assumes the frame cache holds the old scene's build: a shot of the new scene
whose key is one of the old scene's keys (the same frames, wherever the shot now is) is
cached; every other shot's frames are rendered, less those the build's repeated-frame
detection links to an equal frame. Both scenes are keyed the same way: with the build's own
keys when the dataset, ParaView and the renderer are there for both, else with scene keys
(:mod:`movie_compiler.review.keys`).
"""

from __future__ import annotations

import subprocess
from collections.abc import Sequence
from dataclasses import dataclass
from pathlib import Path
from typing import Any

from movie_compiler.config.load import LoadedScene, load_scene
from movie_compiler.errors import InputError, MissingRequirement
from movie_compiler.plan import Plan, plan
from movie_compiler.review import keys, semantic
from movie_compiler.review.keys import ShotKeys


@dataclass(frozen=True)
class Rerender:
    """A shot of the new scene whose frames a build renders."""

    index: int
    shot: str
    frames: int
    """Frames a build renders for it (after repeated-frame detection)."""
    of: int
    """The movie's frames from this shot."""

    def document(self) -> dict[str, Any]:
        return {"shot": self.shot, "index": self.index, "frames": self.frames, "of": self.of}


@dataclass(frozen=True)
class Comparison:
    old: LoadedScene
    new: LoadedScene
    old_plan: Plan
    new_plan: Plan
    changes: list[semantic.Change]
    rerender: list[Rerender]
    keys: ShotKeys
    """The new scene's keys (and whether they are the build's)."""
    old_keys: ShotKeys

    @property
    def same(self) -> bool:
        return not self.changes and not self.rerender


def compare(old: LoadedScene, new: LoadedScene, *, data: bool = True) -> Comparison:
    """The changes from ``old`` to ``new`` and the shots a build of ``new`` would render."""
    old_plan, new_plan = plan(old.scene), plan(new.scene)
    old_keys = keys.shot_keys(old, old_plan, data=data)
    new_keys = keys.shot_keys(new, new_plan, data=data)
    if old_keys.build != new_keys.build:  # key both the same way
        reason = old_keys.reason or new_keys.reason
        old_keys = keys.scene_keys(old, old_plan, reason)
        new_keys = keys.scene_keys(new, new_plan, reason)
    return Comparison(
        old,
        new,
        old_plan,
        new_plan,
        semantic.changes(old.scene, new.scene),
        rerender(old_plan, old_keys.keys, new_plan, new_keys.keys),
        new_keys,
        old_keys,
    )


def rerender(
    old_plan: Plan, old_keys: Sequence[str], new_plan: Plan, new_keys: Sequence[str]
) -> list[Rerender]:
    """The new scene's shots a build renders when the cache holds the old scene's frames."""
    first = {key: shot.first for shot, key in zip(old_plan.shots, old_keys, strict=True)}
    step = old_plan.frame_step

    def present(frame: int) -> bool:
        shot = new_plan.shot_of(frame)
        start = first.get(new_keys[shot.index])
        return start is not None and (start + frame - shot.first) % step == 0

    counted = keys.count(new_plan, new_keys, present)
    return [
        Rerender(shot.index, shot.name, c.to_render, c.frames)
        for shot, c in zip(new_plan.shots, counted, strict=True)
        if c.cached < c.frames
    ]


def load_revision(
    scene: str, rev: str, overrides: Sequence[str] = (), profile: str | None = None
) -> LoadedScene:
    """``scene`` as it was in git revision ``rev`` (relative paths resolve beside ``scene``)."""
    path = Path(scene).resolve()
    if not path.parent.is_dir():
        raise InputError(f"{scene}: no such folder")
    top = _git(path.parent, "rev-parse", "--show-toplevel")
    if top is None:
        raise InputError(f"{scene}: not in a git repository (--rev needs one)")
    if _git(path.parent, "rev-parse", "--verify", "--quiet", f"{rev}^{{commit}}") is None:
        raise InputError(f"--rev {rev}: no such revision in {top}")
    relative = path.relative_to(Path(top).resolve()).as_posix()
    text = _git(path.parent, "show", f"{rev}:{relative}")
    if text is None:
        raise InputError(f"{scene}: not in revision {rev} (no {relative} there)")
    return load_scene(path, overrides, profile, text=text, shown=f"{rev}:{relative}")


def _git(folder: Path, *args: str) -> str | None:
    """Standard output of ``git -C folder ARGS`` (stripped for rev-parse), None if it failed."""
    try:
        done = subprocess.run(
            ["git", "-C", str(folder), *args], capture_output=True, text=True, check=False
        )
    except FileNotFoundError:
        raise MissingRequirement("git not found: --rev needs git") from None
    if done.returncode != 0:
        return None
    return done.stdout.strip() if args[0] == "rev-parse" else done.stdout
