"""Progress of a render: a rich bar on a terminal, or a log line now and then."""

from __future__ import annotations

import logging
import time
from types import TracebackType

from rich.console import Console
from rich.progress import (
    BarColumn,
    MofNCompleteColumn,
    Progress,
    ProgressColumn,
    Task,
    TextColumn,
    TimeRemainingColumn,
)
from rich.text import Text

log = logging.getLogger(__name__)

LOG_INTERVAL = 10.0
"""Seconds between two progress lines in the log."""


class _FramesPerSecond(ProgressColumn):
    """``2.4 frames/s``, from rich's moving estimate of the speed."""

    def render(self, task: Task) -> Text:
        speed = task.finished_speed or task.speed
        return Text("" if speed is None else f"{speed:.2f} frames/s", style="progress.data.speed")


class FrameProgress:
    """Counts frames as the script reports them; shows a bar or logs now and then."""

    def __init__(self, total: int, *, bar: bool) -> None:
        self.total = total
        self.done = 0
        self.started = time.monotonic()
        self._last_log = self.started
        self._progress: Progress | None = None
        self._task = None
        if bar:
            self._progress = Progress(
                TextColumn("{task.description}"),
                BarColumn(),
                MofNCompleteColumn(),
                _FramesPerSecond(),
                TimeRemainingColumn(),
                console=Console(stderr=True),
                transient=False,
            )
            self._task = self._progress.add_task("starting ParaView", total=total)

    def __enter__(self) -> FrameProgress:
        if self._progress is not None:
            self._progress.start()
        return self

    def __exit__(
        self,
        kind: type[BaseException] | None,
        error: BaseException | None,
        traceback: TracebackType | None,
    ) -> None:
        if self._progress is not None:
            self._progress.stop()

    def started_rendering(self, renderer: str) -> None:
        """The script has loaded the data and starts drawing with ``renderer``."""
        if self._progress is not None and self._task is not None:
            self._progress.update(self._task, description=f"rendering ({renderer})")
        else:
            log.info("rendering %d frames with %s", self.total, renderer)

    def frame_done(self) -> None:
        """One more frame is on disk."""
        now = time.monotonic()
        self.done += 1
        if self._progress is not None and self._task is not None:
            self._progress.advance(self._task)
        elif now - self._last_log >= LOG_INTERVAL or self.done == self.total:
            self._last_log = now
            log.info("rendered %d/%d frames%s", self.done, self.total, self._rate(now))

    def _rate(self, now: float) -> str:
        elapsed = now - self.started
        if self.done == 0 or elapsed <= 0:
            return ""
        rate = self.done / elapsed
        left = (self.total - self.done) / rate
        return (
            f" ({rate:.2f} frames/s, {_duration(left)} left)"
            if left > 0
            else (f" in {_duration(elapsed)} ({rate:.2f} frames/s)")
        )


def _duration(seconds: float) -> str:
    """``42 s``, ``3 min 05 s``, ``1 h 02 min``."""
    whole = round(seconds)
    if whole < 60:
        return f"{whole} s"
    if whole < 3600:
        return f"{whole // 60} min {whole % 60:02d} s"
    return f"{whole // 3600} h {whole % 3600 // 60:02d} min"
