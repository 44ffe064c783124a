"""The searches: listed shows, users and genre tags, best first.

Both databases answer in two steps, in one query:

1. **Candidates, cheapest first**: at most ``CANDIDATES`` rows that match every word, in the
   order the full-text index hands them out without ranking (SQLite FTS5: newest first, by
   descending rowid, which FTS5 walks as cheaply as ascending; PostgreSQL: the order the GIN
   bitmap visits the heap, about upload order). This bounds the work of a query on very common
   words, which would otherwise rank every match: ~1 s at p99 for a million shows.
2. **Ranking** of those candidates only: shows by the best field any word matched (name, then
   genre tags, then description, then tracklist), then on SQLite by the number of name words
   matched and the shorter name (``highlight()`` marks, not ``bm25``: see below), on
   PostgreSQL by the field-weighted ``ts_rank``, then newest (id) first. Users and tags put an
   exact username or tag name first.

On PostgreSQL the last word's prefix is looked up as a prefix lexeme of the index (migration
0003: ``search_prefixed``, ``search_match``), as FTS5 reads its prefix indexes, and the match is
always a GIN bitmap scan.

The trade-off: when a query matches more than ``CANDIDATES`` rows, the best match may lie outside
the candidates, and offset paging ends after ``CANDIDATES`` results. Queries specific
enough to matter (a show's own name) match far fewer rows. Results are a total order (ties by
id), so paging through them with ``limit``/``offset`` is stable while the index does not change.
"""

from __future__ import annotations

from mixcast.accounts.usernames import USERNAME, username_key
from mixcast.db.database import Connection, Query
from mixcast.search.query import Terms
from mixcast.slugs import slugify

CANDIDATES = 300  # rows ranked per query at most; also the deepest reachable result

# ------------------------------------------------------------------------------------- SQLite
# No bm25() here: on its first row it counts every row that matches each word, to weigh the
# words (idf), which for a common word costs as much as ranking every match. highlight() only
# reads the candidate's own row: a column has a match when char(1) marks one of its words, and
# the marks in the name count the name's matching words.

_SQLITE_SHOWS = Query(
    """
    SELECT id FROM (
        SELECT rowid AS id,
            highlight(search_shows, 0, char(1), '') AS name,
            highlight(search_shows, 1, char(1), '') AS tags,
            highlight(search_shows, 2, char(1), '') AS description
        FROM search_shows WHERE search_shows MATCH :match
        ORDER BY rowid DESC LIMIT :candidates
    ) ORDER BY
        CASE WHEN instr(name, char(1)) THEN 0 WHEN instr(tags, char(1)) THEN 1
             WHEN instr(description, char(1)) THEN 2 ELSE 3 END,
        length(name) - length(replace(name, char(1), '')) DESC,
        length(name), id DESC
    LIMIT :limit OFFSET :offset
    """
)
_SQLITE_USERS = Query(
    """
    SELECT c.id AS id FROM (
        SELECT rowid AS id, highlight(search_users, 0, char(1), '') AS display_name
        FROM search_users WHERE search_users MATCH :match
        ORDER BY rowid DESC LIMIT :candidates
    ) c JOIN users u ON u.id = c.id
    ORDER BY u.username_key = :key DESC,
        length(c.display_name) - length(replace(c.display_name, char(1), '')) DESC,
        length(u.display_name), u.follower_count DESC, c.id DESC
    LIMIT :limit OFFSET :offset
    """
)
_SQLITE_TAGS = Query(
    """
    SELECT c.id AS id FROM (
        SELECT rowid AS id, bm25(search_tags) AS score
        FROM search_tags WHERE search_tags MATCH :match
        ORDER BY rowid DESC LIMIT :candidates
    ) c JOIN tags t ON t.id = c.id
    WHERE t.kind = 'genre'
    ORDER BY t.slug = :slug DESC, c.score, c.id DESC
    LIMIT :limit OFFSET :offset
    """
)

# --------------------------------------------------------------------------------- PostgreSQL
# Weights A (name), B (tags), C (description), D (tracklist); ts_rank's weight array is in
# the order D, C, B, A. Normalization 1 divides by 1 + log(document length), as bm25 does.
#
# The match runs on the index (see migration 0003): search_prefixed(document), whose prefix
# lexemes search_match looks the last word up in, cut to 8 characters; the document itself is
# then checked against search_query (exact, with :* on the words), as are the weight checks
# and ts_rank. search_query and search_match fold to constants when PostgreSQL plans for the
# parameters' values, which it always does (the migration sees to it): the match needs that for
# its estimate. The ORDER BY's queries are InitPlans besides, so that even a generic plan
# computes each of them once, not per row.

_PG_SHOWS = Query(
    """
    SELECT c.show_id AS id FROM (
        SELECT show_id, document FROM search_shows
        WHERE search_prefixed(document) @@ search_match(:match)
            AND document @@ search_query(:match)
        LIMIT :candidates
    ) c
    ORDER BY
        CASE WHEN c.document @@ (SELECT search_query(:in_a)) THEN 0
             WHEN c.document @@ (SELECT search_query(:in_b)) THEN 1
             WHEN c.document @@ (SELECT search_query(:in_c)) THEN 2
             ELSE 3 END,
        ts_rank('{0.1, 0.2, 0.4, 1.0}', c.document, (SELECT search_query(:match)), 1)
            DESC,
        c.show_id DESC
    LIMIT :limit OFFSET :offset
    """
)
_PG_USERS = Query(
    """
    SELECT c.user_id AS id FROM (
        SELECT user_id, document FROM search_users
        WHERE search_prefixed(document) @@ search_match(:match)
            AND document @@ search_query(:match)
        LIMIT :candidates
    ) c JOIN users u ON u.id = c.user_id
    ORDER BY u.username_key = :key DESC,
        ts_rank('{0.1, 0.2, 0.4, 1.0}', c.document, (SELECT search_query(:match)), 1)
            DESC,
        u.follower_count DESC, c.user_id DESC
    LIMIT :limit OFFSET :offset
    """
)
_PG_TAGS = Query(
    """
    SELECT c.tag_id AS id FROM (
        SELECT tag_id, document FROM search_tags
        WHERE search_prefixed(document) @@ search_match(:match)
            AND document @@ search_query(:match)
        LIMIT :candidates
    ) c JOIN tags t ON t.id = c.tag_id
    WHERE t.kind = 'genre'
    ORDER BY t.slug = :slug DESC,
        ts_rank(c.document, (SELECT search_query(:match)), 1) DESC, c.tag_id DESC
    LIMIT :limit OFFSET :offset
    """
)


def _window(limit: int, offset: int) -> tuple[int, int] | None:
    """limit and offset clamped to the candidates; None when the page lies beyond them."""
    limit, offset = max(0, limit), max(0, offset)
    if limit == 0 or offset >= CANDIDATES:
        return None
    return min(limit, CANDIDATES - offset), offset


async def _ids(conn: Connection, query: Query, params: dict[str, object]) -> list[int]:
    return [int(row["id"]) for row in await conn.fetch_all(query, params)]


async def search_shows(conn: Connection, text: str, limit: int, offset: int) -> list[int]:
    """Ids of listed shows matching every word of ``text`` (the last one as a prefix), best
    first: name matches, then tag, description and tracklist matches."""
    terms, window = Terms.parse(text), _window(limit, offset)
    if not terms.words or window is None:
        return []
    page = {"candidates": CANDIDATES, "limit": window[0], "offset": window[1]}
    if conn.dialect == "sqlite":
        return await _ids(conn, _SQLITE_SHOWS, {"match": terms.fts5(), **page})
    params = {
        "match": terms.tsquery(),
        "in_a": terms.any_with_weight("A"),
        "in_b": terms.any_with_weight("B"),
        "in_c": terms.any_with_weight("C"),
        **page,
    }
    return await _ids(conn, _PG_SHOWS, params)


async def search_users(conn: Connection, text: str, limit: int, offset: int) -> list[int]:
    """Ids of users whose display name or username has every word (the last as a prefix): the
    user whose username is exactly ``text`` first, then display-name matches over username
    matches, then the most followed."""
    terms, window = Terms.parse(text), _window(limit, offset)
    if not terms.words or window is None:
        return []
    page = {"candidates": CANDIDATES, "limit": window[0], "offset": window[1]}
    text = text.strip()
    key = username_key(text) if USERNAME.match(text) else ""  # never a NUL for the driver
    if conn.dialect == "sqlite":
        return await _ids(conn, _SQLITE_USERS, {"match": terms.fts5(), "key": key, **page})
    return await _ids(conn, _PG_USERS, {"match": terms.tsquery(), "key": key, **page})


async def search_tags(conn: Connection, text: str, limit: int, offset: int) -> list[int]:
    """Ids of genre tags whose name has every word (the last as a prefix); the tag named
    exactly ``text`` first."""
    terms, window = Terms.parse(text), _window(limit, offset)
    if not terms.words or window is None:
        return []
    page = {"candidates": CANDIDATES, "limit": window[0], "offset": window[1]}
    slug = slugify(text)
    if conn.dialect == "sqlite":
        return await _ids(conn, _SQLITE_TAGS, {"match": terms.fts5(), "slug": slug, **page})
    return await _ids(conn, _PG_TAGS, {"match": terms.tsquery(), "slug": slug, **page})
