"""Blobs in an S3-compatible bucket (AWS S3, SeaweedFS, MinIO, Ceph RGW, Cloudflare R2...).

Storage URL forms (``MIXCAST_STORAGE_URL``)::

    s3://BUCKET?endpoint=http://127.0.0.1:8333&region=us-east-1
    s3://BUCKET/PREFIX?endpoint=https://s3.example.net
    s3://ACCESS_KEY:SECRET_KEY@BUCKET/PREFIX?endpoint=...&create_bucket=1

- Credentials come from the URL's user info (percent-encode them: a secret's "/" is "%2F") or,
  when absent, from boto3's default chain (``AWS_ACCESS_KEY_ID``/``AWS_SECRET_ACCESS_KEY``,
  ``~/.aws``, instance roles).
- ``endpoint``: the server's base URL; without it, AWS itself.
- ``region``: signing region (default: boto3's configured region, else ``us-east-1``; R2 wants
  ``auto``).
- ``create_bucket=1``: create the bucket when it is missing (tests, single-box setups).
- ``PREFIX`` is put in front of every key, so one bucket can hold several sites.

Addressing is path-style (``endpoint/bucket/key``), which every S3-compatible server speaks.
Timeouts are short and retries few, so a dead store fails a request within seconds; every
connection failure, timeout or server-side refusal surfaces as ``StorageUnavailable`` (the cause
is logged, never the credentials).
"""

from __future__ import annotations

import logging
import os
import re
import tempfile
from collections.abc import Callable, Iterator
from contextlib import contextmanager
from dataclasses import dataclass, field
from pathlib import Path
from typing import Any
from urllib.parse import parse_qsl, unquote, urlsplit

import boto3
import boto3.exceptions
import s3transfer.exceptions
from boto3.s3.transfer import TransferConfig
from botocore.config import Config
from botocore.exceptions import BotoCoreError, ClientError

from mixcast.errors import ConfigError
from mixcast.storage.base import (
    BlobInfo,
    BlobNotFound,
    InvalidKey,
    StorageUnavailable,
    check_key,
    check_prefix,
    folder_prefix,
)

log = logging.getLogger("mixcast.storage")

# S3's bucket naming rules (lowercase letters, digits, dots and hyphens; 3-63 characters).
_BUCKET = re.compile(r"^[a-z0-9][a-z0-9.-]{1,61}[a-z0-9]\Z")

# Parts of 16 MiB: a 4 GiB upload is 256 parts (S3 allows 10,000), and at most
# ``max_concurrency`` parts are in memory at once, whatever the file's size.
_TRANSFER = TransferConfig(
    multipart_threshold=16 << 20,
    multipart_chunksize=16 << 20,
    max_concurrency=4,
    num_download_attempts=2,
)
# Connect within 3 s, a reply within 20 s of a request (a part upload or a multipart
# completion may take a while server-side), one retry: a dead endpoint fails in seconds.
_CLIENT_CONFIG = Config(
    connect_timeout=3,
    read_timeout=20,
    retries={"total_max_attempts": 2, "mode": "standard"},
    s3={"addressing_style": "path"},
    signature_version="s3v4",
)
# Errors that mean "the key is not there", by API: GetObject says NoSuchKey, HEAD only 404.
_MISSING = {"NoSuchKey", "404", "NotFound"}
# Everything the SDK raises when the store cannot do the work (network, timeouts, refusals).
_STORE_ERRORS = (
    BotoCoreError,
    ClientError,
    boto3.exceptions.Boto3Error,
    s3transfer.exceptions.RetriesExceededError,
    s3transfer.exceptions.S3UploadFailedError,
    s3transfer.exceptions.S3DownloadFailedError,
)


@dataclass(frozen=True)
class S3Location:
    """A parsed ``s3://`` storage URL (see the module docstring)."""

    bucket: str
    prefix: str = ""  # "" or "some/folder/"
    endpoint: str | None = None
    region: str | None = None
    access_key: str | None = None
    secret_key: str | None = field(default=None, repr=False)  # never printed
    create_bucket: bool = False


def parse_s3_url(url: str) -> S3Location:
    """Read an ``s3://`` URL; ``ConfigError`` (without the credentials) when it is unusable."""
    shown = redact(url)
    parts = urlsplit(url)
    userinfo, _, bucket = parts.netloc.rpartition("@")
    if parts.scheme != "s3" or not bucket:
        raise ConfigError(f"storage URL {shown!r}: expected s3://BUCKET[/PREFIX]?endpoint=...")
    if not _BUCKET.match(bucket) or "@" in parts.path:
        # Most often a secret key with a bare "/" that cut the URL in the wrong place.
        raise ConfigError(
            f"storage URL {shown!r}: not a bucket name; percent-encode '/' in credentials"
        )
    access_key = secret_key = None
    if userinfo:
        user, colon, password = userinfo.partition(":")
        if not (user and colon and password):
            raise ConfigError(f"storage URL {shown!r}: credentials must be KEY:SECRET")
        access_key, secret_key = unquote(user), unquote(password)
    try:
        path = parts.path.strip("/")
        prefix = folder_prefix(path) if path else ""
    except InvalidKey:
        raise ConfigError(f"storage URL {shown!r}: the prefix is not a valid key") from None
    params = dict(parse_qsl(parts.query))
    unknown = set(params) - {"endpoint", "region", "create_bucket"}
    if unknown:
        raise ConfigError(f"storage URL {shown!r}: unknown parameters {sorted(unknown)}")
    return S3Location(
        bucket=bucket,
        prefix=prefix,
        endpoint=params.get("endpoint") or None,
        region=params.get("region") or None,
        access_key=access_key,
        secret_key=secret_key,
        create_bucket=params.get("create_bucket", "0").lower() in ("1", "true", "yes"),
    )


def redact(url: str) -> str:
    """``url`` with everything before its last "@" (credentials, whole or cut) hidden."""
    if "@" not in url:
        return url
    scheme, _, rest = url.partition("://")
    return f"{scheme}://***@{rest.rpartition('@')[2]}"


class S3Store:
    """Blobs as objects in one bucket, each key behind the URL's prefix. Objects appear only
    when complete (S3 semantics), so writes are atomic without temporary names."""

    def __init__(self, location: S3Location) -> None:
        self.bucket = location.bucket
        self.prefix = location.prefix
        self.endpoint = location.endpoint or "AWS"
        session = boto3.session.Session(
            aws_access_key_id=location.access_key,
            aws_secret_access_key=location.secret_key,
            region_name=location.region,
        )
        self._client: Any = session.client(
            "s3",
            endpoint_url=location.endpoint,
            region_name=session.region_name or "us-east-1",
            config=_CLIENT_CONFIG,
        )
        if location.create_bucket:
            self._create_bucket()

    def __repr__(self) -> str:
        return f"S3Store(bucket={self.bucket!r}, prefix={self.prefix!r}, at {self.endpoint})"

    def _name(self, key: str) -> str:
        return self.prefix + check_key(key)

    @contextmanager
    def _errors(self, doing: str, key: str | None = None) -> Iterator[None]:
        """Turn the SDK's errors into ours: with ``key``, "no such key" is ``BlobNotFound``;
        anything else the store or the network did is ``StorageUnavailable``, logged."""
        try:
            yield
        except _STORE_ERRORS as e:
            if key is not None and isinstance(e, ClientError) and _code(e) in _MISSING:
                raise BlobNotFound(key) from None
            log.warning("S3 %s failed (bucket %r at %s): %s", doing, self.bucket, self.endpoint, e)
            raise StorageUnavailable() from e

    def _create_bucket(self) -> None:
        with self._errors("create bucket"):
            try:
                self._client.head_bucket(Bucket=self.bucket)
                return
            except ClientError as e:
                if _code(e) not in ("404", "NoSuchBucket", "NotFound"):
                    raise
            args: dict[str, Any] = {"Bucket": self.bucket}
            region = self._client.meta.region_name
            if region != "us-east-1":  # the one region that refuses an explicit constraint
                args["CreateBucketConfiguration"] = {"LocationConstraint": region}
            try:
                self._client.create_bucket(**args)
            except ClientError as e:
                if _code(e) not in ("BucketAlreadyOwnedByYou", "BucketAlreadyExists"):
                    raise

    def put_bytes(self, key: str, data: bytes) -> None:
        name = self._name(key)
        with self._errors("put"):
            self._client.put_object(Bucket=self.bucket, Key=name, Body=data)

    def get_bytes(self, key: str) -> bytes:
        name = self._name(key)
        with self._errors("get", key):
            body = self._client.get_object(Bucket=self.bucket, Key=name)["Body"]
            with body:
                return bytes(body.read())

    def put_file(
        self,
        key: str,
        path: Path,
        *,
        move: bool = False,
        progress: Callable[[int], None] | None = None,
    ) -> None:
        """Upload ``path`` (multipart past 16 MiB, a few parts in memory at a time). The object
        appears only once every part is in; if anything fails, ``progress`` (called with each
        chunk's byte count) included, the multipart upload is aborted and the error raised."""
        name = self._name(key)
        with self._errors("upload"):
            self._client.upload_file(
                os.fspath(path), self.bucket, name, Config=_TRANSFER, Callback=progress
            )
        if move:
            path.unlink()

    def get_file(self, key: str, dest: Path) -> None:
        name = self._name(key)
        dest.parent.mkdir(parents=True, exist_ok=True)
        fd, tmp = tempfile.mkstemp(dir=dest.parent, prefix=".tmp-")
        try:
            with os.fdopen(fd, "wb") as f, self._errors("download", key):
                self._client.download_fileobj(self.bucket, name, f, Config=_TRANSFER)
            os.replace(tmp, dest)
        except BaseException:
            Path(tmp).unlink(missing_ok=True)
            raise

    def _head(self, key: str) -> dict[str, Any]:
        name = self._name(key)
        with self._errors("head", key):
            head: dict[str, Any] = self._client.head_object(Bucket=self.bucket, Key=name)
            return head

    def exists(self, key: str) -> bool:
        try:
            self._head(key)
        except BlobNotFound:
            return False
        return True

    def size(self, key: str) -> int:
        return int(self._head(key)["ContentLength"])

    def list(self, prefix: str) -> Iterator[BlobInfo]:
        check_prefix(prefix)
        pages = self._client.get_paginator("list_objects_v2").paginate(
            Bucket=self.bucket, Prefix=self.prefix + prefix
        )
        with self._errors("list"):
            for page in pages:
                for obj in page.get("Contents", ()):
                    yield BlobInfo(
                        key=obj["Key"][len(self.prefix) :],
                        size=int(obj["Size"]),
                        modified=obj["LastModified"].timestamp(),
                    )

    def delete(self, key: str) -> None:
        name = self._name(key)
        with self._errors("delete"):
            self._client.delete_object(Bucket=self.bucket, Key=name)

    def delete_prefix(self, prefix: str) -> int:
        """Delete everything under ``prefix/``, 1,000 keys per request (the API's limit). The
        keys are listed first: deleting while paging could skip keys on some servers."""
        names = [self.prefix + info.key for info in self.list(folder_prefix(prefix))]
        for start in range(0, len(names), 1000):
            batch = [{"Key": name} for name in names[start : start + 1000]]
            with self._errors("delete objects"):
                reply = self._client.delete_objects(
                    Bucket=self.bucket, Delete={"Objects": batch, "Quiet": True}
                )
            if reply.get("Errors"):
                first = reply["Errors"][0]
                log.warning(
                    "S3 delete of %d keys under %r failed, first: %s %s",
                    len(reply["Errors"]),
                    prefix,
                    first.get("Code"),
                    first.get("Message"),
                )
                raise StorageUnavailable()
        return len(names)

    def local_path(self, key: str) -> Path | None:
        check_key(key)
        return None

    def url_for(self, key: str, expires: int = 300) -> str | None:
        """A presigned GET URL, valid for ``expires`` seconds; made locally, no request."""
        name = self._name(key)
        with self._errors("presign"):
            url: str = self._client.generate_presigned_url(
                "get_object", Params={"Bucket": self.bucket, "Key": name}, ExpiresIn=expires
            )
            return url

    def check(self) -> None:
        with self._errors("check"):
            self._client.head_bucket(Bucket=self.bucket)


def _code(error: ClientError) -> str:
    return str(error.response.get("Error", {}).get("Code", ""))
