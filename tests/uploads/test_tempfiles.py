"""Upload temporary files: private, named after their writer, and swept at start-up once their
writer is gone (a server killed mid-upload) or they have been left for too long."""

from __future__ import annotations

import os
import signal
import subprocess
import sys
import textwrap
import time
from pathlib import Path

from mixcast.uploads.tempfiles import new_temp_file, sweep_temp_files


def dead_pid() -> int:
    """The pid of a process that has exited (and been reaped)."""
    process = subprocess.Popen([sys.executable, "-c", ""])
    process.wait()
    return process.pid


def our_kind_of_name(pid: int, suffix: str = "0123456789abcdef") -> str:
    return f"upload-{pid}-{suffix}.part"


def test_a_new_temp_file_is_ours_private_and_empty(tmp_path: Path):
    first, fd = new_temp_file(tmp_path, "mp3")
    os.close(fd)
    second, fd = new_temp_file(tmp_path, "mp3")
    os.close(fd)

    assert first != second
    assert first.parent == tmp_path
    assert first.name.startswith(f"upload-{os.getpid()}-")
    assert first.suffix == ".part"
    assert first.stat().st_mode & 0o777 == 0o600
    assert first.read_bytes() == b""


def test_the_sweep_removes_a_dead_writers_files_and_keeps_the_rest(tmp_path: Path):
    orphan = tmp_path / our_kind_of_name(dead_pid())
    ours = tmp_path / our_kind_of_name(os.getpid())
    other_live_writer = tmp_path / our_kind_of_name(os.getppid(), "fedcba9876543210")
    foreign = [tmp_path / n for n in ("notes.txt", "upload-1.part", f"upload-{dead_pid()}-x.part")]
    for path in [orphan, ours, other_live_writer, *foreign]:
        path.write_bytes(b"partial audio")

    assert sweep_temp_files(tmp_path) == 1
    assert sorted(tmp_path.iterdir()) == sorted([ours, other_live_writer, *foreign])


def test_the_sweep_removes_old_files_whatever_their_pid(tmp_path: Path):
    # A pid is reused: a file left for a day is an orphan even if its pid is alive again.
    stale = tmp_path / our_kind_of_name(os.getppid())
    fresh = tmp_path / our_kind_of_name(os.getppid(), "fedcba9876543210")
    for path in (stale, fresh):
        path.write_bytes(b"")
    two_days_ago = time.time() - 2 * 24 * 3600
    os.utime(stale, (two_days_ago, two_days_ago))

    assert sweep_temp_files(tmp_path) == 1
    assert list(tmp_path.iterdir()) == [fresh]
    assert sweep_temp_files(tmp_path, max_age=0) == 1
    assert list(tmp_path.iterdir()) == []


def test_the_sweep_of_a_missing_directory_finds_nothing(tmp_path: Path):
    assert sweep_temp_files(tmp_path / "missing") == 0


def test_a_server_killed_mid_upload_leaves_a_file_the_next_sweep_removes(tmp_path: Path):
    # A real process receives half an upload, then dies without a chance to clean up.
    script = textwrap.dedent(
        """
        import asyncio, sys
        from pathlib import Path
        from mixcast.uploads.multipart import FormLimits, receive_form

        async def stream():
            yield (b"--b\\r\\nContent-Disposition: form-data; name=mp3; filename=a.mp3\\r\\n\\r\\n"
                   + b"a" * 3_000_000)
            print("receiving", flush=True)
            await asyncio.Event().wait()

        asyncio.run(receive_form(
            stream(), "multipart/form-data; boundary=b", None,
            FormLimits(files={"mp3": 10_000_000}), Path(sys.argv[1]),
        ))
        """
    )
    server = subprocess.Popen(
        [sys.executable, "-c", script, str(tmp_path)], stdout=subprocess.PIPE, text=True
    )
    try:
        assert server.stdout is not None
        assert server.stdout.readline() == "receiving\n"
        os.kill(server.pid, signal.SIGKILL)
    finally:
        server.wait()
    [left] = tmp_path.iterdir()
    assert left.name.startswith(f"upload-{server.pid}-")

    assert sweep_temp_files(tmp_path) == 1
    assert list(tmp_path.iterdir()) == []
