"""Time the audio pipeline (mixcast.media.audio.make_rendition) against its floor: the ffmpeg
command line doing the same work in one process.

The source is a stereo 44.1 kHz MP3 at 192 kbit/s of pink noise and a beeping tone whose
loudness swells and fades, made once with ffmpeg and cached under /tmp/mixcast-bench/. Both
sides decode it once and produce the 128 kbit/s CBR MP3 (44.1 kHz stereo, libmp3lame) and the
same waveform peaks:

- mixcast: ``make_rendition(src, dst)`` in this process;
- floor: ``ffmpeg -i src -c:a libmp3lame -b:a 128k dst.mp3 -ac 1 -f s16le pipe:1``, its mono
  PCM read from the pipe by a numpy loop here that keeps the min/max of every 256 samples
  and merges them as mixcast does.

It prints wall and CPU seconds for both, the ratio of the wall times (target <= 1.2), which
LAME mixcast used, and how far apart the two waveforms are.

    .venv/bin/python bench/pipeline.py --minutes 60 --rounds 3
"""

from __future__ import annotations

import argparse
import os
import resource
import statistics
import subprocess
import sys
import time
from collections.abc import Callable
from dataclasses import dataclass, replace
from pathlib import Path

import numpy as np

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ratios import ratio_line

from mixcast.media import audio, waveform

CACHE = Path("/tmp/mixcast-bench")
FFMPEG = "/usr/bin/ffmpeg"
TARGET = 1.2


class BenchError(Exception):
    pass


@dataclass(frozen=True)
class Run:
    wall: float  # seconds
    cpu: float  # seconds of CPU, every process of the run
    peaks: dict[str, object]
    others: float = 0.0  # cores other processes used meanwhile


def busy_seconds() -> float:
    """CPU seconds the whole machine has spent busy since boot (/proc/stat)."""
    with open("/proc/stat") as stat:
        ticks = [int(x) for x in stat.readline().split()[1:]]
    return (sum(ticks) - ticks[3] - ticks[4]) / os.sysconf("SC_CLK_TCK")  # less idle, iowait


def settle(max_wait: float, below: float = 0.25) -> float:
    """Wait up to ``max_wait`` seconds for the machine to go quiet (fewer than ``below``
    cores busy over 2 s); return the load last seen."""
    deadline = time.monotonic() + max_wait
    while True:
        busy, start = busy_seconds(), time.monotonic()
        time.sleep(2)
        load = (busy_seconds() - busy) / (time.monotonic() - start)
        if load < below or time.monotonic() >= deadline:
            return load


def measured(step: Callable[[Path, Path], Run], src: Path, dst: Path) -> Run:
    """``step`` with the cores that other processes used meanwhile."""
    busy = busy_seconds()
    run = step(src, dst)
    others = (busy_seconds() - busy - run.cpu) / run.wall
    return replace(run, others=max(others, 0.0))


def source(minutes: int) -> Path:
    """The cached source MP3 of ``minutes`` minutes, made with ffmpeg if missing."""
    path = CACHE / f"source-{minutes}min-192k.mp3"
    if path.exists():
        return path
    CACHE.mkdir(parents=True, exist_ok=True)
    seconds = minutes * 60
    part = path.with_suffix(".part")
    noise = f"anoisesrc=color=pink:amplitude=0.25:duration={seconds}:sample_rate=44100"
    tone = f"sine=frequency=220:beep_factor=4:duration={seconds}:sample_rate=44100"
    mix = (
        "[0][1]amerge=inputs=2,pan=stereo|c0=0.7*c0+0.5*c1|c1=0.5*c0+0.7*c1,"
        "volume='0.6+0.4*sin(t/5)':eval=frame[out]"
    )
    print(f"making {path} ({minutes} min, about a second a minute)", flush=True)
    cmd = [FFMPEG, "-nostdin", "-v", "error", "-y", "-f", "lavfi", "-i", noise]
    cmd += ["-f", "lavfi", "-i", tone, "-filter_complex", mix, "-map", "[out]"]
    cmd += ["-c:a", "libmp3lame", "-b:a", "192k", "-f", "mp3", str(part)]
    subprocess.run(cmd, check=True)
    part.rename(path)
    return path


def _children_cpu() -> float:
    usage = resource.getrusage(resource.RUSAGE_CHILDREN)
    return usage.ru_utime + usage.ru_stime


def run_mixcast(src: Path, dst: Path) -> Run:
    cpu0, wall0 = time.process_time(), time.perf_counter()
    rendition = audio.make_rendition(src, dst)
    wall, cpu = time.perf_counter() - wall0, time.process_time() - cpu0
    return Run(wall=wall, cpu=cpu, peaks=rendition.peaks)


def run_floor(src: Path, dst: Path) -> Run:
    """ffmpeg encodes the MP3 and pipes mono s16le PCM; numpy turns it into peaks."""
    fine = waveform.FINE_SAMPLES_PER_PIXEL
    cmd = [FFMPEG, "-nostdin", "-v", "error", "-y", "-i", str(src), "-map", "0:a:0"]
    cmd += ["-c:a", "libmp3lame", "-b:a", "128k", "-ar", "44100", "-ac", "2", str(dst)]
    cmd += ["-map", "0:a:0", "-ac", "1", "-f", "s16le", "-c:a", "pcm_s16le", "pipe:1"]
    cpu0, children0, wall0 = time.process_time(), _children_cpu(), time.perf_counter()
    mins: list[np.ndarray] = []
    maxs: list[np.ndarray] = []
    chunk = fine * 4096 * 2  # bytes: 4096 pixels of s16 samples
    with subprocess.Popen(cmd, stdout=subprocess.PIPE, bufsize=0) as proc:
        assert proc.stdout is not None
        tail = b""
        while block := proc.stdout.read(chunk):
            pcm = tail + block
            whole = len(pcm) - len(pcm) % (2 * fine)
            pixels = np.frombuffer(pcm[:whole], dtype="<i2").reshape(-1, fine)
            mins.append(pixels.min(axis=1))
            maxs.append(pixels.max(axis=1))
            tail = pcm[whole:]
        if len(tail) >= 2:
            last = np.frombuffer(tail[: len(tail) // 2 * 2], dtype="<i2")
            mins.append(last.min(keepdims=True))
            maxs.append(last.max(keepdims=True))
    if proc.returncode:
        raise BenchError(f"ffmpeg failed ({proc.returncode}): {' '.join(cmd)}")
    low, high = np.concatenate(mins), np.concatenate(maxs)
    group = max(1, -(-low.size // waveform.MAX_PIXELS))
    pad = -low.size % group
    low = np.pad(low, (0, pad), constant_values=32767).reshape(-1, group).min(axis=1)
    high = np.pad(high, (0, pad), constant_values=-32768).reshape(-1, group).max(axis=1)
    data = np.empty(2 * low.size, dtype=np.int64)
    data[0::2], data[1::2] = low >> 8, high >> 8  # 16 to 8 bits, as audiowaveform does
    wall = time.perf_counter() - wall0
    cpu = time.process_time() - cpu0 + _children_cpu() - children0
    peaks = {"samples_per_pixel": fine * group, "length": int(low.size), "data": data.tolist()}
    return Run(wall=wall, cpu=cpu, peaks=peaks)


def compare(mixcast: dict[str, object], floor: dict[str, object]) -> str:
    """How far apart the two waveforms are (their mono mixdowns round differently)."""
    keys = ("samples_per_pixel", "length")
    if any(mixcast[k] != floor[k] for k in keys):
        return "DIFFERENT SHAPES: " + ", ".join(f"{k} {mixcast[k]} vs {floor[k]}" for k in keys)
    ours, theirs = np.array(mixcast["data"]), np.array(floor["data"])
    diff = np.abs(ours - theirs)
    return (
        f"{mixcast['length']} pixels of {mixcast['samples_per_pixel']} samples; "
        f"max |difference| {diff.max()}, mean {diff.mean():.3f} (of -128..127)"
    )


def main(argv: list[str] | None = None) -> int:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--minutes", type=int, default=60, help="length of the source")
    parser.add_argument("--rounds", type=int, default=1, help="alternating rounds (median)")
    parser.add_argument(
        "--settle",
        type=float,
        default=30,
        help="before each measurement, wait up to this many seconds for other processes to "
        "leave the machine quiet (0: don't wait)",
    )
    args = parser.parse_args(argv)
    if not Path(FFMPEG).exists():
        parser.error(f"{FFMPEG} not found (apt-get install -y ffmpeg)")
    src = source(args.minutes)
    info = audio.probe(src)
    print(f"source: {src}, {info.duration:.1f} s, {info.codec} {info.bit_rate} bit/s")
    print(f"mixcast's LAME: {audio.LAME}")
    runs: dict[str, list[Run]] = {"mixcast": [], "floor": []}
    try:
        for round_no in range(args.rounds):
            for name, step in (("mixcast", run_mixcast), ("floor", run_floor)):
                load = settle(args.settle) if args.settle else 0.0
                run = measured(step, src, CACHE / f"out-{name}.mp3")
                runs[name].append(run)
                print(
                    f"[round {round_no + 1}] {name:<8} wall {run.wall:7.2f} s, "
                    f"CPU {run.cpu:7.2f} s (machine load before: {load:.2f} cores; "
                    f"other processes used {run.others:.2f} cores)",
                    flush=True,
                )
    except BenchError as error:
        print(f"\nFAILED: {error}", file=sys.stderr)
        return 1
    out = audio.probe(CACHE / "out-mixcast.mp3")
    ratios = [m.wall / f.wall for m, f in zip(runs["mixcast"], runs["floor"], strict=True)]
    ratio = statistics.median(ratios)
    cpu_ratios = [m.cpu / f.cpu for m, f in zip(runs["mixcast"], runs["floor"], strict=True)]
    wall = {name: statistics.median(r.wall for r in rs) for name, rs in runs.items()}
    cpu = {name: statistics.median(r.cpu for r in rs) for name, rs in runs.items()}
    others = {name: statistics.median(r.others for r in rs) for name, rs in runs.items()}
    verdict = "ok" if ratio <= TARGET else "ABOVE TARGET"
    print(
        f"\n{args.minutes}-minute MP3 -> 128k MP3 + waveform"
        + (f", medians of {args.rounds} rounds" if args.rounds > 1 else "")
        + "".join(
            f"\n{name:<8} wall {wall[name]:7.2f} s  CPU {cpu[name]:7.2f} s  "
            f"others {others[name]:.2f} cores"
            for name in runs
        )
        + f"\nratio    {ratio:.3f} mixcast/floor wall time, target <= {TARGET}: {verdict}"
        + (f" (rounds: {' '.join(f'{r:.3f}' for r in ratios)})" if len(ratios) > 1 else "")
        + f"\n         {statistics.median(cpu_ratios):.3f} mixcast/floor CPU time"
        + f"\noutput   {out.codec} {out.bit_rate} bit/s, {out.sample_rate} Hz, "
        f"{out.channels} channels, {out.duration:.2f} s"
        + f"\nwaveform {compare(runs['mixcast'][0].peaks, runs['floor'][0].peaks)}"
    )
    what = f"{args.minutes}-minute MP3 -> 128k MP3 + waveform / ffmpeg CLI, wall time"
    print(ratio_line("pipeline", what, wall["mixcast"], wall["floor"], ratio, "s", f"<={TARGET}"))
    return 0


if __name__ == "__main__":
    sys.exit(main())
