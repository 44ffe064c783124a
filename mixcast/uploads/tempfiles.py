"""Temporary files for uploads in progress: how they are named, and the sweep that removes the
ones a dead server left behind.

A file is ``upload-<pid>-<random>.part``: the pid of the process writing it lets a later process
tell an orphan (its writer is gone, e.g. killed with SIGKILL mid-upload) from a file another live
worker is still writing. The name never contains anything the client sent.
"""

from __future__ import annotations

import os
import re
import secrets
import stat
import time
from pathlib import Path

_NAME = re.compile(r"upload-([1-9][0-9]*)-[0-9a-f]{16}\.part")


def new_temp_file(tmp_dir: Path, field: str) -> tuple[Path, int]:
    """Create a new, empty temporary file in ``tmp_dir`` for the file part ``field`` and return
    its path and a file descriptor open for writing (the caller closes it).

    The file is created exclusively with mode 0600 (readable by this user only: an upload is
    private until it is published). ``field`` is the server-checked form field the file is for;
    it is not part of the name, which is fixed so that ``sweep_temp_files`` can parse it.
    """
    del field  # One naming scheme for every field: the sweep recognises files by name alone.
    flags = os.O_WRONLY | os.O_CREAT | os.O_EXCL | os.O_CLOEXEC | os.O_NOFOLLOW
    while True:
        path = tmp_dir / f"upload-{os.getpid()}-{secrets.token_hex(8)}.part"
        try:
            return path, os.open(path, flags, 0o600)
        except FileExistsError:  # 64 random bits: practically never, but never clobber.
            continue


def sweep_temp_files(tmp_dir: Path, max_age: float = 24 * 3600) -> int:
    """Delete the upload temporary files in ``tmp_dir`` that nobody will finish, and return how
    many were deleted. Run at start-up.

    A file is an orphan when the process named in it is gone, or when it has not been written
    for ``max_age`` seconds (the pid may have been reused by an unrelated process; a live upload
    writes every few milliseconds). Files not named like ours are left alone.
    """
    try:
        entries = list(os.scandir(tmp_dir))
    except FileNotFoundError:
        return 0
    now = time.time()
    deleted = 0
    for entry in entries:
        match = _NAME.fullmatch(entry.name)
        if match is None:
            continue
        try:
            info = entry.stat(follow_symlinks=False)
        except FileNotFoundError:
            continue
        if not stat.S_ISREG(info.st_mode):
            continue
        if process_alive(int(match.group(1))) and now - info.st_mtime <= max_age:
            continue
        try:
            os.unlink(entry.path)
        except FileNotFoundError:  # Another worker's sweep got there first.
            continue
        deleted += 1
    return deleted


def process_alive(pid: int) -> bool:
    """Whether process ``pid`` runs on this machine (this process counts as alive)."""
    if pid == os.getpid():
        return True
    try:
        os.kill(pid, 0)
    except ProcessLookupError:
        return False
    except PermissionError:  # It exists, under another user.
        return True
    return True
