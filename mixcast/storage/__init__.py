"""Blob storage behind one interface. ``open_store(url)`` is the one factory: ``file:///dir``
(local disk, the default) today; S3-compatible storage plugs in behind the same interface.
"""

from __future__ import annotations

from mixcast.errors import ConfigError
from mixcast.storage.base import BlobStore, check_key
from mixcast.storage.local import LocalStore

__all__ = ["BlobStore", "LocalStore", "check_key", "open_store"]


def open_store(url: str) -> BlobStore:
    if url.startswith("file://"):
        return LocalStore(url.removeprefix("file://"))
    raise ConfigError(f"unsupported storage URL {url!r}")
