"""Shows similar to a show: a cheap, documented heuristic over shared genre tags and listeners.

For a show S, every listed show C other than S scores::

    similarity(C) = 2 · (genre tags C shares with S) + (S's recent listeners who also heard C)

ranked by similarity, then ``popular_score``, then id (newest first), all descending. A shared
tag is a choice the uploaders made, so it counts double; shared listeners find what the
audience connects across genres.

Every candidate set is bounded, so the cost does not grow with the site or with S's audience:

- tags: S's first ``MAX_TAGS`` genre tags; for each, the ``TAG_CANDIDATES`` newest listed shows
  with it (a range scan of the ``(tag_id, published_at)`` index);
- listeners: the signed-in ones among S's ``RECENT_LISTENERS`` most recent listeners (the
  ``(show_id, first_at)`` index); for each, the shows of their ``LISTENS_PER_LISTENER`` most
  recent plays (the ``(user_id, created_at)`` index). Anonymous listeners are left out: there is
  no index from a listener key to the shows it heard.

So three queries read at most ``MAX_TAGS · TAG_CANDIDATES`` + ``RECENT_LISTENERS ·
LISTENS_PER_LISTENER`` rows, and the page is cut in Python. See docs/ranking.md.
"""

from __future__ import annotations

from mixcast.db.database import Connection, Query
from mixcast.db.schema import listed_sql

TAG_WEIGHT = 2
LISTENER_WEIGHT = 1
MAX_TAGS = 5
TAG_CANDIDATES = 300
RECENT_LISTENERS = 100
LISTENS_PER_LISTENER = 10

LISTED = listed_sql("s")

_TAGS = Query(
    f"""
    SELECT x.tag_id FROM show_tags x JOIN tags t ON t.id = x.tag_id
    WHERE x.show_id = :show AND t.kind = 'genre' ORDER BY x.position LIMIT {MAX_TAGS}
    """
)


def _tag_candidates(count: int) -> Query:
    """The newest listed shows of each of ``count`` tags (``:tag0`` ...), one row per hit."""
    parts = [
        f"""
        SELECT * FROM (
            SELECT x.show_id AS id, s.popular_score AS popular
            FROM show_tags x JOIN shows s ON s.id = x.show_id
            WHERE x.tag_id = :tag{i} AND x.published_at IS NOT NULL AND x.show_id <> :show
                AND {LISTED}
            ORDER BY x.published_at DESC LIMIT {TAG_CANDIDATES}
        ) AS t{i}
        """
        for i in range(count)
    ]
    return Query(" UNION ALL ".join(parts))


_TAG_CANDIDATES = {n: _tag_candidates(n) for n in range(1, MAX_TAGS + 1)}

# The listeners' recent plays. The lower time bound is each listener's N-th newest play (or 0
# when they have fewer), so the index range read per listener is at most N entries long.
_LISTENER_CANDIDATES = Query(
    f"""
    WITH recent AS (
        SELECT user_id FROM (
            SELECT user_id FROM show_listeners WHERE show_id = :show
            ORDER BY first_at DESC LIMIT {RECENT_LISTENERS}
        ) AS latest WHERE user_id IS NOT NULL
    )
    SELECT l.show_id AS id, COUNT(DISTINCT l.user_id) AS shared, s.popular_score AS popular
    FROM recent r
    JOIN listens l ON l.user_id = r.user_id AND l.created_at >= COALESCE((
        SELECT l2.created_at FROM listens l2 WHERE l2.user_id = r.user_id
        ORDER BY l2.created_at DESC LIMIT 1 OFFSET {LISTENS_PER_LISTENER - 1}), 0)
    JOIN shows s ON s.id = l.show_id
    WHERE l.show_id <> :show AND {LISTED}
    GROUP BY l.show_id, s.popular_score
    """
)


async def similar_show_ids(conn: Connection, show_id: int, limit: int, offset: int) -> list[int]:
    """Ids of listed shows similar to ``show_id``, most similar first (see the module doc);
    ``limit`` of them from ``offset``. Never ``show_id`` itself; [] past the candidates."""
    score: dict[int, int] = {}
    popular: dict[int, float] = {}
    tags = [row["tag_id"] for row in await conn.fetch_all(_TAGS, {"show": show_id})]
    if tags:
        params = {"show": show_id, **{f"tag{i}": tag for i, tag in enumerate(tags)}}
        for row in await conn.fetch_all(_TAG_CANDIDATES[len(tags)], params):
            score[row["id"]] = score.get(row["id"], 0) + TAG_WEIGHT
            popular[row["id"]] = row["popular"]
    for row in await conn.fetch_all(_LISTENER_CANDIDATES, {"show": show_id}):
        score[row["id"]] = score.get(row["id"], 0) + LISTENER_WEIGHT * row["shared"]
        popular[row["id"]] = row["popular"]
    ranked = sorted(score, key=lambda i: (score[i], popular[i], i), reverse=True)
    return ranked[offset : offset + limit]
