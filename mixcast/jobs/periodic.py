"""A small in-process periodic task: run a job now, then every ``interval`` seconds.

The app's lifespan starts one for the ranking refresh (``MIXCAST_RANK_INTERVAL``) and stops it
at shutdown. A failure is logged and the next run comes on schedule; runs never overlap (the
interval counts from the end of one run). Stopping cancels a run in progress: its open
transaction rolls back, and the next start simply runs it again.

This is a stopgap: when the persistent queue (huey) arrives, these become huey periodic tasks,
which also run once per site rather than once per server process.
"""

from __future__ import annotations

import asyncio
import logging
from collections.abc import Awaitable, Callable

log = logging.getLogger("mixcast.jobs")


class Periodic:
    """``job()`` at start, then every ``interval`` seconds after each run ends, until stopped."""

    def __init__(self, name: str, interval: float, job: Callable[[], Awaitable[object]]) -> None:
        if interval <= 0:
            raise ValueError("a periodic job needs an interval above 0")
        self.name = name
        self.interval = interval
        self.job = job
        self.runs = 0  # finished runs, failed ones included
        self.failures = 0
        self._task: asyncio.Task[None] | None = None

    def start(self) -> Periodic:
        if self._task is None:
            self._task = asyncio.create_task(self._loop(), name=f"periodic:{self.name}")
        return self

    async def _loop(self) -> None:
        while True:
            try:
                result = await self.job()
            except Exception:
                self.failures += 1
                log.exception("%s failed; next run in %s s", self.name, self.interval)
            else:
                if result is not None:
                    log.info("%s: %s", self.name, result)
            self.runs += 1
            await asyncio.sleep(self.interval)

    async def stop(self) -> None:
        """Cancel the task and wait for it to finish (a run in progress rolls back)."""
        task, self._task = self._task, None
        if task is None:
            return
        task.cancel()
        await asyncio.wait([task])  # returns once it has ended; its CancelledError stays there
