"""Benchmark ``search_shows`` on 2-word queries against its floor, the bare match-only query.

Run it from the project root on databases made by ``gen.py`` (100k users, 1M shows)::

    .venv/bin/python bench/search.py --sqlite /tmp/bench-1m.db \\
        --postgres postgresql://postgres@127.0.0.1/bench_1m --queries 2000

Each query is two words drawn (with --seed) from the vocabulary ``gen.py`` writes shows with:
name prefixes, genres, nouns, description templates, cities, track artists and songs. The
last word is a prefix, as the API treats it. Every query runs twice, interleaved: through
``mixcast.search.search_shows`` (match, bound the candidates, rank, first page of --limit) and
as the floor: the same match with no ranking, ``LIMIT --limit`` straight off the index. It
prints p50, p99 and mean in ms of both and the ratio of their p50s, per database.
"""

from __future__ import annotations

import argparse
import asyncio
import random
import re
import statistics
import sys
import time
from collections.abc import Sequence
from pathlib import Path

ROOT = Path(__file__).resolve().parent.parent
sys.path.insert(0, str(ROOT))
sys.path.insert(0, str(ROOT / "bench"))

import gen  # noqa: E402  (the generator's vocabulary)
from ratios import ratio_line  # noqa: E402

from mixcast.db.database import Connection, Database, Query, connect  # noqa: E402
from mixcast.db.urls import DatabaseURL  # noqa: E402
from mixcast.search import search_shows  # noqa: E402
from mixcast.search.query import Terms  # noqa: E402

FLOOR = {
    "sqlite": Query("SELECT rowid FROM search_shows WHERE search_shows MATCH :match LIMIT :n"),
    "postgresql": Query(
        "SELECT show_id FROM search_shows WHERE search_prefixed(document) @@ search_match(:match)"
        " AND document @@ search_query(:match) LIMIT :n"
    ),
}


def vocabulary() -> list[str]:
    """Every word the generated shows are named, tagged, described and tracklisted with."""
    texts = [
        *gen.SHOW_PREFIXES,
        *gen.GENRES,
        *gen.SHOW_NOUNS,
        *(d.format(genre="", place="") for d in gen.DESCRIPTIONS),
        *(city for city, _country in gen.CITIES),
        *gen.ARTISTS,
        *gen.SONGS,
    ]
    return sorted({w.lower() for text in texts for w in re.findall(r"[^\W_]+", text)})


def queries(n: int, seed: int) -> list[str]:
    rng = random.Random(seed)
    words = vocabulary()
    return [" ".join(rng.sample(words, 2)) for _ in range(n)]


def floor_params(text: str, dialect: str, limit: int) -> dict[str, object]:
    terms = Terms.parse(text)
    return {"match": terms.fts5() if dialect == "sqlite" else terms.tsquery(), "n": limit}


def summary(label: str, samples: Sequence[float]) -> str:
    ordered = sorted(samples)
    p50 = statistics.median(ordered)
    p99 = ordered[min(len(ordered) - 1, int(len(ordered) * 0.99))]
    return f"  {label:10} p50 {p50:8.2f}  p99 {p99:8.2f}  mean {statistics.fmean(ordered):8.2f} ms"


async def run(url: str, texts: list[str], warmup: list[str], limit: int) -> str:
    """Measure one database; its RATIO line (``bench/ratios.py``)."""
    db: Database = await connect(DatabaseURL.parse(url))
    try:
        async with db.reading() as conn:
            return await measure(conn, db.dialect, url, texts, warmup, limit)
    finally:
        await db.close()


async def measure(
    conn: Connection, dialect: str, url: str, texts: list[str], warmup: list[str], limit: int
) -> str:
    floor = FLOOR[dialect]
    for text in warmup:  # warm the caches and the prepared statements
        await search_shows(conn, text, limit, 0)
        await conn.fetch_all(floor, floor_params(text, dialect, limit))
    ranked: list[float] = []
    bare: list[float] = []
    found = 0
    for text in texts:
        started = time.perf_counter()
        ids = await search_shows(conn, text, limit, 0)
        ranked.append((time.perf_counter() - started) * 1000)
        found += bool(ids)
        started = time.perf_counter()
        await conn.fetch_all(floor, floor_params(text, dialect, limit))
        bare.append((time.perf_counter() - started) * 1000)
    print(f"{dialect}: {url}")
    print(f"  {len(texts)} queries of 2 words ({found} with results), first page of {limit}")
    print(summary("ranked", ranked))
    print(summary("match-only", bare))
    ratio = statistics.median(ranked) / max(statistics.median(bare), 1e-9)
    print(f"  ranked / match-only at p50: {ratio:.1f}x")
    return ratio_line(
        f"search:{dialect}",
        f"search_shows p50 / bare MATCH p50 ({dialect}; target: ranked p50 <= 10 ms)",
        statistics.median(ranked),
        statistics.median(bare),
        ratio,
        "ms",
        "none",
    )


def main(argv: Sequence[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0] if __doc__ else None)
    parser.add_argument("--sqlite", metavar="PATH", help="a SQLite database made by gen.py")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database made by gen.py")
    parser.add_argument("--queries", type=int, default=1000)
    parser.add_argument("--warmup", type=int, default=200, help="untimed queries first")
    parser.add_argument("--limit", type=int, default=20, help="results per query (a page)")
    parser.add_argument("--seed", type=int, default=1)
    args = parser.parse_args(argv)
    if not (args.sqlite or args.postgres):
        parser.error("give --sqlite PATH and/or --postgres URL")
    texts = queries(args.queries, args.seed)
    warmup = queries(args.warmup, args.seed + 1)
    urls = ([f"sqlite:///{Path(args.sqlite).resolve()}"] if args.sqlite else []) + (
        [args.postgres] if args.postgres else []
    )
    lines = [asyncio.run(run(url, texts, warmup, args.limit)) for url in urls]
    print("\n".join(lines))
    return 0


if __name__ == "__main__":
    sys.exit(main())
