"""Logging and progress: one place decides what reaches the terminal."""

from __future__ import annotations

import logging
import re
import sys

LOGGER_NAME = "movie_compiler"


LONG_WORD = re.compile(r"[^\s:'\"]{241,}")
"""A path or value too long to show whole (a 10,000-character path)."""


def shorten(text: str) -> str:
    """``text`` with every run of more than 240 non-blank characters shown by its ends:
    ``/data/aaa...(10012 characters)...aaa/brain.h5``."""
    return LONG_WORD.sub(
        lambda m: f"{m.group(0)[:100]}...({len(m.group(0))} characters)...{m.group(0)[-100:]}",
        text,
    )


class _Formatter(logging.Formatter):
    def format(self, record: logging.LogRecord) -> str:
        message = shorten(record.getMessage())
        if record.levelno >= logging.ERROR:
            return f"error: {message}"
        if record.levelno >= logging.WARNING:
            return f"warning: {message}"
        return message


def setup_logging(*, quiet: bool = False, verbose: bool = False) -> None:
    """Send the package's log records to standard error, one line each."""
    logger = logging.getLogger(LOGGER_NAME)
    for handler in list(logger.handlers):
        logger.removeHandler(handler)
    handler = logging.StreamHandler(sys.stderr)
    handler.setFormatter(_Formatter())
    logger.addHandler(handler)
    logger.setLevel(logging.DEBUG if verbose else logging.WARNING if quiet else logging.INFO)
    logger.propagate = False


def progress_enabled() -> bool:
    """A progress bar only when the log shows INFO and standard error is a terminal."""
    return logging.getLogger(LOGGER_NAME).isEnabledFor(logging.INFO) and sys.stderr.isatty()
