"""Latency of a date-mode list page by depth: is page 50,000 as cheap as page 1?

For each database given, on the 1M-show data of ``bench/gen.py``, this script times one page of
20 shows (mixcast's default ``limit``) at several depths of three dated lists:

- ``/new/``: every listed (public and ready) show, newest first, at depths 0, 10,000 and
  1,000,000 (capped to the last full page: the list holds the listed shows, fewer than 1M);
- ``/genres/<tag>/new/``: the genre tag with the most listed shows, at the same depths capped
  to its size;
- ``/<user>/cloudcasts/``: the user with the most listed shows, at depth 0 and its last page.

A page at depth ``d`` is the one ``next`` links lead to after ``d`` items: its ``until`` cursor
(``<sec>.<micro6>_<tie>``, as ``api.paging.links`` writes it) is the item at ``OFFSET d - 1`` in
the list's order, read with a direct SQL query over the list's source (for ``/new/``:
``ORDER BY published_at DESC, id DESC`` over listed shows), and depth 0 is the first page (no
cursor). Every page is checked once: a 200, 20 shows, the first the item at ``OFFSET d``.

The requests go through the real app in this process (``mixcast.app.MixcastApp`` over
``httpx.ASGITransport``, no HTTP server, no ranking job), one at a time, each timed with
``time.perf_counter``. The depths of one list take turns request by request, so a neighbour's
load on the shared machine falls on all of them alike. The table gives p50 and p90 per depth
and the ratio p50(depth) / p50(depth 0) of its list. Target: ratio <= 1.5 at depth 1M.

For contrast, ``/new/`` in offset mode (``?offset=10000``, ``?offset=<deepest>``): what a client
paying by position costs. Those are slow, so they get ``--offset-requests`` (5) requests each.
``--explain`` also prints the plans of each list's first and deepest page queries (SQLite: EXPLAIN
QUERY PLAN; PostgreSQL: EXPLAIN (ANALYZE, BUFFERS)). Nothing is written to the databases.

Run from the repository root with the project's venv::

    .venv/bin/python bench/list_depth.py --sqlite /tmp/bench-1m.db \\
        --postgres postgresql://postgres@127.0.0.1/bench_1m
"""

from __future__ import annotations

import argparse
import asyncio
import statistics
import sys
import tempfile
import time
from collections.abc import Sequence
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import quote

import httpx

ROOT = Path(__file__).resolve().parent.parent
if str(ROOT) not in sys.path:  # mixcast is run from the checkout, not installed
    sys.path.insert(0, str(ROOT))

sys.path.insert(0, str(ROOT / "bench"))

from ratios import ratio_line  # noqa: E402

from mixcast.api.paging import DEFAULT_LIMIT  # noqa: E402
from mixcast.app import MixcastApp  # noqa: E402
from mixcast.db.database import Database, Params, Query  # noqa: E402
from mixcast.lists import sources  # noqa: E402
from mixcast.lists.keyset import Dated, page_query  # noqa: E402
from mixcast.lists.window import Cursor, Window  # noqa: E402
from mixcast.services import open_services  # noqa: E402
from mixcast.settings import BaseURL, Settings  # noqa: E402

PAGE = DEFAULT_LIMIT  # 20: every request asks for the default page
DEPTHS = (0, 10_000, 1_000_000)
TARGET = 1.5  # p50 at depth 1M / p50 at depth 0
API = "http://bench/api"

_BIGGEST_GENRE = Query(
    """
    SELECT t.id, t.slug, COUNT(*) AS n FROM show_tags x JOIN tags t ON t.id = x.tag_id
    WHERE t.kind = 'genre' AND x.published_at IS NOT NULL
    GROUP BY t.id, t.slug ORDER BY n DESC, t.id LIMIT 1
    """
)
_BIGGEST_USER = Query(
    f"""
    SELECT u.id, u.username, c.n FROM users u JOIN (
        SELECT s.owner_id, COUNT(*) AS n FROM shows s WHERE {sources.LISTED} GROUP BY s.owner_id
    ) c ON c.owner_id = u.id ORDER BY c.n DESC, u.id LIMIT 1
    """
)
_SHOW_KEY = Query("SELECT u.username, s.slug FROM shows s JOIN users u ON u.id = s.owner_id "
                  "WHERE s.id = :id")  # fmt: skip


def _count(source: Dated) -> Query:
    return Query(f"SELECT COUNT(*) {source.body}")


def _nth(source: Dated) -> Query:
    """The item at ``:o`` in the list's order, and the one after it (the page's first)."""
    return Query(
        f"SELECT {source.id} AS id, {source.time} AS t, {source.tie} AS k {source.body}"
        f" ORDER BY {source.time} DESC, {source.tie} DESC LIMIT 2 OFFSET :o"
    )


@dataclass
class Case:
    """One page to time: a list at a depth, in date or offset mode."""

    name: str  # the list, as printed
    path: str  # under the API's base
    depth: int  # the number of items before the page
    asked: int  # the depth asked for, before capping to the last full page
    mode: str  # "date" | "offset"
    query: str  # the page's query string
    first_key: str  # the key of the page's first show
    times: list[float] = field(default_factory=list)  # seconds

    @property
    def url(self) -> str:
        return f"{self.path}?{self.query}" if self.query else self.path


@dataclass
class DatedList:
    name: str
    path: str
    source: Dated
    params: dict[str, Any]
    depths: tuple[int, ...]
    size: int = 0


async def _first_key(db: Database, show_id: int) -> str:
    row = await db.fetch_one(_SHOW_KEY, {"id": show_id})
    assert row is not None
    return f"/{row['username']}/{row['slug']}/"


async def _lists(db: Database) -> list[DatedList]:
    genre = await db.fetch_one(_BIGGEST_GENRE)
    user = await db.fetch_one(_BIGGEST_USER)
    if genre is None or user is None:
        raise SystemExit("the database has no listed shows: generate it with bench/gen.py")
    found = [
        DatedList("/new/", "/new/", sources.NEW, {}, DEPTHS),
        DatedList(
            f"/genres/{genre['slug']}/new/",
            f"/genres/{quote(genre['slug'], safe='')}/new/",
            sources.TAG_NEW,
            {"tag": genre["id"]},
            DEPTHS,
        ),
        DatedList(
            f"/{user['username']}/cloudcasts/",
            f"/{quote(user['username'], safe='')}/cloudcasts/",
            sources.USER_CLOUDCASTS,
            {"owner": user["id"]},
            (0, 10**9),  # its last page
        ),
    ]
    for dated in found:
        dated.size = int(await db.fetch_value(_count(dated.source), dated.params))
    return found


async def _cases(db: Database, dated: DatedList) -> list[Case]:
    """The date-mode pages of one list, one per depth (capped to its last full page)."""
    deepest = max(dated.size - PAGE, 0)
    cases: list[Case] = []
    for asked in dated.depths:
        depth = min(asked, deepest)
        if cases and cases[-1].depth == depth:  # capped to the same page as the previous depth
            cases[-1].asked = asked
            continue
        if depth == 0:
            first = await db.fetch_one(_nth(dated.source), {**dated.params, "o": 0})
            query = ""
        else:
            rows = await db.fetch_all(_nth(dated.source), {**dated.params, "o": depth - 1})
            cursor, first = rows[0], rows[1]
            t = cursor["t"]
            query = f"until={t // 1_000_000}.{t % 1_000_000:06d}_{cursor['k']}"
        assert first is not None
        key = await _first_key(db, first["id"])
        cases.append(Case(dated.name, dated.path, depth, asked, "date", query, key))
    return cases


async def _offset_cases(db: Database, dated: DatedList, depths: Sequence[int]) -> list[Case]:
    cases = []
    for asked in depths:
        depth = min(asked, max(dated.size - PAGE, 0))
        first = await db.fetch_one(_nth(dated.source), {**dated.params, "o": depth})
        assert first is not None
        key = await _first_key(db, first["id"])
        cases.append(Case(dated.name, dated.path, depth, asked, "offset", f"offset={depth}", key))
    return cases


async def _get(client: httpx.AsyncClient, case: Case) -> float:
    started = time.perf_counter()
    response = await client.get(case.url)
    elapsed = time.perf_counter() - started
    if response.status_code != 200:
        raise SystemExit(f"GET {case.url} answered {response.status_code}: {response.text[:300]}")
    return elapsed


async def _check(client: httpx.AsyncClient, case: Case) -> None:
    data = (await client.get(case.url)).json()["data"]
    if len(data) != PAGE or data[0]["key"] != case.first_key:
        got = data[0]["key"] if data else None
        raise SystemExit(
            f"GET {case.url}: {len(data)} shows, the first {got!r}; expected {PAGE} shows from "
            f"{case.first_key!r} (depth {case.depth:,})"
        )


async def _time(client: httpx.AsyncClient, cases: list[Case], requests: int, warmup: int) -> None:
    """``warmup`` untimed requests per case, then ``requests`` timed ones, the cases in turn."""
    for case in cases:
        await _check(client, case)
        for _ in range(warmup):
            await _get(client, case)
    for _ in range(requests):
        for case in cases:
            case.times.append(await _get(client, case))


async def _explain(db: Database, dated: DatedList, case: Case) -> str:
    """The plan of one date-mode page query of ``dated``, as mixcast sends it."""
    window = Window(PAGE)
    params: Params = {**dated.params, "n": PAGE + 1}
    if case.query:
        stamp, tie = case.query.removeprefix("until=").split("_")
        whole, micro = stamp.split(".")
        cursor = Cursor(int(whole) * 1_000_000 + int(micro), int(tie))
        window = Window(PAGE, until=cursor)
        params = {**params, "ut": cursor.time, "uk": cursor.tie}
    query, _ = page_query((dated.source,), window)
    if db.dialect == "sqlite":
        rows = await db.fetch_all(Query("EXPLAIN QUERY PLAN " + query.text), params)
        plan = "\n".join(f"    {row['detail']}" for row in rows)
    else:
        rows = await db.fetch_all(Query("EXPLAIN (ANALYZE, BUFFERS) " + query.text), params)
        plan = "\n".join(f"    {row['QUERY PLAN']}" for row in rows)
    return f"  {dated.name} at depth {case.depth:,}:\n    {query.text}\n{plan}"


def _pct(values: list[float], q: int) -> float:
    if len(values) == 1:
        return values[0]
    return statistics.quantiles(values, n=100, method="inclusive")[q - 1]


async def bench(label: str, url: str, args: argparse.Namespace) -> tuple[list[Case], list[str]]:
    with tempfile.TemporaryDirectory(prefix="bench-list-depth-") as tmp:
        settings = Settings(
            site_url=BaseURL.parse("http://bench"),
            api_url=BaseURL.parse(API),
            data_dir=Path(tmp),
            database_url=url,
            storage_url=f"file://{tmp}/media",
            rank_interval=0,  # no ranking job: it would write to the database
        )
        services = await open_services(settings)
        try:
            db = services.db
            started = time.monotonic()
            lists = await _lists(db)
            cases = {dated.name: await _cases(db, dated) for dated in lists}
            offsets = await _offset_cases(db, lists[0], args.offset_depths)
            for dated in lists:
                print(f"[{label}] {dated.name}: {dated.size:,} shows", flush=True)
            print(f"[{label}] cursors in {time.monotonic() - started:.1f} s", flush=True)
            plans = []
            if args.explain:  # the first and the deepest page of each list
                for d in lists:
                    for case in (cases[d.name][0], cases[d.name][-1]):
                        plans.append(await _explain(db, d, case))
            transport = httpx.ASGITransport(app=MixcastApp(settings, services))
            async with httpx.AsyncClient(transport=transport, base_url=API) as client:
                for dated in lists:
                    started = time.monotonic()
                    await _time(client, cases[dated.name], args.requests, args.warmup)
                    print(
                        f"[{label}] {dated.name} timed in {time.monotonic() - started:.1f} s",
                        flush=True,
                    )
                for case in offsets:
                    deep = case.depth >= 10_000
                    count = min(args.requests, args.offset_requests) if deep else args.requests
                    await _time(client, [case], count, 1 if deep else args.warmup)
                    print(f"[{label}] offset={case.depth:,} timed", flush=True)
        finally:
            await services.close()
    return [c for group in cases.values() for c in group] + offsets, plans


def table(label: str, cases: list[Case]) -> str:
    header = (
        f"{'list':<34}{'mode':<7}{'depth':>11}{'n':>5}{'p50 ms':>10}{'p90 ms':>10}{'ratio':>9}  "
    )
    lines = [f"{label}", header, "-" * (len(header) + 12)]
    base: dict[str, float] = {}
    for case in cases:
        p50, p90 = _pct(case.times, 50) * 1e3, _pct(case.times, 90) * 1e3
        if case.mode == "date" and case.depth == 0:
            base[case.name] = p50
        ratio = p50 / base[case.name]
        depth = f"{case.depth:,}"
        note = ""
        if case.depth != case.asked:
            note = "last page" if case.asked > 10**6 else f"asked {case.asked:,}: last page"
        if case.mode == "date" and case.asked >= 10**6:
            note += f"; {'ok' if ratio <= TARGET else 'ABOVE TARGET'} (<= {TARGET})"
        lines.append(
            f"{case.name[:33]:<34}{case.mode:<7}{depth:>11}{len(case.times):>5}{p50:>10.2f}"
            f"{p90:>10.2f}{ratio:>9.2f}  {note.strip('; ')}"
        )
    return "\n".join(lines)


def ratio_lines(label: str, cases: list[Case]) -> list[str]:
    """The RATIO lines (``bench/ratios.py``): each list's deepest date-mode page against its
    first page, p50."""
    first: dict[str, float] = {}
    deepest: dict[str, Case] = {}
    for case in cases:
        if case.mode != "date":
            continue
        if case.depth == 0:
            first[case.name] = _pct(case.times, 50) * 1e3
        elif case.name not in deepest or case.depth > deepest[case.name].depth:
            deepest[case.name] = case
    lines = []
    for name, case in deepest.items():
        deep = _pct(case.times, 50) * 1e3
        slug = (
            "genre-new"
            if name.startswith("/genres/")
            else "user-cloudcasts"
            if name.endswith("/cloudcasts/")
            else name.strip("/").replace("/", "-")
        )
        lines.append(
            ratio_line(
                f"list_depth:{label}-{slug}",
                f"{name} p50 at depth {case.depth:,} / depth 0 ({label})",
                deep,
                first[name],
                deep / first[name],
                "ms",
                f"<={TARGET}",
            )
        )
    return lines


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--sqlite", metavar="PATH", help="SQLite database file")
    parser.add_argument("--postgres", metavar="URL", help="postgresql://user@host/db")
    parser.add_argument("--requests", type=int, default=200, help="timed requests per page")
    parser.add_argument("--warmup", type=int, default=20, help="untimed requests per page first")
    parser.add_argument(
        "--offset-requests", type=int, default=5, help="timed requests per deep offset page"
    )
    parser.add_argument(
        "--offset-depths",
        type=lambda text: [int(v) for v in text.split(",")],
        default=[10_000, 1_000_000],
        help="offsets of /new/ timed for contrast (comma-separated)",
    )
    parser.add_argument("--explain", action="store_true", help="print the page queries' plans")
    args = parser.parse_args(argv)
    if not (args.sqlite or args.postgres):
        parser.error("give --sqlite PATH and/or --postgres URL")
    if args.sqlite and not Path(args.sqlite).is_file():
        parser.error(f"no SQLite database at {args.sqlite}")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    targets = []
    if args.sqlite:
        targets.append(("sqlite", f"sqlite:///{Path(args.sqlite).resolve()}"))
    if args.postgres:
        targets.append(("postgresql", args.postgres))
    out, ratios = [], []
    for label, url in targets:
        cases, plans = asyncio.run(bench(label, url, args))
        out.append(table(label, cases))
        ratios += ratio_lines(label, cases)
        if plans:
            out.append(f"{label}: plans of the first and deepest pages\n" + "\n".join(plans))
    print(
        f"\nGET of a {PAGE}-show page by depth, in-process (httpx.ASGITransport), "
        f"{args.requests} timed requests a page after {args.warmup} of warm-up "
        f"(deep offset pages: {args.offset_requests}, after 1); ratio: p50 / p50 of the "
        f"list's first page; target: ratio <= {TARGET} at depth 1M (or the last page)\n"
    )
    print("\n\n".join(out))
    print("\n".join(ratios))
    return 0


if __name__ == "__main__":
    sys.exit(main())
