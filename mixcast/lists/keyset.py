"""Reading one page of a list in the order an index holds it.

A **dated** list (followers, favorites, a user's shows, a tag's newest ...) is read newest
first by ``(list time, tie)``. ``until`` and ``since`` are exclusive bounds on that pair, so a
page at depth 1,000,000 is one index range scan, as cheap as the first page, and following
``next`` never repeats or skips an item even while new ones arrive. Each bound is written
``time <= :t AND (time < :t OR tie < :k)``: the first half is a plain range on the index on
both databases, the second only settles ties within one microsecond.

A **ranked** list (popular, hot, similar, search, a playlist's order) is read by offset.

Every query reads ``limit + 1`` rows: the extra one only tells whether the list goes on.
"""

from __future__ import annotations

from collections.abc import Sequence
from dataclasses import dataclass, field
from typing import Any, cast

from mixcast.db.database import Connection, Params, Query
from mixcast.lists.window import Cursor, Item, Slice, Window


@dataclass(frozen=True)
class Dated:
    """One dated source. ``body`` is ``FROM ... WHERE ...`` (it must have a WHERE); ``id``,
    ``time`` and ``tie`` are column expressions; ``extra`` an optional fourth column. The tie
    must be unique among the items that share a time in this list."""

    body: str
    id: str
    time: str
    tie: str
    extra: str = "NULL"
    _cache: dict[tuple[Any, ...], Query] = field(default_factory=dict, compare=False, repr=False)

    def select(self, since: Cursor | None, until: Cursor | None, ascending: bool) -> str:
        conds = []
        if until is not None:
            conds.append(_bound(self, "<", "u", until))
        if since is not None:
            conds.append(_bound(self, ">", "s", since))
        where = "".join(f" AND {c}" for c in conds)
        way = "ASC" if ascending else "DESC"
        return (
            f"SELECT {self.id} AS id, {self.time} AS t, {self.tie} AS k, {self.extra} AS e"
            f" {self.body}{where} ORDER BY {self.time} {way}, {self.tie} {way}"
        )


def _bound(source: Dated, op: str, prefix: str, cursor: Cursor) -> str:
    t, k = f":{prefix}t", f":{prefix}k"
    if cursor.tie is None:
        return f"{source.time} {op} {t}"
    return f"{source.time} {op}= {t} AND ({source.time} {op} {t} OR {source.tie} {op} {k})"


def _shape(window: Window) -> tuple[Any, ...]:
    def kind(cursor: Cursor | None) -> int:
        return 0 if cursor is None else 1 if cursor.tie is None else 2

    return (window.offset_mode, kind(window.since), kind(window.until))


def page_query(sources: Sequence[Dated], window: Window) -> tuple[Query, bool]:
    """The SQL for this window's shape, made once per shape and cached on the first source."""
    # Reading forward from ``since`` alone walks the index upwards; anything else walks down.
    ascending = window.since is not None and window.until is None and not window.offset_mode
    shape = (*_shape(window), len(sources))
    cached = sources[0]._cache.get(shape)
    if cached is not None:
        return cached, ascending
    since = None if window.offset_mode else window.since
    until = None if window.offset_mode else window.until
    way = "ASC" if ascending else "DESC"
    page = " LIMIT :n OFFSET :o" if window.offset_mode else " LIMIT :n"
    if len(sources) == 1:
        text = sources[0].select(since, until, ascending) + page
    else:
        # Each branch stops after what the page can use; the union is ordered once more.
        branches = " UNION ALL ".join(
            f"SELECT * FROM ({s.select(since, until, ascending)} LIMIT :nb) AS b{i}"
            for i, s in enumerate(sources)
        )
        text = f"SELECT * FROM ({branches}) AS u ORDER BY t {way}, k {way}{page}"
    query = Query(text)
    sources[0]._cache[shape] = query
    return query, ascending


async def fetch_dated(
    conn: Connection, sources: Dated | Sequence[Dated], params: Params, window: Window
) -> Slice:
    """One page of a dated list (one source, or the union of several: the feed), newest
    first."""
    query, ascending = page_query((sources,) if isinstance(sources, Dated) else sources, window)
    args: dict[str, Any] = {**params, "n": window.limit + 1}
    if window.offset_mode:
        args["o"] = window.offset
        args["nb"] = window.limit + 1 + (window.offset or 0)
    else:
        args["nb"] = window.limit + 1
        for prefix, cursor in (("u", window.until), ("s", window.since)):
            if cursor is not None:
                args[f"{prefix}t"] = cursor.time
                if cursor.tie is not None:
                    args[f"{prefix}k"] = cursor.tie
    rows = await conn.fetch_all(query, args)
    # id, t, k, e by position: both drivers' rows are sequences too, and cheaper read so.
    items = [Item._make(cast(Sequence[Any], row)) for row in rows[: window.limit]]
    if ascending:
        items.reverse()
    return Slice(items, len(rows) > window.limit)


@dataclass(frozen=True)
class Ranked:
    """A list in score order. ``body`` is ``FROM ... WHERE ...``; ``order`` the ORDER BY
    terms, ending in a unique column so offsets are stable."""

    body: str
    id: str
    order: str
    query: Query = field(init=False, compare=False, repr=False)

    def __post_init__(self) -> None:
        text = f"SELECT {self.id} AS id {self.body} ORDER BY {self.order} LIMIT :n OFFSET :o"
        object.__setattr__(self, "query", Query(text))


async def fetch_ranked(conn: Connection, source: Ranked, params: Params, window: Window) -> Slice:
    rows = await conn.fetch_all(
        source.query, {**params, "n": window.limit + 1, "o": window.offset or 0}
    )
    return ranked_slice([r["id"] for r in rows], window)


def ranked_slice(ids: Sequence[int], window: Window) -> Slice:
    """A ranked page from ``limit + 1`` ids read at the window's offset."""
    items = [Item(i, 0, n, None) for n, i in enumerate(ids[: window.limit])]
    return Slice(items, len(ids) > window.limit, ranked=True)
