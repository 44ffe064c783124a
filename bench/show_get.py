"""Benchmark ``GET /{user}/{show}/`` against its floor, on SQLite and/or PostgreSQL.

For each database given, the script samples random keys of existing public, ready shows (so
every request must answer 200), then, one server after the other on the same port:

1. serves mixcast (``python -m mixcast serve --workers N``; the route is under the API prefix,
   ``/api/<user>/<slug>/``), checks a few responses, warms it up with wrk while checking that
   every status is exactly 200, and measures it with ``wrk --latency`` on random keys;
2. does the same for the floor, ``bench/floor_app.py``: a bare Starlette app that runs the same
   three queries through the plain driver and dumps the rows with orjson, served by uvicorn with
   the same settings (workers, uvloop, httptools, no access log).

It prints req/s, p50 and p99 for both and the ratio mixcast/floor (target: >= 0.80). It also
prints the CPU time per request of the server's processes and of the PostgreSQL backends serving
them (tagged with an ``application_name``), and the CPU that every other process used meanwhile:
on a shared machine req/s follows the neighbours' load, CPU per request less so (though it grows
under contention too). Any non-2xx response or socket error fails the run. Each server runs in
its own process group, which is killed at the end, errors and Ctrl-C included.

Run from the repository root with the project's venv (wrk: ``apt-get install -y wrk``)::

    .venv/bin/python bench/show_get.py --sqlite /tmp/bench-1m.db \\
        --postgres postgresql://postgres@127.0.0.1/bench_1m

Flags: ``--duration`` (15 s measured per server), ``--warmup`` (5 s), ``--connections`` (64),
``--workers`` (2), ``--threads`` (wrk's, 2), ``--keys`` (10,000), ``--port`` (8731),
``--rounds`` (1; with more, mixcast and the floor alternate that many times, medians are reported
and the ratio is the median of the rounds' ratios), ``--settle`` (30: seconds to wait, before
each measurement, for the other processes on the machine to quieten down), ``--seed``, ``-v``
(print wrk's output). On a shared machine prefer ``--rounds 3`` and read the ``others`` column.
"""

from __future__ import annotations

import argparse
import http.client
import json
import os
import random
import re
import resource
import shutil
import signal
import socket
import sqlite3
import statistics
import subprocess
import sys
import tempfile
import time
from collections.abc import Callable, Iterator
from contextlib import contextmanager, suppress
from dataclasses import dataclass, replace
from pathlib import Path
from typing import Any
from urllib.parse import quote, urlsplit

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ratios import ratio_line

ROOT = Path(__file__).resolve().parent.parent
FLOOR_APP = ROOT / "bench" / "floor_app.py"
API_PREFIX = "/api"
TARGET = 0.80
TICK = os.sysconf("SC_CLK_TCK")
APP_NAME = f"bench_show_get_{os.getpid()}"  # application_name of the servers' connections

# Shows that anyone may GET by key: ready and public (see mixcast.shows.visibility).
_KEYS_SQL = """
    SELECT u.username, s.slug FROM shows s JOIN users u ON u.id = s.owner_id
    WHERE s.id IN ({ids}) AND s.status = 'ready' AND s.visibility = 'public'
"""

# Random keys from a file. Arguments: the keys file, a path prefix, and "check" to count every
# status other than 200 (wrk itself only counts statuses outside 2xx/3xx). The response() hook
# costs client CPU, so it runs in the warm-up only.
WRK_LUA = r"""
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
  paths, bad = {}, 0
  for line in io.lines(args[1]) do paths[#paths + 1] = args[2] .. line end
  if args[3] == "check" then
    response = function(status, headers, body)
      if status ~= 200 then bad = bad + 1 end
    end
  end
end
function request()
  return wrk.format("GET", paths[math.random(#paths)])
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("bad") or 0) end
  io.write(string.format("BENCH requests=%d not200=%d\n", summary.requests, bad))
end
"""


class BenchError(RuntimeError):
    pass


@dataclass(frozen=True)
class Result:
    rps: float
    p50_ms: float
    p99_ms: float
    requests: int
    cpu_us: float = 0.0  # server CPU time per request
    db_cpu_us: float = 0.0  # PostgreSQL's CPU time per request
    others: float = 0.0  # cores used by other processes during the measurement
    redis_cpu_us: float = 0.0  # redis-server's CPU time per request (actions.py)


# ---------------------------------------------------------------- keys


def _sample_keys(
    fetch: Callable[[list[int]], list[tuple[str, str]]], max_id: int, n: int, rnd: random.Random
) -> list[str]:
    """Up to ``n`` distinct keys of visible shows, probing random ids a thousand at a time."""
    keys: set[str] = set()
    ids = list(range(1, max_id + 1))
    rnd.shuffle(ids)
    for start in range(0, len(ids), 1000):
        if len(keys) >= n:
            break
        for username, slug in fetch(ids[start : start + 1000]):
            keys.add(f"/{quote(username, safe='')}/{quote(slug, safe='')}/")
    return rnd.sample(sorted(keys), min(n, len(keys)))


def sqlite_keys(path: str, n: int, rnd: random.Random) -> list[str]:
    conn = sqlite3.connect(f"file:{path}?mode=ro", uri=True)
    try:
        max_id = conn.execute("SELECT max(id) FROM shows").fetchone()[0] or 0

        def fetch(ids: list[int]) -> list[tuple[str, str]]:
            return conn.execute(_KEYS_SQL.format(ids=",".join(map(str, ids)))).fetchall()

        return _sample_keys(fetch, max_id, n, rnd)
    finally:
        conn.close()


def postgres_keys(url: str, n: int, rnd: random.Random) -> list[str]:
    import psycopg

    with psycopg.connect(url) as conn:
        row = conn.execute("SELECT max(id) FROM shows").fetchone()
        max_id = (row[0] if row else 0) or 0

        def fetch(ids: list[int]) -> list[tuple[str, str]]:
            sql = _KEYS_SQL.format(ids=",".join(map(str, ids)))
            return [(u, s) for u, s in conn.execute(sql)]

        return _sample_keys(fetch, max_id, n, rnd)


def write_keys(keys: list[str], n: int, path: Path, rnd: random.Random) -> None:
    """``n`` lines; a small database's keys repeat (drawn with replacement) to fill the file."""
    if not keys:
        raise BenchError("the database has no public, ready shows")
    lines = keys if len(keys) >= n else keys + rnd.choices(keys, k=n - len(keys))
    path.write_text("".join(line + "\n" for line in lines))


# ---------------------------------------------------------------- servers


def _port_open(port: int) -> bool:
    with socket.socket() as sock:
        sock.settimeout(0.2)
        return sock.connect_ex(("127.0.0.1", port)) == 0


def _get(port: int, path: str) -> tuple[int, bytes]:
    conn = http.client.HTTPConnection("127.0.0.1", port, timeout=10)
    try:
        conn.request("GET", path)
        resp = conn.getresponse()
        return resp.status, resp.read()
    finally:
        conn.close()


def _tail(log: Path, lines: int = 30) -> str:
    return "\n".join(log.read_text(errors="replace").splitlines()[-lines:])


def _stop(proc: subprocess.Popen[bytes], port: int) -> None:
    """SIGTERM the server's whole process group, then SIGKILL whatever is left of it."""
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGTERM)
    with suppress(subprocess.TimeoutExpired):
        proc.wait(15)
    with suppress(ProcessLookupError):
        os.killpg(proc.pid, signal.SIGKILL)
    proc.wait()
    deadline = time.monotonic() + 10
    while _port_open(port) and time.monotonic() < deadline:
        time.sleep(0.1)


@contextmanager
def serve(
    name: str, cmd: list[str], env: dict[str, str], port: int, probe: str, log: Path
) -> Iterator[int]:
    """Run ``cmd`` in a new process group until ``probe`` answers 200; yield the group's id."""
    if _port_open(port):
        raise BenchError(f"port {port} is already in use")
    with log.open("wb") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, env=env, stdout=out, stderr=subprocess.STDOUT, start_new_session=True
        )
    try:
        deadline = time.monotonic() + 120
        while True:
            if proc.poll() is not None:
                raise BenchError(f"{name} exited with {proc.returncode}:\n{_tail(log)}")
            if time.monotonic() > deadline:
                raise BenchError(f"{name} did not answer on port {port}:\n{_tail(log)}")
            with suppress(OSError):
                if _port_open(port) and _get(port, probe)[0] == 200:
                    break
            time.sleep(0.2)
        yield proc.pid
    finally:
        _stop(proc, port)


def get_json(port: int, path: str) -> Any:
    """The JSON body of ``GET path``, which must answer 200."""
    status, body = _get(port, path)
    if status != 200:
        raise BenchError(f"GET {path} answered {status}: {body[:300]!r}")
    return json.loads(body)


def check_responses(port: int, prefix: str, keys: list[str], is_mixcast: bool) -> None:
    """A few keys one by one: status 200 and the requested show in the body."""
    for key in keys[:50]:
        data = get_json(port, prefix + key)
        if is_mixcast:
            got = data.get("key")
        else:  # the floor returns the raw row
            got = f"/{key.split('/')[1]}/{quote(data['show']['slug'], safe='')}/"
        if got != key:
            raise BenchError(f"GET {prefix}{key} returned the show {got!r}")


# ---------------------------------------------------------------- CPU accounting


def _process_ticks(pgid: int, backends: set[int]) -> tuple[dict[int, int], dict[int, int]]:
    """User + system clock ticks of each live process of the server's group and of each of the
    given PostgreSQL backends."""
    group, postgres = {}, {}
    for entry in Path("/proc").iterdir():
        if not entry.name.isdigit():
            continue
        try:
            tail = (entry / "stat").read_text().rsplit(")", 1)[1]
        except OSError:
            continue
        fields = tail.split()  # state, ppid, pgrp, ... utime (12th), stime (13th)
        ticks = int(fields[11]) + int(fields[12])
        if int(fields[2]) == pgid:
            group[int(entry.name)] = ticks
        elif int(entry.name) in backends:
            postgres[int(entry.name)] = ticks
    return group, postgres


def _backends(url: str | None) -> set[int]:
    """PostgreSQL backends serving the benchmarked server: the connections that carry this run's
    application_name (other clients of the same database are someone else's load)."""
    if url is None:
        return set()
    import psycopg

    with psycopg.connect(url) as conn:
        rows = conn.execute(
            "SELECT pid FROM pg_stat_activity WHERE application_name = %s", (APP_NAME,)
        ).fetchall()
    return {pid for (pid,) in rows}


def _delta(before: dict[int, int], after: dict[int, int]) -> int:
    """Ticks spent between two samples by the processes alive at the second."""
    return sum(ticks - before.get(pid, 0) for pid, ticks in after.items())


def _machine_busy_ticks() -> int:
    """Clock ticks the whole machine spent busy: all but idle and iowait (/proc/stat)."""
    cpu = [int(v) for v in Path("/proc/stat").read_text().split("\n", 1)[0].split()[1:]]
    return sum(cpu[:3]) + sum(cpu[5:8])  # user nice system, then irq softirq steal


def settle(max_wait: float, below: float = 0.25) -> float:
    """Wait up to ``max_wait`` seconds for the machine to go quiet (fewer than ``below`` cores
    busy over 2 s, our idle server included); return the load last seen."""
    deadline = time.monotonic() + max_wait
    while True:
        busy, start = _machine_busy_ticks(), time.monotonic()
        time.sleep(2)
        load = (_machine_busy_ticks() - busy) / TICK / (time.monotonic() - start)
        if load < below or time.monotonic() >= deadline:
            return load


def _children_ticks() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return (usage.ru_utime + usage.ru_stime) * TICK


# ---------------------------------------------------------------- wrk

_UNIT_MS = {"us": 0.001, "ms": 1.0, "s": 1000.0, "m": 60_000.0}


def _latency_ms(out: str, pct: str) -> float:
    match = re.search(rf"^\s+{pct}%\s+([\d.]+)(us|ms|s|m)\s*$", out, re.M)
    if not match:
        raise BenchError(f"no {pct}% latency in wrk's output:\n{out}")
    return float(match.group(1)) * _UNIT_MS[match.group(2)]


def run_wrk(
    args: argparse.Namespace,
    port: int,
    prefix: str,
    files: tuple[Path, Path],
    seconds: int,
    check: bool = False,
) -> Result:
    """One wrk run on random keys; fails on any error status or socket error."""
    keys_file, lua = files
    return wrk(
        args, port, lua, [str(keys_file), prefix], f"GET {prefix}<random keys>", seconds, check
    )


def wrk(
    args: argparse.Namespace,
    port: int,
    lua: Path,
    script_args: list[str],
    label: str,
    seconds: int,
    check: bool = False,
) -> Result:
    """One wrk run of the ``lua`` script (which prints ``BENCH requests=N not200=M`` when done);
    fails on any socket error or status other than 2xx, and in a check run other than 200."""
    cmd = [args.wrk, f"-t{args.threads}", f"-c{args.connections}", f"-d{seconds}s", "--latency"]
    cmd += ["--timeout", "10s", "-s", str(lua), f"http://127.0.0.1:{port}"]
    cmd += ["--", *script_args, "check" if check else "measure"]
    proc = subprocess.run(cmd, capture_output=True, text=True, check=False)
    out = proc.stdout
    if args.verbose:
        print(out, end="", flush=True)
    if proc.returncode != 0:
        raise BenchError(f"wrk failed ({proc.returncode}): {proc.stderr}\n{out}")
    problems = []
    if m := re.search(r"Non-2xx or 3xx responses: (\d+)", out):
        problems.append(f"{m.group(1)} non-2xx/3xx responses")
    if m := re.search(r"Socket errors: (.*)", out):
        problems.append(f"socket errors: {m.group(1)}")
    bench = re.search(r"BENCH requests=(\d+) not200=(\d+)", out)
    rps = re.search(r"Requests/sec:\s+([\d.]+)", out)
    if not bench or not rps:
        raise BenchError(f"cannot parse wrk's output:\n{out}")
    if check and int(bench.group(2)):
        problems.append(f"{bench.group(2)} responses with a status other than 200")
    if problems:
        raise BenchError(f"{label}: " + "; ".join(problems) + f"\n{out}")
    return Result(
        rps=float(rps.group(1)),
        p50_ms=_latency_ms(out, "50"),
        p99_ms=_latency_ms(out, "99"),
        requests=int(bench.group(1)),
    )


def measure(
    args: argparse.Namespace,
    port: int,
    prefix: str,
    files: tuple[Path, Path],
    pgid: int,
    pg_url: str | None,
) -> Result:
    """The measured wrk run, with the CPU time of the server, of PostgreSQL and of the rest."""

    def snapshot() -> tuple[tuple[dict[int, int], dict[int, int]], int, float, float]:
        ticks = _process_ticks(pgid, backends)
        return ticks, _machine_busy_ticks(), _children_ticks(), time.monotonic()

    backends = _backends(pg_url)  # the pools are full after the warm-up
    (server0, db0), busy0, wrk0, t0 = snapshot()
    result = run_wrk(args, port, prefix, files, args.duration)
    (server1, db1), busy1, wrk1, t1 = snapshot()
    server, db = _delta(server0, server1), _delta(db0, db1)
    others = (busy1 - busy0) - server - db - (wrk1 - wrk0)
    per_request = 1e6 / TICK / max(result.requests, 1)
    return replace(
        result,
        cpu_us=server * per_request,
        db_cpu_us=db * per_request,
        others=max(others, 0) / TICK / (t1 - t0),
    )


# ---------------------------------------------------------------- one database


Checker = Callable[[int, str, list[str], bool], None]  # port, prefix, keys, is_mixcast


def bench_database(
    args: argparse.Namespace,
    label: str,
    url: str,
    keys: list[str],
    work: Path,
    check: Checker = check_responses,
) -> dict[str, list[Result]]:
    """Mixcast and the floor on ``keys`` (paths both serve, mixcast's under ``/api``), one
    after the other for ``args.rounds`` rounds; ``check`` looks at a few responses first.
    ``label`` names the files and logs in ``work`` and the progress lines."""
    files = (work / f"keys-{label}.txt", work / "random_keys.lua")
    pg_url = url if url.startswith("postgres") else None
    if pg_url:  # tag the servers' connections, to count their backends' CPU
        server_url = f"{url}{'&' if urlsplit(url).query else '?'}application_name={APP_NAME}"
    else:
        server_url = url
    write_keys(keys, args.keys, files[0], random.Random(args.seed))
    files[1].write_text(WRK_LUA)
    port, base = args.port, f"http://127.0.0.1:{args.port}"
    data_dir = work / f"data-{label}"  # mixcast's storage (default pictures)
    data_dir.mkdir(exist_ok=True)
    flags = ["--port", str(port), "--workers", str(args.workers)]
    mixcast_env = {
        "MIXCAST_DATABASE_URL": server_url,
        "MIXCAST_DATA_DIR": str(data_dir),
        "MIXCAST_SITE_URL": base,
        "MIXCAST_API_URL": base + API_PREFIX,
        # No ranking refresh: it would write scores into the database and load the machine.
        "MIXCAST_RANK_INTERVAL": "0",
        # The read limit is on, as deployed, but too high to refuse anything: its cost is
        # measured, not its refusals (one wrk client is one address).
        "MIXCAST_RATELIMIT_READ": "1000000000/minute",
    }
    servers = {
        "mixcast": ([sys.executable, "-m", "mixcast", "serve", *flags], mixcast_env, API_PREFIX),
        "floor": ([sys.executable, str(FLOOR_APP), "--database-url", server_url, *flags], {}, ""),
    }
    runs: dict[str, list[Result]] = {name: [] for name in servers}
    for round_no in range(args.rounds):
        for name, (cmd, env, prefix) in servers.items():
            tag = f"[{label} {name}" + (f" round {round_no + 1}]" if args.rounds > 1 else "]")
            print(f"{tag} serving: {' '.join(cmd)}", flush=True)
            log = work / f"{label}-{name}.log"
            with serve(name, cmd, {**os.environ, **env}, port, prefix + keys[0], log) as pgid:
                check(port, prefix, keys, name == "mixcast")
                if args.warmup:
                    run_wrk(args, port, prefix, files, args.warmup, check=True)
                if args.settle:
                    load = settle(args.settle)
                    print(f"{tag} machine load before measuring: {load:.2f} cores", flush=True)
                result = measure(args, port, prefix, files, pgid, pg_url)
            runs[name].append(result)
            print(
                f"{tag} {result.rps:,.0f} req/s, p50 {result.p50_ms:.2f} ms, "
                f"p99 {result.p99_ms:.2f} ms, CPU/request {result.cpu_us:.0f} us app + "
                f"{result.db_cpu_us:.0f} us db ({result.requests:,} requests; other processes "
                f"used {result.others:.2f} cores)",
                flush=True,
            )
    return runs


def _median(values: list[float]) -> float:
    return statistics.median(values)


def table(
    rows: dict[str, dict[str, list[Result]]],
    args: argparse.Namespace,
    what: str = "GET /{user}/{show}/",
    target: float = TARGET,
) -> str:
    """Medians over the rounds; the ratios are the medians of each round's ratio, mixcast and
    the floor of one round having run back to back under much the same neighbours. ``rows``
    maps a label (the database, or the database and the list) to its runs."""
    head = (
        f"{what} on {args.keys:,} random keys: wrk -t{args.threads} "
        f"-c{args.connections} -d{args.duration}s, {args.workers} server workers"
        + (f", medians of {args.rounds} rounds" if args.rounds > 1 else "")
    )
    width = max([11, *(len(label) + 2 for label in rows)])
    header = (
        f"{'database':<{width}}{'server':<9}{'req/s':>9}{'p50 ms':>9}{'p99 ms':>9}"
        f"{'app CPU':>9}{'db CPU':>8}{'others':>8}"
    )
    lines = [head, "", header, "-" * len(header)]
    for label, runs in rows.items():
        for name, results in runs.items():
            values = [
                _median([getattr(r, field) for r in results])
                for field in ("rps", "p50_ms", "p99_ms", "cpu_us", "db_cpu_us", "others")
            ]
            lines.append(
                f"{label:<{width}}{name:<9}{values[0]:>9,.0f}{values[1]:>9.2f}{values[2]:>9.2f}"
                f"{values[3]:>9.0f}{values[4]:>8.0f}{values[5]:>8.2f}"
            )
        pairs = list(zip(runs["mixcast"], runs["floor"], strict=True))
        ratios = [mix.rps / floor.rps for mix, floor in pairs]
        ratio = _median(ratios)
        cpu_ratio = _median([floor.cpu_us / mix.cpu_us for mix, floor in pairs])
        verdict = "ok" if ratio >= target else "BELOW TARGET"
        each = f" (rounds: {' '.join(f'{r:.3f}' for r in ratios)})" if len(ratios) > 1 else ""
        lines.append(
            f"{label:<{width}}{'ratio':<9}{ratio:>9.3f}  mixcast/floor req/s, "
            f"target >= {target:.2f}: {verdict}{each}"
        )
        lines.append(f"{'':<{width + 9}}{cpu_ratio:>9.3f}  floor/mixcast app CPU per request")
        if any(mix.db_cpu_us for mix, _ in pairs):  # PostgreSQL: the database's share too
            total = _median([(f.cpu_us + f.db_cpu_us) / (m.cpu_us + m.db_cpu_us) for m, f in pairs])
            lines.append(f"{'':<{width + 9}}{total:>9.3f}  floor/mixcast app + db CPU per request")
        lines.append("")
    lines.append(
        "app CPU, db CPU: microseconds of CPU per request spent by the server's processes and by"
        "\nthe PostgreSQL backends serving them; others: cores used meanwhile by every other"
        "\nprocess on the machine (noise: compare rows measured with similar values)"
    )
    return "\n".join(lines)


def ratio_lines(
    bench: str, rows: dict[str, dict[str, list[Result]]], what: str, target: float
) -> str:
    """The RATIO lines of ``table``'s rows (``bench/ratios.py``), for ``bench/all.py``."""
    lines = []
    for label, runs in rows.items():
        ratio = _median(
            [m.rps / f.rps for m, f in zip(runs["mixcast"], runs["floor"], strict=True)]
        )
        lines.append(
            ratio_line(
                f"{bench}:{label.replace(' ', '-')}",
                f"{what} ({label}), req/s",
                _median([r.rps for r in runs["mixcast"]]),
                _median([r.rps for r in runs["floor"]]),
                ratio,
                "req/s",
                f">={target:.2f}",
            )
        )
    return "\n".join(lines)


# ---------------------------------------------------------------- main


def make_parser(description: str) -> argparse.ArgumentParser:
    """The flags shared with ``list_get.py``, which adds its own."""
    parser = argparse.ArgumentParser(description=description)
    parser.add_argument("--sqlite", metavar="PATH", help="SQLite database file")
    parser.add_argument("--postgres", metavar="URL", help="postgresql://user@host/db")
    parser.add_argument("--duration", type=int, default=15, help="seconds measured per server")
    parser.add_argument("--warmup", type=int, default=5, help="seconds of warm-up per server")
    parser.add_argument("--connections", type=int, default=64)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--keys", type=int, default=10_000, help="random keys in the key file")
    parser.add_argument("--port", type=int, default=8731)
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds (median)")
    parser.add_argument("--seed", type=int, default=None, help="seed of the key sample")
    parser.add_argument(
        "--settle",
        type=float,
        default=30,
        help="before each measurement, wait up to this many seconds for other processes to "
        "leave the machine quiet (0: don't wait)",
    )
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    parser.add_argument("-v", "--verbose", action="store_true", help="print wrk's output")
    return parser


def check_args(parser: argparse.ArgumentParser, args: argparse.Namespace) -> argparse.Namespace:
    if not (args.sqlite or args.postgres):
        parser.error("give --sqlite PATH and/or --postgres URL")
    if not Path(args.wrk).exists():
        parser.error(f"wrk not found at {args.wrk} (apt-get install -y wrk)")
    if args.sqlite and not Path(args.sqlite).is_file():
        parser.error(f"no SQLite database at {args.sqlite}")
    return args


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = make_parser(__doc__.split("\n\n")[0])
    return check_args(parser, parser.parse_args(argv))


def guarded(prefix: str, body: Callable[[Path], None]) -> int:
    """``body(work)``, ``work`` a temporary folder: 0, or 1 after a ``BenchError``, 130 after
    Ctrl-C. SIGTERM unwinds like Ctrl-C, so the servers' process groups are still killed."""
    signal.signal(signal.SIGTERM, lambda *_: sys.exit(143))
    try:
        with tempfile.TemporaryDirectory(prefix=prefix) as tmp:
            body(Path(tmp))
    except BenchError as error:
        print(f"\nFAILED: {error}", file=sys.stderr)
        return 1
    except KeyboardInterrupt:
        print("\ninterrupted", file=sys.stderr)
        return 130
    return 0


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    rnd = random.Random(args.seed)
    targets: list[tuple[str, str, Callable[[], list[str]]]] = []
    if args.sqlite:
        path = str(Path(args.sqlite).resolve())
        targets.append(("sqlite", f"sqlite:///{path}", lambda: sqlite_keys(path, args.keys, rnd)))
    if args.postgres:
        url = args.postgres
        targets.append(("postgresql", url, lambda: postgres_keys(url, args.keys, rnd)))
    results: dict[str, dict[str, list[Result]]] = {}

    def run(work: Path) -> None:
        for label, url, sample in targets:
            started = time.monotonic()
            keys = sample()
            print(
                f"[{label}] {len(keys):,} distinct keys of public shows sampled in "
                f"{time.monotonic() - started:.1f} s",
                flush=True,
            )
            results[label] = bench_database(args, label, url, keys, work)

    status = guarded("bench-show-get-", run)
    if status == 0:
        print("\n" + table(results, args))
        print(ratio_lines("show_get", results, "GET /{user}/{show}/", TARGET))
    return status


if __name__ == "__main__":
    sys.exit(main())
