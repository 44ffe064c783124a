"""Where limits count: the one factory for ``MIXCAST_RATELIMIT_URL``."""

from __future__ import annotations

import time
from typing import Any
from urllib.parse import parse_qsl, urlencode, urlsplit, urlunsplit

from limits.aio.storage import MemoryStorage
from limits.storage import storage_from_string

from mixcast.errors import ConfigError


def open_limits_storage(url: str) -> Any:
    """The one factory for limit storage: ``memory://`` (this process) or ``redis://…``.
    A ``prefix`` query parameter (``redis://host:6379/0?prefix=site1``) names the keys, so
    several deployments can share one Redis."""
    if url in ("", "memory://"):
        return SweepingMemoryStorage()
    if is_redis(url):
        plain, prefix = split_prefix(url)
        # redis-py with hiredis: about half the client CPU per command of limits' default
        # (coredis), measured with bench/actions.py.
        return storage_from_string("async+" + plain, key_prefix=prefix, implementation="redispy")
    raise ConfigError(f"MIXCAST_RATELIMIT_URL must be memory:// or redis://…: {url!r}")


class SweepingMemoryStorage(MemoryStorage):
    """``limits``' in-memory storage, sweeping expired keys at most once a second.

    Its ``incr`` starts a task that walks every key whenever the last one has finished, which
    under load is once per request and was a fifth of a follow request's CPU (bench/actions.py).
    Counts and expiry are unchanged: ``get`` drops an expired key when it is read; the sweep
    only bounds the memory held by keys nobody reads again.
    """

    SWEEP_SECONDS = 1.0

    def __init__(self) -> None:
        super().__init__()
        self._last_sweep = 0.0

    async def _MemoryStorage__schedule_expiry(self) -> None:
        now = time.monotonic()
        if now - self._last_sweep >= self.SWEEP_SECONDS:
            self._last_sweep = now
            await super()._MemoryStorage__schedule_expiry()  # type: ignore[misc]


def is_redis(url: str) -> bool:
    return url.startswith(("redis://", "rediss://"))


def split_prefix(url: str) -> tuple[str, str]:
    """``redis://host/0?prefix=site1`` -> (``redis://host/0``, ``site1``); "mixcast" when the
    URL names no prefix."""
    parts = urlsplit(url)
    query = parse_qsl(parts.query)
    prefix = dict(query).get("prefix", "mixcast")
    rest = urlencode([(k, v) for k, v in query if k != "prefix"])
    return urlunsplit(parts._replace(query=rest)), prefix
