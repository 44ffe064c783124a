"""Run every benchmark and print one table of ratios against their floors.

Each bench runs as a subprocess of its own (``bench/<name>.py``), one after the other; its
output goes to ``<logs>/<name>.log`` (``--logs``; a temporary folder otherwise, shown only for a
failed bench, or live with ``-v``), and its ``RATIO`` lines (``bench/ratios.py``) make the table:
bench, what, mixcast's value, the floor's, the ratio, the target and whether it is met, and
the bench's wall time. A bench that exits non-zero or prints no ratio is shown as FAILED and
makes ``all.py`` exit with status 1.

The benches that read a big generated database (``show_get``, ``list_get``, ``list_depth``,
``search``) get ``--sqlite PATH`` (``--postgres URL`` adds an existing PostgreSQL database
made by ``gen.py``); without ``--sqlite`` the script makes one with ``gen.py`` in a temporary
folder: ``--users``/``--shows``, 10,000 and 100,000 (1,000 and 10,000 with ``--quick``). The
others set up what they need (``mixed`` its own PostgreSQL database and Redis keys).

``--quick`` passes each bench its short options (a few seconds per measurement, one round, a
64 MiB upload, a 2-minute pipeline source, ``mixed.py --quick``): a smoke run of a few minutes
whose numbers are rough. ``--only NAME`` (repeatable, or comma-separated) runs some of them.

Run from the repository root::

    .venv/bin/python bench/all.py --quick
    .venv/bin/python bench/all.py --sqlite /tmp/bench-1m.db \\
        --postgres postgresql://postgres@127.0.0.1/bench_1m
    .venv/bin/python bench/all.py --only mixed,stream
"""

from __future__ import annotations

import argparse
import os
import signal
import subprocess
import sys
import tempfile
import threading
import time
from dataclasses import dataclass, field
from pathlib import Path

sys.path.insert(0, str(Path(__file__).resolve().parent))

from ratios import Ratio, parse_ratios

BENCH = Path(__file__).resolve().parent
ROOT = BENCH.parent


@dataclass(frozen=True)
class Bench:
    name: str  # bench/<name>.py
    args: tuple[str, ...] = ()  # always
    quick: tuple[str, ...] = ()  # with --quick
    dataset: bool = False  # takes --sqlite / --postgres


SHORT_WRK = ("--duration", "3", "--warmup", "1", "--settle", "0")
BENCHES = (
    Bench("show_get", (), (*SHORT_WRK, "--keys", "1000"), dataset=True),
    Bench("list_get", (), (*SHORT_WRK, "--keys", "1000"), dataset=True),
    Bench("list_depth", (), ("--requests", "30", "--warmup", "5", "--offset-requests", "2"), True),
    Bench("search", (), ("--queries", "200", "--warmup", "50"), dataset=True),
    Bench("actions", (), (*SHORT_WRK, "--rounds", "1", "--pairs", "64", "--connections", "16")),
    Bench("stream", (), SHORT_WRK),
    Bench("upload", ("--no-pipeline",), ("--size-mib", "64")),  # pipeline runs on its own
    Bench("pipeline", (), ("--minutes", "2", "--settle", "0")),
    Bench("mixed", (), ("--quick",)),
)


@dataclass
class Outcome:
    bench: str
    seconds: float
    status: int  # the exit status (-1: timed out)
    ratios: list[Ratio] = field(default_factory=list)

    @property
    def failed(self) -> bool:
        return self.status != 0 or not self.ratios


def outcome_of(bench: str, output: str, status: int, seconds: float) -> Outcome:
    return Outcome(bench, seconds, status, parse_ratios(output))


def _number(value: float) -> str:
    return f"{value:,.0f}" if value >= 100 else f"{value:.3g}"


def table(outcomes: list[Outcome], total_seconds: float) -> str:
    """One row per ratio; a failed bench is one FAILED row."""
    rows = [("bench", "what", "value", "floor", "unit", "ratio", "target", "", "time")]
    for out in outcomes:
        took = f"{out.seconds:.0f} s"
        if out.failed:
            why = f"exit status {out.status}" if out.status else "no RATIO line in its output"
            if out.status == -1:
                why = "timed out"
            rows.append((out.bench, f"FAILED: {why}", "", "", "", "", "", "FAILED", took))
            continue
        for i, r in enumerate(out.ratios):
            met = r.meets_target()
            verdict = "" if met is None else "ok" if met else "MISSED"
            rows.append(
                (
                    r.name,
                    r.what,
                    _number(r.value),
                    _number(r.floor),
                    r.unit,
                    f"{r.ratio:.3f}",
                    r.target if r.target != "none" else "",
                    verdict,
                    took if i == 0 else "",
                )
            )
    widths = [max(len(row[i]) for row in rows) for i in range(len(rows[0]))]
    widths[1] = min(widths[1], 72)
    right = {2, 3, 5, 8}
    lines = []
    for n, row in enumerate(rows):
        cells = [
            (
                cell[: widths[i]].rjust(widths[i])
                if i in right
                else cell[: widths[i]].ljust(widths[i])
            )
            for i, cell in enumerate(row)
        ]
        lines.append("  ".join(cells).rstrip())
        if n == 0:
            lines.append("-" * len(lines[0]))
    failed = sum(out.failed for out in outcomes)
    lines.append("")
    lines.append(
        f"{len(outcomes)} benches, {failed} failed; total wall time {total_seconds:.0f} s"
        "\nratio: mixcast against its floor, as each bench defines it (req/s or MiB/s: higher is"
        "\nbetter; times in s or ms: lower is better); target as each bench states it"
    )
    return "\n".join(lines)


# ---------------------------------------------------------------- running


def run_bench(bench: Bench, extra: list[str], log: Path, timeout: float, verbose: bool) -> Outcome:
    cmd = [sys.executable, str(BENCH / f"{bench.name}.py"), *bench.args, *extra]
    print(f"[{bench.name}] {' '.join(cmd[1:])}", flush=True)
    started = time.monotonic()
    lines: list[str] = []
    timed_out = threading.Event()

    def stop(proc: subprocess.Popen[str]) -> None:
        """SIGTERM: each bench unwinds and stops the servers it started; SIGKILL after 60 s."""
        proc.send_signal(signal.SIGTERM)
        try:
            proc.wait(60)
        except subprocess.TimeoutExpired:
            proc.kill()

    with log.open("w") as out:
        proc = subprocess.Popen(
            cmd, cwd=ROOT, stdout=subprocess.PIPE, stderr=subprocess.STDOUT, text=True, bufsize=1
        )
        assert proc.stdout is not None

        def expire() -> None:
            timed_out.set()
            stop(proc)

        watchdog = threading.Timer(timeout, expire)
        watchdog.start()
        try:
            for line in proc.stdout:
                out.write(line)
                lines.append(line)
                if verbose:
                    print(f"  {line}", end="", flush=True)
            status = -1 if timed_out.is_set() else proc.wait()
        except KeyboardInterrupt:
            stop(proc)
            raise
        finally:
            watchdog.cancel()
            proc.wait()
    seconds = time.monotonic() - started
    outcome = outcome_of(bench.name, "".join(lines), status, seconds)
    state = "FAILED" if outcome.failed else f"{len(outcome.ratios)} ratio(s)"
    print(f"[{bench.name}] {state} in {seconds:.0f} s (log: {log})", flush=True)
    if outcome.failed and not verbose:
        print("".join(lines[-25:]), flush=True)
    return outcome


def make_dataset(path: Path, users: int, shows: int) -> None:
    print(f"[gen] {path}: {users:,} users, {shows:,} shows", flush=True)
    subprocess.run(
        [sys.executable, str(BENCH / "gen.py"), "--database-url", f"sqlite:///{path}",
         "--users", str(users), "--shows", str(shows)],
        cwd=ROOT, check=True, stdout=subprocess.DEVNULL,
    )  # fmt: skip


def parse_args(argv: list[str] | None) -> argparse.Namespace:
    parser = argparse.ArgumentParser(description=__doc__.split("\n\n")[0])
    parser.add_argument("--quick", action="store_true", help="each bench's short options")
    parser.add_argument(
        "--only", action="append", default=[], help="bench name(s), comma-separated"
    )
    parser.add_argument("--sqlite", metavar="PATH", help="a SQLite database made by gen.py")
    parser.add_argument("--postgres", metavar="URL", help="a PostgreSQL database made by gen.py")
    parser.add_argument("--users", type=int, help="users of the generated database")
    parser.add_argument("--shows", type=int, help="shows of the generated database")
    parser.add_argument("--logs", type=Path, help="keep each bench's output here")
    parser.add_argument("--timeout", type=float, default=3600, help="seconds per bench")
    parser.add_argument("-v", "--verbose", action="store_true", help="print the benches' output")
    parser.add_argument(
        "--parse-only",
        nargs="+",
        metavar="FILE",
        help="no benchmark: the table of these saved outputs (the bench named by the file name)",
    )
    args = parser.parse_args(argv)
    names = {b.name for b in BENCHES}
    args.only = [n.strip() for item in args.only for n in item.split(",") if n.strip()]
    if unknown := set(args.only) - names:
        parser.error(f"unknown bench(es) {', '.join(sorted(unknown))}; of {', '.join(names)}")
    if args.sqlite and not Path(args.sqlite).is_file():
        parser.error(f"no SQLite database at {args.sqlite}")
    args.users = args.users or (1_000 if args.quick else 10_000)
    args.shows = args.shows or (10_000 if args.quick else 100_000)
    return args


def main(argv: list[str] | None = None) -> int:
    args = parse_args(argv)
    if args.parse_only:
        saved = [outcome_of(Path(f).stem, Path(f).read_text(), 0, 0.0) for f in args.parse_only]
        print(table(saved, 0.0))
        return 1 if any(o.failed for o in saved) else 0
    benches = [b for b in BENCHES if not args.only or b.name in args.only]
    started = time.monotonic()
    outcomes: list[Outcome] = []
    with tempfile.TemporaryDirectory(prefix="bench-all-") as tmp:
        logs = args.logs or Path(tmp)
        logs.mkdir(parents=True, exist_ok=True)
        sqlite = args.sqlite
        if not sqlite and any(b.dataset for b in benches):
            sqlite = str(Path(tmp) / "bench.db")
            make_dataset(Path(sqlite), args.users, args.shows)
        try:
            for bench in benches:
                extra = list(bench.quick) if args.quick else []
                if bench.dataset:
                    extra += ["--sqlite", str(sqlite)]
                    extra += ["--postgres", args.postgres] if args.postgres else []
                log = logs / f"{bench.name}.log"
                outcomes.append(run_bench(bench, extra, log, args.timeout, args.verbose))
        except KeyboardInterrupt:
            print("\ninterrupted", file=sys.stderr)
    print("\n" + table(outcomes, time.monotonic() - started))
    failed = any(o.failed for o in outcomes) or len(outcomes) < len(benches)
    return 1 if failed else 0


if __name__ == "__main__":
    os.environ.setdefault("PYTHONUNBUFFERED", "1")
    sys.exit(main())
