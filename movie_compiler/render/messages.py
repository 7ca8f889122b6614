"""Make sense of what pvbatch printed: the one line worth showing when it failed."""

from __future__ import annotations

import re

_ANSI = re.compile(r"\x1b\[[0-9;]*m")
_LOGURU = re.compile(r"^\(\s*[\d.]+s\) \[[^\]]*\][^|]*\b(?P<level>[A-Z]+)\|\s*(?P<message>.*)$")
"""VTK's log lines: ``(   1.750s) [pvbatch   ]vtkXOpenGLRenderWindow.:465    ERR| message``."""
_NOISE = re.compile(
    r"^(Traceback \(most recent call last\):|Stack trace:|Loguru caught a signal|\d+\s+0x[0-9a-f]+)"
)
"""Lines that frame a message rather than say it: traceback and stack dump headers, frames."""
_ADDRESS = re.compile(r" \(0x[0-9a-f]+\)")
_RULE = re.compile(r"^-{20,}$")
"""Open MPI frames its help messages with rules of dashes."""


def last_meaningful_line(text: str) -> str:
    """The last line of a program's messages that says something.

    Skips blank lines, indented lines (traceback frames), stack dumps and VTK's closing
    ``FATL| Signal: SIGABRT``; VTK log lines are reduced to their message, without object
    addresses; terminal colour codes are removed. A message framed by rules of dashes (Open
    MPI's) gives its first paragraph, joined into one line.
    """
    lines = [_ANSI.sub("", raw) for raw in text.splitlines()]
    for index in range(len(lines) - 1, -1, -1):
        line = lines[index]
        stripped = line.strip()
        if _RULE.match(stripped):
            framed = _framed(lines[:index])
            if framed:
                return framed
            continue
        if not stripped or line.startswith((" ", "\t")) or _NOISE.match(stripped):
            continue
        logged = _LOGURU.match(stripped)
        if logged:
            if logged["level"] == "FATL" and logged["message"].startswith("Signal:"):
                continue
            stripped = logged["message"].strip()
        return _ADDRESS.sub("", stripped)
    return ""


def _framed(lines: list[str]) -> str:
    """The first paragraph after the last rule of ``lines`` (which end before a closing rule)."""
    for start in range(len(lines) - 1, -1, -1):
        if _RULE.match(lines[start].strip()):
            paragraph: list[str] = []
            for line in lines[start + 1 :]:
                if not line.strip():
                    break
                paragraph.append(line.strip())
            return " ".join(paragraph)
    return ""
