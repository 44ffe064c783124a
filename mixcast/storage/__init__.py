"""Blob storage behind one interface (``BlobStore``). ``open_store(url)`` is the one factory
and the only place a storage URL is read.
"""

from __future__ import annotations

from mixcast.errors import ConfigError
from mixcast.storage.base import (
    BlobInfo,
    BlobNotFound,
    BlobStore,
    InvalidKey,
    StorageUnavailable,
    check_key,
)
from mixcast.storage.local import LocalStore
from mixcast.storage.s3 import S3Store, parse_s3_url, redact

__all__ = [
    "BlobInfo",
    "BlobNotFound",
    "BlobStore",
    "InvalidKey",
    "LocalStore",
    "S3Store",
    "StorageUnavailable",
    "check_key",
    "open_store",
]


def open_store(url: str) -> BlobStore:
    """The store a storage URL (``MIXCAST_STORAGE_URL``) names:

    - ``file:///srv/mixcast/media``: files under a local folder (the default);
    - ``s3://BUCKET[/PREFIX]?endpoint=http://127.0.0.1:8333&region=us-east-1``: an
      S3-compatible bucket (AWS, SeaweedFS, MinIO, Ceph, R2), path-style addressing. Credentials
      as ``s3://KEY:SECRET@BUCKET...`` (percent-encoded) or from ``AWS_ACCESS_KEY_ID`` /
      ``AWS_SECRET_ACCESS_KEY`` (boto3's default chain); ``PREFIX`` goes in front of every key;
      ``create_bucket=1`` creates a missing bucket. See ``mixcast.storage.s3``.

    ``ConfigError`` for anything else; the message never shows credentials.
    """
    if url.startswith("file://"):
        return LocalStore(url.removeprefix("file://"))
    if url.startswith("s3://"):
        return S3Store(parse_s3_url(url))
    raise ConfigError(f"unsupported storage URL {redact(url)!r}")
