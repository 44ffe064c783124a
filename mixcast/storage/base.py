"""The storage interface every backend implements, its errors and the key rules."""

from __future__ import annotations

import errno
import re
from collections.abc import Iterator
from dataclasses import dataclass
from pathlib import Path
from typing import Protocol

from mixcast.errors import AppError, ServiceUnavailable

# Keys are relative POSIX paths of plain segments: no "..", no absolute paths, no odd bytes.
_SEGMENT = re.compile(r"^[A-Za-z0-9][A-Za-z0-9._-]{0,127}\Z")


class InvalidKey(AppError):
    type = "InvalidStorageKey"
    http_status = 400


class BlobNotFound(AppError):
    """No blob under the key (``.key``: the key as the caller gave it)."""

    type = "BlobNotFound"
    http_status = 404

    def __init__(self, key: str) -> None:
        super().__init__(f"No blob under key {key!r}.")
        self.key = key


class StorageUnavailable(ServiceUnavailable):
    """The store cannot be reached or refused to work (down, timed out, misconfigured, its
    disk full). The cause is logged by the backend; clients only learn to come back later
    (503 with ``Retry-After``)."""

    type = "StorageUnavailableException"

    def __init__(self) -> None:
        super().__init__("Storage is unavailable; try again later.")


_NO_SPACE = frozenset({errno.ENOSPC, errno.EDQUOT})


def out_of_space(error: OSError) -> bool:
    """Whether ``error`` says a file system (or this user's quota) is full: a state of the
    server that passes, not a fault of what was being written."""
    return error.errno in _NO_SPACE


@dataclass(frozen=True)
class BlobInfo:
    key: str
    size: int
    modified: float  # Unix time, seconds


def check_key(key: str) -> str:
    """``key`` itself when it is a relative path of plain segments, else ``InvalidKey``."""
    parts = key.split("/")
    if not parts or any(not _SEGMENT.match(p) or ".." in p for p in parts):
        raise InvalidKey(f"invalid storage key {key!r}")
    return key


def check_prefix(prefix: str) -> str:
    """A prefix for ``list``: empty (everything), a key, or a key followed by "/"."""
    if prefix:
        check_key(prefix.removesuffix("/"))
    return prefix


def folder_prefix(prefix: str) -> str:
    """``"a/b"`` or ``"a/b/"`` as ``"a/b/"``: the folder ``delete_prefix`` empties. Never empty,
    so no caller can wipe a whole store by passing ``""``."""
    return check_key(prefix.removesuffix("/")) + "/"


class BlobStore(Protocol):
    """Blobs under keys (``check_key``). Every write is atomic: a reader sees the old blob or the
    new one, never half of one, and a failed or crashed write leaves nothing new under the key.
    Backends raise ``StorageUnavailable`` when the store cannot be reached."""

    def put_bytes(self, key: str, data: bytes) -> None: ...

    def get_bytes(self, key: str) -> bytes:
        """The blob's bytes; ``BlobNotFound`` when missing."""
        ...

    def put_file(self, key: str, path: Path, *, move: bool = False) -> None:
        """Store the file at ``path`` under ``key`` without reading it into memory. With
        ``move`` the source is gone afterwards (renamed into place when the backend can)."""
        ...

    def get_file(self, key: str, dest: Path) -> None:
        """Copy the blob to ``dest`` (streamed, atomic at ``dest``); ``BlobNotFound``."""
        ...

    def exists(self, key: str) -> bool: ...

    def size(self, key: str) -> int:
        """The blob's size in bytes; ``BlobNotFound`` when missing."""
        ...

    def list(self, prefix: str) -> Iterator[BlobInfo]:
        """Every blob whose key starts with ``prefix`` (``""``: all). Local disk lists in key
        order; S3 servers in theirs (AWS: key order; SeaweedFS: folder by folder)."""
        ...

    def delete(self, key: str) -> None:
        """Remove the blob; a missing key is not an error."""
        ...

    def delete_prefix(self, prefix: str) -> int:
        """Remove every blob under the folder ``prefix/``; how many were removed."""
        ...

    def local_path(self, key: str) -> Path | None:
        """A file on this machine holding the blob, when the backend has one (for sendfile)."""
        ...

    def url_for(self, key: str, expires: int = 300) -> str | None:
        """A URL anyone can GET the blob from for ``expires`` seconds, when the backend has
        one (S3: presigned); None when the site serves the blob itself."""
        ...

    def check(self) -> None:
        """Raise ``StorageUnavailable`` when the store cannot be reached or used."""
        ...
