"""The long-lived parts a running app shares: settings, the database, blob storage, the rate
limits and the job queue.

Opened once per process (``open_services``) in the app's lifespan, closed when it stops.
"""

from __future__ import annotations

import logging
from dataclasses import dataclass
from functools import partial
from typing import Any

from mixcast.db.database import Database, connect
from mixcast.db.urls import DatabaseURL
from mixcast.jobs.queue import JobQueue
from mixcast.pictures.store import ensure_defaults
from mixcast.ratelimit import RateLimiter, open_limits_storage
from mixcast.ratelimit.storage import is_redis
from mixcast.settings import Settings
from mixcast.storage import BlobStore, open_store
from mixcast.storage.base import StorageUnavailable
from mixcast.worker import register_jobs

log = logging.getLogger("mixcast")


@dataclass
class Services:
    settings: Settings
    db: Database
    store: BlobStore
    limits: Any  # the ``limits`` storage every throttle and rate limit counts in
    rate_limiter: RateLimiter  # the API's and the token exchange's limits per kind
    jobs: JobQueue  # send background jobs (mixcast.worker) after committing their data

    async def close(self) -> None:
        self.rate_limiter.close()
        await self.db.close()


async def open_services(settings: Settings) -> Services:
    store = open_store(settings.effective_storage_url)
    try:
        ensure_defaults(store)
    except StorageUnavailable:  # serve what can be served; pictures come back with storage
        log.warning("storage is unavailable; the default pictures were not checked")
    db = await connect(DatabaseURL.parse(settings.effective_database_url))
    limits = open_limits_storage(settings.ratelimit_url)
    redis_url = settings.ratelimit_url if is_redis(settings.ratelimit_url) else ""
    rate_limiter = RateLimiter(limits, settings.rate_limits, redis_url)
    return Services(
        settings=settings,
        db=db,
        store=store,
        limits=limits,
        rate_limiter=rate_limiter,
        jobs=open_job_queue(settings),
    )


def open_job_queue(settings: Settings) -> JobQueue:
    """The queue with every job registered; its consumers' threads open their own services."""
    jobs = JobQueue(settings.effective_queue_url, partial(open_services, settings))
    register_jobs(jobs)
    return jobs
