"""Where each value of a TOML document sits: key path -> (line, column).

:mod:`tomllib` checks the syntax and produces the values but forgets positions. This scanner
walks a document that tomllib has already accepted and records, for every key path, where
its key and its value start, so that a validation error on ``shots[1].keyframes[2].position``
can point at line and column. It does not re-check the syntax.
"""

from __future__ import annotations

import bisect
import re
from collections.abc import Iterator
from dataclasses import dataclass, field

from movie_compiler.config.keypath import KeyPath

_BARE_KEY = re.compile(r"[A-Za-z0-9_-]+")
_ESCAPE = re.compile(r"\\(u[0-9A-Fa-f]{4}|U[0-9A-Fa-f]{8}|.)", re.S)
_Part = tuple[str, tuple[int, int]]
"""One part of a dotted key and where it starts."""
_SIMPLE_ESCAPES = {"b": "\b", "t": "\t", "n": "\n", "f": "\f", "r": "\r", '"': '"', "\\": "\\"}


@dataclass
class Positions:
    """Positions of the keys and values of one TOML document (1-based line and column)."""

    values: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)
    keys: dict[KeyPath, tuple[int, int]] = field(default_factory=dict)

    def find(self, path: KeyPath, *, key: bool = False) -> tuple[int, int]:
        """Position of ``path``, or of its nearest ancestor that the document spells out.

        With ``key=True`` the key itself is preferred to its value (for unknown keys).
        """
        for end in range(len(path), 0, -1):
            prefix = path[:end]
            if key and prefix in self.keys:
                return self.keys[prefix]
            if prefix in self.values:
                return self.values[prefix]
        return (1, 1)


def locate(text: str) -> Positions:
    """Scan ``text`` (valid TOML) and return the positions of its keys and values."""
    scanner = _Scanner(text)
    scanner.document()
    return scanner.positions


class _Scanner:
    def __init__(self, text: str) -> None:
        self.text = text
        self.i = 0
        self.line_starts = [0] + [m.end() for m in re.finditer(r"\n", text)]
        self.positions = Positions()
        self.table: KeyPath = ()
        self.array_lengths: dict[KeyPath, int] = {}
        self.implicit: set[KeyPath] = set()

    # -- positions --------------------------------------------------------------------------

    def here(self) -> tuple[int, int]:
        line = bisect.bisect_right(self.line_starts, self.i) - 1
        return line + 1, self.i - self.line_starts[line] + 1

    def peek(self, n: int = 1) -> str:
        return self.text[self.i : self.i + n]

    # -- whitespace and comments ----------------------------------------------------------

    def skip_inline_space(self) -> None:
        while self.i < len(self.text) and self.text[self.i] in " \t":
            self.i += 1

    def skip_space_and_comments(self) -> None:
        """Skip whitespace, newlines and comments (inside arrays and between statements)."""
        while self.i < len(self.text):
            ch = self.text[self.i]
            if ch in " \t\r\n":
                self.i += 1
            elif ch == "#":
                end = self.text.find("\n", self.i)
                self.i = len(self.text) if end < 0 else end
            else:
                return

    # -- statements -----------------------------------------------------------------------

    def document(self) -> None:
        while True:
            self.skip_space_and_comments()
            if self.i >= len(self.text):
                return
            if self.peek(2) == "[[":
                self.array_table_header()
            elif self.peek() == "[":
                self.table_header()
            else:
                self.keyval(self.table)

    def table_header(self) -> None:
        pos = self.here()
        self.i += 1
        parts = self.dotted_key()
        self.skip_inline_space()
        self.i += 1  # ]
        self.table = self.concrete(parts)
        self.define(self.table, pos, pos)

    def array_table_header(self) -> None:
        pos = self.here()
        self.i += 2
        parts = self.dotted_key()
        self.skip_inline_space()
        self.i += 2  # ]]
        parent = (*self.concrete(parts[:-1]), parts[-1][0])
        index = self.array_lengths.get(parent, 0)
        self.array_lengths[parent] = index + 1
        self.define(parent, pos, pos)
        self.table = (*parent, index)
        self.define(self.table, pos, pos)

    def concrete(self, parts: list[_Part]) -> KeyPath:
        """Resolve header keys: a key naming an array of tables means its last element.

        Tables the header defines on the way (``a`` and ``a.b`` in ``[a.b.c]``) are located at
        their own part of the header until a header of their own says otherwise.
        """
        path: KeyPath = ()
        for name, pos in parts:
            path = (*path, name)
            if path in self.array_lengths:
                path = (*path, self.array_lengths[path] - 1)
            else:
                self.define(path, pos, pos, implicit=True)
        return path

    def define(
        self, path: KeyPath, key: tuple[int, int], value: tuple[int, int], implicit: bool = False
    ) -> None:
        """Record where ``path`` is; an implicit definition never replaces another one."""
        known = path in self.positions.values
        if known and (implicit or path not in self.implicit):
            return
        self.positions.keys[path] = key
        self.positions.values[path] = value
        if implicit:
            self.implicit.add(path)
        else:
            self.implicit.discard(path)

    def keyval(self, table: KeyPath) -> None:
        parts = self.dotted_key()
        self.skip_inline_space()
        self.i += 1  # =
        self.skip_inline_space()
        path = table
        for name, pos in parts[:-1]:  # dotted keys define tables on the way
            path = (*path, name)
            self.define(path, pos, pos, implicit=True)
        path = (*path, parts[-1][0])
        self.positions.keys[path] = parts[-1][1]
        self.value(path)

    # -- keys -----------------------------------------------------------------------------

    def dotted_key(self) -> list[_Part]:
        """The parts of a (dotted) key, each with the position where it starts."""
        parts = [self.simple_key()]
        while True:
            self.skip_inline_space()
            if self.peek() != ".":
                return parts
            self.i += 1
            parts.append(self.simple_key())

    def simple_key(self) -> _Part:
        self.skip_inline_space()
        pos = self.here()
        ch = self.peek()
        if ch == '"':
            return self.basic_string(), pos
        if ch == "'":
            return self.literal_string(), pos
        match = _BARE_KEY.match(self.text, self.i)
        if match is None:  # pragma: no cover - tomllib accepted the document
            raise ValueError(f"unexpected character at {self.here()}")
        self.i = match.end()
        return match.group(), pos

    # -- values ---------------------------------------------------------------------------

    def value(self, path: KeyPath) -> None:
        self.positions.values[path] = self.here()
        ch = self.peek()
        if ch == "[":
            self.array(path)
        elif ch == "{":
            self.inline_table(path)
        elif self.peek(3) in ('"""', "'''"):
            self.multiline_string()
        elif ch == '"':
            self.basic_string()
        elif ch == "'":
            self.literal_string()
        else:
            self.scalar()

    def array(self, path: KeyPath) -> None:
        self.i += 1
        for index in self._items("]"):
            self.value((*path, index))

    def inline_table(self, path: KeyPath) -> None:
        self.i += 1
        for _ in self._items("}"):
            self.keyval(path)

    def _items(self, close: str) -> Iterator[int]:
        index = 0
        while True:
            self.skip_space_and_comments()
            if self.peek() == close:
                self.i += 1
                return
            if self.peek() == ",":
                self.i += 1
                continue
            yield index
            index += 1

    def scalar(self) -> None:
        """Numbers, booleans and dates: up to the next delimiter."""
        while self.i < len(self.text) and self.text[self.i] not in ",]}\n#":
            self.i += 1

    def basic_string(self) -> str:
        start = self.i + 1
        self.i = start
        while self.text[self.i] != '"':
            self.i += 2 if self.text[self.i] == "\\" else 1
        raw = self.text[start : self.i]
        self.i += 1
        return _ESCAPE.sub(_unescape, raw)

    def literal_string(self) -> str:
        end = self.text.index("'", self.i + 1)
        result = self.text[self.i + 1 : end]
        self.i = end + 1
        return result

    def multiline_string(self) -> None:
        quote = self.peek(3)
        self.i += 3
        while True:
            if quote == '"""' and self.peek() == "\\":
                self.i += 2
                continue
            if self.peek(3) == quote:
                self.i += 3
                while self.peek() == quote[0]:  # up to two quotes may close the string
                    self.i += 1
                return
            self.i += 1


def _unescape(match: re.Match[str]) -> str:
    code = match.group(1)
    if code[0] in "uU":
        return chr(int(code[1:], 16))
    return _SIMPLE_ESCAPES.get(code, code)
