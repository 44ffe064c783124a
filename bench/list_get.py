"""Benchmark two list pages against their floor, on SQLite and/or PostgreSQL.

The lists, each a page of 20 shows (mixcast's default ``limit``):

- ``GET /api/<user>/cloudcasts/``, the first page (date mode) of a random user among those with
  at least 20 listed (public and ready) shows, so every page is full: one query for the user,
  one for the page's 21 ids (``ix_shows_owner_new``), one for the 20 shows, one for their tags;
- ``GET /api/popular/?offset=N``, N a random multiple of 20 below ``--popular-pages`` x 20
  (default 10 pages: offsets 0 to 180, the pages people read), capped so every page is full:
  the page's 21 ids (``ix_shows_popular``), then the shows and their tags. The popular list
  holds only shows with ``popular_score > 0``; if the database has none (``bench/gen.py`` does
  not rank; ``mixcast rank`` does, and writes), the list is empty and is skipped with a
  warning: this script never writes to the database.

Each list is measured like ``show_get.py`` measures a show, with its machinery (imported, not
copied): mixcast (``mixcast serve``, no ranking job) then the floor (``floor_app.py``, whose list
routes run the same SQL, built by the same ``mixcast.lists`` code, and dump the rows with
orjson) on the same port, warmed up and then measured with wrk on a key file of random paths,
every response checked to be a 200 holding a full page. It prints req/s, p50 and p99 for both
and the ratio mixcast/floor per list and database (target: >= 0.70).

Run from the repository root with the project's venv::

    .venv/bin/python bench/list_get.py --sqlite /tmp/bench-1m.db \\
        --postgres postgresql://postgres@127.0.0.1/bench_1m --rounds 3

Flags: those of ``show_get.py`` (``--keys`` is the number of lines of each key file), plus
``--lists`` (``cloudcasts,popular``) and ``--popular-pages`` (10).
"""

from __future__ import annotations

import argparse
import random
import sqlite3
import sys
import time
from collections.abc import Callable
from pathlib import Path
from urllib.parse import quote

sys.path.insert(0, str(Path(__file__).resolve().parent))

from show_get import (
    BenchError,
    Result,
    bench_database,
    check_args,
    get_json,
    guarded,
    make_parser,
    ratio_lines,
    table,
)

from mixcast.db.schema import listed_sql

TARGET = 0.70
PAGE = 20  # mixcast's default limit: the page size of every request
LISTS = ("cloudcasts", "popular")
LISTED = listed_sql("s")
# Users whose first page of cloudcasts is full.
_USERS_SQL = f"""
    SELECT u.username FROM users u JOIN (
        SELECT s.owner_id FROM shows s WHERE {LISTED} GROUP BY s.owner_id HAVING COUNT(*) >= {PAGE}
    ) c ON c.owner_id = u.id ORDER BY u.id
"""
# The length of the popular list (sources.POPULAR["all"]).
_RANKED_SQL = f"SELECT COUNT(*) FROM shows s WHERE s.popular_score > 0 AND {LISTED}"


def _sqlite_rows(path: str, sql: str) -> list[tuple[object, ...]]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        return conn.execute(sql).fetchall()
    finally:
        conn.close()


def _postgres_rows(url: str, sql: str) -> list[tuple[object, ...]]:
    import psycopg

    with psycopg.connect(url) as conn:
        return list(conn.execute(sql))


def list_keys(
    fetch: Callable[[str], list[tuple[object, ...]]], args: argparse.Namespace, rnd: random.Random
) -> dict[str, list[str]]:
    """The paths of each list (an empty list when it cannot be benchmarked)."""
    keys: dict[str, list[str]] = {}
    if "cloudcasts" in args.lists:
        users = [str(name) for (name,) in fetch(_USERS_SQL)]
        sample = rnd.sample(users, min(args.keys, len(users)))
        keys["cloudcasts"] = [f"/{quote(name, safe='')}/cloudcasts/" for name in sample]
        print(f"  {len(users):,} users with >= {PAGE} listed shows; sampled {len(sample):,}")
    if "popular" in args.lists:
        ranked = int(fetch(_RANKED_SQL)[0][0] or 0)  # type: ignore[call-overload]
        pages = min(args.popular_pages, ranked // PAGE)
        keys["popular"] = [f"/popular/?offset={PAGE * page}" for page in range(pages)]
        print(f"  {ranked:,} shows with popular_score > 0: {pages} full pages of /popular/")
        if not pages:
            print(
                "  WARNING: /popular/ is empty or shorter than a page (no popular scores: run "
                "`mixcast rank` on the database first); skipping it",
                flush=True,
            )
    return {name: paths for name, paths in keys.items() if paths}


def check_page(port: int, prefix: str, keys: list[str], is_mixcast: bool) -> None:
    """A few paths one by one: status 200 and a full page of shows."""
    for key in keys[:50]:
        data = get_json(port, prefix + key)
        shows = data["data"] if is_mixcast else data["shows"]  # the floor dumps raw rows
        if len(shows) != PAGE:
            raise BenchError(f"GET {prefix}{key} returned {len(shows)} shows, not {PAGE}")


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(__doc__.split("\n\n")[0])
    parser.add_argument(
        "--lists", default=",".join(LISTS), help=f"comma-separated, of {', '.join(LISTS)}"
    )
    parser.add_argument(
        "--popular-pages", type=int, default=10, help="random offsets over this many pages"
    )
    args = check_args(parser, parser.parse_args(argv))
    args.lists = [name.strip() for name in args.lists.split(",") if name.strip()]
    if unknown := set(args.lists) - set(LISTS):
        parser.error(f"unknown lists: {', '.join(sorted(unknown))}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rnd = random.Random(args.seed)
    targets: list[tuple[str, str, Callable[[str], list[tuple[object, ...]]]]] = []
    if args.sqlite:
        path = str(Path(args.sqlite).resolve())
        targets.append(("sqlite", f"sqlite:///{path}", lambda sql: _sqlite_rows(path, sql)))
    if args.postgres:
        url = args.postgres
        targets.append(("postgresql", url, lambda sql: _postgres_rows(url, sql)))
    rows: dict[str, dict[str, list[Result]]] = {}

    def run(work: Path) -> None:
        for label, url, fetch in targets:
            started = time.monotonic()
            print(f"[{label}] sampling keys", flush=True)
            keys = list_keys(fetch, args, rnd)
            print(f"[{label}] keys in {time.monotonic() - started:.1f} s", flush=True)
            for name, paths in keys.items():
                rows[f"{label} {name}"] = bench_database(
                    args, f"{label}-{name}", url, paths, work, check=check_page
                )

    status = guarded("bench-list-get-", run)
    if status:
        return status
    if not rows:
        print("\nnothing to benchmark", file=sys.stderr)
        return 1
    last = PAGE * (args.popular_pages - 1)
    what = f"GET /{{user}}/cloudcasts/ (page 1), /popular/?offset=0..{last} ({PAGE} shows a page)"
    print("\n" + table(rows, args, what=what, target=TARGET))
    print(ratio_lines("list_get", rows, "GET of a list page", TARGET))
    return 0


if __name__ == "__main__":
    sys.exit(main())
