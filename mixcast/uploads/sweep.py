"""Clearing up after crashes, so nothing is lost or half-made:

- upload bodies and job scratch folders left on this machine's disk by a process that died
  (SIGKILL mid-upload): their names carry the process id (``uploads.tempfiles``); at every
  start and by the periodic ``sweep`` (every 10 minutes);
- originals stored by an upload whose show was never created (a crash between storing and the
  commit): deleted once an hour old, from the last ``ORPHAN_HOURS`` hours of keys (``sweep``);
- shows whose job was never sent or whose worker died: ``received`` for a minute, or
  ``processing`` past their lease (``unfinished_shows``, for the caller to send their jobs
  again: the ``resend_unfinished`` job, every minute and at every consumer's start).
"""

from __future__ import annotations

import shutil
import time
from pathlib import Path

import anyio

from mixcast.db.database import Database, Query
from mixcast.storage import BlobStore
from mixcast.storage.base import BlobInfo
from mixcast.uploads.tempfiles import process_alive, sweep_temp_files

ORPHAN_MIN_AGE = 3600.0  # seconds: an upload stores its original and commits within this
ORPHAN_HOURS = 48
RESEND_AFTER_US = 60 * 1_000_000

# The first condition is the partial index's predicate word for word (SQLite uses it only then).
# A processing show is re-sent as soon as its lease has passed: the lease is renewed while its
# run is alive, however long it has been processing.
_UNFINISHED = Query(
    """
    SELECT id FROM shows
    WHERE (status = 'received' OR status = 'processing')
      AND ((status = 'received' AND updated_at < :quiet)
           OR (status = 'processing' AND lease_until < :now))
    ORDER BY updated_at LIMIT 500
    """
)
_REFERENCED = Query(
    "SELECT original_blob AS blob FROM shows WHERE original_blob IN :keys"
    " UNION SELECT picture_blob FROM shows WHERE picture_blob IN :keys"
)


async def unfinished_shows(db: Database, now: int) -> list[int]:
    """Shows the pipeline should be working on but, it seems, is not."""
    async with db.reading() as conn:
        rows = await conn.fetch_all(_UNFINISHED, {"now": now, "quiet": now - RESEND_AFTER_US})
    return [row["id"] for row in rows]


async def sweep_orphan_originals(db: Database, store: BlobStore, now_s: float) -> int:
    """Delete stored originals that no show references, an hour after they were stored."""
    hours = [
        "originals/" + time.strftime("%Y%m%d%H", time.gmtime(now_s - 3600 * h))
        for h in range(ORPHAN_HOURS)
    ]
    deleted = 0
    for prefix in hours:
        blobs = await anyio.to_thread.run_sync(_listing, store, prefix + "/")
        old = [b.key for b in blobs if now_s - b.modified >= ORPHAN_MIN_AGE]
        for start in range(0, len(old), 500):
            keys = old[start : start + 500]
            async with db.reading() as conn:
                used = {r["blob"] for r in await conn.fetch_all(_REFERENCED, {"keys": keys})}
            for key in keys:
                if key not in used:
                    await anyio.to_thread.run_sync(store.delete, key)
                    deleted += 1
    return deleted


def _listing(store: BlobStore, prefix: str) -> list[BlobInfo]:
    return list(store.list(prefix))


def sweep_job_dirs(root: Path) -> int:
    """Remove ``job-<pid>-…`` scratch folders whose process is gone."""
    removed = 0
    if not root.is_dir():
        return 0
    for entry in root.iterdir():
        parts = entry.name.split("-")
        if len(parts) < 3 or parts[0] != "job" or not parts[1].isdigit():
            continue
        if not process_alive(int(parts[1])):
            shutil.rmtree(entry, ignore_errors=True)
            removed += 1
    return removed


def sweep_local(tmp_root: Path) -> int:
    """This machine's leftovers: upload bodies and job folders of dead processes."""
    return sweep_temp_files(tmp_root / "uploads") + sweep_job_dirs(tmp_root / "jobs")
