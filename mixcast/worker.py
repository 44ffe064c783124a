"""The background jobs, by name: the one module that knows them all (as ``app.py`` knows every
route). Each is an async function of the app's ``Services``:

- ``process_show(show_id)``: the media pipeline (``uploads.pipeline``), retried when storage is
  away;
- ``publish_scheduled`` (every minute): scheduled shows whose time has come
  (``shows.publishing``);
- ``resend_unfinished`` (every minute, and once as ``resend_unfinished_now`` when a consumer
  starts): shows whose job was lost (a worker killed mid-job, a server killed before sending
  it) get it sent again (``uploads.sweep``); a cheap query on a partial index;
- ``sweep`` (every 10 minutes): leftovers of crashes on disk and in storage
  (``uploads.sweep``).

Consumers: threads inside each server process (``MIXCAST_JOB_WORKERS``, default 1), or
``mixcast worker`` processes of their own at scale (then set ``MIXCAST_JOB_WORKERS=0`` on the
servers). Periodic jobs run in every consumer with periodic tasks on; each is idempotent.
"""

from __future__ import annotations

import logging
import time
from typing import TYPE_CHECKING, Any

from mixcast.clock import now_us
from mixcast.media.audio import LAME
from mixcast.shows.publishing import publish_due
from mixcast.uploads.pipeline import process_show
from mixcast.uploads.sweep import sweep_local, sweep_orphan_originals, unfinished_shows

if TYPE_CHECKING:
    from mixcast.jobs.queue import JobQueue
    from mixcast.services import Services

log = logging.getLogger("mixcast.worker")

PROCESS_SHOW = "process_show"
RESEND_NOW = "resend_unfinished_now"


async def run_process_show(services: Services, show_id: int) -> str | None:
    settings = services.settings
    root = settings.tmp_dir / "jobs"
    lease_us = settings.job_lease * 1_000_000
    return await process_show(services.db, services.store, root, show_id, lease_us=lease_us)


async def run_publish_scheduled(services: Services) -> int:
    return await publish_due(services.db, now_us())


async def run_resend_unfinished(services: Services) -> int:
    """Send again the jobs of shows that seem forgotten; return how many."""
    resend = await unfinished_shows(services.db, now_us())
    for show_id in resend:
        services.jobs.send(PROCESS_SHOW, show_id)
    if resend:
        log.info("sent the jobs of %s unfinished show(s) again", len(resend))
    return len(resend)


async def run_sweep(services: Services) -> dict[str, int]:
    """Every kind of leftover on this machine's disk and in storage."""
    done = {
        "local": sweep_local(services.settings.tmp_dir),
        "originals": await sweep_orphan_originals(services.db, services.store, time.time()),
    }
    if any(done.values()):
        log.info("sweep: %s", done)
    return done


def start_jobs(services: Services) -> Any:
    """At a server's start: clear this machine's leftovers, then start the in-process consumer
    (``MIXCAST_JOB_WORKERS`` threads; none when 0), with a re-send of lost jobs queued, and
    return it, for stopping at shutdown."""
    removed = sweep_local(services.settings.tmp_dir)
    if removed:
        log.info("removed %s leftover upload and job files", removed)
    workers = services.settings.job_workers
    if workers <= 0:
        return None
    log.info("media pipeline: %s, MP3 encoding with LAME: %s", f"{workers} thread(s)", LAME)
    services.jobs.send(RESEND_NOW)  # a show whose worker died is taken over now, not later
    consumer = services.jobs.consumer(workers, periodic=True, in_process=True)
    consumer.start()
    return consumer


def register_jobs(queue: JobQueue) -> None:
    queue.task(PROCESS_SHOW, run_process_show, retries=5, retry_delay=60)
    queue.task(RESEND_NOW, run_resend_unfinished)
    queue.periodic("publish_scheduled", run_publish_scheduled, minute="*")
    queue.periodic("resend_unfinished", run_resend_unfinished, minute="*")
    queue.periodic("sweep", run_sweep, minute="*/10")
