"""The uploader's progress bar: percent, MiB sent, the rate over the last seconds and the time
left, redrawn in place on a terminal or printed at every tenth elsewhere."""

from __future__ import annotations

import math
import time
from collections import deque
from collections.abc import Callable
from typing import TextIO

MiB = 1024 * 1024


def clock_time(seconds: float) -> str:
    """``0:07``, ``12:34``, ``1:02:03``."""
    whole = round(seconds)
    hours, rest = divmod(whole, 3600)
    minutes, secs = divmod(rest, 60)
    return f"{hours}:{minutes:02d}:{secs:02d}" if hours else f"{minutes}:{secs:02d}"


class ProgressBar:
    """``progress(sent, total)`` for ``post_multipart``, drawn on ``stream``: a terminal gets
    one line redrawn with ``\\r`` (at most ten times a second), anything else (a CI log) a line
    at every tenth. Each shows percent, MiB sent of total, the rate over the last
    ``WINDOW`` seconds (smooth, yet quick to follow a change of speed) and the time left;
    the end is one line with the total time and the mean rate."""

    WINDOW = 5.0
    WIDTH = 24

    def __init__(
        self, stream: TextIO, *, tty: bool, clock: Callable[[], float] = time.monotonic
    ) -> None:
        self._stream = stream
        self._tty = tty
        self._clock = clock
        self._start = clock()
        # The rate's window opens at the first piece sent, not here: connecting and waiting
        # for 100 Continue are not the line's speed.
        self._samples: deque[tuple[float, int]] = deque()
        self._drawn_at = -math.inf
        self._width = 0  # of the last line drawn, to blank what a shorter one leaves
        self._next_tenth = 1
        self._open = False  # a terminal line is drawn and not ended

    def rate(self) -> float | None:
        """Bytes per second over the window, None before there is any time to measure."""
        if not self._samples:
            return None
        (t0, b0), (t1, b1) = self._samples[0], self._samples[-1]
        return (b1 - b0) / (t1 - t0) if t1 > t0 else None

    def line(self, sent: int, total: int) -> str:
        rate = self.rate()
        speed = f"{rate / MiB:.1f} MiB/s" if rate else "-- MiB/s"
        eta = clock_time((total - sent) / rate) if rate else "--:--"
        percent = sent * 100 // total if total else 100
        text = f"{percent:3d}%  {sent / MiB:.1f}/{total / MiB:.1f} MiB  {speed}  ETA {eta}"
        if self._tty:
            filled = self.WIDTH * sent // total if total else self.WIDTH
            text = f"[{'#' * filled}{' ' * (self.WIDTH - filled)}] " + text
        return text

    def __call__(self, sent: int, total: int) -> None:
        now = self._clock()
        self._samples.append((now, sent))
        while len(self._samples) > 2 and now - self._samples[1][0] >= self.WINDOW:
            self._samples.popleft()
        if sent >= total:
            return self._end(sent, now)
        if self._tty:
            if now - self._drawn_at >= 0.1:
                self._draw(self.line(sent, total))
                self._drawn_at = now
        elif sent * 10 // total >= self._next_tenth:
            self._next_tenth = sent * 10 // total + 1
            print(self.line(sent, total), file=self._stream, flush=True)

    def _draw(self, text: str) -> None:
        self._stream.write("\r" + text + " " * max(0, self._width - len(text)))
        self._stream.flush()
        self._width = len(text)
        self._open = True

    def _end(self, total: int, now: float) -> None:
        took = now - self._start
        mean = f"{total / MiB / took:.1f} MiB/s" if took > 0 else "-- MiB/s"
        spent = f"{took:.1f} s" if took < 60 else clock_time(took)
        text = f"sent {total / MiB:.1f} MiB in {spent} ({mean})"
        if self._tty:
            self._draw(text)
            self.close()
        else:
            print(text, file=self._stream, flush=True)

    def close(self) -> None:
        """End a terminal line left open (the server answered before the end)."""
        if self._open:
            self._stream.write("\n")
            self._stream.flush()
            self._open = False
