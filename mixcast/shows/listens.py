"""Playing a show: the row the player's routes need, and counting its listens.

A listen counts once a listener has heard ``MIN_SECONDS`` of a show, at most once per listener
per show per ``LISTEN_WINDOW_US`` (an hour). The listener is a signed-in user (``u:<id>``) or
an anonymous id the player keeps (``a:<id>``). Only shows others may hear count: ready and
public or unlisted; a draft's, a scheduled show's or an unprocessed show's listens (which only
its owner can make) do not. The owner's own listens count like anyone's, as on Mixcloud: the
owner is a listener like the others, and telling them apart would need a rule for hosts too.

Race safety: two reports of one listener arriving together must not both count. The hour
check and the insert run in one transaction that first locks the show's row (PostgreSQL:
``SELECT ... FOR UPDATE``; SQLite: ``BEGIN IMMEDIATE`` already lets one writer in at a time).
A plain ``INSERT ... WHERE NOT EXISTS`` would not do on PostgreSQL: under READ COMMITTED both
transactions see no listen and both insert. The lock costs no extra waiting: ``record_listen``
updates the show's ``play_count``, which holds the same row lock until commit anyway.
"""

from __future__ import annotations

import math
import re

from mixcast.accounts.usernames import USERNAME
from mixcast.db.database import Connection, Query, Row
from mixcast.shows.engagement import record_listen
from mixcast.slugs import normalize_slug

MIN_SECONDS = 30.0
LISTEN_WINDOW_US = 3600 * 1_000_000
# The player's anonymous listener id (random, kept in the browser): 16-64 URL-safe characters.
ANONYMOUS_ID = re.compile(r"^[A-Za-z0-9_-]{16,64}\Z")

_PLAYABLE = Query(
    """
    SELECT s.id, s.owner_id, s.visibility, s.status, s.stream_blob, s.waveform_blob
    FROM shows s JOIN users u ON u.id = s.owner_id
    WHERE u.username_key = :user_key AND s.slug = :slug
    """
)
_LOCK_SHOW = {
    "sqlite": Query("SELECT status, visibility FROM shows WHERE id = :id"),
    "postgresql": Query("SELECT status, visibility FROM shows WHERE id = :id FOR UPDATE"),
}
# Served by ix_listens_show_listener_created (migration 0007).
_HEARD_SINCE = Query(
    "SELECT 1 FROM listens WHERE show_id = :show_id AND listener = :listener"
    " AND created_at > :since LIMIT 1"
)


async def playable_show(conn: Connection, username: str, slug: str) -> Row | None:
    """The show at ``/<username>/<slug>/`` with what its stream, peaks and listens routes need
    (``id``, ``owner_id``, ``visibility``, ``status``, ``stream_blob``, ``waveform_blob``), in
    one query, whoever may hear it: callers check ``visible_by_key``."""
    # 1024, not the stored slugs' 255: a decomposed (NFD) slug from a path is longer than the
    # stored NFC one; the bound only keeps absurd paths from being normalised.
    if not USERNAME.match(username) or len(slug) > 1024 or "\x00" in slug:
        return None
    return await conn.fetch_one(
        _PLAYABLE, {"user_key": username.casefold(), "slug": normalize_slug(slug)}
    )


def listener_key(user_id: int | None, anonymous_id: str | None) -> str:
    """``u:<user id>`` for a signed-in listener, else ``a:<anonymous id>``; ``ValueError``
    when there is neither, or the anonymous id is not 16-64 of ``[A-Za-z0-9_-]``."""
    if user_id is not None:
        return f"u:{user_id}"
    if anonymous_id is None or not ANONYMOUS_ID.match(anonymous_id):
        raise ValueError("a listener is a user id or an anonymous id of 16-64 [A-Za-z0-9_-]")
    return f"a:{anonymous_id}"


def countable(show: Row) -> bool:
    """Whether listens of ``show`` count: ready, and public or unlisted."""
    return show["status"] == "ready" and show["visibility"] in ("public", "unlisted")


async def count_listen(
    conn: Connection,
    show_id: int,
    *,
    user_id: int | None,
    anonymous_id: str | None,
    seconds: float,
    now: int,
) -> bool:
    """Count a listen of ``show_id`` (in the caller's transaction) when the listener has heard
    ``seconds`` >= 30 of it, the show counts listens (``countable``) and this listener has no
    listen of it in the hour before ``now`` (microseconds). Whether it counted.

    The user, when given, is the listener (``anonymous_id`` is then ignored); otherwise the
    anonymous id must be well formed (``listener_key``)."""
    listener = listener_key(user_id, anonymous_id)
    if not (math.isfinite(seconds) and seconds >= MIN_SECONDS):
        return False
    show = await conn.fetch_one(_LOCK_SHOW[conn.dialect], {"id": show_id})
    if show is None or not countable(show):
        return False
    since = now - LISTEN_WINDOW_US
    recent = {"show_id": show_id, "listener": listener, "since": since}
    if await conn.fetch_value(_HEARD_SINCE, recent) is not None:
        return False
    await record_listen(conn, show_id, user_id=user_id, listener=listener, now=now)
    return True
