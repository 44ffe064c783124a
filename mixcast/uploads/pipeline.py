"""The media pipeline: one job per uploaded show, ``received → processing → ready | failed``.

``process_show`` claims the show (``processing``, with a lease), then makes what is missing:

1. the streaming rendition (MP3, 128 kbit/s CBR: ``media.audio``) and the waveform peaks
   (audiowaveform JSON), both from one decode of the original; the exact duration becomes
   ``audio_length``;
2. the picture renditions, every size of the show's ``pictures`` map, cut from the uploaded
   picture (which is then deleted; the audio original is kept).

Each step is committed as it finishes and skipped when its result is already on the row, so a
job run again (a retry, the re-send of a show whose worker died, a duplicate) redoes only what
was not finished. Storage keys are fixed per show (``shows/<id>/…``), so a step redone
overwrites, never leaks. Then the show is ``ready`` and, if its visibility allows, listed
(``shows.listing``). A bad file fails the show with its reason on the row; storage (or the
database) being away, or the job folder full, puts the show back to ``received`` and raises, so
the queue retries later.

The lease is short (``MIXCAST_JOB_LEASE``, a minute) and a heartbeat renews it every quarter of
that while the run works (the decode runs in a thread, the heartbeat on the job's event loop),
so a slow run keeps its show and a dead worker's show is free a lease after it died. The
lease's end, ``lease_until``, is also the run's fencing token: every claim and renewal writes a
value later than any earlier one, and every write of a run happens in a transaction that first
renews the lease on the condition that ``lease_until`` still holds the run's value (``Lease``).
That UPDATE also locks the row until the commit. So a run that stalled past its lease and was
taken over writes nothing once it wakes: no media keys, no step, no ``ready`` or ``failed``;
the show becomes ready, and is listed, exactly once.
"""

from __future__ import annotations

import asyncio
import contextlib
import json
import logging
import os
import tempfile
from collections.abc import AsyncIterator, Callable
from contextlib import asynccontextmanager
from pathlib import Path

import anyio

from mixcast.clock import now_us
from mixcast.db.database import Connection, Database, Query, Row
from mixcast.errors import AppError, ServiceUnavailable
from mixcast.media.artwork import make_renditions
from mixcast.media.audio import make_rendition
from mixcast.pictures.store import save_picture
from mixcast.shows.listing import refresh_listing
from mixcast.storage import BlobStore
from mixcast.storage.base import out_of_space

log = logging.getLogger("mixcast.pipeline")

LEASE_US = 60 * 1_000_000  # MIXCAST_JOB_LEASE's default

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
# Every write below runs in a ``Lease.transaction()``, which has just renewed this run's lease
# (and so locked the row): they are conditional on ``processing`` only as a second guard.
_RENEW = Query(
    "UPDATE shows SET lease_until = :until"
    " WHERE id = :id AND status = 'processing' AND lease_until = :lease"
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


class LeaseLost(Exception):
    """Another run has taken the show over (this one stalled past its lease): stop, write
    nothing."""


class Lease:
    """A run's hold on its show, ``lease_until = until`` on the row (see the module's doc)."""

    def __init__(
        self, db: Database, show_id: int, until: int, lease_us: int, clock: Callable[[], int]
    ) -> None:
        self.db = db
        self.show_id = show_id
        self.until = until
        self.lease_us = lease_us
        self.clock = clock
        # The heartbeat's renewal and a step's transaction one at a time: each sends the
        # ``until`` it read, and the other's commit would change it under it.
        self._lock = asyncio.Lock()

    @asynccontextmanager
    async def transaction(self) -> AsyncIterator[Connection]:
        """A transaction in which the show is still this run's: it starts by renewing the
        lease, which locks the row until the commit; ``LeaseLost`` when the show is not ours."""
        async with self._lock:
            held = self.until
            until = max(self.clock() + self.lease_us, held + 1)  # never a value held before
            async with self.db.transaction() as tx:
                params = {"id": self.show_id, "lease": held, "until": until}
                if not await tx.execute(_RENEW, params):
                    raise LeaseLost(self.show_id)
                self.until = until
                try:
                    yield tx
                except BaseException:  # rolled back: the row holds the old value again
                    self.until = held
                    raise

    async def renew(self) -> None:
        async with self.transaction():
            pass

    @asynccontextmanager
    async def kept(self) -> AsyncIterator[None]:
        """Renew the lease every quarter of it while the body runs; a renewal that finds the
        show taken over ends the heartbeat (the run's next write raises ``LeaseLost``)."""
        stop = asyncio.Event()
        beat = asyncio.ensure_future(self._heartbeat(stop))
        try:
            yield
        finally:
            stop.set()  # not cancelled: a renewal in progress commits or rolls back whole
            await beat

    async def _heartbeat(self, stop: asyncio.Event) -> None:
        interval = self.lease_us / 4 / 1_000_000
        while True:
            try:
                await asyncio.wait_for(stop.wait(), interval)
                return
            except TimeoutError:
                pass
            try:
                await self.renew()
            except LeaseLost:
                log.warning("show %s was taken over by another run", self.show_id)
                return
            except Exception as error:  # the database away for a moment: there is time left
                log.warning("renewing the lease on show %s failed: %s", self.show_id, error)


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
    lease_us: int = LEASE_US,
) -> str | None:
    """Make the show's media; return its final status, or None when another run holds it (or
    took it over, or it is finished, or gone)."""
    now = clock()
    async with db.transaction() as tx:
        if not await tx.execute(_CLAIM, {"id": show_id, "now": now, "until": now + lease_us}):
            return None
        row = await tx.fetch_one(_ROW, {"id": show_id})
    assert row is not None
    lease = Lease(db, show_id, now + lease_us, lease_us, clock)
    try:
        try:
            async with lease.kept():
                with job_dir(work_root) as scratch:
                    await _make_stream(lease, store, row, Path(scratch))
                    await _make_pictures(lease, store, row)
        except LeaseLost:
            raise
        except Exception as error:
            if _passes(error):  # storage or the database away, the job folder full: retry
                if isinstance(error, OSError):
                    log.warning("show %s: the job folder %s is full", show_id, work_root)
                with contextlib.suppress(ServiceUnavailable):  # the database may be what is away
                    await _finish(lease, _RELEASE)
                raise
            if isinstance(error, AppError):  # the file itself is the problem: tell its owner why
                return await _finish(lease, _FAILED, error.message, "failed")
            log.exception("processing show %s failed", show_id)
            return await _finish(lease, _FAILED, "Processing failed on the server.", "failed")
        return await _finish(lease, _READY, status="ready")
    except LeaseLost:
        log.warning("show %s: another run took it over; this one stops", show_id)
        return None


def _passes(error: Exception) -> bool:
    """A state of the server that passes (the queue retries the job), not a fault of the file."""
    return isinstance(error, ServiceUnavailable) or (
        isinstance(error, OSError) and out_of_space(error)
    )


async def _finish(
    lease: Lease, query: Query, reason: str | None = None, status: str | None = None
) -> str | None:
    """The run's last write (ready, failed, or back to received) and the listing that
    follows from it, in one transaction; return ``status``."""
    now = lease.clock()
    params: dict[str, object] = {"id": lease.show_id, "now": now}
    if reason is not None:
        params["reason"] = reason
    async with lease.transaction() as tx:
        if not await tx.execute(query, params):
            return None
        await refresh_listing(tx, lease.show_id, now)
    return status


async def _make_stream(lease: Lease, store: BlobStore, row: Row, scratch: Path) -> None:
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
    # Still ours? Only the lease holder writes the show's keys: a run taken over stops here
    # rather than overwrite the media of a show another run has finished. (Only a stall of
    # this process between the check and the put could still write: a whole rendition of the
    # same original, put atomically, and never recorded on the row.)
    await lease.renew()
    await anyio.to_thread.run_sync(lambda: store.put_file(stream_key(show_id), stream, move=True))
    await anyio.to_thread.run_sync(store.put_bytes, waveform_key(show_id), peaks)
    async with lease.transaction() as tx:
        await tx.execute(
            _SET_MEDIA,
            {
                "id": show_id,
                "stream": stream_key(show_id),
                "waveform": waveform_key(show_id),
                "seconds": rendition.seconds,
            },
        )


async def _make_pictures(lease: Lease, store: BlobStore, row: Row) -> None:
    if not row["picture_blob"] or row["picture_id"]:
        return
    data = await anyio.to_thread.run_sync(store.get_bytes, row["picture_blob"])
    renditions = await anyio.to_thread.run_sync(make_renditions, data, "extaudio")
    async with lease.transaction() as tx:  # the new picture's files are stored only if ours
        picture_id = await save_picture(tx, store, renditions, "extaudio", lease.clock())
        await tx.execute(_SET_PICTURE, {"id": row["id"], "picture": picture_id})
    await anyio.to_thread.run_sync(store.delete, row["picture_blob"])
