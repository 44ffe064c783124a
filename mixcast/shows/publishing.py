"""Scheduled publishing: a show with a ``publish_date`` (Pro) is ``scheduled`` until then, and
the periodic job makes it public at that time (within the job's one-minute period).

``unlisted`` overrides a schedule (api-docs.md "Uploads"): such a show is never ``scheduled``.
A scheduled show that is not ready yet becomes public but is listed only once its media is.
"""

from __future__ import annotations

from mixcast.db.database import Database, Query
from mixcast.shows.listing import refresh_listing

BATCH = 200

_DUE = Query(
    "SELECT id FROM shows WHERE visibility = 'scheduled' AND publish_at <= :now"
    " ORDER BY publish_at LIMIT :limit"
)
_PUBLISH = Query(
    "UPDATE shows SET visibility = 'public', publish_at = NULL, updated_at = :now"
    " WHERE id = :id AND visibility = 'scheduled' AND publish_at <= :now"
)


async def publish_due(db: Database, now: int) -> int:
    """Publish every scheduled show whose time has come; return how many. Each show is its own
    transaction, and the conditional UPDATE makes two publishers running at once harmless."""
    published = 0
    while True:
        async with db.reading() as conn:
            due = [row["id"] for row in await conn.fetch_all(_DUE, {"now": now, "limit": BATCH})]
        for show_id in due:
            async with db.transaction() as tx:
                if await tx.execute(_PUBLISH, {"id": show_id, "now": now}):
                    await refresh_listing(tx, show_id, now)
                    published += 1
        if len(due) < BATCH:
            return published
