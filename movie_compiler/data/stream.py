"""Overlap reading with writing, and show how it goes."""

from __future__ import annotations

import queue
import threading
from collections.abc import Generator, Iterator
from types import TracebackType
from typing import Any, TypeVar

from movie_compiler.logs import progress_enabled

T = TypeVar("T")

_END = object()


def prefetch(items: Iterator[T], depth: int) -> Iterator[T]:
    """Run ``items`` in a reader thread, at most ``depth`` items ahead of the consumer.

    An exception in the reader is raised in the consumer. When the consumer stops early, the
    reader stops too and ``items`` is closed (its files with it).
    """
    box: queue.Queue[tuple[Any, BaseException | None]] = queue.Queue(maxsize=depth)
    stop = threading.Event()

    def put(entry: tuple[Any, BaseException | None]) -> bool:
        while not stop.is_set():
            try:
                box.put(entry, timeout=0.1)
                return True
            except queue.Full:
                continue
        return False

    def run() -> None:
        try:
            for item in items:
                if not put((item, None)):
                    return
            put((_END, None))
        except BaseException as exc:  # handed to the consumer
            put((None, exc))

    reader = threading.Thread(target=run, name="slice-reader", daemon=True)
    reader.start()
    try:
        while True:
            item, error = box.get()
            if error is not None:
                raise error
            if item is _END:
                return
            yield item
    finally:
        stop.set()
        while reader.is_alive():
            try:
                box.get(timeout=0.1)
            except queue.Empty:
                continue
        reader.join()
        if isinstance(items, Generator):
            items.close()


class Progress:
    """A progress bar of slices and MB/s on standard error (only when logs show INFO on a
    terminal, see :func:`movie_compiler.logs.progress_enabled`)."""

    def __init__(self, slices: int, slice_bytes: int, start: int = 0) -> None:
        self.slices = slices
        self.slice_bytes = slice_bytes
        self.done = start
        self.bar: Any = None
        self.task: Any = None

    def __enter__(self) -> Progress:
        if progress_enabled():
            from rich.console import Console
            from rich.progress import (
                BarColumn,
                TextColumn,
                TimeRemainingColumn,
                TransferSpeedColumn,
            )
            from rich.progress import Progress as Bar

            self.bar = Bar(
                TextColumn("converting"),
                BarColumn(),
                TextColumn("{task.fields[slices]} slices"),
                TransferSpeedColumn(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
            )
            self.bar.start()
            self.task = self.bar.add_task(
                "convert",
                total=self.slices * self.slice_bytes,
                completed=self.done * self.slice_bytes,
                slices=self._text(),
            )
        return self

    def advance(self) -> None:
        self.done += 1
        if self.bar is not None:
            self.bar.update(self.task, advance=self.slice_bytes, slices=self._text())

    def _text(self) -> str:
        return f"{self.done}/{self.slices}"

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        trace: TracebackType | None,
    ) -> None:
        if self.bar is not None:
            self.bar.stop()
