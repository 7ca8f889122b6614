"""Where each value of a scene came from: a position in the file, or an option."""

from __future__ import annotations

from dataclasses import dataclass, field

from movie_compiler.config.keypath import KeyPath
from movie_compiler.config.locate import Positions


@dataclass(frozen=True)
class Override:
    """A value that did not come from the scene's own tables: a profile or a ``--set``."""

    path: KeyPath
    value_where: str
    key_where: str


@dataclass
class Origins:
    """Locates key paths: ``file:line:col``, or the option that set the value."""

    file: str
    positions: Positions
    overrides: list[Override] = field(default_factory=list)

    def override(self, path: KeyPath, value_where: str, key_where: str | None = None) -> None:
        """Record that ``path`` was set at ``value_where`` (its key at ``key_where``)."""
        self.overrides.append(Override(path, value_where, key_where or value_where))

    def where(self, path: KeyPath, *, key: bool = False) -> str:
        """Where the value at ``path`` was set; with ``key=True`` prefer its key."""
        for item in reversed(self.overrides):
            inside = path[: len(item.path)] == item.path
            created = (  # a table or array that only exists because an override made it
                bool(path) and item.path[: len(path)] == path and path not in self.positions.values
            )
            if inside or created:
                return item.key_where if key else item.value_where
        line, column = self.positions.find(path, key=key)
        return f"{self.file}:{line}:{column}"

    def order(self, where: str) -> tuple[int, int, int]:
        """Sort key: problems in the file by position, then those from options."""
        prefix = f"{self.file}:"
        if where.startswith(prefix):
            line, _, column = where[len(prefix) :].partition(":")
            if line.isdigit() and column.isdigit():
                return (0, int(line), int(column))
        return (1, 0, 0)
