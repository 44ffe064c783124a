"""Benchmark ``POST /upload/`` with a 1 GiB body against its floor, and the media pipeline on a
1-hour file against the ffmpeg command line.

Upload, on loopback, one server after the other on the same port:

1. mixcast (``python -m mixcast serve``, SQLite, local files, its job consumer off so the
   pipeline does not run during the measurement): curl POSTs a 1 GiB multipart body (a WAV that
   says it holds 1 GiB of PCM, so the upload is accepted and stored as a real show), streamed
   from a file with ``curl -T``; the answer must be 200 ``Uploaded …``;
2. the floor, ``bench/floor_upload.py``: a bare Starlette handler writing ``request.stream()``
   to a file, served by uvicorn with the same settings, given the same body.

It prints MiB/s for both and the ratio (target >= 0.80), and the mixcast server's peak RSS
growth during the upload (VmHWM after minus VmRSS before; target <= 64 MiB). With ``--rounds``
the two alternate (after a discarded warm-up upload of the floor) and medians are reported.
Then, unless ``--no-pipeline``, it runs ``bench/pipeline.py`` (the pipeline on a 1-hour MP3
against ``ffmpeg`` doing the same work, target <= 1.2x).

Run from the repository root (curl and, for the pipeline, ffmpeg: ``apt-get install -y curl
ffmpeg``)::

    .venv/bin/python bench/upload.py [--size-mib 1024] [--rounds 3] [--no-pipeline]
"""

from __future__ import annotations

import argparse
import os
import re
import shutil
import statistics
import struct
import subprocess
import sys
import time
from dataclasses import dataclass
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ratios import ratio_line
from show_get import BenchError, guarded, serve

ROOT = Path(__file__).resolve().parent.parent
PYTHON = sys.executable
MIB = 1024 * 1024
BOUNDARY = "mixcastbenchboundary7f3a"
TARGET_RATIO, TARGET_RSS_MIB = 0.80, 64
UVICORN = ["--loop", "uvloop", "--http", "httptools", "--no-access-log", "--log-level", "warning"]


@dataclass
class Upload:
    seconds: float
    mib_s: float
    rss_growth_mib: float | None = None


def wav_header(data_bytes: int, rate: int = 44_100, channels: int = 2) -> bytes:
    """A 16-bit PCM WAV header announcing ``data_bytes`` of samples."""
    byte_rate = rate * channels * 2
    return (
        b"RIFF" + struct.pack("<I", 36 + data_bytes) + b"WAVE"
        + b"fmt " + struct.pack("<IHHIIHH", 16, 1, channels, rate, byte_rate, channels * 2, 16)
        + b"data" + struct.pack("<I", data_bytes)
    )  # fmt: skip


def write_body(path: Path, size: int) -> int:
    """The multipart body: a name, then ``size`` bytes of WAV (quiet noise) as ``mp3``."""
    head = (
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="name"\r\n\r\nBench Upload\r\n'
        f'--{BOUNDARY}\r\nContent-Disposition: form-data; name="mp3"; filename="bench.wav"\r\n'
        "Content-Type: audio/wav\r\n\r\n"
    ).encode()
    tail = f"\r\n--{BOUNDARY}--\r\n".encode()
    header = wav_header(size - 44)
    block = (os.urandom(MIB // 2) * 2)[:MIB]  # noise: a parser cannot skip it
    with path.open("wb") as out:
        out.write(head + header)
        left = size - len(header)
        while left > 0:
            out.write(block[: min(left, len(block))])
            left -= min(left, len(block))
        out.write(tail)
    return path.stat().st_size


def curl_post(url: str, body: Path, headers: list[str]) -> tuple[float, int, str]:
    # ``-T`` streams the file (``--data-binary @file`` would read it all into memory); a URL
    # ending in / would get the file's name appended, hence the unslashed paths.
    cmd = ["curl", "-sS", "-X", "POST", "-T", str(body), "-H", "Expect:",
           "-H", f"Content-Type: multipart/form-data; boundary={BOUNDARY}",
           "-o", "-", "-w", "\n%{http_code}"]  # fmt: skip
    for header in headers:
        cmd += ["-H", header]
    start = time.perf_counter()
    done = subprocess.run([*cmd, url], capture_output=True, text=True, check=False)
    seconds = time.perf_counter() - start
    if done.returncode != 0:
        raise BenchError(f"curl failed: {done.stderr.strip()}")
    text, _, code = done.stdout.rpartition("\n")
    return seconds, int(code), text


def _status_kib(pid: int, field: str) -> int:
    text = Path(f"/proc/{pid}/status").read_text()
    match = re.search(rf"^{field}:\s+(\d+) kB", text, re.M)
    if match is None:
        raise BenchError(f"no {field} for process {pid}")
    return int(match.group(1))


def setup_mixcast(data: Path, env: dict[str, str]) -> str:
    """Migrate a fresh data folder, make a user and a token; return the token."""

    def mixcast(*args: str) -> str:
        done = subprocess.run([PYTHON, "-m", "mixcast", *args], env=env, capture_output=True,
                              text=True, check=False)  # fmt: skip
        if done.returncode != 0:
            raise BenchError(f"mixcast {args[0]} failed: {done.stderr[-2000:]}")
        return done.stdout

    mixcast("migrate")
    mixcast("create-user", "bench", "--email", "bench@example.com", "--password", "x" * 16)
    mixcast("create-app", "bench", "Bench", "--redirect-uri", "https://bench.example/cb")
    return mixcast("issue-token", "bench", "Bench").split()[-1]


def bench_mixcast(work: Path, body: Path, port: int, round_no: int) -> Upload:
    data = work / f"mixcast-{round_no}"
    env = {
        **os.environ,
        "MIXCAST_DATA_DIR": str(data),
        "MIXCAST_SITE_URL": f"http://127.0.0.1:{port}",
        "MIXCAST_API_URL": f"http://127.0.0.1:{port}/api",
        "MIXCAST_JOB_WORKERS": "0",  # the pipeline would compete for the cores
        "MIXCAST_RANK_INTERVAL": "0",
        "MIXCAST_RATELIMIT_UPLOAD": "off",
    }
    token = setup_mixcast(data, env)
    cmd = [PYTHON, "-m", "mixcast", "serve", "--port", str(port)]
    with serve("mixcast", cmd, env, port, "/api/new/", work / "mixcast.log") as pid:
        before = _status_kib(pid, "VmRSS")
        seconds, code, text = curl_post(
            f"http://127.0.0.1:{port}/api/upload", body, [f"Authorization: Bearer {token}"]
        )
        peak = _status_kib(pid, "VmHWM")
    if code != 200 or "Uploaded Bench Upload" not in text:
        raise BenchError(f"mixcast answered {code}: {text[:500]}")
    shutil.rmtree(data, ignore_errors=True)
    size = body.stat().st_size
    return Upload(seconds, size / MIB / seconds, max(peak - before, 0) / 1024)


def bench_floor(work: Path, body: Path, port: int) -> Upload:
    out = work / "floor-upload.bin"
    env = {**os.environ, "FLOOR_UPLOAD_TO": str(out)}
    cmd = [PYTHON, "-m", "uvicorn", "floor_upload:app", "--app-dir", str(ROOT / "bench"),
           "--port", str(port), *UVICORN]  # fmt: skip
    with serve("floor", cmd, env, port, "/", work / "floor.log"):
        seconds, code, text = curl_post(f"http://127.0.0.1:{port}/upload", body, [])
    if code != 200 or out.stat().st_size != body.stat().st_size:
        raise BenchError(f"the floor answered {code}: {text[:200]}")
    out.unlink()
    return Upload(seconds, body.stat().st_size / MIB / seconds)


def run(args: argparse.Namespace, work: Path) -> None:
    body = work / "body.bin"
    size = write_body(body, args.size_mib * MIB)
    print(f"body: {size / MIB:,.0f} MiB multipart, in {work}", flush=True)
    ours: list[Upload] = []
    floors: list[Upload] = []
    # The first write of a GiB into pages the machine has not used yet is slow on a VM: a
    # discarded round of the floor first, so neither side pays for it.
    bench_floor(work, body, args.port)
    for round_no in range(args.rounds):
        floors.append(bench_floor(work, body, args.port))
        ours.append(bench_mixcast(work, body, args.port, round_no))
        print(
            f"round {round_no + 1}: floor {floors[-1].mib_s:,.0f} MiB/s,"
            f" mixcast {ours[-1].mib_s:,.0f} MiB/s (RSS +{ours[-1].rss_growth_mib:.1f} MiB)",
            flush=True,
        )
    floor = statistics.median(u.mib_s for u in floors)
    mine = statistics.median(u.mib_s for u in ours)
    ratios = [o.mib_s / f.mib_s for o, f in zip(ours, floors, strict=True)]
    growth = max(u.rss_growth_mib or 0 for u in ours)
    print()
    print(f"{'upload of ' + str(args.size_mib) + ' MiB':<28}{'MiB/s':>10}{'ratio':>8}")
    print(f"{'floor (bare stream to disk)':<28}{floor:>10,.0f}{1.0:>8.2f}")
    print(f"{'mixcast POST /upload/':<28}{mine:>10,.0f}{statistics.median(ratios):>8.2f}"
          f"   target >= {TARGET_RATIO:.2f}")  # fmt: skip
    print(f"peak RSS growth of the server: {growth:.1f} MiB   target <= {TARGET_RSS_MIB} MiB")
    what = f"POST /upload/ of {args.size_mib} MiB / bare stream to disk"
    ratio = statistics.median(ratios)
    print(ratio_line("upload", what, mine, floor, ratio, "MiB/s", f">={TARGET_RATIO:.2f}"))
    body.unlink()
    if not args.no_pipeline:
        print(flush=True)
        import pipeline

        code = pipeline.main([])
        if code:
            raise BenchError("the pipeline benchmark failed")


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--size-mib", type=int, default=1024)
    parser.add_argument("--rounds", type=int, default=1)
    parser.add_argument("--port", type=int, default=8741)
    parser.add_argument("--no-pipeline", action="store_true")
    args = parser.parse_args(argv)
    return guarded("mixcast-bench-upload-", lambda work: run(args, work))


if __name__ == "__main__":
    sys.exit(main())
