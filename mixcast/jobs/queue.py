"""The persistent job queue: huey, on SQLite by default and on Redis (or PostgreSQL) at scale.

``MIXCAST_QUEUE_URL`` picks the storage, parsed only here (``open_huey``):

- ``sqlite:///path/jobs.db``, the default (``<data dir>/jobs.db``): one machine, any number of
  processes; jobs survive restarts.
- ``redis://host:6379/0``: several machines; jobs survive restarts as long as Redis keeps them.
- ``postgresql://…``: the queue in a PostgreSQL database.

Jobs are async functions ``fn(context, *args)``, where the context is whatever
``open_context()`` gives (the app's ``Services``); they are registered by name
(``JobQueue.task``/``periodic``) by the one module that knows them all (``mixcast.worker``).
Huey runs its tasks in threads: each consumer thread keeps its own event loop and its own
context (database pool, storage client), opened on its first job and closed when it stops.

Jobs are sent only after the transaction that made their data has committed (the caller's
job), so no job runs for rows that were rolled back. A job may run more than once (a retry, a
sweep re-sending it, a worker killed mid-job): every job is idempotent.
"""

from __future__ import annotations

import asyncio
import logging
import threading
from collections.abc import Awaitable, Callable
from pathlib import Path
from typing import Any

from huey import PostgresHuey, RedisHuey, SqliteHuey, crontab
from huey.api import Huey
from huey.consumer import Consumer

from mixcast.errors import ConfigError

log = logging.getLogger("mixcast.jobs")

Job = Callable[..., Awaitable[object]]


def open_huey(url: str) -> Huey:
    """The huey instance for a queue URL; results are not kept (nobody waits on a job)."""
    options: dict[str, Any] = {"name": "mixcast", "results": False, "utc": True}
    if url.startswith("sqlite:///"):
        path = Path(url.removeprefix("sqlite:///"))
        path.parent.mkdir(parents=True, exist_ok=True)
        return SqliteHuey(filename=str(path), **options)
    if url.startswith(("redis://", "rediss://", "unix://")):
        return RedisHuey(url=url, **options)
    if url.startswith(("postgresql://", "postgres://")):
        return PostgresHuey(dsn=url, **options)
    raise ConfigError(f"MIXCAST_QUEUE_URL: unsupported queue URL scheme in {url.split(':')[0]!r}")


class _InProcessConsumer(Consumer):  # type: ignore[misc]
    """A consumer whose threads run inside a server process: the server owns the signals."""

    def _set_signal_handlers(self) -> None:
        pass


class JobQueue:
    """Named async jobs on a huey queue: ``send`` them, consume them in threads, or run the
    pending ones on the caller's own event loop (``run_pending``)."""

    def __init__(self, url: str, open_context: Callable[[], Awaitable[Any]]) -> None:
        self.huey = open_huey(url)
        self._open_context = open_context
        self._jobs: dict[str, Job] = {}
        self._tasks: dict[str, Any] = {}
        self._local = threading.local()
        self._contexts: list[tuple[asyncio.AbstractEventLoop, Any]] = []
        self._lock = threading.Lock()
        self.huey.on_shutdown(name="mixcast-close-context")(self._close_thread_context)

    # ---------------------------------------------------------------- registering

    def task(self, name: str, job: Job, *, retries: int = 0, retry_delay: int = 0) -> None:
        """Register ``job(context, *args)`` under ``name``; ``send(name, …)`` queues a run."""
        self._jobs[name] = job
        self._tasks[name] = self.huey.task(name=name, retries=retries, retry_delay=retry_delay)(
            self._runner(name, job)
        )

    def periodic(self, name: str, job: Job, **when: str) -> None:
        """Register ``job(context)`` to run on a schedule (huey ``crontab`` fields, such as
        ``minute="*"``), by the consumers started with periodic tasks on."""
        self._jobs[name] = job
        self.huey.periodic_task(crontab(**when), name=name)(self._runner(name, job))

    def _runner(self, name: str, job: Job) -> Callable[..., object]:
        def run(*args: Any) -> object:  # in a huey consumer thread
            loop, context = self._thread_context()
            return loop.run_until_complete(job(context, *args))

        run.__name__ = run.__qualname__ = name
        return run

    # ---------------------------------------------------------------- sending and running

    def send(self, name: str, *args: Any) -> None:
        """Queue a run of the job ``name`` (after the data it needs has been committed)."""
        self._tasks[name](*args)

    def pending(self) -> int:
        return int(self.huey.pending_count())

    async def run_pending(self, context: Any) -> int:
        """Run every queued job here, on the caller's event loop with ``context``, until the
        queue is empty; return how many ran. For tests and ``mixcast worker --once``; a job's
        error propagates (no retries here)."""
        ran = 0
        while (task := self.huey.dequeue()) is not None:
            await self._jobs[task.name](context, *task.args)
            ran += 1
        return ran

    def consumer(self, workers: int, *, periodic: bool = True, in_process: bool = True) -> Any:
        """A huey consumer with ``workers`` threads; ``start()`` it, ``stop(graceful=True)``."""
        cls = _InProcessConsumer if in_process else Consumer
        return cls(
            self.huey,
            workers=workers,
            periodic=periodic,
            worker_type="thread",
            initial_delay=0.1,
            max_delay=1.0,
            check_worker_health=not in_process,
            # SIGTERM (what systemd and container runtimes send) lets running jobs finish; a
            # job cut short anyway (SIGKILL) is taken over once its lease ends.
            graceful_signal="TERM",
        )

    # ---------------------------------------------------------------- per-thread context

    def _thread_context(self) -> tuple[asyncio.AbstractEventLoop, Any]:
        state = getattr(self._local, "state", None)
        if state is None:
            loop = asyncio.new_event_loop()
            context = loop.run_until_complete(self._open_context())
            state = self._local.state = (loop, context)
            with self._lock:
                self._contexts.append(state)
        return state

    def _close_thread_context(self) -> None:
        state = getattr(self._local, "state", None)
        if state is None:
            return
        self._local.state = None
        with self._lock:
            self._contexts.remove(state)
        loop, context = state
        try:
            loop.run_until_complete(context.close())
        except Exception:
            log.exception("closing a job thread's services failed")
        finally:
            loop.close()
