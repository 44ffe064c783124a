"""Full-text search over listed shows, users and genre tags: one interface, two engines.

SQLite uses FTS5 tables, PostgreSQL ``tsvector`` documents under GIN indexes (see ``index``).
``query`` turns user text into a safe query (every word, the last as a prefix); ``engine``
runs it, ranking a bounded set of candidates; ``index`` keeps the index in step with writes,
in the caller's transaction.
"""

from mixcast.search.engine import CANDIDATES, search_shows, search_tags, search_users
from mixcast.search.index import index_show, index_tag, index_user, unindex_show
from mixcast.search.query import searchable

__all__ = [
    "CANDIDATES",
    "index_show",
    "index_tag",
    "index_user",
    "search_shows",
    "search_tags",
    "search_users",
    "searchable",
    "unindex_show",
]
