"""Benchmark follow/unfollow through a real server: rate limits off, on memory, on Redis.

What it measures is the cost of the API's rate limiter (``mixcast/ratelimit/policy.py``) on a
write action, against the same server with the limits off: three configurations of one server
(``python -m mixcast serve --workers 1``) on the same database and port, in the same run:

- ``off``: ``MIXCAST_RATELIMIT_READ=off`` and ``MIXCAST_RATELIMIT_WRITE=off``, the floor;
- ``memory``: both limits on at 100,000,000/minute (nothing is ever refused) in this
  process's memory (``MIXCAST_RATELIMIT_URL`` unset);
- ``redis``: the same limits on Redis (``--redis``, default ``redis://127.0.0.1:6379/0``),
  under a prefix of this run's own (``?prefix=bench-actions-<pid>``), deleted at the end.

The load: ``--pairs`` pairs (256) of a fan and a target, every fan with its own access token
(one app, so one rate-limit grant per fan, as many clients would be). wrk (``--threads`` 2,
``--connections`` 32) sends ``POST /api/<target>/follow/?access_token=<fan's token>`` and
``DELETE`` on the same URL: each wrk thread takes its own share of the pairs and visits them in
turn, each visit flipping the pair (POST, then DELETE, then POST...), so every request really
inserts or deletes a follows row and bumps two counters, and no two requests in flight touch the
same rows (a thread has far fewer connections than pairs). Before each wrk run every pair is
unfollowed (through ``unfollow_user``, counters kept in step) and, on PostgreSQL, ``follows``
and ``users`` are vacuumed, so each run starts alike.

Each configuration is served, checked (a POST and a DELETE: 200, the message, and the
X-RateLimit headers when the limits are on, none when off), warmed up (``--warmup`` s, every
status must be 200), and measured with ``wrk --latency`` (``--duration`` s); ``--rounds`` (3)
rounds run the three in turn, and the medians are reported, the ratios being the medians of
each round's ratio to that round's floor. Target: memory/off and redis/off >= 0.90. Also
printed: CPU time per request of the server, of the PostgreSQL backends serving it, and of
redis-server, and the cores other processes used meanwhile (noise: see show_get.py).

The database: ``--database-url``; by default a temporary SQLite database, migrated and seeded
here and removed at the end. A ``postgresql://`` URL names an existing database the script may
write to: it is migrated to the newest schema, the pairs are created with usernames of this run
(``bench<pid>-fan-<i>``, ``bench<pid>-target-<i>``) and deleted at the end (with their apps,
tokens and follows, by the foreign keys' cascade).

Run from the repository root with the project's venv (wrk: ``apt-get install -y wrk``)::

    .venv/bin/python bench/actions.py
    .venv/bin/python bench/actions.py --database-url postgresql://postgres@127.0.0.1/bench_actions

Flags: ``--duration`` (10), ``--rounds`` (3), ``--connections`` (32), ``--threads`` (2),
``--warmup`` (3), ``--pairs`` (256), ``--port`` (8741), ``--redis``, ``--settle`` (10: seconds
to wait for a quiet machine before each measurement), ``-v`` (print wrk's output).
"""

from __future__ import annotations

import argparse
import asyncio
import http.client
import json
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass
from pathlib import Path
from urllib.parse import urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ratios import ratio_line
from show_get import (
    APP_NAME,
    TICK,
    BenchError,
    Result,
    _backends,
    _children_ticks,
    _delta,
    _machine_busy_ticks,
    _process_ticks,
    guarded,
    serve,
    settle,
    wrk,
)

from mixcast.accounts.follows import unfollow_user
from mixcast.accounts.users import create_user
from mixcast.db.database import Query, connect
from mixcast.db.migrate import upgrade
from mixcast.db.urls import DatabaseURL
from mixcast.oauth.apps import AppForm, create_app
from mixcast.oauth.tokens import issue_token
from mixcast.ratelimit import open_limits_storage

TARGET = 0.90
HIGH = "100000000/minute"  # never reached: only the limiter's cost is measured
CONFIGS = ("off", "memory", "redis")
RUN_TAG = f"bench{os.getpid()}"  # usernames and the Redis prefix of this run

# Follow and unfollow. The file's first line is the number of wrk threads, then one path per
# pair. Thread t takes the lines whose rank is t modulo that number and visits them in turn,
# flipping each pair on every visit: POST (follow), then DELETE (unfollow). Arguments: the
# file, and "check" to count every status other than 200 (the response() hook costs client
# CPU, so it runs in the warm-up only).
WRK_LUA = r"""
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end
function init(args)
  paths, following, turn, bad = {}, {}, 0, 0
  local n, rank = nil, 0
  for line in io.lines(args[1]) do
    if n == nil then
      n = tonumber(line)
    else
      if rank % n == id - 1 then
        paths[#paths + 1] = line
        following[#paths] = false
      end
      rank = rank + 1
    end
  end
  if args[2] == "check" then
    response = function(status, headers, body)
      if status ~= 200 then bad = bad + 1 end
    end
  end
end
function request()
  turn = turn % #paths + 1
  local method = following[turn] and "DELETE" or "POST"
  following[turn] = not following[turn]
  return wrk.format(method, paths[turn])
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("bad") or 0) end
  io.write(string.format("BENCH requests=%d not200=%d\n", summary.requests, bad))
end
"""


@dataclass(frozen=True)
class Pair:
    fan_id: int
    target_id: int
    target: str  # the target's username
    token: str  # the fan's access token

    @property
    def path(self) -> str:
        return f"/api/{self.target}/follow/?access_token={self.token}"


# ---------------------------------------------------------------- the database


async def _seed(url: str, n: int) -> list[Pair]:
    """One app, ``n`` fans each with a token for it, ``n`` targets: in one transaction."""
    now = time.time_ns() // 1000
    db = await connect(DatabaseURL.parse(url))
    try:
        async with db.transaction() as tx:
            dev = await create_user(tx, username=f"{RUN_TAG}-dev", display_name="Dev", now=now)
            form = AppForm("Bench actions", "", ("https://bench.example/callback",))
            app = (await create_app(tx, dev, form, now)).app
            pairs = []
            for i in range(n):
                fan = await create_user(
                    tx, username=f"{RUN_TAG}-fan-{i}", display_name=f"Fan {i}", now=now
                )
                name = f"{RUN_TAG}-target-{i}"
                target = await create_user(tx, username=name, display_name=f"Target {i}", now=now)
                token = await issue_token(tx, app.id, fan, now)
                pairs.append(Pair(fan, target, name, token))
            return pairs
    finally:
        await db.close()


async def _unfollow_all(url: str, pairs: list[Pair]) -> None:
    db = await connect(DatabaseURL.parse(url))
    try:
        async with db.transaction() as tx:
            for pair in pairs:
                await unfollow_user(tx, pair.fan_id, pair.target_id)
    finally:
        await db.close()


def _vacuum(url: str) -> None:
    """PostgreSQL: every request leaves dead row versions in follows and users (the counters);
    vacuum them before each wrk run, so no run pays for the previous one's (or autovacuum's
    start in the middle of it)."""
    import psycopg

    with psycopg.connect(url, autocommit=True) as conn:
        conn.execute("VACUUM (ANALYZE) follows, users")


_DELETE_USERS = Query("DELETE FROM users WHERE username LIKE :pattern")


async def _delete_pairs(url: str) -> None:
    """This run's users, and by cascade their app, tokens and follows."""
    db = await connect(DatabaseURL.parse(url))
    try:
        async with db.transaction() as tx:
            await tx.execute(_DELETE_USERS, {"pattern": f"{RUN_TAG}-%"})
    finally:
        await db.close()


# ---------------------------------------------------------------- requests


def _request(port: int, method: str, path: str) -> tuple[int, dict[str, str], bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request(method, path)
        resp = conn.getresponse()
        return resp.status, {k.lower(): v for k, v in resp.getheaders()}, resp.read()
    finally:
        conn.close()


def check_actions(port: int, pair: Pair, config: str) -> None:
    """A follow and an unfollow: 200, the message, and the limit headers iff limits are on."""
    for method, message in (("POST", "Now following"), ("DELETE", "No longer following")):
        status, headers, body = _request(port, method, pair.path)
        if status != 200:
            raise BenchError(f"{method} {pair.path} answered {status}: {body[:300]!r}")
        got = json.loads(body)["result"]["message"]
        if not got.startswith(message):
            raise BenchError(f"{method} {pair.path} said {got!r}")
        limit = headers.get("x-ratelimit-limit")
        if config == "off" and limit is not None:
            raise BenchError(f"limits off, yet X-RateLimit-Limit: {limit}")
        if config != "off" and limit != HIGH.split("/")[0]:
            raise BenchError(f"limits at {HIGH}, yet X-RateLimit-Limit: {limit}")


# ---------------------------------------------------------------- measuring


def _redis_pids() -> set[int]:
    pids = set()
    for entry in Path("/proc").iterdir():
        if entry.name.isdigit():
            try:
                if (entry / "comm").read_text().strip() == "redis-server":
                    pids.add(int(entry.name))
            except OSError:
                continue
    return pids


def _ticks(pids: set[int]) -> int:
    total = 0
    for pid in pids:
        try:
            fields = Path(f"/proc/{pid}/stat").read_text().rsplit(")", 1)[1].split()
        except OSError:
            continue
        total += int(fields[11]) + int(fields[12])
    return total


def run_wrk(
    args: argparse.Namespace, port: int, files: tuple[Path, Path], seconds: int, check: bool = False
) -> Result:
    """One wrk run of the follow/unfollow script over the pairs' paths."""
    paths, lua = files
    return wrk(args, port, lua, [str(paths)], "follow/unfollow", seconds, check)


def measure(
    args: argparse.Namespace, port: int, files: tuple[Path, Path], pgid: int, pg_url: str | None
) -> Result:
    """The measured wrk run, with the CPU time of the server, PostgreSQL, Redis and the rest."""
    backends, redis = _backends(pg_url), _redis_pids()

    def snapshot() -> tuple[dict[int, int], dict[int, int], int, int, float, float]:
        server, db = _process_ticks(pgid, backends)
        return server, db, _ticks(redis), _machine_busy_ticks(), _children_ticks(), time.monotonic()

    server0, db0, redis0, busy0, wrk0, t0 = snapshot()
    result = run_wrk(args, port, files, args.duration)
    server1, db1, redis1, busy1, wrk1, t1 = snapshot()
    server, db, rds = _delta(server0, server1), _delta(db0, db1), redis1 - redis0
    others = (busy1 - busy0) - server - db - rds - (wrk1 - wrk0)
    per_request = 1e6 / TICK / max(result.requests, 1)
    return Result(
        rps=result.rps,
        p50_ms=result.p50_ms,
        p99_ms=result.p99_ms,
        requests=result.requests,
        cpu_us=server * per_request,
        db_cpu_us=db * per_request,
        redis_cpu_us=rds * per_request,
        others=max(others, 0) / TICK / (t1 - t0),
    )


def bench(
    args: argparse.Namespace, url: str, pairs: list[Pair], work: Path
) -> dict[str, list[Result]]:
    """The three configurations in turn, ``args.rounds`` times."""
    files = (work / "paths.txt", work / "actions.lua")
    files[0].write_text(f"{args.threads}\n" + "".join(pair.path + "\n" for pair in pairs))
    files[1].write_text(WRK_LUA)
    pg_url = url if url.startswith("postgres") else None
    if pg_url:  # tag the server's connections, to count their backends' CPU
        server_url = f"{url}{'&' if urlsplit(url).query else '?'}application_name={APP_NAME}"
    else:
        server_url = url
    port, base = args.port, f"http://127.0.0.1:{args.port}"
    data_dir = work / "data"
    data_dir.mkdir(exist_ok=True)
    cmd = [sys.executable, "-m", "mixcast", "serve", "--port", str(port), "--workers", "1"]
    common = {
        "MIXCAST_DATABASE_URL": server_url,
        "MIXCAST_DATA_DIR": str(data_dir),
        "MIXCAST_SITE_URL": base,
        "MIXCAST_API_URL": base + "/api",
        "MIXCAST_RANK_INTERVAL": "0",  # no ranking job writing meanwhile
    }
    on = {"MIXCAST_RATELIMIT_READ": HIGH, "MIXCAST_RATELIMIT_WRITE": HIGH}
    envs = {
        "off": {"MIXCAST_RATELIMIT_READ": "off", "MIXCAST_RATELIMIT_WRITE": "off"},
        "memory": {**on, "MIXCAST_RATELIMIT_URL": ""},
        "redis": {**on, "MIXCAST_RATELIMIT_URL": args.redis_url},
    }
    probe = f"/api/{pairs[0].target}/"
    runs: dict[str, list[Result]] = {config: [] for config in CONFIGS}
    for round_no in range(args.rounds):
        for config in CONFIGS:
            tag = f"[{config}" + (f" round {round_no + 1}]" if args.rounds > 1 else "]")
            env = {**os.environ, "MIXCAST_RATELIMIT_URL": "", **common, **envs[config]}
            log = work / f"{config}.log"
            with serve(config, cmd, env, port, probe, log) as pgid:
                check_actions(port, pairs[0], config)
                if args.warmup:
                    asyncio.run(_unfollow_all(url, pairs))
                    run_wrk(args, port, files, args.warmup, check=True)
                asyncio.run(_unfollow_all(url, pairs))
                if pg_url:
                    _vacuum(pg_url)
                if args.settle:
                    load = settle(args.settle)
                    print(f"{tag} machine load before measuring: {load:.2f} cores", flush=True)
                result = measure(args, port, files, pgid, pg_url)
            runs[config].append(result)
            print(
                f"{tag} {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, p99 "
                f"{result.p99_ms:.2f} ms, CPU/request {result.cpu_us:.0f} us app + "
                f"{result.db_cpu_us:.0f} us db + {result.redis_cpu_us:.0f} us redis "
                f"({result.requests:,} requests; others {result.others:.2f} cores)",
                flush=True,
            )
    return runs


def table(args: argparse.Namespace, label: str, runs: dict[str, list[Result]]) -> str:
    head = (
        f"POST and DELETE /api/<target>/follow/, {args.pairs} fans (one token each) and targets:"
        f"\nwrk -t{args.threads} -c{args.connections} -d{args.duration}s, 1 server worker"
        + (f", medians of {args.rounds} rounds" if args.rounds > 1 else "")
    )
    header = (
        f"{'database':<12}{'limits':<8}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'app CPU':>9}{'db CPU':>8}{'redis':>8}{'others':>8}"
    )
    lines = [head, "", header, "-" * len(header)]
    for config in CONFIGS:
        results = runs[config]
        values = [
            statistics.median([getattr(r, field) for r in results])
            for field in ("rps", "p50_ms", "p99_ms", "cpu_us", "db_cpu_us", "redis_cpu_us")
        ]
        others = statistics.median([r.others for r in results])
        lines.append(
            f"{label:<12}{config:<8}{values[0]:>9,.0f}{values[1]:>9.2f}{values[2]:>9.2f}"
            f"{values[3]:>9.0f}{values[4]:>8.0f}{values[5]:>8.0f}{others:>8.2f}"
        )
    for config in CONFIGS[1:]:
        pairs = list(zip(runs[config], runs["off"], strict=True))
        ratios = [run.rps / floor.rps for run, floor in pairs]
        ratio = statistics.median(ratios)
        verdict = "ok" if ratio >= TARGET else "BELOW TARGET"
        each = f" (rounds: {' '.join(f'{r:.3f}' for r in ratios)})" if len(ratios) > 1 else ""
        lines.append(
            f"{label:<12}{config + '/off':<12}{ratio:>6.3f}  req/s, target >= {TARGET:.2f}: "
            f"{verdict}{each}"
        )
        cpu = statistics.median(
            [
                (f.cpu_us + f.db_cpu_us + f.redis_cpu_us)
                / (r.cpu_us + r.db_cpu_us + r.redis_cpu_us)
                for r, f in pairs
            ]
        )
        lines.append(f"{'':<24}{cpu:>6.3f}  off/{config} CPU per request (app + db + redis)")
    lines.append(
        "\napp, db, redis CPU: microseconds of CPU per request spent by the server, by the"
        "\nPostgreSQL backends serving it and by redis-server; others: cores used meanwhile by"
        "\nevery other process on the machine (noise: compare rows with similar values)"
    )
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument(
        "--database-url",
        help="postgresql://… of an existing database it may write to (default: a temporary "
        "SQLite database)",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of warm-up per run")
    parser.add_argument("--rounds", type=int, default=3, help="rounds of the three (medians)")
    parser.add_argument("--connections", type=int, default=32)
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--pairs", type=int, default=256, help="fans (one token each), targets")
    parser.add_argument("--port", type=int, default=8741)
    parser.add_argument("--redis", default="redis://127.0.0.1:6379/0", help="Redis for 'redis'")
    parser.add_argument(
        "--settle",
        type=float,
        default=10,
        help="before each measurement, wait up to this many seconds for a quiet machine",
    )
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    parser.add_argument("-v", "--verbose", action="store_true", help="print wrk's output")
    args = parser.parse_args(argv)
    if not Path(args.wrk).exists():
        parser.error(f"wrk not found at {args.wrk} (apt-get install -y wrk)")
    if args.database_url and not args.database_url.startswith(("postgresql://", "postgres://")):
        parser.error("--database-url takes a postgresql:// URL (the default is SQLite)")
    if args.pairs < 2 * args.connections:
        parser.error("--pairs must be at least twice --connections (no shared rows in flight)")
    separator = "&" if urlsplit(args.redis).query else "?"
    args.redis_url = f"{args.redis}{separator}prefix=bench-actions-{os.getpid()}"
    return args


async def _redis_reset(url: str) -> None:
    storage = open_limits_storage(url)
    if not await storage.check():
        raise BenchError(f"Redis does not answer at {url}")
    await storage.reset()


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    results: dict[str, dict[str, list[Result]]] = {}

    def run(work: Path) -> None:
        url = args.database_url or f"sqlite:///{work / 'bench.db'}"
        label = "postgresql" if args.database_url else "sqlite"
        asyncio.run(_redis_reset(args.redis_url))
        upgrade(DatabaseURL.parse(url))
        try:
            started = time.monotonic()
            pairs = asyncio.run(_seed(url, args.pairs))
            print(
                f"[{label}] {len(pairs)} fans and targets made in "
                f"{time.monotonic() - started:.1f} s",
                flush=True,
            )
            results[label] = bench(args, url, pairs, work)
        finally:
            if args.database_url:
                asyncio.run(_delete_pairs(url))
            asyncio.run(_redis_reset(args.redis_url))

    status = guarded("bench-actions-", run)
    for label, runs in results.items():
        print("\n" + table(args, label, runs))
    if status == 0:
        print(ratio_lines(results))
    return status


def ratio_lines(results: dict[str, dict[str, list[Result]]]) -> str:
    """The RATIO lines (``bench/ratios.py``): each limiter configuration against ``off``."""
    lines = []
    for label, runs in results.items():
        for config in CONFIGS[1:]:
            pairs = zip(runs[config], runs["off"], strict=True)
            lines.append(
                ratio_line(
                    f"actions:{label}-{config}",
                    f"follow/unfollow, rate limits on {config} / off ({label})",
                    statistics.median(r.rps for r in runs[config]),
                    statistics.median(r.rps for r in runs["off"]),
                    statistics.median(r.rps / f.rps for r, f in pairs),
                    "req/s",
                    f">={TARGET:.2f}",
                )
            )
    return "\n".join(lines)


if __name__ == "__main__":
    sys.exit(main())
