"""Benchmark ``GET /{user}/{show}/stream.mp3`` against its floor: whole files and ranged reads.

The script makes a ~10 MiB MP3 (PyAV, 128 kbit/s CBR like the pipeline's streams; ``--mp3``
reuses one), a fresh mixcast data folder (SQLite, local storage) holding one public, ready show
whose ``stream_blob`` is that file, as the demo's shows are, then, one server after the other on
the same port:

1. mixcast (``python -m mixcast serve --workers N``, its job consumer and ranking off);
2. the floor, ``bench/floor_stream.py``: a bare Starlette app returning ``FileResponse`` of the
   same file, served by uvicorn with the same settings (workers, uvloop, httptools, no access
   log).

For each, wrk (with a Lua script) runs (a) whole GETs, answered 200, and (b) ranged GETs,
``Range: bytes=<random offset>-<offset + 256 KiB - 1>``, answered 206. The warm-up checks every
status and body length; any error fails the run. It prints req/s, MiB/s of audio (the body
bytes: req/s times the body size), p50/p99 and the server's CPU time per request, and the ratio
mixcast/floor of req/s for each (target: >= 0.80). With ``--rounds`` the servers alternate and
medians are reported.

Run from the repository root with the project's venv (wrk: ``apt-get install -y wrk``)::

    .venv/bin/python bench/stream.py [--rounds 3] [--mp3 /tmp/bench-stream.mp3]

Flags: ``--duration`` (10 s per measurement), ``--warmup`` (3 s), ``--connections`` (16),
``--workers`` (2), ``--threads`` (wrk's, 2), ``--port`` (8733), ``--span-kib`` (256),
``--size-mib`` (10), ``--floor-chunk-kib`` (64: Starlette's default read size; mixcast reads
256 KiB at a time, so ``--floor-chunk-kib 256`` compares only the rest of the work per
request), ``--settle`` (20), ``-v``.
"""

from __future__ import annotations

import argparse
import asyncio
import os
import shutil
import statistics
import sys
import time
from dataclasses import dataclass, replace
from fractions import Fraction
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ratios import ratio_line
from show_get import (
    TICK,
    BenchError,
    Result,
    _delta,
    _get,
    _process_ticks,
    guarded,
    serve,
    settle,
    wrk,
)

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MIB, KIB = 1024 * 1024, 1024
TARGET = 0.80
KEY = "/bench/stream-bench/stream.mp3"  # the show's path; the floor answers any key
UVICORN = ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]

# Arguments: the path, the file's size, the span of a ranged read, "full" or "range", and
# "check" (count responses whose status or body length is not the expected one) or "measure".
WRK_LUA = r"""
local threads = {}
function setup(thread)
  table.insert(threads, thread)
  thread:set("id", #threads)
end
function init(args)
  math.randomseed(os.time() * 1000 + id)
  path, size, span, mode, bad = args[1], tonumber(args[2]), tonumber(args[3]), args[4], 0
  local want_status = mode == "range" and 206 or 200
  local want_length = mode == "range" and span or size
  if args[5] == "check" then
    response = function(status, headers, body)
      if status ~= want_status or #body ~= want_length then bad = bad + 1 end
    end
  end
end
function request()
  if mode == "range" then
    local first = math.random(0, size - span)
    local range = string.format("bytes=%d-%d", first, first + span - 1)
    return wrk.format("GET", path, {["Range"] = range})
  end
  return wrk.format("GET", path)
end
function done(summary, latency, requests)
  local bad = 0
  for _, t in ipairs(threads) do bad = bad + (t:get("bad") or 0) end
  io.write(string.format("BENCH requests=%d not200=%d\n", summary.requests, bad))
end
"""


@dataclass(frozen=True)
class Measured:
    result: Result
    mib_s: float


# ---------------------------------------------------------------- the file and the show


def make_mp3(path: Path, size_mib: float) -> None:
    """About ``size_mib`` MiB of MP3 at 128 kbit/s CBR: tone and noise, 44.1 kHz stereo."""
    import av
    import numpy as np

    rate, seconds = 44_100, int(size_mib * MIB * 8 / 128_000)
    rnd = np.random.default_rng(7)
    tmp = path.with_name(path.name + ".part")
    with av.open(str(tmp), "w", format="mp3") as out:
        stream = out.add_stream("libmp3lame", rate=rate, layout="stereo")
        stream.bit_rate = 128_000
        for second in range(seconds):
            t = np.arange(rate) / rate + second
            tone = 0.3 * np.sin(2 * np.pi * (220 + 20 * (second % 12)) * t)
            samples = (tone + rnd.uniform(-0.05, 0.05, rate)).astype(np.float32)
            frame = av.AudioFrame.from_ndarray(
                np.stack([samples, samples]), format="fltp", layout="stereo"
            )
            frame.sample_rate, frame.pts = rate, second * rate
            frame.time_base = Fraction(1, rate)
            for packet in stream.encode(frame):
                out.mux(packet)
        for packet in stream.encode(None):
            out.mux(packet)
    tmp.rename(path)


def setup_mixcast(env: dict[str, str], mp3: Path) -> Path:
    """Migrate the data folder and add user ``bench`` with one public, ready show whose stream
    is ``mp3`` (stored as the pipeline stores streams); the stored file's path."""
    if str(ROOT) not in sys.path:
        sys.path.insert(0, str(ROOT))
    from mixcast.accounts.users import create_user
    from mixcast.db.migrate import upgrade
    from mixcast.db.urls import DatabaseURL
    from mixcast.services import open_services
    from mixcast.settings import Settings
    from mixcast.shows.shows import NewShow, create_show

    settings = Settings.from_env(env)
    upgrade(DatabaseURL.parse(settings.effective_database_url))
    key = "shows/bench/stream.mp3"

    async def add() -> Path:
        services = await open_services(settings)
        try:
            services.store.put_file(key, mp3)
            async with services.db.transaction() as tx:
                now = time.time_ns() // 1000
                owner = await create_user(tx, username="bench", display_name="Bench", now=now)
                show = NewShow(owner, "Stream Bench", stream_blob=key, audio_length=655)
                await create_show(tx, show, now)
            path = services.store.local_path(key)
            assert path is not None
            return path
        finally:
            await services.close()

    return asyncio.run(add())


# ---------------------------------------------------------------- measuring


def check_server(port: int, size: int) -> None:
    status, body = _get(port, KEY)
    if status != 200 or len(body) != size:
        raise BenchError(f"GET {KEY} answered {status} with {len(body)} of {size} bytes")


def measure(
    args: argparse.Namespace, port: int, pgid: int, lua: Path, mode: str, size: int
) -> Measured:
    span = args.span_kib * KIB
    script = [KEY, str(size), str(span), mode]
    label = f"GET {KEY} ({mode})"
    if args.warmup:
        wrk(args, port, lua, script, label, args.warmup, check=True)
    if args.settle:
        settle(args.settle)
    before = _process_ticks(pgid, set())[0]
    result = wrk(args, port, lua, script, label, args.duration)
    after = _process_ticks(pgid, set())[0]
    cpu_us = _delta(before, after) * 1e6 / TICK / max(result.requests, 1)
    body = span if mode == "range" else size
    return Measured(replace(result, cpu_us=cpu_us), result.rps * body / MIB)


def bench(args: argparse.Namespace, work: Path) -> dict[str, dict[str, list[Measured]]]:
    mp3 = Path(args.mp3) if args.mp3 else work / "stream.mp3"
    if not mp3.exists():
        started = time.monotonic()
        make_mp3(mp3, args.size_mib)
        print(f"made {mp3} in {time.monotonic() - started:.1f} s", flush=True)
    port, base = args.port, f"http://127.0.0.1:{args.port}"
    env = {
        **os.environ,
        "MIXCAST_DATA_DIR": str(work / "mixcast"),
        "MIXCAST_SITE_URL": base,
        "MIXCAST_API_URL": base + "/api",
        "MIXCAST_JOB_WORKERS": "0",
        "MIXCAST_RANK_INTERVAL": "0",
    }
    stored = setup_mixcast(env, mp3)
    size = stored.stat().st_size
    print(f"stream: {size / MIB:.2f} MiB at {stored}", flush=True)
    lua = work / "stream.lua"
    lua.write_text(WRK_LUA)
    workers = ["--workers", str(args.workers)]
    servers = {
        "mixcast": (
            [PYTHON, "-m", "mixcast", "serve", "--port", str(port), *workers],
            env,
        ),
        "floor": (
            [
                PYTHON,
                "-m",
                "uvicorn",
                "floor_stream:app",
                "--app-dir",
                str(ROOT / "bench"),
                "--port",
                str(port),
                *workers,
                *UVICORN,
            ],
            {
                **os.environ,
                "FLOOR_STREAM_FILE": str(stored),
                "FLOOR_CHUNK_KIB": str(args.floor_chunk_kib),
            },
        ),
    }
    runs: dict[str, dict[str, list[Measured]]] = {
        mode: {name: [] for name in servers} for mode in ("full", "range")
    }
    for round_no in range(args.rounds):
        for name, (cmd, server_env) in servers.items():
            tag = f"[{name}" + (f" round {round_no + 1}]" if args.rounds > 1 else "]")
            print(f"{tag} serving: {' '.join(cmd)}", flush=True)
            with serve(name, cmd, server_env, port, "/", work / f"{name}.log") as pgid:
                check_server(port, size)
                for mode in ("full", "range"):
                    m = measure(args, port, pgid, lua, mode, size)
                    runs[mode][name].append(m)
                    print(
                        f"{tag} {mode}: {m.result.rps:,.0f} req/s, {m.mib_s:,.0f} MiB/s, "
                        f"p50 {m.result.p50_ms:.2f} ms, p99 {m.result.p99_ms:.2f} ms, "
                        f"CPU/request {m.result.cpu_us:,.0f} us",
                        flush=True,
                    )
    return runs


def table(runs: dict[str, dict[str, list[Measured]]], args: argparse.Namespace) -> str:
    head = (
        f"GET {KEY}: wrk -t{args.threads} -c{args.connections} -d{args.duration}s, "
        f"{args.workers} server workers; range = {args.span_kib} KiB at a random offset; "
        f"floor reads {args.floor_chunk_kib} KiB at a time"
        + (f"; medians of {args.rounds} rounds" if args.rounds > 1 else "")
    )
    header = (
        f"{'reads':<8}{'server':<9}{'req/s':>9}{'MiB/s':>9}{'p50 ms':>9}{'p99 ms':>9}{'CPU us':>9}"
    )
    lines = [head, "", header, "-" * len(header)]
    for mode, by_server in runs.items():
        for name, measured in by_server.items():
            med = [
                statistics.median(values)
                for values in (
                    [m.result.rps for m in measured],
                    [m.mib_s for m in measured],
                    [m.result.p50_ms for m in measured],
                    [m.result.p99_ms for m in measured],
                    [m.result.cpu_us for m in measured],
                )
            ]
            lines.append(
                f"{mode:<8}{name:<9}{med[0]:>9,.0f}{med[1]:>9,.0f}{med[2]:>9.2f}"
                f"{med[3]:>9.2f}{med[4]:>9,.0f}"
            )
        pairs = zip(by_server["mixcast"], by_server["floor"], strict=True)
        ratios = [mix.result.rps / floor.result.rps for mix, floor in pairs]
        ratio = statistics.median(ratios)
        verdict = "ok" if ratio >= TARGET else "BELOW TARGET"
        each = f" (rounds: {' '.join(f'{r:.3f}' for r in ratios)})" if len(ratios) > 1 else ""
        lines.append(
            f"{mode:<8}{'ratio':<9}{ratio:>9.3f}  mixcast/floor req/s, target >= {TARGET:.2f}:"
            f" {verdict}{each}"
        )
        lines.append("")
    lines.append("CPU us: microseconds of CPU per request spent by the server's processes")
    return "\n".join(lines)


def ratio_lines(runs: dict[str, dict[str, list[Measured]]]) -> str:
    """The RATIO lines (``bench/ratios.py``): one per kind of read."""
    lines = []
    for mode, by_server in runs.items():
        pairs = zip(by_server["mixcast"], by_server["floor"], strict=True)
        what = "whole file" if mode == "full" else "ranged reads"
        lines.append(
            ratio_line(
                f"stream:{mode}",
                f"GET stream.mp3, {what} / bare FileResponse",
                statistics.median(m.result.rps for m in by_server["mixcast"]),
                statistics.median(m.result.rps for m in by_server["floor"]),
                statistics.median(mix.result.rps / floor.result.rps for mix, floor in pairs),
                "req/s",
                f">={TARGET:.2f}",
            )
        )
    return "\n".join(lines)


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--mp3", help="an MP3 to serve (made, ~--size-mib, when missing)")
    parser.add_argument("--size-mib", type=float, default=10.0, help="size of the made MP3")
    parser.add_argument("--span-kib", type=int, default=256, help="bytes of a ranged read")
    parser.add_argument(
        "--floor-chunk-kib",
        type=int,
        default=64,
        help="the floor's read size (64: Starlette's; 256: mixcast's, to compare the rest)",
    )
    parser.add_argument("--duration", type=int, default=10, help="seconds measured per run")
    parser.add_argument("--warmup", type=int, default=3, help="seconds of checked warm-up")
    parser.add_argument("--connections", type=int, default=16)
    parser.add_argument("--workers", type=int, default=2, help="server worker processes")
    parser.add_argument("--threads", type=int, default=2, help="wrk threads")
    parser.add_argument("--port", type=int, default=8733)
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds (median)")
    parser.add_argument(
        "--settle", type=float, default=20, help="seconds to wait for a quiet machine (0: no)"
    )
    parser.add_argument("--wrk", default=shutil.which("wrk") or "/usr/bin/wrk")
    parser.add_argument("-v", "--verbose", action="store_true", help="print wrk's output")
    args = parser.parse_args(argv)
    if not Path(args.wrk).exists():
        parser.error(f"wrk not found at {args.wrk} (apt-get install -y wrk)")
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    runs: dict[str, dict[str, list[Measured]]] = {}

    def run(work: Path) -> None:
        runs.update(bench(args, work))

    status = guarded("bench-stream-", run)
    if status == 0:
        print("\n" + table(runs, args))
        print(ratio_lines(runs))
    return status


if __name__ == "__main__":
    sys.exit(main())
