"""The storage interface every backend implements."""

from __future__ import annotations

import re
from pathlib import Path
from typing import Protocol

from mixcast.errors import AppError

# Keys are relative POSIX paths of plain segments: no "..", no absolute paths, no odd bytes.
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")


class InvalidKey(AppError):
    type = "InvalidStorageKey"
    http_status = 400


def check_key(key: str) -> str:
    parts = key.split("/")
    if not parts or any(not _SEGMENT.match(p) or ".." in p for p in parts):
        raise InvalidKey(f"invalid storage key {key!r}")
    return key


class BlobStore(Protocol):
    def put_bytes(self, key: str, data: bytes) -> None: ...
    def get_bytes(self, key: str) -> bytes: ...
    def exists(self, key: str) -> bool: ...
    def delete(self, key: str) -> None: ...
    def local_path(self, key: str) -> Path | None:
        """A file on this machine holding the blob, when the backend has one (for sendfile)."""
        ...
