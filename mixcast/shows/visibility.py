"""Who may see a show.

A show is seen by others only when its media is ready and its visibility allows: ``public``
everywhere, ``unlisted`` only through its key. ``draft`` and ``scheduled`` shows, and shows still
being processed or that failed, are seen by their owner alone.
"""

from __future__ import annotations

from mixcast.db.database import Row

VISIBILITIES = ("draft", "unlisted", "scheduled", "public")
STATUSES = ("received", "processing", "ready", "failed")


def visible_by_key(show: Row, viewer_id: int | None) -> bool:
    if viewer_id is not None and show["owner_id"] == viewer_id:
        return True
    return show["status"] == "ready" and show["visibility"] in ("public", "unlisted")


def listed(visibility: str, status: str) -> bool:
    """Whether the show appears in lists, search and counts (``cloudcast_count``)."""
    return status == "ready" and visibility == "public"
