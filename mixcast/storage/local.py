"""Blobs as files under one folder. Writes go to a temporary name first and are renamed into
place, so a reader never sees half a file and a crash leaves no partial blob under its key
(at worst a ``.tmp-*`` file, which is never a valid key and never listed)."""

from __future__ import annotations

import contextlib
import errno
import logging
import os
import shutil
import tempfile
from collections.abc import Callable, Iterator
from pathlib import Path
from typing import BinaryIO

from mixcast.storage.base import (
    BlobInfo,
    BlobNotFound,
    StorageUnavailable,
    check_key,
    check_prefix,
    folder_prefix,
    out_of_space,
)

log = logging.getLogger("mixcast.storage")

_CHUNK = 1 << 20  # copy buffer: big enough for disk speed, small enough to never matter


class LocalStore:
    def __init__(self, root: str | Path) -> None:
        self.root = Path(root)
        self.root.mkdir(parents=True, exist_ok=True)

    def _path(self, key: str) -> Path:
        return self.root / check_key(key)

    def _write_atomically(self, path: Path, write: Callable[[BinaryIO], object]) -> None:
        """Run ``write`` on a temporary file next to ``path``, then rename it into place."""
        path.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=path.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f:
                write(f)
            os.replace(tmp, path)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    @contextlib.contextmanager
    def _room_for(self, key: str) -> Iterator[None]:
        """A full disk (or quota) under the store is the store refusing to work, as a dead S3
        is: 503, and the callers' clean-up and retries follow (the partial file is gone)."""
        try:
            yield
        except OSError as error:
            if not out_of_space(error):
                raise
            log.warning("storage %s is full: %s not stored", self.root, key)
            raise StorageUnavailable() from error

    def put_bytes(self, key: str, data: bytes) -> None:
        with self._room_for(key):
            self._write_atomically(self._path(key), lambda f: f.write(data))

    def get_bytes(self, key: str) -> bytes:
        try:
            return self._path(key).read_bytes()
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFound(key) from None

    def put_file(self, key: str, path: Path, *, move: bool = False) -> None:
        """Store ``path`` under ``key``. With ``move`` on the same filesystem this is one rename
        (a 4 GiB upload costs nothing); otherwise the file is copied in chunks to a temporary
        name and renamed, and ``move`` removes the source after that."""
        dest = self._path(key)
        with self._room_for(key):
            if move:
                dest.parent.mkdir(parents=True, exist_ok=True)
                try:
                    os.replace(path, dest)
                    return
                except OSError as e:
                    if e.errno != errno.EXDEV:
                        raise
            # ``path.open`` rather than ``open(path)``: the copy reads through the Path given.
            with path.open("rb") as src:
                self._write_atomically(dest, lambda f: shutil.copyfileobj(src, f, _CHUNK))
        if move:
            path.unlink()

    def get_file(self, key: str, dest: Path) -> None:
        source = self._path(key)
        try:
            src = source.open("rb")
        except (FileNotFoundError, IsADirectoryError, NotADirectoryError):
            raise BlobNotFound(key) from None
        with src:
            self._write_atomically(dest, lambda f: shutil.copyfileobj(src, f, _CHUNK))

    def exists(self, key: str) -> bool:
        return self._path(key).is_file()

    def size(self, key: str) -> int:
        path = self._path(key)
        try:
            if path.is_file():
                return path.stat().st_size
        except FileNotFoundError:
            pass  # deleted between the two calls
        raise BlobNotFound(key)

    def list(self, prefix: str) -> Iterator[BlobInfo]:
        """Blobs whose key starts with ``prefix``, in key order, found by walking only the
        folder the prefix names (not the whole store)."""
        check_prefix(prefix)
        folder = prefix.rpartition("/")[0]
        yield from (
            info for info in self._walk(folder, self.root / folder) if info.key.startswith(prefix)
        )

    def _walk(self, folder: str, path: Path) -> Iterator[BlobInfo]:
        # Folders sort as "name/" so that walking in this order yields keys in string order,
        # the order AWS lists in ("a-b" < "a/x" < "a0").
        try:
            entries = [e for e in os.scandir(path) if not e.name.startswith(".")]
        except (FileNotFoundError, NotADirectoryError):
            return
        entries.sort(key=lambda e: e.name + "/" if e.is_dir(follow_symlinks=False) else e.name)
        for entry in entries:
            key = f"{folder}/{entry.name}" if folder else entry.name
            if entry.is_dir(follow_symlinks=False):
                yield from self._walk(key, Path(entry.path))
            elif entry.is_file(follow_symlinks=False):
                try:
                    stat = entry.stat(follow_symlinks=False)
                except FileNotFoundError:
                    continue  # deleted while we walked
                yield BlobInfo(key=key, size=stat.st_size, modified=stat.st_mtime)

    def delete(self, key: str) -> None:
        self._path(key).unlink(missing_ok=True)

    def delete_prefix(self, prefix: str) -> int:
        """Delete the folder ``prefix/`` and count the blobs that were in it."""
        folder = folder_prefix(prefix)
        count = 0
        for info in self.list(folder):
            self._path(info.key).unlink(missing_ok=True)
            count += 1
        # Remove the emptied folders too, but leave any half-written temporary file of a
        # concurrent put alone (rmtree would pull its folder from under it).
        for dirpath, _dirs, _files in os.walk(self.root / folder, topdown=False):
            with contextlib.suppress(OSError):  # not empty: a temporary file is in it
                os.rmdir(dirpath)
        return count

    def local_path(self, key: str) -> Path | None:
        path = self._path(key)
        return path if path.is_file() else None

    def url_for(self, key: str, expires: int = 300) -> str | None:
        check_key(key)
        return None  # the site serves local files itself (sendfile via local_path)

    def check(self) -> None:
        if not (self.root.is_dir() and os.access(self.root, os.W_OK | os.X_OK)):
            log.error("local storage folder %s is missing or not writable", self.root)
            raise StorageUnavailable()
