"""bench/all.py's table, from canned bench output (no benchmark runs here)."""

from __future__ import annotations

import importlib.util
import subprocess
import sys
from pathlib import Path
from types import ModuleType

BENCH = Path(__file__).resolve().parent.parent / "bench"

SHOW_GET_OUTPUT = """\
[sqlite mixcast] 1,234 req/s, p50 40.00 ms
database   server      req/s
sqlite     ratio       0.823  mixcast/floor req/s, target >= 0.80: ok
RATIO name=show_get:sqlite value=1234.5 floor=1500 ratio=0.823 unit=req/s target=>=0.80 \
what=GET /{user}/{show}/ (sqlite), req/s
RATIO name=show_get:postgresql value=700 floor=1000 ratio=0.7 unit=req/s target=>=0.80 \
what=GET /{user}/{show}/ (postgresql), req/s
"""


def _load_all() -> ModuleType:
    spec = importlib.util.spec_from_file_location("bench_all", BENCH / "all.py")
    assert spec and spec.loader
    module = importlib.util.module_from_spec(spec)
    sys.modules[spec.name] = module  # dataclasses look their module up while being made
    spec.loader.exec_module(module)
    return module


def test_ratio_lines_are_parsed_among_human_output() -> None:
    bench_all = _load_all()
    outcome = bench_all.outcome_of("show_get", SHOW_GET_OUTPUT, 0, 12.0)
    assert not outcome.failed
    first, second = outcome.ratios
    assert (first.name, first.value, first.floor, first.ratio) == (
        "show_get:sqlite",
        1234.5,
        1500.0,
        0.823,
    )
    assert first.what == "GET /{user}/{show}/ (sqlite), req/s"
    assert first.meets_target() is True
    assert second.meets_target() is False


def test_a_printed_line_parses_back() -> None:
    _load_all()  # puts bench/ on sys.path
    from ratios import parse_ratios, ratio_line

    line = ratio_line("pipeline", "60-minute MP3 / ffmpeg", 71.7, 72.7, 0.986, "s", "<=1.2")
    (parsed,) = parse_ratios("noise\n" + line + "\nmore noise\n")
    assert (parsed.name, parsed.unit, parsed.target) == ("pipeline", "s", "<=1.2")
    assert parsed.ratio == 0.986 and parsed.meets_target() is True


def test_table_marks_failed_benches_and_missed_targets() -> None:
    bench_all = _load_all()
    outcomes = [
        bench_all.outcome_of("show_get", SHOW_GET_OUTPUT, 0, 30.0),
        bench_all.outcome_of("stream", "Traceback ...\n", 1, 4.0),  # crashed
        bench_all.outcome_of("search", "p50 5 ms\n", 0, 2.0),  # printed no ratio
    ]
    text = bench_all.table(outcomes, 36.0)
    rows = {line.split()[0]: line for line in text.splitlines() if line and line[0].isalpha()}
    assert "0.823" in rows["show_get:sqlite"] and rows["show_get:sqlite"].split()[-3] == "ok"
    assert "MISSED" in rows["show_get:postgresql"]
    assert "FAILED: exit status 1" in rows["stream"]
    assert "FAILED: no RATIO line" in rows["search"]
    assert "3 benches, 2 failed; total wall time 36 s" in text


def test_parse_only_exit_status(tmp_path: Path) -> None:
    good, bad = tmp_path / "show_get.txt", tmp_path / "stream.txt"
    good.write_text(SHOW_GET_OUTPUT)
    bad.write_text("no ratio here\n")
    script = str(BENCH / "all.py")
    ok = subprocess.run(
        [sys.executable, script, "--parse-only", str(good)], capture_output=True, text=True
    )
    assert ok.returncode == 0, ok.stderr
    assert "show_get:postgresql" in ok.stdout
    failed = subprocess.run(
        [sys.executable, script, "--parse-only", str(good), str(bad)],
        capture_output=True,
        text=True,
    )
    assert failed.returncode == 1
    assert "stream" in failed.stdout and "FAILED" in failed.stdout
