"""search: full-text index tables for shows, users and genre tags

SQLite: FTS5 tables whose rowid is the indexed row's id, and triggers that delete a search row
with its show, user or tag. PostgreSQL: tsvector documents under GIN indexes (the ``unaccent``
extension folds diacritics; ``search_vector`` builds one weighted part of a document, with the
prefix lexemes that ``search_match`` looks up), deleted with their rows by ON DELETE CASCADE.
Both are backfilled from the existing rows; only listed shows (public and ready) are indexed.

These tables are not in ``db/schema.py``: autogenerate skips every name starting with
``search_`` (see ``migrations/env.py``).

Revision ID: 0003
Revises: 0002
Create Date: 2026-12-01
"""

from alembic import op

revision = "0003"
down_revision = "0002"
branch_labels = None
depends_on = None

LISTED = "s.visibility = 'public' AND s.status = 'ready'"
_USERNAME_BARE = "replace(replace(username, '-', ''), '_', '')"
USERNAME_TEXT = f"CASE WHEN {_USERNAME_BARE} = username THEN username ELSE username || ' ' || {_USERNAME_BARE} END"
SECTION_TEXT = (
    "trim(coalesce(artist, '') || ' ' || coalesce(song, '') || ' ' || coalesce(chapter, ''))"
)
TOKENIZE = "tokenize = 'unicode61 remove_diacritics 2'"
# Prefix indexes for prefixes of 2 to 8 characters: a prefix query reads one term's doclist
# from them, a step at a time, instead of merging the doclists of every term it matches into
# one in memory (~15-100 ms for a common word at 1M shows). Longer prefixes are cut to 8.
PREFIXES = "prefix = '2 3 4 5 6 7 8'"
# ASCII punctuation becomes spaces before PostgreSQL's parser sees the text, so it finds only
# plain words (no hyphenated words, hosts, paths, emails), as the query side splits them.
PUNCTUATION = "!\"#$%&''()*+,-./:;<=>?@[\\]^_`{|}~"
SPACES = " " * 32
# PostgreSQL's counterpart of the FTS5 prefix indexes. The GIN index is on the document plus,
# for each word, its prefixes of 2 to 8 characters as extra lexemes marked with a leading "~"
# (ASCII punctuation: no word has it, and no prefix query of a word matches it), without
# positions: ``search_prefixed(document)``. A prefix query then looks one lexeme up instead of a
# GIN partial match, which first collects the rows of every lexeme with that prefix into one
# bitmap (~25 ms for a common prefix at 1M shows; far more when it outgrows work_mem and
# turns lossy). They are in the index only, not in the stored document, which keeps the table
# small and ts_rank and the weight checks as they were.
PREFIX_MARK = "~"
MIN_PREFIX, MAX_PREFIX = 2, 8
# search_query's unweighted :* operands, as tsquery text prints them ('sess':*), become the
# lexeme of their first MIN_PREFIX to MAX_PREFIX characters ('~sess'; 'transmission':* is
# '~transmis').
PREFIX_OPERAND = f"'([^']{{{MIN_PREFIX},{MAX_PREFIX}}})[^']*':\\*(?![A-D])"


def _sqlite_upgrade() -> None:
    op.execute(
        "CREATE VIRTUAL TABLE search_shows USING fts5("
        f"name, tags, description, tracklist, {TOKENIZE}, {PREFIXES})"
    )
    op.execute(
        f"CREATE VIRTUAL TABLE search_users USING fts5(display_name, username, {TOKENIZE}, {PREFIXES})"
    )
    op.execute(f"CREATE VIRTUAL TABLE search_tags USING fts5(name, {TOKENIZE}, {PREFIXES})")
    for table, source in (
        ("shows", "search_shows"),
        ("users", "search_users"),
        ("tags", "search_tags"),
    ):
        op.execute(
            f"CREATE TRIGGER {source}_delete AFTER DELETE ON {table}"
            f" BEGIN DELETE FROM {source} WHERE rowid = old.id; END"
        )
    op.execute(
        "INSERT INTO search_shows (rowid, name, tags, description, tracklist)"
        " SELECT s.id, s.name,"
        " (SELECT coalesce(group_concat(t.name, ' '), '') FROM show_tags st"
        "  JOIN tags t ON t.id = st.tag_id WHERE st.show_id = s.id AND t.kind = 'genre'),"
        " s.description,"
        f" (SELECT coalesce(group_concat({SECTION_TEXT}, ' '), '') FROM sections"
        "  WHERE show_id = s.id)"
        f" FROM shows s WHERE {LISTED} ORDER BY s.id"
    )
    op.execute(
        "INSERT INTO search_users (rowid, display_name, username)"
        f" SELECT id, display_name, {USERNAME_TEXT} FROM users ORDER BY id"
    )
    op.execute(
        "INSERT INTO search_tags (rowid, name) SELECT id, name FROM tags WHERE kind = 'genre'"
    )


def _postgresql_upgrade() -> None:
    op.execute("CREATE EXTENSION IF NOT EXISTS unaccent")
    op.execute(
        'CREATE FUNCTION search_vector(body text, weight "char") RETURNS tsvector'
        " LANGUAGE sql STABLE PARALLEL SAFE AS $$ SELECT setweight(to_tsvector('simple',"
        f" translate(unaccent(coalesce(body, '')), '{PUNCTUATION}', '{SPACES}')), weight) $$"
    )
    # The indexed form of a document. Its COST (computing it per row costs ~1000 times an
    # operator) keeps the planner from a scan of the table unless it expects more than about a
    # quarter of the rows to match: the match is a bitmap of the index. (The estimate for two
    # common words assumes they are independent; when they are not and nothing matches, a scan
    # that hoped to stop early reads the whole table: ~400 ms at 1M shows, where the bitmap
    # takes ~30 ms at most.) The tables are never scanned in parallel (parallel_workers 0):
    # that cost makes a parallel bitmap scan look cheaper, but it only adds a worker's startup.
    op.execute(
        "CREATE FUNCTION search_prefixed(document tsvector) RETURNS tsvector LANGUAGE sql"
        " IMMUTABLE STRICT PARALLEL SAFE COST 1000 AS $$ SELECT document"
        f" || array_to_tsvector(ARRAY(SELECT '{PREFIX_MARK}' || left(word, n)"
        " FROM unnest(tsvector_to_array(document)) word,"
        f" generate_series({MIN_PREFIX}, least({MAX_PREFIX}, length(word))) n)) $$"
    )
    # The query side, IMMUTABLE (unaccent itself is only STABLE) so that the planner folds it
    # to a constant when it plans for the parameters' values, and estimates the match from the
    # index's statistics. Its huge COST keeps the plan cache from ever preferring a generic plan
    # (prepared statements switch after 5 runs when one looks no dearer), in which the call
    # would stay unfolded and could be evaluated per row.
    op.execute(
        "CREATE FUNCTION search_query(query text) RETURNS tsquery LANGUAGE sql IMMUTABLE"
        " STRICT PARALLEL SAFE COST 1000000"
        " AS $$ SELECT to_tsquery('simple', unaccent(query)) $$"
    )
    # The match for the index: search_query with its prefixes as prefix lexemes, a prefix
    # longer than MAX_PREFIX cut to it (a slightly wider match: the caller also checks
    # search_query on the document). Weighted prefixes stay partial matches (the prefix lexemes
    # have no weight).
    op.execute(
        "CREATE FUNCTION search_match(query text) RETURNS tsquery LANGUAGE sql IMMUTABLE"
        " STRICT PARALLEL SAFE COST 1000000 AS $$ SELECT regexp_replace("
        f"search_query(query)::text, '{PREFIX_OPERAND.replace(chr(39), chr(39) * 2)}',"
        f" '''{PREFIX_MARK}\\1''', 'g')::tsquery $$"
    )
    for table, key in (("shows", "show_id"), ("users", "user_id"), ("tags", "tag_id")):
        op.execute(
            f"CREATE TABLE search_{table} ({key} bigint PRIMARY KEY"
            f" REFERENCES {table} (id) ON DELETE CASCADE, document tsvector NOT NULL)"
            " WITH (parallel_workers = 0)"
        )
    op.execute(
        "INSERT INTO search_shows (show_id, document)"
        " SELECT s.id, search_vector(s.name, 'A') || search_vector(("
        "  SELECT string_agg(t.name, ' ') FROM show_tags st JOIN tags t ON t.id = st.tag_id"
        "  WHERE st.show_id = s.id AND t.kind = 'genre'), 'B')"
        " || search_vector(s.description, 'C') || search_vector(("
        f"  SELECT string_agg({SECTION_TEXT}, ' ') FROM sections WHERE show_id = s.id), 'D')"
        f" FROM shows s WHERE {LISTED}"
    )
    op.execute(
        "INSERT INTO search_users (user_id, document) SELECT id,"
        f" search_vector(display_name, 'A') || search_vector({USERNAME_TEXT}, 'B') FROM users"
    )
    op.execute(
        "INSERT INTO search_tags (tag_id, document)"
        " SELECT id, search_vector(name, 'A') FROM tags WHERE kind = 'genre'"
    )
    for table in ("shows", "users", "tags"):
        op.execute(
            f"CREATE INDEX ix_search_{table}_document ON search_{table}"
            " USING gin (search_prefixed(document))"
        )


def upgrade() -> None:
    if op.get_bind().dialect.name == "sqlite":
        _sqlite_upgrade()
    else:
        _postgresql_upgrade()


def downgrade() -> None:
    for table in ("shows", "users", "tags"):
        if op.get_bind().dialect.name == "sqlite":
            op.execute(f"DROP TRIGGER IF EXISTS search_{table}_delete")
        op.execute(f"DROP TABLE IF EXISTS search_{table}")
    if op.get_bind().dialect.name != "sqlite":
        # unaccent stays: it may have been there before, and others may use it.
        op.execute('DROP FUNCTION IF EXISTS search_vector(text, "char")')
        op.execute("DROP FUNCTION IF EXISTS search_match(text)")
        op.execute("DROP FUNCTION IF EXISTS search_prefixed(tsvector)")
        op.execute("DROP FUNCTION IF EXISTS search_query(text)")
