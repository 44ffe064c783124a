"""The media pipeline: one job per uploaded show, ``received → processing → ready | failed``.

``process_show`` claims the show (``processing``, with a lease), then makes what is missing:

1. the streaming rendition (MP3, 128 kbit/s CBR: ``media.audio``) and the waveform peaks
   (audiowaveform JSON), both from one decode of the original; the exact duration becomes
   ``audio_length``;
2. the picture renditions, every size of the show's ``pictures`` map, cut from the uploaded
   picture (which is then deleted; the audio original is kept).

Each step is committed as it finishes and skipped when its result is already on the row, so a
job run again (a retry, the sweep re-sending it after a worker died, a duplicate) redoes only
what was not finished. Storage keys are fixed per show (``shows/<id>/…``), so a step redone
overwrites, never leaks. Then the show is ``ready`` and, if its visibility allows, listed
(``shows.listing``). A bad file fails the show with its reason on the row; storage being away
puts the show back to ``received`` and raises, so the queue retries later.
"""

from __future__ import annotations

import json
import logging
import os
import tempfile
from collections.abc import Callable
from pathlib import Path

import anyio

from mixcast.clock import now_us
from mixcast.db.database import Database, Query, Row
from mixcast.errors import AppError
from mixcast.media.artwork import make_renditions
from mixcast.media.audio import make_rendition
from mixcast.pictures.store import save_picture
from mixcast.shows.listing import refresh_listing
from mixcast.storage import BlobStore
from mixcast.storage.base import StorageUnavailable

log = logging.getLogger("mixcast.pipeline")

LEASE_US = 30 * 60 * 1_000_000  # a claim outlives any one run; a dead worker's expires

_CLAIM = Query(
    """
    UPDATE shows SET status = 'processing', lease_until = :until, updated_at = :now
    WHERE id = :id AND (status = 'received' OR (status = 'processing' AND lease_until < :now))
    """
)
_ROW = Query(
    "SELECT id, original_blob, stream_blob, waveform_blob, picture_blob, picture_id"
    " FROM shows WHERE id = :id"
)
_SET_MEDIA = Query(
    "UPDATE shows SET stream_blob = :stream, waveform_blob = :waveform, audio_length = :seconds"
    " WHERE id = :id AND status = 'processing'"
)
_SET_PICTURE = Query(
    "UPDATE shows SET picture_id = :picture, picture_blob = NULL"
    " WHERE id = :id AND status = 'processing'"
)
_READY = Query(
    "UPDATE shows SET status = 'ready', lease_until = NULL, failure_reason = NULL,"
    " updated_at = :now WHERE id = :id AND status = 'processing'"
)
_FAILED = Query(
    "UPDATE shows SET status = 'failed', lease_until = NULL, failure_reason = :reason,"
    " updated_at = :now WHERE id = :id AND status = 'processing'"
)
_RELEASE = Query(
    "UPDATE shows SET status = 'received', lease_until = NULL"
    " WHERE id = :id AND status = 'processing'"
)


def stream_key(show_id: int) -> str:
    return f"shows/{show_id}/stream.mp3"


def waveform_key(show_id: int) -> str:
    return f"shows/{show_id}/waveform.json"


def job_dir(root: Path) -> tempfile.TemporaryDirectory[str]:
    """A job's scratch folder, named after this process so the sweep knows a dead one's."""
    root.mkdir(parents=True, exist_ok=True)
    return tempfile.TemporaryDirectory(prefix=f"job-{os.getpid()}-", dir=root)


async def process_show(
    db: Database,
    store: BlobStore,
    work_root: Path,
    show_id: int,
    clock: Callable[[], int] = now_us,
) -> str | None:
    """Make the show's media; return its final status, or None when another run holds it (or
    it is finished, or gone)."""
    now = clock()
    async with db.transaction() as tx:
        if not await tx.execute(_CLAIM, {"id": show_id, "now": now, "until": now + LEASE_US}):
            return None
        row = await tx.fetch_one(_ROW, {"id": show_id})
    assert row is not None
    try:
        with job_dir(work_root) as scratch:
            await _make_stream(db, store, row, Path(scratch))
            await _make_pictures(db, store, row, clock)
    except StorageUnavailable:
        async with db.transaction() as tx:
            await tx.execute(_RELEASE, {"id": show_id})
        raise
    except AppError as error:  # the file itself is the problem: tell its owner why
        await _finish(db, show_id, _FAILED, clock(), error.message)
        return "failed"
    except Exception:
        log.exception("processing show %s failed", show_id)
        await _finish(db, show_id, _FAILED, clock(), "Processing failed on the server.")
        return "failed"
    await _finish(db, show_id, _READY, clock())
    return "ready"


async def _finish(
    db: Database, show_id: int, query: Query, now: int, reason: str | None = None
) -> None:
    params: dict[str, object] = {"id": show_id, "now": now}
    if reason is not None:
        params["reason"] = reason
    async with db.transaction() as tx:
        if await tx.execute(query, params):
            await refresh_listing(tx, show_id, now)


async def _make_stream(db: Database, store: BlobStore, row: Row, scratch: Path) -> None:
    show_id = row["id"]
    if row["stream_blob"] and row["waveform_blob"]:
        return
    original = store.local_path(row["original_blob"])
    if original is None:  # remote storage: work on a local copy
        original = scratch / "original"
        await anyio.to_thread.run_sync(store.get_file, row["original_blob"], original)
    stream = scratch / "stream.mp3"
    rendition = await anyio.to_thread.run_sync(make_rendition, original, stream)
    peaks = json.dumps(rendition.peaks, separators=(",", ":")).encode()
    await anyio.to_thread.run_sync(lambda: store.put_file(stream_key(show_id), stream, move=True))
    await anyio.to_thread.run_sync(store.put_bytes, waveform_key(show_id), peaks)
    async with db.transaction() as tx:
        await tx.execute(
            _SET_MEDIA,
            {
                "id": show_id,
                "stream": stream_key(show_id),
                "waveform": waveform_key(show_id),
                "seconds": rendition.seconds,
            },
        )


async def _make_pictures(
    db: Database, store: BlobStore, row: Row, clock: Callable[[], int]
) -> None:
    if not row["picture_blob"] or row["picture_id"]:
        return
    data = await anyio.to_thread.run_sync(store.get_bytes, row["picture_blob"])
    renditions = await anyio.to_thread.run_sync(make_renditions, data, "extaudio")
    async with db.transaction() as tx:
        picture_id = await save_picture(tx, store, renditions, "extaudio", clock())
        await tx.execute(_SET_PICTURE, {"id": row["id"], "picture": picture_id})
    await anyio.to_thread.run_sync(store.delete, row["picture_blob"])
