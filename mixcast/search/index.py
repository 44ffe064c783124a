"""Keeping the search index in step with the rows it describes, in the caller's transaction.

One index row per listed show, per user and per genre tag:

- SQLite: FTS5 tables ``search_shows(name, tags, description, tracklist)``,
  ``search_users(display_name, username)`` and ``search_tags(name)``, whose rowid is the row's
  id; FTS5 folds case and diacritics itself.
- PostgreSQL: ``search_shows(show_id, document)``, ``search_users(user_id, document)`` and
  ``search_tags(tag_id, document)``: a ``tsvector`` (``simple`` configuration, names are
  multilingual) built by ``search_vector(text, weight)``, which folds diacritics with
  ``unaccent`` and turns ASCII punctuation into spaces, so the parser sees plain words
  (``lo-fi`` is ``lo`` and ``fi``, as the query side splits it). Weights: A name, B genre tags,
  C description, D tracklist; users A display name, B username. The GIN index is on
  ``search_prefixed(document)``, the document plus its words' prefixes (migration 0003).

Deleting a show, user or tag deletes its index row (triggers on SQLite, ``ON DELETE CASCADE``
on PostgreSQL); everything else calls these functions after its change, in the same
transaction: ``index_show`` re-reads the show and writes or deletes its row, so it is also what
an edit, a publish or a visibility change calls.

The same documents in bulk: ``migrations/versions/0003_search.py`` (backfill) and
``bench/gen.py`` (one INSERT ... SELECT per table).
"""

from __future__ import annotations

from mixcast.db.database import Connection, Query
from mixcast.db.schema import listed_sql

# A username also as one word without separators: "acid_wave7" is found by "acidwave" too.
_USERNAME_BARE = "replace(replace(username, '-', ''), '_', '')"
USERNAME_TEXT = (
    f"CASE WHEN {_USERNAME_BARE} = username THEN username"
    f" ELSE username || ' ' || {_USERNAME_BARE} END"
)
# A track's artist and song, or a chapter's title.
SECTION_TEXT = (
    "trim(coalesce(artist, '') || ' ' || coalesce(song, '') || ' ' || coalesce(chapter, ''))"
)
LISTED = listed_sql("s")

_TAG_NAMES = (
    "SELECT coalesce(group_concat(t.name, ' '), '') FROM show_tags st"
    " JOIN tags t ON t.id = st.tag_id WHERE st.show_id = s.id AND t.kind = 'genre'"
)
_TRACKLIST = (
    f"SELECT coalesce(group_concat({SECTION_TEXT}, ' '), '') FROM sections WHERE show_id = s.id"
)

_SQLITE_DELETE_SHOW = Query("DELETE FROM search_shows WHERE rowid = :id")
_SQLITE_INSERT_SHOW = Query(
    f"""
    INSERT INTO search_shows (rowid, name, tags, description, tracklist)
    SELECT s.id, s.name, ({_TAG_NAMES}), s.description, ({_TRACKLIST})
    FROM shows s WHERE s.id = :id AND {LISTED}
    """
)
_SQLITE_DELETE_USER = Query("DELETE FROM search_users WHERE rowid = :id")
_SQLITE_INSERT_USER = Query(
    f"INSERT INTO search_users (rowid, display_name, username)"
    f" SELECT id, display_name, {USERNAME_TEXT} FROM users WHERE id = :id"
)
_SQLITE_DELETE_TAG = Query("DELETE FROM search_tags WHERE rowid = :id")
_SQLITE_INSERT_TAG = Query(
    "INSERT INTO search_tags (rowid, name) SELECT id, name FROM tags"
    " WHERE id = :id AND kind = 'genre'"
)

_PG_TAG_NAMES = _TAG_NAMES.replace("group_concat(t.name, ' ')", "string_agg(t.name, ' ')")
_PG_TRACKLIST = _TRACKLIST.replace(
    f"group_concat({SECTION_TEXT}, ' ')", f"string_agg({SECTION_TEXT}, ' ')"
)
_PG_DELETE_SHOW = Query("DELETE FROM search_shows WHERE show_id = :id")
_PG_UPSERT_SHOW = Query(
    f"""
    INSERT INTO search_shows (show_id, document)
    SELECT s.id, search_vector(s.name, 'A') || search_vector(({_PG_TAG_NAMES}), 'B')
        || search_vector(s.description, 'C') || search_vector(({_PG_TRACKLIST}), 'D')
    FROM shows s WHERE s.id = :id AND {LISTED}
    ON CONFLICT (show_id) DO UPDATE SET document = excluded.document
    """
)
_PG_UPSERT_USER = Query(
    f"""
    INSERT INTO search_users (user_id, document)
    SELECT id, search_vector(display_name, 'A') || search_vector({USERNAME_TEXT}, 'B')
    FROM users WHERE id = :id
    ON CONFLICT (user_id) DO UPDATE SET document = excluded.document
    """
)
_PG_UPSERT_TAG = Query(
    """
    INSERT INTO search_tags (tag_id, document)
    SELECT id, search_vector(name, 'A') FROM tags WHERE id = :id AND kind = 'genre'
    ON CONFLICT (tag_id) DO UPDATE SET document = excluded.document
    """
)
_PG_DELETE_USER = Query("DELETE FROM search_users WHERE user_id = :id")
_PG_DELETE_TAG = Query("DELETE FROM search_tags WHERE tag_id = :id")


async def _rewrite(
    conn: Connection, row_id: int, sqlite: tuple[Query, Query], postgres: tuple[Query, Query]
) -> None:
    """Write the row's index entry from its current state, or remove it when the row no longer
    qualifies (the insert selects nothing): delete then insert on SQLite, whose FTS5 tables
    have no upsert; upsert, else delete, on PostgreSQL."""
    params = {"id": row_id}
    if conn.dialect == "sqlite":
        delete, insert = sqlite
        await conn.execute(delete, params)
        await conn.execute(insert, params)
    else:
        upsert, delete = postgres
        if not await conn.execute(upsert, params):
            await conn.execute(delete, params)


async def index_show(conn: Connection, show_id: int) -> None:
    """(Re)write the show's index row from its current name, genre tags, description and
    sections if it is listed (public and ready); remove it otherwise."""
    await _rewrite(
        conn,
        show_id,
        (_SQLITE_DELETE_SHOW, _SQLITE_INSERT_SHOW),
        (_PG_UPSERT_SHOW, _PG_DELETE_SHOW),
    )


async def unindex_show(conn: Connection, show_id: int) -> None:
    """Remove the show from search, whatever its state."""
    sql = _SQLITE_DELETE_SHOW if conn.dialect == "sqlite" else _PG_DELETE_SHOW
    await conn.execute(sql, {"id": show_id})


async def index_user(conn: Connection, user_id: int) -> None:
    """(Re)write the user's index row from their display name and username."""
    await _rewrite(
        conn,
        user_id,
        (_SQLITE_DELETE_USER, _SQLITE_INSERT_USER),
        (_PG_UPSERT_USER, _PG_DELETE_USER),
    )


async def index_tag(conn: Connection, tag_id: int) -> None:
    """(Re)write the tag's index row if it is a genre tag; cities are not searched."""
    await _rewrite(
        conn, tag_id, (_SQLITE_DELETE_TAG, _SQLITE_INSERT_TAG), (_PG_UPSERT_TAG, _PG_DELETE_TAG)
    )
