"""``refresh_scores``: recompute every show's popular and hot score and write the changes.

The list reads are then an index scan over a stored column (``ix_shows_popular``/``_hot``,
``ix_show_tags_tag_popular``/``_hot``). One refresh:

1. sums events per show in SQL, one ``GROUP BY show_id`` per event table (listens, favorites,
   reposts) over the popular window, walking its ``(show_id, created_at)`` index in order (no
   sort): a count for popular, and Σ of a decay factor per hour (a 169-row ``VALUES`` table)
   for hot, so the database does the per-event work and returns one row per show;
2. turns the sums into scores in Python (``ranking.scores``);
3. reads the scores stored now, for every show that has one;
4. writes only what differs, shows that left the windows (back to 0) included, each batch of
   shows together with their ``show_tags`` copies in one transaction.

Short transactions keep SQLite's single write lock free for requests between batches. A second
refresh with no news writes nothing: the hot score does not move with the clock (see
``ranking.scores``). Every show is scored, listed or not; the lists filter on visibility, so a
show that becomes public has its score ready.

The ``show_tags`` copies are written with the show's scores, so they agree as long as whoever
adds a ``show_tags`` row copies the show's current scores into it (as ``create_show`` copies
``published_at``; a new show's scores are 0, the column default).
"""

from __future__ import annotations

import time
from collections import defaultdict
from collections.abc import Iterable, Sequence
from dataclasses import dataclass
from typing import Any, cast

from mixcast.clock import now_us
from mixcast.db.database import Connection, Database, Query, Row
from mixcast.ranking.scores import (
    BUCKET,
    FAVORITE_WEIGHT,
    HOT_WINDOW,
    PLAY_WEIGHT,
    POPULAR_WINDOW,
    REPOST_WEIGHT,
    decay_factors,
    hot_from_sum,
    same_hot,
)

BATCH = 1000  # shows per write transaction (and their show_tags rows: a few each)

# Event tables and each event's weight. Removing a favorite or repost deletes its row, so it
# stops counting at the next refresh.
EVENT_TABLES = (
    ("listens", PLAY_WEIGHT),
    ("favorites", FAVORITE_WEIGHT),
    ("reposts", REPOST_WEIGHT),
)


HOURS = HOT_WINDOW // BUCKET + 1  # hour buckets that overlap the hot window, whatever ``now``


def _sums(table: str) -> Query:
    """Per show: its events in the popular window, and Σ decay factor over those in the hot
    window (NULL for none). ``decay`` holds one factor per hour of the hot window (``:h0`` and
    ``:f0`` ...; ``ranking.scores.decay_factors``); older events find no hour there."""
    hours = ", ".join(
        f"(CAST(:h{i} AS BIGINT), CAST(:f{i} AS DOUBLE PRECISION))" for i in range(HOURS)
    )
    return Query(
        f"""
        WITH decay (hour, factor) AS (VALUES {hours})
        SELECT e.show_id, COUNT(*) AS n, SUM(d.factor) AS decayed
        FROM {table} e LEFT JOIN decay d ON d.hour = e.created_at / {BUCKET}
        WHERE e.created_at >= :popular_from AND e.created_at <= :now
        GROUP BY e.show_id
        """
    )


_SUMS = {table: _sums(table) for table, _ in EVENT_TABLES}
# Every show that has a score now (a scan of shows: no index covers unlisted shows' scores).
_STORED = Query(
    "SELECT id, popular_score, hot_score FROM shows WHERE popular_score > 0 OR hot_score > 0"
)
_SET_SHOW = Query("UPDATE shows SET popular_score = :popular, hot_score = :hot WHERE id = :id")
_SET_TAGS = Query(
    "UPDATE show_tags SET popular_score = :popular, hot_score = :hot WHERE show_id = :id"
)
# The newest play: the clock ``ranking_now`` never runs ahead of.
_NEWEST_PLAY = Query("SELECT created_at FROM listens ORDER BY id DESC LIMIT 1")

Scores = tuple[float, float]  # (popular, hot)
ZERO: Scores = (0.0, 0.0)


@dataclass(frozen=True)
class RefreshStats:
    """What one refresh found and wrote."""

    now: int
    events: int  # events counted in the popular window
    scored: int  # shows with a score above 0
    changed: int  # shows written (with their show_tags copies)
    dropped: int  # of those, shows whose scores went back to 0
    seconds: float

    def __str__(self) -> str:
        return (
            f"ranked {self.scored:,} shows from {self.events:,} events:"
            f" {self.changed:,} changed ({self.dropped:,} dropped to 0) in {self.seconds:.2f} s"
        )


async def compute_scores(conn: Connection, now: int) -> tuple[dict[int, Scores], int]:
    """Every show with an event in the popular window and its (popular, hot) scores, as of
    ``now``; and how many events were counted. Events after ``now`` do not count."""
    factors = decay_factors(now)
    assert len(factors) == HOURS, (len(factors), HOURS)
    params: dict[str, int | float] = {"now": now, "popular_from": now - POPULAR_WINDOW}
    for i, (hour, factor) in enumerate(factors):
        params[f"h{i}"], params[f"f{i}"] = hour, factor
    popular: dict[int, int] = defaultdict(int)
    decayed: dict[int, float] = defaultdict(float)
    events = 0
    for table, weight in EVENT_TABLES:
        # Hundreds of thousands of rows at scale: unpacked by position, the cheapest access to
        # both drivers' rows (sqlite3.Row and asyncpg's Record are sequences too).
        for show_id, n, total in _tuples(await conn.fetch_all(_SUMS[table], params)):
            events += n
            popular[show_id] += weight * n
            if total:
                decayed[show_id] += weight * total
    scores = {
        show_id: (float(p), hot_from_sum(decayed.get(show_id), now))
        for show_id, p in popular.items()
    }
    return scores, events


def _tuples(rows: list[Row]) -> list[Sequence[Any]]:
    return cast(list[Sequence[Any]], rows)


def _differ(old: Scores, new: Scores) -> bool:
    return old[0] != new[0] or not same_hot(old[1], new[1])


def _changes(
    new: dict[int, Scores], stored: Iterable[tuple[int, Scores]]
) -> tuple[list[tuple[int, Scores]], int]:
    """(show id, scores to write) for every show whose stored scores differ, by id; and how
    many of them drop to 0."""
    out: dict[int, Scores] = {}
    dropped = 0
    seen = set()
    for show_id, old in stored:
        seen.add(show_id)
        want = new.get(show_id, ZERO)
        if _differ(old, want):
            out[show_id] = want
            dropped += want == ZERO
    for show_id, want in new.items():
        if show_id not in seen and want != ZERO:
            out[show_id] = want
    return sorted(out.items()), dropped


async def refresh_scores(db: Database, now: int) -> RefreshStats:
    """Recompute every show's scores as of ``now`` (microseconds) and write those that changed,
    with their ``show_tags`` copies. Safe to run at any time and more than once."""
    started = time.perf_counter()
    async with db.reading() as conn:
        new, events = await compute_scores(conn, now)
        rows = await conn.fetch_all(_STORED)
    stored = ((i, (float(p), float(h))) for i, p, h in _tuples(rows))
    changes, dropped = _changes(new, stored)
    for start in range(0, len(changes), BATCH):
        batch = [
            {"id": show_id, "popular": popular, "hot": hot}
            for show_id, (popular, hot) in changes[start : start + BATCH]
        ]
        async with db.transaction() as tx:
            await tx.execute_many(_SET_SHOW, batch)
            await tx.execute_many(_SET_TAGS, batch)
    scored = sum(1 for scores in new.values() if scores != ZERO)
    return RefreshStats(now, events, scored, len(changes), dropped, time.perf_counter() - started)


async def ranking_now(conn: Connection, now: int) -> int:
    """The moment the periodic refresh ranks as of: ``now``, or the newest play if that is
    older. A site that has gone quiet (or the demo, whose data ends at a fixed date) keeps its
    last month's lists instead of emptying them; on a live site the two are the same moment."""
    newest = await conn.fetch_value(_NEWEST_PLAY)
    return now if newest is None else min(now, int(newest))


async def refresh_now(db: Database) -> RefreshStats:
    """One refresh as the periodic runner and ``mixcast rank`` do it: as of ``ranking_now``."""
    return await refresh_scores(db, await ranking_now(db, now_us()))
